"""The bump's pre-flight, attacked: whatever stands where the checkout writes is kept.

Each attack puts something of the user's where moving the upstream would
write a file, create a folder or empty one, and checks that the bump exits
3 before writing anything (every byte, the index and the HEADs unchanged,
no journal), and that with --force the thing is backed up and ``abort``
gives it back byte for byte.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import run_cli
from gitutil import commit_files, git
from test_bump import _state
from test_cli import assert_one_line_error

from overlay_merge.demo import Sample


def _target_adding(sample: Sample, files: dict[str, bytes], **kwargs: object) -> str:
    """A new upstream commit on top of s2 with *files*; the upstream is put back as it was."""
    upstream = sample.upstream
    branch = git(upstream, "symbolic-ref", "-q", "HEAD")
    git(upstream, "checkout", "-q", "--detach", sample.commits["s2"])
    target = commit_files(upstream, files, "a target that adds things", **kwargs)  # type: ignore[arg-type]
    git(upstream, "checkout", "-q", branch.removeprefix("refs/heads/"))
    git(upstream, "submodule", "update", "-q")
    return target


def _place(root: Path, rel: str, kind: str) -> None:
    full = root / rel
    full.parent.mkdir(parents=True, exist_ok=True)
    if kind == "file":
        full.write_bytes(b"the user's own notes\n")
    elif kind == "symlink":
        os.symlink("/etc/hostname", full)
    elif kind == "folder":
        full.mkdir()
        (full / "keep.txt").write_bytes(b"the user's file inside\n")


def _journal(sample: Sample) -> Path:
    return sample.deployment / ".git" / "overlay-merge" / "bump" / "journal.json"


# (what the target adds, where the user's thing is, what it is)
ATTACKS = [
    pytest.param("newpkg/mod.py", "newpkg", "file", id="file-where-a-folder-goes"),
    pytest.param("a/b/c.py", "a/b", "file", id="file-where-a-deep-folder-goes"),
    pytest.param("a/b/c.py", "a", "file", id="file-where-a-parent-folder-goes"),
    pytest.param("newpkg/mod.py", "newpkg", "symlink", id="symlink-where-a-folder-goes"),
    pytest.param("newdoc.md", "newdoc.md", "file", id="file-where-a-file-goes"),
    pytest.param("newdoc.md", "newdoc.md", "symlink", id="symlink-where-a-file-goes"),
    pytest.param("newdoc.md", "newdoc.md", "folder", id="folder-where-a-file-goes"),
]


@pytest.mark.parametrize(("adds", "where", "kind"), ATTACKS)
def test_untracked_things_in_the_checkouts_way_are_refused(
    sample: Sample, adds: str, where: str, kind: str
) -> None:
    target = _target_adding(sample, {adds: b"print('new upstream module')\n"})
    _place(sample.upstream, where, kind)
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", target, "--choice", "merge")
    assert_one_line_error(result, "untracked, and the target puts a file or folder there")
    assert f"skyportal/{where}" in result.stderr
    assert _state(sample) == before
    assert not _journal(sample).exists()


@pytest.mark.parametrize(("adds", "where", "kind"), ATTACKS)
def test_with_force_they_are_backed_up_and_abort_gives_them_back(
    sample: Sample, adds: str, where: str, kind: str
) -> None:
    target = _target_adding(sample, {adds: b"print('new upstream module')\n"})
    _place(sample.upstream, where, kind)
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", target, "--choice", "merge", "--force")
    assert result.exit_code == 1, result.output  # the sample's conflicts
    assert (sample.upstream / adds).read_bytes() == b"print('new upstream module')\n"
    aborted = run_cli(sample.deployment, "abort")
    assert aborted.exit_code == 0, aborted.output
    assert _state(sample) == before


def test_an_ignored_file_where_the_target_adds_one_is_refused(sample: Sample) -> None:
    # git itself overwrites ignored files without a word.
    target = _target_adding(sample, {"build.log": b"upstream's\n"})
    exclude = sample.deployment / ".git" / "modules" / "skyportal" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    exclude.write_text("*.log\n")
    (sample.upstream / "build.log").write_bytes(b"mine, ignored\n")
    assert git(sample.upstream, "status", "--porcelain") == ""
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", target, "--choice", "update")
    assert_one_line_error(result, "skyportal/build.log: untracked")
    assert _state(sample) == before


def test_a_folder_the_target_turns_into_a_file_keeps_its_untracked_files(
    sample: Sample,
) -> None:
    # The pin tracks tools/ (one file); the target replaces the folder with a file.
    tracked = git(sample.upstream, "ls-files", "tools").splitlines()
    assert tracked, "the sample's upstream has a tools/ folder"
    upstream = sample.upstream
    git(upstream, "checkout", "-q", "--detach", sample.commits["s2"])
    commit_files(upstream, dict.fromkeys(tracked), "tools/ goes")
    if (upstream / "tools").is_dir():
        (upstream / "tools").rmdir()
    target = commit_files(upstream, {"tools": b"a file now\n"}, "tools is a file")
    git(upstream, "checkout", "-q", "main")
    git(upstream, "submodule", "update", "-q")
    (sample.upstream / "tools" / "my-script.sh").write_bytes(b"#!/bin/sh\necho mine\n")
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", target, "--choice", "update")
    assert_one_line_error(result, "skyportal/tools/my-script.sh: untracked")
    assert _state(sample) == before


def test_untracked_files_where_a_nested_submodule_moves_are_refused(sample: Sample) -> None:
    # A target whose nested baselayer adds newmod/x.py; the user has a file `newmod`.
    nested = sample.upstream / "baselayer"
    nested_head = git(nested, "rev-parse", "HEAD")
    git(nested, "checkout", "-q", "--detach", sample.commits["b2"])
    added = commit_files(nested, {"newmod/x.py": b"x = 1\n"}, "a new module")
    git(nested, "checkout", "-q", "--detach", nested_head)
    upstream = sample.upstream
    git(upstream, "checkout", "-q", "--detach", sample.commits["s2"])
    git(upstream, "update-index", "--cacheinfo", f"160000,{added},baselayer")
    target = commit_files(upstream, {}, "baselayer with newmod")
    git(upstream, "checkout", "-q", "main")
    git(upstream, "submodule", "update", "-q")
    (nested / "newmod").write_bytes(b"the user's notes\n")
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", target, "--choice", "merge")
    assert_one_line_error(result, "skyportal/baselayer/newmod: untracked")
    assert _state(sample) == before
    forced = run_cli(sample.deployment, "bump", target, "--choice", "merge", "--force")
    assert forced.exit_code == 1, forced.output
    assert (nested / "newmod" / "x.py").read_bytes() == b"x = 1\n"
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


def test_a_sparse_checkout_is_not_uncommitted_changes(sample: Sample) -> None:
    # Files outside the sparse set are skip-worktree: absent, and not "deleted".
    git(sample.upstream, "update-index", "-q", "--refresh")  # the copied tree's stat data
    git(sample.upstream, "sparse-checkout", "set", "--no-cone", "/*", "!/static/")
    assert not (sample.upstream / "static").exists()
    assert git(sample.upstream, "status", "--porcelain") == ""
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert result.exit_code == 1, result.output
    assert not (sample.upstream / "static").exists()  # git kept the sparse set
    assert git(sample.upstream, "rev-parse", "HEAD") == sample.commits["s2"]
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before
    assert git(sample.upstream, "status", "--porcelain") == ""


def test_an_upstream_symlink_the_target_adds_over_a_users_file_is_refused(
    sample: Sample,
) -> None:
    target = _target_adding(sample, {"docs-link": b"README.md"}, modes={"docs-link": stat.S_IFLNK})
    (sample.upstream / "docs-link").write_bytes(b"mine\n")
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", target, "--choice", "update")
    assert_one_line_error(result, "skyportal/docs-link: untracked")
    assert _state(sample) == before


def test_a_plan_made_before_the_overlay_changed_is_refused(sample: Sample) -> None:
    # The bump screen plans, then waits; another writer (or an editor) may
    # change the overlay before the maintainer presses `m`.
    from overlay_merge.core.apply import apply_merge  # noqa: PLC0415
    from overlay_merge.core.deployment import open_at  # noqa: PLC0415
    from overlay_merge.core.errors import OverlayMergeError  # noqa: PLC0415
    from overlay_merge.core.layout import load_layout  # noqa: PLC0415
    from overlay_merge.core.plan import plan_bump  # noqa: PLC0415

    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment)
    edited = sample.overlay / "skyportal" / "initial_setup.py"
    edited.write_bytes(edited.read_bytes() + b"# edited while the screen was open\n")
    git(sample.deployment, "commit", "-qam", "edited meanwhile")
    before = _state(sample)
    with pytest.raises(OverlayMergeError, match="changed since the plan was made"):
        apply_merge(deployment, plan)
    assert _state(sample) == before


def test_a_nested_edit_names_the_nested_repository_in_the_fix(sample: Sample) -> None:
    # `git -C skyportal stash` does not reach into skyportal/baselayer.
    nested_file = next(p for p in (sample.upstream / "baselayer").rglob("*.py"))
    nested_file.write_bytes(nested_file.read_bytes() + b"# local edit\n")
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert_one_line_error(result, "uncommitted changes in the upstream working tree")
    assert "`git -C skyportal/baselayer stash`" in result.stderr


def test_a_nested_submodule_that_does_not_move_is_not_reported(sample: Sample) -> None:
    # A target that keeps baselayer where the pin has it, with baselayer not initialized.
    upstream = sample.upstream
    git(upstream, "checkout", "-q", "--detach", sample.commits["s2"])
    git(upstream, "update-index", "--cacheinfo", f"160000,{sample.commits['b1']},baselayer")
    target = commit_files(upstream, {}, "keep baselayer at b1")
    git(upstream, "checkout", "-q", "main")
    git(upstream, "submodule", "update", "-q")
    git(upstream, "submodule", "deinit", "-q", "-f", "baselayer")
    # Never initialized, as Icare's skyportal-data: no repository for it at all.
    modules = sample.deployment / ".git" / "modules" / "skyportal" / "modules" / "baselayer"
    shutil.rmtree(modules)
    overlay_nested = [p for p in sample.overlay.joinpath("baselayer").rglob("*") if p.is_file()]
    for path in overlay_nested:  # nested overlay files need baselayer's objects
        path.unlink()
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "no baselayer overlay files")
    run_cli(sample.deployment, "init", "--prune")
    git(sample.deployment, "commit", "-qam", "prune")
    result = run_cli(sample.deployment, "bump", target, "--choice", "update")
    assert result.exit_code == 5, result.output
    assert "baselayer not moved" not in result.output
