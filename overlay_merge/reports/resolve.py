"""The ``resolve`` report: the files recorded (or dropped) and those still to resolve."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overlay_merge.core.resolve import ResolveResult
from overlay_merge.reports.base import Report, plural, short


@dataclass(frozen=True)
class ResolveReport(Report):
    """What ``resolve`` recorded."""

    result: ResolveResult

    def as_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "target": r.target,
            "recorded": list(r.recorded),
            "dropped": list(r.dropped),
            "remaining": list(r.remaining),
        }

    def text_lines(self) -> list[str]:
        r = self.result
        lines = [f"  resolved  {p}  (base {short(r.target)})" for p in r.recorded]
        lines += [f"  dropped   {p}  (removed from the overlay)" for p in r.dropped]
        if r.remaining:
            lines.append(f"{plural(len(r.remaining), 'file')} still to resolve")
        else:
            lines.append("every conflict is resolved; review with `git diff`, then commit")
        return lines
