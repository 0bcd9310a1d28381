"""The hunk screen: settle the conflicts of the bump in progress hunk by hunk.

For the selected conflict hunk it shows the overlay's side and upstream's
(side by side when the terminal is wide, stacked otherwise; the base on
demand), their changed words marked, and the file as it is now; one key
takes a side.  A file without hunks is decided as a whole: one upstream
deleted (keep it as an addition, or delete it), a binary one (the overlay's
version or upstream's), one settled but not recorded (record it).  Every
choice, an editor's change included, goes through the core
(:mod:`overlay_merge.core.takes`, :mod:`overlay_merge.core.filetakes`),
which journals it first, so ``z`` takes any of them back until the screen
closes.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.filetakes import record_edit, take_file
from overlay_merge.core.model import HunkTake
from overlay_merge.core.takes import (
    ConflictFile,
    TakeResult,
    conflict_paths,
    load_conflict,
    take_hunks,
    undo_last,
)
from overlay_merge.reports.base import plural, short
from overlay_merge.reports.hunks import TAKE_NAMES
from overlay_merge.tui.dialogs import InfoScreen, guard_size
from overlay_merge.tui.editor import editor_command, open_in_editor, read_or_none
from overlay_merge.tui.hunkhelp import HUNK_HELP, Session, file_keys, file_row, whole_names
from overlay_merge.tui.hunkview import HunkSides
from overlay_merge.tui.keybar import KeyBar
from overlay_merge.tui.render import MUTED, SYNC_HIGHLIGHT_LINES, content_lines
from overlay_merge.tui.widgets import LinesView, RowList

__all__ = ["HunkScreen", "ResolveApp", "Session", "editor_command", "run_resolve"]

BOTH = (HunkTake.BOTH, HunkTake.BOTH_UPSTREAM_FIRST)


class HunkScreen(ModalScreen[Session]):
    """The conflicts of the bump in progress, hunk by hunk (dismissed with its :class:`Session`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "take('overlay')", "Overlay", show=False),
        Binding("u", "take('upstream')", "Upstream", show=False),
        Binding("b", "take('both')", "Both", show=False),
        Binding("B", "take('both-upstream-first')", "Both, upstream 1st", show=False),
        Binding("enter,y", "record", "Record", show=False),
        Binding("z", "undo", "Undo", show=False),
        Binding("e", "edit", "Edit", show=False),
        Binding("r", "toggle_record", "Record on/off", show=False),
        Binding("l", "toggle_look", "Look after both", show=False),
        Binding("s", "toggle_base", "Base", show=False),
        Binding("n", "hunk(1)", "Next", show=False),
        Binding("p", "hunk(-1)", "Prev", show=False),
        Binding("question_mark", "keys", "Keys", show=False),
        Binding("q,escape", "done", "Done", show=False),
    ]

    def __init__(
        self, deployment: Deployment, start: str | None = None, session: Session | None = None
    ) -> None:
        super().__init__()
        self.deployment = deployment
        self.paths = conflict_paths(deployment)
        self.start = start
        self.files: dict[str, ConflictFile | None] = {}  # None: resolved here
        self.hunk_index = 0
        self.record = True
        self.look = True  # b / B leave the file for a look before it is recorded
        self.session = session or Session()  # an earlier visit's, carried on

    def compose(self) -> ComposeResult:
        yield Static(id="hunk-top")
        with Horizontal(id="hunk-body"):
            yield RowList(self._row, id="hunk-files")
            with Vertical(id="hunk-detail"):
                yield Static(id="hunk-info")
                yield HunkSides(id="hunk-sides")
                yield Static(classes="caption", id="hunk-preview-caption")
                yield LinesView(id="hunk-preview")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        for path in self.paths:
            self.files[path] = load_conflict(self.deployment, path)
        files = self.query_one("#hunk-files", RowList)
        files.set_count(len(self.paths))
        first = self.paths.index(self.start) if self.start in self.paths else self._next_open(-1)
        files.highlighted = first if self.paths else None
        files.focus()
        self._show()

    def on_resize(self, event: events.Resize) -> None:
        self._show()  # side by side or stacked: decided by the width

    # -- what is shown ----------------------------------------------------------

    def _current(self) -> tuple[str, ConflictFile | None] | None:
        index = self.query_one("#hunk-files", RowList).highlighted
        if index is None or not self.paths:
            return None
        path = self.paths[index]
        return path, self.files.get(path)

    def _row(self, index: int, width: int) -> Text:
        path = self.paths[index]
        return file_row(path, self.files.get(path), width)

    def _top(self) -> Text:
        items = [f for f in self.files.values() if f is not None]
        hunks = sum(len(f.hunks) for f in items)
        line = Text("resolve", "bold")
        with_hunks = sum(1 for f in items if f.hunks)
        line.append(f" · {plural(hunks, 'hunk')} left in {plural(with_hunks, 'file')}")
        deciding = sum(1 for f in items if not f.hunks)
        if deciding:
            line.append(f" · {deciding} to decide", "bold")
        elif not hunks:
            line = Text("resolve", "bold").append(" · nothing left: q to finish", "bold green")
        line.append("  r record: ").append("on" if self.record else "off", "bold")
        if self.record:
            line.append("  l look: ").append("on" if self.look else "off", "bold")
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

    def on_row_list_highlighted(self, event: RowList.Highlighted) -> None:
        event.stop()  # the bump screen's own list listens to its rows only
        self.hunk_index = 0
        self._show()

    def _show(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#hunk-top", Static).update(self._top())
        self.query_one("#hunk-files", RowList).refresh()
        current = self._current()
        info = self.query_one("#hunk-info", Static)
        sides = self.query_one(HunkSides)
        item = None if current is None else current[1]
        self.query_one(KeyBar).set_keys(file_keys(item, current is not None, sides))
        if current is None:
            info.update(Text("no conflict left in the bump in progress", "bold"))
            sides.show(None, "")
            return
        path = current[0]
        if item is None or not item.hunks:
            info.update(self._whole_info(path, item))
            sides.show(None, path)
        else:
            self.hunk_index = min(self.hunk_index, len(item.hunks) - 1)
            view = item.hunks[self.hunk_index]
            text = Text(path, "bold").append("\n")
            text.append(f"hunk {view.number} of {len(item.hunks)}", "bold")
            text.append(f" · line {view.line} · o u b B take a side · s base · z undo", MUTED)
            info.update(_one_line_each(text))
            sides.show(view, path)
        self._preview(item)

    def _whole_info(self, path: str, item: ConflictFile | None) -> Text:
        text = Text(path, "bold").append("\n")
        if item is None:
            return _one_line_each(text.append("resolved (z undoes)", "bold green"))
        names = whole_names(item)
        if names is not None:
            what = "deleted upstream" if item.upstream_deleted else "binary"
            text.append(what, "bold").append(f" · o {names[0]} · u {names[1]}", MUTED)
        elif item.whole:
            text.append("no hunk left", "bold").append(" · Enter records it as it is", MUTED)
        else:
            text.append(item.note)
        return _one_line_each(text)

    def _preview(self, item: ConflictFile | None) -> None:
        caption = self.query_one("#hunk-preview-caption", Static)
        preview = self.query_one("#hunk-preview", LinesView)
        if item is None or item.data is None:
            caption.update(Text("the file as it is now: resolved" if item is None else item.note))
            preview.show([], [])
            return
        if item.binary:
            caption.update(Text(f"the file as it is now: binary, {len(item.data):,} bytes"))
            preview.show([], [])
            return
        big = item.data.count(b"\n") > SYNC_HIGHLIGHT_LINES
        lines = content_lines(item.data, item.path, highlight_now=not big, own=item.marked.own)
        caption.update(Text("the file as it is now", "bold").append(f" · {len(lines)} lines"))
        preview.show(lines, [h.line - 1 for h in item.hunks])
        if item.hunks:
            preview.scroll_after_layout(max(item.hunks[self.hunk_index].line - 3, 0))

    # -- keys -------------------------------------------------------------------

    def _reload(self, path: str) -> None:
        self.files[path] = load_conflict(self.deployment, path) if path in self._open() else None

    def _open(self) -> list[str]:
        return conflict_paths(self.deployment, done_ok=True)

    def _next_open(self, after: int) -> int:
        """The next file (round the end) with hunks or a decision left; else *after*."""
        count = len(self.paths)
        for step in range(1, count + 1):
            index = (after + step) % count
            if self.files.get(self.paths[index]) is not None:
                return index
        return max(after, 0)

    def action_take(self, take: str) -> None:
        current = self._current()
        item = None if current is None else current[1]
        if current is None or item is None:
            self.notify("nothing to take here: the file is resolved", severity="warning", timeout=3)
            return
        path, chosen = current[0], HunkTake(take)
        try:
            if item.hunks:
                result = self._take_hunk(path, item, chosen)
            elif whole_names(item) is not None and chosen in (HunkTake.OVERLAY, HunkTake.UPSTREAM):
                result = take_file(self.deployment, path, chosen, record=self.record)
            else:
                self.notify(_no_take(item), severity="warning", timeout=4)
                return
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self._done(path, result, _what(item, self.hunk_index, chosen))

    def _take_hunk(self, path: str, item: ConflictFile, take: HunkTake) -> TakeResult:
        number = item.hunks[self.hunk_index].number
        # Both sides kept often needs a touch (two docstrings): left for a look first.
        record = self.record and not (self.look and take in BOTH)
        return take_hunks(self.deployment, path, [number], take, record=record)

    def _done(self, path: str, result: TakeResult, what: str) -> None:
        """After a choice: the session, the row, the next file once this one is settled."""
        self.session.taken += 1
        self.session.done.append(what)
        self._reload(path)
        files = self.query_one("#hunk-files", RowList)
        name = path.rsplit("/", 1)[-1]
        if result.recorded:
            self.session.resolved.append(path)
            self.notify(f"{name}: resolved (base {short(result.recorded)})", timeout=3)
            files.highlighted = self._next_open(self.paths.index(path))
        elif not result.left and result.take in BOTH and self.record and self.look:
            self.notify(f"{name}: both kept; have a look, then Enter records it", timeout=4)
        elif not result.left:
            self.notify(f"{name}: {result.not_recorded}", timeout=5)
        else:
            self.notify(f"took {TAKE_NAMES[result.take]}", timeout=2)
        self._show()

    def action_record(self) -> None:
        current = self._current()
        item = None if current is None else current[1]
        if current is None or item is None or not item.whole or whole_names(item) is not None:
            self.notify("Enter records a file with no hunk left", severity="warning", timeout=3)
            return
        try:
            result = take_file(self.deployment, current[0], HunkTake.OVERLAY, record=True)
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self._done(current[0], result, f"{current[0]}: recorded as it is")

    def action_undo(self) -> None:
        try:
            result = undo_last(self.deployment)
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="warning", timeout=4)
            return
        self.session.undone += 1
        if self.session.done:
            self.session.done.pop()
        if result.unrecorded and result.path in self.session.resolved:
            self.session.resolved.remove(result.path)
        files = self.query_one("#hunk-files", RowList)
        if result.path not in self.paths:  # resolved before this screen opened
            self.paths.append(result.path)
            files.set_count(len(self.paths))
        self._reload(result.path)
        files.highlighted = self.paths.index(result.path)
        item = self.files.get(result.path)
        numbers = [h.number for h in item.hunks] if item else []
        first = result.hunks[0] if result.hunks else None
        self.hunk_index = numbers.index(first) if first in numbers else 0
        self.notify(f"undid {result.take} in {result.path.rsplit('/', 1)[-1]}", timeout=3)
        self._show()

    def action_hunk(self, step: int) -> None:
        current = self._current()
        if current is None or current[1] is None or not current[1].hunks:
            return
        self.hunk_index = (self.hunk_index + step) % len(current[1].hunks)
        self._show()

    def action_toggle_record(self) -> None:
        self.record = not self.record
        self._show()

    def action_toggle_look(self) -> None:
        self.look = not self.look
        self._show()

    def action_toggle_base(self) -> None:
        sides = self.query_one(HunkSides)
        sides.base_shown = not sides.base_shown
        self._show()

    def action_keys(self) -> None:
        self.app.push_screen(InfoScreen("keys of the hunk screen", Text.from_markup(HUNK_HELP)))

    def action_edit(self) -> None:
        current = self._current()
        if current is None:
            return
        path, item = current
        line = item.hunks[self.hunk_index].line if item is not None and item.hunks else 1
        full = self.deployment.layout.overlay_path / path
        before = read_or_none(full)
        if not open_in_editor(self, full, line):
            return
        if read_or_none(full) == before:
            self.notify("the file is unchanged: nothing recorded", timeout=3)
        elif before is not None and path in self._open():
            self._after_edit(path, before)
        self._reload(path)
        self._show()

    def _after_edit(self, path: str, before: bytes) -> None:
        """Journal the editor's change (z undoes it); resolved if no marker is left."""
        try:
            result = record_edit(self.deployment, path, before, record=self.record)
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="warning", timeout=6)
            return
        self.session.taken += 1
        self.session.done.append(f"{path}: edited")
        if result.recorded:
            self.session.resolved.append(path)
            self.notify(f"{path.rsplit('/', 1)[-1]}: edited, resolved (z undoes)", timeout=4)

    def action_done(self) -> None:
        self.session.left = self._open()
        self.dismiss(self.session)


def _one_line_each(text: Text) -> Text:
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _what(item: ConflictFile, index: int, take: HunkTake) -> str:
    """What a choice did, for the session's report: ``PATH hunk 2: upstream's side``."""
    if item.hunks:
        return f"{item.path} hunk {item.hunks[index].number}: {TAKE_NAMES[take]}"
    overlay = take == HunkTake.OVERLAY
    if item.upstream_deleted:
        return f"{item.path}: {'kept as an addition' if overlay else 'deleted'}"
    return f"{item.path}: {'the overlay' if overlay else 'upstream'}'s version"


def _no_take(item: ConflictFile) -> str:
    if item.data is None:
        return "the file is deleted here: Enter records that (`resolve` drops it)"
    if item.marked.problem is not None:
        return f"{item.note} (e opens the editor)"
    if whole_names(item) is not None:
        return "a whole file takes one side: o or u"
    return "no hunk left: Enter records it, e edits it, z undoes the last choice"


class ResolveApp(App[Session]):
    """``overlay-merge resolve`` in a terminal: the hunk screen alone."""

    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "overlay-merge"

    def __init__(self, deployment: Deployment) -> None:
        super().__init__()
        self.deployment = deployment
        self.session: Session | None = None

    def on_mount(self) -> None:
        self.push_screen(HunkScreen(self.deployment), self._screen_closed)
        guard_size(self)

    def on_resize(self, event: events.Resize) -> None:
        guard_size(self, event.size)

    def _screen_closed(self, session: Session | None) -> None:
        self.session = session
        self.exit(session)


def run_resolve(deployment: Deployment) -> Session:
    """Open the hunk screen on the conflicts of the bump in progress; what was done."""
    app = ResolveApp(deployment)
    app.run()
    return app.session or Session(left=conflict_paths(deployment, done_ok=True))
