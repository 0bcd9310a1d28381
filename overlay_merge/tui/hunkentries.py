"""What ``n``/``p`` step through on the hunk screen: conflict hunks and the hunks rules resolved.

A file's entries are its conflict hunks (to settle, with a suggestion when
the core has one) and the hunks a rule resolved in the bump
(``--strategy refined``), in line order.  A rule's hunk is shown in its own
colour, with the rule and its reason in the header; ``x`` puts the plain
conflict back (:func:`overlay_merge.core.ruleundo.undo_rule`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.model import BaseSource
from overlay_merge.core.ruleundo import RuleHunkView, rule_paths
from overlay_merge.core.takes import ConflictFile, HunkView, conflict_paths
from overlay_merge.tui.render import MUTED

Entry = HunkView | RuleHunkView

RULE_HEAD = Style(color="#5fd7d7", bold=True)
SUGGESTED = Style(color="#ffd54f", bold=True)


def entries(item: ConflictFile | None, rules: Sequence[RuleHunkView]) -> list[Entry]:
    """The conflict hunks of *item* and the rule hunks *rules*, top to bottom."""
    found: list[Entry] = [*(item.hunks if item is not None else ()), *rules]
    return sorted(found, key=lambda e: (e.line, isinstance(e, RuleHunkView)))


def sides_of(entry: Entry) -> HunkView | None:
    """The sides the view shows: a conflict hunk's, or the plain conflict a rule resolved."""
    if isinstance(entry, HunkView):
        return entry
    if entry.plain is None:
        return None
    source = BaseSource.IN_MARKERS if entry.plain.base is not None else None
    return HunkView(entry.number, entry.plain, source, None, None)


def rule_spans(rules: Sequence[RuleHunkView]) -> list[tuple[int, int]]:
    """Each rule hunk's lines, 0-based [start, end), for the preview's colour."""
    return [(r.line - 1, r.line - 1 + r.lines) for r in rules]


def entry_info(
    path: str, entry: Entry, item: ConflictFile | None, rules: Sequence[RuleHunkView]
) -> Text:
    """The header over the sides: the path, which hunk, and what its keys do.

    *rules*: the file's rule hunks standing (a rule hunk is counted among them).
    """
    text = Text(path, "bold").append("\n")
    if isinstance(entry, RuleHunkView):
        lines = f"lines {entry.line}-{entry.line + entry.lines - 1}"
        where = lines if entry.lines > 1 else f"line {entry.line}"
        text.append(f"resolved by rule {entry.rule}", RULE_HEAD)
        place = rules.index(entry) + 1 if entry in rules else entry.number
        text.append(f" · rule hunk {place} of {len(rules)} · {where}", MUTED)
        text.append("\n").append(entry.reason, RULE_HEAD)
        undo = "x puts the plain conflict back" if entry.plain is not None else "not undoable"
        return text.append(f" · {undo} · z undo", MUTED)
    count = len(item.hunks) if item is not None else 0
    text.append(f"hunk {entry.number} of {count}", "bold")
    text.append(f" · line {entry.line} · o u b B take a side · s base · z undo", MUTED)
    if entry.suggestion is not None:
        suggestion = entry.suggestion
        text.append("\n").append(f"suggested: {suggestion.take}", SUGGESTED)
        text.append(f" — {suggestion.reason}").append(" · a takes it", MUTED)
    return text


def screen_paths(deployment: Deployment) -> list[str]:
    """The files the hunk screen lists: the conflicts, then those where rules resolved hunks.

    Without a rule's hunk standing, only a bump stopped for conflicts opens it.
    """
    conflicts = conflict_paths(deployment, done_ok=True)  # no bump: its one message
    rules = rule_paths(deployment)
    if not rules:
        return conflict_paths(deployment)  # a bump done: refused as ever
    return [*conflicts, *(p for p in rules if p not in conflicts)]
