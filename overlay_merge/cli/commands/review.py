"""``overlay-merge review``: the bump screen, read-only, for reviewers."""

from __future__ import annotations

import click

from overlay_merge.cli import interactive
from overlay_merge.cli.context import deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.plan import plan_bump


@click.command("review")
@click.argument("rev", required=False)
@click.pass_context
def review_command(ctx: click.Context, rev: str | None) -> None:
    """Read-only bump screen for reviewers, against REV (default: the pin).

    Shows what each overlay file carries, what upstream changed since its base,
    and the merge preview; no choices, nothing is written.
    """
    if not interactive.is_terminal():
        raise OverlayMergeError(
            "review needs a terminal",
            "`overlay-merge diff --patch|--upstream|--merged` prints the same views as text",
        )
    opened = deployment(ctx)
    plan = plan_bump(opened, rev or opened.pin(), allow_downgrade=True)
    interactive.review_screen(opened, plan)
    ctx.exit(0)
