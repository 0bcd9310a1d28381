"""``$VISUAL`` / ``$EDITOR`` from a screen: the command for an editor at a line, and the visit."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

from textual.app import SuspendNotSupported
from textual.screen import Screen

# Editors that open a file at a line, and how (docs/tui.md lists them).
PLUS_LINE_EDITORS = frozenset(
    {"vi", "vim", "nvim", "view", "nano", "emacs", "emacsclient", "micro"}
)
GOTO_EDITORS = frozenset({"code", "code-insiders", "codium"})  # -g file:line


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


def read_or_none(file: Path) -> bytes | None:
    """The bytes of *file*, None when it cannot be read (absent, a folder)."""
    try:
        return file.read_bytes()
    except OSError:
        return None
