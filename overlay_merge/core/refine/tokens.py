"""Rule ``tokens``: the two sides changed different words of the same lines.

The hunk's sides are cut into tokens (a run of word characters, a run of
blanks, a line end, any other single character) and each side's edits of
the base's tokens found by a diff; they are applied together when every
edit of one side is apart from every edit of the other: at least one
unchanged token that is not blank between them (edits that touch, or an
insertion beside the other side's edit, have no order the rule could
know).  An edit both sides made alike is applied once.  The result must
differ from both sides.

Only words inside lines: both sides must keep the base's lines and each
line's indentation (never Python indentation nor YAML structure; a line
added or removed is the line rules' business).  Two sides that both change
a number on one line (a version, most often: ``6.2.0`` and ``6.1.1`` are not
``6.2.1``) stay a conflict.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Final

from overlay_merge.core.refine.model import Hunk, Lines

TOKEN: Final = re.compile(rb"[\w\x80-\xff]+|\r?\n|[ \t\f\v]+|.", re.DOTALL)
# A token diff costs the product of the sides' lengths: larger hunks are left to the maintainer.
MAX_TOKENS: Final = 4000

Edit = tuple[int, int, tuple[bytes, ...]]
"""Base tokens [start, end) replaced by the tokens given."""


def tokenize(lines: Lines) -> tuple[bytes, ...]:
    """The tokens of *lines* (joined, they give the lines back)."""
    return tuple(TOKEN.findall(b"".join(lines)))


def _edits(base: tuple[bytes, ...], side: tuple[bytes, ...]) -> list[Edit]:
    matcher = SequenceMatcher(None, base, side, autojunk=False)
    return [
        (i1, i2, side[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _apart(a: Edit, b: Edit, base: tuple[bytes, ...]) -> bool:
    """True if an unchanged token that is not blank lies between edits *a* and *b*."""
    if a[1] <= b[0]:
        between = base[a[1] : b[0]]
    elif b[1] <= a[0]:
        between = base[b[1] : a[0]]
    else:
        return False
    return any(token.strip() for token in between)


def _numbered(base: tuple[bytes, ...], edits: list[Edit]) -> set[int]:
    """The base lines (0-based) where *edits* change a number."""
    found = set()
    for start, end, new in edits:
        if any(t.isdigit() for t in (*base[start:end], *new)):
            found.add(base[:start].count(b"\n"))
    return found


def _indent(line: bytes) -> bytes:
    return line[: len(line) - len(line.lstrip(b" \t"))]


def _same_shape(base: Lines, side: Lines) -> bool:
    """True if *side* has the base's lines, each with the base line's indentation."""
    return len(side) == len(base) and all(
        _indent(a) == _indent(b) for a, b in zip(base, side, strict=True)
    )


def _lines(data: bytes) -> Lines:
    parts = data.split(b"\n")
    out = [part + b"\n" for part in parts[:-1]]
    return tuple([*out, parts[-1]] if parts[-1] else out)


def tokens(hunk: Hunk) -> Lines | None:
    """Both sides' token edits applied to the base when they are apart (see the module doc)."""
    if not hunk.base or not hunk.ours or not hunk.theirs:
        return None
    if not (_same_shape(hunk.base, hunk.ours) and _same_shape(hunk.base, hunk.theirs)):
        return None
    base, ours, theirs = tokenize(hunk.base), tokenize(hunk.ours), tokenize(hunk.theirs)
    if max(len(base), len(ours), len(theirs)) > MAX_TOKENS:
        return None
    mine, other = _edits(base, ours), _edits(base, theirs)
    other = [e for e in other if e not in mine]  # made alike on both sides: once
    if not mine or not other or not all(_apart(a, b, base) for a in mine for b in other):
        return None
    if _numbered(base, mine) & _numbered(base, other):
        return None  # numbers changed on one line by both sides: a version, most likely
    result: list[bytes] = []
    at = 0
    for start, end, new in sorted(mine + other, key=lambda e: (e[0], e[1])):
        result.extend(base[at:start])
        result.extend(new)
        at = end
    result.extend(base[at:])
    merged = _lines(b"".join(result))
    return None if merged in (hunk.ours, hunk.theirs) else merged
