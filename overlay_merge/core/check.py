"""``check``: status plus a dry-run merge of every stale file, for CI (docs/design.md §6).

Where ``status`` says a file is stale, ``check`` also says what a bump would
make of it (its bump state, docs/design.md §5, computed by
:func:`overlay_merge.core.plan.plan_file`, the function the bump itself uses).
Whatever ``bump`` refuses to start over (files without a base, markers left,
an unfinished bump) is *reported* here,
not raised: CI wants the whole picture in one run.  Only what cannot be known
(commits missing, the upstream not initialized, no ``.overlay-base`` at all)
is an error.

It reads and never writes: tree entries are compared first (blob ids and
modes, no content read), and only stale files are read and merged, in memory.
Additions are also read, for what they import: an up-to-date addition whose
imported upstream files changed is reported with its dry-run state,
``depends-on-changed`` (only *broken* ones put the overlay out of sync).
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.build.steps import planned_merges
from overlay_merge.core.dependencies import Dependency, Grade, grade_of
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.depmerge import MergeOutcome
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import MergeStyle
from overlay_merge.core.journal import BumpProgress
from overlay_merge.core.layout import Layout
from overlay_merge.core.markers import first_marker_line
from overlay_merge.core.model import (
    CONFLICTING,
    BumpState,
    FileKind,
    RenameSource,
    StatusState,
)
from overlay_merge.core.overlay import OverlayFile, read_overlay_bytes
from overlay_merge.core.plan import Planner, plan_file
from overlay_merge.core.refine import Strategy
from overlay_merge.core.status import (
    FileStatus,
    OverlaySurvey,
    classify,
    own_lines_at,
    survey_overlay,
)


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
    renamed_by: RenameSource | None = None  # how ``renamed_to`` was found
    # Upstream's files of the same module the file stays beside (a failure)
    shadows: tuple[str, ...] = ()

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
    checker = _Checker(
        Planner.to(deployment, target, style, strategy),
        survey,
        {f.path: f for f in survey.overlay},
        _LazyBaseLines(layout),
    )
    statuses = list(classify(deployment, survey, target))
    # A partial clone fetches the blobs the merges need in one go, not one by one.
    deployment.upstream.prefetch(
        [(c, s.path) for s in statuses if s.base is not None for c in (s.base, target)]
    )
    files = tuple(checker.check(status) for status in statuses)
    return CheckResult(
        layout.upstream,
        layout.overlay,
        layout.base_file,
        target,
        files,
        against,
        pinned and against is None,
        survey.bump,
        checker.planner.notes,
        planned_merges(deployment, target),
    )


def _require_initialized(layout: Layout, survey: OverlaySurvey) -> None:
    # With no base file at all every file is merely "unrecorded": nothing can
    # be said about drift, and the fix is one command.
    if survey.overlay and not survey.bases and not layout.base_file_path.exists():
        raise OverlayMergeError(
            f"{layout.base_file}: missing, so overlay-merge is not set up in this deployment "
            f"and the drift of {layout.overlay} cannot be told",
            "run `overlay-merge init` and commit the .overlay-base it writes",
        )


@dataclass(frozen=True)
class _Checker:
    """What checking each file shares: the dry-run planner, the overlay survey, where
    each overlay file and base entry is."""

    planner: Planner
    survey: OverlaySurvey
    items: dict[str, OverlayFile]
    base_lines: _LazyBaseLines

    def check(self, status: FileStatus) -> FileCheck:
        """The check of one file whose *status* is known."""
        path = status.path
        deployment = self.planner.deployment
        if status.state == StatusState.STALE and status.base is not None:
            plan = plan_file(self.planner, self.items[path], status.base)
            line = None
            if plan.conflict_hunks:
                # The preview's markers, by the grammar ``status`` will judge it with.
                line = first_marker_line(plan.content, plan.own_lines())
            return FileCheck(
                path,
                plan.kind,
                status.base,
                status.state,
                merge=plan.state,
                conflict_hunks=plan.conflict_hunks,
                first_conflict_line=line,
                renamed_to=plan.renamed_to,
                renamed_by=plan.renamed_by,
                shadows=plan.shadowing,
            )
        if status.state == StatusState.CONFLICT_PENDING:
            data = read_overlay_bytes(deployment.layout, path)
            own = own_lines_at(deployment, self.survey, path, self.planner.target)
            return FileCheck(
                path,
                status.kind,
                status.base,
                status.state,
                first_marker_line=first_marker_line(data, own),
                unmerged=path in self.survey.unmerged,
            )
        if status.state == StatusState.UP_TO_DATE and status.kind == FileKind.ADDITION:
            return self._addition(status)
        if status.state == StatusState.ORPHANED:
            base_line = self.base_lines(path)
            return FileCheck(path, status.kind, status.base, status.state, base_line=base_line)
        return FileCheck(path, status.kind, status.base, status.state)

    def _addition(self, status: FileStatus) -> FileCheck:
        """An up-to-date addition: the upstream files it imports may have changed under it."""
        path, base = status.path, status.base
        plan = None if base is None else plan_file(self.planner, self.items[path], base)
        if plan is None or plan.state != BumpState.DEPENDS_ON_CHANGED:
            return FileCheck(path, status.kind, base, status.state)
        return FileCheck(
            path,
            status.kind,
            base,
            status.state,
            merge=plan.state,
            dependencies=plan.dependencies,
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
