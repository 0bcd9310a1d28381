"""The bump plan: every overlay file's three-way merge, computed in memory (docs/design.md §5).

For each overlay file with base B and the target T: base = upstream B:path,
ours = the overlay copy, theirs = upstream T:path.  Nothing is written here;
:mod:`overlay_merge.core.apply` carries a plan out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from overlay_merge.core.contentmerge import merge_sides
from overlay_merge.core.dependencies import Dependency, DependencyAnalysis, Grade, grade_of
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.git.model import MergeStyle, RenameStep
from overlay_merge.core.markers import OwnLines, conflict_labels
from overlay_merge.core.model import (
    CONFLICTING,
    BumpState,
    Decision,
    FileKind,
    RenameSource,
    Side,
    StatusState,
    short_sha,
    side_of,
)
from overlay_merge.core.overlay import OverlayFile, read_overlay_bytes, scan_overlay
from overlay_merge.core.refine import Refinement, Strategy
from overlay_merge.core.refusals import Held, refuse_to_bump, sort_out
from overlay_merge.core.renames import RenameFinder
from overlay_merge.core.shadowing import shadowed
from overlay_merge.core.status import OverlaySurvey, survey_overlay


@dataclass(frozen=True)
class FilePlan:
    """What a bump does to one overlay file.

    ``content``/``mode`` are what a merge writes (``content`` None: the file
    is left as it is); ``renamed_to`` is upstream's new path for
    ``renamed-upstream``, where a merge moves the overlay file.  The three
    sides are kept for the diff views and the index stages.
    """

    path: str
    kind: FileKind
    state: BumpState
    base_commit: str
    ours: Side
    base: Side | None = None
    theirs: Side | None = None
    renamed_to: str | None = None
    conflict_hunks: int = 0  # conflicting hunks in ``content`` (``conflicts`` in the JSON)
    content: bytes | None = None
    mode: int | None = None
    decision: Decision = Decision.TAKE_MERGE
    # depends-on-changed: the upstream files the addition imports that changed
    dependencies: tuple[Dependency, ...] = ()
    # renamed-upstream: how the new path was found, and the moves history shows
    renamed_by: RenameSource | None = None
    rename_steps: tuple[RenameStep, ...] = ()
    # gone at the target: upstream's files there of the same module (see ``shadowing``)
    shadows: tuple[str, ...] = ()
    # --strategy refined: the hunks a rule resolved, why a clean merge became a conflict
    refinements: tuple[Refinement, ...] = ()
    invalid: str | None = None

    @property
    def target_path(self) -> str:
        """Where the file lives after the merge."""
        return self.renamed_to or self.path

    @property
    def shadowing(self) -> tuple[str, ...]:
        """Upstream's files at the target this file hides or is hidden by, if it stays
        where it is (kept, deleted upstream; not moved by a rename, nor dropped)."""
        stays = self.renamed_to is None and self.decision != Decision.DROP
        return self.shadows if stays else ()

    @property
    def grade(self) -> Grade | None:
        """How sure it is that a depends-on-changed addition needs an edit (None: no such state)."""
        return grade_of(self.dependencies)

    @property
    def flagged(self) -> bool:
        """A depends-on-changed addition the maintainer has not confirmed: its base stays."""
        return bool(self.dependencies) and self.decision != Decision.CONFIRM

    @property
    def conflicting(self) -> bool:
        """True if applying leaves work for the maintainer."""
        if self.decision != Decision.TAKE_MERGE:
            return False
        return self.state in CONFLICTING or self.conflict_hunks > 0

    def own_lines(self) -> OwnLines:
        """The marker-like lines of the merged versions that are content, not markers.

        Upstream's base and target versions, and the overlay copy merged
        (the committed copy during the bump), as ``status`` judges the file.
        """
        upstream = (None if s is None else s.data for s in (self.base, self.theirs))
        return OwnLines.of(*upstream, committed=self.ours.data)


@dataclass(frozen=True)
class BumpPlan:
    """A planned bump of the upstream from the pin to a target."""

    upstream: str
    overlay: str
    pin: str
    target: str
    target_rev: str
    style: str
    files: tuple[FilePlan, ...]
    commits: tuple[tuple[str, str], ...]
    orphaned: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what was not analysed, and why (a grammar failed to load)
    strategy: Strategy = "line"  # how its merges were made (``--strategy``)

    def count(self, state: BumpState) -> int:
        return sum(1 for f in self.files if f.state == state)

    @property
    def conflicting(self) -> tuple[FilePlan, ...]:
        """Files a merge leaves to the maintainer, in every state (renamed, added, binary...)."""
        return tuple(f for f in self.files if f.conflicting)

    @property
    def conflict_hunks(self) -> int:
        """Conflicting hunks over the conflicting files (a binary file counts one)."""
        return sum(f.conflict_hunks for f in self.conflicting)

    @property
    def broken(self) -> tuple[FilePlan, ...]:
        """Unconfirmed additions whose imports upstream broke (docs/design.md §5)."""
        return tuple(f for f in self.files if f.flagged and f.grade == Grade.BROKEN)

    @property
    def shadowing(self) -> tuple[FilePlan, ...]:
        """Files left beside an upstream file of the same module (docs/design.md §5)."""
        return tuple(f for f in self.files if f.shadowing)


@dataclass(frozen=True)
class Planner:
    """What planning each file of one bump shares: the deployment, the target, how to merge."""

    deployment: Deployment
    target: str
    style: MergeStyle
    renames_from: RenameFinder
    dependencies: DependencyAnalysis
    strategy: Strategy = "line"

    @classmethod
    def to(
        cls, deployment: Deployment, target: str, style: MergeStyle, strategy: Strategy = "line"
    ) -> Planner:
        """The planner of the files of *deployment* bumped to *target*."""
        layout = deployment.layout
        renames = RenameFinder(deployment.upstream, target)
        analysis = DependencyAnalysis(
            deployment.upstream,
            target,
            layout.imports,
            lambda: frozenset(f.path for f in scan_overlay(layout)),
            renames,
        )
        return cls(deployment, target, style, renames, analysis, strategy)

    @property
    def notes(self) -> tuple[str, ...]:
        """What the plan could not analyse, and why, one sentence each."""
        analysis = self.dependencies
        skipped = (
            f"imports of {language.display} additions not checked: {why}"
            for language, why in sorted(analysis.skipped.items())
        )
        unreadable = (f"some imports not checked: {why}" for why in analysis.unreadable)
        return (*skipped, *unreadable)


@dataclass(frozen=True)
class OverlayPlan:
    """The engine's answer (docs/design.md §5): every overlay file's plan against one target.

    ``check``, ``bump`` (``--dry-run`` and the bump screen) and ``review`` all
    read their per-file states, counts and refusals from this: ``files`` are
    the plans of the files that can be merged; ``held`` the files and base
    entries that cannot (no base, a conflict left, no file), which ``check``
    reports and ``bump`` refuses over (but for the orphaned entries).
    """

    target: str
    files: tuple[FilePlan, ...]
    held: Mapping[str, Held]
    survey: OverlaySurvey
    notes: tuple[str, ...] = ()

    @property
    def orphaned(self) -> tuple[str, ...]:
        """Base entries whose overlay file is gone."""
        return tuple(p for p, h in self.held.items() if h.state == StatusState.ORPHANED)


def plan_overlay(
    deployment: Deployment,
    target: str,
    style: MergeStyle = "zdiff3",
    survey: OverlaySurvey | None = None,
    *,
    strategy: Strategy = "line",
) -> OverlayPlan:
    """Plan every overlay file of *deployment* against upstream commit *target*; raise nothing
    the maintainer must settle (that is for the caller: ``bump`` refuses, ``check`` reports).

    Raises :class:`OverlayMergeError` only for what cannot be known (missing
    base commits).  *survey*: the overlay already surveyed; *strategy*: how
    conflict hunks are refined (``--strategy``).
    """
    survey = survey_overlay(deployment) if survey is None else survey
    planner = Planner.to(deployment, target, style, strategy)
    found = sort_out(deployment, survey, target)
    plannable = [f for f in survey.overlay if f.path not in found.held]
    present = {f.path for f in survey.overlay}
    files = plan_files(planner, plannable, survey.bases, found.contents, present)
    return OverlayPlan(target, files, found.held, survey, planner.notes)


def plan_bump(
    deployment: Deployment,
    rev: str | None = None,
    *,
    style: MergeStyle = "zdiff3",
    strategy: Strategy = "line",
    allow_downgrade: bool = False,
) -> BumpPlan:
    """Plan the bump of every overlay file from its base to the target *rev*.

    *rev* defaults to the upstream's tracked remote branch.  Raises a fixable
    error, before anything could be written, for: an unfinished bump, overlay
    files with no base, files still holding conflict markers (or unmerged in
    the index), an unknown *rev*, missing base commits, and a target that is
    not a descendant of the pin (unless *allow_downgrade*).
    """
    layout = deployment.layout
    upstream = deployment.upstream
    pin = upstream.head()
    if rev is None:
        tracked = upstream.tracked_branch()
        if tracked is None:
            raise OverlayMergeError(
                f"{layout.upstream}: no tracked remote branch to bump to",
                "name the target: `overlay-merge bump REV` "
                f"(after `git -C {quote(layout.upstream)} fetch`)",
            )
        rev, target = tracked
    else:
        target = upstream.resolve(rev)
    if not allow_downgrade:
        _require_descendant(deployment, rev, pin, target)
    found = plan_overlay(deployment, target, style, strategy=strategy)
    refuse_to_bump(deployment, found.survey, found.held)
    commits = tuple(upstream.commits_between(pin, target)) if pin != target else ()
    return BumpPlan(
        layout.upstream,
        layout.overlay,
        pin,
        target,
        rev,
        style,
        found.files,
        commits,
        found.orphaned,
        found.notes,
        strategy,
    )


def _require_descendant(deployment: Deployment, rev: str, pin: str, target: str) -> None:
    """Refuse a *target* that does not descend from the *pin*: a downgrade."""
    layout = deployment.layout
    upstream = deployment.upstream
    if upstream.is_ancestor(pin, target):
        return
    older = upstream.is_ancestor(target, pin)
    if not older and upstream.is_shallow:
        # A shallow clone cuts history off: the target may well descend from
        # the pin through commits that are not here.  Calling that a
        # downgrade would send the maintainer to --allow-downgrade.
        raise OverlayMergeError(
            f"{layout.upstream}: cannot tell whether target {rev} ({short_sha(target)}) "
            f"descends from the pin ({short_sha(pin)}): the history between them is "
            "missing from this shallow clone",
            upstream.fetch_hint(),
        )
    direction = "older than" if older else "not a descendant of"
    raise OverlayMergeError(
        f"{layout.upstream}: target {rev} ({short_sha(target)}) is {direction} the pin "
        f"({short_sha(pin)}); that is a downgrade",
        "pass --allow-downgrade if you mean it",
    )


def plan_files(
    planner: Planner,
    overlay: Sequence[OverlayFile],
    bases: Mapping[str, str],
    contents: Mapping[str, bytes],
    present: set[str],
) -> tuple[FilePlan, ...]:
    """The plan of each of *overlay* (their bytes in *contents*), *present*: every overlay path."""
    deployment = planner.deployment
    layout = deployment.layout
    deployment.upstream.prefetch(
        [(c, f.path) for f in overlay for c in (bases[f.path], planner.target)]
    )
    files = [plan_file(planner, item, bases[item.path], contents[item.path]) for item in overlay]
    return tuple(_unmovable_renames(f, present, layout.is_excluded) for f in files)


def _unmovable_renames(
    item: FilePlan, present: set[str], is_excluded: Callable[[str], bool]
) -> FilePlan:
    """A rename the overlay file cannot follow is a deletion for the maintainer to settle.

    Upstream's new path may already be an overlay file of its own, or an
    excluded path (where the moved file would drop out of overlay-merge's
    sight); a binary or symlink rename has no merge to write there.  Saying
    so in the plan (dry run and check included) beats refusing at apply time.
    """
    if item.renamed_to is None:
        return item
    collides = item.renamed_to in present or is_excluded(item.renamed_to)
    if not collides and item.content is not None:
        return item
    deleted = BumpState.DELETED_UPSTREAM
    return FilePlan(
        item.path, item.kind, deleted, item.base_commit, item.ours, item.base, shadows=item.shadows
    )


def plan_file(
    planner: Planner, item: OverlayFile, base_commit: str, ours_data: bytes | None = None
) -> FilePlan:
    """The bump state (docs/design.md §5) of overlay file *item*, from *base_commit* to the target.

    The three-way merge runs in memory; nothing is written.  *ours_data* is
    the overlay file's bytes when the caller already read them.
    Preconditions (a recorded base, no markers left, the commits present)
    are the caller's to check: ``plan_bump`` raises on them, ``check``
    reports them.
    """
    upstream = planner.deployment.upstream
    target = planner.target
    path = item.path
    if ours_data is None:
        ours_data = read_overlay_bytes(planner.deployment.layout, path)
    ours = Side(ours_data, item.mode)
    base = side_of(upstream.read(base_commit, path))
    # Same blob and mode at base and target (most files): read it once.
    same = base is not None and upstream.entry(base_commit, path) == upstream.entry(target, path)
    theirs = base if same else side_of(upstream.read(target, path))
    kind = FileKind.PATCH if base is not None else FileKind.ADDITION
    if base is None and theirs is None:
        # An addition upstream still lacks: nothing to merge, but what it imports may break it.
        changed = planner.dependencies.check(path, ours_data, base_commit)
        state = BumpState.DEPENDS_ON_CHANGED if changed else BumpState.UNCHANGED
        return FilePlan(path, kind, state, base_commit, ours, dependencies=changed)
    found = FilePlan(path, kind, BumpState.UNCHANGED, base_commit, ours, base, theirs)
    if base is not None and theirs is None:
        found = _moved(planner, found)
        if found.renamed_to is None:
            return found
    return _merged(planner, found)


def _moved(planner: Planner, item: FilePlan) -> FilePlan:
    """*item*, gone at the target: upstream's renamed file as its theirs, else deleted-upstream.

    Either way the upstream files of the same module at the target are noted:
    if the file stays where it is, it sits beside them.
    """
    upstream = planner.deployment.upstream
    shadows = shadowed(upstream, planner.target, item.path)
    rename = planner.renames_from.find(item.base_commit, item.path)
    if rename is None:
        return replace(item, state=BumpState.DELETED_UPSTREAM, shadows=shadows)
    theirs = side_of(upstream.read(planner.target, rename.path))
    return replace(
        item,
        theirs=theirs,
        renamed_to=rename.path,
        renamed_by=rename.found_by,
        rename_steps=rename.steps,
        shadows=shadows,
    )


def _merged(planner: Planner, item: FilePlan) -> FilePlan:
    """*item* (its three sides read, state ``unchanged``) with its state and its merge."""
    base, ours, theirs = item.base, item.ours, item.theirs
    if theirs is None:
        return item  # an addition upstream still lacks
    if item.renamed_to is None and base == theirs:
        return item
    if item.renamed_to is None and ours == theirs:
        return replace(item, state=BumpState.CONVERGED)
    labels = conflict_labels(item.base_commit, planner.target)
    merge = merge_sides(
        base,
        ours,
        theirs,
        labels,
        planner.style,
        strategy=planner.strategy,
        path=item.target_path,
        rules=planner.deployment.layout.refine_rules,
    )
    if base is None:
        state = BumpState.ADDED_UPSTREAM
    elif item.renamed_to is not None:
        state = BumpState.RENAMED_UPSTREAM
    elif merge.content is None:
        state = BumpState.BINARY
    else:
        state = BumpState.CONFLICT if merge.conflict_hunks else BumpState.CLEAN
    return replace(
        item,
        state=state,
        conflict_hunks=merge.conflict_hunks,
        content=merge.content,
        mode=merge.mode,
        refinements=merge.refinements,
        invalid=merge.invalid,
    )


def review_range(deployment: Deployment, plan: BumpPlan) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What a reviewer's commit list shows: from the files' bases to the plan's target.

    The first commit every file's base descends from (the oldest base), and
    the upstream commits from it to the target, newest first: what upstream
    changed under the overlay, where ``plan.commits`` (pin to target) is
    empty when the target is the pin.
    """
    bases = sorted({f.base_commit for f in plan.files if f.base_commit != plan.target})
    if not bases:
        return plan.target, ()
    oldest = deployment.upstream.oldest_of(bases)
    if oldest is None:
        return plan.pin, plan.commits
    return oldest, tuple(deployment.upstream.commits_between(oldest, plan.target))
