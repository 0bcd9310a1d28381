"""``overlay-merge diff``: one of the three views as unified diffs, with counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from overlay_merge.cli.colors import style_diff
from overlay_merge.cli.context import FORMAT, STRATEGY, each_pair, finish, one_pair_for
from overlay_merge.core.model import View
from overlay_merge.core.plan import plan_bump
from overlay_merge.core.views import select_files
from overlay_merge.reports.diff import DiffReport
from overlay_merge.reports.pairs import combine

if TYPE_CHECKING:
    from overlay_merge.core.deployment import Deployment

if TYPE_CHECKING:
    from overlay_merge.core.refine import Strategy


@click.command("diff")
@click.argument("paths", nargs=-1)
@click.option(
    "--patch",
    "view",
    flag_value=View.OVERLAY_CHANGES.value,
    default=True,
    help="What each overlay file carries against its base (base -> overlay) [default].",
)
@click.option(
    "--upstream",
    "view",
    flag_value=View.UPSTREAM_CHANGES.value,
    help="What upstream changed from each file's base to REV (base -> target).",
)
@click.option(
    "--merged",
    "view",
    flag_value=View.MERGE_PREVIEW.value,
    help="The merge preview: the overlay file -> what a bump to REV would write.",
)
@click.option("--rev", metavar="REV", help="Upstream target of the views [default: the pin].")
@click.option("--stat", "stat_only", is_flag=True, help="The summary only, per file.")
@FORMAT
@STRATEGY
@click.pass_context
def diff_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    view: str,
    rev: str | None,
    stat_only: bool,
    fmt: str,
    strategy: Strategy,
) -> None:
    """Show one view of the overlay files (all, or those under PATH...) as unified diffs.

    With ``--merged --strategy refined`` the preview is the refined merge, and
    the hunks its rules resolved are listed per file.  Every overlay pair in
    turn (one with --pair, which PATH and --rev need).
    """
    if paths or rev:
        one_pair_for(
            ctx, "PATH names one pair's files" if paths else "--rev REV names one upstream's commit"
        )

    def one(opened: Deployment) -> DiffReport:
        plan = plan_bump(opened, rev or opened.pin(), allow_downgrade=True, strategy=strategy)
        return DiffReport.build(plan, select_files(plan, paths), View(view), stat_only=stat_only)

    # Coloured on a terminal; click.echo strips the colours when stdout is piped.
    finish(ctx, combine(each_pair(ctx, one)), fmt, style=style_diff)
