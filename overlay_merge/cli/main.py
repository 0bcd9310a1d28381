"""The ``overlay-merge`` command line: the group, its global options, the dispatch.

Each command is one function in its own module under ``cli/commands/``,
imported only when it runs (or when ``--help`` lists it): a command pays the
start-up of what it loads, and nothing another command needs.

Errors are mapped to exit codes in exactly one place, :class:`_Group.invoke`:
an :class:`OverlayMergeError` (bad input, missing objects, dirty tree) is one
line on stderr and exit 3; click's usage errors stay exit 2.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from overlay_merge import __version__
from overlay_merge.cli.commands import NAMES as COMMANDS
from overlay_merge.cli.context import Options
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.reports.base import EXIT_CANNOT

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


class _Group(click.Group):
    """The commands, loaded when named; every error of theirs becomes an exit code here."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"overlay_merge.cli.commands.{cmd_name}")
        command = getattr(module, f"{cmd_name}_command")
        assert isinstance(command, click.Command), cmd_name
        return command

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
@click.option(
    "--pair",
    metavar="NAME",
    help="Work on this overlay pair only (several [[tool.overlay-merge.overlays]]; "
    "default: every pair).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    directory: Path,
    upstream: str | None,
    overlay: str | None,
    base_file: str | None,
    build_dir: str | None,
    exclude: tuple[str, ...],
    pair: str | None,
) -> None:
    """Keep an overlay of patched upstream files in step with its upstream submodule."""
    overrides = {
        "upstream": upstream,
        "overlay": overlay,
        "base-file": base_file,
        "build-dir": build_dir,
    }
    ctx.obj = Options(directory, overrides, exclude, pair)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``overlay-merge`` executable: dispatch only."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="overlay-merge")


if __name__ == "__main__":
    main()
