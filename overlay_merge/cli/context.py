"""What every command shares: the global options, the deployment they name, the report's exit.

Light on purpose: ``cli.main`` imports it, and ``--version`` or ``--help``
open no deployment, so the core (and pygit2 behind it) is imported only when
a command asks for the deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from overlay_merge.reports.base import Report

if TYPE_CHECKING:
    from overlay_merge.core.deployment import Deployment
    from overlay_merge.core.layout import Layout


class Options(NamedTuple):
    """The group's options: where to start (``-C``), the layout overrides, the excludes."""

    directory: Path
    overrides: dict[str, str | None]
    exclude: tuple[str, ...]

    def layout(self) -> Layout:
        """The deployment's layout: its ``pyproject.toml`` settings, then these overrides."""
        from overlay_merge.core.layout import load_layout  # noqa: PLC0415 - see the docstring

        return load_layout(self.directory, self.overrides, self.exclude)

    def deployment(self) -> Deployment:
        """The deployment these options name, opened."""
        from overlay_merge.core.deployment import open_at  # noqa: PLC0415 - see the docstring

        return open_at(self.layout())


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format (JSON is a stable schema, see docs/json.md).",
)
PINNED = click.option(
    "--pinned",
    is_flag=True,
    help="Use the upstream commit recorded in the deployment's HEAD (what CI checks out) "
    "instead of the submodule's checked-out HEAD.",
)
STRATEGY = click.option(
    "--strategy",
    type=click.Choice(["line", "refined"]),
    default="line",
    show_default=True,
    help="line: git's merge exactly; refined: also resolve conflict hunks by conservative "
    "rules (recorded per hunk) and turn clean merges that do not parse into conflicts.",
)


def options(ctx: click.Context) -> Options:
    """The group's options, as the group stored them."""
    found: Options = ctx.obj
    return found


def deployment(ctx: click.Context) -> Deployment:
    """The deployment the group's options name, opened."""
    return options(ctx).deployment()


def finish(
    ctx: click.Context, report: Report, fmt: str, style: Callable[[str], str] | None = None
) -> None:
    """Print *report* in *fmt* (its text through *style*, if given) and exit with its code."""
    text = report.render(fmt)
    click.echo(style(text) if style is not None and fmt == "text" else text, nl=False)
    ctx.exit(report.return_code)
