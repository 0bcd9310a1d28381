"""``overlay-merge build``: the upstream at the pin with the overlay copied over it."""

from __future__ import annotations

from pathlib import Path

import click

from overlay_merge.cli.context import (
    FORMAT,
    PINNED,
    Options,
    each_pair,
    finish,
    one_pair_for,
    options,
)
from overlay_merge.core.build import build, build_dir_argument
from overlay_merge.reports.build import BuildReport
from overlay_merge.reports.pairs import combine


@click.command("build")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--allow-drift",
    is_flag=True,
    help="Build even when overlay files are stale against the pin or unrecorded.",
)
@click.option(
    "--clean",
    is_flag=True,
    help="Build a fresh folder and swap it in: whatever else the folder held (node_modules/, "
    "config.yaml) is gone.",
)
@click.option(
    "--adopt",
    is_flag=True,
    help="Build into a folder no build made (or over files no build wrote), in place.",
)
@PINNED
@FORMAT
@click.pass_context
def build_command(
    ctx: click.Context,
    directory: Path | None,
    allow_drift: bool,
    clean: bool,
    adopt: bool,
    pinned: bool,
    fmt: str,
) -> None:
    """Bring DIRECTORY (default: the build-dir setting) to the upstream at the pin (nested
    submodules included) with the overlay and its own repositories over it, in place:
    only what changed is written, files an earlier build wrote and the tree dropped are
    removed, files no build wrote are left alone.

    Exit 1 without building when overlay files drifted from the pin (unless
    --allow-drift); exit 3 when one holds conflict markers or the build cannot
    be written safely.  Every overlay pair in turn, each into its own build dir
    (one with --pair, which DIRECTORY needs); the exit code is the worst pair's.
    """
    if directory is not None:
        one_pair_for(ctx, "DIRECTORY is one pair's build dir")
        ctx.obj = _with_build_dir(options(ctx), directory)
    reports = each_pair(
        ctx,
        lambda d: BuildReport(
            build(d, pinned=pinned, allow_drift=allow_drift, clean=clean, adopt=adopt)
        ),
    )
    finish(ctx, combine(reports), fmt)


def _with_build_dir(chosen: Options, directory: Path) -> Options:
    """*chosen* with DIRECTORY as the build-dir, validated like a configured one
    (inside the deployment, no overlap)."""
    rel = build_dir_argument(chosen.layout().root, directory, chosen.directory)
    return chosen._replace(overrides={**chosen.overrides, "build-dir": rel})
