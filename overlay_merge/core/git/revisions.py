"""An upstream repository's commits: naming them, finding them, ordering them.

:class:`Revisions` holds what every part of :class:`~overlay_merge.core.git.upstream.UpstreamRepo`
shares (the pygit2 repository, how hints name it, its working tree, the
caches); the other parts of the upstream reader build on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2

from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.git.model import INIT_HINT
from overlay_merge.core.model import short_sha

if TYPE_CHECKING:
    from typing_extensions import Self


@dataclass
class Revisions:
    """A repository of the upstream: the top one, or a nested submodule of it.

    ``display`` is how the user reaches its working tree from the deployment
    root (``skyportal``, ``skyportal/baselayer``): it is what error hints name.
    """

    repo: pygit2.Repository
    display: str
    workdir: Path | None
    _nested: dict[str, Self] = field(default_factory=dict, repr=False)
    _trees: dict[str, pygit2.Tree] = field(default_factory=dict, repr=False)

    @property
    def is_shallow(self) -> bool:
        """True for a shallow clone: history older than its boundary is not there."""
        return bool(self.repo.is_shallow)

    def fetch_hint(self) -> str:
        """The command that brings missing history into this repository."""
        if self.repo.is_shallow:
            return f"git -C {quote(self.display)} fetch --unshallow"
        return f"git -C {quote(self.display)} fetch origin"

    def head(self) -> str:
        """The checked-out commit (the pin, for the top upstream)."""
        if self.repo.head_is_unborn:
            raise OverlayMergeError(
                f"{self.display}: HEAD has no commit (unborn branch)", INIT_HINT
            )
        return str(self.repo.head.peel(pygit2.Commit).id)

    def resolve(self, rev: str) -> str:
        """The full hex id of the commit *rev* names; anything else is an error."""
        try:
            obj: pygit2.Object = self.repo.revparse_single(rev)
        except (KeyError, ValueError, pygit2.GitError):
            raise OverlayMergeError(
                f"{self.display}: unknown revision {rev!r}",
                f"{self.fetch_hint()}, or check the name: "
                f"`git -C {quote(self.display)} log --oneline`",
            ) from None
        while isinstance(obj, pygit2.Tag):  # tags of tags peel all the way
            obj = self.repo[obj.target]
        if not isinstance(obj, pygit2.Commit):
            kind = obj.type_str
            raise OverlayMergeError(
                f"{self.display}: {rev!r} names a {kind}, not a commit",
                f"name a commit, branch or tag of {self.display}",
            )
        return str(obj.id)

    def tracked_branch(self) -> tuple[str, str] | None:
        """The remote branch the upstream follows, as ``(name, commit)``, or None.

        The checked-out branch's configured upstream when there is one; on a
        detached HEAD (how ``git submodule update`` leaves submodules) the
        remote's default branch (``origin/HEAD``), then ``origin/main`` or
        ``origin/master``.
        """
        names: list[str] = []
        if not self.repo.head_is_detached and not self.repo.head_is_unborn:
            branch = self.repo.branches.local.get(self.repo.head.shorthand)
            upstream = branch.upstream if branch is not None else None
            if upstream is not None:
                names.append(upstream.shorthand)
        try:
            names.append(self.repo.references["refs/remotes/origin/HEAD"].resolve().shorthand)
        except (KeyError, pygit2.GitError):
            pass
        names += ["origin/main", "origin/master"]
        for name in names:
            ref = self.repo.references.get(f"refs/remotes/{name}")
            if ref is not None:
                return name, str(ref.peel(pygit2.Commit).id)
        return None

    def has_commit(self, sha: str) -> bool:
        """True if commit *sha* is in this repository's object store."""
        try:
            return isinstance(self.repo[sha], pygit2.Commit)
        except (KeyError, ValueError):
            return False

    def require_commit(self, sha: str, why: str) -> None:
        """Raise a fixable error unless commit *sha* is present; *why* says what needs it."""
        if not self.has_commit(sha):
            raise OverlayMergeError(
                f"{self.display}: commit {short_sha(sha)} ({why}) is missing from the object store",
                self.fetch_hint(),
            )

    def tree(self, sha: str) -> pygit2.Tree:
        """The root tree of commit *sha*, cached (many files share a base)."""
        tree = self._trees.get(sha)
        if tree is None:
            try:
                commit = self.repo[sha]
            except (KeyError, ValueError):
                commit = None
            if not isinstance(commit, pygit2.Commit):
                raise OverlayMergeError(
                    f"{self.display}: commit {short_sha(sha)} is missing from the object store",
                    self.fetch_hint(),
                )
            tree = commit.tree
            self._trees[sha] = tree
        return tree

    def commit_time(self, sha: str) -> int:
        """The committer date of commit *sha*, Unix seconds."""
        self.require_commit(sha, "needed for its date")
        commit = self.repo[sha]
        assert isinstance(commit, pygit2.Commit)
        return int(commit.commit_time)

    def is_ancestor(self, older: str, newer: str) -> bool:
        """True if *older* is *newer* or one of its ancestors."""
        if older == newer:
            return True
        self.require_commit(older, "needed to order the history")
        self.require_commit(newer, "needed to order the history")
        try:
            return bool(self.repo.descendant_of(newer, older))
        except (KeyError, pygit2.GitError):
            raise self._history_missing(older, newer) from None

    def count_between(self, old: str, new: str) -> int:
        """How many commits *new* has that *old* lacks (counted in C, no walk in Python)."""
        self.require_commit(old, "needed to count the commits between")
        self.require_commit(new, "needed to count the commits between")
        try:
            ahead, _ = self.repo.ahead_behind(new, old)
        except (KeyError, pygit2.GitError):
            raise self._history_missing(old, new) from None
        return int(ahead)

    def oldest_of(self, shas: Sequence[str]) -> str | None:
        """The commit every one of *shas* descends from (one of them when they lie on one
        line of history, else their octopus merge base); None if they share no history."""
        for sha in shas:
            if all(self.is_ancestor(sha, other) for other in shas):
                return sha
        try:
            found = self.repo.merge_base_octopus([pygit2.Oid(hex=s) for s in shas])
        except (KeyError, pygit2.GitError):
            return None
        return None if found is None else str(found)

    def commits_between(self, old: str, new: str) -> list[tuple[str, str]]:
        """``(sha, subject)`` of commits reachable from *new* but not *old*, newest first."""
        self.require_commit(old, "needed to list the commits between")
        self.require_commit(new, "needed to list the commits between")
        try:
            walker = self.repo.walk(new, pygit2.enums.SortMode.TOPOLOGICAL)
            walker.hide(old)
            return [(str(c.id), c.message.split("\n", 1)[0]) for c in walker]
        except (KeyError, pygit2.GitError):
            raise self._history_missing(old, new) from None

    def _history_missing(self, old: str, new: str) -> OverlayMergeError:
        return OverlayMergeError(
            f"{self.display}: history between {short_sha(old)} and {short_sha(new)} is missing "
            "from the object store",
            self.fetch_hint(),
        )
