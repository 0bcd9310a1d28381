"""``overlay-merge bump``: plan the bump of the upstream and apply the choice made.

``--dry-run`` (and no terminal) only plans: the write lock and the code that
writes are imported when a choice is carried out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from overlay_merge.cli import interactive
from overlay_merge.cli.bumppairs import bump_pairs
from overlay_merge.cli.context import FORMAT, STRATEGY, finish, one_pair_for
from overlay_merge.core import decisions as rules
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.model import BumpChoice, Decision
from overlay_merge.core.plan import plan_bump
from overlay_merge.reports.base import Report
from overlay_merge.reports.bump import PlanReport

if TYPE_CHECKING:
    from overlay_merge.core.deployment import Deployment
    from overlay_merge.core.git.model import MergeStyle
    from overlay_merge.core.plan import BumpPlan
    from overlay_merge.core.refine import Strategy


@click.command("bump")
@click.argument("rev", required=False)
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option(
    "--choice",
    type=click.Choice([c.value for c in BumpChoice]),
    help="Apply without asking: merge (write merges, stop for conflicts), update (move the "
    "pin only), cancel (change nothing).",
)
@click.option(
    "--style",
    type=click.Choice(["zdiff3", "diff3", "merge"]),
    default="zdiff3",
    show_default=True,
    help="Conflict marker style.",
)
@click.option("--force", is_flag=True, help="Proceed over uncommitted changes (backed up first).")
@click.option("--allow-downgrade", is_flag=True, help="Allow a target that is not a descendant.")
@click.option(
    "--decide",
    "decide_options",
    multiple=True,
    metavar="PATH=DECISION",
    help="A per-file decision (repeatable; with --choice merge or --dry-run; PATH as the "
    "plan lists it, relative to the overlay): "
    + "|".join(Decision)
    + " (confirm: a depends-on-changed addition works with upstream's change).",
)
@click.option(
    "--drop-converged",
    is_flag=True,
    help="Drop every converged overlay file (upstream now carries its change) that no "
    "--decide names (with --choice merge or --dry-run).",
)
@FORMAT
@STRATEGY
@click.pass_context
def bump_command(
    ctx: click.Context,
    rev: str | None,
    dry_run: bool,
    choice: str | None,
    style: MergeStyle,
    force: bool,
    allow_downgrade: bool,
    decide_options: tuple[str, ...],
    drop_converged: bool,
    fmt: str,
    strategy: Strategy,
) -> None:
    """Plan a bump of the upstream to REV (default: its tracked remote branch) and apply it.

    Every overlay pair in turn (one with --pair, which REV and --decide need):
    plans for each; a choice (or the screen, one per pair) pair by pair,
    stopping after the first that stops to merge.
    """
    decisions = _decisions(decide_options, choice, dry_run, drop_converged)
    if rev or decide_options:
        one_pair_for(
            ctx, "REV names one upstream's commit" if rev else "--decide names a file of one pair"
        )

    def one(opened: Deployment) -> Report:
        return _bump_one(
            opened,
            rev,
            dry_run,
            choice,
            decisions,
            drop_converged,
            force,
            style,
            strategy,
            allow_downgrade,
        )

    finish(
        ctx,
        bump_pairs(
            ctx, one, planning=dry_run or (choice is None and not interactive.is_terminal())
        ),
        fmt,
    )


def _bump_one(
    opened: Deployment,
    rev: str | None,
    dry_run: bool,
    choice: str | None,
    decisions: dict[str, str],
    drop_converged: bool,
    force: bool,
    style: MergeStyle,
    strategy: Strategy,
    allow_downgrade: bool,
) -> Report:
    """One pair's bump: its plan, or the choice carried out (on the screen without one)."""

    def decided(plan: BumpPlan) -> dict[str, str]:
        # The core's rule names the converged files; the core checks every decision.
        return rules.drop_converged(plan, decisions) if drop_converged else decisions

    if choice in (BumpChoice.MERGE, BumpChoice.UPDATE) and not dry_run:
        from overlay_merge.core.lock import hold_deployment  # noqa: PLC0415 - writers only

        # Planned under the write lock too, not only applied: a plan read while
        # another writer is half-way would merge from what that writer undoes.
        with hold_deployment(opened.layout.root, f"bump --choice {choice}"):
            plan = plan_bump(
                opened, rev, style=style, strategy=strategy, allow_downgrade=allow_downgrade
            )
            return interactive.carry_out(opened, plan, choice, decided(plan), force=force)
    plan = plan_bump(opened, rev, style=style, strategy=strategy, allow_downgrade=allow_downgrade)
    if dry_run or (choice is None and not interactive.is_terminal()):
        # Without a choice or a terminal the plan is printed and nothing changes (never blocks).
        return PlanReport(rules.decide(plan, decided(plan)))
    if choice is None:
        return interactive.bump_screen(opened, plan, force=force)
    return interactive.carry_out(opened, plan, choice, {}, force=force)


def _decisions(
    options: tuple[str, ...], choice: str | None, dry_run: bool, drop_converged: bool
) -> dict[str, str]:
    """``--decide PATH=DECISION`` options as {overlay path: decision}; the core checks each."""
    named = "--decide" if options else "--drop-converged" if drop_converged else None
    if named and choice in (BumpChoice.UPDATE, BumpChoice.CANCEL):
        # update moves the pin only and cancel changes nothing: no file is decided on.
        raise click.UsageError(f"{named} goes with --choice merge, not --choice {choice}")
    if named and not dry_run and choice is None:
        raise click.UsageError(f"{named} goes with --choice merge (or --dry-run, to see it)")
    decisions: dict[str, str] = {}
    for option in options:
        path, sep, decision = option.rpartition("=")
        if not sep or not path:
            raise OverlayMergeError(
                f"--decide {option!r}: expected PATH=DECISION",
                f"e.g. --decide skyportal/models/obj.py={Decision.KEEP_OVERLAY}",
            )
        if decisions.get(path, decision) != decision:
            raise OverlayMergeError(
                f"--decide {path}: decided twice ({decisions[path]}, then {decision})",
                "give one decision per file",
            )
        decisions[path] = decision
    return decisions
