"""A conflict hunk as the maintainer sees it: its sides, its base, cosmetic marks, a suggestion.

The views behind ``resolve --list`` and the hunk screen (:mod:`.takes`
builds them for the bump in progress): a hunk merged with two-way markers
gets its base from the same merge run again with base sections, and only a
hunk whose base is known exactly gets cosmetic marks and a suggestion
(:mod:`overlay_merge.core.suggest`).
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.git.merge import merge_file
from overlay_merge.core.hunks import (
    OURS,
    THEIRS,
    Hunk,
    MarkedFile,
    cosmetic_change,
    parse,
    with_bases,
)
from overlay_merge.core.markers import (
    BASE_LABEL,
    OURS_LABEL,
    THEIRS_LABEL,
    OwnLines,
    narrow_markers,
    wide_marker_size,
)
from overlay_merge.core.model import BaseSource, Side
from overlay_merge.core.refine import file_type
from overlay_merge.core.suggest import Suggestion, suggest


@dataclass(frozen=True)
class ConflictSides:
    """The three versions the bump merged for one conflicted file (None: absent)."""

    base: Side | None
    ours: Side
    theirs: Side | None
    base_commit: str | None

    def tails(self) -> dict[str, bytes]:
        """Each side's unterminated last line, if its file has one (see ``Hunk.taken``)."""
        found = {}
        for name, side in ((OURS, self.ours), (THEIRS, self.theirs)):
            if side is not None and side.data and not side.data.endswith(b"\n"):
                found[name] = side.data.rsplit(b"\n", 1)[-1]
        return found


@dataclass(frozen=True)
class HunkView:
    """One hunk as the maintainer sees it: its sides, its base, and whether a side is cosmetic.

    ``ours_change`` / ``theirs_change`` are :func:`cosmetic_change` of that
    side against the base (``whitespace``, ``quotes``...), None for a change
    of substance or when the base is not known exactly.  ``suggestion`` is the
    take :func:`overlay_merge.core.suggest.suggest` proposes (None: none, or
    no exact base).
    """

    number: int
    hunk: Hunk
    base_source: BaseSource | None
    ours_change: str | None
    theirs_change: str | None
    suggestion: Suggestion | None = None

    @property
    def line(self) -> int:
        return self.hunk.line


def _reference(sides: ConflictSides) -> MarkedFile | None:
    """The merge of *sides* with base sections (zdiff3), for files merged with two-way markers."""
    if sides.base is None or sides.theirs is None:
        return None
    labels = (BASE_LABEL, OURS_LABEL, THEIRS_LABEL)
    # Wider than any run of a marker character a line of the sides starts with.
    size = wide_marker_size(sides.base.data, sides.ours.data, sides.theirs.data)
    content, clean = merge_file(
        sides.base.data,
        sides.ours.data,
        sides.theirs.data,
        labels=labels,
        style="zdiff3",
        marker_size=size,
    )
    if content is None or clean:
        return None
    encoded = (BASE_LABEL.encode(), OURS_LABEL.encode(), THEIRS_LABEL.encode())
    own = OwnLines.of(sides.base.data, sides.ours.data, sides.theirs.data)
    return parse(narrow_markers(content, encoded, size).content, own)


def hunk_views(
    marked: MarkedFile, sides: ConflictSides | None, path: str | None = None
) -> tuple[HunkView, ...]:
    """Every hunk of *marked* with its base, the cosmetic marks of its sides and a suggestion.

    *path* (the file's) tells the suggestions its type (:func:`file_type`).
    """
    hunks = marked.hunks
    pairs: list[tuple[Hunk, bool]] = [(h, True) for h in hunks]
    reference = None
    if sides is not None and any(h.base is None for h in hunks):
        reference = _reference(sides)
        if reference is not None:
            pairs = with_bases(hunks, reference)
    filetype = file_type(path)
    views = []
    for number, ((hunk, exact), original) in enumerate(zip(pairs, hunks, strict=True), start=1):
        if original.base is not None:
            source: BaseSource | None = BaseSource.IN_MARKERS
        elif hunk.base is None:
            source = None
        else:
            source = BaseSource.RECOMPUTED if exact else BaseSource.REGION
        # Only an exact base can vouch that a side changed nothing of substance.
        judged = hunk.base is not None and exact
        ours = cosmetic_change(hunk.ours, hunk.base or ()) if judged else None
        theirs = cosmetic_change(hunk.theirs, hunk.base or ()) if judged else None
        suggestion = suggest(hunk.base or (), hunk.ours, hunk.theirs, filetype) if judged else None
        views.append(HunkView(number, hunk, source, ours, theirs, suggestion))
    return tuple(views)
