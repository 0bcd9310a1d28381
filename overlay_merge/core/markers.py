"""Git's conflict markers: the one grammar every command uses to tell a file is in conflict.

A *marker line* is a line (cut at ``\\n``) that starts with exactly 7 of
one marker character -- ``<<<<<<<``, ``|||||||``, ``=======``,
``>>>>>>>`` -- followed by the end of the line (an optional ``\\r``
before it) or by a space and a label.  That is every marker git or this
tool writes: labelled (``<<<<<<< overlay``), bare (``<<<<<<<``, as
rerere stores them) and with CRLF ends; ``<<<<<<<<`` (8 wide) is none.

A file is **in conflict** while it holds any marker line -- a lone one
included -- unless that exact line is the file's own content: present
in the upstream's base or target version of the file, or in the overlay
copy as committed (see :class:`OwnLines`).  :func:`conflict_lines` finds
them; :mod:`overlay_merge.core.hunks` cuts the same lines into hunks.

Pure bytes logic.  The common case is cheap: a file with no marker line
at all is dismissed by a few substring searches, and the file's own
content lines are only computed when a marker line is found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from overlay_merge.core.model import short_sha

MARKER_SIZE: Final = 7
START: Final = b"<"
BASE: Final = b"|"
SEP: Final = b"="
END: Final = b">"
OURS_MARK: Final = START * MARKER_SIZE
BASE_MARK: Final = BASE * MARKER_SIZE
SEP_MARK: Final = SEP * MARKER_SIZE
THEIRS_MARK: Final = END * MARKER_SIZE
OURS_LABEL: Final = "overlay"
"""The label a bump gives the overlay side of a conflict (``<<<<<<< overlay``)."""
BASE_LABEL: Final = "base"
"""The label of the base section (``||||||| base 1a2b3c4``)."""
THEIRS_LABEL: Final = "upstream"
"""The label of upstream's side (``>>>>>>> upstream 9e8f7a6``)."""

# The marker lines this tool writes itself (labels with an abbreviated commit).
_TOOL_LINE: Final = re.compile(
    rb"<{7} " + OURS_LABEL.encode() + rb"|\|{7} " + BASE_LABEL.encode() + rb" [0-9a-f]{7,40}"
    rb"|>{7} " + THEIRS_LABEL.encode() + rb" [0-9a-f]{7,40}"
)


def conflict_labels(base_commit: str | None, target: str) -> tuple[str, str, str]:
    """The (base, ours, theirs) labels a bump writes.

    ``base 1a2b3c4``, ``overlay``, ``upstream 9e8f7a6`` (``base`` alone without a commit).
    """
    base = BASE_LABEL if base_commit is None else f"{BASE_LABEL} {short_sha(base_commit)}"
    return base, OURS_LABEL, f"{THEIRS_LABEL} {short_sha(target)}"


def line_body(line: bytes) -> bytes:
    """*line* without its end (``\\n``, ``\\r\\n``, or nothing for a last line)."""
    if line.endswith(b"\n"):
        line = line[:-1]
    return line[:-1] if line.endswith(b"\r") else line


def marker_kind(line: bytes) -> bytes | None:
    """The marker character (``<``, ``|``, ``=``, ``>``) if *line* is a marker line, else None.

    *line* may carry its end (``\\n`` or ``\\r\\n``) or not.
    """
    body = line_body(line)
    head = body[:MARKER_SIZE]
    if len(head) < MARKER_SIZE or head != head[:1] * MARKER_SIZE or head[:1] not in b"<|=>":
        return None
    if len(body) > MARKER_SIZE and body[MARKER_SIZE : MARKER_SIZE + 1] != b" ":
        return None
    return head[:1]


_MARKS: Final = (OURS_MARK, BASE_MARK, SEP_MARK, THEIRS_MARK)


def _line_starts(data: bytes) -> list[int]:
    """Offsets of the lines of *data* that are marker lines, in order.

    Substring searches (memchr speed) for each marker, skipping to the next
    line after a hit that does not start a marker line: a file without
    marker lines costs four scans, and a ruler line (``# =====...``) one hit.
    """
    starts = []
    for mark in _MARKS:
        at = data.find(mark)
        while at >= 0:
            line_end = data.find(b"\n", at)
            end = len(data) if line_end < 0 else line_end
            line_start = data.rfind(b"\n", 0, at) + 1
            if line_start + MARKER_SIZE <= end and marker_kind(data[line_start:end]):
                starts.append(line_start)
            if line_end < 0:
                break
            at = data.find(mark, line_end + 1)
    return sorted(set(starts))


@dataclass(frozen=True)
class MarkerLine:
    """A marker line of a file: its 1-based line number, marker character and body (no end)."""

    number: int
    kind: bytes
    body: bytes


def marker_lines(data: bytes) -> list[MarkerLine]:
    """Every marker line of *data*, in order, whether content or conflict."""
    found = []
    number, at = 1, 0
    for start in _line_starts(data):
        number += data.count(b"\n", at, start)
        at = start
        end = data.find(b"\n", start)
        body = line_body(data[start : len(data) if end < 0 else end])
        found.append(MarkerLine(number, body[:1], body))
    return found


class OwnLines:
    """The marker lines that are a file's own content, computed only when first needed.

    *upstream* gives the upstream's versions of the file (base, target; None
    where absent): every marker line of them is content.  *committed* gives
    the overlay copy as committed: its marker lines are content too, except
    the ones this tool writes into conflicts (``<<<<<<< overlay``,
    ``||||||| base 1a2b3c4``, ``>>>>>>> upstream 9e8f7a6``): a committed copy
    holding those holds committed conflict markers, never documentation.
    """

    def __init__(
        self,
        upstream: Callable[[], Iterable[bytes | None]] = tuple,
        committed: Callable[[], bytes | None] = lambda: None,
    ) -> None:
        self._upstream = upstream
        self._committed = committed
        self._lines: frozenset[bytes] | None = None

    @classmethod
    def of(cls, *upstream: bytes | None, committed: bytes | None = None) -> OwnLines:
        """Own lines from versions already in memory."""
        return cls(lambda: upstream, lambda: committed)

    def lines(self) -> frozenset[bytes]:
        """The bodies of every marker line that is content (computed once)."""
        if self._lines is None:
            own = {m.body for data in self._upstream() if data for m in marker_lines(data)}
            copy = self._committed()
            if copy:
                own.update(m.body for m in marker_lines(copy) if not _TOOL_LINE.fullmatch(m.body))
            self._lines = frozenset(own)
        return self._lines

    def allows(self, body: bytes) -> bool:
        """True if the marker line *body* (no line end) is the file's own content."""
        return body in self.lines()


NO_OWN_LINES: Final = OwnLines()
"""No line is content: every marker line is a conflict marker."""


def conflict_lines(data: bytes, own: OwnLines = NO_OWN_LINES) -> list[MarkerLine]:
    """The marker lines of *data* that are not its own content: the file is in conflict if any."""
    found = marker_lines(data)
    return [m for m in found if not own.allows(m.body)] if found else []


def has_conflict_markers(data: bytes, own: OwnLines = NO_OWN_LINES) -> bool:
    """True if *data* holds a marker line that is not its own content (see the module doc)."""
    return first_marker_line(data, own) is not None


def first_marker_line(data: bytes | None, own: OwnLines = NO_OWN_LINES) -> int | None:
    """The 1-based line number of the first conflict marker line of *data*, None if none."""
    if not data:
        return None
    found = marker_lines(data)
    return next((m.number for m in found if not own.allows(m.body)), None)


WIDE_MARKER_SIZE: Final = 41
"""Marker size the merge runs with before :func:`narrow_markers` (see :func:`wide_marker_size`)."""


def wide_marker_size(*contents: bytes | None) -> int:
    """A marker width for merging *contents*: ``WIDE_MARKER_SIZE``, wider if a line holds its run.

    A file may hold a line of exactly 41 ``=`` (an reStructuredText
    underline): markers that wide would be mistaken for it, so the merge
    takes markers wider than any run of a marker character a line starts with.
    """
    size = WIDE_MARKER_SIZE
    while any(data and _starts_a_line(data, size) for data in contents):
        size += 8
    return size


def _starts_a_line(data: bytes, size: int) -> bool:
    for mark in (START, BASE, SEP, END):
        run = mark * size
        if data.startswith(run) or b"\n" + run in data:
            return True
    return False


@dataclass(frozen=True)
class Narrowed:
    """Merged content with git's 7-wide labelled markers, and how many hunks it holds."""

    content: bytes
    hunks: int


def narrow_markers(
    content: bytes, labels: tuple[bytes, bytes, bytes], size: int = WIDE_MARKER_SIZE
) -> Narrowed:
    """Turn *size*-wide markers into git's 7-wide labelled ones; count the hunks.

    The merge runs with markers far wider than git's so that they can be told
    apart from any marker-like line of the files themselves: counting hunks
    and labelling markers then never mistakes content for structure.  (libgit2
    also drops the label of an empty side; every marker gets its label back
    here, as git writes them.)  *labels* are (base, ours, theirs).
    """
    wide = {
        START * size: OURS_MARK + b" " + labels[1],
        BASE * size: BASE_MARK + b" " + labels[0],
        SEP * size: SEP_MARK,
        END * size: THEIRS_MARK + b" " + labels[2],
    }
    lines = content.splitlines(keepends=True)
    hunks = 0
    for i, line in enumerate(lines):
        body = line.rstrip(b"\r\n")
        head = body[:size]
        if head not in wide or (len(body) > size and body[size : size + 1] != b" "):
            continue
        lines[i] = wide[head] + line[len(body) :]
        hunks += head[:1] == START
    return Narrowed(b"".join(lines), hunks)
