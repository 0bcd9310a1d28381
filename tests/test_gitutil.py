"""The tests' own git helper (tests/gitutil.py): deterministic commits in real repositories."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from gitutil import EPOCH, GitCommandError, commit_files, git, git_bytes

from overlay_merge.demo import SAMPLE_EPOCH


def test_commit_files_helper(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    first = commit_files(
        repo, {"a.txt": b"one\n", "bin/run": b"#!/bin/sh\n"}, "first", modes={"bin/run": 0o755}
    )
    second = commit_files(
        repo,
        {"a.txt": None, "b.txt": b"two\r\n", "link": b"b.txt"},
        "second",
        modes={"link": stat.S_IFLNK},
    )
    assert git(repo, "rev-parse", f"{second}~1") == first
    assert git(repo, "ls-tree", "--name-only", second).splitlines() == ["b.txt", "bin", "link"]
    assert git(repo, "ls-tree", second, "bin/run").startswith("100755 ")
    assert git(repo, "ls-tree", second, "link").startswith("120000 ")
    assert git_bytes(repo, "show", f"{second}:b.txt") == b"two\r\n"
    times = git(repo, "log", "--format=%ct %an", second).splitlines()
    assert times == [
        f"{EPOCH + 3600} Sample Maintainer",
        f"{EPOCH} Sample Maintainer",
    ]
    assert git(repo, "status", "--porcelain") == ""
    with pytest.raises(ValueError, match="unsafe path"):
        commit_files(repo, {"../escape": b"x"}, "bad")


def test_git_error_names_stderr(tmp_path: Path) -> None:
    with pytest.raises(GitCommandError, match="not a git repository"):
        git(tmp_path, "rev-parse", "HEAD")


def test_git_ignores_callers_git_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As inside a git hook: GIT_DIR must not redirect the helpers.
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit_files(repo, {"f": b"x\n"}, "c")
    assert (repo / ".git").is_dir() and not (tmp_path / "elsewhere").exists()


def test_first_commit_date_is_the_demos() -> None:
    # A commit a test makes on the sample continues its history in the same style.
    assert EPOCH == SAMPLE_EPOCH
