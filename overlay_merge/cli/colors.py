"""Colours for ``diff`` on a terminal (``click.echo`` strips them when the output is piped)."""

from __future__ import annotations

import re

import click

_COUNTS = re.compile(r"(\+\d+)( )(-\d+)")


def _style_line(line: str, in_patch: bool) -> str:
    if not in_patch:
        # The summary: colour the +added -removed counts only.
        return _COUNTS.sub(
            lambda m: click.style(m[1], fg="green") + m[2] + click.style(m[3], fg="red"), line
        )
    if line.startswith(("diff --git", "index ", "--- ", "+++ ", "new file", "deleted file")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


def style_diff(text: str) -> str:
    """*text* of a diff report with git's colours: summary counts, headers, hunks, lines."""
    out = []
    in_patch = False
    for line in text.split("\n"):
        in_patch = in_patch or line.startswith("diff --git")
        out.append(_style_line(line, in_patch))
    return "\n".join(out)
