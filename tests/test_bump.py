"""The bump on real repositories: every state (docs/design.md §5), each choice, resolve, abort."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli
from gitutil import commit_files, git, git_bytes

from overlay_merge.core.apply import apply_merge
from overlay_merge.core.decisions import allowed_decisions, decide
from overlay_merge.core.deployment import open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import load_layout
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"


def _overlay(sample: Sample, path: str) -> Path:
    return sample.deployment / OVERLAY / path


def _upstream(sample: Sample, rev: str, path: str) -> bytes:
    if path.startswith("baselayer/"):
        nested_rev = "b1" if rev == "s1" else "b2"
        return git_bytes(
            sample.deployment / "skyportal" / "baselayer",
            "show",
            f"{sample.commits[nested_rev]}:{path.removeprefix('baselayer/')}",
        )
    return git_bytes(sample.deployment / "skyportal", "show", f"{sample.commits[rev]}:{path}")


def _bases(sample: Sample) -> dict[str, str]:
    text = (sample.deployment / ".overlay-base").read_text()
    return {line[42:]: line[:40] for line in text.splitlines() if line and not line.startswith("#")}


def _unmerged(sample: Sample) -> dict[str, set[int]]:
    """Path -> conflict stages registered in the deployment's index (``git ls-files -u``)."""
    stages: dict[str, set[int]] = {}
    for line in git(sample.deployment, "ls-files", "-u").splitlines():
        meta, path = line.split("\t", 1)
        stages.setdefault(path.removeprefix(OVERLAY + "/"), set()).add(int(meta.split()[2]))
    return stages


def _state(sample: Sample) -> dict[str, str]:
    """Everything a bump may change, hashed: working trees, index, HEADs, base file."""
    digest: dict[str, str] = {}
    root = sample.deployment
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if ".git" in rel.split("/"):
            continue
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digest[rel] = f"{oct(path.stat().st_mode)}:" + git(root, "hash-object", str(path))
    digest["<index>"] = (root / ".git" / "index").read_bytes().hex()
    for repo in ("skyportal", "skyportal/baselayer"):
        head = (root / ".git" / "modules" / repo.replace("/", "/modules/") / "HEAD").read_text()
        digest[f"<HEAD {repo}>"] = head + git(root / repo, "rev-parse", "HEAD")
    return digest


def _merge_file_oracle(base: bytes, ours: bytes, theirs: bytes) -> bytes:
    """git merge-file's answer for a clean merge."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(str(path))
        done = subprocess.run(["git", "merge-file", "-p", *paths], capture_output=True, check=True)
        return done.stdout


def _deployment(sample: Sample):  # type: ignore[no-untyped-def]
    return open_at(load_layout(sample.deployment))


# -- the plan -----------------------------------------------------------------------


def test_dry_run_classifies_every_file_and_writes_nothing(sample: Sample) -> None:
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", "--dry-run", "--format", "json")
    assert result.exit_code == 1  # conflicts found
    plan = json.loads(result.output)
    assert (plan["from"], plan["to"]) == (sample.commits["s1"], sample.commits["s2"])
    assert {f["path"]: f["state"] for f in plan["files"]} == dict(sample.expected)
    files = {f["path"]: f for f in plan["files"]}
    assert files["skyportal/utils/calculations.py"]["renamed_to"] == "skyportal/utils/calc.py"
    assert files["skyportal/initial_setup.py"]["conflicts"] == 1
    assert all("renamed_to" not in f for p, f in files.items() if "calculations" not in p)
    assert [c["sha"] for c in plan["commits"]] == [sample.commits["s2"]]
    assert _state(sample) == before


def test_without_a_choice_and_no_terminal_the_plan_is_printed(sample: Sample) -> None:
    before = _state(sample)
    result = run_cli(sample.deployment, "bump")
    assert "renamed-upstream  skyportal/utils/calculations.py  -> skyportal/utils/calc.py" in (
        result.output
    )
    assert "--choice merge" in result.output
    assert _state(sample) == before


def test_cancel_changes_nothing(sample: Sample) -> None:
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", "--choice", "cancel")
    assert (result.exit_code, result.output) == (
        6,
        "cancelled: nothing changed\nchoice: cancel; outcome: cancelled (exit 6)\n",
    )
    assert _state(sample) == before


def test_update_moves_only_the_pin_and_abort_moves_it_back(sample: Sample) -> None:
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", "--choice", "update")
    assert result.exit_code == 5, result.output  # updated anyway
    after = _state(sample)
    assert git(sample.deployment / "skyportal", "rev-parse", "HEAD") == sample.commits["s2"]
    changed = {k for k in before if before[k] != after.get(k)} | (set(after) - set(before))
    assert not any(k.startswith(OVERLAY) or k == ".overlay-base" for k in changed)
    assert (
        git(sample.deployment / "skyportal" / "baselayer", "rev-parse", "HEAD")
        == (sample.commits["b2"])
    )
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    assert {f["path"] for f in status["files"] if f["state"] == "stale"} == {
        p for p, s in sample.expected.items() if s != "unchanged"
    }
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


# -- stop and merge --------------------------------------------------------------


def test_merge_writes_each_state_as_designed(sample: Sample) -> None:
    s1, s2 = sample.commits["s1"], sample.commits["s2"]
    ours = {p: _overlay(sample, p).read_bytes() for p in sample.expected}
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert result.exit_code == 1, result.output  # conflicts are left
    bases = _bases(sample)
    unmerged = _unmerged(sample)

    # clean, including the patch inside the nested submodule: git merge-file's answer
    for path in ("skyportal/handlers/api/source.py", "baselayer/app/app_server.py"):
        expected = _merge_file_oracle(
            _upstream(sample, "s1", path), ours[path], _upstream(sample, "s2", path)
        )
        assert _overlay(sample, path).read_bytes() == expected
        assert bases[path] == s2 and path not in unmerged

    # conflict: git's zdiff3 markers with labels, base kept, stages 1/2/3
    text = _overlay(sample, "skyportal/initial_setup.py").read_bytes()
    for marker in (
        b"<<<<<<< overlay\n",
        f"||||||| base {s1[:7]}\n".encode(),
        b"=======\n",
        f">>>>>>> upstream {s2[:7]}\n".encode(),
    ):
        assert text.count(marker) == 1
    assert bases["skyportal/initial_setup.py"] == s1
    assert unmerged["skyportal/initial_setup.py"] == {1, 2, 3}

    # converged: untouched, base moves
    assert (
        _overlay(sample, "skyportal/models/group.py").read_bytes()
        == ours["skyportal/models/group.py"]
    )
    assert bases["skyportal/models/group.py"] == s2

    # renamed upstream: moved to the new path, merged against it
    assert not _overlay(sample, "skyportal/utils/calculations.py").exists()
    moved = _overlay(sample, "skyportal/utils/calc.py").read_bytes()
    assert moved == _merge_file_oracle(
        _upstream(sample, "s1", "skyportal/utils/calculations.py"),
        ours["skyportal/utils/calculations.py"],
        _upstream(sample, "s2", "skyportal/utils/calc.py"),
    )
    assert "skyportal/utils/calculations.py" not in bases
    assert bases["skyportal/utils/calc.py"] == s2

    # deleted upstream: kept as is, base kept, "deleted by them" in the index
    assert (
        _overlay(sample, "skyportal/handlers/api/legacy.py").read_bytes()
        == ours["skyportal/handlers/api/legacy.py"]
    )
    assert bases["skyportal/handlers/api/legacy.py"] == s1
    assert unmerged["skyportal/handlers/api/legacy.py"] == {1, 2}

    # added upstream: two-way markers, "both added" in the index
    added = _overlay(sample, "skyportal/handlers/api/instrument.py").read_bytes()
    assert added.startswith(b"<<<<<<< overlay\n") or b"\n<<<<<<< overlay\n" in added
    assert unmerged["skyportal/handlers/api/instrument.py"] == {2, 3}

    # binary: no markers written, all three stages for the maintainer to pick from
    assert _overlay(sample, "static/img/logo.png").read_bytes() == ours["static/img/logo.png"]
    assert unmerged["static/img/logo.png"] == {1, 2, 3}

    # unchanged files: bytes and exec bit untouched, base moves to the target (even from s0)
    for path in (
        "skyportal/enum_types.py",
        "tools/check_env.sh",
        "skyportal/facility_apis/grandma_api.py",
        "baselayer/app/auth/IAMOAuth2.py",
    ):
        assert _overlay(sample, path).read_bytes() == ours[path]
        assert bases[path] == s2
    assert os.stat(_overlay(sample, "tools/check_env.sh")).st_mode & 0o111

    # the pin moved, nested submodule included
    assert git(sample.deployment / "skyportal", "rev-parse", "HEAD") == s2
    assert (
        git(sample.deployment / "skyportal" / "baselayer", "rev-parse", "HEAD")
        == (sample.commits["b2"])
    )
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    assert status["bump_in_progress"] == "conflicts"
    pending = {f["path"] for f in status["files"] if f["state"] == "conflict-pending"}
    assert pending == set(unmerged)


def test_merge_style_option(sample: Sample) -> None:
    run_cli(sample.deployment, "bump", "--choice", "merge", "--style", "merge")
    text = _overlay(sample, "skyportal/initial_setup.py").read_bytes()
    assert b"<<<<<<< overlay\n" in text and b"|||||||" not in text


def test_abort_restores_every_byte(sample: Sample) -> None:
    before = _state(sample)
    run_cli(sample.deployment, "bump", "--choice", "merge")
    assert _state(sample) != before
    result = run_cli(sample.deployment, "abort")
    assert result.exit_code == 0, result.output
    assert _state(sample) == before
    assert not (sample.deployment / ".git" / "overlay-merge" / "bump").exists()
    assert (sample.deployment / ".git" / "overlay-merge" / "lock").read_bytes() == b""
    assert run_cli(sample.deployment, "abort").exit_code == 3  # nothing left to abort


class _Stop(Exception):
    pass


def test_a_bump_stopped_between_any_two_writes_is_recovered_by_abort(
    sample: Sample, tmp_path: Path
) -> None:
    writes: list[str] = []
    probe = tmp_path / "probe"
    shutil.copytree(sample.deployment, probe, symlinks=True)
    deployment = open_at(load_layout(probe))
    apply_merge(deployment, plan_bump(deployment), after_write=writes.append)
    assert len(writes) >= 10  # files, renames, base file, index entries, pins

    for stop_after in range(len(writes)):
        copy = tmp_path / f"copy{stop_after}"
        shutil.copytree(sample.deployment, copy, symlinks=True)
        copied = Sample(**{**sample.__dict__, "deployment": copy})
        before = _state(copied)
        seen: list[str] = []

        def hook(what: str, seen: list[str] = seen, stop_after: int = stop_after) -> None:
            seen.append(what)
            if len(seen) > stop_after:
                raise _Stop(what)

        deployment = open_at(load_layout(copy))
        with pytest.raises(_Stop):
            apply_merge(deployment, plan_bump(deployment), after_write=hook)
        assert run_cli(copy, "bump", "--dry-run").exit_code == 3  # interrupted: refuses
        status = run_cli(copy, "status")
        assert "interrupted" in status.output
        assert run_cli(copy, "abort").exit_code == 0
        assert _state(copied) == before, f"stopped after {seen[-1]}"


def test_a_killed_process_is_recovered_by_abort(sample: Sample) -> None:
    before = _state(sample)
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from overlay_merge.core.apply import apply_merge\n"
        "from overlay_merge.core.deployment import open_at\n"
        "from overlay_merge.core.layout import load_layout\n"
        "from overlay_merge.core.decisions import decide\n"
        "from overlay_merge.core.plan import plan_bump\n"
        "d = open_at(load_layout(Path(sys.argv[1])))\n"
        "n = []\n"
        "def hook(what):\n"
        "    n.append(what)\n"
        "    if len(n) == 4:\n"
        "        os._exit(9)\n"
        "apply_merge(d, plan_bump(d), after_write=hook)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(sample.deployment)], check=False)
    assert done.returncode == 9
    assert _state(sample) != before
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


# -- resolve -------------------------------------------------------------------


def _take_overlay_side(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    out, keep = [], True
    for line in lines:
        if line.startswith(b"<<<<<<< "):
            keep = True
            continue
        if line.startswith((b"||||||| ", b"=======")):
            keep = False
            continue
        if line.startswith(b">>>>>>> "):
            keep = True
            continue
        if keep:
            out.append(line)
    path.write_bytes(b"".join(out))


def test_resolve_refuses_markers_then_records_the_target(sample: Sample) -> None:
    s2 = sample.commits["s2"]
    run_cli(sample.deployment, "bump", "--choice", "merge")
    base_file = (sample.deployment / ".overlay-base").read_bytes()
    refused = run_cli(sample.deployment, "resolve", "skyportal/initial_setup.py")
    assert refused.exit_code == 3 and "still holds conflict markers" in refused.output
    assert (sample.deployment / ".overlay-base").read_bytes() == base_file

    _take_overlay_side(_overlay(sample, "skyportal/initial_setup.py"))
    done = run_cli(sample.deployment, "resolve", f"{OVERLAY}/skyportal/initial_setup.py")
    assert done.exit_code == 0, done.output
    assert _bases(sample)["skyportal/initial_setup.py"] == s2
    assert "skyportal/initial_setup.py" not in _unmerged(sample)
    porcelain = git(sample.deployment, "status", "--porcelain")
    assert f" M {OVERLAY}/skyportal/initial_setup.py" in porcelain.splitlines()

    # Keep the file upstream deleted (as an addition), drop the binary by deleting it,
    # fix the two-way conflict: every conflict resolved, the bump is done.
    _overlay(sample, "static/img/logo.png").unlink()
    _take_overlay_side(_overlay(sample, "skyportal/handlers/api/instrument.py"))
    done = run_cli(sample.deployment, "resolve", "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["dropped"] == ["static/img/logo.png"] and report["remaining"] == []
    bases = _bases(sample)
    assert "static/img/logo.png" not in bases
    assert bases["skyportal/handlers/api/legacy.py"] == s2
    assert _unmerged(sample) == {}
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    assert status["bump_in_progress"] is None
    kinds = {f["path"]: (f["kind"], f["state"]) for f in status["files"]}
    assert kinds["skyportal/handlers/api/legacy.py"] == ("addition", "up-to-date")
    assert kinds["skyportal/handlers/api/instrument.py"] == ("patch", "up-to-date")
    # The hand-made resolution is work done after the bump: abort refuses to
    # overwrite it, and --force undoes the whole bump after saving it.
    # (instrument.py took the overlay side whole: its bytes are the backup's.)
    resolved = _overlay(sample, "skyportal/initial_setup.py").read_bytes()
    refused = run_cli(sample.deployment, "abort")
    assert refused.exit_code == 3
    assert f"{OVERLAY}/skyportal/initial_setup.py: changed since the bump" in refused.stderr
    forced = run_cli(sample.deployment, "abort", "--force", "--format", "json")
    assert forced.exit_code == 0, forced.output
    report = json.loads(forced.output)
    assert report["saved"] == [f"{OVERLAY}/skyportal/initial_setup.py"]
    saved = Path(report["saved_to"]) / OVERLAY / "skyportal/initial_setup.py"
    assert saved.read_bytes() == resolved
    assert _overlay(sample, "static/img/logo.png").exists()


def test_resolve_without_a_bump(sample: Sample) -> None:
    result = run_cli(sample.deployment, "resolve")
    assert result.exit_code == 3 and "no bump in progress" in result.output


# -- refusals before anything is written ------------------------------------------


def test_uncommitted_overlay_change_is_refused_and_force_backs_it_up(sample: Sample) -> None:
    source = _overlay(sample, "skyportal/handlers/api/source.py")
    source.write_bytes(source.read_bytes() + b"# local edit\n")
    before = _state(sample)
    refused = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert refused.exit_code == 3
    assert "uncommitted changes" in refused.output and "commit or stash" in refused.output
    assert _state(sample) == before
    forced = run_cli(sample.deployment, "bump", "--choice", "merge", "--force")
    assert forced.exit_code == 1
    assert b"# local edit\n" in source.read_bytes()  # merged, not lost
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


def test_uncommitted_upstream_change_is_refused(sample: Sample) -> None:
    readme = sample.deployment / "skyportal" / "README.md"
    readme.write_bytes(b"local\n")
    before = _state(sample)
    refused = run_cli(sample.deployment, "bump", "--choice", "update")
    assert refused.exit_code == 3 and "upstream working tree" in refused.output
    assert _state(sample) == before
    assert run_cli(sample.deployment, "bump", "--choice", "update", "--force").exit_code == 5
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert readme.read_bytes() == b"local\n"
    assert _state(sample) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-rev"], "unknown revision 'no-such-rev'"),
        (["HEAD^{tree}"], "names a tree, not a commit"),
    ],
)
def test_bad_targets(sample: Sample, args: list[str], message: str) -> None:
    result = run_cli(sample.deployment, "bump", *args, "--choice", "merge")
    assert result.exit_code == 3 and message in result.output


def test_downgrade_needs_allow_downgrade(sample: Sample) -> None:
    refused = run_cli(sample.deployment, "bump", sample.commits["s0"], "--dry-run")
    assert refused.exit_code == 3 and "older than the pin" in refused.output
    assert "--allow-downgrade" in refused.output
    allowed = run_cli(
        sample.deployment, "bump", sample.commits["s0"], "--dry-run", "--allow-downgrade"
    )
    assert allowed.exit_code in (0, 1)


def test_markers_left_from_an_earlier_bump_are_refused(sample: Sample) -> None:
    path = _overlay(sample, "skyportal/enum_types.py")
    path.write_bytes(path.read_bytes() + b"<<<<<<< overlay\nx\n=======\ny\n>>>>>>> upstream 1\n")
    git(sample.deployment, "commit", "-qam", "oops, committed markers")
    result = run_cli(sample.deployment, "bump", "--dry-run")
    assert result.exit_code == 3 and "still holds conflict markers" in result.output


def test_a_second_bump_waits_for_the_first(sample: Sample) -> None:
    run_cli(sample.deployment, "bump", "--choice", "merge")
    result = run_cli(sample.deployment, "bump", sample.commits["s2"], "--choice", "update")
    assert result.exit_code == 3 and "overlay-merge abort" in result.output


def test_base_commit_missing(sample: Sample) -> None:
    base_file = sample.deployment / ".overlay-base"
    base_file.write_text(base_file.read_text().replace(sample.commits["s0"], "2" * 40))
    result = run_cli(sample.deployment, "bump", "--dry-run")
    assert result.exit_code == 3 and "is missing from the object store" in result.output


# -- one file or hundreds, with bases that differ ----------------------------------


@pytest.mark.parametrize("count", [1, 150])
def test_many_files_with_different_bases(sample: Sample, count: int) -> None:
    upstream = sample.deployment / "skyportal"
    body = b"".join(b"line %d\n" % i for i in range(12))
    names = [f"gen/mod_{i:03d}.py" for i in range(count)]
    u1 = commit_files(upstream, dict.fromkeys(names, body), "add generated modules")
    u1b = commit_files(upstream, {"README.md": b"unrelated\n"}, "unrelated change")
    u2 = commit_files(
        upstream,
        {n: body.replace(b"line 11\n", b"line 11 upstream\n") for n in names},
        "upstream edits the last line",
    )
    git(upstream, "checkout", "-q", "--detach", u1b)
    # Only the generated files in the overlay: the sample's own are removed.
    overlay = sample.deployment / OVERLAY
    shutil.rmtree(overlay)
    entries = {}
    for i, name in enumerate(names):
        path = overlay / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body.replace(b"line 0\n", b"line 0 overlay\n"))
        entries[name] = u1 if i % 2 == 0 else u1b
    (sample.deployment / ".overlay-base").write_text(
        "".join(f"{entries[n]}  {n}\n" for n in sorted(entries))
    )
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "generated overlay")
    before = _state(sample)

    plan = json.loads(
        run_cli(sample.deployment, "bump", u2, "--dry-run", "--format", "json").output
    )
    assert [f["state"] for f in plan["files"]] == ["clean"] * count
    assert run_cli(sample.deployment, "bump", u2, "--choice", "cancel").exit_code == 6
    assert _state(sample) == before
    assert run_cli(sample.deployment, "bump", u2, "--choice", "merge").exit_code == 0
    merged = body.replace(b"line 0\n", b"line 0 overlay\n").replace(
        b"line 11\n", b"line 11 upstream\n"
    )
    assert all((overlay / n).read_bytes() == merged for n in names)
    assert set(_bases(sample).values()) == {u2}
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before
    assert run_cli(sample.deployment, "bump", u2, "--choice", "update").exit_code == 5
    assert all((overlay / n).read_bytes() != merged for n in names)


# -- per-file decisions (what the TUI offers before applying) ------------------------


def test_per_file_decisions(sample: Sample) -> None:
    s1, s2 = sample.commits["s1"], sample.commits["s2"]
    ours = {p: _overlay(sample, p).read_bytes() for p in sample.expected}
    deployment = _deployment(sample)
    plan = decide(
        plan_bump(deployment),
        {
            "skyportal/initial_setup.py": "upstream",  # conflict -> take upstream's version
            "skyportal/handlers/api/source.py": "keep",  # clean -> keep the overlay as is
            "skyportal/models/group.py": "drop",  # converged -> drop the overlay copy
            "skyportal/handlers/api/legacy.py": "drop",  # deleted upstream -> drop
            "skyportal/utils/calculations.py": "upstream",  # renamed -> upstream's, moved
        },
    )
    result = apply_merge(deployment, plan)
    bases = _bases(sample)
    assert _overlay(sample, "skyportal/initial_setup.py").read_bytes() == _upstream(
        sample, "s2", "skyportal/initial_setup.py"
    )
    assert bases["skyportal/initial_setup.py"] == s2
    assert (
        _overlay(sample, "skyportal/handlers/api/source.py").read_bytes()
        == ours["skyportal/handlers/api/source.py"]
    )
    assert bases["skyportal/handlers/api/source.py"] == s1  # kept: its drift stays visible
    for dropped in ("skyportal/models/group.py", "skyportal/handlers/api/legacy.py"):
        assert not _overlay(sample, dropped).exists() and dropped not in bases
    assert _overlay(sample, "skyportal/utils/calc.py").read_bytes() == _upstream(
        sample, "s2", "skyportal/utils/calc.py"
    )
    assert "skyportal/utils/calculations.py" not in bases
    assert set(result.conflicts) == {
        "skyportal/handlers/api/instrument.py",
        "static/img/logo.png",
    }
    assert set(_unmerged(sample)) == set(result.conflicts)


# -- found in review: what a bump must not trip over ------------------------------------


def test_edits_inside_the_nested_submodule_are_refused_then_backed_up(sample: Sample) -> None:
    nested_file = sample.deployment / "skyportal" / "baselayer" / "app" / "app_server.py"
    nested_file.write_bytes(nested_file.read_bytes() + b"# my local fix\n")
    before = _state(sample)
    refused = run_cli(sample.deployment, "bump", "--choice", "update")
    assert refused.exit_code == 3
    assert "skyportal/baselayer/app/app_server.py: uncommitted changes" in refused.output
    assert _state(sample) == before
    assert run_cli(sample.deployment, "bump", "--choice", "update", "--force").exit_code == 5
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert nested_file.read_bytes().endswith(b"# my local fix\n")
    assert _state(sample) == before


def test_an_untracked_upstream_file_the_target_adds_is_not_overwritten(sample: Sample) -> None:
    mine = sample.deployment / "skyportal" / "skyportal" / "handlers" / "api" / "instrument.py"
    mine.write_bytes(b"MY LOCAL WORK\n")  # untracked at s1; s2 adds this path
    refused = run_cli(sample.deployment, "bump", "--choice", "update")
    assert refused.exit_code == 3 and "untracked, and the target puts a file or folder there" in (
        refused.output
    )
    assert mine.read_bytes() == b"MY LOCAL WORK\n"
    assert run_cli(sample.deployment, "bump", "--choice", "update", "--force").exit_code == 5
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert mine.read_bytes() == b"MY LOCAL WORK\n"


def test_a_held_index_lock_is_one_line_before_anything_is_written(sample: Sample) -> None:
    lock = sample.deployment / ".git" / "index.lock"
    lock.write_bytes(b"")
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert result.exit_code == 3 and "index.lock: exists" in result.output
    assert result.output.count("\n") == 1
    lock.unlink()
    assert _state(sample) == before


def test_abort_refuses_a_bump_that_was_committed(sample: Sample) -> None:
    assert run_cli(sample.deployment, "bump", "--choice", "update").exit_code == 5
    git(sample.deployment, "commit", "-qam", "bump skyportal")
    refused = run_cli(sample.deployment, "abort")
    assert refused.exit_code == 3 and "was committed" in refused.output
    assert git(sample.deployment / "skyportal", "rev-parse", "HEAD") == sample.commits["s2"]
    assert run_cli(sample.deployment, "abort", "--force").exit_code == 0
    assert git(sample.deployment / "skyportal", "rev-parse", "HEAD") == sample.commits["s1"]


def test_untracked_excluded_files_do_not_block_a_bump(sample: Sample) -> None:
    generated = _overlay(sample, "gen/out.fits")
    generated.parent.mkdir(parents=True)
    generated.write_bytes(b"\x00generated")
    result = run_cli(sample.deployment, "--exclude", "*.fits", "bump", "--choice", "update")
    assert result.exit_code == 5, result.output
    assert generated.read_bytes() == b"\x00generated"


def _rename_plan(sample: Sample, *args: str) -> dict[str, dict[str, object]]:
    result = run_cli(sample.deployment, *args, "bump", "--dry-run", "--format", "json")
    return {f["path"]: f for f in json.loads(result.output)["files"]}


def test_renames_the_overlay_file_cannot_follow_are_deletions(sample: Sample) -> None:
    old, new = "skyportal/utils/calculations.py", "skyportal/utils/calc.py"
    # Into an excluded path: the moved file would drop out of sight.
    files = _rename_plan(sample, "--exclude", "calc.py")
    assert files[old]["state"] == "deleted-upstream" and "renamed_to" not in files[old]
    # A binary rename has no merge to write at the new path.
    path = _overlay(sample, old)
    path.write_bytes(path.read_bytes() + b"\x00")
    git(sample.deployment, "commit", "-qam", "binary now")
    files = _rename_plan(sample)
    assert files[old]["state"] == "deleted-upstream"
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert result.exit_code == 1
    assert path.exists() and not _overlay(sample, new).exists()
    assert _bases(sample)[old] == sample.commits["s1"] and new not in _bases(sample)


def test_a_conflicted_rename_is_recorded_at_the_target(sample: Sample) -> None:
    old, new = "skyportal/utils/calculations.py", "skyportal/utils/calc.py"
    path = _overlay(sample, old)
    upstream_new = _upstream(sample, "s2", new)
    # Make the overlay change the lines upstream changed in the move: a conflict.
    ours = bytearray(_upstream(sample, "s1", old))
    base_lines = ours.decode().splitlines(keepends=True)
    theirs_lines = upstream_new.decode().splitlines(keepends=True)
    differing = next(
        i for i, (a, b) in enumerate(zip(base_lines, theirs_lines, strict=False)) if a != b
    )
    base_lines[differing] = "# the overlay's own line\n"
    path.write_text("".join(base_lines))
    git(sample.deployment, "commit", "-qam", "overlay edits the moved lines")
    plan = _rename_plan(sample)[old]
    assert plan["state"] == "renamed-upstream" and plan["conflicts"] >= 1
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    bases = _bases(sample)
    assert old not in bases and bases[new] == sample.commits["s2"]
    assert new in _unmerged(sample)


def test_taking_upstream_for_an_addition_upstream_lacks_is_refused(sample: Sample) -> None:
    # Upstream has no version to take: the core refuses, naming what is offered
    # (it used to turn the decision silently into "keep").
    addition = "skyportal/facility_apis/grandma_api.py"
    deployment = _deployment(sample)
    plan = plan_bump(deployment)
    item = next(f for f in plan.files if f.path == addition)
    assert allowed_decisions(item) == ("merge", "keep")
    with pytest.raises(OverlayMergeError, match=r"not offered .* \(offered: merge, keep\)"):
        decide(plan, {addition: "upstream"})
    apply_merge(deployment, decide(plan, {addition: "keep"}))
    assert _overlay(sample, addition).exists()
    assert addition in _bases(sample)


def test_decisions_offered_per_state(sample: Sample) -> None:
    plan = plan_bump(_deployment(sample))
    offered = {f.path: allowed_decisions(f) for f in plan.files}
    assert offered["skyportal/models/group.py"] == ("merge", "keep", "upstream", "drop")
    assert offered["skyportal/handlers/api/legacy.py"] == ("merge", "keep", "drop")
    assert offered["skyportal/initial_setup.py"] == ("merge", "keep", "upstream")
    for path in ("skyportal/initial_setup.py", "skyportal/handlers/api/legacy.py"):
        wrong = "drop" if path.endswith("setup.py") else "upstream"
        with pytest.raises(OverlayMergeError, match="offered: "):
            decide(plan, {path: wrong})


def test_abort_restores_the_overlay_even_when_the_upstream_checkout_fails(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen on a real deployment whose upstream lacked a large blob: the checkout
    # back to the pin failed, and abort gave nothing back.
    from overlay_merge.core.errors import OverlayMergeError  # noqa: PLC0415
    from overlay_merge.core.git import command as gitcli  # noqa: PLC0415

    before = _state(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    real_move = gitcli.move_head

    def failing(*args: object, **kwargs: object) -> None:
        raise OverlayMergeError("skyportal: git update-ref failed: cannot lock ref", "retry")

    monkeypatch.setattr(gitcli, "move_head", failing)
    result = run_cli(sample.deployment, "abort")
    assert result.exit_code == 3 and "cannot lock ref" in result.output
    overlay_now = {k: v for k, v in _state(sample).items() if k.startswith(OVERLAY)}
    assert overlay_now == {k: v for k, v in before.items() if k.startswith(OVERLAY)}
    assert (sample.deployment / ".git" / "overlay-merge" / "bump" / "journal.json").exists()
    monkeypatch.setattr(gitcli, "move_head", real_move)
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before
