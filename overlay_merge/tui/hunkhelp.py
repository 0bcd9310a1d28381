"""The hunk screen's words: its rows, the keys that apply to a file, its help, its session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text

from overlay_merge.core.model import HunkTake
from overlay_merge.core.ruleundo import RuleHunkView
from overlay_merge.core.takes import ConflictFile, HunkView
from overlay_merge.reports.hunks import TAKE_NAMES
from overlay_merge.tui.keybar import Key
from overlay_merge.tui.widgets import shorten_path

if TYPE_CHECKING:
    from overlay_merge.tui.hunkentries import Entry
    from overlay_merge.tui.hunkview import HunkSides

STATUS_WIDTH = 8

HUNK_HELP = """\
[b]a hunk[/b]
  o        take the overlay's side
  u        take upstream's side
  b        both, the overlay's lines first
  B        both, upstream's lines first
           (b and B leave the file for a look: Enter records
           it; l turns that off)
  a        take its suggestion, when it has one (suggested: ...)
  s        show / hide the base
  n p      next / previous hunk of the file (with the hunks
           rules resolved, in their own colour)
[b]a hunk a rule resolved[/b] (bump --strategy refined)
  x        put the plain conflict back (as --strategy line
           writes it), to settle like any other; z undoes
[b]a file without hunks[/b]
  o u      deleted upstream: keep it as an addition / delete it
           binary: the overlay's version / upstream's
  Enter y  record a file with no hunk left, as it is
[b]any file[/b]
  z        undo the last choice (a record, an edit too)
  e        $EDITOR at the hunk (recorded only if it changed)
  r        record files once settled: on / off (git add later)
  ↑ ↓      pick a file; Tab: the view (↑ ↓ ← → scroll it)
  ?        this help
  q Esc    done"""


@dataclass
class Session:
    """What was done on the hunk screen, for the report printed once it closes."""

    taken: int = 0
    undone: int = 0
    resolved: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # each choice still standing, in order


def whole_names(item: ConflictFile) -> tuple[str, str] | None:
    """What ``o`` and ``u`` do to a file decided as a whole; None when they do not apply."""
    if not item.whole:
        return None
    if item.upstream_deleted:
        return "keep as an addition", "delete it"
    if item.binary:
        return "the overlay's", "upstream's"
    return None


def _status(item: ConflictFile | None, rules: int) -> tuple[str, str]:
    if item is None and rules:
        return f"{rules} rule{'s' if rules > 1 else ''}", "bold #5fd7d7"
    if item is None:
        return "resolved", "bold green"
    if item.hunks:
        return f"{len(item.hunks)} left", "bold red"
    if item.data is None:
        return "deleted", "bold magenta"
    if item.marked.problem is not None:
        return "broken", "bold red"
    if item.upstream_deleted:
        return "keep/del", "bold magenta"
    if item.binary:
        return "binary", "bold yellow"
    return "record", "bold cyan"


def file_row(path: str, item: ConflictFile | None, width: int, rules: int = 0) -> Text:
    """A row of the hunk screen's file list: what the file needs, then its path, on one line.

    *rules*: the hunks rules resolved there, shown for a file with nothing left to do.
    """
    status, style = _status(item, rules)
    row = Text(f" {status:<{STATUS_WIDTH}} ", style)
    row.append(shorten_path(path, max(width - STATUS_WIDTH - 2, 1)))
    return row


def file_keys(
    item: ConflictFile | None, selected: bool, sides: HunkSides, entry: Entry | None = None
) -> list[Key]:
    """The keys that apply to the selected file and hunk, for the key bar (``q ? n/p`` always)."""
    keys = [Key("q", "Done", keep=True), Key("?", "Keys", keep=True)]
    if isinstance(entry, RuleHunkView):
        keys.append(Key("n/p", "Hunk", keep=True))
        if entry.plain is not None:
            keys.append(Key("x", "Plain conflict", keep=True))
        keys.append(Key("s", "Hide base" if sides.base_shown else "Base"))
    elif entry is not None:
        keys.append(Key("n/p", "Hunk", keep=True))
        if entry.suggestion is not None:
            keys.append(Key("a", "Suggested", keep=True))
        keys += [Key("o", "Overlay"), Key("u", "Upstream"), Key("b", "Both"), Key("B", "Both⇅")]
        keys.append(Key("s", "Hide base" if sides.base_shown else "Base"))
    elif item is not None:
        names = whole_names(item)
        if item.upstream_deleted and names:
            keys += [Key("o", "Keep"), Key("u", "Delete")]
        elif names:
            keys += [Key("o", "Overlay"), Key("u", "Upstream")]
        elif item.whole:
            keys.append(Key("Enter", "Record"))
    if selected:
        keys += [Key("z", "Undo"), Key("e", "Edit"), Key("r", "Record on/off")]
    return keys


def what_was_done(item: ConflictFile, entry: HunkView | None, take: HunkTake) -> str:
    """What a choice did, for the session's report: ``PATH hunk 2: upstream's side``."""
    if entry is not None:
        return f"{item.path} hunk {entry.number}: {TAKE_NAMES[take]}"
    overlay = take == HunkTake.OVERLAY
    if item.upstream_deleted:
        return f"{item.path}: {'kept as an addition' if overlay else 'deleted'}"
    return f"{item.path}: {'the overlay' if overlay else 'upstream'}'s version"


def why_no_take(item: ConflictFile) -> str:
    if item.data is None:
        return "the file is deleted here: Enter records that (`resolve` drops it)"
    if item.marked.problem is not None:
        return f"{item.note} (e opens the editor)"
    if whole_names(item) is not None:
        return "a whole file takes one side: o or u"
    return "no hunk left: Enter records it, e edits it, z undoes the last choice"
