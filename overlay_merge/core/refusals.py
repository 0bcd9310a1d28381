"""What the plan holds back, and what of it stops a bump (docs/design.md §5, §6).

Before any merge, each overlay file and base entry is either plannable (a
recorded base, the file present, no conflict left in it) or *held*: no base
recorded (``unrecorded``), a base entry without a file (``orphaned``), or a
conflict left (``conflict-pending``: markers in the file, or unmerged in the
deployment's index, or listed by an unfinished bump).  ``check`` reports the
held files; ``bump`` refuses to start over any but the orphaned ones, and
over an unfinished bump.  One function finds them for both, so what stops a
bump is exactly what ``check`` shows as needing a hand first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from overlay_merge.core.conflictlines import LineRange, marker_ranges
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, first_of
from overlay_merge.core.journal import unfinished
from overlay_merge.core.markers import first_marker_line
from overlay_merge.core.model import FileKind, StatusState
from overlay_merge.core.overlay import read_overlay_bytes
from overlay_merge.core.status import OverlaySurvey, own_lines_at


@dataclass(frozen=True)
class Held:
    """An overlay file or base entry the plan does not merge, and why (its status state).

    ``first_marker_line`` (1-based, in the overlay file) and ``unmerged``
    (registered unmerged in the index) say what conflict is left in a
    ``conflict-pending`` file.
    """

    path: str
    kind: FileKind
    base: str | None
    state: StatusState
    first_marker_line: int | None = None
    unmerged: bool = False
    marker_lines: tuple[LineRange, ...] = ()  # each complete conflict hunk, start to end


@dataclass(frozen=True)
class Sorted:
    """The survey's paths sorted out: the held ones, and the bytes of every file present."""

    held: dict[str, Held]
    contents: dict[str, bytes]


def sort_out(deployment: Deployment, survey: OverlaySurvey, target: str) -> Sorted:
    """Which paths of *survey* the plan holds back against upstream *target*.

    Every overlay file is read once here (for its markers); the plan merges
    the bytes read.  Only tree entries are looked up for the held ones.
    """
    present = {f.path for f in survey.overlay}
    held: dict[str, Held] = {}
    contents: dict[str, bytes] = {}
    for path in survey.paths:
        base = survey.bases.get(path)
        if base is None:
            kind = _kind(deployment, target, path)
            held[path] = Held(path, kind, None, StatusState.UNRECORDED)
            continue
        # A kind is looked up for the held only: the plan finds every other file's.
        if path not in present:
            held[path] = Held(path, _kind(deployment, base, path), base, StatusState.ORPHANED)
            continue
        data = contents[path] = read_overlay_bytes(deployment.layout, path)
        own = own_lines_at(deployment, survey, path, target)
        line = first_marker_line(data, own)
        if line is not None or path in survey.pending:
            unmerged = path in survey.unmerged
            pending = StatusState.CONFLICT_PENDING
            spans = tuple(marker_ranges(data, own)) if line is not None else ()
            kind = _kind(deployment, base, path)
            held[path] = Held(path, kind, base, pending, line, unmerged, spans)
    return Sorted(held, contents)


def _kind(deployment: Deployment, commit: str, path: str) -> FileKind:
    """A patch if upstream has *path* at *commit*, else an addition (docs/design.md §2)."""
    return FileKind.PATCH if deployment.upstream.entry(commit, path) else FileKind.ADDITION


def refuse_to_bump(deployment: Deployment, survey: OverlaySurvey, held: Mapping[str, Held]) -> None:
    """Raise what stops a bump: an unfinished bump, else files without base, else conflicts left."""
    layout = deployment.layout
    if survey.journal is not None:
        raise unfinished(survey.journal)
    unrecorded = _paths(held, StatusState.UNRECORDED)
    if unrecorded:
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of(unrecorded)}: no base in {layout.base_file}",
            "run `overlay-merge init` to record their base, then retry",
        )
    pending = [h for h in held.values() if h.state == StatusState.CONFLICT_PENDING]
    marked = [f"{h.path}:{h.first_marker_line}" for h in pending if h.first_marker_line]
    if marked:
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of(marked)}: still holds conflict markers, and a file "
            "with markers is never merged into again",
            "resolve the markers and run `overlay-merge resolve`, or `overlay-merge abort`",
        )
    if pending:
        # Unmerged in the index without markers (a merge or a mergetool left it so):
        # writing a merge there would hide the conflict git still records.
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of([h.path for h in pending])}: registered as unmerged "
            "in the deployment's index",
            "once the file is right, `git add` it, then retry",
        )


def _paths(held: Mapping[str, Held], state: StatusState) -> Sequence[str]:
    return [h.path for h in held.values() if h.state == state]
