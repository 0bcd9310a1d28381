"""The ``git`` executable as the oracle of the git layer's tests (tests/test_git_*.py).

The oracle is always the ``git`` executable run on the same repositories:
``git show REV:path``, ``git ls-tree``, ``git rev-parse``, ``git diff
--name-status -M``, ``git rev-list``.  Variations of the sample (symlinks,
exec bits, trees where files used to be) are built with the sample generator's
git helpers.
"""

from __future__ import annotations

import stat
from pathlib import Path

from gitutil import GitCommandError, commit_files, git, git_bytes

from overlay_merge.core.git.model import Change
from overlay_merge.core.git.upstream import UpstreamRepo, open_upstream
from overlay_merge.demo import Sample

NESTED = "baselayer"
NESTED_FILE = "app/app_server.py"
UNSHALLOW_HINT = "git -C skyportal fetch --unshallow"

# --- the oracle ---------------------------------------------------------------------


def ls_tree(repo: Path, rev: str, *, recursive: bool = False) -> dict[str, tuple[int, str]]:
    """``git ls-tree [-r] REV``: path -> (mode, object id), gitlinks and trees included."""
    args = ["ls-tree", "-z", "--full-tree", *(["-r"] if recursive else []), rev]
    out = git_bytes(repo, *args).decode("utf-8")
    entries: dict[str, tuple[int, str]] = {}
    for record in filter(None, out.split("\0")):
        meta, path = record.split("\t", 1)
        mode, _kind, oid = meta.split()
        entries[path] = (int(mode, 8), oid)
    return entries


def ls_path(repo: Path, rev: str, path: str) -> tuple[int, str] | None:
    """``git ls-tree REV -- path``: the entry at *path* itself (a blob, tree or gitlink)."""
    out = git_bytes(repo, "ls-tree", "-z", "--full-tree", rev, "--", path).decode("utf-8")
    for record in filter(None, out.split("\0")):
        meta, found = record.split("\t", 1)
        if found == path:
            mode, _kind, oid = meta.split()
            return int(mode, 8), oid
    return None


def show(repo: Path, rev: str, path: str) -> bytes:
    """``git show REV:path``, bytes untouched."""
    return git_bytes(repo, "show", f"{rev}:{path}")


def rev_parse(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", "--verify", "--end-of-options", rev)


def name_status(repo: Path, old: str, new: str) -> set[tuple[str, str, str | None]]:
    """``git diff --name-status -M OLD NEW`` as (status letter, path, old path or None)."""
    out = git_bytes(repo, "diff", "--name-status", "-M", "-z", old, new).decode("utf-8")
    fields = iter(out.split("\0"))
    result: set[tuple[str, str, str | None]] = set()
    for status in fields:
        if not status:
            continue
        if status[0] in "RC":
            old_path, new_path = next(fields), next(fields)
            result.add((status[0], new_path, old_path))
        else:
            result.add((status[0], next(fields), None))
    return result


def is_ancestor_by_git(repo: Path, older: str, newer: str) -> bool:
    try:
        git(repo, "merge-base", "--is-ancestor", older, newer)
    except GitCommandError as exc:
        if exc.returncode == 1:
            return False
        raise
    return True


def as_set(changes: list[Change]) -> set[tuple[str, str, str | None]]:
    return {(c.status, c.path, c.old_path) for c in changes}


# --- helpers ------------------------------------------------------------------------


def upstream_of(sample: Sample) -> UpstreamRepo:
    return open_upstream(sample.deployment, "skyportal")


def nested_checkout(sample: Sample) -> Path:
    return sample.upstream / NESTED


def nested_gitdir(sample: Sample) -> Path:
    return Path(git(nested_checkout(sample), "rev-parse", "--absolute-git-dir"))


def upstream_variations(sample: Sample) -> dict[str, str]:
    """Upstream commits on top of s1 (in the sample's own upstream checkout).

    v1 adds a symlink, an executable script and binary bytes; v2 clears the
    exec bit of tools/check_env.sh, edits the script and turns the file
    skyportal/models/group.py into a folder.
    """
    upstream = sample.upstream
    v1 = commit_files(
        upstream,
        {
            "docs/latest": b"../README.md",
            "tools/run.sh": b"#!/bin/sh\necho run\n",
            "data/blob.bin": bytes(range(256)) * 2,
        },
        "symlink, script and binary",
        modes={"docs/latest": stat.S_IFLNK, "tools/run.sh": 0o755},
    )
    v2 = commit_files(
        upstream,
        {
            "tools/run.sh": b"#!/bin/sh\necho run twice\necho run\n",
            "skyportal/models/group.py": None,
            "skyportal/models/group.py/__init__.py": b"from .model import Group\n",
        },
        "exec bit off, a file becomes a folder",
        modes={"tools/check_env.sh": 0o644},
    )
    return {"v1": v1, "v2": v2}
