"""The ``init`` report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overlay_merge.core.initialize import InitResult
from overlay_merge.reports.report import EXIT_OK, short, to_json


@dataclass(frozen=True)
class InitReport:
    """Renders an :class:`InitResult`; ``init`` succeeds (exit 0) when it could run."""

    result: InitResult
    base_file: str = ".overlay-base"

    @property
    def return_code(self) -> int:
        return EXIT_OK

    def render(self, fmt: str) -> str:
        return to_json(self.as_json()) if fmt == "json" else self.as_text()

    def as_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "pin": r.pin,
            "base_file": self.base_file,
            "written": r.rewritten,
            "kept": r.kept,
            "recorded": [{"path": e.path, "kind": e.kind, "base": e.base} for e in r.recorded],
        }

    def as_text(self) -> str:
        r = self.result
        lines = [f"  {e.kind:<8}  {short(e.base)}  {e.path}" for e in r.recorded]
        if r.recorded:
            n = len(r.recorded)
            lines.insert(
                0,
                f"recorded base {short(r.pin)} for {n} file{'s' if n != 1 else ''} "
                f"in {self.base_file}:",
            )
        elif r.rewritten:
            lines.append(f"{self.base_file}: entries sorted; nothing to record")
        else:
            lines.append(f"{self.base_file}: every overlay file already has a base")
        if r.kept:
            lines.append(f"kept {r.kept} existing entr{'ies' if r.kept != 1 else 'y'}")
        return "\n".join(lines) + "\n"
