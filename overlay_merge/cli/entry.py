"""The executable's entry point: the CLI imported under a Ctrl-C guard.

Importing click, pygit2 and the commands takes a few tenths of a second; a
Ctrl-C in that time would otherwise print Python's traceback instead of the
one line every other interrupt gets.  Nothing has been written by then.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run ``overlay-merge``: import the CLI, then dispatch to it."""
    try:
        from overlay_merge.cli.main import main as run  # noqa: PLC0415
    except KeyboardInterrupt:
        sys.stderr.write("overlay-merge: interrupted while starting; nothing was written\n")
        raise SystemExit(130) from None
    run()
