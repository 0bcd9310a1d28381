"""``overlay-merge demo``: a sample deployment, and the bump opened on it."""

from __future__ import annotations

from pathlib import Path

import click

from overlay_merge.cli import interactive
from overlay_merge.cli.context import Options
from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.plan import plan_bump
from overlay_merge.core.status import compute_status
from overlay_merge.demo import make_sample
from overlay_merge.reports.base import EXIT_FOUND, Report
from overlay_merge.reports.bump import CancelReport, PlanReport
from overlay_merge.reports.status import StatusReport


@click.command("demo")
@click.argument(
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default="overlay-merge-demo",
)
@click.pass_context
def demo_command(ctx: click.Context, directory: Path) -> None:
    """Create a sample deployment in DIRECTORY and open the bump on it.

    In a terminal the bump screen opens on the sample's next upstream commit;
    without one the status and the bump plan are printed and nothing changes.
    """
    if directory.exists() and any(directory.iterdir()):
        raise OverlayMergeError(
            f"{directory}: exists and is not empty; the demo needs a new folder",
            f"pick another folder (`overlay-merge demo {quote(f'{directory}-2')}`) "
            "or remove this one",
        )
    sample = make_sample(directory)
    click.echo(f"sample deployment created in {sample.deployment}\n")
    deployment = Options(sample.deployment, {}, ()).deployment()
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
    if report is not None and report.return_code == EXIT_FOUND:
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
