"""The history walk: every distinct version of many paths, in one pass over the commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pygit2

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import (
    MODE_GITLINK,
    MODE_TREE,
    Entry,
    PathHistory,
    PathVersion,
)
from overlay_merge.core.git.trees import Trees
from overlay_merge.core.model import short_sha

# Marks a version behind a gitlink whose commit is missing: neither a file
# nor an absence, so it is counted apart instead of being compared.
_UNREADABLE = Entry("", 0)

_NestedCache = dict[tuple[str, str, str, str], Entry | None]


class History(Trees):
    """:class:`Trees` plus the versions of paths along the history."""

    def path_histories(self, head: str, paths: Sequence[str]) -> dict[str, PathHistory]:
        """The distinct versions of each of *paths* in the history reachable from *head*.

        One walk over every commit reachable from *head*, newest first
        (topological order, then commit time), shared by all paths.  Per
        commit, only the directories on the way to the paths are looked at,
        and a directory (or gitlink) whose id equals the one of the commit
        walked before is skipped whole: its paths cannot carry a version not
        met already.  Paths below a gitlink are read in the nested repository
        at the recorded commit.  The first commit a version is met in is the
        newest carrying it.  A nested commit missing from its store is
        counted as unreadable for the paths below it, not fatal.
        """
        self.require_commit(head, "the commit whose history is searched")
        scan = _PathScan(self, paths)
        order = pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
        try:
            for step, commit in enumerate(self.repo.walk(head, order)):
                scan.commit(commit, step)
        except (KeyError, pygit2.GitError):
            raise OverlayMergeError(
                f"{self.display}: the history of {short_sha(head)} is incomplete "
                "in the object store",
                self.fetch_hint(),
            ) from None
        return scan.histories

    def _through_gitlink(
        self, sha: str, prefix: str, nested_sha: str, rest: str, cache: _NestedCache
    ) -> Entry | None:
        """*rest*'s entry in the nested commit *nested_sha* recorded at *prefix* by *sha*."""
        # Most top commits record the same nested commit as their
        # neighbours: look each (gitlink, path) up once.
        key = (self.display, prefix, nested_sha, rest)
        if key not in cache:
            cache[key] = self._nested_entry(sha, prefix, nested_sha, rest, cache)
        return cache[key]

    def _entry_in_tree(
        self, tree: pygit2.Tree, sha: str, path: str, cache: _NestedCache
    ) -> Entry | None:
        """*path*'s entry in *tree* of commit *sha* (None if absent), through nested gitlinks."""
        try:
            obj = tree[path]
        except KeyError:
            return self._entry_through_gitlink(tree, sha, path, cache)
        if obj.filemode in (MODE_TREE, MODE_GITLINK):
            return None
        return Entry(str(obj.id), int(obj.filemode))

    def _entry_through_gitlink(
        self, tree: pygit2.Tree, sha: str, path: str, cache: _NestedCache
    ) -> Entry | None:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            try:
                obj = tree[prefix]
            except KeyError:
                return None
            if obj.filemode == MODE_GITLINK:
                rest = "/".join(parts[depth:])
                return self._through_gitlink(sha, prefix, str(obj.id), rest, cache)
            if obj.filemode != MODE_TREE:
                return None
        return None

    def _nested_entry(
        self, sha: str, prefix: str, nested_sha: str, rest: str, cache: _NestedCache
    ) -> Entry | None:
        nested = self.nested(prefix, sha)
        if not nested.has_commit(nested_sha):
            return _UNREADABLE
        commit = nested.repo[nested_sha]
        assert isinstance(commit, pygit2.Commit)
        return nested._entry_in_tree(commit.tree, nested_sha, rest, cache)


@dataclass
class _Node:
    """A directory or file on the way to the paths a history scan looks for."""

    path: str
    children: dict[str, _Node] = field(default_factory=dict)
    wanted: bool = False
    below: list[str] = field(default_factory=list)
    """Wanted paths strictly below this node."""
    descendants: list[str] = field(default_factory=list)
    """Paths of every node strictly below this one."""


def _path_trie(paths: Sequence[str]) -> _Node:
    root = _Node("")
    for path in paths:
        parts = path.split("/")
        chain = [root]
        for depth, part in enumerate(parts):
            child = chain[-1].children.get(part)
            if child is None:
                child = chain[-1].children[part] = _Node("/".join(parts[: depth + 1]))
                for ancestor in chain:
                    ancestor.descendants.append(child.path)
            chain.append(child)
        chain[-1].wanted = True
        for ancestor in chain[:-1]:
            ancestor.below.append(path)
    return root


class _PathScan:
    """The state of one history walk looking for the versions of many paths.

    ``last`` holds, per trie node, the ``(id, mode)`` met at the commit walked
    before (None: absent); a node whose value did not change is skipped with
    everything below it.  Nodes below something that is not a tree are
    forgotten, so they are looked at again once it is a tree again.
    """

    def __init__(self, repo: History, paths: Sequence[str]) -> None:
        self.repo = repo
        self.root = _path_trie(paths)
        self.histories = {path: PathHistory() for path in paths}
        self.last: dict[str, tuple[pygit2.Oid, int] | None] = {}
        self.cache: _NestedCache = {}
        self.previous_tree: pygit2.Oid | None = None
        self.sha, self.time, self.order = "", 0, 0

    def commit(self, commit: pygit2.Commit, order: int) -> None:
        """Record the versions of the paths at *commit*, the walk's *order*-th."""
        if commit.tree_id == self.previous_tree:
            return
        self.previous_tree = commit.tree_id
        self.sha, self.time, self.order = str(commit.id), commit.commit_time, order
        self._visit(commit.tree, self.root)

    def _visit(self, tree: pygit2.Tree, node: _Node) -> None:
        for name, child in node.children.items():
            try:
                obj: pygit2.Object | None = tree[name]
            except KeyError:
                obj = None
            key = None if obj is None else (obj.id, int(obj.filemode))
            if child.path in self.last and self.last[child.path] == key:
                continue
            self.last[child.path] = key
            if child.wanted:
                self._record(child.path, _file_entry(obj))
            if not child.children:
                continue
            if isinstance(obj, pygit2.Tree):
                self._visit(obj, child)
                continue
            for path in child.descendants:
                self.last.pop(path, None)
            for path in child.below:
                self._record(path, self._below(child.path, obj, path))

    def _below(self, prefix: str, obj: pygit2.Object | None, path: str) -> Entry | None:
        """The entry of *path*, below *obj* at *prefix*, which is not a tree."""
        if obj is None or obj.filemode != MODE_GITLINK:
            return None
        rest = path[len(prefix) + 1 :]
        return self.repo._through_gitlink(self.sha, prefix, str(obj.id), rest, self.cache)

    def _record(self, path: str, entry: Entry | None) -> None:
        history = self.histories[path]
        if entry is _UNREADABLE:
            history.unreadable += 1
        elif entry not in history.versions:
            history.versions[entry] = PathVersion(entry, self.sha, self.time, self.order)


def _file_entry(obj: pygit2.Object | None) -> Entry | None:
    if obj is None or obj.filemode in (MODE_TREE, MODE_GITLINK):
        return None
    return Entry(str(obj.id), int(obj.filemode))
