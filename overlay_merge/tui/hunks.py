"""The hunk screen: settle the conflicts of the bump in progress hunk by hunk.

For the selected conflict hunk it shows the overlay's side, the base and
upstream's side (with a note where a side changed only whitespace or quote
style against the base) and the file as it is now; one key takes a side.
Every choice goes through :mod:`overlay_merge.core.takes`, which journals
it before writing and resolves a file once no hunk is left in it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.hunks import EQUAL
from overlay_merge.core.model import BaseSource, HunkTake
from overlay_merge.core.resolve import resolve_files
from overlay_merge.core.takes import (
    ConflictFile,
    HunkView,
    conflict_paths,
    load_conflict,
    take_hunks,
    undo_last,
)
from overlay_merge.reports.base import plural, short
from overlay_merge.reports.hunks import TAKE_NAMES
from overlay_merge.tui.render import (
    BASE_SIDE,
    MUTED,
    OURS_SIDE,
    SYNC_HIGHLIGHT_LINES,
    THEIRS_SIDE,
    content_lines,
    side_lines,
)
from overlay_merge.tui.widgets import LinesView

# Editors that open a file at a line, and how (docs/tui.md lists them).
PLUS_LINE_EDITORS = frozenset(
    {"vi", "vim", "nvim", "view", "nano", "emacs", "emacsclient", "micro"}
)
GOTO_EDITORS = frozenset({"code", "code-insiders", "codium"})  # -g file:line

COSMETIC_STYLE = "bold #a6e22e"


def editor_command(editor: str, file: Path, line: int | None) -> list[str]:
    """The command that opens *file* at *line* in *editor* (a ``$VISUAL`` / ``$EDITOR`` value).

    ``+LINE FILE`` for vi, vim, nvim, nano, emacs and micro; ``-g FILE:LINE``
    for VS Code; the file alone for any other editor, or when *line* is None.
    """
    words = shlex.split(editor) or ["vi"]
    name = os.path.basename(words[0])
    if line is not None and name in PLUS_LINE_EDITORS:
        return [*words, f"+{line}", str(file)]
    if line is not None and name in GOTO_EDITORS:
        return [*words, "-g", f"{file}:{line}"]
    return [*words, str(file)]


def open_in_editor(screen: Screen[Any], file: Path, line: int | None = None) -> bool:
    """Suspend the app and run ``$VISUAL``/``$EDITOR`` on *file*; False (and a notice) if not."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        with screen.app.suspend():
            subprocess.run(editor_command(editor, file, line), check=False)
    except SuspendNotSupported:
        screen.notify("cannot open an editor here (no terminal)", severity="warning")
        return False
    except OSError as exc:
        screen.notify(f"cannot run {editor}: {exc.strerror or exc}", severity="error")
        return False
    return True


@dataclass
class Session:
    """What was done on the hunk screen, for the report printed once it closes."""

    taken: int = 0
    undone: int = 0
    resolved: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


def _label(marker: bytes | None, default: str) -> str:
    """A marker's label (``upstream 9e8f7a6``), or *default* when there is none."""
    if marker is None:
        return default
    label = marker.decode("utf-8", "replace").rstrip("\r\n")[8:].strip()
    return label or default


def _cosmetic(change: str | None, other: str) -> tuple[str, str | Style]:
    """The note for a side whose change against the base is only cosmetic, and its style."""
    if change is None:
        return "", ""
    what = "same as the base" if change == EQUAL else f"only {change} vs the base"
    return f"≈ {what}: taking {other} loses nothing", COSMETIC_STYLE


def _base_source(view: HunkView) -> tuple[str, str | Style]:
    if view.hunk.base is None:
        return "none: both sides added this", MUTED
    if view.base_source == BaseSource.RECOMPUTED:
        return "recomputed from the base commit", MUTED
    if view.base_source == BaseSource.REGION:
        return "of the surrounding region", MUTED
    return "", ""


class HunkScreen(ModalScreen[Session]):
    """The conflicts of the bump in progress, hunk by hunk (dismissed with its :class:`Session`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "take('overlay')", "Overlay"),
        Binding("u", "take('upstream')", "Upstream"),
        Binding("b", "take('both')", "Both"),
        Binding("B", "take('both-upstream-first')", "Both, upstream 1st"),
        Binding("z", "undo", "Undo"),
        Binding("e", "edit", "Edit"),
        Binding("r", "toggle_record", "Record"),
        Binding("n", "hunk(1)", "Next"),
        Binding("p", "hunk(-1)", "Prev", show=False),
        Binding("q,escape", "done", "Done"),
    ]

    def __init__(self, deployment: Deployment, start: str | None = None) -> None:
        super().__init__()
        self.deployment = deployment
        self.paths = conflict_paths(deployment)
        self.start = start
        self.files: dict[str, ConflictFile | None] = {}  # None: resolved here
        self.hunk_index = 0
        self.record = True
        self.session = Session()

    def compose(self) -> ComposeResult:
        yield Static(id="hunk-top")
        with Horizontal(id="hunk-body"):
            yield OptionList(id="hunk-files")
            with Vertical(id="hunk-detail"):
                yield Static(id="hunk-info")
                yield LinesView(id="hunk-sides")
                yield Static(classes="caption", id="hunk-preview-caption")
                yield LinesView(id="hunk-preview")
        yield Footer()

    def on_mount(self) -> None:
        for path in self.paths:
            self.files[path] = load_conflict(self.deployment, path)
        files = self.query_one("#hunk-files", OptionList)
        files.add_options([self._row(p) for p in self.paths])
        first = self.paths.index(self.start) if self.start in self.paths else self._next_open(-1)
        files.highlighted = first if self.paths else None
        files.focus()
        self._show()

    # -- what is shown ----------------------------------------------------------

    def _current(self) -> tuple[str, ConflictFile | None] | None:
        index = self.query_one("#hunk-files", OptionList).highlighted
        if index is None or not self.paths:
            return None
        path = self.paths[index]
        return path, self.files.get(path)

    def _row(self, path: str) -> Text:
        # Spans, not the Text's own style: the path must not take the count's colour.
        item = self.files.get(path)
        if item is None:
            return Text().append("resolved ", "bold green").append(path)
        if not item.hunks:
            return Text().append("no hunks ", MUTED).append(path)
        return Text().append(f"{len(item.hunks):>2} left  ", "bold red").append(path)

    def _top(self) -> Text:
        left = sum(len(f.hunks) for f in self.files.values() if f is not None)
        files = sum(1 for f in self.files.values() if f is not None and f.hunks)
        line = Text("resolve hunk by hunk", "bold").append(
            f" · {plural(left, 'hunk')} left in {plural(files, 'file')}"
        )
        record = "record when done" if self.record else "leave for git add"
        return line.append(" · r: ").append(record, "bold")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.hunk_index = 0
        self._show()

    def _show(self) -> None:
        self.query_one("#hunk-top", Static).update(self._top())
        current = self._current()
        info = self.query_one("#hunk-info", Static)
        sides = self.query_one("#hunk-sides", LinesView)
        if current is None:
            info.update(Text("no conflict left in the bump in progress", "bold"))
            sides.show([], [])
            return
        path, item = current
        if item is None or not item.hunks:
            note = "resolved" if item is None else item.note
            info.update(Text(path, "bold").append(f"\n{note}"))
            sides.show([], [])
        else:
            self.hunk_index = min(self.hunk_index, len(item.hunks) - 1)
            view = item.hunks[self.hunk_index]
            info.update(self._info(path, item, view))
            sides.show(self._sides(view), [])
        self._preview(item)

    def _info(self, path: str, item: ConflictFile, view: HunkView) -> Text:
        text = Text(path, "bold").append("\n")
        text.append(f"hunk {view.number} of {len(item.hunks)}", "bold")
        text.append(f" · line {view.line} · o u b B take a side, z undo, e edit", "dim")
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text

    def _sides(self, view: HunkView) -> list[Text]:
        """The overlay's lines, the base's, upstream's: each under a header saying why."""
        hunk = view.hunk
        sections = [
            (
                _label(hunk.start, "overlay"),
                hunk.ours,
                OURS_SIDE,
                _cosmetic(view.ours_change, "upstream"),
            ),
            (_label(hunk.base_marker, "base"), hunk.base or (), BASE_SIDE, _base_source(view)),
            (
                _label(hunk.end, "upstream"),
                hunk.theirs,
                THEIRS_SIDE,
                _cosmetic(view.theirs_change, "overlay"),
            ),
        ]
        lines: list[Text] = []
        for title, body, style, (note, note_style) in sections:
            head = Text().append(f" {title} ", style + Style(bold=True))
            head.append(f" {plural(len(body), 'line')}", MUTED)
            lines.append(head)
            if note:
                lines.append(Text().append(f"  {note}", note_style))
            lines.extend(side_lines(list(body), style))
        return lines

    def _preview(self, item: ConflictFile | None) -> None:
        caption = self.query_one("#hunk-preview-caption", Static)
        preview = self.query_one("#hunk-preview", LinesView)
        if item is None or item.data is None:
            caption.update(Text("the file as it is now: resolved" if item is None else item.note))
            preview.show([], [])
            return
        big = item.data.count(b"\n") > SYNC_HIGHLIGHT_LINES
        lines = content_lines(item.data, item.path, highlight_now=not big, own=item.marked.own)
        caption.update(Text("the file as it is now", "bold").append(f" · {len(lines)} lines"))
        marks = [h.line - 1 for h in item.hunks]
        preview.show(lines, marks)
        if item.hunks:
            line = item.hunks[self.hunk_index].line
            preview.scroll_after_layout(max(line - 3, 0))

    # -- keys -------------------------------------------------------------------

    def _reload(self, path: str) -> None:
        files = self.query_one("#hunk-files", OptionList)
        self.files[path] = load_conflict(self.deployment, path) if path in self._open() else None
        files.replace_option_prompt_at_index(self.paths.index(path), self._row(path))

    def _open(self) -> list[str]:
        return conflict_paths(self.deployment, done_ok=True)

    def _next_open(self, after: int) -> int:
        """The next file (round the end) with hunks left after index *after*; else *after*."""
        count = len(self.paths)
        for step in range(1, count + 1):
            index = (after + step) % count
            item = self.files.get(self.paths[index])
            if item is not None and item.hunks:
                return index
        return max(after, 0)

    def action_take(self, take: str) -> None:
        current = self._current()
        item = None if current is None else current[1]
        if current is None or item is None or not item.hunks:
            self.notify("no conflict hunk here", severity="warning", timeout=3)
            return
        path = current[0]
        number = item.hunks[self.hunk_index].number
        try:
            result = take_hunks(self.deployment, path, [number], HunkTake(take), record=self.record)
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self.session.taken += 1
        self._reload(path)
        if not result.left:
            if result.recorded:
                self.session.resolved.append(path)
                self.notify(f"{path}: resolved (base {short(result.recorded)})", timeout=3)
            else:
                self.notify(f"{path}: no hunk left; {result.not_recorded}", timeout=5)
            files = self.query_one("#hunk-files", OptionList)
            files.highlighted = self._next_open(self.paths.index(path))
        self.notify(f"took {TAKE_NAMES[result.take]}", timeout=2)
        self._show()

    def action_undo(self) -> None:
        try:
            result = undo_last(self.deployment)
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="warning", timeout=4)
            return
        self.session.undone += 1
        if result.unrecorded and result.path in self.session.resolved:
            self.session.resolved.remove(result.path)
        if result.path not in self.paths:  # resolved before this screen opened
            self.paths.append(result.path)
            self.query_one("#hunk-files", OptionList).add_option(Text(result.path))
        if result.path in self.paths:
            self._reload(result.path)
            self.query_one("#hunk-files", OptionList).highlighted = self.paths.index(result.path)
            item = self.files.get(result.path)
            numbers = [h.number for h in item.hunks] if item else []
            self.hunk_index = numbers.index(result.hunks[0]) if result.hunks[0] in numbers else 0
        self.notify(f"undid {result.take} in {result.path}", timeout=3)
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

    def action_edit(self) -> None:
        current = self._current()
        if current is None:
            return
        path, item = current
        line = item.hunks[self.hunk_index].line if item is not None and item.hunks else 1
        if not open_in_editor(self, self.deployment.layout.overlay_path / path, line):
            return
        if path in self._open():
            self._after_edit(path)
        self._reload(path)
        self._show()

    def _after_edit(self, path: str) -> None:
        """A file the editor left without conflict markers is resolved (if recording)."""
        item = load_conflict(self.deployment, path)
        if item.hunks or not self.record:
            return
        try:
            resolve_files(self.deployment, [path])
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="warning", timeout=6)
            return
        self.session.resolved.append(path)

    def action_done(self) -> None:
        self.session.left = self._open()
        self.dismiss(self.session)


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

    def _screen_closed(self, session: Session | None) -> None:
        self.session = session
        self.exit(session)


def run_resolve(deployment: Deployment) -> Session:
    """Open the hunk screen on the conflicts of the bump in progress; what was done."""
    app = ResolveApp(deployment)
    app.run()
    return app.session or Session(left=conflict_paths(deployment, done_ok=True))
