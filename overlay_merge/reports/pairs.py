"""One command's reports on several overlay pairs (docs/design.md §3, docs/json.md).

With one pair a command prints that pair's report as it always did; with
several, :class:`PairsReport` puts each pair's report under a heading (text)
or in a ``pairs`` list (JSON, each document with its ``name``), and exits
with the worst pair's code.  ``check``'s, in every format, is in
:mod:`overlay_merge.reports.checkpairs` (``status`` loads no check code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from overlay_merge.reports.base import EXIT_CANNOT, Report


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
class NotBumpedReport(Report):
    """A pair ``bump`` did not reach: the bump of pair *first* must be finished first."""

    first: str

    def as_json(self) -> dict[str, Any]:
        return {"bumped": False, "finish_first": self.first}

    def text_lines(self) -> list[str]:
        command = f"overlay-merge --pair {self.first}"
        return [f"not bumped, finish {self.first} first (`{command} resolve` or `{command} abort`)"]
