"""What ``bump`` does with a choice, and the doors to the textual screens.

:func:`carry_out` is the one function that turns a choice (``--choice``, or
the one made on the bump screen) and per-file decisions into writes and a
report.  What each function needs is imported when it runs: ``bump
--dry-run`` and ``review`` ask :func:`is_terminal` without loading the code
that writes, and textual (a screen) costs start-up time every other command
should not pay.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

from overlay_merge.reports.base import Report

if TYPE_CHECKING:
    from overlay_merge.core.deployment import Deployment
    from overlay_merge.core.plan import BumpPlan


def is_terminal() -> bool:
    """True when a person can answer: stdin and stdout are both terminals."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def carry_out(
    deployment: Deployment,
    plan: BumpPlan,
    choice: str,
    decisions: Mapping[str, str],
    *,
    force: bool = False,
) -> Report:
    """Apply *choice* (``merge``, ``update``, ``cancel``) to *plan* with the *decisions*:
    the API's own :func:`overlay_merge.api.carry_out`, so the CLI and a launcher calling
    the API carry a choice out alike (nothing to bump writes nothing whatever the choice)."""
    from overlay_merge.api import carry_out as api_carry_out  # noqa: PLC0415

    return api_carry_out(deployment, plan, choice, decisions, force=force)


def bump_screen(deployment: Deployment, plan: BumpPlan, *, force: bool = False) -> Report:
    """Open the bump screen on *plan*; the report of what the maintainer chose.

    With nothing to bump there is nothing to choose: no screen opens.
    """
    from overlay_merge.reports.bump import UpToDateReport, up_to_date  # noqa: PLC0415

    if up_to_date(plan):
        return UpToDateReport(plan)
    from overlay_merge.tui.app import run_bump  # noqa: PLC0415 - textual only when used

    apply = partial(carry_out, deployment, plan, force=force)
    return run_bump(plan, apply, deployment.layout.root, deployment)


def resolve_screen(deployment: Deployment) -> Report:
    """Open the hunk screen on the conflicts of the bump in progress; what was done."""
    from overlay_merge.core.takes import conflict_paths  # noqa: PLC0415
    from overlay_merge.reports.hunks import HunkSessionReport  # noqa: PLC0415
    from overlay_merge.tui.hunks import run_resolve  # noqa: PLC0415 - textual only when used

    conflict_paths(deployment)  # no bump in progress: the error, before any screen opens
    session = run_resolve(deployment)
    return HunkSessionReport(
        session.taken,
        session.undone,
        tuple(session.resolved),
        tuple(session.left),
        done=tuple(session.done),
    )


def review_screen(deployment: Deployment, plan: BumpPlan) -> None:
    """Open the read-only reviewer's view of *plan*."""
    from overlay_merge.core.plan import review_range  # noqa: PLC0415
    from overlay_merge.tui.app import run_review  # noqa: PLC0415 - textual only when used

    run_review(plan, review_range(deployment, plan))
