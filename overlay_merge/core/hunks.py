"""Conflict hunks of a file with git's markers: parse, take a side, render back to bytes.

A file left by a merge is a sequence of *parts*: text, and conflict hunks::

    <<<<<<< overlay            start marker
    ...                        the overlay's lines ("ours")
    ||||||| base 1a2b3c4       base marker (zdiff3 / diff3 only)
    ...                        the base's lines
    =======                    separator
    ...                        upstream's lines ("theirs")
    >>>>>>> upstream 9e8f7a6   end marker

Everything is bytes and every line keeps its own end (``\\n``, ``\\r\\n``, or
none for a last line), so :meth:`MarkedFile.render` gives back the parsed
bytes exactly, for any input.  Markers follow the one grammar of
:mod:`overlay_merge.core.markers` (git's 7 characters at the start of a
line, then the end of the line or a space and a label; the file's own
marker-like content lines are text).  Marker lines that do not form a
complete hunk stay text, and the file is *malformed*: no hunk is taken
from it, since where a hunk ends can no longer be known.

**Hunk numbering** ("conflict N"): hunks are numbered from 1 in file order,
counting the complete hunks present in the file *now*.  Right after a merge
these are the conflicts the merge preview shows (``diff --merged``, the
bump screen's ``n``/``p``); once a hunk is settled, the hunks below it move
up one number.

Pure bytes logic: no git, no files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from overlay_merge.core.markers import (
    BASE,
    BASE_MARK,
    NO_OWN_LINES,
    OURS_MARK,
    SEP,
    SEP_MARK,
    START,
    THEIRS_MARK,
    MarkerLine,
    OwnLines,
    line_body,
    marker_lines,
)
from overlay_merge.core.model import HunkTake

OURS: Final = "ours"
THEIRS: Final = "theirs"

# Which sides a take keeps, in output order.
_TAKE_SIDES: Final[dict[HunkTake, tuple[str, ...]]] = {
    HunkTake.OVERLAY: (OURS,),
    HunkTake.UPSTREAM: (THEIRS,),
    HunkTake.BOTH: (OURS, THEIRS),
    HunkTake.BOTH_UPSTREAM_FIRST: (THEIRS, OURS),
}


def split_lines(data: bytes) -> list[bytes]:
    """*data* cut after every ``\\n``, each line keeping its end (a last line may have none).

    Not :meth:`bytes.splitlines`: that also cuts at a lone ``\\r``, which git
    does not treat as a line end.
    """
    lines = data.split(b"\n")
    out = [line + b"\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


@dataclass(frozen=True)
class Hunk:
    """One conflict: the marker lines verbatim and each side's lines (ends kept).

    ``line`` is the 1-based line of the start marker in the file.  ``base``
    is None for two-way markers (``--style merge``, or an addition on both
    sides), where the file holds no base section.
    """

    line: int
    start: bytes
    ours: tuple[bytes, ...]
    base_marker: bytes | None
    base: tuple[bytes, ...] | None
    sep: bytes
    theirs: tuple[bytes, ...]
    end: bytes

    @property
    def size(self) -> int:
        """Lines the hunk spans in the file, markers included."""
        base = 0 if self.base is None else len(self.base) + 1
        return len(self.ours) + base + len(self.theirs) + 3

    def raw(self) -> bytes:
        """The hunk exactly as it is in the file."""
        parts = [self.start, *self.ours]
        if self.base_marker is not None and self.base is not None:
            parts += [self.base_marker, *self.base]
        parts += [self.sep, *self.theirs, self.end]
        return b"".join(parts)

    def side(self, name: str) -> tuple[bytes, ...]:
        return self.ours if name == OURS else self.theirs

    def taken(self, take: HunkTake, tails: Mapping[str, bytes] | None = None) -> bytes:
        """The text that replaces the hunk for *take*.

        *tails* (side -> the side's unterminated last line, if its file has
        one) only matters for a hunk at the very end of the file: git's
        markers always end a side's last line, so the line end git added is
        taken off again where the side's own file had none.
        """
        sides = _TAKE_SIDES[take]
        lines = [line for name in sides for line in self.side(name)]
        # As git's --union: only the side written last keeps its missing final
        # newline; a side followed by another (even an empty one) ends its line.
        if tails and self.side(sides[-1]):
            tail = tails.get(sides[-1], b"")
            end = lines[-1][len(tail) :]
            if tail and lines[-1].startswith(tail) and end in (b"\n", b"\r\n"):
                lines[-1] = tail
        return b"".join(lines)


Part = bytes | Hunk


@dataclass(frozen=True)
class Malformed:
    """Conflict marker lines that form no complete hunk: where (1-based line) and what is wrong."""

    line: int
    what: str


class MalformedError(ValueError):
    """Hunks taken from a file whose markers form no complete hunk somewhere."""


@dataclass(frozen=True)
class MarkedFile:
    """A file as text parts and conflict hunks, in order; ``render()`` gives its bytes back.

    ``problem`` is the first place where conflict markers form no complete
    hunk (None: every marker line is in a hunk); ``own`` the file's own
    content lines the file was parsed with.
    """

    parts: tuple[Part, ...]
    problem: Malformed | None = None
    own: OwnLines = field(default=NO_OWN_LINES, compare=False, repr=False)

    @property
    def in_conflict(self) -> bool:
        """True while the file holds a conflict marker (in a hunk or not)."""
        return self.problem is not None or bool(self.hunks)

    @property
    def hunks(self) -> tuple[Hunk, ...]:
        return tuple(p for p in self.parts if isinstance(p, Hunk))

    def render(self) -> bytes:
        """The file's bytes: exactly what was parsed, or with the hunks taken so far."""
        return b"".join(p.raw() if isinstance(p, Hunk) else p for p in self.parts)

    def hunk(self, number: int) -> Hunk:
        """Hunk *number* (1-based, file order); IndexError when there is no such hunk."""
        hunks = self.hunks
        if not 1 <= number <= len(hunks):
            raise IndexError(number)
        return hunks[number - 1]

    def take(
        self, numbers: Iterable[int], take: HunkTake, tails: Mapping[str, bytes] | None = None
    ) -> MarkedFile:
        """The file with hunks *numbers* (1-based) replaced by their *take* (:meth:`Hunk.taken`).

        Line numbers of the hunks left are those of the new content
        (the result is parsed again).  Raises :class:`MalformedError` for a
        malformed file: where a hunk ends cannot be known there.
        """
        if self.problem is not None:
            raise MalformedError(f"line {self.problem.line}: {self.problem.what}")
        wanted = set(numbers)
        for number in wanted:
            self.hunk(number)  # raises for a number out of range
        out: list[bytes] = []
        seen = 0
        for index, part in enumerate(self.parts):
            if not isinstance(part, Hunk):
                out.append(part)
                continue
            seen += 1
            if seen not in wanted:
                out.append(part.raw())
                continue
            # Only a hunk that ends the file can hold a side's unterminated last line.
            at_end = index == len(self.parts) - 1
            out.append(part.taken(take, tails if at_end else None))
        return parse(b"".join(out), self.own)

    def take_all(self, take: HunkTake, tails: Mapping[str, bytes] | None = None) -> MarkedFile:
        """The file with every hunk replaced by its *take*."""
        return self.take(range(1, len(self.hunks) + 1), take, tails)


Span = tuple[int, int | None, int, int]
"""A hunk's marker lines, 1-based: start, base (None for two-way markers), separator, end."""


@dataclass
class _Open:
    """A hunk being read: its marker lines so far, and the file's own ``=======`` lines in it."""

    start: int
    base: int | None = None
    sep: int | None = None
    candidates: list[int] = field(default_factory=list)


_NO_END: Final = f"conflict marker without its end ({THEIRS_MARK.decode()})"
_NO_START: Final = f"conflict marker without its start ({OURS_MARK.decode()})"
_NO_SEP: Final = f"conflict marker without its separator ({SEP_MARK.decode()})"
_TWO_SEPS: Final = f"a second separator ({SEP_MARK.decode()}) in one conflict"
_LATE_BASE: Final = f"a base marker ({BASE_MARK.decode()}) out of place in a conflict"
_AMBIGUOUS: Final = (
    f"conflict whose separator ({SEP_MARK.decode()}) cannot be told from the file's own "
    f"{SEP_MARK.decode()} lines"
)


@dataclass(frozen=True)
class _Stepped:
    """What one marker line did to the hunk being read."""

    open: _Open | None = None  # the hunk still being read (None: none is)
    span: Span | None = None  # the hunk it closed
    problem: Malformed | None = None


def _step(hunk: _Open, mark: MarkerLine) -> _Stepped:
    """Read conflict marker *mark* inside *hunk*."""
    if mark.kind == START:
        return _Stepped(_Open(mark.number), problem=Malformed(hunk.start, _NO_END))
    if mark.kind == BASE:
        if hunk.base is not None or hunk.sep is not None:
            return _Stepped(problem=Malformed(hunk.start, f"{_LATE_BASE} (line {mark.number})"))
        hunk.base = mark.number
        hunk.candidates.clear()  # the separator comes after the base section
        return _Stepped(hunk)
    if mark.kind == SEP:
        if hunk.sep is not None:
            return _Stepped(problem=Malformed(hunk.start, f"{_TWO_SEPS} (line {mark.number})"))
        hunk.sep = mark.number
        return _Stepped(hunk)
    if hunk.sep is None:
        # The separator may be a line the file also holds as content (a
        # Markdown underline): taken only when it is the one such line here.
        if len(hunk.candidates) != 1:
            why = _AMBIGUOUS if hunk.candidates else _NO_SEP
            return _Stepped(problem=Malformed(hunk.start, why))
        hunk.sep = hunk.candidates[0]
    return _Stepped(span=(hunk.start, hunk.base, hunk.sep, mark.number))


@dataclass(frozen=True)
class HunkSpans:
    """The complete hunks of a file, and every place its conflict markers form none."""

    spans: list[Span]
    problems: list[Malformed]


def hunk_spans(data: bytes, own: OwnLines = NO_OWN_LINES) -> HunkSpans:
    """The complete hunks of *data* and every place its conflict markers form none.

    The grammar of :mod:`overlay_merge.core.markers`: marker lines that are
    the file's own content (*own*) are text, except that a hunk with no
    other separator takes its one own ``=======`` line as separator.  A
    hunk is start, optional base marker, separator, end; every other
    conflict marker line (a lone one, a start inside a hunk, a second
    separator, a hunk open at the end of the file) is a :class:`Malformed`,
    at the line of its hunk's start when it is inside one.  So the first
    conflict marker line of the file is always the first hunk's or the
    first problem's line.
    """
    spans: list[Span] = []
    problems: list[Malformed] = []
    hunk: _Open | None = None
    for mark in marker_lines(data):
        if own.allows(mark.body):
            if mark.kind == SEP and hunk is not None and hunk.sep is None:
                hunk.candidates.append(mark.number)
            continue
        if hunk is None:
            if mark.kind == START:
                hunk = _Open(mark.number)
            else:
                problems.append(Malformed(mark.number, _NO_START))
            continue
        stepped = _step(hunk, mark)
        hunk = stepped.open
        spans += [stepped.span] if stepped.span else []
        problems += [stepped.problem] if stepped.problem else []
    if hunk is not None:
        problems.append(Malformed(hunk.start, _NO_END))
    return HunkSpans(spans, problems)


def _hunk(lines: Sequence[bytes], span: Span) -> Hunk:
    start, base, sep, end = span
    ours_to = sep if base is None else base
    return Hunk(
        start,
        lines[start - 1],
        tuple(lines[start : ours_to - 1]),
        None if base is None else lines[base - 1],
        None if base is None else tuple(lines[base : sep - 1]),
        lines[sep - 1],
        tuple(lines[sep : end - 1]),
        lines[end - 1],
    )


def parse(data: bytes, own: OwnLines = NO_OWN_LINES) -> MarkedFile:
    """Cut *data* into text parts and complete conflict hunks (any bytes; never fails).

    *own* are the marker lines that are the file's own content (see
    :class:`overlay_merge.core.markers.OwnLines`).  Marker lines that form
    no complete hunk stay text and make the file *malformed*
    (``MarkedFile.problem``, the first such place): hunks must not be
    taken from it.  ``render()`` is the identity either way.
    """
    found = hunk_spans(data, own)
    spans = found.spans
    problem = min(found.problems, key=lambda p: p.line, default=None)
    if not spans:
        return MarkedFile((data,) if data else (), problem, own)
    lines = split_lines(data)
    parts: list[Part] = []
    at = 0  # 0-based index of the first line not yet in a part
    for span in spans:
        if span[0] - 1 > at:
            parts.append(b"".join(lines[at : span[0] - 1]))
        parts.append(_hunk(lines, span))
        at = span[3]
    if at < len(lines):
        parts.append(b"".join(lines[at:]))
    return MarkedFile(tuple(parts), problem, own)


# -- why a hunk conflicts -------------------------------------------------------------

EQUAL: Final = "equal"
WHITESPACE: Final = "whitespace"
QUOTES: Final = "quotes"
WHITESPACE_AND_QUOTES: Final = "whitespace and quotes"


def _squeeze(lines: Sequence[bytes]) -> list[bytes]:
    """Lines compared "ignoring whitespace": runs of blanks inside a line count as one,
    trailing blanks and blank lines do not count.  Indentation is kept as it is:
    in Python (and YAML) it is code."""
    out = []
    for line in lines:
        body = line_body(line).rstrip(b" \t\r\f\v")
        if not body:
            continue
        stripped = body.lstrip(b" \t")
        indent = body[: len(body) - len(stripped)]
        out.append(indent + b" ".join(stripped.split()))
    return out


def _unquote(lines: Sequence[bytes]) -> list[bytes]:
    return [line.replace(b"'", b'"') for line in lines]


def cosmetic_change(side: Sequence[bytes], base: Sequence[bytes]) -> str | None:
    """How a side's lines differ from the base's, when not in substance.

    ``equal`` (no change at all), ``whitespace`` (amount of blanks inside a
    line, trailing blanks, blank lines, line ends), ``quotes`` (``'`` vs
    ``"``), ``whitespace and quotes``; None for a change of substance.  For
    such a side, choosing the other side loses nothing of substance.
    """
    if list(side) == list(base):
        return EQUAL
    if _squeeze(side) == _squeeze(base):
        return WHITESPACE
    if _unquote(side) == _unquote(base):
        return QUOTES
    if _squeeze(_unquote(side)) == _squeeze(_unquote(base)):
        return WHITESPACE_AND_QUOTES
    return None


def with_bases(hunks: Sequence[Hunk], reference: MarkedFile) -> list[tuple[Hunk, bool]]:
    """Two-way *hunks* with the base sections of *reference*, a zdiff3 merge of the same sides.

    A file merged with ``--style merge`` holds no base section.  The same
    merge run again with base sections (zdiff3) covers the same ground with
    conflicts that git's two-way style may have split (where both sides share
    lines) or joined (conflicts a line or two apart).  Each two-way hunk is
    found in the reference by its lines, in order, and gets the base of the
    stretch it covers.  Returns ``(hunk, exact)`` pairs: *exact* when that
    stretch is one reference hunk with the same two sides, so the base is
    exactly this hunk's (only then is a side's change classified); a hunk
    not found keeps ``base=None``.  Hunks that have a base section are
    returned as they are (exact).
    """
    ours_side, theirs_side = _side_lines(reference, OURS), _side_lines(reference, THEIRS)
    ours_stream, ours_items = ours_side.lines, ours_side.parts
    theirs_stream, theirs_items = theirs_side.lines, theirs_side.parts
    out: list[tuple[Hunk, bool]] = []
    ours_at = theirs_at = 0
    for hunk in hunks:
        if hunk.base is not None:
            out.append((hunk, True))
            continue
        found_ours = _find(ours_stream, hunk.ours, ours_at)
        found_theirs = _find(theirs_stream, hunk.theirs, theirs_at)
        if found_ours is None or found_theirs is None:
            out.append((hunk, False))
            continue
        ours_at, theirs_at = found_ours + len(hunk.ours), found_theirs + len(hunk.theirs)
        covered = set(ours_items[found_ours:ours_at]) | set(theirs_items[found_theirs:theirs_at])
        if not covered:
            out.append((hunk, False))
            continue
        stretch = reference.parts[min(covered) : max(covered) + 1]
        base = tuple(
            line
            for part in stretch
            for line in (part.base or () if isinstance(part, Hunk) else split_lines(part))
        )
        exact = (
            len(stretch) == 1
            and isinstance(stretch[0], Hunk)
            and (stretch[0].ours, stretch[0].theirs) == (hunk.ours, hunk.theirs)
        )
        marker = next((p.base_marker for p in stretch if isinstance(p, Hunk)), None)
        out.append((replace(hunk, base=base, base_marker=marker), exact))
    return out


@dataclass(frozen=True)
class _SideLines:
    """One side of a merged file, line by line, with the index of the part each line is from."""

    lines: list[bytes] = field(default_factory=list)
    parts: list[int] = field(default_factory=list)


def _side_lines(marked: MarkedFile, side: str) -> _SideLines:
    found = _SideLines()
    for index, part in enumerate(marked.parts):
        chunk = part.side(side) if isinstance(part, Hunk) else split_lines(part)
        found.lines.extend(chunk)
        found.parts.extend([index] * len(chunk))
    return found


def _find(lines: Sequence[bytes], run: Sequence[bytes], start: int) -> int | None:
    """Where *run* first occurs as a contiguous part of *lines* at or after *start*."""
    size = len(run)
    if not size:
        return start if start <= len(lines) else None
    first = run[0]
    for i in range(start, len(lines) - size + 1):
        if lines[i] == first and tuple(lines[i : i + size]) == tuple(run):
            return i
    return None
