"""The pieces of the bump screen: state badges, the file list, the line viewer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from overlay_merge.core.model import BumpState, Decision
from overlay_merge.core.plan import FilePlan

# Short badge labels keep the file list usable at 80 columns; the full
# state name is on the file's info line.
BADGES = {
    BumpState.UNCHANGED: ("unchanged", "#5f6368"),
    BumpState.CLEAN: ("clean", "#2e7d32"),
    BumpState.CONFLICT: ("conflict", "#c62828"),
    BumpState.CONVERGED: ("converged", "#00838f"),
    BumpState.DELETED_UPSTREAM: ("deleted", "#8e24aa"),
    BumpState.RENAMED_UPSTREAM: ("renamed", "#1565c0"),
    BumpState.ADDED_UPSTREAM: ("added", "#e65100"),
    BumpState.BINARY: ("binary", "#8d6e00"),
    BumpState.DEPENDS_ON_CHANGED: ("depends", "#ad1457"),
}
BADGE_WIDTH = max(len(label) for label, _ in BADGES.values()) + 2

DECISION_LABELS = {
    Decision.KEEP_OVERLAY: "keep",
    Decision.TAKE_UPSTREAM: "upstream",
    Decision.DROP: "drop",
    Decision.CONFIRM: "confirm",
}
DECISION_STYLE = Style(color="#ffd54f", bold=True)


def badge(state: BumpState, count: int | None = None, *, full: bool = False) -> Text:
    """A state as a coloured badge: padded for the file list, or *count* in front, or *full*."""
    label, colour = BADGES.get(state, (state, "#5f6368"))
    if full:
        body = f" {state} "
    elif count is not None:
        body = f" {count} {label} "
    else:
        body = f" {label:<{BADGE_WIDTH - 2}} "
    # A span, not the Text's own style: text appended to a badge must not inherit it.
    return Text().append(body, f"bold white on {colour}")


def counts_line(files: Sequence[FilePlan]) -> Text:
    """``12 files`` and one badge per state present, in the order of docs/design.md §5."""
    counts = Counter(f.state for f in files)
    line = Text(f"{len(files)} file{'s' if len(files) != 1 else ''}: ")
    for state in BumpState:
        if counts.get(state):
            line.append_text(badge(state, counts[state]))
    if files and counts.get(BumpState.UNCHANGED) == len(files):
        line.append("  the overlay is up to date with the target", "bold")
    return line


def shorten_path(path: str, width: int) -> str:
    """*path* in *width* cells, shortened at its separators, never inside a name.

    The leading folders go first (``…/api/source.py``): the file name and
    its nearest folders matter most; the top folder stays when it fits with
    as many of them (``app/…/source.py``).  Only a file name wider than
    *width* alone is cut (at its end, with ``…``).
    """
    if len(path) <= width:
        return path
    parts = path.split("/")
    for tail in range(len(parts) - 1, 0, -1):
        kept = "/".join(parts[-tail:])
        if len(parts) - tail >= 2 and len(parts[0]) + 3 + len(kept) <= width:
            return f"{parts[0]}/…/{kept}"
        if 2 + len(kept) <= width:
            return f"…/{kept}"
    name = parts[-1]
    return name if len(name) <= width else name[: max(width - 1, 0)] + "…"


def left_truncate(path: str, width: int) -> str:
    """*path* cut to *width* cells at its separators (kept for callers: :func:`shorten_path`)."""
    return shorten_path(path, width)


def file_row(item: FilePlan, width: int) -> Text:
    """One line of the file list: badge, path (shortened to fit), decision."""
    decision = DECISION_LABELS.get(item.decision, "")
    room = max(width - BADGE_WIDTH - 1 - (len(decision) + 1 if decision else 0), 1)
    line = badge(item.state)
    line.append(" " + shorten_path(item.path, room).ljust(room))
    if decision:
        line.append(" " + decision, DECISION_STYLE)
    return line


class RowList(ScrollView, can_focus=True):
    """A list of one-line rows, the highlighted one in reverse (bright while focused).

    A Line API widget: only the rows on screen are ever rendered, so a list
    of thousands opens as fast as one of ten; each row is made for the
    width it gets (``row(index, width)``), so nothing wraps.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "move(-1_000_000_000)", "First", show=False),
        Binding("end", "move(1_000_000_000)", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"row-list--cursor", "row-list--cursor-blurred"}
    DEFAULT_CSS = """
    RowList > .row-list--cursor { background: $block-cursor-background; text-style: bold; }
    RowList > .row-list--cursor-blurred { background: $panel-lighten-2; text-style: none; }
    """

    highlighted: reactive[int | None] = reactive(None, always_update=True)

    class Highlighted(Message):
        """The highlighted row changed to *index*."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, row: Callable[[int, int], Text], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._row = row
        self.count = 0

    def set_count(self, count: int) -> None:
        """Show *count* rows (all redrawn)."""
        self.count = count
        self.virtual_size = Size(0, count)
        self.refresh()

    def validate_highlighted(self, index: int | None) -> int | None:
        if index is None or not self.count:
            return None
        return min(max(index, 0), self.count - 1)

    def watch_highlighted(self, index: int | None) -> None:
        if index is None:
            return
        self.scroll_to_region(Region(0, index, 1, 1), animate=False, force=True, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(index))

    def action_move(self, step: int) -> None:
        self.highlighted = (self.highlighted or 0) + step

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.size.height - 1, 1))

    def on_click(self, event: events.Click) -> None:
        self.highlighted = round(self.scroll_y) + event.y

    def on_focus(self) -> None:
        self.refresh()  # the cursor brightens: where the keys go is visible

    def on_blur(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """One row, rendered only when on screen."""
        index = round(self.scroll_y) + y
        width = self.size.width
        if index >= self.count:
            return Strip.blank(width, self.rich_style)
        line = self._row(index, width)
        if index == self.highlighted:
            name = "row-list--cursor" if self.has_focus else "row-list--cursor-blurred"
            line.stylize(self.get_component_rich_style(name), self.cursor_from(line))
        strip = Strip(line.render(self.app.console), line.cell_len)
        return strip.crop_extend(0, width, self.rich_style).apply_style(self.rich_style)

    def cursor_from(self, line: Text) -> int:
        """Where the cursor's colour starts in a row (after its badge)."""
        return 0


class FileList(RowList):
    """The plan's files, one row each: badge, path, decision."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(lambda index, width: file_row(self.files[index], width), id=id)
        self.files: list[FilePlan] = []

    def set_files(self, files: Sequence[FilePlan]) -> None:
        """Show *files*."""
        self.files = list(files)
        self.set_count(len(self.files))

    def update_file(self, index: int, item: FilePlan) -> None:
        """Redraw one row (after a decision)."""
        self.files[index] = item
        self.refresh()

    def cursor_from(self, line: Text) -> int:
        return BADGE_WIDTH  # the badge keeps its colour


class LinesView(ScrollView, can_focus=True):
    """A scrollable, read-only view of styled lines (the Line API: huge files stay fast).

    ``marks`` are the lines ``n``/``p`` jump to (conflicts, or hunks).
    """

    # The arrows, PgUp/PgDn and Home/End scroll it as they do any ScrollView (whose
    # bindings it inherits); the space bar pages down too, as in a pager.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "page_down", "Page down", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content: list[Text] = []
        self._strips: dict[int, Strip] = {}
        self.marks: list[int] = []
        self.pinned: frozenset[int] = frozenset()
        self.jump_to_first = False
        self._mark: int | None = None  # the mark last jumped to
        self._pending = 0  # scrolls waiting for the next layout (see ``pending``)

    @property
    def pending(self) -> bool:
        """True while a scroll asked for is waiting for the view to be laid out.

        What tests (and anything reading ``scroll_y``) wait on: once False,
        the view is where ``show`` or ``scroll_after_layout`` put it.
        """
        return self._pending > 0

    def show(
        self,
        lines: list[Text],
        marks: list[int],
        *,
        keep_position: bool = False,
        pinned: frozenset[int] = frozenset(),
    ) -> None:
        """Replace the content; at the first mark (or the top) unless *keep_position*.

        *pinned* lines (titles) do not scroll sideways with the others.
        """
        self._content = lines
        self._strips = {}
        self.marks = marks
        self.pinned = pinned
        width = max((line.cell_len for line in lines), default=0)
        self.virtual_size = Size(width, len(lines))
        if not keep_position:
            self._mark = None
            self.scroll_to(0, 0, animate=False)
            if self.jump_to_first and marks:
                # A conflict is what the maintainer came for: open on it, once
                # laid out (a view not yet sized cannot scroll).
                self._after_layout(self._open_on_first_mark)
        self.refresh()

    def scroll_after_layout(self, y: int, columns: Sequence[int] = ()) -> None:
        """Scroll to line *y* once the view is laid out (a view not yet sized cannot scroll).

        With *columns*, also sideways so that as many of them as can be are in
        view, the first one always (with a little of the line before it).
        """
        self._after_layout(lambda: self._scroll_line(y, columns))

    def _scroll_line(self, y: int, columns: Sequence[int]) -> None:
        if columns and not self.size.width:  # not laid out yet: the width is not known
            self._after_layout(lambda: self._scroll_line(y, columns))
            return
        x = 0
        if columns:
            # As if the vertical scrollbar were shown: whether it is may change with the
            # next layout, and the place scrolled to must not depend on when this runs.
            width = self.size.width - self.styles.scrollbar_size_vertical
            need = max(columns) + 8 - width  # the last one in view, with room after it
            x = max(0, min(need, min(columns) - 4))
        self.scroll_to(x=x, y=y, animate=False)

    def _after_layout(self, callback: Callable[[], object]) -> None:
        self._pending += 1

        def run() -> None:
            try:
                callback()
            finally:
                self._pending -= 1

        self.call_after_refresh(run)

    def render_line(self, y: int) -> Strip:
        """One screen line: the cached strip of the content line, cropped to the view."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        if index >= len(self._content):
            return Strip.blank(self.size.width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            text = self._content[index]
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._strips[index] = strip
        left = 0 if index in self.pinned else scroll_x
        return strip.crop(left, left + self.size.width).apply_style(self.rich_style)

    def _open_on_first_mark(self) -> None:
        self._mark = None
        self.jump(1)

    def jump(self, step: int) -> int | None:
        """Scroll to the next (*step* 1) or previous (-1) mark, round the ends; its index."""
        if not self.marks:
            return None
        if self._mark is None:
            index = 0 if step > 0 else len(self.marks) - 1
        else:
            # Counted, not found from the scroll position: the last marks of a
            # file may never reach the top of the view.
            index = (self._mark + step) % len(self.marks)
        self._mark = index
        self.scroll_to(y=max(self.marks[index] - 2, 0), animate=False)
        return index


def is_settled(app: App[object]) -> bool:
    """True once the app is where its last key put it: no scroll waiting, no worker running.

    Tests wait on this (``await pilot.pause()`` until it holds), never on time.
    """
    if any(not worker.is_finished for worker in app.workers):
        return False
    return not any(view.pending for screen in app.screen_stack for view in screen.query(LinesView))
