"""``overlay-merge bump``: plan the bump of the upstream and apply the choice made.

``--dry-run`` (and no terminal) only plans: the write lock and the code that
writes are imported when a choice is carried out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from overlay_merge.cli import interactive
from overlay_merge.cli.context import FORMAT, STRATEGY, deployment, finish
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.model import BumpChoice, Decision
from overlay_merge.core.plan import decide, plan_bump
from overlay_merge.reports.bump import PlanReport

if TYPE_CHECKING:
    from overlay_merge.core.git.model import MergeStyle
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
    help="A per-file decision (repeatable; with --choice merge or --dry-run): "
    + "|".join(Decision)
    + " (confirm: a depends-on-changed addition works with upstream's change).",
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
    fmt: str,
    strategy: Strategy,
) -> None:
    """Plan a bump of the upstream to REV (default: its tracked remote branch) and apply it."""
    opened = deployment(ctx)
    decisions = _decisions(decide_options, choice, dry_run)
    if choice in (BumpChoice.MERGE, BumpChoice.UPDATE) and not dry_run:
        from overlay_merge.core.lock import hold_deployment  # noqa: PLC0415 - writers only

        # Planned under the write lock too, not only applied: a plan read while
        # another writer is half-way would merge from what that writer undoes.
        with hold_deployment(opened.layout.root, f"bump --choice {choice}"):
            plan = plan_bump(
                opened, rev, style=style, strategy=strategy, allow_downgrade=allow_downgrade
            )
            finish(ctx, interactive.carry_out(opened, plan, choice, decisions, force=force), fmt)
    plan = plan_bump(opened, rev, style=style, strategy=strategy, allow_downgrade=allow_downgrade)
    if dry_run or (choice is None and not interactive.is_terminal()):
        # Without a choice or a terminal the plan is printed and nothing changes (never blocks).
        finish(ctx, PlanReport(decide(plan, decisions)), fmt)
    if choice is None:
        finish(ctx, interactive.bump_screen(opened, plan, force=force), fmt)
    else:
        finish(ctx, interactive.carry_out(opened, plan, choice, {}, force=force), fmt)


def _decisions(options: tuple[str, ...], choice: str | None, dry_run: bool) -> dict[str, str]:
    """``--decide PATH=DECISION`` options as {overlay path: decision}; the core checks each."""
    if options and not dry_run and choice != BumpChoice.MERGE:
        raise click.UsageError("--decide goes with --choice merge (or --dry-run, to see it)")
    decisions: dict[str, str] = {}
    for option in options:
        path, sep, decision = option.rpartition("=")
        if not sep or not path:
            raise OverlayMergeError(
                f"--decide {option!r}: expected PATH=DECISION",
                f"e.g. --decide skyportal/models/obj.py={Decision.KEEP_OVERLAY}",
            )
        decisions[path] = decision
    return decisions
