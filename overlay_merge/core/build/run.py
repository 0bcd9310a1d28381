"""``build``: refuse what must not be built, then write the build in place (or afresh)."""

from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from overlay_merge.core.build.inplace import Changes, check_changes, plan_changes
from overlay_merge.core.build.manifest import MANIFEST, read_manifest, write_manifest
from overlay_merge.core.build.steps import CommandRun, apply_merges, run_after_build
from overlay_merge.core.build.target import (
    checked_target,
    make_sibling,
    record_build,
    remove_leftovers,
    swap_in,
)
from overlay_merge.core.build.tree import Desired, desired_tree
from overlay_merge.core.build.writer import Writer
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.depmerge import MergeOutcome
from overlay_merge.core.errors import OverlayMergeError, first_of
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.git.model import SkippedSubmodule
from overlay_merge.core.journal import BumpProgress
from overlay_merge.core.lock import writes
from overlay_merge.core.markers import has_conflict_markers
from overlay_merge.core.model import StatusState
from overlay_merge.core.overlay import read_overlay_bytes
from overlay_merge.core.ownlines import own_lines
from overlay_merge.core.status import FileStatus, StatusResult, compute_status

# Unrecorded files count as drift: without a base nobody can say they are current.
DRIFT_STATES = (StatusState.STALE, StatusState.UNRECORDED)


@dataclass(frozen=True)
class BuiltRepo:
    """A repository nested in the overlay, copied into the build."""

    path: str
    commit: str
    files: int
    checked_out: str | None


@dataclass(frozen=True)
class BuildResult:
    """What ``build`` did (or, when the overlay drifted, would not do)."""

    upstream: str
    pin: str
    build_dir: str
    built: bool
    drift: tuple[FileStatus, ...] = ()
    upstream_files: int = 0
    symlinks: int = 0
    replaced: tuple[str, ...] = ()
    """Overlay files written over an upstream file."""
    added: tuple[str, ...] = ()
    """Overlay files with no upstream file at their path."""
    skipped: tuple[SkippedSubmodule, ...] = ()
    replaced_previous: bool = False
    seconds: float = 0.0
    clean: bool = False
    """Built afresh (``--clean``) rather than in place."""
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    edited: tuple[str, ...] = ()
    """Built files edited in the build dir since the last build: rewritten."""
    kept: tuple[str, ...] = ()
    """Built files edited since, that the tree no longer has: left in place."""
    adopted: tuple[str, ...] = ()
    """Files no build wrote, overwritten with ``--adopt``."""
    repos: tuple[BuiltRepo, ...] = ()
    plain_repos: tuple[str, ...] = ()
    manifest_written: bool = False
    merges: tuple[MergeOutcome, ...] = ()
    """The declared dependency merges, with what each added and every collision."""
    after_build: tuple[CommandRun, ...] = ()

    @property
    def failed_command(self) -> CommandRun | None:
        """The after-build command that failed (or could not start), if one did."""
        return next((c for c in self.after_build if c.exit_code not in (None, 0)), None)


@writes("build")
def build(
    deployment: Deployment,
    *,
    pinned: bool = False,
    allow_drift: bool = False,
    clean: bool = False,
    adopt: bool = False,
) -> BuildResult:
    """Bring the build dir to the upstream at the pin with the overlay over it.

    In place by default: only files that differ are written, files an earlier
    build wrote and the tree dropped are removed, files no build wrote are
    left alone (docs/design.md §9).  *clean* builds a fresh folder and swaps
    it in.  Refused (error) while a bump is half-written or an overlay file
    holds conflict markers; when overlay files drifted from the pin (stale or
    unrecorded) nothing is built unless *allow_drift*.
    """
    started = time.monotonic()
    layout = deployment.layout
    status = compute_status(deployment, pinned=pinned)
    _refuse_unfinished(status, deployment)
    drift = tuple(f for f in status.files if f.state in DRIFT_STATES)
    if drift and not allow_drift:
        return BuildResult(layout.upstream, status.pin, layout.build_dir, built=False, drift=drift)
    # --clean replaces the whole folder: never one no build made, --adopt or not.
    final = checked_target(deployment, adopt=adopt and not clean)
    desired = desired_tree(deployment, status.pin)
    merges = apply_merges(layout, desired)
    remove_leftovers(final)
    if clean:
        done = _build_clean(final, layout.build_dir, desired)
    else:
        done = _build_in_place(final, layout.build_dir, desired, adopt=adopt)
    record_build(final, open_deployment(layout.root).git_dir)
    after = run_after_build(layout, final)
    result = _result(deployment, status.pin, desired, time.monotonic() - started)
    return dataclasses.replace(result, drift=drift, merges=merges, after_build=after, **done)


def _result(deployment: Deployment, pin: str, desired: Desired, seconds: float) -> BuildResult:
    layout = deployment.layout
    return BuildResult(
        layout.upstream,
        pin,
        layout.build_dir,
        built=True,
        upstream_files=desired.upstream_files,
        symlinks=desired.symlinks,
        replaced=tuple(desired.replaced),
        added=tuple(desired.added),
        skipped=tuple(desired.skipped),
        seconds=seconds,
        repos=tuple(BuiltRepo(r.path, r.commit, r.files, r.checked_out) for r in desired.repos),
        plain_repos=tuple(desired.plain_repos),
    )


def _refuse_unfinished(status: StatusResult, deployment: Deployment) -> None:
    layout = deployment.layout
    if status.bump == BumpProgress.INTERRUPTED:
        raise OverlayMergeError(
            "a bump was interrupted while writing the overlay; building now would ship "
            "a half-merged overlay",
            "overlay-merge abort",
        )
    # Unrecorded files are not looked into by status: markers there count too.
    pending = [
        f.path
        for f in status.files
        if f.state == StatusState.CONFLICT_PENDING
        or (
            f.state == StatusState.UNRECORDED and _unrecorded_marked(deployment, f.path, status.pin)
        )
    ]
    if pending:
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of(pending)}: conflict markers or an unresolved conflict; "
            "refusing to build",
            "resolve the conflicts, then `overlay-merge resolve`",
        )


def _unrecorded_marked(deployment: Deployment, path: str, pin: str) -> bool:
    """True if unrecorded overlay file *path* holds a conflict marker line."""
    data = read_overlay_bytes(deployment.layout, path)
    return has_conflict_markers(data, own_lines(deployment, path, base=None, target=pin))


def _build_clean(final: Path, shown: str, desired: Desired) -> dict[str, Any]:
    """Write the whole build into a temp sibling, then swap it in for the old folder."""
    temp = make_sibling(final, "tmp")
    try:
        with Writer(temp, shown, {}, direct=True) as writer:
            for path, wanted in desired.files.items():
                writer.write(path, wanted)
            for missing in desired.empty_dirs:
                # As git leaves an uninitialized submodule: an empty folder.
                writer.make_dirs(missing, itself=True)
        write_manifest(temp, writer.files, {})
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    replaced = swap_in(temp, final)
    return {
        "clean": True,
        "replaced_previous": replaced,
        "written": tuple(desired.files),
        "manifest_written": True,
    }


def _build_in_place(final: Path, shown: str, desired: Desired, *, adopt: bool) -> dict[str, Any]:
    """Write what differs, remove what an earlier build wrote and the tree dropped."""
    existed = final.is_dir()
    if not existed:
        final.mkdir(0o777)
    manifest = read_manifest(final, shown)
    changes = plan_changes(final, desired, manifest)
    check_changes(final, shown, changes, adopt=adopt)
    recorded = dict(manifest.files) if manifest is not None else {}
    writer = Writer(final, shown, recorded, direct=False)
    for path in changes.kept:
        recorded.pop(path, None)  # edited by hand: no longer the build's
    recorded.update(changes.refreshed)
    try:
        with writer:
            _apply(writer, desired, changes)
    except BaseException as exc:
        if writer.written or writer.removed or changes.kept or changes.refreshed:
            write_manifest(final, writer.files, {})
        if isinstance(exc, OSError):
            raise _stopped(shown, exc, writer, changes) from None
        raise
    stale = manifest is None or set(manifest.files) != set(desired.files)
    touched = bool(changes.write or changes.remove or changes.kept or changes.refreshed)
    if stale or touched:
        write_manifest(final, {p: recorded[p] for p in desired.files}, {})
    return {
        "replaced_previous": existed and manifest is not None,
        "written": tuple(changes.write),
        "removed": tuple(changes.remove),
        "unchanged": changes.unchanged,
        "edited": tuple(changes.edited),
        "kept": tuple(changes.kept),
        "adopted": tuple(changes.foreign),
        "manifest_written": stale or touched,
    }


def _apply(writer: Writer, desired: Desired, changes: Changes) -> None:
    keep_dirs = desired.dirs()
    for path in changes.remove:
        writer.remove(path, keep_dirs)
    for path in changes.in_the_way:
        writer.clear_folder(path)
    for path in changes.write:
        writer.write(path, desired.files[path])
    for missing in desired.empty_dirs:
        writer.make_dirs(missing, itself=True)


def _stopped(shown: str, exc: OSError, writer: Writer, changes: Changes) -> OverlayMergeError:
    where = exc.filename if exc.filename else shown
    return OverlayMergeError(
        f"{where}: {exc.strerror or exc}; the build stopped after {writer.written} of "
        f"{len(changes.write)} writes and {writer.removed} of {len(changes.remove)} removals: "
        f"{shown}/ holds each file whole, old or new, as {shown}/{MANIFEST} records",
        "fix the cause and run `overlay-merge build` again",
    )
