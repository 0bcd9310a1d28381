"""The ``overlay-merge`` command line: one function per command, over the core.

Errors are mapped to exit codes in exactly one place, :class:`_Group.invoke`:
an :class:`OverlayMergeError` (bad input, missing objects, dirty tree) is one
line on stderr and exit 3; click's usage errors stay exit 2.

Modules only some commands need are imported inside those commands
(``noqa: PLC0415``): every command pays the start-up of what it loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from overlay_merge import __version__
from overlay_merge.core.deployment import Deployment, open_at
from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.git.model import MergeStyle
from overlay_merge.core.layout import load_layout
from overlay_merge.core.lock import hold_deployment
from overlay_merge.core.model import BumpChoice, Decision, HunkTake, View
from overlay_merge.core.plan import decide, plan_bump
from overlay_merge.core.status import compute_status
from overlay_merge.core.views import select_files
from overlay_merge.reports.bump import (
    AbortReport,
    CancelReport,
    PlanReport,
    ResolveReport,
)
from overlay_merge.reports.check import FORMATS as CHECK_FORMATS
from overlay_merge.reports.check import CheckReport
from overlay_merge.reports.report import EXIT_CANNOT, Report
from overlay_merge.reports.status import StatusReport

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OverlayMergeError as exc:
            click.echo(f"overlay-merge: {exc}", err=True)
            ctx.exit(EXIT_CANNOT)
        except OSError as exc:
            # Disk full, permission denied...: say which file, never a traceback.
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(f"overlay-merge: cannot access{where}: {exc.strerror or exc}", err=True)
            ctx.exit(EXIT_CANNOT)
        except KeyboardInterrupt:
            # Ctrl-C: one line and the shell's 128 + SIGINT, not click's "Aborted!"
            # and 1.  A bump stopped while writing has its journal: abort undoes it.
            click.echo(
                "overlay-merge: interrupted; if a bump was being applied, "
                "`overlay-merge abort` restores the state before it",
                err=True,
            )
            ctx.exit(EXIT_INTERRUPTED)


@dataclass
class _Options:
    directory: Path
    overrides: dict[str, str | None]
    exclude: tuple[str, ...]

    def deployment(self) -> Deployment:
        return open_at(load_layout(self.directory, self.overrides, self.exclude))


_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format (JSON is a stable schema, see docs/json.md).",
)
_PINNED = click.option(
    "--pinned",
    is_flag=True,
    help="Use the upstream commit recorded in the deployment's HEAD (what CI checks out) "
    "instead of the submodule's checked-out HEAD.",
)


def _deployment(ctx: click.Context) -> Deployment:
    options: _Options = ctx.obj
    return options.deployment()


def _finish(ctx: click.Context, report: Report, fmt: str) -> None:
    click.echo(report.render(fmt), nl=False)
    ctx.exit(report.return_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="overlay-merge")
@click.option(
    "-C",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    help="Run as if started in this directory.",
)
@click.option("--upstream", metavar="DIR", help="Upstream submodule folder [skyportal].")
@click.option("--overlay", metavar="DIR", help="Overlay folder [extensions/skyportal].")
@click.option("--base-file", metavar="FILE", help="Base file [.overlay-base].")
@click.option("--build-dir", metavar="DIR", help="Build output folder [patched_skyportal].")
@click.option("--exclude", metavar="GLOB", multiple=True, help="Overlay paths to leave alone.")
@click.pass_context
def cli(
    ctx: click.Context,
    directory: Path,
    upstream: str | None,
    overlay: str | None,
    base_file: str | None,
    build_dir: str | None,
    exclude: tuple[str, ...],
) -> None:
    """Keep an overlay of patched upstream files in step with its upstream submodule."""
    overrides = {
        "upstream": upstream,
        "overlay": overlay,
        "base-file": base_file,
        "build-dir": build_dir,
    }
    ctx.obj = _Options(directory, overrides, exclude)


@cli.command()
@_FORMAT
@_PINNED
@click.option(
    "--infer",
    is_flag=True,
    help="Search the upstream history for each file's closest version and record the "
    "newest commit carrying it (for overlays that never recorded bases).",
)
@click.option("--prune", is_flag=True, help="Drop entries whose overlay file is gone.")
@click.pass_context
def init(ctx: click.Context, fmt: str, pinned: bool, infer: bool, prune: bool) -> None:
    """Record a base (the pin, or with --infer the closest upstream version's commit)
    for every overlay file that has no entry yet."""
    from overlay_merge.core.initialize import init_bases  # noqa: PLC0415
    from overlay_merge.reports.init import InitReport  # noqa: PLC0415

    deployment = _deployment(ctx)
    result = init_bases(deployment, pinned=pinned, infer=infer, prune=prune)
    _finish(ctx, InitReport(result, deployment.layout.base_file), fmt)


@cli.command()
@_FORMAT
@_PINNED
@click.pass_context
def status(ctx: click.Context, fmt: str, pinned: bool) -> None:
    """Show where each overlay file stands against the pin (exit 1 if any is not up to date)."""
    deployment = _deployment(ctx)
    result = compute_status(deployment, pinned=pinned)
    _finish(ctx, StatusReport(result, deployment.layout.base_file), fmt)


@cli.command()
@click.option(
    "--against",
    metavar="REV",
    help="Check against this upstream revision instead of the pin (the pin does not move).",
)
@_PINNED
@click.option(
    "--format",
    "fmt",
    type=click.Choice(CHECK_FORMATS),
    default="text",
    show_default=True,
    help="text, json (docs/json.md), github (workflow annotations), junit (XML), "
    "markdown (for $GITHUB_STEP_SUMMARY).",
)
@click.pass_context
def check(ctx: click.Context, against: str | None, pinned: bool, fmt: str) -> None:
    """CI: check every overlay file against the pin with a dry-run merge; write nothing.

    Exit 0 when all is in sync, 1 on drift, conflicts, markers, unmerged or
    unrecorded files, orphaned entries or an unfinished bump, 3 when it cannot
    tell (missing commits, not initialized).
    """
    from overlay_merge.core.check import compute_check  # noqa: PLC0415

    if against is not None and pinned:
        raise click.UsageError("--against and --pinned both name what to check against")
    result = compute_check(_deployment(ctx), against=against, pinned=pinned)
    _finish(ctx, CheckReport(result), fmt)


@cli.command()
@click.argument("rev", required=False)
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option(
    "--choice",
    type=click.Choice([c.value for c in BumpChoice]),
    help="Apply without asking: merge (write merges, stop for conflicts), update (move the "
    "pin only), cancel (change nothing).",
)
@click.option(
    "--style",
    type=click.Choice(["zdiff3", "diff3", "merge"]),
    default="zdiff3",
    show_default=True,
    help="Conflict marker style.",
)
@click.option("--force", is_flag=True, help="Proceed over uncommitted changes (backed up first).")
@click.option("--allow-downgrade", is_flag=True, help="Allow a target that is not a descendant.")
@click.option(
    "--decide",
    "decide_options",
    multiple=True,
    metavar="PATH=DECISION",
    help="A per-file decision (repeatable; with --choice merge or --dry-run): "
    + "|".join(Decision)
    + " (confirm: a depends-on-changed addition works with upstream's change).",
)
@_FORMAT
@click.pass_context
def bump(
    ctx: click.Context,
    rev: str | None,
    dry_run: bool,
    choice: str | None,
    style: MergeStyle,
    force: bool,
    allow_downgrade: bool,
    decide_options: tuple[str, ...],
    fmt: str,
) -> None:
    """Plan a bump of the upstream to REV (default: its tracked remote branch) and apply it."""
    from overlay_merge.cli import interactive  # noqa: PLC0415

    deployment = _deployment(ctx)
    decisions = _decisions(decide_options, choice, dry_run)
    if choice in (BumpChoice.MERGE, BumpChoice.UPDATE) and not dry_run:
        # Planned under the write lock too, not only applied: a plan read while
        # another writer is half-way would merge from what that writer undoes.
        with hold_deployment(deployment.layout.root, f"bump --choice {choice}"):
            plan = plan_bump(deployment, rev, style=style, allow_downgrade=allow_downgrade)
            report = interactive.carry_out(deployment, plan, choice, decisions, force=force)
            _finish(ctx, report, fmt)
    plan = plan_bump(deployment, rev, style=style, allow_downgrade=allow_downgrade)
    if dry_run or (choice is None and not interactive.is_terminal()):
        # Without a choice or a terminal the plan is printed and nothing changes (never blocks).
        _finish(ctx, PlanReport(decide(plan, decisions)), fmt)
    if choice is None:
        _finish(ctx, interactive.bump_screen(deployment, plan, force=force), fmt)
    else:
        _finish(ctx, interactive.carry_out(deployment, plan, choice, {}, force=force), fmt)


def _decisions(options: tuple[str, ...], choice: str | None, dry_run: bool) -> dict[str, str]:
    """``--decide PATH=DECISION`` options as {overlay path: decision}; the core checks each."""
    if options and not dry_run and choice != BumpChoice.MERGE:
        raise click.UsageError("--decide goes with --choice merge (or --dry-run, to see it)")
    decisions: dict[str, str] = {}
    for option in options:
        path, sep, decision = option.rpartition("=")
        if not sep or not path:
            raise OverlayMergeError(
                f"--decide {option!r}: expected PATH=DECISION",
                f"e.g. --decide skyportal/models/obj.py={Decision.KEEP_OVERLAY}",
            )
        decisions[path] = decision
    return decisions


@cli.command()
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
    type=click.Choice([t.value for t in HunkTake]),
    help="The side to keep for those hunks: overlay, upstream, both (overlay first), "
    "both-upstream-first.",
)
@click.option(
    "--no-record",
    is_flag=True,
    help="When no hunk is left, write the file but leave it unmerged, base unchanged "
    "(for `overlay-merge resolve` or `git add` later).",
)
@click.option("--list", "list_only", is_flag=True, help="Show the conflict hunks; write nothing.")
@click.option("--undo", is_flag=True, help="Undo the last hunk choice (--hunk/--all, the screen).")
@_FORMAT
@click.pass_context
def resolve(
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
    from overlay_merge.cli import interactive  # noqa: PLC0415
    from overlay_merge.core.resolve import resolve_files  # noqa: PLC0415

    if undo or list_only or hunks or all_hunks or take:
        _resolve_hunks(ctx, paths, hunks, all_hunks, take, no_record, list_only, undo, fmt)
    deployment = _deployment(ctx)
    if not paths and fmt == "text" and interactive.is_terminal():
        _finish(ctx, interactive.resolve_screen(deployment), fmt)
    result = resolve_files(deployment, paths)
    _finish(ctx, ResolveReport(result), fmt)


def _resolve_hunks(
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
    """``resolve --undo``, ``--list`` and ``--hunk/--all --take``: one of them, checked here."""
    from overlay_merge.core.takes import conflict_paths, load_conflict, take_hunks, undo_last  # noqa: PLC0415
    from overlay_merge.reports.hunks import HunkListReport, TakeReport, UndoReport  # noqa: PLC0415

    if sum((undo, list_only, bool(hunks or all_hunks or take))) > 1:
        raise click.UsageError("--undo, --list and --hunk/--all --take go one at a time")
    deployment = _deployment(ctx)
    if undo:
        _finish(ctx, UndoReport(undo_last(deployment)), fmt)
    if list_only:
        chosen = paths or tuple(conflict_paths(deployment))
        _finish(ctx, HunkListReport(tuple(load_conflict(deployment, p) for p in chosen)), fmt)
    if take is None or bool(hunks) == all_hunks or len(paths) != 1:
        raise click.UsageError("name one PATH, then --hunk N (or --all) and --take SIDE")
    result = take_hunks(
        deployment, paths[0], None if all_hunks else hunks, HunkTake(take), record=not no_record
    )
    _finish(ctx, TakeReport(result), fmt)


@cli.command("abort")
@click.option(
    "--force",
    is_flag=True,
    help="Abort even a committed bump, and files changed since the bump "
    "(saved under .git/overlay-merge/saved/ first).",
)
@_FORMAT
@click.pass_context
def abort_command(ctx: click.Context, force: bool, fmt: str) -> None:
    """Undo the bump in progress: overlay files, .overlay-base, index and pin as before it."""
    from overlay_merge.core.abort import abort  # noqa: PLC0415

    _finish(ctx, AbortReport(abort(_deployment(ctx), force=force)), fmt)


@cli.command()
@click.argument("rev", required=False)
@click.pass_context
def review(ctx: click.Context, rev: str | None) -> None:
    """Read-only bump screen for reviewers, against REV (default: the pin).

    Shows what each overlay file carries, what upstream changed since its base,
    and the merge preview; no choices, nothing is written.
    """
    from overlay_merge.cli import interactive  # noqa: PLC0415

    if not interactive.is_terminal():
        raise OverlayMergeError(
            "review needs a terminal",
            "`overlay-merge diff --patch|--upstream|--merged` prints the same views as text",
        )
    deployment = _deployment(ctx)
    plan = plan_bump(deployment, rev or deployment.pin(), allow_downgrade=True)
    interactive.review_screen(deployment, plan)
    ctx.exit(0)


@cli.command("diff")
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
@_FORMAT
@click.pass_context
def diff_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    view: str,
    rev: str | None,
    stat_only: bool,
    fmt: str,
) -> None:
    """Show one view of the overlay files (all, or those under PATH...) as unified diffs."""
    from overlay_merge.cli.colors import style_diff  # noqa: PLC0415
    from overlay_merge.reports.diff import DiffReport  # noqa: PLC0415

    deployment = _deployment(ctx)
    plan = plan_bump(deployment, rev or deployment.pin(), allow_downgrade=True)
    report = DiffReport.build(plan, select_files(plan, paths), View(view), stat_only=stat_only)
    text = report.render(fmt)
    # Coloured on a terminal; click.echo strips the colours when stdout is piped.
    click.echo(style_diff(text) if fmt == "text" else text, nl=False)
    ctx.exit(report.return_code)


@cli.command("build")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--allow-drift",
    is_flag=True,
    help="Build even when overlay files are stale against the pin or unrecorded.",
)
@_PINNED
@_FORMAT
@click.pass_context
def build_command(
    ctx: click.Context, directory: Path | None, allow_drift: bool, pinned: bool, fmt: str
) -> None:
    """Write the upstream at the pin (nested submodules included) with the overlay copied
    over it into DIRECTORY (default: the build-dir setting), swapped in atomically.

    Exit 1 without building when overlay files drifted from the pin (unless
    --allow-drift); exit 3 when one holds conflict markers.
    """
    from overlay_merge.core.build import build as build_output  # noqa: PLC0415
    from overlay_merge.core.build import build_dir_argument  # noqa: PLC0415
    from overlay_merge.reports.build import BuildReport  # noqa: PLC0415

    options: _Options = ctx.obj
    if directory is not None:
        # Validated like a configured build-dir: inside the deployment, no overlap.
        root = load_layout(options.directory, options.overrides, options.exclude).root
        rel = build_dir_argument(root, directory, options.directory)
        overrides = {**options.overrides, "build-dir": rel}
        options = _Options(options.directory, overrides, options.exclude)
    result = build_output(options.deployment(), pinned=pinned, allow_drift=allow_drift)
    _finish(ctx, BuildReport(result), fmt)


@cli.command()
@click.argument(
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default="overlay-merge-demo",
)
@click.pass_context
def demo(ctx: click.Context, directory: Path) -> None:
    """Create a sample deployment in DIRECTORY and open the bump on it.

    In a terminal the bump screen opens on the sample's next upstream commit;
    without one the status and the bump plan are printed and nothing changes.
    """
    from overlay_merge.cli import interactive  # noqa: PLC0415
    from overlay_merge.demo import make_sample  # noqa: PLC0415

    if directory.exists() and any(directory.iterdir()):
        raise OverlayMergeError(
            f"{directory}: exists and is not empty; the demo needs a new folder",
            f"pick another folder (`overlay-merge demo {quote(f'{directory}-2')}`) "
            "or remove this one",
        )
    sample = make_sample(directory)
    click.echo(f"sample deployment created in {sample.deployment}\n")
    deployment = _Options(sample.deployment, {}, ()).deployment()
    click.echo(StatusReport(compute_status(deployment)).render("text"))
    plan = plan_bump(deployment)
    if not interactive.is_terminal():
        # Nothing was tried: the sample is made, the plan shown; exit 0.
        click.echo(PlanReport(plan).render("text"))
        click.echo(_demo_next(sample.deployment, None))
        ctx.exit(0)
    report = interactive.bump_screen(deployment, plan)
    click.echo(report.render("text"), nl=False)
    click.echo(_demo_next(sample.deployment, report))
    ctx.exit(report.return_code)  # as `bump` would: 1 while conflicts are left


def _demo_next(deployment: Path, report: Report | None) -> str:
    """The demo's last line: what to run next, after the choice made on the screen (if any)."""
    where = f"next: cd {deployment} && overlay-merge"
    if report is not None and report.return_code:
        return (
            f"{where} resolve   (the hunk screen on the conflicts left; "
            "or: diff --merged, status, abort)"
        )
    if report is None or isinstance(report, CancelReport):
        return (
            f"{where} bump   "
            "(or: bump --dry-run, bump --choice merge, resolve, abort, check, review, diff)"
        )
    return f"{where} status   (then `git diff` and commit; `overlay-merge abort` undoes the bump)"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``overlay-merge`` executable: dispatch only."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="overlay-merge")


if __name__ == "__main__":
    main()
