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
bytes exactly, for any input.  Markers are git's 7 characters at the start
of a line, followed by a space and a label or by the end of the line; text
that does not form a complete hunk stays text.

**Hunk numbering** ("conflict N"): hunks are numbered from 1 in file order,
counting the complete hunks present in the file *now*.  Right after a merge
these are the conflicts the merge preview shows (``diff --merged``, the
bump screen's ``n``/``p``); once a hunk is settled, the hunks below it move
up one number.

Pure bytes logic: no git, no files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from overlay_merge.core.markers import BASE_MARK, OURS_MARK, SEP_MARK, THEIRS_MARK

Take = Literal["overlay", "upstream", "both", "both-upstream-first"]
TAKES: Final[tuple[Take, ...]] = ("overlay", "upstream", "both", "both-upstream-first")

OURS: Final = "ours"
THEIRS: Final = "theirs"

# Which sides a take keeps, in output order.
_TAKE_SIDES: Final[dict[str, tuple[str, ...]]] = {
    "overlay": (OURS,),
    "upstream": (THEIRS,),
    "both": (OURS, THEIRS),
    "both-upstream-first": (THEIRS, OURS),
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


def _body(line: bytes) -> bytes:
    """The line without its end (``\\n`` or ``\\r\\n``)."""
    if line.endswith(b"\n"):
        line = line[:-1]
    return line[:-1] if line.endswith(b"\r") else line


def _is_marker(line: bytes, mark: bytes) -> bool:
    """*mark* alone, or followed by a space and a label (never 8 ``<`` in a row)."""
    body = _body(line)
    return body == mark or body.startswith(mark + b" ")


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

    def taken(self, take: Take, tails: Mapping[str, bytes] | None = None) -> bytes:
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
class MarkedFile:
    """A file as text parts and conflict hunks, in order; ``render()`` gives its bytes back."""

    parts: tuple[Part, ...]

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
        self, numbers: Iterable[int], take: Take, tails: Mapping[str, bytes] | None = None
    ) -> MarkedFile:
        """The file with hunks *numbers* (1-based) replaced by their *take* (:meth:`Hunk.taken`).

        Line numbers of the hunks left are those of the new content
        (the result is parsed again).
        """
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
        return parse(b"".join(out))

    def take_all(self, take: Take, tails: Mapping[str, bytes] | None = None) -> MarkedFile:
        """The file with every hunk replaced by its *take*."""
        return self.take(range(1, len(self.hunks) + 1), take, tails)


class _Builder:
    """Collects the lines of a hunk being read; gives them back as text if it never closes."""

    def __init__(self, line_no: int, start: bytes) -> None:
        self.line_no = line_no
        self.start = start
        self.ours: list[bytes] = []
        self.base_marker: bytes | None = None
        self.base: list[bytes] | None = None
        self.sep: bytes | None = None
        self.theirs: list[bytes] = []

    def lines(self) -> list[bytes]:
        out = [self.start, *self.ours]
        if self.base_marker is not None:
            out += [self.base_marker, *(self.base or [])]
        if self.sep is not None:
            out += [self.sep, *self.theirs]
        return out

    def add(self, line: bytes) -> None:
        """A line inside the hunk: a marker that moves on to the next section, or content."""
        if self.sep is not None:
            self.theirs.append(line)
        elif self.base is None and _is_marker(line, BASE_MARK):
            self.base_marker, self.base = line, []
        elif _body(line) == SEP_MARK:
            self.sep = line
        elif self.base is not None:
            self.base.append(line)
        else:
            self.ours.append(line)

    def close(self, end: bytes) -> Hunk:
        assert self.sep is not None
        return Hunk(
            self.line_no,
            self.start,
            tuple(self.ours),
            self.base_marker,
            None if self.base is None else tuple(self.base),
            self.sep,
            tuple(self.theirs),
            end,
        )


def parse(data: bytes) -> MarkedFile:
    """Cut *data* into text parts and complete conflict hunks (any bytes; never fails).

    A start marker begins a hunk; a hunk is complete at the first end marker
    after its separator.  A second start marker before that abandons the
    first (its lines stay text), and a hunk still open at the end of the
    file is text: ``render()`` is the identity either way.
    """
    parts: list[Part] = []
    text: list[bytes] = []
    open_hunk: _Builder | None = None

    def flush_text() -> None:
        if text:
            parts.append(b"".join(text))
            text.clear()

    for number, line in enumerate(split_lines(data), start=1):
        if _is_marker(line, OURS_MARK):
            if open_hunk is not None:
                text.extend(open_hunk.lines())
            open_hunk = _Builder(number, line)
        elif open_hunk is None:
            text.append(line)
        elif open_hunk.sep is not None and _is_marker(line, THEIRS_MARK):
            flush_text()
            parts.append(open_hunk.close(line))
            open_hunk = None
        else:
            open_hunk.add(line)
    if open_hunk is not None:
        text.extend(open_hunk.lines())
    flush_text()
    return MarkedFile(tuple(parts))


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
        body = _body(line).rstrip(b" \t\r\f\v")
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
    ours_stream, ours_items = _stream(reference, OURS)
    theirs_stream, theirs_items = _stream(reference, THEIRS)
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


def _stream(marked: MarkedFile, side: str) -> tuple[list[bytes], list[int]]:
    """One side of a merged file, line by line, with the index of the part each line is from."""
    lines: list[bytes] = []
    items: list[int] = []
    for index, part in enumerate(marked.parts):
        chunk = part.side(side) if isinstance(part, Hunk) else split_lines(part)
        lines.extend(chunk)
        items.extend([index] * len(chunk))
    return lines, items


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
