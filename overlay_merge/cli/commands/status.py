"""``overlay-merge status``: where each overlay file stands against the pin."""

from __future__ import annotations

import click

from overlay_merge.cli.context import FORMAT, PINNED, each_pair, finish
from overlay_merge.core.status import compute_status
from overlay_merge.reports.pairs import combine
from overlay_merge.reports.status import StatusReport


@click.command("status")
@FORMAT
@PINNED
@click.pass_context
def status_command(ctx: click.Context, fmt: str, pinned: bool) -> None:
    """Show where each overlay file stands against the pin (exit 1 if any is not up to date).

    Every overlay pair in turn (one with --pair).
    """
    reports = each_pair(
        ctx, lambda d: StatusReport(compute_status(d, pinned=pinned), d.layout.base_file)
    )
    finish(ctx, combine(reports), fmt)
