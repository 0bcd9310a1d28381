"""``build`` on real repositories: the output is upstream-at-pin plus the overlay, exactly.

The oracle is ``git archive`` of the pin in the upstream and of the gitlink it
records in the nested submodule, read as tar members (type, bytes or link
target, exec bit), with the overlay laid over it.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli, tree_digest
from gitutil import commit_files, git, git_bytes, git_env
from test_status import _move_pin

from overlay_merge.cli.main import cli
from overlay_merge.core.build import build
from overlay_merge.core.build import writer as writer_module
from overlay_merge.core.build.manifest import MANIFEST
from overlay_merge.core.deployment import open_at
from overlay_merge.core.layout import load_layout
from overlay_merge.demo import Sample

Tree = dict[str, tuple[str, bytes]]
BUILD = "patched_skyportal"


def _archive(repo: Path, rev: str, prefix: str = "") -> Tree:
    """Files of *rev* per ``git archive``: path -> (``file``/``exec``/``link``, content)."""
    tree: Tree = {}
    with tarfile.open(fileobj=io.BytesIO(git_bytes(repo, "archive", "--format=tar", rev))) as tar:
        for member in tar.getmembers():
            if member.issym():
                tree[prefix + member.name] = ("link", member.linkname.encode())
            elif member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                kind = "exec" if member.mode & 0o111 else "file"
                tree[prefix + member.name] = (kind, handle.read())
    return tree


def _on_disk(top: Path, *, manifest: bool = False) -> Tree:
    """The same view of a folder on disk, symlinks never followed (the build's manifest
    left out unless *manifest*)."""
    tree: Tree = {}
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        names = filenames + [d for d in dirnames if (here / d).is_symlink()]
        for name in names:
            full = here / name
            rel = full.relative_to(top).as_posix()
            if full.is_symlink():
                tree[rel] = ("link", os.fsencode(os.readlink(full)))
            else:
                kind = "exec" if full.stat().st_mode & 0o100 else "file"
                tree[rel] = (kind, full.read_bytes())
    if not manifest:
        tree.pop(MANIFEST, None)
    return tree


def _expected(sample: Sample, pin: str, *, nested: bool = True) -> Tree:
    """Upstream at *pin* (nested submodule at its gitlink) with the overlay copied over."""
    tree = _archive(sample.upstream, pin)
    if nested:
        link = git(sample.upstream, "rev-parse", f"{pin}:baselayer")
        tree.update(_archive(sample.upstream / "baselayer", link, "baselayer/"))
    tree.update(_on_disk(sample.overlay))
    return tree


def _build(sample: Sample, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_cli(sample.deployment, "build", "--format", "json", *args)
    return result.exit_code, json.loads(result.output) if result.exit_code != 3 else {}


def _siblings(sample: Sample) -> list[str]:
    return sorted(p.name for p in sample.deployment.iterdir() if p.name.startswith(f".{BUILD}"))


def _no_git_inside(top: Path) -> None:
    assert not [p for p in top.rglob("*") if p.name.lower() == ".git"]


def test_build_is_upstream_at_the_pin_plus_the_overlay(sample: Sample) -> None:
    output = sample.deployment / BUILD
    assert _build(sample)[0] == 0
    (output / "old").mkdir(parents=True)
    (output / "old" / "stale.py").write_text("not written by a build\n")
    code, doc = _build(sample, "--clean")
    assert code == 0, doc
    assert _on_disk(output) == _expected(sample, sample.commits["s1"])  # stale.py is gone
    _no_git_inside(output)
    assert doc["built"] is True and doc["replaced_previous"] is True and doc["clean"] is True
    assert doc["pin"] == sample.commits["s1"] and doc["build_dir"] == BUILD
    assert doc["counts"]["replaced"] + doc["counts"]["added"] == len(sample.expected)
    assert set(doc["added"]) == {
        "baselayer/app/auth/IAMOAuth2.py",
        "skyportal/facility_apis/grandma_api.py",
        "skyportal/handlers/api/instrument.py",
    }
    assert (output / "tools" / "check_env.sh").stat().st_mode & 0o100  # exec bit kept
    assert _siblings(sample) == []
    assert git(sample.deployment, "status", "--porcelain") == ""  # gitignored, nothing else


def test_drift_stops_the_build_unless_allowed(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 1
    assert "not built: 8 overlay files drifted from the pin" in result.output
    assert "--allow-drift" in result.output
    assert not (sample.deployment / BUILD).exists()
    code, doc = _build(sample, "--allow-drift")
    assert code == 0 and doc["built"] is True and len(doc["drift"]) == 8
    # Built at s2: the nested submodule is read at b2, the gitlink s2 records.
    assert _on_disk(sample.deployment / BUILD) == _expected(sample, sample.commits["s2"])


def test_pinned_builds_what_the_deployment_records(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    code, doc = _build(sample, "--pinned")
    assert (code, doc["pin"]) == (0, sample.commits["s1"])
    assert _on_disk(sample.deployment / BUILD) == _expected(sample, sample.commits["s1"])


def test_symlinks_stay_symlinks_never_followed(sample: Sample, tmp_path: Path) -> None:
    link = stat.S_IFLNK
    pin = commit_files(
        sample.upstream,
        {
            "docs/readme": b"../README.md",
            "static/assets": b"img",
            "tools/passwd": b"/etc/passwd",
            "tools/run.sh": b"#!/bin/sh\necho run\n",
        },
        "Links and a script",
        modes={
            "docs/readme": link,
            "static/assets": link,
            "tools/passwd": link,
            "tools/run.sh": 0o755,
        },
    )
    outside = tmp_path / "outside.txt"
    os.symlink(str(outside), sample.overlay / "skyportal" / "escape.py")
    os.symlink("../README.md", sample.overlay / "tools" / "passwd")  # overlay link over a link
    assert run_cli(sample.deployment, "init").exit_code == 0
    code, doc = _build(sample)
    assert code == 0, doc
    output = sample.deployment / BUILD
    assert _on_disk(output) == _expected(sample, pin)
    assert doc["counts"]["symlinks"] == 3
    assert os.readlink(output / "skyportal" / "escape.py") == str(outside)
    assert os.readlink(output / "tools" / "passwd") == "../README.md"
    assert (output / "static" / "assets").is_symlink()
    assert not outside.exists()


def test_overlay_file_below_an_upstream_symlink_is_refused(sample: Sample) -> None:
    commit_files(
        sample.upstream, {"static/assets": b"img"}, "link", modes={"static/assets": stat.S_IFLNK}
    )
    assert run_cli(sample.deployment, "build").exit_code == 0
    before = tree_digest(sample.deployment / BUILD)
    (sample.overlay / "static" / "assets").mkdir()
    (sample.overlay / "static" / "assets" / "site.css").write_text("body {}\n")
    assert run_cli(sample.deployment, "init").exit_code == 0
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    assert "static/assets is a symlink in the upstream; refusing to write through it" in (
        result.output
    )
    assert tree_digest(sample.deployment / BUILD) == before
    assert not (sample.deployment / "skyportal" / "static" / "img" / "site.css").exists()
    assert _siblings(sample) == []


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_an_interrupted_clean_build_leaves_the_previous_output(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, failure: type[BaseException]
) -> None:
    assert run_cli(sample.deployment, "build").exit_code == 0
    before = tree_digest(sample.deployment / BUILD)
    (sample.overlay / "skyportal" / "new.py").write_text("new\n")
    assert run_cli(sample.deployment, "init").exit_code == 0
    real_write = writer_module._write_file
    calls = []

    def failing_write(
        folder: int, name: str, data: bytes, mode: int, *, direct: bool, umask: int
    ) -> None:
        calls.append(name)
        if len(calls) == 7:  # partway through the upstream files
            raise failure(28, "No space left on device") if failure is OSError else failure()
        real_write(folder, name, data, mode, direct=direct, umask=umask)

    monkeypatch.setattr(writer_module, "_write_file", failing_write)
    if failure is OSError:
        result = run_cli(sample.deployment, "build", "--clean")
        assert result.exit_code == 3 and "No space left on device" in result.output
    else:
        deployment = open_at(load_layout(sample.deployment))
        with pytest.raises(KeyboardInterrupt):
            build(deployment, clean=True)
    assert len(calls) == 7
    assert tree_digest(sample.deployment / BUILD) == before
    assert _siblings(sample) == []


def test_conflict_markers_refuse_the_build(sample: Sample) -> None:
    source = sample.overlay / "skyportal" / "handlers" / "api" / "source.py"
    source.write_bytes(
        source.read_bytes() + b"<<<<<<< overlay\na\n=======\nb\n>>>>>>> upstream x\n"
    )
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    assert "source.py: conflict markers or an unresolved conflict; refusing to build" in (
        result.output
    )
    assert "overlay-merge resolve" in result.output
    assert not (sample.deployment / BUILD).exists() and _siblings(sample) == []


def test_dir_argument_is_relative_to_where_the_command_runs(sample: Sample) -> None:
    extensions = sample.deployment / "extensions"
    result = CliRunner().invoke(cli, ["-C", str(extensions), "build", "../out/patched"])
    assert result.exit_code == 0, result.output
    assert "built out/patched/" in result.output
    built = sample.deployment / "out" / "patched"
    assert _on_disk(built) == _expected(sample, sample.commits["s1"])
    assert not (sample.deployment / BUILD).exists()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("../elsewhere", "outside the deployment"),
        (".", "'.' component"),
        ("skyportal/out", "overlap"),
        ("extensions", "overlap"),
        ("extensions/skyportal/out", "overlap"),
        (".git/out", "'.git' component"),
    ],
)
def test_dir_argument_is_validated_like_the_layout(
    sample: Sample, given: str, message: str
) -> None:
    before = tree_digest(sample.deployment)
    result = run_cli(sample.deployment, "build", given)
    assert result.exit_code == 3 and message in result.output, result.output
    assert tree_digest(sample.deployment) == before


def test_refuses_to_replace_tracked_files_or_a_symlink(sample: Sample, tmp_path: Path) -> None:
    commit_files(sample.deployment, {"docs/index.md": b"# docs\n"}, "docs")
    result = run_cli(sample.deployment, "build", "docs")
    assert result.exit_code == 3 and "holds files tracked by the deployment" in result.output
    assert (sample.deployment / "docs" / "index.md").read_bytes() == b"# docs\n"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, sample.deployment / "linked")
    result = run_cli(sample.deployment, "--build-dir", "linked", "build")
    assert result.exit_code == 3 and "symlink" in result.output
    assert list(elsewhere.iterdir()) == []


def test_leftovers_of_a_killed_build_are_removed(sample: Sample) -> None:
    leftover = sample.deployment / f".{BUILD}.tmp-0123456789abcdef"
    (leftover / "half").mkdir(parents=True)
    unrelated = sample.deployment / f".{BUILD}.tmp-mine"
    unrelated.mkdir()
    assert run_cli(sample.deployment, "build").exit_code == 0
    assert not leftover.exists() and unrelated.exists()


def test_uninitialized_nested_submodule_is_reported_not_fatal(sample: Sample) -> None:
    # Overlay files under baselayer/ would need the nested repo for their status:
    # this deployment overlays nothing there.
    for path in ("baselayer/app/app_server.py", "baselayer/app/auth/IAMOAuth2.py"):
        (sample.overlay / path).unlink()
    text = sample.base_file.read_text()
    sample.base_file.write_text(
        "".join(ln for ln in text.splitlines(keepends=True) if "  baselayer/" not in ln)
    )
    git(sample.upstream, "submodule", "deinit", "-q", "-f", "baselayer")
    modules = sample.deployment / ".git" / "modules" / "skyportal" / "modules" / "baselayer"
    subprocess.run(["rm", "-rf", str(modules)], check=True)
    code, doc = _build(sample)
    assert code == 0, doc
    (skipped,) = doc["skipped_submodules"]
    assert skipped["path"] == "baselayer"
    assert skipped["hint"] == "git submodule update --init --recursive"
    output = sample.deployment / BUILD
    assert (output / "baselayer").is_dir() and list((output / "baselayer").iterdir()) == []
    assert _on_disk(output) == _expected(sample, sample.commits["s1"], nested=False)
    text = run_cli(sample.deployment, "build").output
    assert "warning: baselayer/ is empty in the build" in text


def _run_git(repo: Path, *args: str, data: bytes = b"") -> str:
    return (
        subprocess.run(
            ["git", *args], cwd=repo, input=data, capture_output=True, check=True, env=git_env()
        )
        .stdout.decode()
        .strip()
    )


@pytest.mark.parametrize("name", ["..", ".git", ".GIT"])
def test_a_hostile_upstream_tree_is_refused(sample: Sample, name: str) -> None:
    up, s1 = sample.upstream, sample.commits["s1"]
    blob = _run_git(up, "hash-object", "-w", "--stdin", data=b"escaped\n")
    inner = _run_git(up, "mktree", data=f"100644 blob {blob}\tescape.txt\n".encode())
    listing = _run_git(up, "ls-tree", s1) + f"\n040000 tree {inner}\t{name}\n"
    tree = _run_git(up, "mktree", "--missing", data=listing.encode())
    commit = _run_git(up, "commit-tree", tree, "-p", s1, "-m", "hostile")
    _run_git(up, "update-ref", "--no-deref", "HEAD", commit)
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    assert "refusing to materialize it" in result.output
    assert not (sample.deployment / "escape.txt").exists()
    assert not (sample.deployment / BUILD).exists() and _siblings(sample) == []


def test_excluded_overlay_files_are_still_deployed(sample: Sample) -> None:
    # exclude means "not merged or tracked in .overlay-base", not "not deployed":
    # a build that dropped them would lose files silently.
    data = sample.deployment / "extensions" / "skyportal" / "data" / "catalog.fits"
    data.parent.mkdir(parents=True)
    data.write_bytes(b"SIMPLE  =                    T\x00\x01")
    code, doc = _build(sample, "--allow-drift")
    assert code == 0, doc
    assert (sample.deployment / BUILD / "data" / "catalog.fits").read_bytes() == data.read_bytes()
    code, _ = _build(sample)  # unrecorded: drift ...
    assert code == 1
    result = run_cli(sample.deployment, "--exclude", "*.fits", "build", "--format", "json")
    assert result.exit_code == 0, result.output  # ... unless excluded, and still copied
    assert (sample.deployment / BUILD / "data" / "catalog.fits").read_bytes() == data.read_bytes()


def test_a_folder_no_build_made_is_never_replaced(sample: Sample) -> None:
    notes = sample.deployment / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("precious\n")
    result = run_cli(sample.deployment, "build", "--allow-drift", "notes")
    assert result.exit_code == 3 and "was not made by `overlay-merge build`" in result.output
    assert (notes / "todo.txt").read_text() == "precious\n"
    (notes / "todo.txt").unlink()  # an empty folder is fine to build into
    assert run_cli(sample.deployment, "build", "notes").exit_code == 0


def test_markers_in_an_unrecorded_file_refuse_the_build(sample: Sample) -> None:
    new = sample.deployment / "extensions" / "skyportal" / "skyportal" / "new.py"
    new.write_bytes(b"<<<<<<< overlay\na\n=======\nb\n>>>>>>> upstream 1234567\n")
    result = run_cli(sample.deployment, "build", "--allow-drift")
    assert result.exit_code == 3 and "skyportal/new.py" in result.output
