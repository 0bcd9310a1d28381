"""The ``abort`` report: what the undone bump's files, index entries and pin were restored to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overlay_merge.core.abort import AbortResult
from overlay_merge.reports.base import Report, plural, short


@dataclass(frozen=True)
class AbortReport(Report):
    """What ``abort`` restored (and saved first, with ``--force``)."""

    result: AbortResult

    def as_json(self) -> dict[str, Any]:
        j, saved_to = self.result.journal, self.result.saved_to
        return {
            "aborted": j.target,
            "restored_pin": j.pin,
            "restored_files": sorted(j.files),
            "saved": list(self.result.saved),
            "saved_to": None if saved_to is None else str(saved_to),
        }

    def text_lines(self) -> list[str]:
        j, saved_to = self.result.journal, self.result.saved_to
        lines = [
            f"aborted the bump to {short(j.target)}: restored {plural(len(j.files), 'file')}, "
            f"their index entries and the pin ({short(j.pin)})"
        ]
        if saved_to is not None:
            lines.append(
                f"saved {plural(len(self.result.saved), 'file')} changed since the bump "
                f"to {saved_to}"
            )
        return lines
