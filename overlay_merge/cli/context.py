"""What every command shares: the global options, the deployment they name, the report's exit.

Light on purpose: ``cli.main`` imports it, and ``--version`` or ``--help``
open no deployment, so the core (and pygit2 behind it) is imported only when
a command asks for the deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import click

from overlay_merge.reports.base import Report

if TYPE_CHECKING:
    from overlay_merge.core.deployment import Deployment
    from overlay_merge.core.layout import Layout


class Options(NamedTuple):
    """The group's options: where to start (``-C``), the layout overrides, the excludes,
    the overlay pair named (``--pair``; None: all of them)."""

    directory: Path
    overrides: dict[str, str | None]
    exclude: tuple[str, ...]
    pair: str | None = None

    def layouts(self) -> tuple[Layout, ...]:
        """Every pair's layout in configured order (or the named pair's): its
        ``pyproject.toml`` settings, then these overrides."""
        from overlay_merge.core.layout import load_layouts  # noqa: PLC0415 - see the docstring
        from overlay_merge.core.pairs import PairNotNamed  # noqa: PLC0415 - see the docstring

        try:
            return load_layouts(self.directory, self.overrides, self.exclude, self.pair)
        except PairNotNamed as exc:
            raise click.UsageError(str(exc)) from None

    def layout(self) -> Layout:
        """The layout of the one pair a command needs: the only one, or the named one."""
        from overlay_merge.core.pairs import only_one  # noqa: PLC0415 - see the docstring

        layouts = self.layouts()
        if len(layouts) > 1:
            raise only_one([layout.name for layout in layouts])
        return layouts[0]

    def deployment(self) -> Deployment:
        """The deployment of the one pair these options name, opened."""
        from overlay_merge.core.deployment import open_at  # noqa: PLC0415 - see the docstring

        return open_at(self.layout())

    def deployments(self) -> tuple[Deployment, ...]:
        """Every pair these options name, opened (each one's upstream must be initialized)."""
        from overlay_merge.core.deployment import open_at  # noqa: PLC0415 - see the docstring

        return tuple(open_at(layout) for layout in self.layouts())


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


_T = TypeVar("_T")


def each_pair(ctx: click.Context, work: Callable[[Deployment], _T]) -> list[tuple[str, _T]]:
    """*work* on every pair the options name, in configured order: ``(name, result)``.

    Every pair is worked on before anything is printed: a pair that cannot be
    (not initialized, a bad REV) is one line naming it, exit 3.
    """
    from overlay_merge.core.deployment import open_at  # noqa: PLC0415 - see the docstring
    from overlay_merge.core.pairs import in_pair  # noqa: PLC0415 - see the docstring

    layouts = options(ctx).layouts()
    done = []
    for layout in layouts:
        with in_pair(f"pair {layout.name!r}" if len(layouts) > 1 else ""):
            done.append((layout.name, work(open_at(layout))))
    return done


def one_pair_for(ctx: click.Context, what: str) -> None:
    """Refuse an argument naming one pair's files or commits (*what* says so) with
    several pairs and no ``--pair``: a usage error."""
    chosen = options(ctx)
    if chosen.pair is None and len(layouts := chosen.layouts()) > 1:
        names = ", ".join(layout.name for layout in layouts)
        raise click.UsageError(
            f"{what}; {len(layouts)} pairs are configured ({names}): "
            f"name one with `overlay-merge --pair {layouts[0].name} ...`"
        )


def bump_deployment(ctx: click.Context) -> Deployment:
    """The pair of the bump in progress (or last done), opened: ``resolve`` and ``abort``
    act on it; ``--pair`` naming another pair is refused."""
    from overlay_merge.core.deployment import open_at  # noqa: PLC0415 - see the docstring
    from overlay_merge.core.errors import OverlayMergeError  # noqa: PLC0415
    from overlay_merge.core.journal import bump_pair  # noqa: PLC0415 - see the docstring

    chosen = options(ctx)
    layouts = chosen.layouts()
    if not layouts[0].several:
        return open_at(layouts[0])
    pair = bump_pair(layouts[0].root)
    if pair and chosen.pair not in (None, pair):
        raise OverlayMergeError(
            f"--pair {chosen.pair}: the bump in progress is of pair {pair!r} "
            "(one bump at a time per deployment)",
            f"`overlay-merge --pair {pair} {ctx.info_name or 'resolve'}`",
        )
    if pair:
        return open_at(chosen._replace(pair=pair).layout())
    if pair is None and chosen.pair is None:
        return open_at(layouts[0])  # no bump: the command says so, whichever the pair
    return chosen.deployment()  # a journal naming no pair: the one --pair names


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
