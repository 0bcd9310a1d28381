"""Where upstream moved a file: rename detection for a few paths, not the whole tree."""

from __future__ import annotations

from collections.abc import Sequence

import pygit2

from overlay_merge.core.git.changes import Changes
from overlay_merge.core.git.diff import line_changes


class Renames(Changes):
    """:class:`Changes` plus the new places of the files upstream moved."""

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
        before = self.read(old, path)
        if before is None:
            return None
        ids = {candidate: self.entry(new, candidate) for candidate in added}
        same_blob = [
            c for c, e in ids.items() if e is not None and e.oid == str(pygit2.hash(before[0]))
        ]
        if same_blob:
            return min(same_blob, key=lambda c: (_folder(c) != _folder(path), c))
        stem = _stem(path)
        likely = [c for c in added if _stem(c) == stem or _folder(c) == _folder(path)]
        best, best_score = None, 0.5
        for candidate in sorted(likely, key=lambda c: (_stem(c) != stem, c))[:50]:
            after = self.read(new, candidate)
            if after is None:
                continue
            score = _similarity(before[0], after[0])
            if score > best_score:
                best, best_score = candidate, score
        return best


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
