"""``bump`` on several overlay pairs (docs/design.md §3).

One bump at a time per deployment: its journal and lock are the
deployment's.  So the pairs are bumped in turn, and the first one left with
conflicts to resolve stops the run: the pairs after it are reported as not
bumped.  Plans (``--dry-run``, no terminal) write nothing and cover every pair.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from overlay_merge.cli.context import each_pair
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.journal import unfinished_pair
from overlay_merge.reports.base import Report
from overlay_merge.reports.bump import combine_bump
from overlay_merge.reports.pairs import NotBumpedReport


def bump_pairs(
    ctx: click.Context, one: Callable[[Deployment], Report], *, planning: bool
) -> Report:
    """*one* pair's bump for every pair in turn; after the first that stops to merge
    (unless *planning*), the rest are :class:`NotBumpedReport`."""
    stopped: list[str] = []

    def bump(opened: Deployment) -> Report:
        if stopped:
            return NotBumpedReport(stopped[0])
        report = one(opened)
        name = opened.layout.name
        if not planning and opened.layout.several and unfinished_pair(opened.layout.root) == name:
            stopped.append(name)
        return report

    return combine_bump(each_pair(ctx, bump))
