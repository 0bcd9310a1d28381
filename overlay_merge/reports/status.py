"""The ``status`` report: per-file states, counts, hints and the exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from overlay_merge.core.journal import BumpProgress
from overlay_merge.core.model import StatusState
from overlay_merge.core.status import StatusResult
from overlay_merge.reports.base import Report, short

_HINTS = {
    StatusState.STALE: "upstream changed these since their base; `overlay-merge bump {pin}` merges "
    "upstream's changes into them",
    StatusState.CONFLICT_PENDING: "these still hold conflict markers; fix them, then "
    "`overlay-merge resolve`",
    StatusState.UNRECORDED: "these have no base yet; `overlay-merge init` records the pin as "
    "their base",
    StatusState.ORPHANED: "their overlay file is gone; `overlay-merge init --prune` drops their "
    "entries",
}


@dataclass(frozen=True)
class StatusReport(Report):
    """Renders a :class:`StatusResult`; exit 0 when every file is up to date, else 1."""

    result: StatusResult
    base_file: str = ".overlay-base"

    @property
    def counts(self) -> Counter[str]:
        return Counter(f.state for f in self.result.files)

    @property
    def found(self) -> bool:
        up_to_date = set(self.counts) <= {StatusState.UP_TO_DATE}
        return self.result.bump is not None or not up_to_date

    def as_json(self) -> dict[str, Any]:
        r = self.result
        tracking = None
        if r.tracking is not None:
            tracking = {"branch": r.tracking[0], "commit": r.tracking[1], "ahead": r.ahead}
        return {
            "upstream": r.upstream,
            "overlay": r.overlay,
            "pin": r.pin,
            "tracking": tracking,
            "bump_in_progress": r.bump,
            "counts": {state: self.counts.get(state, 0) for state in StatusState},
            "files": [
                {"path": f.path, "kind": f.kind, "base": f.base, "state": f.state} for f in r.files
            ],
        }

    def text_lines(self) -> list[str]:
        r = self.result
        lines = [
            f"{r.upstream} pinned at {short(r.pin)}; overlay {r.overlay}: "
            f"{len(r.files)} file{'s' if len(r.files) != 1 else ''}"
        ]
        if r.bump == BumpProgress.INTERRUPTED:
            lines.append("a bump was interrupted while writing: `overlay-merge abort` restores")
        elif r.bump == BumpProgress.CONFLICTS:
            lines.append(
                "a bump is in progress: resolve its conflicts (`overlay-merge resolve`) "
                "or `overlay-merge abort`"
            )
        if r.tracking is not None and r.ahead:
            lines.append(
                f"{r.tracking[0]} is {r.ahead} commit{'s' if r.ahead != 1 else ''} ahead "
                f"of the pin ({short(r.tracking[1])}): `overlay-merge bump` plans the update"
            )
        if r.files:
            width = max(len(s) for s in StatusState)
            lines.append("")
            for f in r.files:
                lines.append(f"  {f.state:<{width}}  {f.kind:<8}  {short(f.base):<7}  {f.path}")
            lines.append("")
        counts = self.counts
        summary = ", ".join(f"{counts[s]} {s}" for s in StatusState if counts.get(s))
        lines.append(summary or "the overlay is empty")
        for state in StatusState:
            if counts.get(state) and state in _HINTS:
                hint = _HINTS[state].format(pin=short(r.pin), base_file=self.base_file)
                lines.append(f"{state}: {hint}")
        return lines
