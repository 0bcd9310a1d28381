"""``abort``: undo a bump from its journal, and nothing else.

A bump records, before its first write, a backup of every file it will
touch and the digest of what it will leave there.  ``abort`` puts back only
what the bump changed: an overlay file, the base file or an upstream file
holding neither its backup nor what the bump left is work done *after* the
bump, and ``abort`` refuses to overwrite it (``--force`` saves it first).
Index entries and commits made since the bump are kept; only the index
entries of the files the bump touched are put back.

Every check runs before the first write, and every step can be repeated: an
``abort`` stopped at any point (a kill, Ctrl-C) is finished by the next one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, first_of, quote
from overlay_merge.core.files import (
    blob_id,
    remove_file,
    working_state,
    write_file,
)
from overlay_merge.core.git import command as gitcli
from overlay_merge.core.git.deployment import DeploymentRepo, open_deployment
from overlay_merge.core.git.model import MODE_GITLINK, Entry, TreeDelta
from overlay_merge.core.git.upstream import UpstreamRepo
from overlay_merge.core.journal import (
    ANY_PHASE,
    Backup,
    HeadState,
    Journal,
    content_digest,
    require_bump,
)
from overlay_merge.core.layout import Layout
from overlay_merge.core.lock import writes
from overlay_merge.core.model import Side, short_sha
from overlay_merge.core.overlay import safe_overlay_path
from overlay_merge.core.preflight import require_no_index_locks


@dataclass(frozen=True)
class AbortResult:
    """What ``abort`` did: the journal it replayed, and files it saved before overwriting."""

    journal: Journal
    saved: tuple[str, ...] = ()
    saved_to: Path | None = None


@dataclass
class _RepoRestore:
    """How one upstream repository (the top one or a nested one) goes back to its pin."""

    repo: UpstreamRepo
    before: HeadState
    after: str
    prefix: str  # deployment-relative folder of the repository
    inner: str = ""  # its folder inside the top upstream ("" for the top one)
    deltas: list[TreeDelta] = field(default_factory=list)
    sparse: frozenset[str] = frozenset()  # skip-worktree paths: git's, not ours
    changed: list[str] = field(default_factory=list)  # repository-relative

    @property
    def changed_paths(self) -> list[str]:
        """:attr:`changed`, deployment-relative."""
        return [f"{self.prefix}/{p}" for p in self.changed]


@writes("abort")
def abort(deployment: Deployment, *, force: bool = False) -> AbortResult:
    """Undo the bump in progress (or the last one) from its journal.

    Restores the overlay files, the base file, their index entries and the
    upstream pins (nested submodules included) as they were before the bump.
    Refuses, before writing anything, when one of those files changed after
    the bump; with *force* such files are saved under
    ``.git/overlay-merge/saved/`` first.  Safe to run again if stopped.
    """
    layout = deployment.layout
    repo = open_deployment(layout.root)
    journal = _journal_to_abort(repo, layout, force)
    places = {rel: _restore_place(layout, rel) for rel in journal.files}
    restores = _upstream_restores(deployment, journal)
    require_no_index_locks([repo, *(r.repo for r in restores)], "run `overlay-merge abort` again")
    changed = [rel for rel, full in places.items() if _changed(journal, rel, full)]
    changed += _changed_upstream_backups(deployment, journal)
    _find_upstream_changes(restores, journal)
    # A checkout killed half-way leaves files git was writing: saved, not refused.
    interrupted = [p for r in restores if r.prefix in journal.moving for p in r.changed_paths]
    changed += [p for r in restores if r.prefix not in journal.moving for p in r.changed_paths]
    if changed and not force:
        raise OverlayMergeError(
            f"{first_of(changed)}: changed since the bump; abort would overwrite "
            f"{'it' if len(changed) == 1 else 'them'}",
            "commit or copy your changes elsewhere and retry, or pass --force (they are "
            "saved under .git/overlay-merge/saved/ first)",
        )
    changed += interrupted
    saved, saved_to = _save(repo, layout, changed)
    # The maintainer's files first: plain writes under our control, while
    # moving the upstream back runs git, which can fail (a lock, a hook).
    for rel, full in places.items():
        _restore(journal, full, journal.files[rel])
    if journal.index is not None:
        saved_index = journal.directory / "backups" / journal.index
        repo.restore_index_entries(saved_index, sorted(journal.files))
    for restore in reversed(restores):
        _restore_repo(journal, restore)
    for rel, backup in journal.upstream_dirty.items():
        _restore(journal, layout.upstream_path / rel, backup)
    journal.remove()
    return AbortResult(journal, saved, saved_to)


def _journal_to_abort(repo: DeploymentRepo, layout: Layout, force: bool) -> Journal:
    journal = require_bump(repo.git_dir, "abort", ANY_PHASE)  # a done one included
    if not force and journal.target != journal.pin and _committed(repo, layout, journal):
        raise OverlayMergeError(
            f"the bump to {short_sha(journal.target)} was committed (HEAD records it for "
            f"{layout.upstream}); aborting now would undo committed work",
            "undo it with `git revert`, or pass --force to restore the state before the bump "
            "anyway",
        )
    return journal


def _committed(repo: DeploymentRepo, layout: Layout, journal: Journal) -> bool:
    """True if the deployment's HEAD already records the bump's target as the pin."""
    try:
        return repo.recorded_gitlink(layout.upstream) == journal.target
    except OverlayMergeError:
        return False


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
            "inspect .git/overlay-merge/bump/journal.json; restore by hand with git",
        )
    return safe_overlay_path(layout, rel[len(prefix) :])


def _digest_at(full: Path) -> str | None:
    """The digest of what is at *full* now (None: nothing), as the journal records it."""
    state = working_state(full)
    return None if state is None else content_digest(state.data, state.mode)


def _changed(journal: Journal, rel: str, full: Path) -> bool:
    """True if *rel* holds neither its backup nor what overlay-merge left there."""
    try:
        now = _digest_at(full)
    except IsADirectoryError:
        return True
    backup = journal.files[rel]
    before = None if backup.backup is None else _backup_digest(journal, backup)
    return now != before and now not in journal.left.get(rel, [])


def _backup_digest(journal: Journal, backup: Backup) -> str:
    assert backup.backup is not None
    return content_digest(journal.read_backup(backup.backup), backup.mode)


def _restore(journal: Journal, full: Path, backup: Backup) -> None:
    if backup.backup is None:
        remove_file(full)
    else:
        data = journal.read_backup(backup.backup)
        write_file(full, data, backup.mode, journal.temp_name(full.name))
    _remove_temp_file(journal, full)


def _remove_temp_file(journal: Journal, full: Path) -> None:
    """Delete the temp file a write of *full* by this bump (or this abort) left when killed.

    Only the exact name this bump's writes use (it carries the journal's
    token): a user's ``.x.py.notes.tmp`` beside it is never touched.
    """
    if not journal.token:
        return
    tmp = full.parent / journal.temp_name(full.name)
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        if tmp.is_symlink() or tmp.is_file():
            tmp.unlink()


def _save(
    repo: DeploymentRepo, layout: Layout, changed: list[str]
) -> tuple[tuple[str, ...], Path | None]:
    """Copy the files abort is about to overwrite to a folder of their own.

    Returns what was saved and where (None: nothing to save; a changed path
    that holds nothing, such as a file a killed checkout had deleted, has no
    bytes to keep and is not claimed as saved).
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder = repo.git_dir / "overlay-merge" / "saved" / stamp
    saved = []
    for rel in changed:
        source = layout.root / rel
        if source.is_dir() and not source.is_symlink():
            # A folder where abort puts a file back: what is inside is saved.
            shutil.copytree(source, folder / rel, symlinks=True, dirs_exist_ok=True)
            saved.append(rel)
            continue
        state = working_state(source)
        if state is not None:
            write_file(folder / rel, state.data, state.mode)
            saved.append(rel)
    return tuple(saved), (folder if saved else None)


# -- the upstream ------------------------------------------------------------------


def _upstream_restores(deployment: Deployment, journal: Journal) -> list[_RepoRestore]:
    """The repositories to move back: the top upstream first, then its nested ones."""
    layout = deployment.layout
    upstream = deployment.upstream
    if journal.upstream_head is None:
        return []
    found = [_RepoRestore(upstream, journal.upstream_head, journal.target, layout.upstream)]
    for path, head in journal.nested_heads.items():
        want = upstream.gitlink(journal.target, path)
        if want is None:
            continue
        nested = upstream.nested(path, journal.pin)
        found.append(_RepoRestore(nested, head, want, f"{layout.upstream}/{path}", path))
    for restore in found:
        _check_head(restore)
        restore.deltas = restore.repo.tree_delta(restore.before.commit, restore.after)
    return found


def _check_head(restore: _RepoRestore) -> None:
    """Refuse when the repository's HEAD moved since the bump (a commit, a checkout)."""
    head = restore.repo.head()
    after = short_sha(restore.after)
    if head not in (restore.before.commit, restore.after):
        raise OverlayMergeError(
            f"{restore.prefix}: HEAD is at {short_sha(head)}, but the bump left it at "
            f"{after}: it moved since the bump, and abort would lose that",
            f"check the bump's commit out again (`git -C {quote(restore.prefix)} checkout --detach "
            f"{after}`; your commits stay on their branch), then retry",
        )
    ref = restore.before.ref
    before = short_sha(restore.before.commit)
    if ref is not None and restore.repo.branch_commit(ref) != restore.before.commit:
        raise OverlayMergeError(
            f"{restore.prefix}: branch {ref.removeprefix('refs/heads/')} moved since the bump "
            f"(it was at {before})",
            f"put it back (`git -C {quote(restore.prefix)} branch -f "
            f"{ref.removeprefix('refs/heads/')} {before}`), then retry",
        )


def _changed_upstream_backups(deployment: Deployment, journal: Journal) -> list[str]:
    """Upstream files a ``bump --force`` backed up (the user's edits, untracked files in
    the way) that hold neither that backup nor the pin's or the target's version now:
    restoring the backup would overwrite what was done to them after the bump."""
    layout = deployment.layout
    upstream = deployment.upstream
    found = []
    for rel, backup in journal.upstream_dirty.items():
        full = layout.upstream_path / rel
        try:
            state = working_state(full)
        except IsADirectoryError:
            # The target's folder now stands where the user's file was: fine while it
            # holds the target's files only (abort removes them, then restores).
            if not _holds_only(upstream, journal.target, full, rel):
                found.append(f"{layout.upstream}/{rel}")
            continue
        saved = (
            None if backup.backup is None else Side(journal.read_backup(backup.backup), backup.mode)
        )
        versions = [upstream.entry(sha, rel) for sha in (journal.pin, journal.target)]
        if state != saved and not any(_matches(state, version) for version in versions):
            found.append(f"{layout.upstream}/{rel}")
    return found


def _holds_only(upstream: UpstreamRepo, target: str, folder: Path, rel: str) -> bool:
    """True if every file below *folder* (upstream path *rel*) is *target*'s version."""
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            continue
        inner = f"{rel}/{path.relative_to(folder).as_posix()}"
        state = working_state(path)
        if not _matches(state, upstream.entry(target, inner)):
            return False
    return True


def _find_upstream_changes(restores: list[_RepoRestore], journal: Journal) -> None:
    """Note, in each restore, the upstream files abort would overwrite that hold
    neither the pin's nor the target's version: work done after the bump (or a
    file git's checkout was writing when it was killed)."""
    for restore in restores:
        workdir = restore.repo.workdir
        if workdir is None:
            continue
        restore.sparse = gitcli.skip_worktree_paths(workdir, display=restore.prefix)
        backed_up = _backed_up_in(journal, restore)
        for delta in _working_deltas(restore.deltas, restore.sparse):
            # A file --force backed up is _changed_upstream_backups' to judge: its
            # backup is one more version abort may find there.
            if delta.path not in backed_up and not _at_either(workdir / delta.path, delta):
                restore.changed.append(delta.path)


def _backed_up_in(journal: Journal, restore: _RepoRestore) -> set[str]:
    """The repository-relative paths of *restore* that ``bump --force`` backed up."""
    prefix = f"{restore.inner}/" if restore.inner else ""
    return {rel[len(prefix) :] for rel in journal.upstream_dirty if rel.startswith(prefix)}


def _is_gitlink(entry: Entry | None) -> bool:
    return entry is not None and entry.mode == MODE_GITLINK


def _working_deltas(deltas: list[TreeDelta], sparse: frozenset[str]) -> list[TreeDelta]:
    """The changes abort puts back in the working tree itself: not those outside a
    sparse checkout (git's), nor a nested submodule of the pin (its folder stays)."""
    return [d for d in deltas if d.path not in sparse and not _is_gitlink(d.old)]


def _matches(state: Side | None, entry: Entry | None) -> bool:
    if state is None or entry is None:
        return state is None and entry is None
    return blob_id(state.data) == entry.oid and state.mode == entry.mode


def _at_either(full: Path, delta: TreeDelta) -> bool:
    """True if *full* holds the version of the pin or of the target (or a folder the
    target made that holds only files of the target)."""
    if _is_gitlink(delta.new) and full.is_dir() and not full.is_symlink():
        # The folder git made for a submodule the target adds (not initialized).
        return not any(full.iterdir())
    try:
        state = working_state(full)
    except IsADirectoryError:
        return False
    return _matches(state, delta.old) or _matches(state, delta.new)


def _restore_repo(journal: Journal, restore: _RepoRestore) -> None:
    """Put every path the bump's checkout changed back at the pin, then the index and HEAD."""
    workdir = restore.repo.workdir
    if workdir is None:
        return
    files = _working_deltas(restore.deltas, restore.sparse)
    # Removals first, deepest first: a file of the target may stand where
    # the pin has a folder (or the reverse).
    for delta in sorted((d for d in files if d.old is None), key=lambda d: d.path, reverse=True):
        full = workdir / delta.path
        if _is_gitlink(delta.new):
            with contextlib.suppress(OSError):
                full.rmdir()  # empty: the pre-flight made sure
        else:
            remove_file(full)
        _prune_empty_parents(workdir, delta.path)
    for delta in files:
        if delta.old is not None:
            _restore_entry(journal, restore.repo, workdir, delta)
    gitcli.reset_index_paths(
        workdir, restore.before.commit, [d.path for d in restore.deltas], display=restore.prefix
    )
    gitcli.move_head(workdir, restore.before.commit, restore.before.ref, display=restore.prefix)


def _restore_entry(journal: Journal, repo: UpstreamRepo, workdir: Path, delta: TreeDelta) -> None:
    assert delta.old is not None
    full = workdir / delta.path
    if full.is_dir() and not full.is_symlink():
        # A folder where the pin has a file: the pre-flight accepted it only
        # after saving what it holds (--force).
        shutil.rmtree(full)
    elif _matches(working_state(full), delta.old):
        return
    write_file(full, repo.blob(delta.old), delta.old.mode, journal.temp_name(full.name))


def _prune_empty_parents(workdir: Path, path: str) -> None:
    """Remove the folders of *path* left empty (git's checkout does the same)."""
    parent = Path(path).parent
    while parent != Path("."):
        try:
            os.rmdir(workdir / parent)
        except OSError:
            return
        parent = parent.parent
