"""The declared build steps: dependency merges into the build's files, after-build commands."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from overlay_merge.core.build.manifest import blob_id
from overlay_merge.core.build.tree import Desired, Wanted
from overlay_merge.core.buildconfig import Command, DependencyMerge
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.depmerge import MergeOutcome, merge_dependencies
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import Layout
from overlay_merge.core.paths import read_regular


@dataclass(frozen=True)
class CommandRun:
    """One after-build command: its exit status (None: not run, an earlier one failed)."""

    command: Command
    exit_code: int | None
    seconds: float = 0.0
    error: str | None = None
    """Why it could not start (a program not found), if it could not."""


def _source(layout: Layout, merge: DependencyMerge) -> bytes:
    path = merge.source.path
    data = read_regular(layout.root / path, path, "make it a regular file", follow=True)
    if data is None:
        raise OverlayMergeError(
            f"{path}: missing, but [tool.overlay-merge] merges dependencies from it",
            "create it, or remove the merge from [tool.overlay-merge]",
        )
    return data


def apply_merges(layout: Layout, desired: Desired) -> tuple[MergeOutcome, ...]:
    """Run every declared dependency merge on the build's files (in *desired*)."""
    outcomes = []
    for merge in layout.build_steps.merges:
        into = desired.files.get(merge.into.path)
        if into is None:
            raise OverlayMergeError(
                f"{merge.into.path}: not a file of the build, but [tool.overlay-merge] merges "
                "dependencies into it",
                "correct `into` (a path relative to the build dir)",
            )
        outcome = merge_dependencies(merge, _source(layout, merge), into.read())
        if outcome.changed:
            data = outcome.content
            desired.files[merge.into.path] = Wanted(
                blob_id(data, into.oid), into.mode, partial(_given, data)
            )
        outcomes.append(outcome)
    return tuple(outcomes)


def _given(data: bytes) -> bytes:
    return data


def planned_merges(deployment: Deployment, target: str) -> tuple[MergeOutcome, ...]:
    """The declared merges as a build at *target* would do them (for ``check``): the
    build's file is the overlay's copy if it has one, else upstream's at *target*."""
    layout = deployment.layout
    outcomes = []
    for merge in layout.build_steps.merges:
        into = _into_at(deployment, target, merge.into.path)
        if into is not None:
            outcomes.append(merge_dependencies(merge, _source(layout, merge), into))
    return tuple(outcomes)


def _into_at(deployment: Deployment, target: str, path: str) -> bytes | None:
    layout = deployment.layout
    copy = read_regular(layout.overlay_path / path, f"{layout.overlay}/{path}", "")
    if copy is not None:
        return copy
    found = deployment.upstream.read(target, path)
    return found[0] if found is not None else None


def run_after_build(layout: Layout, final: Path) -> tuple[CommandRun, ...]:
    """Run the declared after-build commands in the build dir, stopping at the first failure.

    Their output goes to overlay-merge's stderr, so a ``--format json`` report
    on stdout stays whole.  ``OVERLAY_MERGE_DEPLOYMENT`` and
    ``OVERLAY_MERGE_BUILD_DIR`` (absolute paths) are set for them.
    """
    env = {
        **os.environ,
        "OVERLAY_MERGE_DEPLOYMENT": str(layout.root.resolve()),
        "OVERLAY_MERGE_BUILD_DIR": str(final.resolve()),
    }
    runs: list[CommandRun] = []
    failed = False
    for command in layout.build_steps.after_build:
        if failed:
            runs.append(CommandRun(command, None))
            continue
        started = time.monotonic()
        argv = ["sh", "-c", command] if isinstance(command, str) else list(command)
        try:
            done = subprocess.run(argv, cwd=final, env=env, stdout=2, check=False)
            code, error = done.returncode, None
        except OSError as exc:
            code, error = 127, f"{argv[0]}: {exc.strerror or exc}"
        runs.append(CommandRun(command, code, time.monotonic() - started, error))
        failed = code != 0
    return tuple(runs)
