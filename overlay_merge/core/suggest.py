"""Suggestions for the conflict hunks left: a take per hunk, only when the evidence is clear.

A suggestion never writes anything: it names the take (overlay, upstream,
both in either order) a maintainer would most likely choose, and why, for
``resolve --list``, the hunk screen and ``resolve --take suggested``
(docs/design.md §5).  Each kind is a named, conservative check of the
hunk's three sides; the first that is sure gives the suggestion, and a hunk
none is sure about gets none.  Kinds are kept only where the corpus
(bench/merge_corpus.py) shows them right at least ~70% of the time:

- ``reformat``: one side only reformats the base (whitespace between
  tokens, quote style; never indentation in Python, never anything but
  trailing blanks in YAML or text) → the other side;
- ``contained``: one side's change is part of the other's (the larger side
  keeps what the smaller added and removes what it removed) → the larger;
- ``append`` (off by default): both sides only insert lines at the same
  place → both, the overlay's first (as ``git merge-file --union`` orders
  them); on the corpus the maintainer wrote neither take there most often.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Final

from overlay_merge.core.model import HunkTake
from overlay_merge.core.refine.model import WHITESPACE_FREE, FileType, Lines


@dataclass(frozen=True)
class Suggestion:
    """A suggested take for one conflict hunk, why (as a maintainer reads it), and its kind."""

    take: HunkTake
    reason: str
    rule: str


Kind = Callable[[Lines, Lines, Lines, FileType], "Suggestion | None"]
"""A kind of suggestion: (base, ours, theirs, file type) to a suggestion, None when unsure."""

# A line diff costs the product of the sides' lengths: larger hunks get no suggestion.
MAX_LINES: Final = 400
# Where spacing between tokens is not syntax: JS/TS/JSON/CSS, and Python inside a line
# (its indentation is kept: it is code).
_CODE: Final = WHITESPACE_FREE | {FileType.PYTHON}
_QUOTES: Final = (b'"', b"'", b"`")
_WORD: Final = re.compile(rb"[\w\x80-\xff]")


def _squeezed(body: bytes) -> bytes:
    """*body* with whitespace runs dropped, but one space kept between two word characters."""
    out = b""
    for part in body.split():
        if out and _WORD.match(out[-1:]) and _WORD.match(part[:1]):
            out += b" "
        out += part
    return out


def _code_form(line: bytes, filetype: FileType) -> bytes:
    body = line.rstrip()
    stripped = body.lstrip()
    indent = b"" if filetype in WHITESPACE_FREE else body[: len(body) - len(stripped)]
    if any(q in stripped for q in _QUOTES):
        # Spacing inside a string literal is content: only the quote style may differ.
        return indent + stripped.replace(b"'", b'"')
    return indent + _squeezed(stripped)


def layout_form(lines: Lines, filetype: FileType) -> tuple[bytes, ...]:
    """*lines* as the ``reformat`` kind compares them: their layout taken out where it is no
    syntax (code: spacing between tokens, blank lines, quote style; elsewhere trailing blanks)."""
    if filetype in _CODE:
        return tuple(_code_form(line, filetype) for line in lines if line.strip())
    return tuple(line.rstrip() for line in lines)


def reformat(base: Lines, ours: Lines, theirs: Lines, filetype: FileType) -> Suggestion | None:
    """The other side, when one side is the base's but for its layout (see :func:`layout_form`)."""
    form = layout_form(base, filetype)
    same = [layout_form(side, filetype) == form for side in (ours, theirs)]
    if same[0] == same[1]:
        return None  # neither (a change each), or both (which layout is a choice)
    quiet, take = (ours, HunkTake.UPSTREAM) if same[0] else (theirs, HunkTake.OVERLAY)
    who = "overlay" if same[0] else "upstream"
    if quiet == base:
        return Suggestion(take, f"the {who} side is as in the base", "reformat")
    return Suggestion(take, f"{who} side only reformats", "reformat")


Span = tuple[int, int]


def _changed(old: Lines, new: Lines) -> list[tuple[Span, Span]]:
    """The changed stretches old → new: ((old start, end), (new start, end)) each."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return [((i1, i2), (j1, j2)) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


Edit = tuple[Span, Lines, Span, Lines]
"""A changed stretch: (old span, old lines, new span, new lines)."""


def _edits(old: Lines, new: Lines) -> list[Edit]:
    return [(o, old[o[0] : o[1]], n, new[n[0] : n[1]]) for o, n in _changed(old, new)]


def _clash(mine: Edit, other: Edit) -> bool:
    """True if *other* (an edit of the smaller side's lines) touches what *mine* changed there.

    *mine* is an edit base → smaller side, at its span in the smaller side;
    an empty span is a point where it removed lines: an edit across it, an
    insertion there, or an edit beside it that writes any of the removed
    lines again could as well undo the removal.
    """
    (j1, j2), (i1, i2) = mine[2], other[0]
    if j1 == j2:
        removed = {line for line in mine[1] if line.strip()}
        beside = j1 in (i1, i2)
        return i1 < j1 < i2 or i1 == i2 == j1 or (beside and bool(removed & set(other[3])))
    if i1 == i2:
        return j1 < i1 < j2
    return i1 < j2 and j1 < i2


def contains(base: Lines, small: Lines, large: Lines) -> bool:
    """True if *large* holds the change base → *small* and more: the edits small → large
    leave alone every line that change wrote, and every point where it removed lines."""
    if small in (base, large):
        return False
    mine, further = _edits(base, small), _edits(small, large)
    return not any(_clash(m, f) for m in mine for f in further)


def contained(base: Lines, ours: Lines, theirs: Lines, filetype: FileType) -> Suggestion | None:
    """The larger side, when the other side's change is part of it (see :func:`contains`)."""
    del filetype  # line by line, whatever the language
    if contains(base, ours, theirs):
        why = "upstream's side already holds the overlay's change"
        return Suggestion(HunkTake.UPSTREAM, why, "contained")
    if contains(base, theirs, ours):
        why = "the overlay's side already holds upstream's change"
        return Suggestion(HunkTake.OVERLAY, why, "contained")
    return None


def _insertion(base: Lines, side: Lines) -> int | None:
    """Where *side* only inserts lines into *base* (one run), None if it changes any."""
    edits = _changed(base, side)
    if len(edits) != 1:
        return None
    (i1, i2), _ = edits[0]
    return i1 if i1 == i2 else None


def append(base: Lines, ours: Lines, theirs: Lines, filetype: FileType) -> Suggestion | None:
    """Both sides, overlay first, when each only inserts lines, at the same place."""
    del filetype
    at = _insertion(base, ours)
    if at is None or at != _insertion(base, theirs):
        return None
    return Suggestion(HunkTake.BOTH, "both sides append (the overlay's lines first)", "append")


KINDS: Final[dict[str, Kind]] = {
    "reformat": reformat,
    "contained": contained,
    "append": append,
}
# bench/merge_corpus.py (README, Merge quality), right/wrong where judged: reformat 12/4,
# contained 57/17; append 9/56 is off.
DEFAULT_KINDS: Final = ("reformat", "contained")


def suggest(
    base: Lines,
    ours: Lines,
    theirs: Lines,
    filetype: FileType,
    kinds: tuple[str, ...] | None = None,
) -> Suggestion | None:
    """The suggested take for a conflict hunk of *base*, *ours*, *theirs*, None when unsure.

    *kinds*: the :data:`KINDS` tried, in order (None: :data:`DEFAULT_KINDS`).
    """
    if ours == theirs or max(len(base), len(ours), len(theirs)) > MAX_LINES:
        return None
    for name in DEFAULT_KINDS if kinds is None else kinds:
        found = KINDS[name](base, ours, theirs, filetype)
        if found is not None:
            return found
    return None
