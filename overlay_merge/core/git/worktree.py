"""An upstream's working tree: its HEAD, its edits, what a checkout would destroy, the checkout."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git import command
from overlay_merge.core.git.model import INIT_HINT, MODE_TREE, Entry, TreeDelta
from overlay_merge.core.git.trees import Trees

if TYPE_CHECKING:
    from typing_extensions import Self


class Worktree(Trees):
    """:class:`Trees` plus the working tree checked out from the repository."""

    def branch_commit(self, ref: str) -> str | None:
        """The commit branch *ref* (``refs/heads/x``) points at, or None if it is gone."""
        try:
            return str(self.repo.references[ref].peel(pygit2.Commit).id)
        except (KeyError, pygit2.InvalidSpecError):
            return None

    def head_state(self) -> tuple[str | None, str]:
        """``(symbolic ref or None when detached, commit)`` of HEAD, to restore it exactly."""
        ref = None if self.repo.head_is_detached else self.repo.head.name
        return ref, self.head()

    def dirty_files(self) -> list[str]:
        """Tracked files whose working-tree or index state differs from HEAD, as git says.

        Asked of git itself, which honours skip-worktree entries (a sparse
        checkout's files outside its set are not "deleted"); untracked and
        ignored files are :meth:`checkout_obstacles`' business.  A nested
        submodule counts through the files modified inside it
        (``baselayer/app/x.py``), not through its HEAD: a submodule checked out
        elsewhere than its gitlink is how a bump leaves it, not a user edit.
        """
        if self.workdir is None:
            return []
        dirty = command.modified_paths(self.workdir, display=self.display)
        for path in self.submodule_paths(self.head()):
            nested = self._initialized_nested(path)
            if nested is not None:
                dirty += [f"{path}/{inner}" for inner in nested.dirty_files()]
        return sorted(dirty)

    def tree_delta(self, old: str, new: str) -> list[TreeDelta]:
        """Every path of this repository whose entry differs between commits *old* and *new*.

        Files, symlinks and gitlinks (a nested submodule is one entry here,
        not its files); no rename detection.  This is exactly what a checkout
        from *old* to *new* writes, replaces or removes.
        """
        diff = self.tree(old).diff_to_tree(
            self.tree(new), flags=pygit2.enums.DiffOption.INCLUDE_TYPECHANGE
        )
        deltas: dict[str, TreeDelta] = {}
        for delta in diff.deltas:
            for side in (delta.old_file, delta.new_file):
                if side.mode == 0 or side.path in deltas:
                    continue
                deltas[side.path] = TreeDelta(
                    side.path,
                    self._tree_entry(old, side.path),
                    self._tree_entry(new, side.path),
                )
        return sorted(deltas.values(), key=lambda d: d.path)

    def _tree_entry(self, sha: str, path: str) -> Entry | None:
        """The file, symlink or gitlink entry at *path* of *sha* in this repository only."""
        try:
            obj = self.tree(sha)[path]
        except KeyError:
            return None
        if obj.filemode == MODE_TREE:
            return None
        return Entry(str(obj.id), int(obj.filemode))

    def checkout_obstacles(self, old: str, new: str) -> list[str]:
        """Untracked or ignored files that a checkout from *old* to *new* would destroy.

        Git itself overwrites ignored files without a word, and libgit2's
        forced checkout anything at all; a bump must lose nothing.  Looked
        at: every path the checkout writes (a file there that *old* does not
        track), every folder it must create on the way (a file or symlink
        where the folder goes), and every folder it replaces with a file or
        submodule (untracked files inside it).  Nested submodules are asked
        separately, at their own commits.
        """
        root = self.workdir
        if root is None:
            return []
        found: set[str] = set()
        checked_parents: set[str] = set()
        for delta in self.tree_delta(old, new):
            if delta.new is None:
                continue
            found.update(self._parent_obstacles(old, delta.path, checked_parents))
            if delta.old is None:
                found.update(self._obstacles_at(old, delta.path))
        return sorted(found)

    def _parent_obstacles(self, old: str, path: str, checked: set[str]) -> list[str]:
        """Files or symlinks, untracked at *old*, where a folder of *path* must be created."""
        assert self.workdir is not None
        parts = path.split("/")[:-1]
        found = []
        for depth in range(1, len(parts) + 1):
            parent = "/".join(parts[:depth])
            if parent in checked:
                continue
            checked.add(parent)
            full = self.workdir / parent
            if full.is_dir() and not full.is_symlink():
                continue
            if os.path.lexists(full) and self._tree_entry(old, parent) is None:
                found.append(parent)
        return found

    def _obstacles_at(self, old: str, path: str) -> list[str]:
        """What is at *path* (not tracked at *old*) that writing *path* would destroy."""
        assert self.workdir is not None
        full = self.workdir / path
        if not os.path.lexists(full):
            return []
        if not full.is_dir() or full.is_symlink():
            return [path]
        # A folder where the new commit puts a file: git empties it of the
        # files *old* tracks; anything else inside is lost with it.
        inside = []
        for folder, dirs, files in os.walk(full):
            for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(folder, d)))]:
                rel = Path(folder, name).relative_to(self.workdir).as_posix()
                if self.entry(old, rel) is None:
                    inside.append(rel)
        return inside

    def _initialized_nested(self, path: str) -> Self | None:
        try:
            nested = self.nested(path, self.head())
        except OverlayMergeError:
            return None
        return nested if nested.workdir is not None else None

    def lock_file(self) -> Path | None:
        """The index lock of this repository if one exists (another git process, or a crash)."""
        lock = Path(self.repo.path) / "index.lock"
        return lock if lock.exists() else None

    def checkout(self, sha: str, ref: str | None = None, *, force: bool = False) -> None:
        """Move the working tree to commit *sha*, HEAD to branch *ref* or detached, with git.

        git does it, not libgit2: it honours sparse checkouts, fetches a
        partial clone's missing blobs, runs filters and LFS as configured,
        and without *force* refuses before writing anything if a file would
        be lost (the bump's pre-flight has made sure none is).
        """
        if self.workdir is None:
            raise OverlayMergeError(f"{self.display}: has no working tree", INIT_HINT)
        command.checkout(self.workdir, sha, ref, force=force, display=self.display)
