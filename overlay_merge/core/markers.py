"""Git's conflict markers: detecting them, counting hunks, labelling empty sides.

Pure bytes logic, shared by the merge (gitstore), ``status`` and ``resolve``.
Markers have git's default size of 7 and start a line.
"""

from __future__ import annotations

from typing import Final

MARKER_SIZE: Final = 7
OURS_MARK: Final = b"<" * MARKER_SIZE
BASE_MARK: Final = b"|" * MARKER_SIZE
SEP_MARK: Final = b"=" * MARKER_SIZE
THEIRS_MARK: Final = b">" * MARKER_SIZE
OURS_LABEL: Final = "overlay"
"""The label a bump gives the overlay side of a conflict (``<<<<<<< overlay``)."""


def has_conflict_markers(data: bytes) -> bool:
    """True if *data* still holds git conflict markers (``<<<<<<< `` and ``>>>>>>> `` lines)."""
    if OURS_MARK + b" " not in data:
        return False
    seen_start = seen_end = False
    for line in data.splitlines():
        if line.startswith(OURS_MARK + b" "):
            seen_start = True
        elif line.startswith(THEIRS_MARK + b" ") and seen_start:
            seen_end = True
            break
    return seen_start and seen_end


WIDE_MARKER_SIZE: Final = 41
"""Marker size the merge runs with before :func:`narrow_markers` (content never has these)."""


def narrow_markers(
    content: bytes, labels: tuple[bytes, bytes, bytes], size: int = WIDE_MARKER_SIZE
) -> tuple[bytes, int]:
    """Turn *size*-wide markers into git's 7-wide labelled ones; count the hunks.

    The merge runs with markers far wider than git's so that they can be told
    apart from any marker-like line of the files themselves: counting hunks
    and labelling markers then never mistakes content for structure.  (libgit2
    also drops the label of an empty side; every marker gets its label back
    here, as git writes them.)  *labels* are (base, ours, theirs).
    """
    wide = {
        b"<" * size: OURS_MARK + b" " + labels[1],
        b"|" * size: BASE_MARK + b" " + labels[0],
        b"=" * size: SEP_MARK,
        b">" * size: THEIRS_MARK + b" " + labels[2],
    }
    lines = content.splitlines(keepends=True)
    hunks = 0
    for i, line in enumerate(lines):
        body = line.rstrip(b"\r\n")
        head = body[:size]
        if head not in wide or (len(body) > size and body[size : size + 1] != b" "):
            continue
        lines[i] = wide[head] + line[len(body) :]
        hunks += head[:1] == b"<"
    return b"".join(lines), hunks


def count_conflicts(content: bytes, ours_label: bytes, theirs_label: bytes) -> int:
    """Count complete ``<<<<<<< ours`` ... ``=======`` ... ``>>>>>>> theirs`` hunks.

    Walking the marker lines in order (instead of counting every
    ``<<<<<<<`` line) ignores most marker-like lines of the content itself;
    the bump counts exactly with :func:`narrow_markers` instead.
    """
    start = OURS_MARK + b" " + ours_label
    end = THEIRS_MARK + b" " + theirs_label
    count, state = 0, 0  # state: 0 outside, 1 after start, 2 after separator
    for raw in content.splitlines():
        line = raw.rstrip(b"\r")
        if line == start and state == 0:
            state = 1
        elif line == SEP_MARK and state == 1:
            state = 2
        elif line == end and state == 2:
            count, state = count + 1, 0
    return count
