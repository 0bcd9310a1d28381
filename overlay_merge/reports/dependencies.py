"""How reports show an addition's changed imports (the ``depends-on-changed`` state)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from overlay_merge.core.dependencies import Dependency, Grade, grade_of
from overlay_merge.core.model import BumpState
from overlay_merge.reports.base import plural

# The state column is as wide as the states every plan had before
# depends-on-changed, unless a wider one is shown: unchanged plans read the same.
_BASE_WIDTH = max(len(s) for s in BumpState if s != BumpState.DEPENDS_ON_CHANGED)


def state_width(shown: Iterable[str | None]) -> int:
    """The width of a column of bump states holding *shown*."""
    return max([_BASE_WIDTH, *(len(s) for s in shown if s)])


def dependency_json(d: Dependency) -> dict[str, Any]:
    """One changed import (docs/json.md)."""
    return {
        "import": d.specifier,
        "path": d.path,
        "change": d.change,
        "now": d.now,
        "names": list(d.names),
        "missing": list(d.missing),
        "grade": d.grade,
        "line": d.line,
    }


def dependencies_json(dependencies: Sequence[Dependency]) -> list[dict[str, Any]]:
    return [dependency_json(d) for d in dependencies]


def describe(dependencies: Sequence[Dependency]) -> str:
    """``broken: imports static/js/ducks/source.js deleted; …``, for a report line."""
    grade = grade_of(dependencies)
    if grade is None:
        return ""
    what = "; ".join(d.describe() for d in dependencies)
    return f"{grade}: imports {what}"


def flagged_summary(dependencies: Iterable[Sequence[Dependency]]) -> str:
    """``2 additions depend on changed upstream code (1 broken, 1 changed)`` ("" if none)."""
    grades = [grade_of(deps) for deps in dependencies]
    grades = [g for g in grades if g is not None]
    if not grades:
        return ""
    broken = sum(1 for g in grades if g == Grade.BROKEN)
    verb = "depends" if len(grades) == 1 else "depend"
    return (
        f"{plural(len(grades), 'addition')} {verb} on changed upstream code "
        f"({broken} {Grade.BROKEN}, {len(grades) - broken} {Grade.CHANGED})"
    )
