"""The three views of an overlay file, for ``diff``, ``review`` and the bump screen.

Every view compares two sides taken from the bump plan (docs/design.md §6):

- ``patch``: upstream at the file's base → the overlay copy: what the overlay carries;
- ``upstream``: upstream at the base → upstream at the target: what upstream changed;
- ``merged``: the overlay copy → what a merge writes (the preview), following the
  file's per-file decision (``decide``): kept, upstream's version, dropped.

Nothing here merges or reads git: the sides are the plan's.  Diffs come from
:func:`overlay_merge.core.git.diff.diff_bytes` (libgit2, git's algorithm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.diff import TextDiff, diff_bytes
from overlay_merge.core.git.model import MODE_LINK
from overlay_merge.core.hunks import parse
from overlay_merge.core.markers import NO_OWN_LINES, OwnLines
from overlay_merge.core.model import BumpState, Decision, View, short_sha
from overlay_merge.core.plan import BumpPlan, FilePlan

VIEW_TITLES = {
    View.OVERLAY_CHANGES: "what each overlay file carries against its base (base -> overlay)",
    View.UPSTREAM_CHANGES: "what upstream changed since each file's base (base -> target)",
    View.MERGE_PREVIEW: "the merge preview (overlay -> merged)",
}

# Why a merge leaves the content as it is, per state (the merged view's note).
_UNTOUCHED = {
    BumpState.UNCHANGED: "upstream did not change this file: content untouched, base moves",
    BumpState.CONVERGED: "upstream now carries this change: the overlay copy can be dropped",
    BumpState.DELETED_UPSTREAM: "deleted upstream: kept as it is until you decide (keep or drop)",
    BumpState.BINARY: "binary: no markers written; pick a side (keep the overlay or take upstream)",
}


@dataclass(frozen=True)
class FileView:
    """Two sides of one overlay file in one view; ``None`` means the side is absent."""

    path: str  # the overlay path (the plan's key)
    view: View
    old_path: str
    new_path: str
    old: bytes | None
    new: bytes | None
    old_label: str
    new_label: str
    note: str = ""
    # The marker-like lines of the merged versions that are content (merged view).
    own: OwnLines = field(default=NO_OWN_LINES, compare=False, repr=False)

    @property
    def changed(self) -> bool:
        """True if the sides differ (in content, presence or path)."""
        return self.old != self.new or self.old_path != self.new_path

    @property
    def binary(self) -> bool:
        """NUL bytes on either side: shown as "binary", never as text (as the plan merges)."""
        return any(side is not None and b"\0" in side for side in (self.old, self.new))

    def diff(self, context_lines: int = 3) -> TextDiff:
        """The unified diff old → new, git's format and algorithm."""
        return diff_bytes(
            self.old, self.new, self.old_path, self.new_path, context_lines=context_lines
        )


def _mode_note(old: int | None, new: int | None) -> str:
    if old is None or new is None or old == new:
        return ""
    if MODE_LINK in (old, new):
        return "symlink ↔ file"
    return f"mode {old:o} → {new:o}"


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def file_view(plan: BumpPlan, item: FilePlan, view: View, imported: int = 0) -> FileView:
    """The *view* (``patch``, ``upstream`` or ``merged``) of one file of *plan*.

    For a ``depends-on-changed`` addition, what upstream changed is the
    upstream diff of the modules it imports: *imported* says which (0-based).
    """
    if view == View.OVERLAY_CHANGES:
        return _overlay_changes_view(item)
    if view == View.UPSTREAM_CHANGES and item.dependencies:
        return _imported_module_view(plan, item, imported % len(item.dependencies))
    if view == View.UPSTREAM_CHANGES:
        return _upstream_changes_view(plan, item)
    if view == View.MERGE_PREVIEW:
        return _merge_preview(item)
    raise ValueError(f"unknown view {view!r}")


def _overlay_changes_view(item: FilePlan) -> FileView:
    base = item.base
    return FileView(
        item.path,
        View.OVERLAY_CHANGES,
        item.path,
        item.path,
        None if base is None else base.data,
        item.ours.data,
        f"base {short_sha(item.base_commit)}",
        "overlay",
        _join(
            "an addition: upstream had no file here at the base" if base is None else "",
            _mode_note(None if base is None else base.mode, item.ours.mode),
        ),
    )


def _upstream_changes_view(plan: BumpPlan, item: FilePlan) -> FileView:
    base, theirs = item.base, item.theirs
    notes = {
        BumpState.DELETED_UPSTREAM: "upstream deleted this file",
        BumpState.RENAMED_UPSTREAM: f"upstream renamed it to {item.renamed_to}",
        BumpState.ADDED_UPSTREAM: "upstream now has a file at this path (the overlay added it)",
    }
    note = notes.get(item.state, "")
    if base is None and theirs is None:
        note = "an addition: upstream has no file at this path"
    return FileView(
        item.path,
        View.UPSTREAM_CHANGES,
        item.path,
        item.renamed_to or item.path,
        None if base is None else base.data,
        None if theirs is None else theirs.data,
        f"base {short_sha(item.base_commit)}",
        f"upstream {short_sha(plan.target)}",
        _join(note, _mode_note(*(None if s is None else s.mode for s in (base, theirs)))),
    )


def _imported_module_view(plan: BumpPlan, item: FilePlan, index: int) -> FileView:
    """What upstream changed in module *index* of those the addition *item* imports."""
    dependency = item.dependencies[index]
    now = dependency.now or dependency.path
    count = len(item.dependencies)
    note = f"import {index + 1}/{count}, line {dependency.line}: "
    note += f"{dependency.grade}, {dependency.summary()}"
    return FileView(
        item.path,
        View.UPSTREAM_CHANGES,
        dependency.path,
        now,
        dependency.before,
        dependency.after,
        f"{dependency.path.rpartition('/')[2]} {short_sha(item.base_commit)}",
        f"{now.rpartition('/')[2]} {short_sha(plan.target)}",
        note,
    )


def _merged_note(item: FilePlan) -> str:
    """Why the merged side is what it is: the decision, else the state."""
    if item.decision == Decision.DROP:
        return "dropped: the overlay file is deleted, and its base entry"
    if item.decision == Decision.KEEP_OVERLAY:
        return "kept: the overlay file and its base stay as they are"
    if item.decision == Decision.CONFIRM:
        return "confirmed: the addition works with upstream's change; its base moves"
    if item.flagged:
        return "depends on changed upstream code: content untouched, base kept until confirmed"
    moved = f"moves to {item.renamed_to}" if item.renamed_to else ""
    if item.decision == Decision.TAKE_UPSTREAM:
        return _join("upstream's version replaces the overlay copy", moved)
    if item.content is None:
        return _UNTOUCHED.get(item.state, "")
    count = item.conflict_hunks
    hunks = f"{count} conflicting hunk{'s' if count > 1 else ''}"
    return _join(hunks if count else "", moved)


def _merge_preview(item: FilePlan) -> FileView:
    ours = item.ours
    moves = item.decision not in (Decision.DROP, Decision.KEEP_OVERLAY)
    if item.decision == Decision.DROP:
        new = None
    elif item.decision == Decision.KEEP_OVERLAY or item.content is None:
        new = ours.data
    else:
        new = item.content
    mode = item.mode if moves and item.mode is not None else ours.mode
    return FileView(
        item.path,
        View.MERGE_PREVIEW,
        item.path,
        item.target_path if moves else item.path,
        ours.data,
        new,
        "overlay",
        "merged",
        _join(_merged_note(item), _mode_note(ours.mode, mode)),
        item.own_lines(),
    )


@dataclass(frozen=True)
class Conflict:
    """One conflict block of merged content, as 0-based line indices.

    ``start`` is the ``<<<<<<<`` line, ``base`` the ``|||||||`` line (None for
    two-way markers), ``sep`` the ``=======`` line, ``end`` the ``>>>>>>>`` line.
    """

    start: int
    base: int | None
    sep: int
    end: int


def conflicts_in(content: bytes, own: OwnLines = NO_OWN_LINES) -> list[Conflict]:
    """The conflict blocks of merged *content* (git's 7-wide markers), in order.

    The hunks of :func:`overlay_merge.core.hunks.parse`, so that the merge
    preview's conflict N is the hunk N that ``resolve --hunk N`` takes
    (*own*: the content lines, as :meth:`FilePlan.own_lines`).
    """
    found: list[Conflict] = []
    for hunk in parse(content, own).hunks:
        start = hunk.line - 1
        base = None if hunk.base is None else start + 1 + len(hunk.ours)
        sep = start + 1 + len(hunk.ours) if base is None else base + 1 + len(hunk.base or ())
        found.append(Conflict(start, base, sep, sep + 1 + len(hunk.theirs)))
    return found


def select_files(plan: BumpPlan, paths: Sequence[str]) -> tuple[FilePlan, ...]:
    """The files of *plan* named by *paths* (all without paths).

    A path may be overlay-relative or start with the overlay folder, and may
    name a folder (every file below it).  A path matching no overlay file is
    an error: a typo must not print an empty, reassuring diff.
    """
    if not paths:
        return plan.files
    prefix = plan.overlay.rstrip("/") + "/"
    chosen: dict[str, FilePlan] = {}
    for raw in paths:
        path = raw.removeprefix("./").rstrip("/")
        path = path[len(prefix) :] if path.startswith(prefix) else path
        if path in ("", ".", plan.overlay):
            hits = list(plan.files)
        else:
            hits = [
                f
                for f in plan.files
                if path in (f.path, f.renamed_to) or f.path.startswith(path + "/")
            ]
        if not hits:
            raise OverlayMergeError(
                f"{raw}: not an overlay file (nor a folder of them)",
                "name a path as `overlay-merge status` lists it",
            )
        chosen.update((f.path, f) for f in hits)
    return tuple(f for f in plan.files if f.path in chosen)
