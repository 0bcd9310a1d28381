"""A diff3 line merge cut into regions: stable text and conflict hunks with their three sides.

The merge runs with markers wider than any run a line of the files starts
with (``markers.wide_marker_size``), so every marker line found is structure.
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.markers import BASE, END, SEP, START
from overlay_merge.core.refine.model import Lines


@dataclass(frozen=True)
class Conflict:
    """A conflict hunk: base, ours and theirs lines (with their ends)."""

    base: Lines
    ours: Lines
    theirs: Lines


Region = bytes | Conflict
"""Stable text (what both sides agree on after the merge) or a conflict hunk."""


def _kind(line: bytes, size: int) -> bytes | None:
    body = line.rstrip(b"\r\n")
    head = body[:size]
    if len(head) < size or head != head[:1] * size:
        return None
    if len(body) > size and body[size : size + 1] != b" ":
        return None
    return head[:1] if head[:1] in (START, BASE, SEP, END) else None


def split_regions(merged: bytes, size: int) -> list[Region] | None:
    """The regions of a diff3 merge with *size*-wide markers, None if they do not nest."""
    regions: list[Region] = []
    stable: list[bytes] = []
    sides: dict[bytes, list[bytes]] = {}
    current: bytes | None = None
    for line in merged.splitlines(keepends=True):
        kind = _kind(line, size)
        if kind is None:
            (stable if current is None else sides[current]).append(line)
        elif kind == START and current is None:
            regions.append(b"".join(stable))
            stable, sides, current = [], {START: [], BASE: [], SEP: []}, START
        elif kind in (BASE, SEP) and current is not None:
            current = kind
        elif kind == END and current is not None:
            regions.append(Conflict(tuple(sides[BASE]), tuple(sides[START]), tuple(sides[SEP])))
            current = None
        else:
            return None
    if current is not None:
        return None
    regions.append(b"".join(stable))
    return [r for r in regions if r != b""]


def side_text(regions: list[Region], choose: dict[int, Lines], side: str) -> bytes:
    """The file with each conflict at index i as *choose*[i], or else its *side* (ours/theirs)."""
    parts = []
    for i, region in enumerate(regions):
        if isinstance(region, bytes):
            parts.append(region)
        else:
            lines = choose.get(i, region.ours if side == "ours" else region.theirs)
            parts.append(b"".join(lines))
    return b"".join(parts)
