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
from overlay_merge.core.markers import NO_OWN_LINES
from overlay_merge.core.model import HunkTake
from overlay_merge.core.ruleundo import RuleHunkView, rule_hunks, undo_rule
from overlay_merge.core.takes import (
    ConflictFile,
    HunkView,
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
from overlay_merge.tui.hunkentries import (
    RULE_HEAD,
    Entry,
    entries,
    entry_info,
    rule_spans,
    screen_paths,
    sides_of,
)
from overlay_merge.tui.hunkhelp import (
    HUNK_HELP,
    Session,
    file_keys,
    file_row,
    what_was_done,
    whole_names,
    why_no_take,
)
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
        Binding("a", "suggested", "Suggested", show=False),
        Binding("x", "undo_rule", "Plain conflict", show=False),
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
        self.paths = screen_paths(deployment)
        self.start = start
        self.files: dict[str, ConflictFile | None] = {}  # None: resolved (or merged clean)
        self.rules: dict[str, tuple[RuleHunkView, ...]] = {}  # the rules' hunks standing
        self.hunk_index = 0
        self.record = True
        self.look = True  # b / B leave the file for a look before it is recorded
        self.session = session or Session()  # an earlier visit's, carried on
        self._keep_hunk = False

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
            self._reload(path)
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
        return file_row(path, self.files.get(path), width, len(self.rules.get(path, ())))

    def _entries(self, path: str) -> list[Entry]:
        return entries(self.files.get(path), self.rules.get(path, ()))

    def _entry(self) -> Entry | None:
        """The hunk selected now (a conflict hunk, or one a rule resolved), or None."""
        current = self._current()
        found = [] if current is None else self._entries(current[0])
        return found[min(self.hunk_index, len(found) - 1)] if found else None

    def _select(self, path: str, *, line: int | None = None, rule: int | None = None) -> None:
        """Select the entry of *path* at *line*, or rule hunk *rule*; else the first."""
        found = self._entries(path)
        for index, entry in enumerate(found):
            is_rule = isinstance(entry, RuleHunkView)
            if (rule is not None and is_rule and entry.number == rule) or (
                line is not None and not is_rule and entry.line == line
            ):
                self.hunk_index = index
                return
        self.hunk_index = 0

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
        rules = sum(len(r) for r in self.rules.values())
        if rules:  # the bump's --strategy refined: for review, x undoes one
            line.append(f" · {plural(rules, 'hunk')} by rules", RULE_HEAD)
        line.append("  r record: ").append("on" if self.record else "off", "bold")
        if self.record:
            line.append("  l look: ").append("on" if self.look else "off", "bold")
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

    def on_row_list_highlighted(self, event: RowList.Highlighted) -> None:
        event.stop()  # the bump screen's own list listens to its rows only
        if not self._keep_hunk:  # z picked the hunk it put back: that one stays selected
            self.hunk_index = 0
        self._keep_hunk = False
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
        entry = self._entry()
        self.query_one(KeyBar).set_keys(file_keys(item, current is not None, sides, entry))
        if current is None:
            info.update(Text("no conflict left in the bump in progress", "bold"))
            sides.show(None, "")
            return
        path = current[0]
        found = self._entries(path)
        if entry is None:
            text = self._whole_info(path, item)
            sides.show(None, path)
        else:
            self.hunk_index = found.index(entry)
            text = _one_line_each(entry_info(path, entry, item, self.rules.get(path, ())))
            sides.show(sides_of(entry), path)
        info.update(text)
        # Its lines are cut, never wrapped: a third one for a suggestion or a rule's reason.
        info.styles.height = 3 if text.plain.count("\n") == 2 else 2
        self._preview(path, item, entry)

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

    def _preview(self, path: str, item: ConflictFile | None, entry: Entry | None) -> None:
        caption = self.query_one("#hunk-preview-caption", Static)
        preview = self.query_one("#hunk-preview", LinesView)
        rules = self.rules.get(path, ())
        data = item.data if item is not None else None
        if item is None and rules:  # merged clean by the rules: the file as it is
            data = read_or_none(self.deployment.layout.overlay_path / path)
        if data is None:
            gone = item.note if item is not None else "resolved"
            caption.update(Text(f"the file as it is now: {gone}" if item is None else gone))
            preview.show([], [])
            return
        if item is not None and item.binary:
            caption.update(Text(f"the file as it is now: binary, {len(data):,} bytes"))
            preview.show([], [])
            return
        big = data.count(b"\n") > SYNC_HIGHLIGHT_LINES
        own = item.marked.own if item is not None else NO_OWN_LINES
        spans = rule_spans(rules)
        lines = content_lines(data, path, highlight_now=not big, own=own, rules=spans)
        caption.update(Text("the file as it is now", "bold").append(f" · {len(lines)} lines"))
        preview.show(lines, [e.line - 1 for e in self._entries(path)])
        if entry is not None:
            preview.scroll_after_layout(max(entry.line - 3, 0))

    # -- keys -------------------------------------------------------------------

    def _reload(self, path: str) -> None:
        self.files[path] = load_conflict(self.deployment, path) if path in self._open() else None
        try:
            self.rules[path] = rule_hunks(self.deployment, path)
        except OverlayMergeError:
            self.rules[path] = ()  # no journal to read them from

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
        entry = self._entry()
        if isinstance(entry, RuleHunkView):
            why = "a rule resolved this hunk: x puts the plain conflict back, to take a side"
            self.notify(why, severity="warning", timeout=4)
            return
        if current is None or item is None:
            self.notify("nothing to take here: the file is resolved", severity="warning", timeout=3)
            return
        path, chosen = current[0], HunkTake(take)
        try:
            if entry is not None:
                result = self._take_hunk(path, entry, chosen)
            elif whole_names(item) is not None and chosen in (HunkTake.OVERLAY, HunkTake.UPSTREAM):
                result = take_file(self.deployment, path, chosen, record=self.record)
            else:
                self.notify(why_no_take(item), severity="warning", timeout=4)
                return
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self._done(path, result, what_was_done(item, entry, chosen))

    def _take_hunk(self, path: str, entry: HunkView, take: HunkTake) -> TakeResult:
        # Both sides kept often needs a touch (two docstrings): left for a look first.
        record = self.record and not (self.look and take in BOTH)
        return take_hunks(self.deployment, path, [entry.number], take, record=record)

    def action_suggested(self) -> None:
        """Take the selected hunk's suggestion, as its key would (``z`` undoes it)."""
        entry = self._entry()
        if not isinstance(entry, HunkView) or entry.suggestion is None:
            self.notify("no suggestion for this hunk", severity="warning", timeout=3)
            return
        self.action_take(entry.suggestion.take)

    def action_undo_rule(self) -> None:
        """Put the plain conflict back in place of the rule hunk selected (``z`` undoes it)."""
        current, entry = self._current(), self._entry()
        if current is None or not isinstance(entry, RuleHunkView):
            self.notify("x is for a hunk a rule resolved", severity="warning", timeout=3)
            return
        path = current[0]
        try:
            result = undo_rule(self.deployment, path, entry.number)
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self.session.taken += 1
        self.session.done.append(f"{path} line {result.line}: rule {result.rule} undone")
        if path in self.session.resolved:
            self.session.resolved.remove(path)
        self._reload(path)
        self._select(path, line=result.line)
        self.notify(f"rule {result.rule} undone: the plain conflict is back", timeout=3)
        self._show()

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
        self._keep_hunk = True  # the row's Highlighted comes after: the hunk chosen below stays
        files.highlighted = self.paths.index(result.path)
        item = self.files.get(result.path)
        numbers = {h.number: h.line for h in item.hunks} if item else {}
        first = numbers.get(result.hunks[0]) if result.hunks else None
        self._select(result.path, line=first, rule=result.rule)
        name = result.path.rsplit("/", 1)[-1]
        what = f"rule hunk {result.rule}'s undo" if result.rule is not None else result.take
        self.notify(f"undid {what} in {name}", timeout=3)
        self._show()

    def action_hunk(self, step: int) -> None:
        current = self._current()
        found = [] if current is None else self._entries(current[0])
        if not found:
            return
        self.hunk_index = (self.hunk_index + step) % len(found)
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
        path, entry = current[0], self._entry()
        line = entry.line if entry is not None else 1
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
