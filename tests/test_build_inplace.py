"""``build`` in place: a working folder, not a throw-away copy (docs/design.md §9).

What a build never wrote (``node_modules/``, ``config.yaml``, logs) stays byte
for byte; what an earlier build wrote and the new tree dropped is removed,
exactly; an unchanged rebuild writes nothing; symlinks planted in the build
dir are never written through.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import run_cli, tree_digest
from gitutil import commit_files
from test_build import BUILD, _expected, _on_disk

from overlay_merge.core.build import writer as writer_module
from overlay_merge.core.build.manifest import MANIFEST
from overlay_merge.demo import Sample

ARTIFACTS = {
    "node_modules/react/index.js": b"module.exports = {};\n",
    "node_modules/.bin/webpack": b"#!/bin/sh\n",
    "config.yaml": b"database:\n  password: secret\n",
    "log/app.log": b"started\n",
    "static/build/main.bundle.js": b"(()=>{})();\n",
}


def _build(sample: Sample, *args: str) -> dict:  # type: ignore[type-arg]
    result = run_cli(sample.deployment, "build", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    doc: dict = json.loads(result.output)  # type: ignore[type-arg]
    return doc


def _plant(output: Path) -> None:
    for rel, data in ARTIFACTS.items():
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        (output / rel).write_bytes(data)


def _artifacts(output: Path) -> dict[str, bytes]:
    return {rel: (output / rel).read_bytes() for rel in ARTIFACTS}


def _stats(top: Path) -> dict[str, tuple[int, int, int]]:
    return {
        p.relative_to(top).as_posix(): (p.lstat().st_ino, p.lstat().st_mtime_ns, p.lstat().st_mode)
        for p in top.rglob("*")
    }


def test_a_rebuild_keeps_untracked_artifacts_and_removes_exactly_what_the_tree_dropped(
    sample: Sample,
) -> None:
    output = sample.deployment / BUILD
    first = _build(sample)
    assert first["counts"]["written"] == len(first["written"]) > 0
    _plant(output)
    pin = commit_files(
        sample.upstream,
        {"README.md": None, "skyportal/app_server.py": None, "docs/new.md": b"# new\n"},
        "Upstream drops two files and adds one",
    )
    doc = _build(sample)
    assert sorted(doc["removed"]) == ["README.md", "skyportal/app_server.py"]
    assert doc["written"] == ["docs/new.md"]
    assert doc["counts"]["unchanged"] == first["counts"]["written"] - 2
    assert _artifacts(output) == ARTIFACTS  # byte for byte
    built = {k: v for k, v in _on_disk(output).items() if k not in ARTIFACTS}
    assert built == _expected(sample, pin)
    # Clean: the fresh folder, artifacts gone.
    doc = _build(sample, "--clean")
    assert doc["clean"] is True and _on_disk(output) == _expected(sample, pin)


def test_an_unchanged_rebuild_writes_nothing(sample: Sample) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    _plant(output)
    before = _stats(output)
    doc = _build(sample)
    assert doc["written"] == [] and doc["removed"] == []
    assert doc["manifest_written"] is False
    assert _stats(output) == before  # not a file replaced, not even the manifest


def test_a_file_edited_in_the_build_dir_is_rewritten_and_reported(sample: Sample) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    readme = output / "README.md"
    original = readme.read_bytes()
    os.utime(readme, ns=(1, 1))  # a touch alone: content is compared, nothing written
    assert _build(sample)["written"] == []
    readme.write_bytes(b"edited by hand\n")
    doc = _build(sample)
    assert doc["written"] == ["README.md"] and doc["edited"] == ["README.md"]
    assert readme.read_bytes() == original
    text = run_cli(sample.deployment, "build").output
    assert "in place: 0 written, 0 removed" in text


def test_an_edited_file_the_tree_dropped_is_kept(sample: Sample) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    (output / "README.md").write_bytes(b"my notes\n")
    commit_files(sample.upstream, {"README.md": None}, "drop the readme")
    doc = _build(sample)
    assert doc["kept"] == ["README.md"] and doc["removed"] == []
    assert (output / "README.md").read_bytes() == b"my notes\n"
    result = run_cli(sample.deployment, "build")
    assert "README.md" not in result.output  # no longer the build's: left alone silently
    manifest = json.loads((output / MANIFEST).read_bytes())
    assert "README.md" not in manifest["files"]


def test_a_symlink_planted_in_a_folder_of_the_build_is_never_written_through(
    sample: Sample, tmp_path: Path
) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (output / "skyportal" / "models").rename(tmp_path / "models-moved")
    os.symlink(elsewhere, output / "skyportal" / "models")
    commit_files(sample.upstream, {"skyportal/models/extra.py": b"x = 1\n"}, "new model")
    before = tree_digest(output)
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    assert "skyportal/models is a symlink in the build dir; refusing to write through it" in (
        result.output
    )
    assert len(result.output.strip().splitlines()) == 1
    assert list(elsewhere.iterdir()) == []
    assert tree_digest(output) == before  # refused before any write


def test_a_file_no_build_wrote_is_not_overwritten_unless_adopted(sample: Sample) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    (output / "config.yaml").write_bytes(b"mine\n")
    commit_files(sample.upstream, {"config.yaml": b"upstream's\n"}, "config")
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    assert "config.yaml: a file no build wrote is where the build writes one" in result.output
    assert "--adopt" in result.output
    assert (output / "config.yaml").read_bytes() == b"mine\n"
    doc = _build(sample, "--adopt")
    assert doc["adopted"] == ["config.yaml"]
    assert (output / "config.yaml").read_bytes() == b"upstream's\n"


def test_a_folder_no_build_made_can_be_adopted(sample: Sample) -> None:
    # The launcher's own `cp -a` output, node_modules and all.
    output = sample.deployment / BUILD
    output.mkdir()
    _plant(output)
    (output / "README.md").write_bytes(b"an old copy\n")
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3 and "--adopt" in result.output
    # --clean would throw the whole folder away: never for one no build made.
    assert run_cli(sample.deployment, "build", "--clean", "--adopt").exit_code == 3
    assert _artifacts(output) == ARTIFACTS
    doc = _build(sample, "--adopt")
    assert "README.md" in doc["adopted"]
    assert _artifacts(output) == ARTIFACTS
    assert _build(sample)["written"] == []  # from now on a build of ours


def test_a_file_becoming_a_folder_and_back(sample: Sample) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    commit_files(
        sample.upstream, {"README.md": None, "README.md/index.md": b"# now a folder\n"}, "dir"
    )
    doc = _build(sample)
    assert doc["removed"] == ["README.md"] and doc["written"] == ["README.md/index.md"]
    commit_files(sample.upstream, {"README.md/index.md": None}, "empty")
    (sample.upstream / "README.md").rmdir()
    commit_files(sample.upstream, {"README.md": b"# a file again\n"}, "file")
    doc = _build(sample)
    assert (output / "README.md").read_bytes() == b"# a file again\n"
    (output / "README.md").unlink()
    (output / "README.md").mkdir()
    (output / "README.md" / "mine.txt").write_bytes(b"mine\n")
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3 and "a folder where the build writes a file" in result.output
    assert (output / "README.md" / "mine.txt").read_bytes() == b"mine\n"


def test_a_failed_in_place_build_leaves_a_usable_folder_and_says_so(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    _plant(output)
    new = {f"docs/page{i}.md": f"page {i}\n".encode() for i in range(6)}
    pin = commit_files(sample.upstream, {**new, "README.md": None}, "docs")
    real_write = writer_module._write_file
    calls: list[str] = []

    def failing_write(
        folder: int, name: str, data: bytes, mode: int, *, direct: bool, umask: int
    ) -> None:
        calls.append(name)
        if len(calls) == 4:
            raise OSError(28, "No space left on device", name)
        real_write(folder, name, data, mode, direct=direct, umask=umask)

    monkeypatch.setattr(writer_module, "_write_file", failing_write)
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    line = result.output.strip()
    assert "No space left on device" in line
    assert "stopped after 3 of 6 writes and 1 of 1 removals" in line
    assert "run `overlay-merge build` again" in line
    manifest = json.loads((output / MANIFEST).read_bytes())["files"]
    assert "README.md" not in manifest and sum(p.startswith("docs/") for p in manifest) == 3
    monkeypatch.setattr(writer_module, "_write_file", real_write)
    doc = _build(sample)
    assert len(doc["written"]) == 3 and doc["adopted"] == []
    built = {k: v for k, v in _on_disk(output).items() if k not in ARTIFACTS}
    assert built == _expected(sample, pin)
    assert not [p for p in output.rglob("*.om-build.tmp")]


def test_exec_bit_and_link_changes_are_written(sample: Sample) -> None:
    output = sample.deployment / BUILD
    _build(sample)
    commit_files(
        sample.upstream,
        {"README.md": b"#!/bin/sh\n", "docs/link": b"../README.md"},
        "modes",
        modes={"README.md": 0o755, "docs/link": stat.S_IFLNK},
    )
    doc = _build(sample)
    assert sorted(doc["written"]) == ["README.md", "docs/link"]
    assert (output / "README.md").stat().st_mode & 0o100
    assert os.readlink(output / "docs" / "link") == "../README.md"
    commit_files(
        sample.upstream, {"docs/link": b"elsewhere"}, "retarget", modes={"docs/link": stat.S_IFLNK}
    )
    assert _build(sample)["written"] == ["docs/link"]
    assert os.readlink(output / "docs" / "link") == "elsewhere"


@pytest.mark.parametrize("swap_while_writing", ["README.md", "app_server.py"])
def test_a_folder_swapped_for_a_symlink_during_the_build_is_not_written_through(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swap_while_writing: str
) -> None:
    # The folders are checked before the first write; a process that swaps one for a
    # link afterwards must not redirect a write: every write goes through descriptors of
    # folders opened without following links.  Swapped before the build reaches that
    # folder: refused.  Swapped while writing into it (after its check): the write lands
    # in the folder that was opened, never where the link points.
    output = sample.deployment / BUILD
    _build(sample)
    commit_files(
        sample.upstream,
        {"README.md": b"# changed\n", "skyportal/app_server.py": b"# changed\n"},
        "Upstream changes a file at the top and one in a folder",
    )
    outside, moved = tmp_path / "outside", tmp_path / "moved"
    outside.mkdir()
    real_write = writer_module._write_file

    def swapping_write(
        folder: int, name: str, data: bytes, mode: int, *, direct: bool, umask: int
    ) -> None:
        if name == swap_while_writing:
            (output / "skyportal").rename(moved)
            (output / "skyportal").symlink_to(outside)
        real_write(folder, name, data, mode, direct=direct, umask=umask)

    monkeypatch.setattr(writer_module, "_write_file", swapping_write)
    result = run_cli(sample.deployment, "build")
    assert list(outside.iterdir()) == []
    if swap_while_writing == "README.md":
        assert result.exit_code == 3, result.output
        assert "skyportal is not a folder (a symlink or a file appeared during the build)" in (
            result.output
        )
        assert (moved / "app_server.py").read_bytes() != b"# changed\n"
    else:
        assert result.exit_code == 0, result.output
        assert (moved / "app_server.py").read_bytes() == b"# changed\n"
