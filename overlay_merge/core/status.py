"""Where each overlay file stands against the pin (docs/design.md §6 ``status``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.git.deployment import DeploymentRepo, open_deployment
from overlay_merge.core.journal import BumpProgress, Journal, Phase, unfinished_journal
from overlay_merge.core.layout import Layout
from overlay_merge.core.markers import OwnLines, has_conflict_markers
from overlay_merge.core.model import FileKind, StatusState
from overlay_merge.core.overlay import OverlayFile, read_overlay_bytes, scan_overlay
from overlay_merge.core.ownlines import own_lines


@dataclass(frozen=True)
class FileStatus:
    """One overlay file (or base entry) and where it stands."""

    path: str
    kind: FileKind
    base: str | None
    state: StatusState


@dataclass(frozen=True)
class StatusResult:
    """The status of a whole overlay against one upstream commit."""

    upstream: str
    overlay: str
    pin: str
    files: tuple[FileStatus, ...]
    tracking: tuple[str, str] | None = None
    ahead: int = 0
    bump: BumpProgress | None = None  # while a bump is unfinished


def compute_status(deployment: Deployment, *, pinned: bool = False) -> StatusResult:
    """Compare every overlay file and every base entry with the pin.

    ``stale`` means upstream's version of the path differs between the
    file's base and the pin (for an addition: upstream now has the path), so
    copying the overlay over the pin would throw upstream's change away.
    """
    layout = deployment.layout
    upstream = deployment.upstream
    pin = deployment.pin(pinned=pinned)
    survey = survey_overlay(deployment)
    files = classify(deployment, survey, pin)
    tracking = upstream.tracked_branch()
    ahead = 0
    if tracking is not None and tracking[1] != pin:
        ahead = upstream.count_between(pin, tracking[1])
    return StatusResult(layout.upstream, layout.overlay, pin, files, tracking, ahead, survey.bump)


@dataclass(frozen=True)
class OverlaySurvey:
    """The overlay side of a status, read before any upstream comparison.

    ``pending`` are the overlay paths an unfinished bump left in conflict
    (registered unmerged in the deployment's index, or listed in its
    journal); ``unmerged`` are those the index registers.  ``journal`` is
    the unfinished bump's journal (its backups are the committed copies of
    the files it wrote).
    """

    bases: Mapping[str, str]
    overlay: tuple[OverlayFile, ...]
    bump: BumpProgress | None
    pending: frozenset[str]
    unmerged: frozenset[str]
    journal: Journal | None = None

    @property
    def paths(self) -> list[str]:
        """Every overlay file and base entry, sorted by path bytes."""
        present = {f.path for f in self.overlay}
        return sorted(present | set(self.bases), key=lambda p: p.encode("utf-8"))


def survey_overlay(deployment: Deployment) -> OverlaySurvey:
    """Read the bases, the overlay files and any unfinished bump; require every base commit."""
    layout = deployment.layout
    # Excluded paths are left alone: their entries are neither checked nor orphaned.
    bases = {p: c for p, c in deployment.bases().items() if not layout.is_excluded(p)}
    overlay = tuple(scan_overlay(layout))
    repo = open_deployment(layout.root)
    unmerged = _unmerged_overlay_paths(layout, repo)
    journal = unfinished_journal(repo.git_dir)
    if journal is not None and not journal.concerns(layout.name):
        journal = None  # another pair's bump (docs/design.md §3)
    # An interrupted bump lists no file to resolve: only `abort` goes on from there.
    left = set(journal.conflicts) if journal and journal.phase == Phase.MERGED else set()
    deployment.require_bases(bases)
    bump = None if journal is None else journal.progress
    return OverlaySurvey(
        bases, overlay, bump, frozenset(unmerged | left), frozenset(unmerged), journal
    )


def own_lines_at(deployment: Deployment, survey: OverlaySurvey, path: str, target: str) -> OwnLines:
    """The content lines of overlay file *path* compared with upstream *target* (read lazily).

    While a bump is unfinished, its target is the upstream version and its
    backups the committed copies.
    """
    journal = survey.journal
    if journal is not None:
        target = journal.target
    return own_lines(deployment, path, base=survey.bases.get(path), target=target, journal=journal)


def holds_conflict_markers(
    deployment: Deployment, survey: OverlaySurvey, path: str, target: str
) -> bool:
    """True if overlay file *path* holds a conflict marker line that is not its own content."""
    data = read_overlay_bytes(deployment.layout, path)
    return has_conflict_markers(data, own_lines_at(deployment, survey, path, target))


def classify(deployment: Deployment, survey: OverlaySurvey, target: str) -> tuple[FileStatus, ...]:
    """The state of every overlay file and base entry against upstream commit *target*.

    Only tree entries (blob ids and modes) are compared with upstream; no
    upstream blob is read, unless an overlay file holds a marker-like line
    (then its upstream versions tell whether that line is content).
    """
    upstream = deployment.upstream
    present = {f.path for f in survey.overlay}
    files: list[FileStatus] = []
    for path in survey.paths:
        base = survey.bases.get(path)
        at_target = upstream.entry(target, path)
        if base is None:
            kind = FileKind.PATCH if at_target is not None else FileKind.ADDITION
            files.append(FileStatus(path, kind, None, StatusState.UNRECORDED))
            continue
        at_base = upstream.entry(base, path)
        kind = FileKind.PATCH if at_base is not None else FileKind.ADDITION
        state: StatusState
        if path not in present:
            state = StatusState.ORPHANED
        elif path in survey.pending or holds_conflict_markers(deployment, survey, path, target):
            state = StatusState.CONFLICT_PENDING
        elif at_base != at_target:
            state = StatusState.STALE
        else:
            state = StatusState.UP_TO_DATE
        files.append(FileStatus(path, kind, base, state))
    return tuple(files)


def _unmerged_overlay_paths(layout: Layout, repo: DeploymentRepo) -> set[str]:
    """The overlay files the deployment's index registers as unmerged (overlay-relative)."""
    prefix = layout.overlay + "/"
    return {p[len(prefix) :] for p in repo.unmerged_paths() if p.startswith(prefix)}
