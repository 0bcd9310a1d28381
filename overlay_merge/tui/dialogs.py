"""The bump screen's modal dialogs: the question before a choice that writes, read-only panels."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before a choice that writes: ``y`` or Enter accepts, ``n`` or Escape does not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question)
            yield Static(Text.from_markup("[b]y[/b]/[b]Enter[/b] yes    [b]n[/b]/[b]Esc[/b] no"))

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class InfoScreen(ModalScreen[None]):
    """A read-only panel (the commits of the range, the keys); any of q, Escape, Enter closes.

    Its body scrolls (↑ ↓ PgUp PgDn Home End, focused when opened) and is cut
    to the terminal's height, so its last line is reachable at any size.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape,enter,l,question_mark", "close", "Close")
    ]
    # The dialog's border (2), padding (2), title (1) and hint (1) around the body.
    CHROME = 6

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text(self.title_text, "bold"), id="info-title")
            with VerticalScroll(id="info-body"):
                yield Static(self.body)
            yield Static(Text("↑ ↓ PgUp PgDn Home End: scroll · q/Esc: close", "dim"))

    def on_mount(self) -> None:
        self._fit()
        self.query_one("#info-body", VerticalScroll).focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        # The dialog may take 90% of the height (app.tcss); the body what is left of it.
        height = self.app.size.height * 9 // 10 - self.CHROME
        self.query_one("#info-body", VerticalScroll).styles.max_height = max(height, 1)

    def action_close(self) -> None:
        self.dismiss(None)


MIN_WIDTH, MIN_HEIGHT = 60, 18
"""Below this size the screens cannot show a file and its keys: a notice covers them."""


class TooSmallScreen(ModalScreen[None]):
    """Covers every screen while the terminal is below :data:`MIN_WIDTH` x :data:`MIN_HEIGHT`.

    It has no keys of its own: the screens under it wait, ``ctrl+q`` quits.
    """

    def compose(self) -> ComposeResult:
        with Center():
            yield Static(id="too-small")

    def on_mount(self) -> None:
        self.update(*self.app.size)

    def update(self, width: int, height: int) -> None:
        """Say the size now and the size needed."""
        self.query_one("#too-small", Static).update(
            Text.assemble(
                ("terminal too small", "bold"),
                f": {width}x{height}; overlay-merge needs {MIN_WIDTH}x{MIN_HEIGHT}.\n",
                "Make the window larger (nothing is lost; ctrl+q quits).",
            )
        )


def guard_size(app: App[Any], size: Size | None = None) -> None:
    """Cover the app with :class:`TooSmallScreen` while it is too small; uncover it after.

    *size*: the new size, when called on a resize (the app's own is still the old one).
    """
    width, height = size or app.size
    small = width < MIN_WIDTH or height < MIN_HEIGHT
    top = app.screen_stack[-1] if app.screen_stack else None
    if small and not isinstance(top, TooSmallScreen):
        app.push_screen(TooSmallScreen())
    elif small and isinstance(top, TooSmallScreen):
        top.update(width, height)
    elif isinstance(top, TooSmallScreen):
        app.pop_screen()
