"""Line diffs of two byte strings with libgit2's xdiff, git's own diff."""

from __future__ import annotations

from dataclasses import dataclass

import pygit2


@dataclass(frozen=True)
class TextDiff:
    """A unified diff of two byte strings, as git prints it."""

    patch: bytes  # ``diff --git`` header and hunks; empty when the sides are equal
    binary: bool  # libgit2 (like git) saw NUL bytes: the patch says "Binary files ... differ"


def diff_bytes(
    old: bytes | None,
    new: bytes | None,
    old_path: str,
    new_path: str,
    *,
    context_lines: int = 3,
) -> TextDiff:
    """Unified diff of *old* → *new* (None: the side is absent) with libgit2's xdiff.

    The same algorithm as ``git diff`` (so line counts agree with
    ``git diff --numstat``), and about 200 times faster than difflib on a
    20,000-line file.  Paths only label the header; nothing is read or written.
    """
    patch = pygit2.Patch.create_from(
        old, new, old_as_path=old_path, new_as_path=new_path, context_lines=context_lines
    )
    return TextDiff(patch.data, bool(patch.delta.is_binary))


def line_changes(old: bytes, new: bytes) -> tuple[int, int]:
    """``(added, removed)`` lines of a line diff from *old* to *new*, as ``git diff`` counts.

    libgit2's xdiff (git's own diff) runs in C; binary content is diffed as
    text too, so every pair of contents gets a count.
    """
    patch = pygit2.Patch.create_from(
        old, new, flag=pygit2.enums.DiffOption.FORCE_TEXT, context_lines=0
    )
    _, added, removed = patch.line_stats
    return int(added), int(removed)


def changed_spans(old: bytes, new: bytes) -> list[tuple[int, int, int, int]]:
    """The hunks of a line diff *old* → *new* without context, as git numbers them.

    Each is ``(old_start, old_lines, new_start, new_lines)``, 1-based; a side
    with no lines names the line after which the other side's lines go
    (0: before the first).  Binary content is diffed as text.
    """
    patch = pygit2.Patch.create_from(
        old, new, flag=pygit2.enums.DiffOption.FORCE_TEXT, context_lines=0
    )
    return [(h.old_start, h.old_lines, h.new_start, h.new_lines) for h in patch.hunks]
