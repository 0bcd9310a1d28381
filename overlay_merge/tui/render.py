"""Turning a view of a file (a diff, or the merged content) into styled lines for the screen.

Pure functions of the plan's data: no widgets, no app.  Syntax highlighting
is pygments (through rich), chosen by the file name; diff and conflict
colours are backgrounds laid over it.  Very long files are cut at
:data:`MAX_LINES` and the caption says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from unidiff.patch import PatchSet

from overlay_merge.core.markers import NO_OWN_LINES, OwnLines
from overlay_merge.core.model import View
from overlay_merge.core.views import Conflict, conflicts_in
from overlay_merge.reports.base import plural
from overlay_merge.reports.diff import FileDiff, HunkStat

MAX_LINES = 5000
"""Lines shown per view; the rest of a huge file is cut (the caption says so)."""

MAX_LINE_CHARS = 2000
"""Characters shown per line: a minified file must not stall the screen."""

SYNC_HIGHLIGHT_LINES = 800
"""Up to this many lines are highlighted at once; more are highlighted in a thread."""

THEME = "monokai"

ADDED = Style(bgcolor="#203d2a")
REMOVED = Style(bgcolor="#4a2226")
HUNK = Style(color="#66d9ef", bold=True)
MUTED = Style(color="#8a8a8a")
MARKER = Style(color="#ffffff", bgcolor="#8b1e2d", bold=True)
OURS_SIDE = Style(bgcolor="#1f3352")
BASE_SIDE = Style(bgcolor="#333333")
THEIRS_SIDE = Style(bgcolor="#4a3515")
GUTTER_ADDED = Style(color="#a6e22e", bold=True)
RULE_RESOLVED = Style(bgcolor="#173d3d")  # a hunk a rule resolved (--strategy refined)
GUTTER_RULE = Style(color="#5fd7d7", bold=True)

# C0 controls (but tab) and DEL are drawn as their Unicode pictures: one
# character each, so highlighting offsets stay right, and none reaches the terminal.
_CONTROLS = {c: 0x2400 + c for c in range(32) if c != 9} | {127: 0x2421}


@dataclass
class Rendered:
    """What a view shows: a caption line, the lines, where ``n``/``p`` jump."""

    caption: Text
    lines: list[Text] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)
    plain: bool = False  # not highlighted yet: a thread does it (big files)


def clean(line: str) -> str:
    """*line* safe to draw: no CR at its end, controls as their pictures, cut if huge."""
    line = line.removesuffix("\r")
    if len(line) > MAX_LINE_CHARS:
        line = line[:MAX_LINE_CHARS] + "…"
    return line.translate(_CONTROLS)


_clean = clean


@lru_cache(maxsize=256)
def lexer_for(path: str) -> str:
    """The pygments lexer name for *path* (plain text when none matches)."""
    return Syntax.guess_lexer(path)


@lru_cache(maxsize=1024)
def _without_background(style: str | Style) -> Style:
    # The theme's background would paint over the screen's and hide the
    # diff and conflict backgrounds: keep only the foreground attributes.
    style = Style.parse(style) if isinstance(style, str) else style
    return Style(color=style.color, bold=style.bold, italic=style.italic)


def highlight(code: list[str], path: str) -> list[Text]:
    """*code* lines highlighted as the language of *path*, one Text per line."""
    lexer = lexer_for(path)
    if lexer == "default" or not code:
        return [Text(line) for line in code]
    text = Syntax("", lexer, theme=THEME).highlight("\n".join(code))
    text.style = ""
    text.spans = [span._replace(style=_without_background(span.style)) for span in text.spans]
    lines = text.split("\n", allow_blank=True)
    if len(lines) < len(code):  # a lexer that ate lines: better plain than shifted
        return [Text(line) for line in code]
    return list(lines[: len(code)])


def _decode(data: bytes) -> list[str]:
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _cut_note(total: int) -> str:
    return f" — showing the first {MAX_LINES:,} of {total:,} lines" if total > MAX_LINES else ""


def _size(data: bytes | None) -> str:
    return "absent" if data is None else f"{len(data):,} bytes"


def render(fd: FileDiff, *, highlight_now: bool = True) -> Rendered:
    """The screen lines of one view of one file: the merged content, or a diff."""
    view = fd.view
    if view.binary:
        caption = Text(f"binary: {_size(view.old)} → {_size(view.new)}; no text view", MUTED)
        return Rendered(_with_note(caption, view.note))
    if view.view == View.MERGE_PREVIEW:
        return _render_merged(fd, highlight_now)
    return _render_diff(fd, highlight_now)


def _with_note(caption: Text, note: str) -> Text:
    if note:
        caption.append(f"  ({note})", MUTED)
    return caption


def _render_diff(fd: FileDiff, highlight_now: bool) -> Rendered:
    view = fd.view
    if not view.changed:
        return Rendered(
            _with_note(Text(f"no change: {view.old_label} = {view.new_label}"), view.note)
        )
    lines = fd.text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("@@")), len(lines))
    body = [line for line in lines[start:] if line]
    total = len(body)
    body = body[:MAX_LINES]
    caption = Text(f"{view.old_label} → {view.new_label}: ")
    caption.append(f"+{fd.added}", GUTTER_ADDED).append(f" -{fd.removed}", "bold #f92672")
    caption.append(f" in {len(fd.hunks)} hunk{'s' if len(fd.hunks) != 1 else ''}{_cut_note(total)}")
    code = [_clean(line[1:]) for line in body]
    path = view.new_path if view.new is not None else view.old_path
    texts = highlight(code, path) if highlight_now else [Text(c) for c in code]
    rendered = Rendered(_with_note(caption, view.note))
    hunk_counts = iter(fd.hunks)
    for line, text in zip(body, texts, strict=True):
        sign = line[:1]
        if sign == "@":
            rendered.marks.append(len(rendered.lines))
            rendered.lines.append(_hunk_line(line, next(hunk_counts, None)))
            continue
        style = {"+": ADDED, "-": REMOVED}.get(sign)
        out = Text(sign if sign in "+- " else "\\", style or MUTED)
        out.append_text(text)
        if style is not None:
            out.stylize(style)
        rendered.lines.append(out)
    rendered.plain = not highlight_now
    return rendered


def _hunk_line(line: str, stat: HunkStat | None) -> Text:
    text = Text(_clean(line), HUNK)
    if stat is not None:
        text.append(f"  +{stat.added} -{stat.removed}", MUTED)
    return text


def _added_lines(fd: FileDiff) -> set[int]:
    """0-based lines of the new side that the diff adds (the merge brought them in)."""
    added: set[int] = set()
    if not fd.text:
        return added
    for patched in PatchSet(fd.text):
        for hunk in patched:
            added.update(
                line.target_line_no - 1
                for line in hunk
                if line.is_added and line.target_line_no is not None
            )
    return added


def _render_merged(fd: FileDiff, highlight_now: bool) -> Rendered:
    view = fd.view
    if view.new is None:
        return Rendered(_with_note(Text("the file is removed"), view.note))
    content = _decode(view.new)
    total = len(content)
    content = content[:MAX_LINES]
    conflicts = [c for c in conflicts_in(view.new, view.own) if c.start < MAX_LINES]
    note = view.note
    if conflicts:
        # The note already counts the conflicting hunks: it becomes the caption.
        caption = Text(note or f"{len(conflicts)} conflicts", "bold")
        caption.append(" — n/p: next/previous")
        note = ""
    elif view.changed:
        caption = Text("merged: ").append(f"+{fd.added}", GUTTER_ADDED)
        caption.append(f" -{fd.removed} against the overlay")
    else:
        caption = Text("no change to the overlay file")
    caption.append(_cut_note(total))
    code = [_clean(line) for line in content]
    texts = highlight(code, view.new_path) if highlight_now else [Text(c) for c in code]
    if fd.refinements:  # --strategy refined: the hunks its rules resolved, coloured
        caption.append(f" · {plural(len(fd.refinements), 'hunk')} resolved by rules", GUTTER_RULE)
    rendered = Rendered(_with_note(caption, note), marks=[c.start for c in conflicts])
    spans = [(r.line - 1, r.line - 1 + r.lines) for r in fd.refinements]
    rendered.lines = _merged_lines(texts, conflicts, _added_lines(fd), spans)
    rendered.plain = not highlight_now
    return rendered


def _side_styles(conflicts: list[Conflict]) -> dict[int, Style]:
    styles: dict[int, Style] = {}
    for c in conflicts:
        ours_to = c.base if c.base is not None else c.sep
        styles.update(dict.fromkeys(range(c.start + 1, ours_to), OURS_SIDE))
        styles.update(dict.fromkeys(range(ours_to + 1, c.sep), BASE_SIDE))
        styles.update(dict.fromkeys(range(c.sep + 1, c.end), THEIRS_SIDE))
        styles.update((i, MARKER) for i in (c.start, c.base, c.sep, c.end) if i is not None)
    return styles


def _merged_lines(
    texts: list[Text],
    conflicts: list[Conflict],
    added: set[int],
    rules: Sequence[tuple[int, int]] = (),
) -> list[Text]:
    """Numbered lines, conflict sides coloured, *rules*' lines ([start, end)) in their colour."""
    width = len(str(len(texts)))
    styles = _side_styles(conflicts)
    for start, end in rules:
        styles.update(dict.fromkeys(range(start, end), RULE_RESOLVED))
    out = []
    for index, text in enumerate(texts):
        line = Text(f"{index + 1:>{width}} ", MUTED)
        if styles.get(index) is RULE_RESOLVED:
            line.append("▐", GUTTER_RULE)
        else:
            line.append("▌" if index in added else " ", GUTTER_ADDED)
        body = text.copy()
        style = styles.get(index)
        if style is not None:
            body.stylize(style)
        line.append_text(body)
        out.append(line)
    return out


def content_lines(
    data: bytes,
    path: str,
    *,
    highlight_now: bool = True,
    own: OwnLines = NO_OWN_LINES,
    rules: Sequence[tuple[int, int]] = (),
) -> list[Text]:
    """A file's own content as numbered lines, conflict sides coloured (the hunk preview).

    *own*: the file's own marker-like content lines (``MarkedFile.own``); *rules*:
    the lines ([start, end), 0-based) of the hunks rules resolved.
    """
    content = _decode(data)[:MAX_LINES]
    conflicts = [c for c in conflicts_in(data, own) if c.start < MAX_LINES]
    code = [_clean(line) for line in content]
    texts = highlight(code, path) if highlight_now else [Text(c) for c in code]
    return _merged_lines(texts, conflicts, set(), rules)


def side_lines(lines: list[bytes], style: Style) -> list[Text]:
    """One side of a conflict hunk, on its side's background."""
    return [
        Text("  ").append(_clean(line.decode("utf-8", "replace").rstrip("\r\n")), style)
        for line in lines[:MAX_LINES]
    ]
