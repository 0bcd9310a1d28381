"""The hunk screen's view of one hunk: side by side when the terminal is wide, else stacked.

Side by side (from :data:`~overlay_merge.tui.sides.WIDE` columns): the
overlay's side left, upstream's right, equal lines facing each other, and
the base between them on demand (``s``).  Stacked: the overlay's side then
upstream's, one header line each, the base below on demand.  Either way
each side's changed words are marked and the view opens scrolled to the
first of them.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from overlay_merge.core.takes import HunkView
from overlay_merge.tui.sides import (
    GUTTER,
    WIDE,
    Side,
    aligned,
    first_changes,
    hunk_sides,
    stacked,
)
from overlay_merge.tui.widgets import LinesView

COLUMNS = ("side-ours", "side-base", "side-theirs")


class HunkSides(Horizontal):
    """One hunk's sides; :meth:`show` lays them out for the width the app has now."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.wide = False
        self.base_shown = False

    def compose(self) -> ComposeResult:
        yield LinesView(id="side-stack")
        for name in COLUMNS:
            # The column's title stays put while its lines scroll sideways.
            with Vertical(id=f"{name}-box", classes="side-column"):
                yield Static(id=f"{name}-head")
                yield LinesView(id=name)

    def views(self) -> list[LinesView]:
        """The views on screen now (one stacked, or the columns)."""
        if not self.wide:
            return [self.query_one("#side-stack", LinesView)]
        shown = COLUMNS if self.base_shown else (COLUMNS[0], COLUMNS[2])
        return [self.query_one(f"#{name}", LinesView) for name in shown]

    def show(self, view: HunkView | None, path: str) -> None:
        """*view*'s sides (None: nothing), laid out for the app's width."""
        self.wide = self.app.size.width >= WIDE
        stack = self.query_one("#side-stack", LinesView)
        stack.display = not self.wide
        for name in COLUMNS:
            pane = self.query_one(f"#{name}-box")
            pane.display = self.wide and (name != "side-base" or self.base_shown)
        # A file without hunks has no sides: the file as it is now takes the room.
        self.display = view is not None
        if view is None:
            for empty in self.query(LinesView):
                empty.show([], [])
            return
        ours, base, theirs = hunk_sides(view)
        columns = [first + GUTTER for first in first_changes(ours, theirs)]
        if not self.wide:
            sides = (ours, theirs, base) if self.base_shown else (ours, theirs)
            lines, titles = stacked(sides, path)
            stack.show(lines, [], pinned=titles)
            stack.scroll_after_layout(0, columns)
            return
        left, right = aligned(ours, theirs, path)
        contents: dict[str, tuple[Side, list[Text]]] = {
            "side-ours": (ours, left),
            "side-base": (base, base.body(path) if self.base_shown else []),
            "side-theirs": (theirs, right),
        }
        for name, (side, content) in contents.items():
            self.query_one(f"#{name}-head", Static).update(
                Text("\n").join(side.head(compact=False))
            )
            target = self.query_one(f"#{name}", LinesView)
            target.show(content, [])
            if name != "side-base":
                target.scroll_after_layout(0, columns)
