"""The hunks rules resolved in a bump (``--strategy refined``): shown, and put back as conflicts.

The bump journal records, per file it wrote, each hunk a rule resolved
and the plain conflict the line merge has there (:mod:`.provenance`).
:func:`rule_hunks` finds them in the file as it is now; :func:`undo_rule`
writes the plain conflict back in place of one, byte for byte what
``--strategy line`` writes there, and a file the bump had merged clean is
in conflict again (its old base entry and index stages come back), so the
maintainer settles that hunk like any other.  It is journaled as a hunk
choice, so ``z`` / ``resolve --undo`` take it back (docs/design.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.basefile import format_base_file, parse_base_file, write_base_file
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.hunks import Hunk, parse
from overlay_merge.core.journal import HunkChoice, Journal, Phase, require_bump
from overlay_merge.core.lock import writes
from overlay_merge.core.model import HunkTake, pair_of
from overlay_merge.core.overlay import safe_overlay_path
from overlay_merge.core.provenance import RuleHunk
from overlay_merge.core.refine import rule_reason
from overlay_merge.core.resolve import resolve_files
from overlay_merge.core.takes import _mode, _overlay_relative, _read, file_sides

_WHY = "undo a rule in"  # no bump in progress, so nothing to ...


@dataclass(frozen=True)
class RuleHunkView:
    """A hunk a rule resolved, where it stands in the file now.

    *number*: its place among the file's recorded rule hunks (1-based, stable
    while hunks are undone); *line*: where its lines start now; *plain*: the
    conflict the line merge has there, parsed (None: not kept, not undoable).
    """

    number: int
    rule: str
    line: int
    lines: int
    plain: Hunk | None

    @property
    def reason(self) -> str:
        return rule_reason(self.rule)


@dataclass(frozen=True)
class RuleUndoResult:
    """One rule hunk back to its plain conflict."""

    path: str
    number: int
    rule: str
    line: int  # where the plain conflict starts now
    reopened: bool  # the file was merged clean; it is in conflict again


def _journal(deployment: Deployment) -> Journal:
    phases = (Phase.MERGED, Phase.DONE)
    return require_bump(open_deployment(deployment.layout.root).git_dir, _WHY, phases)


def locate(data: bytes, record: RuleHunk) -> int | None:
    """The byte offset of *record*'s resolution in *data*: the one nearest its line; None if gone.

    Lines above it may have moved (a hunk taken, another rule undone): the
    resolution is looked for on whole lines, nearest the line it was written at.
    """
    if not record.undoable:
        return None
    resolved = record.resolved_bytes()
    lines = data.splitlines(keepends=True)
    offsets, at = [], 0
    for line in lines:
        offsets.append(at)
        at += len(line)
    offsets.append(at)
    ends = set(offsets)
    found = [
        (abs(n + 1 - (record.at or 0)), offsets[n])
        for n in range(len(lines) + 1)
        if offsets[n] + len(resolved) in ends and data.startswith(resolved, offsets[n])
    ]
    return min(found)[1] if found else None


def rule_hunks(deployment: Deployment, path: str) -> tuple[RuleHunkView, ...]:
    """The hunks rules resolved in *path* (overlay-relative) that still stand in the file."""
    journal = _journal(deployment)
    path = _overlay_relative(deployment, path)
    data = _read(safe_overlay_path(deployment.layout, path))
    return views_of(data, journal.rule_hunks.get(path, []))


def views_of(data: bytes | None, records: list[RuleHunk]) -> tuple[RuleHunkView, ...]:
    """Each of *records* (a file's rule hunks) still found in *data*, as a view."""
    found = []
    for number, record in enumerate(records, start=1):
        where = None if data is None else locate(data, record)
        if where is None:
            continue
        marked = parse(record.plain_bytes())
        plain = marked.hunks[0] if len(marked.hunks) == 1 else None
        line = data.count(b"\n", 0, where) + 1 if data is not None else record.line
        line += record.line - (record.at or record.line)  # the rule's lines, not the diff's
        found.append(RuleHunkView(number, record.rule, line, record.lines, plain))
    return tuple(found)


def rule_paths(deployment: Deployment) -> list[str]:
    """The files of the bump in progress (or last done) with a rule hunk still standing."""
    journal = _journal(deployment)
    layout = deployment.layout
    return [
        path
        for path, records in journal.rule_hunks.items()
        if views_of(_read(safe_overlay_path(layout, path)), records)
    ]


@writes("undo a rule's resolution")
def undo_rule(deployment: Deployment, path: str, number: int) -> RuleUndoResult:
    """Put the plain conflict back in place of rule hunk *number* of *path* (1-based).

    Journaled first (the file's bytes before, its base entry), then written
    atomically; a file the bump merged clean is in conflict again.
    """
    journal = _journal(deployment)
    layout = deployment.layout
    path = _overlay_relative(deployment, path)
    records = journal.rule_hunks.get(path, [])
    shown = f"{layout.overlay}/{path}"
    if not 1 <= number <= len(records):
        raise OverlayMergeError(f"{shown}: no hunk {number} resolved by a rule")
    record = records[number - 1]
    if f"{layout.overlay}/{path}" not in journal.files:
        raise OverlayMergeError(f"{shown}: not backed up by the bump's journal; refusing to write")
    full = safe_overlay_path(layout, path)
    data = _read(full)
    where = None if data is None else locate(data, record)
    if data is None or where is None:
        why = "its plain conflict was not kept" if not record.undone else "it is undone already"
        if not record.undone and record.at is not None:
            why = "its lines are no longer in the file"
        raise OverlayMergeError(f"{shown}: cannot undo rule {record.rule} here: {why}")
    new = data[:where] + record.plain_bytes() + data[where + len(record.resolved_bytes()) :]
    reopened = path not in journal.conflicts
    bases = deployment.bases()
    choice = HunkChoice(path, [], HunkTake.OVERLAY, journal.backup(data), bases.get(path))
    choice.rule, choice.reopened = number, reopened
    journal.hunk_choices.append(choice)
    journal.note_left(shown, new, _mode(full))
    record.undone = True
    if reopened:
        bases[path] = _old_base(deployment, journal, path) or bases.get(path, journal.target)
        journal.note_left(layout.base_file, format_base_file(bases))
    journal.save()
    if reopened:
        write_base_file(layout.base_file_path, bases)
        _register(deployment, journal, path)
        journal.mark_unresolved(path)
    write_bytes_atomic(full, new)
    journal.save()
    line = data.count(b"\n", 0, where) + 1
    return RuleUndoResult(path, number, record.rule, line, reopened)


def _old_base(deployment: Deployment, journal: Journal, path: str) -> str | None:
    """*path*'s base before the bump (the journal's backup of the base file); None if moved."""
    if path in journal.renames.values():
        return None  # a moved file's base is the target even in conflict (core/apply.py)
    backup = journal.files.get(deployment.layout.base_file)
    if backup is None or backup.backup is None:
        return None
    return parse_base_file(journal.read_backup(backup.backup)).get(path)


def _register(deployment: Deployment, journal: Journal, path: str) -> None:
    """Register *path* as unmerged in the index again (stages base/overlay/upstream)."""
    sides = file_sides(deployment, journal, path)  # reads the base just put back
    repo = open_deployment(deployment.layout.root)
    rel = f"{deployment.layout.overlay}/{path}"
    repo.register_conflict(rel, pair_of(sides.base), pair_of(sides.ours), pair_of(sides.theirs))


def redo_rule(deployment: Deployment, journal: Journal, choice: HunkChoice) -> None:
    """Take back :func:`undo_rule`'s *choice* (``z``): the rule's resolution, as the bump left it.

    Called by ``undo_last`` once it has put the file's bytes back and saved
    the journal: the record stands again and a file it reopened is resolved.
    """
    records = journal.rule_hunks.get(choice.path, [])
    if choice.rule is not None and 1 <= choice.rule <= len(records):
        records[choice.rule - 1].undone = False
    journal.save()
    if choice.reopened and choice.path in journal.conflicts:
        resolve_files(deployment, [choice.path])
