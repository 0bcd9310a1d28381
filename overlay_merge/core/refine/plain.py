"""Where a refined merge and the plain line merge differ: one hunk's way back (docs/design.md §5).

The refined file and a merge that leaves one of its resolved hunks as a
conflict agree outside that hunk; the lines they share at the top and the
bottom are cut off, and what is left on each side is the resolution and the
plain conflict.  Swapping the one for the other gives the file that merge
writes, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence

from overlay_merge.core.refine.model import PlainHunk


def plain_hunk(refined: bytes, plain: bytes) -> PlainHunk | None:
    """The one stretch where *refined* and *plain* differ, as a :class:`PlainHunk`.

    None when they do not differ (nothing to undo).
    """
    ours = refined.splitlines(keepends=True)
    theirs = plain.splitlines(keepends=True)
    top = 0
    while top < min(len(ours), len(theirs)) and ours[top] == theirs[top]:
        top += 1
    bottom = 0
    room = min(len(ours), len(theirs)) - top
    while bottom < room and ours[-1 - bottom] == theirs[-1 - bottom]:
        bottom += 1
    resolved = b"".join(ours[top : len(ours) - bottom])
    conflict = b"".join(theirs[top : len(theirs) - bottom])
    if resolved == conflict:
        return None
    return PlainHunk(top + 1, resolved, conflict)


def undo_all(refined: bytes, hunks: Sequence[PlainHunk]) -> bytes | None:
    """*refined* with every one of *hunks* put back (None if two overlap or one is not there)."""
    lines = refined.splitlines(keepends=True)
    out = refined
    end = len(lines) + 1
    for hunk in sorted(hunks, key=lambda h: h.at, reverse=True):
        count = len(hunk.resolved.splitlines(keepends=True))
        if hunk.at + count > end:
            return None
        start = sum(len(line) for line in lines[: hunk.at - 1])
        if out[start : start + len(hunk.resolved)] != hunk.resolved:
            return None
        out = out[:start] + hunk.plain + out[start + len(hunk.resolved) :]
        end = hunk.at
    return out
