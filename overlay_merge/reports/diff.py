"""The ``diff`` report: one view of the selected overlay files as unified diffs, with counts.

Added/removed counts, per file and per hunk, come from parsing the diff text
with unidiff, so they are the counts of the text printed (and agree with
``git diff --numstat``, whose algorithm produced it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from unidiff.patch import PatchSet

from overlay_merge.core.hunks import parse
from overlay_merge.core.model import Decision, View
from overlay_merge.core.plan import BumpPlan, FilePlan
from overlay_merge.core.refine import Refinement
from overlay_merge.core.views import VIEW_TITLES, FileView, file_view
from overlay_merge.reports.base import Report, plural, short
from overlay_merge.reports.provenance import refinements_json, span


@dataclass(frozen=True)
class HunkStat:
    """One hunk's ranges (git's 1-based starts) and its added/removed line counts."""

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    added: int
    removed: int
    section: str

    @property
    def header(self) -> str:
        """The hunk's ``@@ -a,b +c,d @@`` line, without its section heading."""
        return f"@@ -{self.old_start},{self.old_lines} +{self.new_start},{self.new_lines} @@"


@dataclass(frozen=True)
class FileDiff:
    """One file in one view: the diff text and its counts."""

    view: FileView
    kind: str  # patch or addition
    state: str  # the state (docs/design.md §5) of a bump to the plan's target
    text: str  # git's unified diff, decoded (undecodable bytes replaced)
    binary: bool
    hunks: tuple[HunkStat, ...]
    # Merged view: the line of each conflict hunk in the merged content, conflict 1 first
    # (the numbers `resolve --hunk N` takes right after the merge).
    conflicts: tuple[int, ...] = ()
    # Merged view, ``--strategy refined``: the hunks a rule resolved in the merged content.
    refinements: tuple[Refinement, ...] = ()

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)


def hunk_stats(patch: bytes) -> tuple[HunkStat, ...]:
    """Ranges and added/removed counts of every hunk of a unified diff (git's format)."""
    if not patch:
        return ()
    # latin-1 never fails and keeps one character per byte: the counts are
    # those of the bytes, whatever their encoding.
    return tuple(
        HunkStat(
            h.source_start,
            h.source_length,
            h.target_start,
            h.target_length,
            h.added,
            h.removed,
            h.section_header,
        )
        for patched in PatchSet(patch, encoding="latin-1")
        for h in patched
    )


def diff_file(
    plan: BumpPlan, item: FilePlan, view: View, context_lines: int = 3, imported: int = 0
) -> FileDiff:
    """The *view* of *item* as a :class:`FileDiff` (empty text when the sides are equal).

    *imported*: which imported module's change a depends-on-changed addition shows.
    """
    fv = file_view(plan, item, view, imported)
    result = fv.diff(context_lines)
    binary = result.binary or fv.binary
    text = result.patch.decode("utf-8", errors="replace")
    conflicts: tuple[int, ...] = ()
    merged = view == View.MERGE_PREVIEW and fv.new is not None and not binary
    if merged and fv.new is not None:
        conflicts = tuple(h.line for h in parse(fv.new, fv.own).hunks)
    # A decision other than the merge writes other content: no rule's hunk is in it.
    refined = merged and item.decision == Decision.TAKE_MERGE
    return FileDiff(
        fv,
        item.kind,
        item.state,
        text,
        binary,
        () if binary else hunk_stats(result.patch),
        conflicts,
        item.refinements if refined else (),
    )


@dataclass(frozen=True)
class DiffReport(Report):
    """``diff``: the changed files of one view; always exit 0 (like ``git diff``)."""

    plan: BumpPlan
    view: View
    files: tuple[FileDiff, ...]
    stat_only: bool = False

    @classmethod
    def build(
        cls, plan: BumpPlan, items: Iterable[FilePlan], view: View, *, stat_only: bool = False
    ) -> DiffReport:
        """Diff *items* of *plan* in *view*, keeping only the files that changed."""
        diffs = (diff_file(plan, item, view) for item in items)
        return cls(plan, view, tuple(d for d in diffs if d.view.changed), stat_only)

    def as_json(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "upstream": self.plan.upstream,
            "from": self.plan.pin,
            "to": self.plan.target,
            "added": sum(f.added for f in self.files),
            "removed": sum(f.removed for f in self.files),
            "files": [self._file_json(f) for f in self.files],
        }

    def _file_json(self, f: FileDiff) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "path": f.view.path,
            "kind": f.kind,
            "state": f.state,
            "old_path": f.view.old_path if f.view.old is not None else None,
            "new_path": f.view.new_path if f.view.new is not None else None,
            "binary": f.binary,
            "added": f.added,
            "removed": f.removed,
            "hunks": [
                {
                    "old_start": h.old_start,
                    "old_lines": h.old_lines,
                    "new_start": h.new_start,
                    "new_lines": h.new_lines,
                    "added": h.added,
                    "removed": h.removed,
                }
                for h in f.hunks
            ],
            "note": f.view.note,
        }
        if self.view == View.MERGE_PREVIEW:
            entry["conflicts"] = [
                {"number": n, "line": line} for n, line in enumerate(f.conflicts, start=1)
            ]
            entry["refinements"] = refinements_json(f.refinements)
        if not self.stat_only:
            entry["diff"] = f.text
        return entry

    def text_lines(self) -> list[str]:
        """The summary: per-file counts (and per-hunk ones unless ``--stat``), then the totals."""
        p = self.plan
        lines = [self._title()]
        width = max((len(f.view.path) for f in self.files), default=0)
        for f in self.files:
            counts = "binary" if f.binary else f"+{f.added} -{f.removed}"
            note = f"  ({f.view.note})" if f.view.note else ""
            # The patch view does not depend on the target: its state would mislead.
            label = f.kind if self.view == View.OVERLAY_CHANGES else f.state
            lines.append(f" {f.view.path:<{width}}  {counts:>11}  {label}{note}")
            if not self.stat_only:
                lines.extend(f"     {h.header}  +{h.added} -{h.removed}" for h in f.hunks)
            lines.extend(
                f"     conflict {n} at line {line}  (resolve --hunk {n})"
                for n, line in enumerate(f.conflicts, start=1)
            )
            lines.extend(
                f"     resolved by rule {r.rule} at line {span(r.line, r.lines)}"
                for r in f.refinements
            )
        binary = sum(1 for f in self.files if f.binary)
        total = (
            f"{plural(len(self.files), 'file')} changed, "
            f"+{sum(f.added for f in self.files)} -{sum(f.removed for f in self.files)}"
        )
        lines.append(total + (f", {binary} binary" if binary else ""))
        if not p.files:
            lines.append("the overlay is empty: nothing to show")
        return lines

    def _title(self) -> str:
        p = self.plan
        title = f"{self.view}: {VIEW_TITLES[self.view]}"
        if self.view == View.OVERLAY_CHANGES:
            return title
        rev = f" ({p.target_rev})" if p.target_rev not in (p.target, p.pin) else ""
        return f"{title}, upstream at {short(p.target)}{rev}"

    def as_text(self) -> str:
        """The summary, then (unless ``--stat``) the diffs themselves."""
        text = super().as_text()
        if self.stat_only or not self.files:
            return text
        return text + "\n" + "".join(f.text for f in self.files)
