"""``overlay-merge check``: CI's dry-run merge of every overlay file, in five formats."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from overlay_merge.cli.context import PINNED, STRATEGY, each_pair, finish, one_pair_for
from overlay_merge.core.check import compute_check
from overlay_merge.reports.check import FORMATS, CheckReport
from overlay_merge.reports.checkpairs import PairsCheckReport

if TYPE_CHECKING:
    from overlay_merge.core.refine import Strategy


@click.command("check")
@click.option(
    "--against",
    metavar="REV",
    help="Check against this upstream revision instead of the pin (the pin does not move).",
)
@PINNED
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text, json (docs/json.md), github (workflow annotations), junit (XML), "
    "markdown (for $GITHUB_STEP_SUMMARY).",
)
@STRATEGY
@click.pass_context
def check_command(
    ctx: click.Context, against: str | None, pinned: bool, fmt: str, strategy: Strategy
) -> None:
    """CI: check every overlay file against the pin with a dry-run merge; write nothing.

    Exit 0 when all is in sync, 1 on drift, conflicts, markers, unmerged or
    unrecorded files, orphaned entries or an unfinished bump, 3 when it cannot
    tell (missing commits, not initialized).  Every overlay pair (one with
    --pair); the exit code is the worst pair's.
    """
    if against is not None and pinned:
        raise click.UsageError("--against and --pinned both name what to check against")
    if against is not None:
        one_pair_for(ctx, "--against REV names one upstream's commit")
    results = each_pair(
        ctx, lambda d: compute_check(d, against=against, pinned=pinned, strategy=strategy)
    )
    if len(results) == 1:
        finish(ctx, CheckReport(results[0][1]), fmt)
    checks = tuple((name, CheckReport(result, pair=name)) for name, result in results)
    finish(ctx, PairsCheckReport(checks), fmt)
