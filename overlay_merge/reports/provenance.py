"""The hunks rules resolved (``--strategy refined``), as the reports say them.

One wording for ``bump --dry-run``, ``check`` and ``diff --merged``: the
rule and the lines of the merge it wrote, ``adjacent 12-14``; in JSON a
``refinements`` list of ``{"rule", "line", "lines"}`` (docs/json.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from overlay_merge.core.refine import Refinement
from overlay_merge.reports.base import plural


def span(line: int, lines: int) -> str:
    """Lines *line*.. of a rule's result: ``12-14``, or ``30`` for one (or none)."""
    return f"{line}-{line + lines - 1}" if lines > 1 else str(line)


def rule_spans(refinements: Sequence[Refinement]) -> str:
    """``adjacent 12-14, whitespace 30``: each rule and the lines it wrote."""
    return ", ".join(f"{r.rule} {span(r.line, r.lines)}" for r in refinements)


def resolved_by_rules(refinements: Sequence[Refinement]) -> str:
    """``2 hunks resolved by rules: adjacent 12-14, whitespace 30`` ("" when none)."""
    if not refinements:
        return ""
    return f"{plural(len(refinements), 'hunk')} resolved by rules: {rule_spans(refinements)}"


def refinements_json(refinements: Sequence[Refinement]) -> list[dict[str, Any]]:
    """The JSON ``refinements`` list."""
    return [{"rule": r.rule, "line": r.line, "lines": r.lines} for r in refinements]


def rules_note(refinements: Sequence[Refinement]) -> str:
    """``; 2 hunks resolved by rules: ...`` to end a file's line ("" when none)."""
    return f"; {resolved_by_rules(refinements)}" if refinements else ""
