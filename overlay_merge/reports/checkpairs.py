"""``check`` on several overlay pairs, in its five formats (docs/json.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from overlay_merge.core.model import BumpState, StatusState
from overlay_merge.reports.check import FORMATS, CheckReport, junit_document
from overlay_merge.reports.pairs import PairsReport


@dataclass(frozen=True)
class PairsCheckReport(PairsReport):
    """``check`` on several pairs, in every format; the CI formats name the pair in each entry."""

    FORMATS: ClassVar[tuple[str, ...]] = FORMATS

    def _checks(self) -> list[CheckReport]:
        found = [r for _, r in self.reports]
        assert all(isinstance(r, CheckReport) for r in found)
        return [r for r in found if isinstance(r, CheckReport)]

    def renderers(self) -> dict[str, Callable[[], str]]:
        """Text and JSON, and the three CI formats."""
        checks = self._checks()
        ci = {
            "github": lambda: "".join(r.as_github() for r in checks),
            "junit": lambda: junit_document([r.junit_suite() for r in checks]),
            "markdown": lambda: "\n".join(r.as_markdown() for r in checks),
        }
        return {**super().renderers(), **ci}

    def as_json(self) -> dict[str, Any]:
        """The pairs, and over all of them what a CI step reads first (docs/json.md)."""
        checks = self._checks()
        counts: Counter[str] = sum((r.counts for r in checks), Counter())
        merges: Counter[str] = sum((r.merge_counts for r in checks), Counter())
        return {
            "in_sync": all(r.result.in_sync for r in checks),
            "counts": {s: counts.get(s, 0) for s in StatusState},
            "merge_counts": {s: merges.get(s, 0) for s in BumpState},
            "conflict_files": sum(r.result.conflict_files for r in checks),
            "conflict_hunks": sum(r.result.conflict_hunks for r in checks),
            **super().as_json(),
        }
