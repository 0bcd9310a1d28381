from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from conftest import run_cli, tree_digest
from gitutil import commit_files, git

from overlay_merge.demo import Sample

NESTED_PATCH = "baselayer/app/app_server.py"
ADDITIONS = {
    "skyportal/facility_apis/grandma_api.py",
    "baselayer/app/auth/IAMOAuth2.py",
    "skyportal/handlers/api/instrument.py",
}


def _status(sample: Sample, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_cli(sample.deployment, "status", "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def _move_pin(sample: Sample, rev: str) -> None:
    """Check the upstream submodule out at *rev*, nested submodule included (no merge)."""
    upstream = sample.deployment / "skyportal"
    git(upstream, "checkout", "-q", "--detach", rev)
    git(upstream, "submodule", "update", "--init", "--recursive")


def test_fresh_sample_is_up_to_date(sample: Sample) -> None:
    code, doc = _status(sample)
    assert code == 0
    assert doc["upstream"] == "skyportal"
    assert doc["pin"] == sample.commits["s1"]
    assert {f["state"] for f in doc["files"]} == {"up-to-date"}
    assert {f["path"] for f in doc["files"]} == set(sample.expected)
    kinds = {f["path"]: f["kind"] for f in doc["files"]}
    assert {p for p, k in kinds.items() if k == "addition"} == ADDITIONS
    assert doc["tracking"] == {"branch": "origin/main", "commit": sample.commits["s2"], "ahead": 1}
    # Bases differ between files and are reported as recorded.
    bases = {f["path"]: f["base"] for f in doc["files"]}
    assert bases["skyportal/enum_types.py"] == sample.commits["s0"]
    assert bases["skyportal/initial_setup.py"] == sample.commits["s1"]


def test_status_writes_nothing(sample: Sample) -> None:
    before = tree_digest(sample.deployment)
    run_cli(sample.deployment, "status")
    assert tree_digest(sample.deployment) == before


def test_text_output_names_states_and_the_way_forward(sample: Sample) -> None:
    result = run_cli(sample.deployment, "status")
    assert result.exit_code == 0
    assert f"skyportal pinned at {sample.commits['s1'][:7]}" in result.output
    assert "origin/main is 1 commit ahead" in result.output
    short = sample.commits["s1"][:7]
    assert re.search(
        rf"up-to-date +addition +{short} +baselayer/app/auth/IAMOAuth2\.py", result.output
    )


def test_stale_exactly_where_upstream_changed_after_the_pin_moves(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    code, doc = _status(sample)
    assert code == 1
    assert doc["pin"] == sample.commits["s2"]
    states = {f["path"]: f["state"] for f in doc["files"]}
    changed_upstream = {p for p, s in sample.expected.items() if s != "unchanged"}
    assert {p for p, s in states.items() if s == "stale"} == changed_upstream
    assert NESTED_PATCH in changed_upstream  # changed inside the nested submodule
    assert {p for p, s in states.items() if s == "up-to-date"} == set(states) - changed_upstream
    # --pinned reads the gitlink of the deployment's HEAD, which still records s1.
    code, doc = _status(sample, "--pinned")
    assert (code, doc["pin"]) == (0, sample.commits["s1"])


def test_unrecorded_orphaned_and_conflict_pending(sample: Sample) -> None:
    overlay = sample.deployment / "extensions" / "skyportal"
    (overlay / "skyportal" / "new_handler.py").write_bytes(b"print('new')\n")
    (overlay / "skyportal" / "enum_types.py").unlink()
    source = overlay / "skyportal" / "handlers" / "api" / "source.py"
    source.write_bytes(
        source.read_bytes() + b"<<<<<<< overlay\nmine\n=======\ntheirs\n>>>>>>> upstream abc\n"
    )
    code, doc = _status(sample)
    assert code == 1
    states = {f["path"]: (f["state"], f["kind"]) for f in doc["files"]}
    assert states["skyportal/new_handler.py"] == ("unrecorded", "addition")
    assert states["skyportal/enum_types.py"] == ("orphaned", "patch")
    assert states["skyportal/handlers/api/source.py"] == ("conflict-pending", "patch")
    text = run_cli(sample.deployment, "status").output
    assert "`overlay-merge init` records the pin" in text


def test_init_records_patches_and_additions_and_is_idempotent(sample: Sample) -> None:
    base_file = sample.deployment / ".overlay-base"
    base_file.unlink()
    code, doc = _status(sample)
    assert code == 1 and {f["state"] for f in doc["files"]} == {"unrecorded"}
    result = run_cli(sample.deployment, "init", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["written"] is True and report["kept"] == 0
    recorded = {r["path"]: (r["kind"], r["base"]) for r in report["recorded"]}
    assert set(recorded) == set(sample.expected)
    assert {b for _, b in recorded.values()} == {sample.commits["s1"]}
    assert {p for p, (k, _) in recorded.items() if k == "addition"} == ADDITIONS
    written = base_file.read_bytes()
    again = json.loads(run_cli(sample.deployment, "init", "--format", "json").output)
    assert again == {**again, "written": False, "recorded": [], "kept": len(sample.expected)}
    assert base_file.read_bytes() == written
    assert _status(sample)[0] == 0


def test_init_keeps_existing_entries_and_sorts(sample: Sample) -> None:
    base_file = sample.deployment / ".overlay-base"
    lines = [ln for ln in base_file.read_text().splitlines() if ln and not ln.startswith("#")]
    kept = lines[:3]
    base_file.write_text("\n".join(reversed(kept)) + "\n")
    assert run_cli(sample.deployment, "status").exit_code == 3  # unsorted is refused
    result = run_cli(sample.deployment, "init")
    assert result.exit_code == 0 and "kept 3 existing entries" in result.output
    body = [ln for ln in base_file.read_text().splitlines() if ln and not ln.startswith("#")]
    assert body == sorted(body, key=lambda ln: ln[42:].encode())
    for line in kept:
        assert line in body


def test_uninitialized_upstream_is_one_line_exit_3(sample: Sample) -> None:
    git(sample.deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    result = run_cli(sample.deployment, "status")
    assert result.exit_code == 3
    assert result.output.count("\n") == 1
    assert "skyportal/: upstream submodule is not initialized" in result.output
    assert "git submodule update --init --recursive" in result.output


def test_missing_upstream_folder(sample: Sample) -> None:
    shutil.rmtree(sample.deployment / "skyportal")
    result = run_cli(sample.deployment, "status")
    assert result.exit_code == 3 and "upstream folder missing" in result.output


def test_uninitialized_nested_submodule(sample: Sample) -> None:
    upstream = sample.deployment / "skyportal"
    git(upstream, "submodule", "deinit", "-q", "-f", "baselayer")
    # git keeps the nested repository under modules/: still readable from there.
    assert run_cli(sample.deployment, "status").exit_code == 0
    shutil.rmtree(sample.deployment / ".git" / "modules" / "skyportal" / "modules" / "baselayer")
    result = run_cli(sample.deployment, "status")
    assert result.exit_code == 3
    assert "skyportal/baselayer: nested submodule is not initialized" in result.output
    assert "git submodule update --init --recursive" in result.output


def test_bad_base_file_line(sample: Sample) -> None:
    base_file = sample.deployment / ".overlay-base"
    base_file.write_text(base_file.read_text() + f"{'a' * 40}  ../../etc/passwd\n")
    result = run_cli(sample.deployment, "status")
    assert result.exit_code == 3
    assert ".overlay-base:" in result.output and "'..' component" in result.output
    assert "Traceback" not in result.output


def test_base_commit_missing_from_the_object_store(sample: Sample) -> None:
    base_file = sample.deployment / ".overlay-base"
    text = base_file.read_text().replace(sample.commits["s0"], "1" * 40)
    base_file.write_text(text)
    result = run_cli(sample.deployment, "status")
    assert result.exit_code == 3
    assert "commit 1111111 (base of skyportal/enum_types.py at .overlay-base:5) is missing" in (
        result.output
    )
    assert "git -C skyportal fetch origin" in result.output


def test_shallow_upstream_missing_a_base(sample: Sample, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(sample.deployment), str(clone)], check=True)
    git(clone, "submodule", "init")
    # --depth is ignored for plain-path remotes: go through file:// as a real server would.
    git(clone, "config", "submodule.skyportal.url", f"file://{sample.upstream_remote}")
    git(clone, "submodule", "update", "--recursive", "--depth", "1")
    assert git(clone / "skyportal", "rev-parse", "--is-shallow-repository") == "true"
    result = run_cli(clone, "status")
    assert result.exit_code == 3
    assert "is missing from the object store" in result.output
    assert "git -C skyportal fetch --unshallow" in result.output


def test_not_in_a_deployment(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "status")
    assert result.exit_code == 3
    assert "not inside a git repository" in result.output


def test_init_prune_drops_orphaned_entries_only(sample: Sample) -> None:
    overlay = sample.deployment / "extensions" / "skyportal"
    (overlay / "skyportal" / "enum_types.py").unlink()
    status = run_cli(sample.deployment, "status")
    assert "`overlay-merge init --prune` drops their entries" in status.output
    assert run_cli(sample.deployment, "init").exit_code == 0  # without --prune: kept
    assert "skyportal/enum_types.py" in (sample.deployment / ".overlay-base").read_text()
    result = run_cli(sample.deployment, "init", "--prune", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["pruned"] == ["skyportal/enum_types.py"] and report["written"] is True
    assert report["kept"] == len(sample.expected) - 1
    assert "skyportal/enum_types.py" not in (sample.deployment / ".overlay-base").read_text()
    assert _status(sample)[0] == 0


def test_a_repository_inside_the_overlay_is_left_alone(sample: Sample, tmp_path: Path) -> None:
    # Icare's overlay holds submodules of the deployment (data repositories): their
    # files are not overlay files, and their .git must not stop every command.
    data = tmp_path / "grandma_data"
    data.mkdir()
    git(data, "init", "-q")
    commit_files(data, {"catalog.txt": b"M31\n"}, "data")
    inside = sample.deployment / "extensions" / "skyportal" / "data" / "grandma_data"
    inside.parent.mkdir(parents=True)
    git(
        sample.deployment,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(data),
        "extensions/skyportal/data/grandma_data",
    )
    git(sample.deployment, "commit", "-qm", "a data submodule inside the overlay")
    code, doc = _status(sample)
    assert code == 0, doc
    assert not [f for f in doc["files"] if f["path"].startswith("data/")]
    assert run_cli(sample.deployment, "bump", "--dry-run").exit_code == 1  # plans as before
