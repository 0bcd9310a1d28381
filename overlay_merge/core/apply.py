"""Carrying out a bump plan (``merge`` or ``update``), and ``abort``.

Every precondition is checked before the first write (copier's rule); then
the journal, with a backup of everything that will change, is written; then
the changes, each one atomic.  ``abort`` replays the journal's backups.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from overlay_merge.core.basefile import write_base_file
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, first_of, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.gitstore import (
    MODE_EXEC,
    MODE_LINK,
    DeploymentRepo,
    UpstreamRepo,
    open_deployment,
)
from overlay_merge.core.journal import (
    DONE,
    MERGED,
    Backup,
    HeadState,
    Journal,
    load_journal,
    new_journal,
    require_no_unfinished_bump,
)
from overlay_merge.core.layout import Layout
from overlay_merge.core.overlay import safe_overlay_path
from overlay_merge.core.paths import read_regular
from overlay_merge.core.plan import (
    ADDED_UPSTREAM,
    DELETED_UPSTREAM,
    DROP,
    KEEP_OVERLAY,
    BumpPlan,
    FilePlan,
    Side,
)

# Called after every single write of a bump, with what was written.  Tests
# use it to stop a bump between any two writes and check that abort recovers.
WriteHook = Callable[[str], None]


@dataclass(frozen=True)
class ApplyResult:
    """What a merge or update did."""

    choice: str
    conflicts: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    moved: dict[str, str] = field(default_factory=dict)
    nested_moved: tuple[str, ...] = ()
    nested_skipped: tuple[str, ...] = ()


def _check_clean(
    deployment: Deployment, repo: DeploymentRepo, target: str, force: bool
) -> list[str]:
    """Refuse what the bump would overwrite or trip over; return upstream files to back up.

    Uncommitted overlay or base-file changes, modified upstream files (nested
    submodules included) and untracked upstream files at paths the target
    adds are refused, or with *force* backed up in the journal.  Unmerged
    entries and held index locks are always refused.
    """
    layout = deployment.layout
    upstream = deployment.upstream
    unmerged = repo.unmerged_paths()
    if unmerged:
        raise OverlayMergeError(
            f"{first_of(unmerged)}: unmerged in the deployment's index",
            "finish that merge (`git add` / `overlay-merge resolve`) or `overlay-merge abort`",
        )
    for lock in (repo.lock_file(), upstream.lock_file()):
        if lock is not None:
            raise OverlayMergeError(
                f"{lock}: exists: another git process is running, or one crashed",
                f"wait for it, or remove {quote(lock)} if no git process runs, then retry",
            )
    prefix = layout.overlay + "/"
    dirty = [
        path
        for path in repo.dirty_paths((layout.overlay, layout.base_file))
        # Excluded overlay files are never touched by a bump: they may be dirty.
        if not (path.startswith(prefix) and layout.is_excluded(path[len(prefix) :]))
    ]
    if dirty and not force:
        raise OverlayMergeError(
            f"{first_of(dirty)}: uncommitted changes",
            "commit or stash your changes and retry, or pass --force (they are backed up "
            "first and `overlay-merge abort` restores them)",
        )
    upstream_dirty = upstream.dirty_files()
    if upstream_dirty and not force:
        raise OverlayMergeError(
            f"{layout.upstream}/{first_of(upstream_dirty)}: uncommitted changes in the upstream "
            "working tree",
            f"commit or stash them (`git -C {quote(layout.upstream)} stash`) and retry, or pass "
            "--force (they are backed up first)",
        )
    in_the_way = upstream.untracked_in_the_way(upstream.head(), target)
    if in_the_way and not force:
        raise OverlayMergeError(
            f"{layout.upstream}/{first_of(in_the_way)}: untracked, and the target adds a file "
            "there",
            f"move it away (or `git -C {quote(layout.upstream)} clean -n` to review), "
            "or pass --force (it is backed up first)",
        )
    return sorted({*upstream_dirty, *in_the_way})


def _nested_moves(upstream: UpstreamRepo, target: str) -> tuple[dict[str, str], list[str]]:
    """Nested submodules to check out at the gitlinks *target* records: moves, skipped."""
    moves: dict[str, str] = {}
    skipped: list[str] = []
    for path in upstream.submodule_paths(target):
        want = upstream.gitlink(target, path)
        if want is None:
            continue
        try:
            nested = upstream.nested(path, target)
        except OverlayMergeError:
            skipped.append(path)
            continue
        if nested.workdir is None or not nested.has_commit(want):
            skipped.append(path)
        elif nested.repo.head_is_unborn or nested.head() != want:
            moves[path] = want
    return moves, skipped


def _backup_file(journal: Journal, full: Path) -> Backup:
    if full.is_symlink():
        return Backup(journal.backup(os.fsencode(os.readlink(full))), MODE_LINK)
    # A FIFO or a device (an untracked one in the upstream, with --force) is
    # refused here, before the first write, never opened for a blocking read.
    data = read_regular(full, str(full), "move it out of the way, then run the bump again")
    if data is None:
        return Backup(None)
    mode = MODE_EXEC if os.stat(full).st_mode & 0o100 else 0o100644
    return Backup(journal.backup(data), mode)


def _write_file(full: Path, data: bytes, mode: int) -> None:
    """Atomically put *data* at *full* as a regular file (exec bit per *mode*) or symlink."""
    full.parent.mkdir(parents=True, exist_ok=True)
    if mode == MODE_LINK:
        tmp = full.with_name(f".{full.name}.overlay-merge.tmp")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(os.fsdecode(data), tmp)
        os.replace(tmp, full)
        return
    if full.is_symlink():
        full.unlink()  # replace the link itself, never write through it
    write_bytes_atomic(full, data, 0o755 if mode == MODE_EXEC else 0o644)


def _remove_file(full: Path) -> None:
    if full.is_symlink() or full.exists():
        full.unlink()


def _side(side: Side | None) -> tuple[bytes, int] | None:
    return None if side is None else (side.data, side.mode)


def apply_merge(
    deployment: Deployment,
    plan: BumpPlan,
    *,
    force: bool = False,
    after_write: WriteHook | None = None,
) -> ApplyResult:
    """Stop and merge: write the merges, record bases, register conflicts, move the pin."""
    return _apply(deployment, plan, "merge", force, after_write or (lambda _: None))


def apply_update(
    deployment: Deployment,
    plan: BumpPlan,
    *,
    force: bool = False,
    after_write: WriteHook | None = None,
) -> ApplyResult:
    """Update anyway: move the pin only; the overlay and its bases stay as they are."""
    return _apply(deployment, plan, "update", force, after_write or (lambda _: None))


def _apply(
    deployment: Deployment, plan: BumpPlan, choice: str, force: bool, after_write: WriteHook
) -> ApplyResult:
    journal, writes, removals, nested, skipped = _prepare(deployment, plan, choice, force)
    try:
        return _write_all(
            deployment, plan, choice, journal, writes, removals, nested, skipped, after_write
        )
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
    deployment: Deployment, plan: BumpPlan, choice: str, force: bool
) -> tuple[Journal, dict[str, tuple[bytes, int]], list[str], dict[str, str], list[str]]:
    """Everything before the first write of a bump, ending with its journal saved.

    Checks every precondition, works out the overlay writes and removals and
    the nested moves, then backs up what they will change in a new journal.
    Returns ``(journal, writes, removals, nested moves, nested skipped)``.
    """
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
        # libgit2 would refuse the checkout too, but only after the overlay was
        # written: refuse the commit before anything is.
        raise OverlayMergeError(
            f"{layout.upstream} {plan.target[:7]}: tree entry {unsafe[0][:200]!r}: {unsafe[1]}; "
            "refusing to check it out",
            f"check where commit {plan.target[:7]} came from; bump to another commit",
        )
    upstream_dirty = _check_clean(deployment, repo, plan.target, force)
    writes, removals = _overlay_changes(layout, plan) if choice == "merge" else ({}, [])
    nested, skipped = _nested_moves(upstream, plan.target)

    conflicts = [f for f in plan.files if f.conflicting] if choice == "merge" else []
    for item in conflicts:
        # Every path the journal and the index will name, not only those written:
        # a hostile rename target must not even be backed up or restored.
        safe_overlay_path(layout, item.target_path)
    # Conflicted files are backed up even when the bump leaves them as they are
    # (binary, deleted upstream): the maintainer edits or deletes them next,
    # and abort must still give them back.
    kept = [_rel(layout, f.target_path) for f in conflicts]

    # Nothing has been written so far.  The journal comes first.
    journal = new_journal(repo.git_dir, choice, plan.pin, plan.target)
    try:
        touched = sorted({*writes, *removals, *kept})
        for rel in touched:
            journal.files[rel] = _backup_file(journal, layout.root / rel)
        journal.files[layout.base_file] = _backup_file(journal, layout.base_file_path)
        if repo.index_path.exists():
            journal.index = journal.backup(repo.index_path.read_bytes())
        for rel in upstream_dirty:
            journal.upstream_dirty[rel] = _backup_file(journal, layout.upstream_path / rel)
        ref, commit = upstream.head_state()
        journal.upstream_head = HeadState(ref, commit)
        for path in nested:
            sub = upstream.nested(path, plan.target)
            journal.nested_heads[path] = HeadState(*sub.head_state())
        journal.conflicts = [f.target_path for f in conflicts]
        # Only a merge moves files; `resolve` reads the moves back.
        journal.renames = {
            f.path: f.renamed_to for f in plan.files if f.renamed_to and choice == "merge"
        }
        journal.save()
    except BaseException:
        # Nothing was written yet (a full disk, Ctrl-C while backing up): a
        # half-made journal would only make `status` and `abort` say otherwise.
        journal.remove()
        raise
    return journal, writes, removals, nested, skipped


def _write_all(
    deployment: Deployment,
    plan: BumpPlan,
    choice: str,
    journal: Journal,
    writes: dict[str, tuple[bytes, int]],
    removals: list[str],
    nested: dict[str, str],
    skipped: list[str],
    after_write: WriteHook,
) -> ApplyResult:
    """The writes of a bump, once its journal is saved, each atomic, in a fixed order."""
    layout = deployment.layout
    upstream = deployment.upstream
    repo = open_deployment(layout.root)
    conflicts = [f for f in plan.files if f.conflicting] if choice == "merge" else []
    for rel, (data, mode) in writes.items():
        _write_file(layout.root / rel, data, mode)
        after_write(rel)
    for rel in removals:
        _remove_file(layout.root / rel)
        after_write(rel)
    if choice == "merge":
        write_base_file(layout.base_file_path, _new_bases(deployment, plan))
        after_write(layout.base_file)
        for item in conflicts:
            _register(repo, layout, item)
            after_write(f"index:{item.target_path}")
    upstream.checkout(plan.target)
    after_write(f"pin:{plan.target}")
    moved_nested = []
    for path, want in nested.items():
        upstream.nested(path, plan.target).checkout(want)
        moved_nested.append(path)
        after_write(f"pin:{path}")
    journal.phase = MERGED if conflicts else DONE
    journal.save()
    return ApplyResult(
        choice,
        conflicts=tuple(journal.conflicts),
        written=tuple(sorted({*writes, *removals})),
        moved={f.path: f.renamed_to for f in plan.files if f.renamed_to and choice == "merge"},
        nested_moved=tuple(moved_nested),
        nested_skipped=tuple(skipped),
    )


def _overlay_changes(
    layout: Layout, plan: BumpPlan
) -> tuple[dict[str, tuple[bytes, int]], list[str]]:
    """Deployment-relative writes ``{path: (bytes, mode)}`` and removals of a merge."""
    writes: dict[str, tuple[bytes, int]] = {}
    removals: list[str] = []
    present = {f.path for f in plan.files}
    for item in plan.files:
        if item.decision == DROP:
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
        writes[target.relative_to(layout.root).as_posix()] = (item.content, item.mode)
    return writes, removals


def _rel(layout: Layout, overlay_path: str) -> str:
    return f"{layout.overlay}/{overlay_path}"


def _new_bases(deployment: Deployment, plan: BumpPlan) -> dict[str, str]:
    """The base file after a merge: target for settled files, old base for conflicts."""
    bases = deployment.bases()
    for item in plan.files:
        if item.renamed_to or item.decision == DROP:
            bases.pop(item.path, None)
        if item.decision == DROP:
            continue
        # A moved file is recorded at the target even in conflict: the old base
        # has no file at the new path, so it could only mislead the next bump.
        keep_base = (item.conflicting and not item.renamed_to) or item.decision == KEEP_OVERLAY
        bases[item.target_path] = item.base_commit if keep_base else plan.target
    return bases


def _register(repo: DeploymentRepo, layout: Layout, item: FilePlan) -> None:
    """Register a conflicted file in the deployment's index (stages 1/2/3)."""
    theirs = None if item.state == DELETED_UPSTREAM else _side(item.theirs)
    base = None if item.state == ADDED_UPSTREAM else _side(item.base)
    repo.register_conflict(_rel(layout, item.target_path), base, _side(item.ours), theirs)


def abort(deployment: Deployment, *, force: bool = False) -> Journal:
    """Undo the bump in progress (or the last one) exactly, from its journal.

    Restores every file the bump touched (overlay files, the base file, the
    index, upstream files backed up under --force) from its backup, and the
    upstream and nested HEADs.  Safe to run again if it is itself stopped.
    """
    layout = deployment.layout
    repo = open_deployment(layout.root)
    journal = load_journal(repo.git_dir)
    if journal is None:
        raise OverlayMergeError(
            "no bump to abort (no journal under .git/overlay-merge)",
            "nothing to do; `overlay-merge status` shows where the overlay stands",
        )
    upstream = deployment.upstream
    if not force and journal.target != journal.pin and _committed(repo, layout, journal):
        raise OverlayMergeError(
            f"the bump to {journal.target[:7]} was committed (HEAD records it for "
            f"{layout.upstream}); aborting now would undo committed work",
            "undo it with `git revert`, or pass --force to restore the state before the bump "
            "anyway",
        )
    # Where each backup goes, checked before the first write: a bump only ever
    # journals overlay files and the base file (load_journal has refused
    # absolute and '..' paths already).
    places = [(_restore_place(layout, rel), backup) for rel, backup in journal.files.items()]
    # The maintainer's files first: they are plain writes under our control,
    # while a checkout can fail (a missing object, a held lock).  If it does,
    # the overlay, the base file and the index are already back and the
    # journal stays, so a second abort finishes the upstream.
    for full, backup in places:
        _restore(journal, full, backup)
    if journal.index is not None:
        write_bytes_atomic(repo.index_path, journal.read_backup(journal.index))
        _remove_temp_files(repo.index_path)
    if journal.upstream_head is not None:
        head = journal.upstream_head
        upstream.checkout(head.commit, head.ref)
        for path, nested_head in journal.nested_heads.items():
            upstream.nested(path, head.commit).checkout(nested_head.commit, nested_head.ref)
    for rel, backup in journal.upstream_dirty.items():
        _restore(journal, layout.upstream_path / rel, backup)
    journal.remove()
    return journal


def _restore_place(layout: Layout, rel: str) -> Path:
    """The place of the journal's deployment-relative *rel*, refusing any other than
    an overlay file or the base file."""
    if rel == layout.base_file:
        return layout.base_file_path
    prefix = layout.overlay + "/"
    if not rel.startswith(prefix):
        raise OverlayMergeError(
            f"{rel}: the bump journal names a file outside {layout.overlay}/ and "
            f"{layout.base_file}; refusing to restore it (a journal edited by hand?)",
            "inspect .git/overlay-merge/journal.json; restore by hand with git",
        )
    return safe_overlay_path(layout, rel[len(prefix) :])


def _restore(journal: Journal, full: Path, backup: Backup) -> None:
    if backup.backup is None:
        _remove_file(full)
    else:
        _write_file(full, journal.read_backup(backup.backup), backup.mode)
    _remove_temp_files(full)


def _remove_temp_files(full: Path) -> None:
    """Delete the temp files a write of *full* leaves when the process is killed mid-write.

    Only the names this program's atomic writes use (``.<name>.<8 chars>.tmp``
    from :func:`write_bytes_atomic`, ``.<name>.overlay-merge.tmp`` for links):
    without this a bump killed between a temp file and its rename would leave
    a stray file in the overlay after ``abort``.
    """
    pattern = re.compile(rf"\.{re.escape(full.name)}\.([a-z0-9_]{{8}}|overlay-merge)\.tmp")
    try:
        names = os.listdir(full.parent)
    except OSError:
        return
    for name in names:
        candidate = full.parent / name
        if pattern.fullmatch(name) and (candidate.is_symlink() or candidate.is_file()):
            candidate.unlink()


def _committed(repo: DeploymentRepo, layout: Layout, journal: Journal) -> bool:
    """True if the deployment's HEAD already records the bump's target as the pin."""
    try:
        return repo.recorded_gitlink(layout.upstream) == journal.target
    except OverlayMergeError:
        return False
