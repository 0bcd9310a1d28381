"""A small stable Python API for launchers written in Python (docs/launcher.md).

Each function does what the command of the same name does, on the deployment
at (or above) *root*, and returns the same report object the CLI renders:
``report.return_code`` is the command's exit code, ``report.as_json()`` its
``--format json`` document (docs/json.md), ``report.render("text")`` its text.
With several overlay pairs every pair is worked on (one with *pair*) and the
report is the CLI's report of all of them.  Whatever a user can fix raises
:class:`Error` (``exc.exit_code`` is 3, ``exc.message`` and ``exc.hint`` say
what and how); nothing else is caught, nothing is printed.

No screen: a launcher that wants the bump screen runs ``overlay-merge bump``
in the maintainer's terminal and acts on its exit code; this module plans,
applies a choice already made, checks and builds.  It imports the core and
the reports, never click or textual (an import-linter contract).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.model import BumpChoice, Decision
from overlay_merge.reports.base import EXIT_CANNOT, EXIT_FOUND, EXIT_OK, Report
from overlay_merge.reports.build import EXIT_AFTER_BUILD
from overlay_merge.reports.bump import (
    EXIT_CANCELLED,
    EXIT_UP_TO_DATE,
    EXIT_UPDATED,
    BumpOutcome,
    combine_bump,
)

if TYPE_CHECKING:
    from overlay_merge.core.deployment import Deployment
    from overlay_merge.core.git.model import MergeStyle
    from overlay_merge.core.plan import BumpPlan
    from overlay_merge.core.refine import Strategy

__all__ = [
    "EXIT_AFTER_BUILD",
    "EXIT_CANCELLED",
    "EXIT_CANNOT",
    "EXIT_FOUND",
    "EXIT_OK",
    "EXIT_UPDATED",
    "EXIT_UP_TO_DATE",
    "BumpChoice",
    "BumpOutcome",
    "Decision",
    "Error",
    "Report",
    "apply",
    "build",
    "check",
    "plan",
    "status",
]

Error = OverlayMergeError
"""The one exception: a condition the user can fix (``exit_code`` 3, ``message``, ``hint``)."""

Root = str | os.PathLike[str]
Choice = Literal["merge", "update", "cancel"] | BumpChoice
_T = TypeVar("_T")


def plan(
    root: Root,
    *,
    rev: str | None = None,
    pair: str | None = None,
    strategy: Strategy = "line",
    style: MergeStyle = "zdiff3",
    decisions: Mapping[str, str] | None = None,
    drop_converged: bool = False,
    allow_downgrade: bool = False,
) -> Report:
    """The bump plan, as ``bump --dry-run`` (writes nothing): exit 1 if anything would
    conflict, else 0; ``outcome`` ``planned`` or ``up-to-date``.  *decisions* ({overlay
    path: decision}, one pair) and *drop_converged* show the decided plan."""
    from overlay_merge.core import decisions as rules  # noqa: PLC0415 - see _bump
    from overlay_merge.reports.bump import PlanReport  # noqa: PLC0415

    def one(opened: Deployment) -> Report:
        found = _plan(opened, rev, style, strategy, allow_downgrade)
        return PlanReport(rules.decide(found, _decided(found, decisions, drop_converged)))

    _one_pair_for(root, pair, rev=rev, decisions=decisions)
    return combine_bump(_each_pair(root, pair, one))


def apply(
    root: Root,
    choice: Choice,
    *,
    rev: str | None = None,
    pair: str | None = None,
    decisions: Mapping[str, str] | None = None,
    drop_converged: bool = False,
    strategy: Strategy = "line",
    style: MergeStyle = "zdiff3",
    force: bool = False,
    allow_downgrade: bool = False,
) -> Report:
    """Plan the bump and carry out *choice*, as ``bump --choice CHOICE``: each pair in
    turn, stopping after the first left with conflicts.  The report's ``return_code``
    and ``outcome`` tell what came of it (docs/launcher.md: 0 merged, 1 conflicts left,
    5 updated, 6 cancelled, 0 up to date)."""
    choice = _choice(choice)
    if (decisions or drop_converged) and choice != BumpChoice.MERGE:
        raise Error(
            f"decisions go with the choice merge, not {choice}",
            "pass decisions to apply(root, 'merge', ...) or to plan()",
        )
    _one_pair_for(root, pair, rev=rev, decisions=decisions)
    stopped: list[str] = []

    def one(opened: Deployment) -> Report:
        from overlay_merge.core.journal import unfinished_pair  # noqa: PLC0415
        from overlay_merge.reports.pairs import NotBumpedReport  # noqa: PLC0415

        if stopped:
            return NotBumpedReport(stopped[0])
        report = _bump(
            opened, choice, rev, decisions, drop_converged, strategy, style, force, allow_downgrade
        )
        name = opened.layout.name
        if opened.layout.several and unfinished_pair(opened.layout.root) == name:
            stopped.append(name)
        return report

    return combine_bump(_each_pair(root, pair, one))


def check(
    root: Root,
    *,
    pinned: bool = False,
    against: str | None = None,
    pair: str | None = None,
    strategy: Strategy = "line",
) -> Report:
    """What ``check`` reports (CI's dry-run merge of every overlay file; writes nothing):
    exit 0 in sync, 1 drift or problems.  *pinned*: against the commit the deployment's
    HEAD records (a fresh clone's), not the submodule's checked-out HEAD."""
    from overlay_merge.core.check import compute_check  # noqa: PLC0415
    from overlay_merge.reports.check import CheckReport  # noqa: PLC0415
    from overlay_merge.reports.checkpairs import PairsCheckReport  # noqa: PLC0415

    if against is not None and pinned:
        raise Error("against and pinned both name what to check against", "pass one of them")
    _one_pair_for(root, pair, rev=against)
    results = _each_pair(
        root, pair, lambda d: compute_check(d, against=against, pinned=pinned, strategy=strategy)
    )
    if len(results) == 1:
        return CheckReport(results[0][1])
    return PairsCheckReport(tuple((name, CheckReport(r, pair=name)) for name, r in results))


def build(
    root: Root,
    *,
    clean: bool = False,
    adopt: bool = False,
    allow_drift: bool = False,
    pinned: bool = False,
    pair: str | None = None,
) -> Report:
    """Bring each pair's build dir to the upstream at the pin with the overlay over it, as
    ``build``: in place unless *clean*; exit 1 without building on drift (unless
    *allow_drift*), 4 when an after-build command failed."""
    from overlay_merge.core.build import build as run_build  # noqa: PLC0415
    from overlay_merge.reports.build import BuildReport  # noqa: PLC0415
    from overlay_merge.reports.pairs import combine  # noqa: PLC0415

    def one(opened: Deployment) -> Report:
        done = run_build(opened, pinned=pinned, allow_drift=allow_drift, clean=clean, adopt=adopt)
        return BuildReport(done)

    return combine(_each_pair(root, pair, one))


def status(root: Root, *, pinned: bool = False, pair: str | None = None) -> Report:
    """Where each overlay file stands against the pin, as ``status``: exit 1 if any file
    is not up to date."""
    from overlay_merge.core.status import compute_status  # noqa: PLC0415
    from overlay_merge.reports.pairs import combine  # noqa: PLC0415
    from overlay_merge.reports.status import StatusReport  # noqa: PLC0415

    def one(opened: Deployment) -> Report:
        return StatusReport(compute_status(opened, pinned=pinned), opened.layout.base_file)

    return combine(_each_pair(root, pair, one))


# -- as the CLI does it -----------------------------------------------------------------


def _each_pair(
    root: Root, pair: str | None, work: Callable[[Deployment], _T]
) -> list[tuple[str, _T]]:
    """*work* on every pair (or *pair*), in configured order, as the CLI's ``each_pair``:
    an error names the pair it arose in."""
    from overlay_merge.core.deployment import open_at  # noqa: PLC0415
    from overlay_merge.core.layout import load_layouts  # noqa: PLC0415
    from overlay_merge.core.pairs import in_pair  # noqa: PLC0415

    layouts = load_layouts(Path(root), None, None, pair)
    done = []
    for layout in layouts:
        with in_pair(f"pair {layout.name!r}" if len(layouts) > 1 else ""):
            done.append((layout.name, work(open_at(layout))))
    return done


def _one_pair_for(
    root: Root, pair: str | None, *, rev: str | None, decisions: Mapping[str, str] | None = None
) -> None:
    """A commit or files of one upstream need one pair: the only one, or *pair*."""
    from overlay_merge.core.layout import load_layouts  # noqa: PLC0415

    if pair is not None or not (rev or decisions):
        return
    names = [layout.name for layout in load_layouts(Path(root))]
    if len(names) > 1:
        what = "a rev names one upstream's commit" if rev else "decisions name one pair's files"
        raise Error(
            f"{what}; {len(names)} pairs are configured ({', '.join(names)})",
            f"name one: pair={names[0]!r}",
        )


def _choice(choice: Choice) -> BumpChoice:
    try:
        return BumpChoice(choice)
    except ValueError:
        allowed = ", ".join(c.value for c in BumpChoice)
        raise Error(f"choice {choice!r}: not a choice", f"one of {allowed}") from None


def _plan(
    opened: Deployment,
    rev: str | None,
    style: MergeStyle,
    strategy: Strategy,
    allow_downgrade: bool,
) -> BumpPlan:
    from overlay_merge.core.plan import plan_bump  # noqa: PLC0415

    return plan_bump(opened, rev, style=style, strategy=strategy, allow_downgrade=allow_downgrade)


def _decided(
    found: BumpPlan, decisions: Mapping[str, str] | None, drop_converged: bool
) -> dict[str, str]:
    from overlay_merge.core import decisions as rules  # noqa: PLC0415

    chosen = dict(decisions or {})
    return rules.drop_converged(found, chosen) if drop_converged else chosen


def _bump(
    opened: Deployment,
    choice: BumpChoice,
    rev: str | None,
    decisions: Mapping[str, str] | None,
    drop_converged: bool,
    strategy: Strategy,
    style: MergeStyle,
    force: bool,
    allow_downgrade: bool,
) -> Report:
    """One pair's bump with *choice*: planned and carried out under the write lock, as
    ``bump --choice`` (a cancel takes no lock: it writes nothing)."""
    from overlay_merge.core.lock import hold_deployment  # noqa: PLC0415 - writers only

    if choice == BumpChoice.CANCEL:
        found = _plan(opened, rev, style, strategy, allow_downgrade)
        return carry_out(opened, found, choice, {}, force=force)
    with hold_deployment(opened.layout.root, f"overlay_merge.api.apply({choice})"):
        found = _plan(opened, rev, style, strategy, allow_downgrade)
        chosen = _decided(found, decisions, drop_converged)
        return carry_out(opened, found, choice, chosen, force=force)


def carry_out(
    deployment: Deployment,
    plan: BumpPlan,
    choice: str,
    decisions: Mapping[str, str],
    *,
    force: bool = False,
) -> Report:
    """Apply *choice* (``merge``, ``update``, ``cancel``) to *plan* with the *decisions*:
    the one function the CLI, the bump screen and :func:`apply` carry a choice out with
    (not part of the stable API: it takes the core's objects).

    A plan with nothing to bump (``up_to_date``) writes nothing whatever the choice.
    """
    from overlay_merge.core.apply import apply_merge, apply_update  # noqa: PLC0415
    from overlay_merge.core.decisions import decide  # noqa: PLC0415
    from overlay_merge.reports.bump import (  # noqa: PLC0415
        ApplyReport,
        CancelReport,
        UpToDateReport,
        up_to_date,
    )

    choice = BumpChoice(choice)
    if up_to_date(plan):
        return UpToDateReport(plan)
    if choice == BumpChoice.CANCEL:
        return CancelReport(plan)
    decided = decide(plan, decisions)
    apply_one = apply_merge if choice == BumpChoice.MERGE else apply_update
    return ApplyReport(decided, apply_one(deployment, decided, force=force))
