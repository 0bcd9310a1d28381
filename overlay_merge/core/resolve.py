"""``resolve``: after conflicts are fixed by hand, record the bump's target as base."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from overlay_merge.core.basefile import format_base_file
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, first_of
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.journal import Journal, require_bump
from overlay_merge.core.lock import writes
from overlay_merge.core.markers import first_marker_line
from overlay_merge.core.overlay import read_overlay_bytes
from overlay_merge.core.ownlines import own_lines


@dataclass(frozen=True)
class ResolveResult:
    """Files recorded (kept, base = target) or dropped, and the conflicts still left."""

    target: str
    recorded: tuple[str, ...]
    dropped: tuple[str, ...]
    remaining: tuple[str, ...]


def _overlay_relative(deployment: Deployment, path: str) -> str:
    """Accept overlay-relative paths and deployment-relative ones (``extensions/...``)."""
    prefix = deployment.layout.overlay + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path


@writes("resolve")
def resolve_files(deployment: Deployment, paths: Sequence[str] = ()) -> ResolveResult:
    """Mark conflicted files of the bump in progress as resolved.

    Without *paths*, every file still in conflict.  Refuses (writing
    nothing) if any of them still holds conflict markers.  A file the
    maintainer deleted is dropped from the overlay and from `.overlay-base`.
    """
    layout = deployment.layout
    repo = open_deployment(layout.root)
    journal = require_bump(repo.git_dir, "resolve")
    wanted = _wanted(deployment, journal, paths)
    present = [
        p
        for p in wanted
        if (layout.overlay_path / p).is_file() or (layout.overlay_path / p).is_symlink()
    ]
    bases = deployment.bases()
    marked = _marked(deployment, journal, bases, present)
    if marked:
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of(marked)}: still holds conflict markers",
            "edit the file until no <<<<<<< / ||||||| / ======= / >>>>>>> marker line "
            "is left, then retry",
        )
    dropped = [p for p in wanted if p not in present]
    for path in present:
        bases[path] = journal.target
    for path in dropped:
        bases.pop(path, None)
    data = format_base_file(bases)
    # Journal first, so that abort knows these bytes (and the deletions the
    # maintainer made) for overlay-merge's own, whenever this is stopped.
    journal.note_left(layout.base_file, data)
    for path in dropped:
        journal.note_left(f"{layout.overlay}/{path}", None)
    journal.save()
    write_bytes_atomic(layout.base_file_path, data)
    for path in wanted:
        repo.clear_conflict(f"{layout.overlay}/{path}")
    journal.mark_resolved(wanted)
    journal.save()
    return ResolveResult(journal.target, tuple(present), tuple(dropped), tuple(journal.conflicts))


def _wanted(deployment: Deployment, journal: Journal, paths: Sequence[str]) -> list[str]:
    """The conflicts *paths* name (overlay-relative), every one left without paths."""
    wanted = [_overlay_relative(deployment, p) for p in paths] or list(journal.conflicts)
    unknown = [p for p in wanted if p not in journal.conflicts]
    if unknown:
        raise OverlayMergeError(
            f"{unknown[0]}: not a conflict of the bump in progress "
            f"(left: {', '.join(journal.conflicts) or 'none'})",
            "name a path as `overlay-merge status` lists it",
        )
    return wanted


def _marked(
    deployment: Deployment, journal: Journal, bases: dict[str, str], paths: Sequence[str]
) -> list[str]:
    """``path:line`` of each of *paths* holding a conflict marker line (its first)."""
    found = []
    for path in paths:
        own = own_lines(
            deployment, path, base=bases.get(path), target=journal.target, journal=journal
        )
        line = first_marker_line(read_overlay_bytes(deployment.layout, path), own)
        if line is not None:
            found.append(f"{path}:{line}")
    return found
