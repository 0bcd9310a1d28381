"""The ``init`` report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from overlay_merge.core.initialize import InitResult, Recorded
from overlay_merge.reports.base import Report, plural, short


def iso_utc(when: int) -> str:
    """Unix seconds as ISO 8601 UTC, ``2024-01-01T00:00:00Z``."""
    return datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_json(entry: Recorded) -> dict[str, Any]:
    doc: dict[str, Any] = {"path": entry.path, "kind": entry.kind, "base": entry.base}
    found = entry.inferred
    if found is not None:
        doc.update(
            date=iso_utc(found.time),
            distance=found.distance,
            versions_examined=found.versions_examined,
            unreadable_commits=found.unreadable,
        )
    return doc


def _entry_text(entry: Recorded) -> str:
    found = entry.inferred
    if found is None:
        return f"  {entry.kind:<8}  {short(entry.base)}  {entry.path}"
    date = iso_utc(found.time)[:10]
    differs = "same" if found.distance == 0 else f"±{plural(found.distance, 'line')}"
    examined = plural(found.versions_examined, "version")
    line = f"  {entry.kind:<8}  {short(entry.base)}  {date}  {differs:>11}  {examined:>12}  "
    line += entry.path
    if found.unreadable:
        line += f"  ({plural(found.unreadable, 'commit')} unreadable: nested commit missing)"
    return line


@dataclass(frozen=True)
class InitReport(Report):
    """Renders an :class:`InitResult`; ``init`` succeeds (exit 0) when it could run."""

    result: InitResult
    base_file: str = ".overlay-base"

    def as_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "pin": r.pin,
            "base_file": self.base_file,
            "written": r.rewritten,
            "kept": r.kept,
            "inferred": r.infer,
            "history_shallow": r.shallow is not None,
            "recorded": [_entry_json(e) for e in r.recorded],
            "pruned": list(r.pruned),
        }

    def text_lines(self) -> list[str]:
        r = self.result
        lines = [_entry_text(e) for e in r.recorded]
        if r.recorded and r.infer:
            lines.insert(
                0,
                f"inferred bases for {plural(len(r.recorded), 'file')} from the history of "
                f"{short(r.pin)}, recorded in {self.base_file}:",
            )
        elif r.recorded:
            n = len(r.recorded)
            lines.insert(
                0,
                f"recorded base {short(r.pin)} for {n} file{'s' if n != 1 else ''} "
                f"in {self.base_file}:",
            )
        elif r.pruned:
            lines.append(f"{self.base_file}: nothing to record")
        elif r.rewritten:
            lines.append(f"{self.base_file}: entries sorted; nothing to record")
        else:
            lines.append(f"{self.base_file}: every overlay file already has a base")
        lines += [f"  pruned    {path}  (its overlay file is gone)" for path in r.pruned]
        if r.kept:
            lines.append(f"kept {r.kept} existing entr{'ies' if r.kept != 1 else 'y'}")
        if r.shallow:
            lines.append(
                "warning: the upstream is a shallow clone: only its fetched history was "
                f"searched (fix: `{r.shallow}`, delete the new entries, `init --infer` again)"
            )
        return lines
