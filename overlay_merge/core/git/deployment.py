"""The deployment's own repository: the pin its HEAD records, its files, its index.

The index is where a bump registers its conflicts (stages 1/2/3, read by
``git mergetool`` and editors' merge views) and where abort restores them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2

from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.model import MODE_GITLINK, MODE_TREE


@dataclass
class DeploymentRepo:
    """The deployment's own repository: its HEAD's gitlinks, later its index."""

    repo: pygit2.Repository
    root: Path

    def recorded_gitlink(self, path: str) -> str:
        """The upstream commit the deployment's HEAD records at *path* (what CI checks out)."""
        if self.repo.head_is_unborn:
            raise OverlayMergeError(
                f"{self.root}: the deployment has no commit yet, so no pin is recorded",
                f"commit the upstream submodule first: `git add {quote(path)} && git commit`",
            )
        tree = self.repo.head.peel(pygit2.Commit).tree
        try:
            obj = tree[path]
        except KeyError:
            obj = None
        if obj is None or obj.filemode != MODE_GITLINK:
            raise OverlayMergeError(
                f"{path}: HEAD of the deployment records no submodule there",
                f"add the upstream as a submodule: `git submodule add <url> {quote(path)}`",
            )
        return str(obj.id)

    def head_blob(self, path: str) -> bytes | None:
        """The bytes of file *path* in the deployment's HEAD commit (a symlink: its target).

        None when there is no commit yet, HEAD has no file there, or its blob
        is not available locally (a partial clone): nothing to read.
        """
        try:
            if self.repo.head_is_unborn:
                return None
            obj = self.repo.head.peel(pygit2.Commit).tree[path]
            blob = obj if isinstance(obj, pygit2.Blob) else self.repo[obj.id]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return blob.data if isinstance(blob, pygit2.Blob) else None

    def _write_index(self, index: pygit2.Index) -> None:
        try:
            index.write()
        except pygit2.GitError as exc:
            raise _git_failed(str(self.root), exc, self.repo.path) from None

    def lock_file(self) -> Path | None:
        """The index lock of the deployment if one exists (another git process, or a crash)."""
        lock = self.git_dir / "index.lock"
        return lock if lock.exists() else None

    @property
    def git_dir(self) -> Path:
        """The deployment's git directory (``.git``, or a worktree's)."""
        return Path(self.repo.path)

    @property
    def index_path(self) -> Path:
        """The deployment's index file."""
        return self.git_dir / "index"

    def dirty_paths(self, prefixes: tuple[str, ...]) -> list[str]:
        """Paths under *prefixes* with uncommitted changes, untracked files included."""
        dirty: list[str] = []
        for path, flag in self.repo.status(untracked_files="all", ignored=False).items():
            if flag == 0:
                continue
            if any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes):
                dirty.append(path)
        return sorted(dirty)

    def tracked_under(self, prefix: str) -> str | None:
        """A path the deployment's index tracks at or below *prefix*, or None."""
        index = self.repo.index
        index.read()
        below = prefix.rstrip("/") + "/"
        for entry in index:
            if entry.path == prefix or entry.path.startswith(below):
                return str(entry.path)
        return None

    def unmerged_paths(self) -> list[str]:
        """Paths registered as unmerged (conflict stages) in the deployment's index."""
        index = self.repo.index
        index.read()
        conflicts = index.conflicts
        if conflicts is None:
            return []
        paths = set()
        for stages in conflicts:
            for entry in stages:
                if entry is not None:
                    paths.add(entry.path)
        return sorted(paths)

    def register_conflict(
        self,
        path: str,
        base: tuple[bytes, int] | None,
        ours: tuple[bytes, int] | None,
        theirs: tuple[bytes, int] | None,
    ) -> None:
        """Record *path* as unmerged in the index: stages 1/2/3 = base/overlay/upstream.

        The blobs go into the deployment's object store, where ``git mergetool``
        and editors' merge views read them.
        """

        def entry(side: tuple[bytes, int] | None) -> pygit2.IndexEntry | None:
            if side is None:
                return None
            return pygit2.IndexEntry(
                path, self.repo.create_blob(side[0]), pygit2.enums.FileMode(side[1])
            )

        index = self.repo.index
        index.read()
        _add_conflict(index, (entry(base), entry(ours), entry(theirs)))
        self._write_index(index)

    def restore_index_entries(self, backup: Path, paths: Sequence[str]) -> None:
        """Put the entries of *paths* back as the index file *backup* has them.

        Every other entry stays as it is now: what was staged or committed
        after the backup was taken is kept.  When no other entry changed
        since, the backup's bytes come back whole (the index exactly as it was).
        """
        saved = pygit2.Index(os.fspath(backup))
        index = self.repo.index
        index.read()
        if _entries_outside(saved, paths) == _entries_outside(index, paths):
            write_bytes_atomic(self.index_path, backup.read_bytes())
            return
        saved_conflicts = saved.conflicts
        for path in paths:
            if index.conflicts is not None and path in index.conflicts:
                del index.conflicts[path]
            if path in index:
                index.remove(path)
            if saved_conflicts is not None and path in saved_conflicts:
                _add_conflict(index, saved_conflicts[path])
            elif path in saved:
                index.add(saved[path])
        self._write_index(index)

    def clear_conflict(self, path: str) -> None:
        """Drop *path*'s conflict stages; put back HEAD's entry so the file reads as modified."""
        index = self.repo.index
        index.read()
        conflicts = index.conflicts
        if conflicts is not None and path in conflicts:
            del conflicts[path]
        if not self.repo.head_is_unborn:
            tree = self.repo.head.peel(pygit2.Commit).tree
            try:
                obj = tree[path]
            except KeyError:
                obj = None
            if obj is not None and obj.filemode not in (MODE_TREE, MODE_GITLINK):
                index.add(pygit2.IndexEntry(path, obj.id, obj.filemode))
        self._write_index(index)


def _add_conflict(
    index: pygit2.Index,
    stages: tuple[pygit2.IndexEntry | None, pygit2.IndexEntry | None, pygit2.IndexEntry | None],
) -> None:
    """Register *stages* (base, ours, theirs) of one path as unmerged in *index*.

    libgit2's add_conflict does not invalidate the cached tree of the path's
    folders, so for a path the index never had (a renamed file) git would
    trust the stale cache: `git status` then lists untouched files as new and
    hides the unmerged one.  Adding a stage-0 entry first invalidates them;
    add_conflict then replaces it.
    """
    ancestor, ours, theirs = stages
    index.add(next(e for e in stages if e is not None))
    # libgit2 takes a missing side (no ancestor for add/add, no ours or theirs for
    # a deletion); pygit2's annotation asks for an entry.
    index.add_conflict(ancestor, ours, theirs)  # type: ignore[arg-type]


def _entries_outside(index: pygit2.Index, paths: Sequence[str]) -> set[tuple[bool, str, str, int]]:
    """Every entry of *index* whose path is not in *paths*: ``(unmerged, path, id, mode)``."""
    skip = set(paths)
    found = {(False, e.path, str(e.id), e.mode) for e in index if e.path not in skip}
    for stages in index.conflicts or ():
        found |= {
            (True, e.path, str(e.id), e.mode)
            for e in stages
            if e is not None and e.path not in skip
        }
    return found


def open_deployment(root: Path) -> DeploymentRepo:
    """Open the deployment repository at *root*."""
    try:
        repo = pygit2.Repository(str(root), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
    except pygit2.GitError:
        raise OverlayMergeError(
            f"{root}: not a git repository", "run overlay-merge inside your deployment repository"
        ) from None
    return DeploymentRepo(repo, root)


def _git_failed(display: str, exc: Exception, git_dir: str) -> OverlayMergeError:
    """A libgit2 failure while writing the index (a lock held by another git...)."""
    lock = Path(git_dir) / "index.lock"
    if lock.exists():
        return OverlayMergeError(
            f"{display}: {lock} exists: another git process is running, or one crashed",
            f"wait for it, or remove {quote(lock)} if no git process runs, then retry",
        )
    return OverlayMergeError(f"{display}: git failed: {exc}", "`overlay-merge abort` restores")
