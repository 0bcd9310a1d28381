"""One command's reports on several overlay pairs (docs/design.md §3, docs/json.md).

With one pair a command prints that pair's report as it always did; with
several, :class:`PairsReport` puts each pair's report under a heading (text)
or in a ``pairs`` list (JSON, each document with its ``name``), and exits
with the worst pair's code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from overlay_merge.core.model import BumpState, StatusState
from overlay_merge.reports.base import EXIT_CANNOT, Report
from overlay_merge.reports.check import FORMATS, CheckReport, junit_document


def worst(codes: Sequence[int]) -> int:
    """The exit code of several pairs: 3 (cannot) over any other failure, then the highest."""
    return max(codes, key=lambda code: (code == EXIT_CANNOT, code), default=0)


def heading(name: str) -> str:
    """The text line above a pair's report."""
    return f"== pair {name} =="


@dataclass(frozen=True)
class PairsReport(Report):
    """Each pair's report of one command, in configured order: ``(name, report)``."""

    reports: tuple[tuple[str, Report], ...]

    @property
    def found(self) -> bool:
        return any(report.found for _, report in self.reports)

    @property
    def return_code(self) -> int:
        return worst([report.return_code for _, report in self.reports])

    def as_json(self) -> dict[str, Any]:
        """``{"pairs": [{"name": ..., <the pair's document>}, ...]}``."""
        return {"pairs": [{"name": name, **r.as_json()} for name, r in self.reports]}

    def as_text(self) -> str:
        """Each pair's text under its heading, a blank line between pairs."""
        return "\n".join(f"{heading(name)}\n{r.render('text')}" for name, r in self.reports)

    def text_lines(self) -> list[str]:
        return self.as_text().splitlines()


def combine(reports: Sequence[tuple[str, Report]]) -> Report:
    """The one pair's report as it is, or several pairs' as a :class:`PairsReport`."""
    if len(reports) == 1:
        return reports[0][1]
    return PairsReport(tuple(reports))


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


@dataclass(frozen=True)
class NotBumpedReport(Report):
    """A pair ``bump`` did not reach: the bump of pair *first* must be finished first."""

    first: str

    def as_json(self) -> dict[str, Any]:
        return {"bumped": False, "finish_first": self.first}

    def text_lines(self) -> list[str]:
        command = f"overlay-merge --pair {self.first}"
        return [f"not bumped, finish {self.first} first (`{command} resolve` or `{command} abort`)"]
