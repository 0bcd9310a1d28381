"""Carrying out a bump plan: ``merge`` (stop and merge) or ``update`` (update anyway).

Every precondition is checked before the first write (copier's rule, see
:mod:`overlay_merge.core.preflight`); then the journal, with a backup of
everything that will change and what the bump will leave there, is saved;
then the changes, each one atomic.  :mod:`overlay_merge.core.abort` undoes them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from overlay_merge.core.basefile import format_base_file
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.files import MODE_EXEC, MODE_FILE, remove_file, working_state, write_file
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.deployment import DeploymentRepo, open_deployment
from overlay_merge.core.journal import (
    Backup,
    HeadState,
    Journal,
    new_journal,
    require_no_unfinished_bump,
)
from overlay_merge.core.layout import Layout
from overlay_merge.core.lock import writes
from overlay_merge.core.model import BumpChoice, BumpState, Decision, Side, pair_of, short_sha
from overlay_merge.core.overlay import safe_overlay_path
from overlay_merge.core.paths import read_regular
from overlay_merge.core.plan import BumpPlan, FilePlan
from overlay_merge.core.preflight import (
    NestedMoves,
    check_git_state,
    check_overlay_clean,
    check_upstream_clean,
    ensure_checkout_objects,
    nested_moves,
)
from overlay_merge.core.provenance import RuleHunk, kept

# Called after every single write of a bump, with what was written.  Tests
# use it to stop a bump between any two writes and check that abort recovers.
WriteHook = Callable[[str], None]


@dataclass(frozen=True)
class ApplyResult:
    """What a merge or update did."""

    choice: BumpChoice
    conflicts: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    moved: dict[str, str] = field(default_factory=dict)
    nested_moved: tuple[str, ...] = ()
    nested_skipped: tuple[str, ...] = ()


def _backup_file(journal: Journal, full: Path) -> Backup:
    """A backup of the file or symlink at *full* (a folder there is backed up file by file
    by the caller's pre-flight, never read as one)."""
    if full.is_symlink():
        state = working_state(full)
        assert state is not None
        return Backup(journal.backup(state.data), state.mode)
    # A FIFO or a device (an untracked one in the upstream, with --force) is
    # refused here, before the first write, never opened for a blocking read.
    data = read_regular(full, str(full), "move it out of the way, then run the bump again")
    if data is None:
        return Backup(None)
    return Backup(journal.backup(data), MODE_EXEC if os.stat(full).st_mode & 0o100 else MODE_FILE)


@writes("bump --choice merge")
def apply_merge(
    deployment: Deployment,
    plan: BumpPlan,
    *,
    force: bool = False,
    after_write: WriteHook | None = None,
) -> ApplyResult:
    """Stop and merge: write the merges, record bases, register conflicts, move the pin."""
    return _apply(deployment, plan, BumpChoice.MERGE, force, after_write or (lambda _: None))


@writes("bump --choice update")
def apply_update(
    deployment: Deployment,
    plan: BumpPlan,
    *,
    force: bool = False,
    after_write: WriteHook | None = None,
) -> ApplyResult:
    """Update anyway: move the pin only; the overlay and its bases stay as they are."""
    return _apply(deployment, plan, BumpChoice.UPDATE, force, after_write or (lambda _: None))


@dataclass(frozen=True)
class OverlayChanges:
    """What a merge writes in the overlay (deployment-relative paths) and removes from it."""

    writes: dict[str, Side] = field(default_factory=dict)
    removals: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PreparedBump:
    """A bump once every check passed and its journal is saved: what it will write."""

    journal: Journal
    changes: OverlayChanges
    base_file: bytes | None  # the new base file (merge only)
    nested: NestedMoves
    force: bool


@dataclass(frozen=True)
class _Checked:
    """What the bump's pre-flight found: the deployment, the nested moves, and the
    upstream files ``--force`` backs up."""

    repo: DeploymentRepo
    nested: NestedMoves
    upstream_backups: list[str]


def _apply(
    deployment: Deployment,
    plan: BumpPlan,
    choice: BumpChoice,
    force: bool,
    after_write: WriteHook,
) -> ApplyResult:
    prepared = _prepare(deployment, plan, choice, force)
    try:
        return _write_all(deployment, plan, prepared, after_write)
    except OSError as exc:
        where = os.fsdecode(exc.filename) if exc.filename else "a file"
        with contextlib.suppress(ValueError):
            where = Path(where).relative_to(deployment.layout.root).as_posix()
        raise OverlayMergeError(
            f"{where}: cannot write ({exc.strerror or exc}); the bump stopped part-way",
            "fix that (free space, permissions), then run `overlay-merge abort`, which "
            "restores the state before the bump",
        ) from None


def _prepare(
    deployment: Deployment, plan: BumpPlan, choice: BumpChoice, force: bool
) -> PreparedBump:
    """Everything before the first write of a bump, ending with its journal saved.

    Checks every precondition (see :mod:`overlay_merge.core.preflight`),
    works out the overlay writes and removals and the nested moves, makes
    sure every object the checkout needs is here, then backs up what will
    change in a new journal.
    """
    layout = deployment.layout
    checked = _check_bump(deployment, plan, force)
    merging = choice == BumpChoice.MERGE
    changes = _overlay_changes(layout, plan) if merging else OverlayChanges()
    if merging:
        _require_unchanged_since_plan(deployment, plan)
    ensure_checkout_objects(deployment.upstream, plan.pin, plan.target, checked.nested)
    conflicts = [f for f in plan.files if f.conflicting] if merging else []
    for item in conflicts:
        # Every path the journal and the index will name, not only those written:
        # a hostile rename target must not even be backed up or restored.
        safe_overlay_path(layout, item.target_path)
    base_file = format_base_file(_new_bases(deployment, plan)) if merging else None
    journal = _new_journal(deployment, checked.repo, plan, choice, changes, base_file)
    try:
        _fill_journal(deployment, plan, journal, conflicts, checked)
        journal.save()
    except BaseException:
        # Nothing was written yet (a full disk, Ctrl-C while backing up): a
        # half-made journal would only make `status` and `abort` say otherwise.
        journal.remove()
        raise
    return PreparedBump(journal, changes, base_file, checked.nested, force)


def _check_bump(deployment: Deployment, plan: BumpPlan, force: bool) -> _Checked:
    """The bump's pre-flight checks of the repositories (docs/design.md §7)."""
    layout = deployment.layout
    upstream = deployment.upstream
    repo = open_deployment(layout.root)
    require_no_unfinished_bump(repo.git_dir)
    if upstream.head() != plan.pin:
        raise OverlayMergeError(
            f"{layout.upstream}: the pin moved since the plan was made",
            "run the bump again",
        )
    unsafe = upstream.unsafe_entry(plan.target, plan.pin)
    if unsafe is not None:
        # git would refuse the checkout too, but only after the overlay was
        # written: refuse the commit before anything is.
        target = short_sha(plan.target)
        raise OverlayMergeError(
            f"{layout.upstream} {target}: tree entry {unsafe[0][:200]!r}: {unsafe[1]}; "
            "refusing to check it out",
            f"check where commit {target} came from; bump to another commit",
        )
    check_git_state(repo, upstream)
    check_overlay_clean(deployment, repo, force)
    nested = nested_moves(upstream, plan.target)
    upstream_backups = check_upstream_clean(deployment, plan.target, nested, force)
    return _Checked(repo, nested, upstream_backups)


def _require_unchanged_since_plan(deployment: Deployment, plan: BumpPlan) -> None:
    """Refuse a plan whose overlay files changed after it was made.

    The plan may have been made before this process took the write lock
    (the bump screen plans, then waits for the maintainer): its merges must
    not be written over bytes they were not computed from.
    """
    layout = deployment.layout
    for item in plan.files:
        try:
            now = working_state(safe_overlay_path(layout, item.path))
        except IsADirectoryError:
            now = None
        if now != item.ours:
            raise OverlayMergeError(
                f"{layout.overlay}/{item.path}: changed since the plan was made",
                "run the bump again",
            )


def _new_journal(
    deployment: Deployment,
    repo: DeploymentRepo,
    plan: BumpPlan,
    choice: BumpChoice,
    changes: OverlayChanges,
    base_file: bytes | None,
) -> Journal:
    """A new journal knowing what the bump will leave in every file it writes."""
    layout = deployment.layout
    pair = layout.name if layout.several else ""
    journal = new_journal(repo.git_dir, choice, plan.pin, plan.target, pair)
    for rel, side in changes.writes.items():
        journal.note_left(rel, side.data, side.mode)
    for rel in changes.removals:
        journal.note_left(rel, None)
    if base_file is not None:
        journal.note_left(deployment.layout.base_file, base_file)
    return journal


def _fill_journal(
    deployment: Deployment,
    plan: BumpPlan,
    journal: Journal,
    conflicts: list[FilePlan],
    checked: _Checked,
) -> None:
    """Back up, in *journal*, everything the bump may change."""
    layout = deployment.layout
    repo = checked.repo
    upstream = deployment.upstream
    # Conflicted files are backed up even when the bump leaves them as they are
    # (binary, deleted upstream): the maintainer edits or deletes them next,
    # and abort must still give them back.
    kept = [_rel(layout, f.target_path) for f in conflicts]
    for rel in sorted({*journal.left, *kept} - {layout.base_file}):
        journal.files[rel] = _backup_file(journal, layout.root / rel)
    journal.files[layout.base_file] = _backup_file(journal, layout.base_file_path)
    if repo.index_path.exists():
        journal.index = journal.backup(repo.index_path.read_bytes())
    for rel in checked.upstream_backups:
        journal.upstream_dirty[rel] = _backup_file(journal, layout.upstream_path / rel)
    ref, commit = upstream.head_state()
    journal.upstream_head = HeadState(ref, commit)
    for path in checked.nested.moves:
        sub = upstream.nested(path, plan.target)
        journal.nested_heads[path] = HeadState(*sub.head_state())
    journal.conflicts = [f.target_path for f in conflicts]
    # Only a merge moves files; `resolve` reads the moves back.
    journal.renames = _moves(plan) if journal.choice == BumpChoice.MERGE else {}
    journal.strategy = plan.strategy
    if journal.choice == BumpChoice.MERGE:
        journal.rule_hunks = rule_hunks_of(plan)


def _write_all(
    deployment: Deployment, plan: BumpPlan, prepared: PreparedBump, after_write: WriteHook
) -> ApplyResult:
    """The writes of a bump, once its journal is saved, each atomic, in a fixed order.

    The pin moves first: git's checkout is the one step that can refuse or
    fail (a lock, a hook, a filter), and when it does nothing of the
    overlay has been written yet.
    """
    layout = deployment.layout
    upstream = deployment.upstream
    journal = prepared.journal
    with _moving(journal, layout.upstream):
        upstream.checkout(plan.target, force=prepared.force)
    after_write(f"pin:{plan.target}")
    for path, want in prepared.nested.moves.items():
        with _moving(journal, f"{layout.upstream}/{path}"):
            upstream.nested(path, plan.target).checkout(want, force=prepared.force)
        after_write(f"pin:{path}")
    changes = prepared.changes
    for rel, side in changes.writes.items():
        write_file(layout.root / rel, side.data, side.mode, journal.temp_name(rel))
        after_write(rel)
    for rel in changes.removals:
        remove_file(layout.root / rel)
        after_write(rel)
    merging = journal.choice == BumpChoice.MERGE
    conflicts = [f for f in plan.files if f.conflicting] if merging else []
    if prepared.base_file is not None:
        write_bytes_atomic(
            layout.base_file_path, prepared.base_file, tmp_name=journal.temp_name(layout.base_file)
        )
        after_write(layout.base_file)
        repo = open_deployment(layout.root)
        for item in conflicts:
            _register(repo, layout, item)
            after_write(f"index:{item.target_path}")
    journal.mark_written()
    journal.save()
    return ApplyResult(
        journal.choice,
        conflicts=tuple(journal.conflicts),
        written=tuple(sorted({*changes.writes, *changes.removals})),
        moved=_moves(plan) if merging else {},
        nested_moved=tuple(prepared.nested.moves),
        nested_skipped=prepared.nested.skipped,
    )


@contextlib.contextmanager
def _moving(journal: Journal, repo: str) -> Iterator[None]:
    """Journal that git is moving *repo* while it does (see ``Journal.moving``)."""
    journal.moving.append(repo)
    journal.save()
    yield
    journal.moving.remove(repo)
    journal.save()


def _moves(plan: BumpPlan) -> dict[str, str]:
    """The overlay files a merge moves where upstream renamed them: ``{old: new}``."""
    return {f.path: f.renamed_to for f in plan.files if f.renamed_to}


def _overlay_changes(layout: Layout, plan: BumpPlan) -> OverlayChanges:
    """The overlay writes and removals of a merge."""
    changes = OverlayChanges()
    writes, removals = changes.writes, changes.removals
    present = {f.path for f in plan.files}
    for item in plan.files:
        if item.decision == Decision.DROP:
            removals.append(_rel(layout, item.path))
            continue
        if item.content is None or item.mode is None:
            continue
        if item.renamed_to:
            if item.renamed_to in present:
                raise OverlayMergeError(
                    f"{layout.overlay}/{item.path}: upstream renamed it to {item.renamed_to}, "
                    "which the overlay already has",
                    "merge the two by hand, delete one, then `overlay-merge init` and retry",
                )
            removals.append(_rel(layout, item.path))
        target = safe_overlay_path(layout, item.target_path)
        writes[target.relative_to(layout.root).as_posix()] = Side(item.content, item.mode)
    return changes


def _rel(layout: Layout, overlay_path: str) -> str:
    return f"{layout.overlay}/{overlay_path}"


def _new_bases(deployment: Deployment, plan: BumpPlan) -> dict[str, str]:
    """The base file after a merge: target for settled files, old base for conflicts."""
    bases = deployment.bases()
    for item in plan.files:
        if item.renamed_to or item.decision == Decision.DROP:
            bases.pop(item.path, None)
        if item.decision == Decision.DROP:
            continue
        # A moved file is recorded at the target even in conflict: the old base
        # has no file at the new path, so it could only mislead the next bump.
        # A depends-on-changed addition keeps its base until the maintainer
        # confirms it (docs/design.md §5): so it stays flagged.
        keep_base = (
            (item.conflicting and not item.renamed_to)
            or item.decision == Decision.KEEP_OVERLAY
            or item.flagged
        )
        bases[item.target_path] = item.base_commit if keep_base else plan.target
    return bases


def _register(repo: DeploymentRepo, layout: Layout, item: FilePlan) -> None:
    """Register a conflicted file in the deployment's index (stages 1/2/3)."""
    theirs = None if item.state == BumpState.DELETED_UPSTREAM else pair_of(item.theirs)
    base = None if item.state == BumpState.ADDED_UPSTREAM else pair_of(item.base)
    repo.register_conflict(_rel(layout, item.target_path), base, pair_of(item.ours), theirs)


def rule_hunks_of(plan: BumpPlan) -> dict[str, list[RuleHunk]]:
    """Per file a merge writes as merged, the hunks rules resolved there (the journal's)."""
    found = {}
    for item in plan.files:
        if item.decision != Decision.TAKE_MERGE or not item.refinements:
            continue
        found[item.target_path] = [
            kept(r.rule, r.line, r.lines, None if u is None else (u.at, u.resolved, u.plain))
            for r in item.refinements
            for u in (r.undo,)
        ]
    return found
