"""``overlay-merge build``: the upstream at the pin with the overlay copied over it."""

from __future__ import annotations

from pathlib import Path

import click

from overlay_merge.cli.context import FORMAT, PINNED, Options, finish, options
from overlay_merge.core.build import build, build_dir_argument
from overlay_merge.reports.build import BuildReport


@click.command("build")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--allow-drift",
    is_flag=True,
    help="Build even when overlay files are stale against the pin or unrecorded.",
)
@PINNED
@FORMAT
@click.pass_context
def build_command(
    ctx: click.Context, directory: Path | None, allow_drift: bool, pinned: bool, fmt: str
) -> None:
    """Write the upstream at the pin (nested submodules included) with the overlay copied
    over it into DIRECTORY (default: the build-dir setting), swapped in atomically.

    Exit 1 without building when overlay files drifted from the pin (unless
    --allow-drift); exit 3 when one holds conflict markers.
    """
    chosen = options(ctx)
    if directory is not None:
        chosen = _with_build_dir(chosen, directory)
    result = build(chosen.deployment(), pinned=pinned, allow_drift=allow_drift)
    finish(ctx, BuildReport(result), fmt)


def _with_build_dir(chosen: Options, directory: Path) -> Options:
    """*chosen* with DIRECTORY as the build-dir, validated like a configured one
    (inside the deployment, no overlap)."""
    rel = build_dir_argument(chosen.layout().root, directory, chosen.directory)
    return chosen._replace(overrides={**chosen.overrides, "build-dir": rel})
