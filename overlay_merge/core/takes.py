"""Hunk by hunk: take a side of the conflicts left by the bump in progress.

For a conflicted overlay file, each conflict hunk (``core/hunks.py``) is
settled by taking the overlay's side, upstream's, or both, without writing
new text.  When no hunk is left the file is resolved as ``resolve PATH``
does (its base becomes the bump's target, its index stages are cleared),
unless the maintainer asked to leave that to them (``record=False``).

Safety (docs/design.md §7): only files the bump left in conflict are written, and
only files its journal backed up, so ``abort`` still gives back the state
before the bump byte for byte.  Each choice is journaled (the file's bytes
before it and its base entry) before the file is written, atomically, so
:func:`undo_last` can put it back exactly; a file that still holds a hunk is
never recorded as resolved (``resolve`` refuses files with markers).
"""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from overlay_merge.core.basefile import format_base_file, write_base_file
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.git.model import MODE_LINK
from overlay_merge.core.hunks import MarkedFile, parse
from overlay_merge.core.hunkviews import ConflictSides, HunkView, hunk_views
from overlay_merge.core.journal import HunkChoice, Journal, Phase, require_bump
from overlay_merge.core.lock import writes
from overlay_merge.core.markers import OwnLines
from overlay_merge.core.model import HunkTake, Side, pair_of, side_of
from overlay_merge.core.overlay import safe_overlay_path
from overlay_merge.core.ownlines import own_lines
from overlay_merge.core.resolve import resolve_files

__all__ = [  # the hunk views are built here for the bump in progress
    "ConflictFile",
    "ConflictSides",
    "HunkView",
    "TakeResult",
    "UndoResult",
    "conflict_paths",
    "file_sides",
    "hunk_views",
    "load_conflict",
    "take_hunks",
    "take_suggested",
    "undo_last",
]

_WHY = "take sides in"  # no bump in progress, so nothing to ...


@dataclass(frozen=True)
class ConflictFile:
    """A file of the bump in progress as it is now, with its hunks (possibly none)."""

    path: str  # overlay-relative
    data: bytes | None  # None: absent (deleted by the maintainer)
    marked: MarkedFile
    hunks: tuple[HunkView, ...]
    note: str  # why the file has no hunks to take ("binary", ...), or ""
    # What a file without hunks needs (see :func:`take_file`): upstream deleted it
    # (keep it as an addition, or delete it), or it is binary (a side as a whole).
    upstream_deleted: bool = False
    binary: bool = False

    @property
    def whole(self) -> bool:
        """True when the file is settled as a whole (:func:`take_file`), not hunk by hunk."""
        return not self.hunks and self.data is not None and self.marked.problem is None


@dataclass(frozen=True)
class TakeResult:
    """What one choice did to one file."""

    path: str
    take: HunkTake
    taken: tuple[int, ...]  # hunk numbers, as numbered before the choice
    left: tuple[HunkView, ...]  # the hunks left, numbered anew
    recorded: str | None  # the base recorded (the file is resolved), or None
    not_recorded: str  # why a file without hunks was not recorded ("" if it was, or has hunks)
    refused: bool = False  # resolve refused it: marker lines that form no whole hunk are left
    # ``--take suggested``: each taken hunk's take (in *taken*'s order), and the hunks
    # asked for that have no suggestion (as numbered before the choice).
    takes: tuple[HunkTake, ...] = ()
    suggested: bool = False
    unsuggested: tuple[int, ...] = ()

    @property
    def settled(self) -> bool:
        """No hunk left, and resolved unless the maintainer asked not to record it."""
        return not self.left and not self.refused


@dataclass(frozen=True)
class UndoResult:
    """The choice undone: the file is back as it was before it."""

    path: str
    take: HunkTake
    hunks: tuple[int, ...]
    unrecorded: bool  # the choice had resolved the file; it is in conflict again
    suggested: bool = False  # the choice was ``--take suggested`` (each hunk its own take)
    rule: int | None = None  # the choice undid a rule's resolution (that rule hunk's number)


def _journal(deployment: Deployment, *, done_ok: bool = False) -> Journal:
    """The journal of a bump stopped for conflicts; a fixable error otherwise.

    *done_ok*: a bump whose conflicts are all resolved will do (undo).
    """
    phases = (Phase.MERGED, Phase.DONE) if done_ok else (Phase.MERGED,)
    return require_bump(open_deployment(deployment.layout.root).git_dir, _WHY, phases)


def conflict_paths(deployment: Deployment, *, done_ok: bool = False) -> list[str]:
    """The overlay paths still in conflict in the bump in progress.

    Raises when no bump is in progress; with *done_ok*, a bump whose last
    conflict was just resolved gives ``[]``.
    """
    return list(_journal(deployment, done_ok=done_ok).conflicts)


def _overlay_relative(deployment: Deployment, path: str) -> str:
    prefix = deployment.layout.overlay + "/"
    path = path.removeprefix("./")
    return path[len(prefix) :] if path.startswith(prefix) else path


def _covered(deployment: Deployment, journal: Journal, path: str) -> Path:
    """The file to write for *path*, refusing anything the journal does not back up."""
    layout = deployment.layout
    if path not in journal.conflicts:
        raise OverlayMergeError(
            f"{path}: not a conflict of the bump in progress "
            f"(left: {', '.join(journal.conflicts) or 'none'})",
            "name a path as `overlay-merge status` lists it",
        )
    if f"{layout.overlay}/{path}" not in journal.files:
        # abort could not give this file back: never write it.
        raise OverlayMergeError(
            f"{layout.overlay}/{path}: not backed up by the bump's journal; refusing to write it",
            "edit it by hand, or `overlay-merge abort`",
        )
    return safe_overlay_path(layout, path)


def _mode(full: Path) -> int:
    """The git mode of the regular file at *full* (hunk takes write regular files)."""
    try:
        return 0o100755 if full.stat().st_mode & 0o100 else 0o100644
    except OSError:
        return 0o100644


def _read(full: Path) -> bytes | None:
    """A regular file's bytes; None when absent or not a regular file (a symlink is not text)."""
    try:
        mode = full.lstat().st_mode
    except FileNotFoundError:
        return None
    return full.read_bytes() if stat.S_ISREG(mode) else None


def file_sides(deployment: Deployment, journal: Journal, path: str) -> ConflictSides:
    """Base, overlay and upstream versions the bump merged for conflict *path*.

    The overlay's is the journal's backup of the file before the bump (under
    its old path for a rename); the base is upstream at the file's recorded
    base (a conflict keeps its base until resolved); upstream's is the
    target's.
    """
    layout = deployment.layout
    old = next((o for o, n in journal.renames.items() if n == path), path)
    backup = journal.files.get(f"{layout.overlay}/{old}")
    if backup is None or backup.backup is None:
        raise OverlayMergeError(f"{layout.overlay}/{old}: the bump's journal has no backup of it")
    ours = Side(journal.read_backup(backup.backup), backup.mode)
    base_commit = deployment.bases().get(path)
    base = side_of(deployment.upstream.read(base_commit, old)) if base_commit else None
    theirs = side_of(deployment.upstream.read(journal.target, path))
    return ConflictSides(base, ours, theirs, base_commit)


def load_conflict(deployment: Deployment, path: str) -> ConflictFile:
    """Conflict *path* of the bump in progress as it is on disk, with its hunks."""
    journal = _journal(deployment)
    path = _overlay_relative(deployment, path)
    full = _covered(deployment, journal, path)
    return _conflict(deployment, journal, path, _read(full))


def _conflict(
    deployment: Deployment, journal: Journal, path: str, data: bytes | None
) -> ConflictFile:
    if data is None:
        full = deployment.layout.overlay_path / path
        gone = not full.exists() and not full.is_symlink()
        note = "deleted: `resolve` drops it" if gone else "a symlink: no hunks"
        return ConflictFile(path, None, MarkedFile(()), (), note)
    marked = parse(data, _own(deployment, journal, path))
    if marked.problem is not None:
        problem = marked.problem
        note = f"line {problem.line}: {problem.what}; fix by hand, then `overlay-merge resolve`"
        return ConflictFile(path, data, marked, (), note)
    try:
        sides: ConflictSides | None = file_sides(deployment, journal, path)
    except OverlayMergeError:
        sides = None  # no base to show; taking sides still works
    if not marked.hunks:
        return _without_hunks(path, data, marked, sides)
    return ConflictFile(path, data, marked, hunk_views(marked, sides, path), "")


def _without_hunks(
    path: str, data: bytes, marked: MarkedFile, sides: ConflictSides | None
) -> ConflictFile:
    """A conflict file holding no hunk: deleted upstream, binary, or settled (not recorded)."""
    deleted = sides is not None and sides.theirs is None
    theirs = b"" if sides is None or sides.theirs is None else sides.theirs.data
    binary = b"\0" in data[:8000] or b"\0" in theirs[:8000]
    if deleted:
        note = "deleted upstream: keep it as an addition, or delete it"
    elif binary:
        note = "binary: take the overlay's version or upstream's"
    else:
        note = "no hunk left: record it when it is as you want it"
    return ConflictFile(path, data, marked, (), note, upstream_deleted=deleted, binary=binary)


def _own(deployment: Deployment, journal: Journal, path: str) -> OwnLines:
    """The marker-like lines that are conflict *path*'s own content (the one rule, read lazily)."""
    base = deployment.bases().get(path)
    return own_lines(deployment, path, base=base, target=journal.target, journal=journal)


@dataclass(frozen=True)
class _Chosen:
    """A conflict file about to take sides: its journal, where it is, its hunks and sides."""

    journal: Journal
    path: str  # overlay-relative
    full: Path
    marked: MarkedFile
    sides: ConflictSides | None


def _chosen(deployment: Deployment, path: str) -> _Chosen:
    journal = _journal(deployment)
    path = _overlay_relative(deployment, path)
    full = _covered(deployment, journal, path)
    marked = _takeable(deployment, journal, path, full)
    try:
        sides: ConflictSides | None = file_sides(deployment, journal, path)
    except OverlayMergeError:
        sides = None
    return _Chosen(journal, path, full, marked, sides)


@writes("resolve --hunk")
def take_hunks(
    deployment: Deployment,
    path: str,
    numbers: Sequence[int] | None,
    take: HunkTake,
    *,
    record: bool = True,
) -> TakeResult:
    """Take *take* for hunks *numbers* (1-based, as numbered now; None: every hunk) of *path*.

    The choice is journaled, then the file written atomically.  With no hunk
    left and *record*, the file is resolved as ``resolve PATH`` does.
    """
    chosen = _chosen(deployment, path)
    wanted = _wanted_hunks(deployment, chosen.path, numbers, len(chosen.marked.hunks))
    take = HunkTake(take)
    tails = chosen.sides.tails() if chosen.sides else None
    result = chosen.marked.take(wanted, take, tails)
    return _write(deployment, chosen, {n: take for n in wanted}, result, record, suggested=False)


@writes("resolve --take suggested")
def take_suggested(
    deployment: Deployment, path: str, numbers: Sequence[int] | None, *, record: bool = True
) -> TakeResult:
    """Each of hunks *numbers* (None: every hunk) of *path* takes its suggestion's take.

    Hunks without a suggestion stay conflicts (``TakeResult.unsuggested``); a
    hunk named in *numbers* without one is refused.  One choice, journaled and
    undone as :func:`take_hunks`'s; nothing is written when no hunk has one.
    """
    chosen = _chosen(deployment, path)
    wanted = _wanted_hunks(deployment, chosen.path, numbers, len(chosen.marked.hunks))
    views = hunk_views(chosen.marked, chosen.sides, chosen.path)
    takes = {n: s.take for n in wanted if (s := views[n - 1].suggestion) is not None}
    without = tuple(n for n in wanted if n not in takes)
    if numbers is not None and without:
        raise OverlayMergeError(
            f"{deployment.layout.overlay}/{chosen.path}: hunk {without[0]} has no suggestion",
            "take a side: --take overlay|upstream|both|both-upstream-first",
        )
    if not takes:
        return TakeResult(
            chosen.path, HunkTake.OVERLAY, (), views, None, "", suggested=True, unsuggested=without
        )
    result = chosen.marked
    tails = chosen.sides.tails() if chosen.sides else None
    for number in sorted(takes, reverse=True):  # bottom up: the hunks above keep their numbers
        result = result.take([number], takes[number], tails)
    done = _write(deployment, chosen, takes, result, record, suggested=True)
    return replace(done, unsuggested=without)


def _write(
    deployment: Deployment,
    chosen: _Chosen,
    takes: Mapping[int, HunkTake],
    result: MarkedFile,
    record: bool,
    *,
    suggested: bool,
) -> TakeResult:
    """Journal the choice (*takes*: hunk number → take), write *result*, resolve if settled."""
    journal, path = chosen.journal, chosen.path
    wanted = tuple(sorted(takes))
    first = takes[wanted[0]]
    # Journal first: the bytes before the choice, then write.
    base = deployment.bases().get(path)
    before = journal.backup(chosen.marked.render())  # render() gives the parsed bytes back
    journal.hunk_choices.append(HunkChoice(path, list(wanted), first, before, base, suggested))
    rendered = result.render()
    journal.note_left(f"{deployment.layout.overlay}/{path}", rendered, _mode(chosen.full))
    journal.save()
    write_bytes_atomic(chosen.full, rendered)
    recorded, why, refused = None, "", False
    if not result.hunks and record:
        try:
            recorded = resolve_files(deployment, [path]).target
        except OverlayMergeError as exc:
            # Marker lines that form no whole hunk: the file stays in conflict.
            why, refused = exc.message, True
    elif not result.hunks:
        why = "left for you: `overlay-merge resolve` (or `git add`) records it"
    left = hunk_views(result, chosen.sides, path)
    each = tuple(takes[n] for n in wanted) if suggested else ()
    return TakeResult(path, first, wanted, left, recorded, why, refused, each, suggested)


def _takeable(deployment: Deployment, journal: Journal, path: str, full: Path) -> MarkedFile:
    """Conflict *path* (at *full*) parsed, refusing a file whose hunks cannot be taken."""
    shown = f"{deployment.layout.overlay}/{path}"
    data = _read(full)
    if data is None:
        raise OverlayMergeError(f"{shown}: not a regular file here")
    marked = parse(data, _own(deployment, journal, path))
    if marked.problem is not None:
        # Where a hunk ends is no longer known: taking a side could splice wrongly.
        raise OverlayMergeError(
            f"{shown}:{marked.problem.line}: {marked.problem.what}; "
            "fix by hand, then `overlay-merge resolve`"
        )
    return marked


def _wanted_hunks(
    deployment: Deployment, path: str, numbers: Sequence[int] | None, count: int
) -> tuple[int, ...]:
    """Hunks *numbers* of a file holding *count* (None: all), refusing a number it lacks."""
    shown = f"{deployment.layout.overlay}/{path}"
    wanted = tuple(range(1, count + 1)) if numbers is None else tuple(sorted(set(numbers)))
    if not count:
        raise OverlayMergeError(
            f"{shown}: no conflict hunk in it",
            f"`overlay-merge resolve {quote(path)}` records it once it is as you want it",
        )
    wrong = [n for n in wanted if not 1 <= n <= count]
    if wrong:
        has = f"{count} (1-{count}, top to bottom)" if count > 1 else "1 (hunk 1)"
        raise OverlayMergeError(
            f"{shown}: no hunk {wrong[0]}; it has {has}",
            f"`overlay-merge resolve {quote(path)} --list` shows them",
        )
    return wanted


@writes("resolve --undo")
def undo_last(deployment: Deployment) -> UndoResult:
    """Undo the last hunk choice of the bump in progress: the file's bytes as before it.

    If that choice resolved the file, it is in conflict again: its base entry
    and its index stages (base, overlay, upstream) come back.
    """
    journal = _journal(deployment, done_ok=True)
    if not journal.hunk_choices:
        raise OverlayMergeError("no hunk choice to undo in the bump in progress")
    choice = journal.hunk_choices[-1]
    layout = deployment.layout
    rel = f"{layout.overlay}/{choice.path}"
    if rel not in journal.files:
        raise OverlayMergeError(f"{rel}: not backed up by the bump's journal; refusing to write it")
    full = safe_overlay_path(layout, choice.path)
    unrecorded = choice.path not in journal.conflicts
    restored = journal.read_backup(choice.backup)
    journal.note_left(rel, restored, _mode(full))
    if unrecorded:
        bases = deployment.bases()
        if choice.base is None:
            bases.pop(choice.path, None)
        else:
            bases[choice.path] = choice.base
        journal.note_left(layout.base_file, format_base_file(bases))
    journal.save()
    if unrecorded:
        write_base_file(layout.base_file_path, bases)
        sides = file_sides(deployment, journal, choice.path)  # reads the base just put back
        ours = pair_of(sides.ours) if sides.ours.mode != MODE_LINK else None
        repo = open_deployment(layout.root)
        repo.register_conflict(rel, pair_of(sides.base), ours, pair_of(sides.theirs))
        journal.mark_unresolved(choice.path)
    if full.is_symlink():
        full.unlink()
    write_bytes_atomic(full, restored)
    journal.hunk_choices.pop()
    journal.save()
    if choice.rule is not None:  # a rule's resolution undone: it stands again
        from overlay_merge.core.ruleundo import redo_rule  # noqa: PLC0415 - it imports this

        redo_rule(deployment, journal, choice)
    path, hunks = choice.path, tuple(choice.hunks)
    return UndoResult(path, choice.take, hunks, unrecorded, choice.suggested, choice.rule)
