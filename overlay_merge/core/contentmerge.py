"""One file's merge: its three sides (or two, for an addition upstream also made) to bytes.

The merge runs in libgit2 (:mod:`overlay_merge.core.git.merge`) with
41-wide markers that no file contains, narrowed to git's labelled 7-wide
ones afterwards, so conflicts are counted exactly.  The ``refined``
strategy then applies the rules of :mod:`overlay_merge.core.refine` inside
the conflict hunks and checks that a clean result still parses
(docs/design.md §5); ``line`` is git's merge exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from overlay_merge.core.git.merge import merge_file
from overlay_merge.core.git.model import MODE_LINK, MergeStyle
from overlay_merge.core.markers import narrow_markers, wide_marker_size
from overlay_merge.core.model import Side
from overlay_merge.core.refine import DEFAULT_RULES, RULES, Refinement, Strategy, file_type
from overlay_merge.core.refine.engine import Refined, refine_merge
from overlay_merge.core.refine.plain import plain_hunk, undo_all
from overlay_merge.core.refine.validate import invalid_reason, whole_conflict


@dataclass(frozen=True)
class MergeOutcome:
    """A file's three-way merge: its bytes (None: binary, no markers), mode and conflicts."""

    content: bytes | None
    mode: int
    conflict_hunks: int = 0
    # The refined strategy: the hunks its rules resolved, and why a clean
    # merge was turned into a conflict (it did not parse).
    refinements: tuple[Refinement, ...] = ()
    invalid: str | None = None


def merge_sides(
    base: Side | None,
    ours: Side,
    theirs: Side,
    labels: tuple[str, str, str],
    style: MergeStyle,
    *,
    strategy: Strategy = "line",
    path: str | None = None,
    rules: Sequence[str] | None = None,
) -> MergeOutcome:
    """The merge of one file's contents and modes (base None: added on both sides).

    *labels*: the markers' (base, overlay, upstream) labels (docs/design.md §5).
    The ``refined`` *strategy* applies *rules* (``refine.RULES`` names, None: the
    defaults) inside the conflicts of a file typed by *path*, and turns a clean
    merge that does not parse into a conflict.
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
    size = wide_marker_size(base_data, ours.data, theirs.data)
    content, clean = merge_file(
        base_data, ours.data, theirs.data, labels=labels, style=style, marker_size=size
    )
    if content is None:
        return MergeOutcome(None, mode, 1)
    if strategy == "refined" and base is not None:
        chosen = DEFAULT_RULES if rules is None else rules
        data = (base.data, ours.data, theirs.data)
        return _refined(data, (content, clean), mode, labels, style, path, chosen)
    return _outcome(content, clean, mode, labels, size)


def _outcome(
    content: bytes, clean: bool, mode: int, labels: tuple[str, str, str], size: int
) -> MergeOutcome:
    """A line merge's outcome: *size*-wide markers narrowed to git's, hunks counted."""
    if clean:
        return MergeOutcome(content, mode)
    encoded = (labels[0].encode(), labels[1].encode(), labels[2].encode())
    narrowed = narrow_markers(content, encoded, size)
    return MergeOutcome(narrowed.content, mode, max(1, narrowed.hunks))


def _refined(
    sides: tuple[bytes, bytes, bytes],
    line: tuple[bytes, bool],
    mode: int,
    labels: tuple[str, str, str],
    style: MergeStyle,
    path: str | None,
    rules: Sequence[str],
) -> MergeOutcome:
    """The refined strategy over the line merge *line* (content with wide markers, clean)."""
    filetype = file_type(path)
    size = wide_marker_size(*sides)
    plain = _outcome(*line, mode, labels, size)
    if not line[1]:
        named = [(name, RULES[name]) for name in rules]
        refined = refine_merge(sides, filetype, named, labels, style, size)
        if refined is None:
            return plain
        outcome = _outcome(refined.content, refined.hunks == 0, mode, labels, size)
        if not outcome.conflict_hunks and invalid_reason(
            filetype, sides[1], sides[2], refined.content
        ):
            return plain  # the rules' file does not parse: the plain conflict stands
        return replace(outcome, refinements=_with_undo(outcome, plain, refined, labels, size))
    reason = invalid_reason(filetype, sides[1], sides[2], line[0])
    if reason is None:
        return plain
    whole = _outcome(whole_conflict(*sides, style, size), False, mode, labels, size)
    return MergeOutcome(whole.content, mode, whole.conflict_hunks, invalid=reason)


def _with_undo(
    outcome: MergeOutcome,
    plain: MergeOutcome,
    refined: Refined,
    labels: tuple[str, str, str],
    size: int,
) -> tuple[Refinement, ...]:
    """*refined*'s refinements, each with the way back to its plain conflict.

    One resolved hunk: back to the line merge itself (what ``--strategy line``
    writes, byte for byte); more: to the merge leaving only that one unresolved,
    offered only when all of them together give the line merge exactly.
    """
    refinements = refined.refinements
    if outcome.content is None:
        return refinements
    if len(refinements) == 1:
        others: tuple[bytes | None, ...] = (plain.content,)
    else:
        others = tuple(
            None if c is None else _outcome(c, False, outcome.mode, labels, size).content
            for c in refined.without
        )
    undos = [None if o is None else plain_hunk(outcome.content, o) for o in others]
    kept = [u for u in undos if u is not None]
    # Each way back must be its hunk's alone: all of them together give the line merge
    # exactly, or none is offered (git re-aligned the other hunks when merging again).
    if len(kept) != len(refinements) or undo_all(outcome.content, kept) != plain.content:
        return refinements
    return tuple(replace(r, undo=u) for r, u in zip(refinements, undos, strict=True))
