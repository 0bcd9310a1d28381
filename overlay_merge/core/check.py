"""``check``: the bump's plan for the pin (or ``--against REV``), for CI (docs/design.md §6).

``check`` is a view of the plan ``bump`` makes for the same target
(:func:`overlay_merge.core.plan.plan_overlay`, the one engine of check,
``bump --dry-run``, the bump screen and ``review``): a file whose plan
leaves it as it is is up to date, any other is stale with that plan's bump
state (docs/design.md §5), hunks and new path.  Whatever ``bump`` refuses to
start over (files without a base, conflicts left, an unfinished bump) is
*reported* here, not raised: CI wants the whole picture in one run.  Only
what cannot be known (commits missing, the upstream not initialized, no
``.overlay-base`` at all) is an error.

It reads and never writes; merges run in memory.  An up-to-date addition
whose imported upstream files changed is reported with its dry-run state,
``depends-on-changed`` (only *broken* ones put the overlay out of sync).
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.build.steps import planned_merges
from overlay_merge.core.conflictlines import LineRange, overlay_ranges
from overlay_merge.core.dependencies import Dependency, Grade, grade_of
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.depmerge import MergeOutcome
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import MergeStyle
from overlay_merge.core.journal import BumpProgress
from overlay_merge.core.layout import Layout
from overlay_merge.core.markers import first_marker_line
from overlay_merge.core.model import CONFLICTING, BumpState, FileKind, RenameSource, StatusState
from overlay_merge.core.plan import FilePlan, plan_overlay
from overlay_merge.core.refine import Refinement, Strategy
from overlay_merge.core.refusals import Held
from overlay_merge.core.status import OverlaySurvey, survey_overlay


@dataclass(frozen=True)
class FileCheck:
    """One overlay file (or base entry): its status and, if stale, its dry-run merge.

    Line numbers are 1-based.  ``first_conflict_line`` is in the merge
    preview (what ``bump --choice merge`` would write); ``first_marker_line``
    in the overlay file as it is; ``base_line`` is the entry's line in the
    base file (orphaned entries).
    """

    path: str
    kind: FileKind
    base: str | None
    state: StatusState
    merge: BumpState | None = None
    conflict_hunks: int = 0  # in the merge preview (``conflicts`` in the JSON)
    first_conflict_line: int | None = None
    renamed_to: str | None = None
    first_marker_line: int | None = None
    unmerged: bool = False
    base_line: int | None = None
    # An up-to-date addition whose imported upstream files changed (merge depends-on-changed)
    dependencies: tuple[Dependency, ...] = ()
    # Each conflict hunk as lines of the overlay file as it is (the merge's overlay side,
    # or the markers of a conflict-pending file): what a reviewer opens
    conflict_lines: tuple[LineRange, ...] = ()
    renamed_by: RenameSource | None = None  # how ``renamed_to`` was found
    # Upstream's files of the same module the file stays beside (a failure)
    shadows: tuple[str, ...] = ()
    # --strategy refined: the hunks of the dry-run merge a rule resolved
    refinements: tuple[Refinement, ...] = ()

    @property
    def grade(self) -> Grade | None:
        """How sure it is that the addition needs an edit (None: its imports did not change)."""
        return grade_of(self.dependencies)

    @property
    def conflicting(self) -> bool:
        """True if the file needs a maintainer's hand, not just a bump."""
        if self.state == StatusState.CONFLICT_PENDING or self.shadows:
            return True
        stale = self.state == StatusState.STALE
        return stale and (self.merge in CONFLICTING or self.conflict_hunks > 0)

    @property
    def hunks_to_resolve(self) -> int:
        """Conflicting hunks: the merge preview's, or the markers left in the file."""
        if self.state == StatusState.CONFLICT_PENDING:
            return len(self.conflict_lines)
        return self.conflict_hunks if self.conflicting else 0


@dataclass(frozen=True)
class CheckResult:
    """The overlay checked against one upstream commit (the pin, or ``--against REV``)."""

    upstream: str
    overlay: str
    base_file: str
    target: str
    files: tuple[FileCheck, ...]
    against: str | None = None
    pinned: bool = False
    bump: BumpProgress | None = None  # while a bump is unfinished
    notes: tuple[str, ...] = ()  # what was not analysed, and why
    # The build's declared dependency merges at the target: their collisions are warnings.
    dependency_merges: tuple[MergeOutcome, ...] = ()

    @property
    def conflict_files(self) -> int:
        """Files needing a hand, in every state (renamed, added, binary, deleted included)."""
        return sum(1 for f in self.files if f.conflicting)

    @property
    def conflict_hunks(self) -> int:
        """Conflicting hunks over all those files (a binary file counts one)."""
        return sum(f.hunks_to_resolve for f in self.files)

    @property
    def in_sync(self) -> bool:
        """Every file up to date, no addition broken by upstream, no bump unfinished.

        An addition whose imports only *changed* is a warning, not drift.
        """
        return self.bump is None and all(
            f.state == StatusState.UP_TO_DATE and f.grade != Grade.BROKEN for f in self.files
        )


def compute_check(
    deployment: Deployment,
    *,
    against: str | None = None,
    pinned: bool = False,
    style: MergeStyle = "zdiff3",
    strategy: Strategy = "line",
) -> CheckResult:
    """Check every overlay file against the pin (*pinned*: the one HEAD records) or *against*.

    A view of the bump's own plan for that target (:func:`plan_overlay`):
    its per-file states, hunks and held files, never a second classifier.
    Raises :class:`OverlayMergeError` only when the answer cannot be known:
    an unknown *against*, a missing commit (shallow clone), an upstream or
    nested submodule not initialized, no base file for a non-empty overlay.
    """
    layout = deployment.layout
    if against is not None:
        target = deployment.upstream.resolve(against)
    else:
        target = deployment.pin(pinned=pinned)
    survey = survey_overlay(deployment)
    _require_initialized(layout, survey)
    found = plan_overlay(deployment, target, style, survey, strategy=strategy)
    plans = {f.path: f for f in found.files}
    base_lines = _LazyBaseLines(layout)
    files = tuple(
        _held(found.held[path], base_lines) if path in found.held else _planned(plans[path])
        for path in survey.paths
    )
    return CheckResult(
        layout.upstream,
        layout.overlay,
        layout.base_file,
        target,
        files,
        against,
        pinned and against is None,
        survey.bump,
        found.notes,
        planned_merges(deployment, target),
    )


def _planned(plan: FilePlan) -> FileCheck:
    """A file the plan merges: stale unless its plan leaves it as it is."""
    path, kind, base = plan.path, plan.kind, plan.base_commit
    if plan.state == BumpState.DEPENDS_ON_CHANGED:
        # Up to date, but what the addition imports changed under it.
        up = StatusState.UP_TO_DATE
        return FileCheck(path, kind, base, up, merge=plan.state, dependencies=plan.dependencies)
    if plan.state == BumpState.UNCHANGED:
        return FileCheck(path, kind, base, StatusState.UP_TO_DATE)
    line: int | None = None
    ranges: tuple[LineRange, ...] = ()
    if plan.conflict_hunks and plan.content is not None:
        # The preview's markers, by the grammar ``status`` will judge it with.
        own = plan.own_lines()
        line = first_marker_line(plan.content, own)
        ranges = tuple(overlay_ranges(plan.ours.data, plan.content, own))
    return FileCheck(
        path,
        kind,
        base,
        StatusState.STALE,
        merge=plan.state,
        conflict_hunks=plan.conflict_hunks,
        first_conflict_line=line,
        renamed_to=plan.renamed_to,
        conflict_lines=ranges,
        renamed_by=plan.renamed_by,
        shadows=plan.shadowing,
        refinements=plan.refinements,
    )


def _held(held: Held, base_lines: _LazyBaseLines) -> FileCheck:
    """A file or base entry the plan holds back: a conflict left, no base, no file."""
    path, kind, base = held.path, held.kind, held.base
    if held.state == StatusState.CONFLICT_PENDING:
        return FileCheck(
            path,
            kind,
            base,
            held.state,
            first_marker_line=held.first_marker_line,
            unmerged=held.unmerged,
            conflict_lines=held.marker_lines,
        )
    if held.state == StatusState.ORPHANED:
        return FileCheck(path, kind, base, held.state, base_line=base_lines(path))
    return FileCheck(path, kind, base, held.state)


def _require_initialized(layout: Layout, survey: OverlaySurvey) -> None:
    # With no base file at all every file is merely "unrecorded": nothing can
    # be said about drift, and the fix is one command.
    if survey.overlay and not survey.bases and not layout.base_file_path.exists():
        raise OverlayMergeError(
            f"{layout.base_file}: missing, so overlay-merge is not set up in this deployment "
            f"and the drift of {layout.overlay} cannot be told",
            "run `overlay-merge init` and commit the .overlay-base it writes",
        )


class _LazyBaseLines:
    """Line numbers of the base file's entries, read only if an orphan needs one."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.lines: dict[str, int] | None = None

    def __call__(self, path: str) -> int | None:
        if self.lines is None:
            self.lines = {}
            text = self.layout.base_file_path.read_bytes().decode("utf-8")
            # The file was validated when it was read: entries are "<sha>  <path>".
            for number, line in enumerate(text.split("\n"), start=1):
                if line and not line.startswith("#") and "  " in line:
                    self.lines[line.partition("  ")[2]] = number
        return self.lines.get(path)
