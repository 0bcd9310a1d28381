"""Where upstream moved the overlay files gone at the target (docs/design.md §5).

Through upstream's history first: the rename is seen at the commit that made
it, and followed through later edits and further renames to the file's path
at the target.  Where that history is not in the clone, or shows no rename
(a file deleted in one commit and re-created elsewhere in another), the base
and the target are compared instead; the plan says which one found it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from overlay_merge.core.git.model import RenameStep
from overlay_merge.core.git.renames import RenameWalks
from overlay_merge.core.git.upstream import UpstreamRepo
from overlay_merge.core.model import RenameSource


@dataclass(frozen=True)
class Rename:
    """Upstream's path at the target for a file of the base, and how it was found."""

    path: str
    found_by: RenameSource
    steps: tuple[RenameStep, ...] = ()  # the moves in history, oldest first (history only)


@dataclass
class RenameFinder:
    """The renames of one plan's files, from their bases to *target*, with its caches.

    Called as ``finder(base, path)`` it answers the new path only, as the
    import analysis asks it.
    """

    upstream: UpstreamRepo
    target: str
    walks: RenameWalks = field(default_factory=RenameWalks)
    _added: dict[str, list[str]] = field(default_factory=dict)
    _found: dict[tuple[str, str], Rename | None] = field(default_factory=dict)

    def __call__(self, base: str, path: str) -> str | None:
        found = self.find(base, path)
        return None if found is None else found.path

    def find(self, base: str, path: str) -> Rename | None:
        """Where upstream moved *path* of commit *base* by the target (None: deleted)."""
        key = (base, path)
        if key not in self._found:
            self._found[key] = self._through_history(base, path) or self._pairwise(base, path)
        return self._found[key]

    def _through_history(self, base: str, path: str) -> Rename | None:
        trail = self.upstream.follow_renames(base, self.target, [path], self.walks).get(path)
        if trail is None or trail.path is None or trail.path == path:
            return None
        if self.upstream.entry(self.target, trail.path) is None:
            return None
        return Rename(trail.path, RenameSource.HISTORY, trail.steps)

    def _pairwise(self, base: str, path: str) -> Rename | None:
        # Each distinct base costs one tree diff without rename detection (the
        # files added since it); each file is compared only with its likely new names.
        if base not in self._added:
            self._added[base] = self.upstream.added_paths(base, self.target)
        found = self.upstream.best_rename(base, self.target, path, self._added[base])
        return None if found is None else Rename(found, RenameSource.PAIRWISE)
