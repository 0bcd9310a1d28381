"""Rule ``adjacent``: the two sides changed different base lines of the hunk, touching ones.

git conflicts on edits that touch; each side's edits are taken here where
their base line ranges neither overlap nor meet at an insertion (two
insertions at one point, or an insertion beside the other side's edit,
have no order the rule could know).  The edits are found by a line diff
of the hunk's base against each side.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from overlay_merge.core.refine.model import Hunk, Lines

# A line diff costs the product of the sides' lengths: larger hunks are left to the maintainer.
MAX_LINES = 200

Edit = tuple[int, int, Lines]
"""Base lines [start, end) replaced by the lines given."""


def edits(base: Lines, side: Lines) -> list[Edit]:
    """The edits turning *base* into *side*, in order."""
    matcher = SequenceMatcher(None, base, side, autojunk=False)
    return [
        (i1, i2, side[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]


def _apart(a: Edit, b: Edit) -> bool:
    """True if *a* and *b* change disjoint base lines, and an insertion does not touch the other."""
    if a[0] == a[1] or b[0] == b[1]:  # an insertion: strictly apart from the other edit
        return a[1] < b[0] or b[1] < a[0]
    return a[1] <= b[0] or b[1] <= a[0]


def adjacent(hunk: Hunk) -> Lines | None:
    """Both sides' edits applied to the base when they are apart (see :func:`_apart`)."""
    if max(len(hunk.base), len(hunk.ours), len(hunk.theirs)) > MAX_LINES:
        return None
    ours, theirs = edits(hunk.base, hunk.ours), edits(hunk.base, hunk.theirs)
    if not ours or not theirs or not hunk.base:
        return None
    if not all(_apart(a, b) for a in ours for b in theirs):
        return None
    result: list[bytes] = []
    at = 0
    for start, end, lines in sorted(ours + theirs, key=lambda e: (e[0], e[1])):
        result.extend(hunk.base[at:start])
        result.extend(lines)
        at = end
    result.extend(hunk.base[at:])
    return tuple(result)
