"""Merges that must parse: a clean merge that breaks the file's syntax becomes a conflict.

A file type with a grammar (:mod:`.syntax`, and YAML by :mod:`.yamlcheck`) is
parsed after the merge: a
result that does not parse while both sides do, or that repeats a key in an
object or dict literal that neither side repeats, is turned into one
conflict hunk over the lines the sides changed, with the reason kept
(docs/design.md §5): a wrong clean merge is worse than a conflict.
"""

from __future__ import annotations

from overlay_merge.core.git.model import MergeStyle
from overlay_merge.core.markers import BASE, END, SEP, START
from overlay_merge.core.refine.model import FileType
from overlay_merge.core.refine.syntax import duplicate_keys, tree
from overlay_merge.core.refine.yamlcheck import yaml_invalid_reason


def invalid_reason(filetype: FileType, ours: bytes, theirs: bytes, merged: bytes) -> str | None:
    """Why the clean *merged* cannot stand (see the module doc); None: it can, or cannot be told."""
    if filetype == FileType.YAML:
        return yaml_invalid_reason(ours, theirs, merged)
    result = tree(filetype, merged)
    if result is None:
        return None
    sides = [tree(filetype, ours), tree(filetype, theirs)]
    if any(side is None or side.has_error for side in sides):
        return None  # a side that does not parse: the parser cannot judge the merge
    if result.has_error:
        return f"the merge does not parse as {filetype} (both sides do)"
    repeated = duplicate_keys(filetype, result)
    before = [duplicate_keys(filetype, side) for side in sides if side is not None]
    for key, count in sorted(repeated.items()):
        if count > max(found[key] for found in before):
            return f"the merge repeats the key {key!r} (neither side does)"
    return None


def _common_ends(versions: list[list[bytes]]) -> tuple[int, int]:
    """How many leading and trailing lines all *versions* share (not overlapping)."""
    shortest = min(len(v) for v in versions)
    head = 0
    while head < shortest and all(v[head] == versions[0][head] for v in versions):
        head += 1
    tail = 0
    while tail < shortest - head and all(v[-1 - tail] == versions[0][-1 - tail] for v in versions):
        tail += 1
    return head, tail


def whole_conflict(base: bytes, ours: bytes, theirs: bytes, style: MergeStyle, size: int) -> bytes:
    """One conflict hunk (*size*-wide markers) over the lines the three versions do not share."""
    versions = [data.splitlines(keepends=True) for data in (base, ours, theirs)]
    for lines in versions:
        if lines and not lines[-1].endswith(b"\n"):
            lines[-1] += b"\n"
    head, tail = _common_ends(versions)
    middle = [v[head : len(v) - tail] for v in versions]
    out = [*versions[1][:head], START * size + b"\n", *middle[1]]
    if style != "merge":
        out += [BASE * size + b"\n", *middle[0]]
    out += [SEP * size + b"\n", *middle[2], END * size + b"\n"]
    out += versions[1][len(versions[1]) - tail :]
    return b"".join(out)
