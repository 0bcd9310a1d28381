"""What the bump journal keeps of the hunks rules resolved (``--strategy refined``).

Per overlay file a bump wrote, each hunk a rule resolved: the rule, where
its lines went, and, while small enough (:data:`MAX_KEPT`), the way back to
the plain conflict (:class:`~overlay_merge.core.refine.model.PlainHunk`),
so views show them after the bump and the hunk screen can undo one
(docs/design.md §5).  Bytes are kept as text the JSON can hold:
undecodable bytes as surrogate escapes, read back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_KEPT = 64 * 1024
"""Bytes of a resolution and its plain conflict kept to undo it; larger: not undoable."""


@dataclass
class RuleHunk:
    """One hunk a rule resolved in a file the bump wrote (``rule_hunks`` in journal.json).

    *line*/*lines*: the rule's lines in the file as written (1-based).  *at*,
    *resolved*, *plain*: the resolution's bytes at line *at* and the plain
    conflict to put back (None: not kept).  *undone*: the plain conflict is back.
    """

    rule: str
    line: int
    lines: int
    at: int | None = None
    resolved: str | None = None
    plain: str | None = None
    undone: bool = False

    @property
    def undoable(self) -> bool:
        """True while the way back is known and not taken."""
        return not self.undone and self.at is not None and self.resolved is not None

    def resolved_bytes(self) -> bytes:
        return to_bytes(self.resolved or "")

    def plain_bytes(self) -> bytes:
        return to_bytes(self.plain or "")


def kept(rule: str, line: int, lines: int, undo: tuple[int, bytes, bytes] | None) -> RuleHunk:
    """A :class:`RuleHunk`, keeping *undo* (at, resolved, plain) if it is small enough."""
    if undo is None or len(undo[1]) + len(undo[2]) > MAX_KEPT:
        return RuleHunk(rule, line, lines)
    at, resolved, plain = undo
    return RuleHunk(rule, line, lines, at, to_text(resolved), to_text(plain))


def to_text(data: bytes) -> str:
    """*data* as JSON-safe text (``to_bytes`` gives it back byte for byte)."""
    return data.decode("utf-8", "surrogateescape")


def to_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def rule_hunks_from(document: Any) -> dict[str, list[RuleHunk]]:
    """``rule_hunks`` from journal.json (absent in journals of earlier releases)."""
    return {path: [RuleHunk(**h) for h in hunks] for path, hunks in (document or {}).items()}


def rule_hunks_problem(found: dict[str, list[RuleHunk]]) -> str | None:
    """What makes recorded rule hunks unusable (wrong types), or None."""
    for hunks in found.values():
        for h in hunks:
            ints = (h.line, h.lines, 0 if h.at is None else h.at)
            texts = (h.rule, h.resolved or "", h.plain or "")
            if not all(isinstance(n, int) and n >= 0 for n in ints) or not all(
                isinstance(t, str) for t in texts
            ):
                return f"rule hunk {str(h)[:200]!r} is not one overlay-merge writes"
    return None
