"""``overlay-merge init``: record a base for every overlay file without one."""

from __future__ import annotations

import click

from overlay_merge.cli.context import FORMAT, PINNED, each_pair, finish
from overlay_merge.core.initialize import init_bases
from overlay_merge.reports.init import InitReport
from overlay_merge.reports.pairs import combine


@click.command("init")
@FORMAT
@PINNED
@click.option(
    "--infer",
    is_flag=True,
    help="Search the upstream history for each file's closest version and record the "
    "newest commit carrying it (for overlays that never recorded bases).",
)
@click.option("--prune", is_flag=True, help="Drop entries whose overlay file is gone.")
@click.pass_context
def init_command(ctx: click.Context, fmt: str, pinned: bool, infer: bool, prune: bool) -> None:
    """Record a base (the pin, or with --infer the closest upstream version's commit)
    for every overlay file that has no entry yet, of every overlay pair (one with --pair)."""
    reports = each_pair(
        ctx,
        lambda d: InitReport(
            init_bases(d, pinned=pinned, infer=infer, prune=prune), d.layout.base_file
        ),
    )
    finish(ctx, combine(reports), fmt)
