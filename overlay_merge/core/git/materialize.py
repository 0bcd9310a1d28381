"""Every file of an upstream commit, and the entries no checkout may write.

A hostile upstream tree (entries named ``..``, ``.git``, with ``/`` inside)
is refused here, before a build or a bump writes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pygit2

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import (
    INIT_HINT,
    MODE_GITLINK,
    MODE_TREE,
    SkippedSubmodule,
    TreeBlob,
    TreeFile,
)
from overlay_merge.core.git.trees import Trees
from overlay_merge.core.model import short_sha
from overlay_merge.core.paths import path_problem


class Materialize(Trees):
    """:class:`Trees` plus whole commits: their files and their unsafe entries."""

    def unsafe_entry(self, sha: str, since: str | None = None) -> tuple[str, str] | None:
        """The first tree entry of commit *sha* whose path is unsafe, and why; None if none.

        Run before a checkout to *sha*: a hostile upstream commit (entries
        named ``..``, ``.git``, with ``/`` inside) is refused before the bump
        writes anything.  Folders whose tree id equals the one at *since* at
        the same path are skipped (that commit is checked out already).
        Nested submodules are looked into too, at the commit each gitlink
        records, in their own object stores (the bump checks them out as
        well); one that is not initialized, or lacks that commit, is left to
        the checkout, which does not write into it.
        """
        old = self.tree(since) if since is not None else None
        return _unsafe_in(self, sha, self.tree(sha), old, "")

    def iter_files(
        self, sha: str, skipped: list[SkippedSubmodule] | None = None
    ) -> Iterator[TreeFile]:
        """Every file of commit *sha* with its bytes, nested submodules' files included
        (as :meth:`iter_blobs`, reading each blob)."""
        for blob in self.iter_blobs(sha, skipped):
            yield TreeFile(blob.path, blob.read(), blob.mode)

    def iter_blobs(
        self, sha: str, skipped: list[SkippedSubmodule] | None = None, *, outer: str = ""
    ) -> Iterator[TreeBlob]:
        """Every file of commit *sha*, the files of nested submodules included, unread.

        Nested submodules are read at the gitlink *sha* records, in their own
        object stores.  One that cannot be read (not initialized, its commit
        missing) is appended to *skipped*, not fatal.  Every entry name is
        validated with :func:`path_problem`, so a hostile tree (``..``,
        ``.git``, NUL) is refused instead of naming a place outside the output.
        *outer* prefixes every path (where this repository sits in the output).
        A file's bytes are read only when its ``read`` is called: a build that
        finds a file already in place never reads its blob.
        """
        found = skipped if skipped is not None else []
        if self.promisor_remote() is not None:
            # A partial clone (sparse, most likely) lacks blobs: fetch them in one go.
            tree = self.tree(sha)
            wanted = [str(e.id) for e in _walk_blobs(tree) if not self.has_object(str(e.id))]
            self.ensure_objects(wanted, f"to build {short_sha(sha)}")
        yield from self._iter_tree(self.tree(sha), sha, "", outer, found)

    def _iter_tree(
        self,
        tree: pygit2.Tree,
        sha: str,
        prefix: str,
        outer: str,
        skipped: list[SkippedSubmodule],
    ) -> Iterator[TreeBlob]:
        # prefix: the tree's path in this repository; outer: where this
        # repository sits in the output (empty for the top upstream).
        for obj in tree:
            name = obj.name or ""
            path = f"{outer}{prefix}{name}"
            problem = path_problem(path) or ("'/' in an entry name" if "/" in name else None)
            if problem:
                raise OverlayMergeError(
                    f"{self.display} {short_sha(sha)}: tree entry {path[:200]!r}: {problem}; "
                    "refusing to materialize it",
                    f"check where commit {short_sha(sha)} came from; build from another commit",
                )
            if isinstance(obj, pygit2.Tree):
                yield from self._iter_tree(obj, sha, f"{prefix}{name}/", outer, skipped)
            elif obj.filemode == MODE_GITLINK:
                yield from self._iter_gitlink(f"{prefix}{name}", str(obj.id), sha, outer, skipped)
            elif isinstance(obj, pygit2.Blob):
                read = partial(self._blob_data, obj, f"for {path}")
                yield TreeBlob(path, str(obj.id), int(obj.filemode), read)

    def _iter_gitlink(
        self, prefix: str, nested_sha: str, sha: str, outer: str, skipped: list[SkippedSubmodule]
    ) -> Iterator[TreeBlob]:
        try:
            nested = self.nested(prefix, sha)
        except OverlayMergeError as exc:
            skipped.append(SkippedSubmodule(outer + prefix, exc.message, exc.hint or INIT_HINT))
            return
        if not nested.has_commit(nested_sha):
            skipped.append(
                SkippedSubmodule(
                    outer + prefix,
                    f"{nested.display}: commit {short_sha(nested_sha)} recorded by "
                    f"{self.display} {short_sha(sha)} is missing from the object store",
                    nested.fetch_hint(),
                )
            )
            return
        commit = nested.repo[nested_sha]
        assert isinstance(commit, pygit2.Commit)
        yield from nested._iter_tree(commit.tree, nested_sha, "", f"{outer}{prefix}/", skipped)


def _walk_blobs(tree: pygit2.Tree) -> Iterator[pygit2.Object]:
    """Every blob entry of *tree* and its subtrees (gitlinks not followed)."""
    for obj in tree:
        if isinstance(obj, pygit2.Tree):
            yield from _walk_blobs(obj)
        elif obj.filemode not in (MODE_TREE, MODE_GITLINK):
            yield obj


def _unsafe_in(
    repo: Materialize, sha: str, tree: pygit2.Tree, old: pygit2.Tree | None, prefix: str
) -> tuple[str, str] | None:
    # prefix: the tree's path in *repo*; *sha*: the commit of *repo* it belongs to.
    for obj in tree:
        name = obj.name or ""
        path = f"{prefix}{name}"
        problem = path_problem(path) or ("'/' in an entry name" if "/" in name else None)
        if problem:
            return path, problem
        try:
            before = old[name] if old is not None else None
        except KeyError:
            before = None
        if before is not None and before.id == obj.id:
            continue
        if obj.filemode == MODE_GITLINK:
            found = _unsafe_in_gitlink(repo, sha, path, str(obj.id), before)
        elif isinstance(obj, pygit2.Tree):
            older = before if isinstance(before, pygit2.Tree) else None
            found = _unsafe_in(repo, sha, obj, older, f"{path}/")
        else:
            continue
        if found:
            return found
    return None


def _unsafe_in_gitlink(
    repo: Materialize, sha: str, path: str, nested_sha: str, before: pygit2.Object | None
) -> tuple[str, str] | None:
    """:func:`_unsafe_in` for the commit the gitlink at *path* records, in its repository."""
    try:
        nested = repo.nested(path, sha)
    except OverlayMergeError:
        return None  # not initialized: nothing is checked out into it
    if not nested.has_commit(nested_sha):
        return None  # the checkout stops on the missing commit before writing in it
    old_sha = str(before.id) if before is not None and before.filemode == MODE_GITLINK else None
    old = nested.tree(old_sha) if old_sha is not None and nested.has_commit(old_sha) else None
    found = _unsafe_in(nested, nested_sha, nested.tree(nested_sha), old, "")
    return (f"{path}/{found[0]}", found[1]) if found else None
