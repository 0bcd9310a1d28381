"""``overlay-merge resolve``: record resolved files, or settle conflicts hunk by hunk.

The hunk-by-hunk code (``--hunk``, ``--all``, ``--list``, ``--undo``) is
imported only when one of those options is given.
"""

from __future__ import annotations

from typing import NamedTuple

import click

from overlay_merge.cli import interactive
from overlay_merge.cli.context import FORMAT, bump_deployment, finish
from overlay_merge.core.model import HunkTake
from overlay_merge.core.resolve import resolve_files
from overlay_merge.reports.resolve import ResolveReport

SUGGESTED = "suggested"  # --take: each hunk's suggestion (core/suggest.py)


class HunkOptions(NamedTuple):
    """The hunk-by-hunk options of ``resolve``, as given."""

    hunks: tuple[int, ...]
    all_hunks: bool
    take: str | None
    no_record: bool
    list_only: bool
    undo: bool

    @property
    def given(self) -> bool:
        """True when any of them was given (else ``resolve`` records resolved files)."""
        return bool(self.undo or self.list_only or self.hunks or self.all_hunks or self.take)


@click.command("resolve")
@click.argument("paths", nargs=-1)
@click.option(
    "--hunk",
    "hunks",
    type=click.IntRange(min=1),
    multiple=True,
    metavar="N",
    help="Conflict hunk N of PATH (1 = topmost of those in the file now; repeatable).",
)
@click.option("--all", "all_hunks", is_flag=True, help="Every conflict hunk of PATH.")
@click.option(
    "--take",
    type=click.Choice([*(t.value for t in HunkTake), SUGGESTED]),
    help="The side to keep for those hunks: overlay, upstream, both (overlay first), "
    "both-upstream-first; suggested: each hunk's suggestion (`--list` shows them; "
    "hunks without one stay).",
)
@click.option(
    "--no-record",
    is_flag=True,
    help="When no hunk is left, write the file but leave it unmerged, base unchanged "
    "(for `overlay-merge resolve` or `git add` later).",
)
@click.option("--list", "list_only", is_flag=True, help="Show the conflict hunks; write nothing.")
@click.option("--undo", is_flag=True, help="Undo the last hunk choice (--hunk/--all, the screen).")
@FORMAT
@click.pass_context
def resolve_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    hunks: tuple[int, ...],
    all_hunks: bool,
    take: str | None,
    no_record: bool,
    list_only: bool,
    undo: bool,
    fmt: str,
) -> None:
    """Resolve the conflicts of the bump in progress.

    Without options: record the bump's target as base for the files named
    (all by default) once fixed by hand; refuses files still holding
    markers.  In a terminal, with no PATH and no option, opens the hunk
    screen.  `--hunk N --take SIDE` (or `--all --take SIDE`) settles conflict
    hunks of one PATH; once none is left the file is resolved (exit 0),
    while some are left exit 1.
    """
    chosen = HunkOptions(hunks, all_hunks, take, no_record, list_only, undo)
    if chosen.given:
        _resolve_hunks(ctx, paths, chosen, fmt)
    opened = bump_deployment(ctx)
    if not paths and fmt == "text" and interactive.is_terminal():
        finish(ctx, interactive.resolve_screen(opened), fmt)
    finish(ctx, ResolveReport(resolve_files(opened, paths)), fmt)


def _resolve_hunks(
    ctx: click.Context, paths: tuple[str, ...], chosen: HunkOptions, fmt: str
) -> None:
    """``resolve --undo``, ``--list`` and ``--hunk/--all --take``: one of them, checked here."""
    from overlay_merge.core.takes import (  # noqa: PLC0415
        conflict_paths,
        load_conflict,
        take_hunks,
        take_suggested,
        undo_last,
    )
    from overlay_merge.reports.hunks import HunkListReport, TakeReport, UndoReport  # noqa: PLC0415

    picking = bool(chosen.hunks or chosen.all_hunks or chosen.take)
    if sum((chosen.undo, chosen.list_only, picking)) > 1:
        raise click.UsageError("--undo, --list and --hunk/--all --take go one at a time")
    opened = bump_deployment(ctx)
    if chosen.undo:
        finish(ctx, UndoReport(undo_last(opened)), fmt)
    if chosen.list_only:
        listed = paths or tuple(conflict_paths(opened))
        finish(ctx, HunkListReport(tuple(load_conflict(opened, p) for p in listed)), fmt)
    if chosen.take is None or bool(chosen.hunks) == chosen.all_hunks or len(paths) != 1:
        raise click.UsageError("name one PATH, then --hunk N (or --all) and --take SIDE")
    which = None if chosen.all_hunks else chosen.hunks
    if chosen.take == SUGGESTED:
        result = take_suggested(opened, paths[0], which, record=not chosen.no_record)
    else:
        take = HunkTake(chosen.take)
        result = take_hunks(opened, paths[0], which, take, record=not chosen.no_record)
    finish(ctx, TakeReport(result), fmt)
