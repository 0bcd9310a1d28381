"""``overlay-merge check``: CI's dry-run merge of every overlay file, in five formats."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from overlay_merge.cli.context import PINNED, STRATEGY, deployment, finish
from overlay_merge.core.check import compute_check
from overlay_merge.reports.check import FORMATS, CheckReport

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
    tell (missing commits, not initialized).
    """
    if against is not None and pinned:
        raise click.UsageError("--against and --pinned both name what to check against")
    result = compute_check(deployment(ctx), against=against, pinned=pinned, strategy=strategy)
    finish(ctx, CheckReport(result), fmt)
