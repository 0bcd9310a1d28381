"""``overlay-merge status``: where each overlay file stands against the pin."""

from __future__ import annotations

import click

from overlay_merge.cli.context import FORMAT, PINNED, deployment, finish
from overlay_merge.core.status import compute_status
from overlay_merge.reports.status import StatusReport


@click.command("status")
@FORMAT
@PINNED
@click.pass_context
def status_command(ctx: click.Context, fmt: str, pinned: bool) -> None:
    """Show where each overlay file stands against the pin (exit 1 if any is not up to date)."""
    opened = deployment(ctx)
    result = compute_status(opened, pinned=pinned)
    finish(ctx, StatusReport(result, opened.layout.base_file), fmt)
