"""The key bar at the foot of every screen: the keys that apply now, fitted to the width.

textual's own footer shows every binding in order and cuts the line at the
right edge, so at 80 columns the keys that matter most (``q``, ``?``,
``n``/``p``) were the first lost.  Here each screen says which keys apply to
what is selected, the ones marked ``keep`` are always shown, and the others
are added in the screen's order of importance while they fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

KEY_STYLE = Style(color="#ffd54f", bold=True)
LABEL_STYLE = Style(color="#d0d0d0")
GAP = 2  # columns between two keys


@dataclass(frozen=True)
class Key:
    """One key of the bar: what to press (as shown), what it does, whether it always shows."""

    key: str
    label: str
    keep: bool = False

    @property
    def width(self) -> int:
        return len(self.key) + 1 + len(self.label)  # "k label"


def fit(keys: Sequence[Key], width: int) -> list[Key]:
    """The keys shown in *width* columns: every ``keep`` key, then the others in order.

    Shown in the order given; a key that does not fit is left out, and the
    ones after it may still fit.
    """
    room = width - 1
    chosen: set[int] = set()
    for index, key in enumerate(keys):
        if key.keep:
            chosen.add(index)
            room -= key.width + GAP
    for index, key in enumerate(keys):
        if not key.keep and key.width + GAP <= room:
            chosen.add(index)
            room -= key.width + GAP
    return [key for index, key in enumerate(keys) if index in chosen]


def key_line(keys: Sequence[Key], width: int) -> Text:
    """The bar's one line: the keys :func:`fit` keeps for *width*."""
    line = Text(" ", no_wrap=True, overflow="crop")
    for index, key in enumerate(fit(keys, width)):
        if index:
            line.append(" " * GAP)
        line.append(key.key, KEY_STYLE).append(f" {key.label}", LABEL_STYLE)
    return line


class KeyBar(Widget):
    """The key bar: one line, the keys the screen set last (:meth:`set_keys`)."""

    DEFAULT_CSS = """
    KeyBar { height: 1; dock: bottom; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: list[Key] = []

    def set_keys(self, keys: Sequence[Key]) -> None:
        """Show *keys* (redrawn only when they change)."""
        if list(keys) != self.keys:
            self.keys = list(keys)
            self.refresh()

    @property
    def shown(self) -> list[Key]:
        """The keys on screen now (what tests read)."""
        return fit(self.keys, self.size.width)

    def render(self) -> Text:
        return key_line(self.keys, self.size.width)
