"""The bump plan: every overlay file's three-way merge, computed in memory (docs/design.md §5).

For each overlay file with base B and the target T: base = upstream B:path,
ours = the overlay copy, theirs = upstream T:path.  Nothing is written here;
:mod:`overlay_merge.core.apply` carries a plan out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from overlay_merge.core.contentmerge import merge_sides
from overlay_merge.core.dependencies import Dependency, DependencyAnalysis, Grade, grade_of
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, first_of, quote
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.git.model import MergeStyle
from overlay_merge.core.journal import require_no_unfinished_bump
from overlay_merge.core.markers import OwnLines, conflict_labels, first_marker_line
from overlay_merge.core.model import (
    CONFLICTING,
    DROPPABLE,
    BumpState,
    Decision,
    FileKind,
    Side,
    short_sha,
    side_of,
)
from overlay_merge.core.overlay import OverlayFile, read_overlay_bytes, scan_overlay
from overlay_merge.core.ownlines import own_lines
from overlay_merge.core.refine import Refinement, Strategy


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
    # --strategy refined: the hunks a rule resolved, why a clean merge became a conflict
    refinements: tuple[Refinement, ...] = ()
    invalid: str | None = None

    @property
    def target_path(self) -> str:
        """Where the file lives after the merge."""
        return self.renamed_to or self.path

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

    def count(self, state: BumpState) -> int:
        return sum(1 for f in self.files if f.state == state)

    @property
    def conflicting(self) -> tuple[FilePlan, ...]:
        return tuple(f for f in self.files if f.conflicting)

    @property
    def broken(self) -> tuple[FilePlan, ...]:
        """Unconfirmed additions whose imports upstream broke (docs/design.md §5)."""
        return tuple(f for f in self.files if f.flagged and f.grade == Grade.BROKEN)


RenameFinder = Callable[[str, str], "str | None"]


def rename_finder(deployment: Deployment, target: str) -> RenameFinder:
    """A lookup ``(base commit, path) -> upstream's new path at *target*, or None``.

    Asked only for files gone at *target*; each distinct base costs one tree
    diff without rename detection (the files added since it), and each file
    is compared only with its likely new names.
    """
    upstream = deployment.upstream
    added: dict[str, list[str]] = {}

    def renamed_to(base: str, path: str) -> str | None:
        if base not in added:
            added[base] = upstream.added_paths(base, target)
        return upstream.best_rename(base, target, path, added[base])

    return renamed_to


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
        renames = rename_finder(deployment, target)
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
    error, before anything could be written, for: overlay files with no
    base, files still holding conflict markers, an unknown *rev*, missing
    base commits, and a target that is not a descendant of the pin (unless
    *allow_downgrade*).
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
    bases = {p: c for p, c in deployment.bases().items() if not layout.is_excluded(p)}
    overlay = scan_overlay(layout)
    planner = Planner.to(deployment, target, style, strategy)
    files = _plan_files(planner, overlay, bases)
    present = {f.path for f in overlay}
    orphaned = tuple(p for p in bases if p not in present and not layout.is_excluded(p))
    commits = tuple(upstream.commits_between(pin, target)) if pin != target else ()
    notes = planner.notes
    return BumpPlan(
        layout.upstream, layout.overlay, pin, target, rev, style, files, commits, orphaned, notes
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


def _plan_files(
    planner: Planner, overlay: list[OverlayFile], bases: dict[str, str]
) -> tuple[FilePlan, ...]:
    """Every overlay file's plan, once the bump's preconditions hold."""
    deployment = planner.deployment
    layout = deployment.layout
    # Each overlay file is read once: for the marker check and for its merge.
    contents = {f.path: read_overlay_bytes(layout, f.path) for f in overlay}
    _check_preconditions(deployment, overlay, bases, contents, planner.target)
    deployment.upstream.prefetch(
        [(c, f.path) for f in overlay for c in (bases[f.path], planner.target)]
    )
    files = [plan_file(planner, item, bases[item.path], contents[item.path]) for item in overlay]
    present = {f.path for f in overlay}
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
    return FilePlan(item.path, item.kind, deleted, item.base_commit, item.ours, item.base)


def _check_preconditions(
    deployment: Deployment,
    overlay: list[OverlayFile],
    bases: dict[str, str],
    contents: dict[str, bytes],
    target: str,
) -> None:
    layout = deployment.layout
    require_no_unfinished_bump(open_deployment(layout.root).git_dir)

    unrecorded = [f.path for f in overlay if f.path not in bases]
    if unrecorded:
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of(unrecorded)}: no base in {layout.base_file}",
            "run `overlay-merge init` to record their base, then retry",
        )
    marked = _marked(deployment, overlay, bases, contents, target)
    if marked:
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of(marked)}: still holds conflict markers, and a file "
            "with markers is never merged into again",
            "resolve the markers and run `overlay-merge resolve`, or `overlay-merge abort`",
        )
    deployment.require_bases(bases)


def _marked(
    deployment: Deployment,
    overlay: list[OverlayFile],
    bases: dict[str, str],
    contents: dict[str, bytes],
    target: str,
) -> list[str]:
    """``path:line`` of each overlay file holding a conflict marker line (its first)."""
    found = []
    for item in overlay:
        own = own_lines(deployment, item.path, base=bases[item.path], target=target)
        line = first_marker_line(contents[item.path], own)
        if line is not None:
            found.append(f"{item.path}:{line}")
    return found


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
    renamed_to = None
    if base is not None and theirs is None:
        renamed_to = planner.renames_from(base_commit, path)
        if renamed_to is None:
            return FilePlan(path, kind, BumpState.DELETED_UPSTREAM, base_commit, ours, base)
        theirs = side_of(upstream.read(target, renamed_to))
    found = FilePlan(
        path, kind, BumpState.UNCHANGED, base_commit, ours, base, theirs, renamed_to=renamed_to
    )
    return _merged(planner, found)


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
        base, ours, theirs, labels, planner.style, strategy=planner.strategy, path=item.target_path
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


def allowed_decisions(item: FilePlan) -> tuple[Decision, ...]:
    """The per-file decisions offered for *item* (docs/design.md §5), the default first.

    Taking upstream's version needs one (not for a file deleted upstream, nor
    an addition upstream still lacks); dropping is offered for files upstream
    now carries (``converged``) or deleted (``deleted-upstream``); confirming
    (the addition works with upstream's change: its base moves) for
    ``depends-on-changed``, whose default keeps its base.
    """
    allowed = [Decision.TAKE_MERGE, Decision.KEEP_OVERLAY]
    if item.dependencies:
        allowed.append(Decision.CONFIRM)
    if item.theirs is not None:
        allowed.append(Decision.TAKE_UPSTREAM)
    if item.state in DROPPABLE:
        allowed.append(Decision.DROP)
    return tuple(allowed)


def decide(plan: BumpPlan, decisions: Mapping[str, str]) -> BumpPlan:
    """The plan with the maintainer's per-file *decisions* ({overlay path: decision}).

    ``keep`` leaves the file and its base alone (its drift stays visible);
    ``upstream`` takes upstream's version (at its new path for a rename);
    ``drop`` deletes the overlay file and its base entry.  ``merge`` is the
    default.  A decision :func:`allowed_decisions` does not offer for the
    file is refused, saying which are.
    """
    by_path = {f.path: f for f in plan.files}
    chosen: dict[str, Decision] = {}
    for path, decision in decisions.items():
        if path not in by_path:
            raise OverlayMergeError(f"{path}: not an overlay file of this bump")
        if decision not in tuple(Decision):
            names = ", ".join(Decision)
            raise OverlayMergeError(f"{path}: unknown decision {decision!r} (one of {names})")
        allowed = allowed_decisions(by_path[path])
        if decision not in allowed:
            raise OverlayMergeError(
                f"{path}: decision {decision!s} is not offered for a file in state "
                f"{by_path[path].state} (offered: {', '.join(allowed)})"
            )
        chosen[path] = Decision(decision)
    return replace(plan, files=tuple(_decided(f, chosen.get(f.path)) for f in plan.files))


def _decided(item: FilePlan, decision: Decision | None) -> FilePlan:
    if decision == Decision.KEEP_OVERLAY:
        return replace(item, decision=decision, content=None, mode=None, renamed_to=None)
    if decision == Decision.TAKE_UPSTREAM and item.theirs is not None:
        theirs = item.theirs
        return replace(item, decision=decision, content=theirs.data, mode=theirs.mode)
    if decision in (Decision.DROP, Decision.CONFIRM):
        return replace(item, decision=decision, content=None, mode=None, renamed_to=None)
    return item


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
