"""One file's merge: its three sides (or two, for an addition upstream also made) to bytes.

The merge runs in libgit2 (:mod:`overlay_merge.core.git.merge`) with
41-wide markers that no file contains, narrowed to git's labelled 7-wide
ones afterwards, so conflicts are counted exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.git.merge import merge_file
from overlay_merge.core.git.model import MODE_LINK, MergeStyle
from overlay_merge.core.markers import WIDE_MARKER_SIZE, narrow_markers
from overlay_merge.core.model import Side


@dataclass(frozen=True)
class MergeOutcome:
    """A file's three-way merge: its bytes (None: binary, no markers), mode and conflicts."""

    content: bytes | None
    mode: int
    conflict_hunks: int = 0


def merge_sides(
    base: Side | None, ours: Side, theirs: Side, labels: tuple[str, str, str], style: MergeStyle
) -> MergeOutcome:
    """The merge of one file's contents and modes (base None: added on both sides).

    *labels* are the markers' (base, overlay, upstream) labels; conflicts
    get git's labelled 7-wide markers, counted exactly (docs/design.md §5).
    """
    # A mode change is taken from the side that made it; the overlay wins a tie.
    mode = theirs.mode if base is not None and ours.mode == base.mode else ours.mode
    if base is None:
        # Added on both sides (add/add): git merges two-way, with no base
        # section and conflicts split at the lines both sides share, whatever
        # the configured style (docs/design.md §5); diff3/zdiff3 over an empty
        # base would make the whole file one conflict.
        style = "merge"
    if base is not None and ours.data == base.data:
        return MergeOutcome(theirs.data, mode)
    if ours.data == theirs.data or (base is not None and theirs.data == base.data):
        return MergeOutcome(ours.data, mode)
    sides = (ours, theirs) if base is None else (base, ours, theirs)
    if any(b"\0" in s.data or s.mode == MODE_LINK for s in sides):
        # Binary content and symlinks get no markers: the maintainer picks a side.
        return MergeOutcome(None, mode, 1)
    base_data = None if base is None else base.data
    content, clean = merge_file(
        base_data,
        ours.data,
        theirs.data,
        labels=labels,
        style=style,
        marker_size=WIDE_MARKER_SIZE,
    )
    if content is None:
        return MergeOutcome(None, mode, 1)
    if clean:
        return MergeOutcome(content, mode)
    encoded = (labels[0].encode(), labels[1].encode(), labels[2].encode())
    narrowed = narrow_markers(content, encoded)
    return MergeOutcome(narrowed.content, mode, max(1, narrowed.hunks))
