"""``init --infer``: find each overlay file's true base in the upstream history.

A deployment that never recorded bases still carries the evidence: each
overlay patch is an upstream version plus local edits.  The base is the
upstream version closest to the overlay copy (fewest changed lines), and the
commit recorded is the newest one carrying that version, so that everything
upstream changed afterwards counts as stale.

Speed comes from sharing one walk of the pin's history across all files
(:meth:`UpstreamRepo.path_histories`): per commit, a tree lookup per path
collects the *distinct* versions; only those are diffed against the overlay
copy, with git's own diff in C (:func:`line_changes`).

The path's absence is a version too (an empty one).  An addition (a path
upstream never had) only has that version, so it gets the pin, as plain
``init`` gives it; an overlay file written when upstream lacked the path,
which upstream added later with unrelated content, gets the last commit
without it, so that ``status`` and ``bump`` see upstream's addition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from overlay_merge.core.git.diff import line_changes
from overlay_merge.core.git.model import PathHistory, PathVersion
from overlay_merge.core.git.upstream import UpstreamRepo
from overlay_merge.core.model import FileKind


@dataclass(frozen=True)
class Inferred:
    """The base inferred for one overlay file and the evidence for it."""

    path: str
    kind: FileKind
    """``patch`` if the path exists upstream at *base*, else ``addition``."""
    base: str
    time: int
    """Committer date of *base*, Unix seconds."""
    distance: int
    """Lines (added + removed) by which the overlay copy differs from upstream at *base*."""
    versions_examined: int
    """Distinct upstream versions (absence included) compared with the overlay copy."""
    unreadable: int = 0
    """Commits skipped because a nested submodule commit was missing."""


def line_distance(old: bytes, new: bytes) -> int:
    """Changed lines between *old* and *new*: added plus removed lines of a line diff.

    Identical contents are 0 without diffing (the common case for files
    nobody touched).
    """
    if old == new:
        return 0
    added, removed = line_changes(old, new)
    return added + removed


@dataclass(frozen=True)
class Closest:
    """The upstream version closest to an overlay copy, and by how many lines it differs."""

    version: PathVersion
    distance: int


def closest(versions: Iterable[PathVersion], distance: Callable[[PathVersion], int]) -> Closest:
    """The version with the smallest *distance*; among equals the newest (smallest order)."""
    scored = [(distance(v), v.order, v) for v in versions]
    if not scored:
        raise ValueError("closest() needs at least one version")
    best_distance, _, best = min(scored, key=lambda item: (item[0], item[1]))
    return Closest(best, best_distance)


def infer_bases(upstream: UpstreamRepo, pin: str, overlay: Mapping[str, bytes]) -> list[Inferred]:
    """Infer the base of every overlay file in *overlay* (path -> content), in one walk.

    The walk covers every commit reachable from *pin*; bases are therefore
    always ancestors of (or equal to) the pin.
    """
    if not overlay:
        return []  # nothing to look for: spare the walk
    histories = upstream.path_histories(pin, list(overlay))
    return [
        _infer_one(upstream, pin, path, data, histories[path]) for path, data in overlay.items()
    ]


def _infer_one(
    upstream: UpstreamRepo, pin: str, path: str, data: bytes, history: PathHistory
) -> Inferred:
    if not history.versions:
        # Every commit was unreadable (nested commits missing everywhere):
        # reading the pin raises the error that says how to fetch them.
        upstream.entry(pin, path)
        return Inferred(
            path, FileKind.ADDITION, pin, upstream.commit_time(pin), 0, 0, history.unreadable
        )

    def distance(version: PathVersion) -> int:
        old = b"" if version.entry is None else upstream.blob(version.entry)
        return line_distance(old, data)

    found = closest(history.versions.values(), distance)
    best, best_distance = found.version, found.distance
    kind = FileKind.ADDITION if best.entry is None else FileKind.PATCH
    return Inferred(
        path,
        kind,
        best.commit,
        best.time,
        best_distance,
        len(history.versions),
        history.unreadable,
    )
