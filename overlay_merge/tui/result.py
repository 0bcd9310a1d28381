"""After a merge: the report of what was written, the files left to resolve, the doors
to the hunk screen and to an editor; what is printed once the bump screen closes."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.hunks import parse
from overlay_merge.core.model import Decision
from overlay_merge.core.plan import BumpPlan, FilePlan
from overlay_merge.core.takes import conflict_paths
from overlay_merge.reports.base import Report, plural
from overlay_merge.reports.bump import ApplyReport
from overlay_merge.reports.hunks import HunkSessionReport
from overlay_merge.tui.editor import open_in_editor
from overlay_merge.tui.hunks import HunkScreen, Session
from overlay_merge.tui.keybar import Key, KeyBar
from overlay_merge.tui.render import GUTTER_RULE
from overlay_merge.tui.widgets import RowList, badge, shorten_path


class ResultScreen(ModalScreen[None]):
    """After a merge: what was written, the files left to resolve, an editor on them.

    Modal, so that the bump screen's keys (``m``, ``u``...) are off: the
    choice is made.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,h", "hunks", "Hunk by hunk", show=False),
        Binding("e", "edit", "Edit in $EDITOR", show=False),
        Binding("question_mark", "app.keys", "Keys", show=False),
        Binding("q,escape", "done", "Done", show=False),
    ]
    KEYS = (
        Key("q", "Done", keep=True),
        Key("?", "Keys", keep=True),
        Key("Enter", "Hunk by hunk"),
        Key("e", "Edit in $EDITOR"),
    )

    def __init__(
        self, plan: BumpPlan, report: Report, root: Path, deployment: Deployment | None = None
    ) -> None:
        super().__init__()
        self.plan = plan
        self.report = report
        self.root = root
        self.deployment = deployment
        # The files left to resolve, then those rules merged clean (--strategy refined):
        # the hunk screen shows their rules' hunks, x puts one back as a conflict.
        ruled = [f for f in plan.files if f.refinements and not f.conflicting]
        self.items = (*plan.conflicting, *(f for f in ruled if f.decision == Decision.TAKE_MERGE))
        self.session: Session | None = None  # what the hunk screen did, once opened

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="report"):
            yield Static(Text(self.report.render("text")), id="report-text")
        if self.items:
            yield Static(
                Text(
                    "to resolve: Enter takes sides hunk by hunk; e opens the file in $EDITOR "
                    "(or `git mergetool`, then `overlay-merge resolve`)",
                    "bold",
                ),
                id="resolve-hint",
            )
            yield RowList(self.row_text, id="to-resolve")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.query_one(KeyBar).set_keys(self.KEYS if self.items else self.KEYS[:2])
        if self.items:
            rows = self.query_one("#to-resolve", RowList)
            rows.set_count(len(self.items))
            rows.highlighted = 0
            rows.focus()  # ↑ ↓ pick the file for Enter and e

    def on_row_list_highlighted(self, event: RowList.Highlighted) -> None:
        event.stop()  # not the bump screen's file list

    def row_text(self, index: int, width: int) -> Text:
        """Row *index* as things stand now, fitted to *width* (path shortened at separators)."""
        item = self.items[index]
        tail = self._row(item)
        room = max(width - tail.cell_len - 2, 12)
        return Text(" " + shorten_path(item.target_path, room) + " ").append_text(tail)

    def _row(self, item: FilePlan) -> Text:
        row = badge(item.state, full=True)
        left = self._left()
        if not item.conflicting and (left is None or item.target_path not in left):
            # Merged clean by rules (unless x put a plain conflict back since).
            return row.append(f" {plural(len(item.refinements), 'hunk')} by rules", GUTTER_RULE)
        if left is not None and item.target_path not in left:
            return row.append(" resolved", "bold green")
        if item.content is None:
            # Binary, deleted upstream: no markers were written; a whole-file choice is due.
            return row.append(" to decide (Enter)", "yellow")
        full = self.root / self.plan.overlay / item.target_path
        try:
            data = full.read_bytes() if full.is_file() else b""
        except OSError:
            data = b""
        marked = parse(data, item.own_lines())
        if not marked.in_conflict:
            return row.append(" no markers left", "green")
        if marked.problem is not None:
            return row.append(f" broken markers (line {marked.problem.line})", "red")
        hunks = len(marked.hunks)
        return row.append(f" markers left ({plural(hunks, 'hunk')})", "red")

    def action_hunks(self) -> None:
        if self.deployment is None or not self.items:
            self.notify("no file left to resolve", timeout=3)
            return
        index = self.query_one("#to-resolve", RowList).highlighted or 0
        try:
            screen = HunkScreen(self.deployment, self.items[index].target_path, self.session)
        except OverlayMergeError as exc:
            self.notify(str(exc), severity="warning", timeout=5)
            return
        self.app.push_screen(screen, self._hunks_done)

    def _hunks_done(self, session: Session | None) -> None:
        if session is not None:
            self.session = session  # the screen carried on the earlier visits' session
        self._refresh()

    def _refresh(self) -> None:
        """The report and the rows as things stand now (after the hunk screen, an editor)."""
        self.query_one("#report-text", Static).update(Text(self.final_report().render("text")))
        if self.items:
            self.query_one("#to-resolve", RowList).refresh()
            if self._left() == []:
                done = Text("every conflict is resolved: q prints the report", "bold green")
                self.query_one("#resolve-hint", Static).update(done)

    def action_edit(self) -> None:
        if not self.items:
            self.notify("no file left to resolve", timeout=3)
            return
        index = self.query_one("#to-resolve", RowList).highlighted or 0
        path = self.items[index].target_path
        if not open_in_editor(self, self.root / self.plan.overlay / path):
            return
        self._refresh()

    def _left(self) -> list[str] | None:
        """The files of the bump still in conflict now (None when that cannot be read)."""
        if self.deployment is None:
            return None
        try:
            return conflict_paths(self.deployment, done_ok=True)
        except OverlayMergeError:
            return None

    def final_report(self) -> Report:
        """What is printed once the screen closes, computed now: not the report of the merge
        as it was written, but every file as it stands (resolved ones as resolved)."""
        left = self._left()
        report: Report = self.report
        if left is not None and isinstance(report, ApplyReport):
            report = report.now(left)
        if self.session is not None:
            s = self.session
            still = tuple(left) if left is not None else tuple(s.left)
            report = HunkSessionReport(
                s.taken, s.undone, tuple(s.resolved), still, before=report, done=tuple(s.done)
            )
        return report

    def action_done(self) -> None:
        report = self.final_report()
        self.app.exit(report, return_code=report.return_code)
