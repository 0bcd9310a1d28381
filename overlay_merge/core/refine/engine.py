"""Rules applied inside the conflict hunks of a line merge, then the file merged again.

The line merge is cut into regions (:mod:`.regions`, diff3 so every hunk
has its base); each conflict hunk is offered to the rules in order and the
first resolution is kept.  The file is then merged again with each resolved
hunk written identically into both sides: git sees the same change twice
there (clean) and renders every other hunk in the chosen style exactly as
before.  Anything unexpected (markers that do not nest, a side without a
final newline, a hunk count that does not drop by the resolved number)
gives up: the plain line merge stands (docs/design.md §5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from overlay_merge.core.git.merge import merge_file
from overlay_merge.core.git.model import MergeStyle
from overlay_merge.core.markers import narrow_markers
from overlay_merge.core.refine.model import FileType, Hunk, Lines, Refinement, Rule
from overlay_merge.core.refine.regions import Conflict, Region, side_text, split_regions
from overlay_merge.core.refine.syntax import parses


@dataclass(frozen=True)
class Refined:
    """A refined merge: content with wide markers, its hunk count and what each rule did.

    *without*: with two resolved hunks or more, for each (in order) the merge
    that leaves that one a conflict (wide markers; None where git gave none),
    so it can be put back alone (:mod:`.plain`).  With one it is the line merge.
    """

    content: bytes
    hunks: int
    refinements: tuple[Refinement, ...]
    without: tuple[bytes | None, ...] = ()


def hunks_of(regions: list[Region], filetype: FileType) -> dict[int, Hunk]:
    """Each conflict region (by index) as a :class:`Hunk` with the text around it."""
    found = {}
    for i, region in enumerate(regions):
        if isinstance(region, Conflict):
            before = side_text(regions[:i], {}, "ours")
            after = side_text(regions[i + 1 :], {}, "ours")
            found[i] = Hunk(region.base, region.ours, region.theirs, before, after, filetype)
    return found


def resolve_hunks(
    hunks: Mapping[int, Hunk], rules: Sequence[tuple[str, Rule]]
) -> dict[int, tuple[str, Lines]]:
    """The first resolution a rule gives for each hunk (by region index), with the rule's name."""
    resolved = {}
    for i, hunk in hunks.items():
        for name, rule in rules:
            lines = rule(hunk)
            if lines is not None and not _breaks(hunk, lines):
                resolved[i] = (name, lines)
                break
    return resolved


def _breaks(hunk: Hunk, lines: Lines) -> bool:
    """True if *lines* make a file that parsed with the overlay's side fail to parse."""
    if parses(hunk.filetype, hunk.document(hunk.ours)) is not True:
        return False
    return parses(hunk.filetype, hunk.document(lines)) is False


def refine_merge(
    sides: tuple[bytes, bytes, bytes],
    filetype: FileType,
    rules: Sequence[tuple[str, Rule]],
    labels: tuple[str, str, str],
    style: MergeStyle,
    size: int,
) -> Refined | None:
    """The merge of (base, ours, theirs) with *rules* inside its conflicts; None if none fired.

    *size*: the markers' width (``markers.wide_marker_size`` of the sides).
    """
    base, ours, theirs = sides
    if not rules or any(data and not data.endswith(b"\n") for data in sides):
        return None  # git adds a newline to a last line in a hunk: the sides would not read back
    merged, clean = merge_file(base, ours, theirs, labels=labels, style="diff3", marker_size=size)
    regions = None if merged is None or clean else split_regions(merged, size)
    if regions is None:
        return None
    hunks = hunks_of(regions, filetype)
    resolved = resolve_hunks(hunks, rules)
    if not resolved:
        return None
    choose = {i: lines for i, (_, lines) in resolved.items()}
    ours2, theirs2 = side_text(regions, choose, "ours"), side_text(regions, choose, "theirs")
    if len(resolved) == len(hunks):
        content, left = ours2, 0
    else:
        again, _ = merge_file(base, ours2, theirs2, labels=labels, style=style, marker_size=size)
        if again is None:
            return None
        content = again
        left = narrow_markers(again, _encoded(labels), size).hunks
        if left != len(hunks) - len(resolved):
            return None
    without = _without_each(base, regions, choose, labels, style, size)
    return Refined(content, left, provenance(content, regions, resolved), without)


def _without_each(
    base: bytes,
    regions: list[Region],
    choose: Mapping[int, Lines],
    labels: tuple[str, str, str],
    style: MergeStyle,
    size: int,
) -> tuple[bytes | None, ...]:
    """For each resolved hunk (by region order), the merge leaving that one a conflict."""
    if len(choose) < 2:
        return ()
    found = []
    for i in sorted(choose):
        rest = {k: v for k, v in choose.items() if k != i}
        ours, theirs = side_text(regions, rest, "ours"), side_text(regions, rest, "theirs")
        merged, _ = merge_file(base, ours, theirs, labels=labels, style=style, marker_size=size)
        found.append(merged)
    return tuple(found)


def _encoded(labels: tuple[str, str, str]) -> tuple[bytes, bytes, bytes]:
    return labels[0].encode(), labels[1].encode(), labels[2].encode()


def provenance(
    content: bytes, regions: list[Region], resolved: Mapping[int, tuple[str, Lines]]
) -> tuple[Refinement, ...]:
    """Where each resolved hunk landed in *content*: the texts of *regions* found in order."""
    found = []
    at = 0
    for i, region in enumerate(regions):
        if i in resolved:
            name, lines = resolved[i]
            text = b"".join(lines)
        elif isinstance(region, bytes):
            name, text = "", region
        else:
            continue
        where = content.find(text, at)
        if where < 0:
            where = at
        if name:
            found.append(Refinement(name, content.count(b"\n", 0, where) + 1, len(lines)))
        at = where + len(text)
    return tuple(found)
