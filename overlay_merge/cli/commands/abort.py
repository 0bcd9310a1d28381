"""``overlay-merge abort``: undo the bump in progress (or the last one)."""

from __future__ import annotations

import click

from overlay_merge.cli.context import FORMAT, bump_deployment, finish
from overlay_merge.core.abort import abort
from overlay_merge.reports.abort import AbortReport


@click.command("abort")
@click.option(
    "--force",
    is_flag=True,
    help="Abort even a committed bump, and files changed since the bump "
    "(saved under .git/overlay-merge/saved/ first).",
)
@FORMAT
@click.pass_context
def abort_command(ctx: click.Context, force: bool, fmt: str) -> None:
    """Undo the bump in progress: overlay files, .overlay-base, index and pin as before it."""
    finish(ctx, AbortReport(abort(bump_deployment(ctx), force=force)), fmt)
