"""Where each conflict hunk sits in the overlay file the reviewer opens (docs/design.md §6).

A merge preview's conflict hunk is at some line of what a merge would write;
a reviewer (a GitHub annotation, a JUnit entry) opens the overlay file as it
is.  Each hunk's overlay side ("ours") is a run of the overlay file's own
lines: a line diff of the overlay file to the preview tells which line of
the file each unchanged preview line is, and so the hunk's line range there.

Pure bytes logic, over the git layer's line diff.
"""

from __future__ import annotations

from collections.abc import Sequence

from overlay_merge.core.git.diff import changed_spans
from overlay_merge.core.hunks import hunk_spans, parse, split_lines
from overlay_merge.core.markers import NO_OWN_LINES, OwnLines

LineRange = tuple[int, int]  # first and last line, 1-based, inclusive


class _LineMap:
    """Lines of *new* that a diff leaves unchanged, mapped to their line in *old*."""

    def __init__(self, old: bytes, new: bytes) -> None:
        self.spans = changed_spans(old, new)

    def old_line(self, line: int) -> int | None:
        """The line of *old* that *new*'s *line* is, None if the diff added it."""
        shift = 0
        for _, old_lines, new_start, new_lines in self.spans:
            if new_lines and new_start <= line < new_start + new_lines:
                return None
            if line > new_start + max(new_lines, 1) - 1:
                shift += old_lines - new_lines
        return line + shift


def overlay_ranges(ours: bytes, merged: bytes, own: OwnLines = NO_OWN_LINES) -> list[LineRange]:
    """Each conflict hunk of *merged* (a merge of overlay file *ours*) as lines of *ours*.

    A hunk whose overlay side is empty (the overlay deleted those lines) is
    the one line where they were (the next line of the file, or its last).
    *own*: the marker-like lines that are content, as the hunks were counted.
    """
    mapping = _LineMap(ours, merged)
    lines = tuple(split_lines(ours))
    ranges: list[LineRange] = []
    after = 0  # the overlay lines before the hunk being placed
    for hunk in parse(merged, own).hunks:
        first = _placed(mapping, lines, hunk.line, hunk.ours, after)
        size = len(hunk.ours)
        end = first + size - 1 if size else first
        top = max(1, len(lines))
        ranges.append((min(first, top), min(end, top)))
        after = first - 1 + size
    return ranges


def _placed(
    mapping: _LineMap, lines: Sequence[bytes], start: int, side: tuple[bytes, ...], after: int
) -> int:
    """The overlay line where a hunk's overlay *side* starts (its start marker: line *start*)."""
    if side:
        first, last = mapping.old_line(start + 1), mapping.old_line(start + len(side))
        if first is not None and last == first + len(side) - 1:
            return first
        # The diff matched those lines otherwise: look for them below the last hunk.
        size = len(side)
        found = (i for i in range(after, len(lines) - size + 1) if lines[i : i + size] == side)
        return next(found, after) + 1
    # No overlay lines: the line after the last overlay line the preview keeps above.
    for line in range(start - 1, 0, -1):
        kept = mapping.old_line(line)
        if kept is not None:
            return max(kept + 1, after + 1)
    return after + 1


def marker_ranges(data: bytes, own: OwnLines = NO_OWN_LINES) -> list[LineRange]:
    """The complete conflict hunks of *data* (a file holding markers), start to end marker."""
    return [(span[0], span[3]) for span in hunk_spans(data, own).spans]
