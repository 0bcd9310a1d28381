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


def label_empty_sides(
    content: bytes,
    base: bytes | None,
    ours: bytes,
    theirs: bytes,
    labels: tuple[bytes, bytes, bytes],
) -> bytes:
    """Add the labels libgit2 drops from the marker lines of empty sides (git keeps them).

    An empty side contributes no lines, so its bare marker is directly
    followed (ours, base) or preceded (theirs) by another marker line; that
    adjacency check leaves content lines that merely look like markers alone.
    """
    lines = content.splitlines(keepends=True)
    n = len(lines)

    def bare(line: bytes, mark: bytes) -> bool:
        return line.rstrip(b"\r\n") == mark

    for i, line in enumerate(lines):
        eol = line[len(line.rstrip(b"\r\n")) :]
        nxt = lines[i + 1] if i + 1 < n else b""
        prv = lines[i - 1] if i else b""
        if not ours and bare(line, OURS_MARK) and nxt.startswith((BASE_MARK, SEP_MARK)):
            lines[i] = OURS_MARK + b" " + labels[1] + eol
        elif not base and bare(line, BASE_MARK) and bare(nxt, SEP_MARK):
            lines[i] = BASE_MARK + b" " + labels[0] + eol
        elif not theirs and bare(line, THEIRS_MARK) and bare(prv, SEP_MARK):
            lines[i] = THEIRS_MARK + b" " + labels[2] + eol
    return b"".join(lines)


def count_conflicts(content: bytes, ours_label: bytes, theirs_label: bytes) -> int:
    """Count complete ``<<<<<<< ours`` ... ``=======`` ... ``>>>>>>> theirs`` hunks.

    Walking the marker lines in order (instead of counting every
    ``<<<<<<<`` line) ignores marker-like lines of the content itself.
    """
    start = OURS_MARK + b" " + ours_label
    end = THEIRS_MARK + b" " + theirs_label
    count, state = 0, 0  # state: 0 outside, 1 after start, 2 after separator
    for raw in content.splitlines():
        line = raw.rstrip(b"\r")
        if line == start:
            state = 1
        elif line == SEP_MARK and state == 1:
            state = 2
        elif line == end and state == 2:
            count, state = count + 1, 0
    return count
