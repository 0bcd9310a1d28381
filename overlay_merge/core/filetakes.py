"""Whole-file choices on the bump in progress: files without hunks, and edits made outside.

A conflict file that holds no hunk (binary, deleted upstream) is settled as
a whole: the overlay's version or upstream's.  An editor's change is
journaled the same way.  Both are hunk choices with no hunk numbers in the
journal (docs/design.md §7), so ``z`` on the hunk screen and ``resolve
--undo`` take them back like any other choice, the record included.
"""

from __future__ import annotations

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.hunks import MarkedFile, parse
from overlay_merge.core.journal import HunkChoice
from overlay_merge.core.lock import writes
from overlay_merge.core.model import HunkTake
from overlay_merge.core.resolve import resolve_files
from overlay_merge.core.takes import (
    TakeResult,
    _covered,
    _journal,
    _mode,
    _overlay_relative,
    _own,
    _read,
    _takeable,
    file_sides,
    hunk_views,
)


@writes("resolve (a whole file)")
def take_file(
    deployment: Deployment, path: str, take: HunkTake, *, record: bool = True
) -> TakeResult:
    """Settle conflict *path*, which holds no hunk, as a whole (the hunk screen's ``o`` / ``u``).

    ``overlay`` keeps the file as it is now (for a file upstream deleted: kept
    as an addition); ``upstream`` writes upstream's version, or deletes the file
    where upstream deleted it.  Journaled like a hunk choice (``z``,
    ``resolve --undo`` take it back), then resolved as ``resolve PATH`` does
    unless *record* is False.
    """
    journal = _journal(deployment)
    path = _overlay_relative(deployment, path)
    full = _covered(deployment, journal, path)
    marked = _takeable(deployment, journal, path, full)
    shown = f"{deployment.layout.overlay}/{path}"
    if marked.hunks:
        raise OverlayMergeError(
            f"{shown}: holds conflict hunks; take them one by one",
            f"`overlay-merge resolve {quote(path)} --all --take {take}`",
        )
    if take not in (HunkTake.OVERLAY, HunkTake.UPSTREAM):
        raise OverlayMergeError(f"{shown}: a whole file takes one side (overlay or upstream)")
    theirs = file_sides(deployment, journal, path).theirs
    if take == HunkTake.OVERLAY:
        new: bytes | None = marked.render()
    else:
        new = None if theirs is None else theirs.data
    mode = _mode(full)
    journal.hunk_choices.append(
        HunkChoice(path, [], take, journal.backup(marked.render()), deployment.bases().get(path))
    )
    journal.note_left(f"{deployment.layout.overlay}/{path}", new, mode)
    journal.save()
    if new is None:
        full.unlink()  # upstream deleted it: `resolve` drops it from the overlay
    elif take == HunkTake.UPSTREAM:
        write_bytes_atomic(full, new)
    return _record_whole(deployment, path, take, record)


@writes("resolve (an edit)")
def record_edit(
    deployment: Deployment, path: str, before: bytes, *, record: bool = True
) -> TakeResult:
    """Journal an edit of conflict *path* made outside (an editor), so that it can be undone.

    *before* is the file's bytes before the edit.  With no hunk left and
    *record*, the file is resolved as ``resolve PATH`` does; the record is
    undone with the edit (``z``, ``resolve --undo``).
    """
    journal = _journal(deployment)
    path = _overlay_relative(deployment, path)
    full = _covered(deployment, journal, path)
    data = _read(full)
    base = deployment.bases().get(path)
    journal.hunk_choices.append(
        HunkChoice(path, [], HunkTake.OVERLAY, journal.backup(before), base)
    )
    journal.save()
    marked = parse(data, _own(deployment, journal, path)) if data is not None else MarkedFile(())
    if marked.hunks or marked.problem is not None:
        left = hunk_views(marked, None, path)
        return TakeResult(path, HunkTake.OVERLAY, (), left, None, "markers are left")
    return _record_whole(deployment, path, HunkTake.OVERLAY, record)


def _record_whole(deployment: Deployment, path: str, take: HunkTake, record: bool) -> TakeResult:
    """The file, settled as a whole, resolved (if *record*): what :func:`take_file` returns."""
    if not record:
        why = "left for you: `overlay-merge resolve` (or `git add`) records it"
        return TakeResult(path, take, (), (), None, why)
    try:
        recorded = resolve_files(deployment, [path]).target
    except OverlayMergeError as exc:
        return TakeResult(path, take, (), (), None, exc.message, refused=True)
    return TakeResult(path, take, (), (), recorded, "")
