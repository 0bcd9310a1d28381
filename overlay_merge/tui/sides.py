"""A conflict hunk's sides as screen lines: word-level marks, side by side or stacked.

Pure functions of a :class:`HunkView`: no widgets.  Each side is compared
with the base word by word (difflib on tokens; against the other side when
there is no base), and what it changed is marked on top of its syntax
highlighting, so the difference is seen at a glance, not hunted for.
:func:`first_changes` says where each side's first marked word starts, for
the view to open scrolled there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from rich.style import Style
from rich.text import Text

from overlay_merge.core.hunks import EQUAL
from overlay_merge.core.model import BaseSource
from overlay_merge.core.takes import HunkView
from overlay_merge.reports.base import plural
from overlay_merge.tui.render import BASE_SIDE, MUTED, OURS_SIDE, THEIRS_SIDE, clean, highlight

WIDE = 140
"""From this many columns the sides are shown side by side, stacked below it."""

OURS_WORD = Style(bgcolor="#3b6bb5", bold=True)
THEIRS_WORD = Style(bgcolor="#9a6a1e", bold=True)
COSMETIC = Style(color="#a6e22e", bold=True)
FILLER = Style(color="#444444")
GUTTER = 2  # columns before each line of a side

_TOKENS = re.compile(r"\n|\w+|[^\S\n]+|[^\w\s]")

Spans = list[list[tuple[int, int]]]  # per line, the changed [start, end) columns


def _decode(lines: Sequence[bytes]) -> list[str]:
    return [clean(line.decode("utf-8", "replace").rstrip("\r\n")) for line in lines]


def changed_words(side: list[str], other: list[str]) -> Spans:
    """Per line of *side*, the column ranges of the words that differ from *other*."""
    spans: Spans = [[] for _ in side]
    new = _TOKENS.findall("\n".join(side))
    matcher = SequenceMatcher(None, _TOKENS.findall("\n".join(other)), new, autojunk=False)
    # Where each token of *side* sits: its line and column.
    where: list[tuple[int, int]] = []
    line = column = 0
    for token in new:
        where.append((line, column))
        line, column = (line + 1, 0) if token == "\n" else (line, column + len(token))
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            for index in range(j1, j2):
                if new[index] != "\n":
                    row, start = where[index]
                    spans[row].append((start, start + len(new[index])))
    return spans


def _first_in_line(line: str, spans: list[tuple[int, int]]) -> int | None:
    """Where *line*'s first changed word starts; None if none, or if the line is mostly new
    (a new line is seen from its start: no need to scroll sideways for it)."""
    marked = {i for start, end in spans for i in range(start, end) if not line[i : i + 1].isspace()}
    solid = sum(1 for c in line if not c.isspace())
    if not marked or len(marked) * 2 > solid:
        return None
    return min(start for start, end in spans if any(i in marked for i in range(start, end)))


def first_changes(*sides: Side) -> list[int]:
    """Per side, the first column where it changed a word inside a line (for the scroll)."""
    found = []
    for side in sides:
        pairs = zip(side.lines, side.spans, strict=False)  # a base side has no spans
        starts = [_first_in_line(line, spans) for line, spans in pairs]
        known = [start for start in starts if start is not None]
        if known:
            found.append(min(known))
    return found


@dataclass
class Side:
    """One side of a hunk ready to show: a title, a note, its lines and word marks."""

    title: str
    style: Style
    lines: list[str]
    note: tuple[str, Style | str] = ("", "")
    spans: Spans = field(default_factory=list)
    word: Style = field(default_factory=Style)

    def head(self, *, compact: bool) -> list[Text]:
        line = Text().append(f" {self.title} ", self.style + Style(bold=True))
        line.append(f" {plural(len(self.lines), 'line')}", MUTED)
        note, style = self.note
        if note and compact:
            return [line.append(f" · {note}", style)]
        return [line, Text(f"  {note}", style)] if note else [line]

    def body(self, path: str) -> list[Text]:
        """The lines, highlighted as *path*'s language, on the side's colour, words marked."""
        texts = highlight(self.lines, path)
        out = []
        for index, text in enumerate(texts):
            line = Text(" " * GUTTER).append_text(text)
            line.stylize(self.style, GUTTER)
            for start, end in self.spans[index] if index < len(self.spans) else ():
                line.stylize(self.word, GUTTER + start, GUTTER + end)
            out.append(line)
        return out


def _cosmetic(change: str | None, other: str) -> tuple[str, Style | str]:
    if change is None:
        return "", ""
    what = "same as the base" if change == EQUAL else f"only {change} vs the base"
    return f"≈ {what}: taking {other} loses nothing", COSMETIC


def _base_note(view: HunkView) -> tuple[str, Style | str]:
    if view.hunk.base is None:
        return "none: both sides added this", MUTED
    if view.base_source == BaseSource.RECOMPUTED:
        return "recomputed from the base commit", MUTED
    if view.base_source == BaseSource.REGION:
        return "of the surrounding region", MUTED
    return "", ""


def _label(marker: bytes | None, default: str) -> str:
    """A marker's label (``upstream 9e8f7a6``), or *default* when there is none."""
    if marker is None:
        return default
    label = marker.decode("utf-8", "replace").rstrip("\r\n")[8:].strip()
    return label or default


def hunk_sides(view: HunkView) -> tuple[Side, Side, Side]:
    """The overlay's side, the base and upstream's, each side's changed words marked."""
    hunk = view.hunk
    ours, theirs = _decode(hunk.ours), _decode(hunk.theirs)
    base = _decode(hunk.base or ())
    # Against the base when there is one; two-way markers: against the other side.
    ours_spans = changed_words(ours, base if hunk.base is not None else theirs)
    theirs_spans = changed_words(theirs, base if hunk.base is not None else ours)
    return (
        Side(
            _label(hunk.start, "overlay"),
            OURS_SIDE,
            ours,
            _cosmetic(view.ours_change, "upstream"),
            ours_spans,
            OURS_WORD,
        ),
        Side(_label(hunk.base_marker, "base"), BASE_SIDE, base, _base_note(view)),
        Side(
            _label(hunk.end, "upstream"),
            THEIRS_SIDE,
            theirs,
            _cosmetic(view.theirs_change, "overlay"),
            theirs_spans,
            THEIRS_WORD,
        ),
    )


CONTEXT = 1  # lines shown around what differs, in the stacked view


def differing(left: list[str], right: list[str]) -> tuple[set[int], set[int]]:
    """The lines of each side that differ from the other's (equal runs left out)."""
    ours: set[int] = set()
    theirs: set[int] = set()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if tag != "equal":
            ours.update(range(i1, i2))
            theirs.update(range(j1, j2))
    return ours, theirs


def _collapsed(body: list[Text], shown: set[int]) -> list[Text]:
    """*body* with runs of lines not in *shown* (but for :data:`CONTEXT`) as one line."""
    keep = {i + d for i in shown for d in range(-CONTEXT, CONTEXT + 1)}
    out: list[Text] = []
    index = 0
    while index < len(body):
        if index in keep:
            out.append(body[index])
            index += 1
            continue
        end = index
        while end < len(body) and end not in keep:
            end += 1
        if end - index == 1:
            out.append(body[index])
        else:
            out.append(Text(f"  ⋯ {end - index} lines the same on both sides", FILLER))
        index = end
    return out


def stacked(sides: Sequence[Side], path: str) -> tuple[list[Text], frozenset[int]]:
    """The sides one under the other, compact, and which lines are titles.

    One title line each, and of the overlay's and upstream's sides only what
    differs between them (with a line around it); the file below the view
    shows the rest.  Titles do not scroll sideways with the lines.
    """
    ours, theirs = differing(sides[0].lines, sides[1].lines)
    lines: list[Text] = []
    titles: set[int] = set()
    for index, side in enumerate(sides):
        body = side.body(path)
        if index < 2 and (ours or theirs):
            body = _collapsed(body, (ours, theirs)[index])
        head = side.head(compact=True)
        titles.update(range(len(lines), len(lines) + len(head)))
        lines += head + body
    return lines, frozenset(titles)


def aligned(left: Side, right: Side, path: str) -> tuple[list[Text], list[Text]]:
    """Two sides' lines as columns of the same height, equal lines facing each other."""
    columns: tuple[list[Text], list[Text]] = ([], [])
    bodies = left.body(path), right.body(path)
    matcher = SequenceMatcher(None, left.lines, right.lines, autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        rows = max(i2 - i1, j2 - j1)
        for offset in range(rows):
            for column, body, start, end in ((0, bodies[0], i1, i2), (1, bodies[1], j1, j2)):
                index = start + offset
                filler = Text("  ~", FILLER)
                columns[column].append(body[index] if index < end else filler)
    return columns
