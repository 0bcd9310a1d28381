"""Where upstream moved a file: rename detection for a few paths, not the whole tree.

Two ways, for files of an old commit gone at a new one: :meth:`Renames.follow_renames`
follows each file through the history between them, the way ``git log --follow``
does, and sees a rename at the commit that made it, however much later commits
rewrote the file; :meth:`Renames.find_renames` compares only the two commits
(what is left when that history is not in the clone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pygit2

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.changes import Changes
from overlay_merge.core.git.diff import line_changes
from overlay_merge.core.git.model import MODE_GITLINK, MODE_TREE, RenameStep, RenameTrail

MAX_CANDIDATES = 50  # files compared with one that vanished; most likely first


@dataclass
class _Walk:
    """The commits between two, oldest first: id, parents and tree of each."""

    commits: list[tuple[pygit2.Oid, list[pygit2.Oid], pygit2.Tree]]
    trees: dict[pygit2.Oid, pygit2.Tree] = field(default_factory=dict)
    added: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """The files each commit adds against a parent, once asked (many files move at once)."""

    def __post_init__(self) -> None:
        self.trees = {oid: tree for oid, _, tree in self.commits}


@dataclass
class RenameWalks:
    """The commit walks :meth:`Renames.follow_renames` made (per repository, old and new
    commit), kept for the next paths: one plan walks each range once."""

    walks: dict[tuple[str, str, str], _Walk | None] = field(default_factory=dict)


class Renames(Changes):
    """:class:`Changes` plus the new places of the files upstream moved."""

    def follow_renames(
        self, old: str, new: str, paths: Sequence[str], walks: RenameWalks
    ) -> dict[str, RenameTrail]:
        """Where each of *paths* (files of commit *old*) went by commit *new*, through history.

        The commits *new* has and *old* lacks are walked oldest first over the
        whole graph, merges included (a rename made on a side branch reaches
        the main line through its merge; docs/design.md §5).  A commit's path
        for the file is its parents' (the first that is a file there); where
        it vanishes, the files that commit adds are compared with it as
        :meth:`best_rename` does: at that commit the similarity is high, even
        when later commits rewrite the file.  A path inside a nested
        submodule is followed in that submodule's history, between the
        commits the gitlink records.  Paths whose history is not in the clone
        (shallow, a downgrade, a nested submodule missing or gone) are left
        out of the answer.
        """
        found: dict[str, RenameTrail] = {}
        nested: dict[str, list[str]] = {}
        here: list[str] = []
        for path in paths:
            split = self._gitlink_split(old, path)
            if split is None:
                here.append(path)
            else:
                nested.setdefault(split[0], []).append(split[1])
        walk = self._walk(old, new, walks) if here else None
        if walk is not None:
            for path in here:
                found[path] = self._follow(walk, path)
        for prefix, rests in nested.items():
            found.update(self._follow_nested(old, new, prefix, rests, walks))
        return found

    def _walk(self, old: str, new: str, walks: RenameWalks) -> _Walk | None:
        """The commits between *old* and *new*, oldest first; None when the history is missing."""
        key = (self.display, old, new)
        if key not in walks.walks:
            walks.walks[key] = self._commits_between(old, new)
        return walks.walks[key]

    def _commits_between(self, old: str, new: str) -> _Walk | None:
        try:
            # A shallow clone cut between the two says "not an ancestor" here.
            if not self.is_ancestor(old, new):
                return None
            order = pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE
            walker = self.repo.walk(new, order)
            walker.hide(old)
            return _Walk([(c.id, list(c.parent_ids), c.tree) for c in walker])
        except (OverlayMergeError, KeyError, pygit2.GitError):
            return None  # commits or trees missing: a partial or shallow clone

    def _follow(self, walk: _Walk, path: str) -> RenameTrail:
        """Where *path* went along *walk* (the file exists under it before the walk)."""
        start = RenameTrail(path)
        trails: dict[pygit2.Oid, RenameTrail] = {}
        parts = path.split("/")
        for oid, parents, tree in walk.commits:
            # The common case inline (one parent, the file still there): this loop
            # runs once per commit of the range for every file followed.
            if len(parents) == 1:
                trail = trails.get(parents[0], start)
                parent_tree = walk.trees.get(parents[0])
                if trail.path is None:
                    trails[oid] = trail
                    continue
                if trail.path != path:
                    path, parts = trail.path, trail.path.split("/")
                if parent_tree is not None and _has_file(tree, parent_tree, parts):
                    trails[oid] = trail
                    continue
            trails[oid] = self._trail_at(oid, tree, parents, trails, walk, start)
        # Reverse topological order ends at the commit the walk started from.
        return trails[walk.commits[-1][0]] if walk.commits else start

    def _trail_at(
        self,
        oid: pygit2.Oid,
        tree: pygit2.Tree,
        parents: list[pygit2.Oid],
        trails: dict[pygit2.Oid, RenameTrail],
        walk: _Walk,
        start: RenameTrail,
    ) -> RenameTrail:
        """The file's trail at one commit, from its parents' (a parent before the walk
        holds the file at its first path)."""
        alive = []
        for parent in parents:
            trail = trails.get(parent, start)
            if trail.path is not None:
                alive.append((parent, trail))
        if not alive:
            return trails.get(parents[0], start) if parents else start
        for parent, trail in alive:
            assert trail.path is not None
            parent_tree = walk.trees.get(parent)
            if parent_tree is None:
                parent_tree = self._tree_of(parent)
            if _has_file(tree, parent_tree, trail.path.split("/")):
                return trail
        parent, trail = alive[0]
        return self._moved_at(str(parent), str(oid), trail, walk)

    def _tree_of(self, oid: pygit2.Oid) -> pygit2.Tree:
        commit = self.repo[oid]
        assert isinstance(commit, pygit2.Commit)
        return commit.tree

    def _moved_at(self, parent: str, sha: str, trail: RenameTrail, walk: _Walk) -> RenameTrail:
        """The trail of a file that commit *sha* removed from its place in *parent*."""
        assert trail.path is not None
        added = walk.added.get((parent, sha))
        if added is None:
            diff = self.tree(parent).diff_to_tree(self.tree(sha))
            added = walk.added[(parent, sha)] = [
                d.new_file.path
                for d in diff.deltas
                if d.status == pygit2.enums.DeltaStatus.ADDED and d.new_file.mode != MODE_GITLINK
            ]
        found = self._best_match(parent, sha, trail.path, added, anywhere=True)
        if found is None:
            return RenameTrail(None, trail.steps)
        new_path, similarity = found
        step = RenameStep(trail.path, new_path, sha, similarity)
        return RenameTrail(new_path, (*trail.steps, step))

    def _follow_nested(
        self, old: str, new: str, prefix: str, rests: list[str], walks: RenameWalks
    ) -> dict[str, RenameTrail]:
        """:meth:`follow_renames` for paths under the gitlink at *prefix*, in its repository."""
        old_link, new_link = self.gitlink(old, prefix), self.gitlink(new, prefix)
        if old_link is None or new_link is None:
            return {}
        try:
            nested = self.nested(prefix, old)
        except OverlayMergeError:
            return {}  # not initialized: the pairwise comparison says what it can
        found = nested.follow_renames(old_link, new_link, rests, walks)
        return {f"{prefix}/{rest}": _prefixed(trail, prefix) for rest, trail in found.items()}

    def _gitlink_split(self, sha: str, path: str) -> tuple[str, str] | None:
        """``(gitlink, path inside it)`` when *path* of commit *sha* runs through a gitlink."""
        tree = self.tree(sha)
        if path in tree:
            return None  # libgit2 walks the whole path in C: no gitlink on the way
        parts = path.split("/")
        for depth in range(1, len(parts)):
            try:
                obj = tree["/".join(parts[:depth])]
            except KeyError:
                return None
            if obj.filemode == MODE_GITLINK:
                return "/".join(parts[:depth]), "/".join(parts[depth:])
            if obj.filemode != MODE_TREE:
                return None
        return None

    def find_renames(self, old: str, new: str, paths: Sequence[str]) -> dict[str, str]:
        """Where upstream moved each of *paths* (files of *old* gone at *new*), if it did.

        Only the files *new* adds are candidates, and for each wanted path
        only the likely ones: an identical blob anywhere, else added files
        with the same name stem (``x.jsx`` -> ``x.tsx``) or in the same
        folder, compared by line similarity (at least 50%, as git's default).
        This is what ``find_similar`` would say for these paths, without
        comparing every deleted file with every added one.
        """
        added = self.added_paths(old, new)
        found: dict[str, str] = {}
        for path in paths:
            best = self.best_rename(old, new, path, added)
            if best is not None:
                found[path] = best
        return found

    def added_paths(self, old: str, new: str) -> list[str]:
        """The files commit *new* has that *old* lacks (no rename detection)."""
        return [c.path for c in self.changes(old, new, renames=False) if c.status == "A"]

    def best_rename(self, old: str, new: str, path: str, added: list[str]) -> str | None:
        """The file among *added* that *path* of *old* most likely became, if any (see
        :meth:`find_renames`)."""
        found = self._best_match(old, new, path, added)
        return None if found is None else found[0]

    def _best_match(
        self, old: str, new: str, path: str, added: list[str], *, anywhere: bool = False
    ) -> tuple[str, int] | None:
        """:meth:`best_rename`'s answer and its similarity, in percent.

        *anywhere*: every file of *added* is a candidate, the likely ones
        first (for the files one commit adds, as few as git compares).
        """
        before = self.read(old, path)
        if before is None:
            return None
        ids = {candidate: self.entry(new, candidate) for candidate in added}
        same_blob = [
            c for c, e in ids.items() if e is not None and e.oid == str(pygit2.hash(before[0]))
        ]
        if same_blob:
            return min(same_blob, key=lambda c: (_folder(c) != _folder(path), c)), 100
        best, best_score = None, 0.5
        for candidate in self._candidates(new, path, added, anywhere):
            after = self.read(new, candidate)
            if after is None:
                continue
            score = _similarity(before[0], after[0])
            if score > best_score:
                best, best_score = candidate, score
        return None if best is None else (best, round(best_score * 100))

    def _candidates(self, new: str, path: str, added: list[str], anywhere: bool) -> list[str]:
        """The files of *added* worth comparing with *path*: the same name stem or folder
        (*anywhere*: any), the same stem first, at most :data:`MAX_CANDIDATES`."""
        stem, folder = _stem(path), _folder(path)
        likely = [c for c in added if anywhere or _stem(c) == stem or _folder(c) == folder]
        likely.sort(key=lambda c: (_stem(c) != stem, _folder(c) != folder, c))
        likely = likely[:MAX_CANDIDATES]
        # A partial clone fetches the candidates in one go, not one by one.
        self.prefetch([(new, candidate) for candidate in likely])
        return likely


def _has_file(tree: pygit2.Tree, parent: pygit2.Tree, parts: list[str]) -> bool:
    """True if the path of *parts*, a file in *parent*, is a file in *tree*.

    Level by level, as git prunes a path-limited walk: once an entry on the
    way has the same id in both trees, what lies below it is the parent's.
    (Types and ids only: reading an entry's mode costs more than its lookup.)
    """
    below: pygit2.Tree | None = parent
    last = len(parts) - 1
    for depth, name in enumerate(parts):
        try:
            obj = tree[name]
        except KeyError:
            return False
        before = None
        if below is not None:
            try:
                before = below[name]
            except KeyError:
                pass
        if before is not None and before.id == obj.id:
            return True
        if depth == last:
            return isinstance(obj, pygit2.Blob)  # a file or symlink, not a folder or gitlink
        if not isinstance(obj, pygit2.Tree):
            return False
        tree = obj
        below = before if isinstance(before, pygit2.Tree) else None
    return False


def _prefixed(trail: RenameTrail, prefix: str) -> RenameTrail:
    """A nested submodule's *trail* with the paths its upstream sees (``prefix/...``)."""
    steps = tuple(
        RenameStep(f"{prefix}/{s.old_path}", f"{prefix}/{s.new_path}", s.commit, s.similarity)
        for s in trail.steps
    )
    return RenameTrail(None if trail.path is None else f"{prefix}/{trail.path}", steps)


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


def _stem(path: str) -> str:
    name = path.rpartition("/")[2]
    return name.partition(".")[0] or name


def _similarity(old: bytes, new: bytes) -> float:
    """Share of lines the two contents have in common (0 to 1), from git's line diff."""
    added, removed = line_changes(old, new)
    total = old.count(b"\n") + new.count(b"\n") + 2
    common = (total - added - removed) / 2
    return max(0.0, 2 * common / total)
