"""Where each overlay file stands against the pin (DESIGN §6 ``status``)."""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.gitstore import open_deployment
from overlay_merge.core.journal import APPLYING, DONE, load_journal
from overlay_merge.core.markers import has_conflict_markers
from overlay_merge.core.overlay import read_overlay_bytes, scan_overlay

UP_TO_DATE = "up-to-date"
STALE = "stale"
CONFLICT_PENDING = "conflict-pending"
UNRECORDED = "unrecorded"
ORPHANED = "orphaned"
STATES = (UP_TO_DATE, STALE, CONFLICT_PENDING, UNRECORDED, ORPHANED)

PATCH = "patch"
ADDITION = "addition"


@dataclass(frozen=True)
class FileStatus:
    """One overlay file (or base entry) and where it stands."""

    path: str
    kind: str
    base: str | None
    state: str


@dataclass(frozen=True)
class StatusResult:
    """The status of a whole overlay against one upstream commit."""

    upstream: str
    overlay: str
    pin: str
    files: tuple[FileStatus, ...]
    tracking: tuple[str, str] | None = None
    ahead: int = 0
    bump: str | None = None  # "interrupted" or "conflicts" while a bump is unfinished


def compute_status(deployment: Deployment, *, pinned: bool = False) -> StatusResult:
    """Compare every overlay file and every base entry with the pin.

    ``stale`` means upstream's version of the path differs between the
    file's base and the pin (for an addition: upstream now has the path), so
    copying the overlay over the pin would throw upstream's change away.
    """
    layout = deployment.layout
    upstream = deployment.upstream
    pin = deployment.pin(pinned=pinned)
    # Excluded paths are left alone: their entries are neither checked nor orphaned.
    bases = {p: c for p, c in deployment.bases().items() if not layout.is_excluded(p)}
    present = {f.path for f in scan_overlay(layout)}
    bump, pending = _bump_in_progress(deployment)
    for path, commit in bases.items():
        upstream.require_commit(commit, f"base of {path} in {layout.base_file}")
    files: list[FileStatus] = []
    for path in sorted(present | set(bases), key=lambda p: p.encode("utf-8")):
        base = bases.get(path)
        at_pin = upstream.entry(pin, path)
        if base is None:
            kind = PATCH if at_pin is not None else ADDITION
            files.append(FileStatus(path, kind, None, UNRECORDED))
            continue
        at_base = upstream.entry(base, path)
        kind = PATCH if at_base is not None else ADDITION
        state: str
        if path not in present:
            state = ORPHANED
        elif path in pending or has_conflict_markers(read_overlay_bytes(layout, path)):
            state = CONFLICT_PENDING
        elif at_base != at_pin:
            state = STALE
        else:
            state = UP_TO_DATE
        files.append(FileStatus(path, kind, base, state))
    tracking = upstream.tracked_branch()
    ahead = 0
    if tracking is not None and tracking[1] != pin:
        ahead = len(upstream.commits_between(pin, tracking[1]))
    return StatusResult(layout.upstream, layout.overlay, pin, tuple(files), tracking, ahead, bump)


def _bump_in_progress(deployment: Deployment) -> tuple[str | None, set[str]]:
    """An unfinished bump, and the overlay files it left in conflict (journal or index)."""
    layout = deployment.layout
    repo = open_deployment(layout.root)
    prefix = layout.overlay + "/"
    pending = {p[len(prefix) :] for p in repo.unmerged_paths() if p.startswith(prefix)}
    journal = load_journal(repo.git_dir)
    if journal is None or journal.phase == DONE:
        return None, pending
    if journal.phase == APPLYING:
        return "interrupted", pending
    return "conflicts", pending | set(journal.conflicts)
