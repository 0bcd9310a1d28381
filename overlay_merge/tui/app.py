"""The bump screen and the reviewer's view: a textual app over the CLI's own plan.

The app has no merge or apply logic.  It shows a :class:`BumpPlan` (states,
the three views of every file), collects per-file decisions and one of the
three choices, and hands them to the *apply* callback the CLI gives it — the
function the CLI runs for ``--choice`` too — whose report it returns, with
the report's exit code.  ``review`` is the same screen without choices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Static, TabbedContent, TabPane, Tabs

from overlay_merge.core.decisions import allowed_decisions, decide
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.model import BumpChoice, BumpState, Decision, View
from overlay_merge.core.plan import BumpPlan, FilePlan
from overlay_merge.reports.base import EXIT_CANNOT, Report, plural, short
from overlay_merge.reports.diff import FileDiff, diff_file
from overlay_merge.tui.bumpkeys import KEYS_HELP, bump_keys
from overlay_merge.tui.dialogs import ConfirmScreen, InfoScreen, guard_size
from overlay_merge.tui.keybar import KeyBar
from overlay_merge.tui.render import GUTTER_RULE, SYNC_HIGHLIGHT_LINES, Rendered, render
from overlay_merge.tui.result import ResultScreen
from overlay_merge.tui.widgets import (
    BADGE_WIDTH,
    FileList,
    LinesView,
    badge,
    counts_line,
    shorten_path,
)

Apply = Callable[[BumpChoice, Mapping[str, str]], Report]
CacheKey = tuple[str, str, str, int]  # path, view, decision, imported module shown
"""What the CLI does with a choice (``merge``, ``update``, ``cancel``) and the decisions."""

TAB_TITLES = {
    View.OVERLAY_CHANGES: "1 Overlay",
    View.UPSTREAM_CHANGES: "2 Upstream",
    View.MERGE_PREVIEW: "3 Merge preview",
}
DECISION_NAMES = {
    Decision.TAKE_MERGE: "take the merge",
    Decision.KEEP_OVERLAY: "keep the overlay",
    Decision.TAKE_UPSTREAM: "take upstream's version",
    Decision.DROP: "drop the overlay file",
    Decision.CONFIRM: "confirmed: its base moves",
}


class BumpApp(App[Report | None]):
    """The bump screen (``review=True``: the read-only reviewer's view)."""

    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "overlay-merge"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "choose('merge')", "Stop and merge", show=False),
        Binding("u", "choose('update')", "Update anyway", show=False),
        Binding("c", "choose('cancel')", "Cancel", show=False),
        Binding("q", "review_quit", "Quit", show=False),  # review: q quits (check_action)
        Binding("q,escape,ctrl+c", "quit_app", "Quit", show=False),
        Binding("question_mark", "keys", "Keys", show=False),
        Binding("a", "decide('merge')", "Merge", show=False),
        Binding("k", "decide('keep')", "Keep", show=False),
        Binding("t", "decide('upstream')", "Upstream", show=False),
        Binding("d", "decide('drop')", "Drop", show=False),
        Binding("o", "decide('confirm')", "Confirm", show=False),
        Binding("i", "imported", "Imported module", show=False),
        Binding("n", "jump(1)", "Next conflict", show=False),
        Binding("p", "jump(-1)", "Prev", show=False),
        Binding("l", "commits", "Commits", show=False),
        Binding("1", "tab('patch')", "Overlay", show=False),
        Binding("2", "tab('upstream')", "Upstream", show=False),
        Binding("3", "tab('merged')", "Merge", show=False),
    ]

    def __init__(
        self,
        plan: BumpPlan,
        *,
        apply: Apply | None = None,
        root: Path | None = None,
        review: bool = False,
        deployment: Deployment | None = None,
        commit_range: tuple[str, tuple[tuple[str, str], ...]] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        # The commits `l` lists, from where: the pin's for a bump; for review, from
        # the files' bases (``review_range``), as the pin is the target there.
        self.commit_range = commit_range or (plan.pin, plan.commits)
        self.review = review
        self._apply = apply
        self._root = root
        self._deployment = deployment  # for the hunk screen after a merge
        self.decisions: dict[str, str] = {}
        self.decided = plan
        self.error: OverlayMergeError | None = None
        self.report: Report | None = None  # set once the choice is carried out
        self.result_screen: ResultScreen | None = None  # after a merge
        self._cache: dict[CacheKey, Rendered] = {}
        self._imported: dict[str, int] = {}  # which imported module `i` shows, per file

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._range_line(), id="range")
        yield Static(counts_line(self.plan.files), id="counts")
        with Horizontal(id="body"):
            yield FileList(id="files")
            with Vertical(id="detail"):
                yield Static(id="file-info")
                initial = View.OVERLAY_CHANGES if self.review else View.MERGE_PREVIEW
                with TabbedContent(id="tabs", initial=initial):
                    for view in View:
                        with TabPane(TAB_TITLES[view], id=view):
                            yield Static(classes="caption", id=f"caption-{view}")
                            yield LinesView(id=f"view-{view}")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        # Conflicts are marks of the merge preview only; hunks are marks elsewhere.
        self.query_one(f"#view-{View.MERGE_PREVIEW}", LinesView).jump_to_first = True
        files = self.query_one(FileList)
        files.set_files(self.plan.files)
        first = next((i for i, f in enumerate(self.plan.files) if f.conflicting), 0)
        if self.review or not self.plan.files:
            first = 0
        files.highlighted = first if self.plan.files else None
        # Tab goes from the list straight to the view (docs/tui.md): 1 2 3 pick the tab.
        for strip in self.query(Tabs):
            strip.can_focus = False
        files.focus()
        self._set_keys()
        guard_size(self)
        if not self.plan.files:
            self.query_one("#file-info", Static).update(
                Text("the overlay is empty: nothing to merge", "bold")
            )

    def _range_line(self) -> Text:
        p = self.plan
        if self.review:
            line = Text("review ", "bold").append(f"{p.upstream}: the overlay against upstream ")
            line.append(short(p.target), "bold")
            if p.target == p.pin:
                line.append(" (the pin)")
        else:
            line = Text("bump ", "bold")
            layout = self._deployment.layout if self._deployment is not None else None
            if layout is not None and layout.several:  # one screen per pair: say which
                line.append(f"pair {layout.name}: ", "bold")
            line.append(f"{p.upstream} ")
            line.append(short(p.pin), "bold").append(" → ").append(short(p.target), "bold")
        if p.target_rev not in (p.target, p.pin) and not (self.review and p.target == p.pin):
            line.append(f" ({p.target_rev})")
        start, commits = self.commit_range
        if self.review and not commits:
            return line  # every base is the target: nothing to list
        line.append(f" · {plural(len(commits), 'commit')}")
        if self.review:
            line.append(f" since {short(start)}")
        if commits:
            line.append("  l: list", "dim")
        return line

    # -- the selected file ----------------------------------------------------

    def _current(self) -> tuple[int, FilePlan] | None:
        index = self.query_one(FileList).highlighted
        if index is None or not self.decided.files:
            return None
        return index, self.decided.files[index]

    def _selected(self) -> FilePlan | None:
        """The highlighted file, with the decisions made so far (None: no file)."""
        current = self._current()
        return None if current is None else current[1]

    @on(FileList.Highlighted)
    def _file_highlighted(self) -> None:
        self._show_file()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self._show_file()

    def on_resize(self, event: events.Resize) -> None:
        guard_size(self, event.size)

    def _set_keys(self) -> None:
        view = self.query_one(TabbedContent).active or View.MERGE_PREVIEW
        self.query_one(KeyBar).set_keys(bump_keys(self._selected(), view, review=self.review))

    def _show_file(self) -> None:
        item = self._selected()
        self._set_keys()
        if item is None:
            return
        self.query_one("#file-info", Static).update(self._file_info(item))
        view = self.query_one(TabbedContent).active or View.MERGE_PREVIEW
        self._show_rendered(view, self._rendered(item, view))

    def _rendered(self, item: FilePlan, view: str) -> Rendered:
        """*view* of *item*, from the cache; a big one plain now, highlighted in a worker."""
        key = self._key(item, view)
        rendered = self._cache.get(key)
        if rendered is None:
            fd = diff_file(self.decided, item, View(view), imported=key[3])
            big = fd.text.count("\n") > SYNC_HIGHLIGHT_LINES or (
                view == View.MERGE_PREVIEW
                and (fd.view.new or b"").count(b"\n") > SYNC_HIGHLIGHT_LINES
            )
            rendered = render(fd, highlight_now=not big)
            if big:
                self._highlight(key, fd)
            else:
                self._cache[key] = rendered
        return rendered

    def _show_rendered(self, view: str, rendered: Rendered, *, keep_position: bool = False) -> None:
        self.query_one(f"#caption-{view}", Static).update(rendered.caption)
        self.query_one(f"#view-{view}", LinesView).show(
            rendered.lines, rendered.marks, keep_position=keep_position
        )

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _highlight(self, key: CacheKey, fd: FileDiff) -> None:
        # pygments takes ~0.3 s on 5,000 lines: the plain lines are shown at once.
        rendered = render(fd, highlight_now=True)
        self.call_from_thread(self._highlighted, key, rendered)

    def _key(self, item: FilePlan, view: str) -> CacheKey:
        return (item.path, view, item.decision, self._imported.get(item.path, 0))

    def _highlighted(self, key: CacheKey, rendered: Rendered) -> None:
        self._cache[key] = rendered
        item = self._selected()
        view = self.query_one(TabbedContent).active
        if item is not None and self._key(item, view) == key:
            self._show_rendered(view, rendered, keep_position=True)

    def _file_info(self, item: FilePlan) -> Text:
        info = Text(item.path, "bold")
        if item.renamed_to:
            info.append(f" → {item.renamed_to}", "bold")
        info.append("\n").append_text(badge(item.state, full=True))
        if not self.review:
            # The decision first: at 80 columns the end of the line is cut.
            chosen = item.decision != Decision.TAKE_MERGE
            name = "base kept (o: confirm)" if item.flagged else DECISION_NAMES[item.decision]
            info.append(" ").append(name, "bold yellow" if chosen else "")
        if item.conflict_hunks:
            info.append(f" · {plural(item.conflict_hunks, 'conflict')}")
        if item.refinements and item.decision == Decision.TAKE_MERGE:  # --strategy refined
            info.append(f" · {plural(len(item.refinements), 'hunk')} by rules", GUTTER_RULE)
        if item.dependencies:
            info.append(f" · {item.grade}: ", "bold")
            info.append(f"{plural(len(item.dependencies), 'import')} changed (i)")
        info.append(f" · base {short(item.base_commit)}")
        info.no_wrap = True
        info.overflow = "ellipsis"
        return info

    # -- keys -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Review is read-only: no choices, no decisions (hidden from the footer)."""
        if action == "review_quit":
            return self.review
        return not (self.review and action in ("choose", "decide"))

    def action_tab(self, view: str) -> None:
        self.query_one(TabbedContent).active = view

    def action_jump(self, step: int) -> None:
        view = self.query_one(TabbedContent).active or View.MERGE_PREVIEW
        lines = self.query_one(f"#view-{view}", LinesView)
        index = lines.jump(step)
        if index is None:
            what = "conflict" if view == View.MERGE_PREVIEW else "hunk"
            self.notify(f"no {what} in this view", timeout=2)

    def action_commits(self) -> None:
        start, commits = self.commit_range
        body = Text()
        for sha, subject in commits:
            body.append(short(sha), "bold yellow").append(f" {subject}\n")
        if not commits:
            empty = "every file's base is the target" if self.review else "the target is the pin"
            body.append(f"no commits: {empty}")
        title = f"{plural(len(commits), 'commit')} {short(start)}..{short(self.plan.target)}"
        if self.review:
            title += " (from the oldest base of the overlay files)"
        self.push_screen(InfoScreen(title, body))

    def action_keys(self) -> None:
        self.push_screen(InfoScreen("keys", Text.from_markup(KEYS_HELP)))

    def action_decide(self, decision: str) -> None:
        current = self._current()
        if current is None:
            return
        index, item = current
        refused = _refusal(item, decision)
        if refused:
            self.notify(refused, severity="warning", timeout=4)
            return
        if decision == Decision.TAKE_MERGE:
            self.decisions.pop(item.path, None)
        else:
            self.decisions[item.path] = decision
        self.decided = decide(self.plan, self.decisions)
        self.query_one(FileList).update_file(index, self.decided.files[index])
        self._show_file()

    def action_imported(self) -> None:
        """The upstream tab, on the next module the selected addition imports that changed."""
        current = self._current()
        if current is None:
            return
        _, item = current
        if not item.dependencies:
            self.notify("no changed import: i is for depends-on-changed additions", timeout=3)
            return
        tabs = self.query_one(TabbedContent)
        if tabs.active == View.UPSTREAM_CHANGES:
            shown = self._imported.get(item.path, 0)
            self._imported[item.path] = (shown + 1) % len(item.dependencies)
            self._show_file()
        else:
            tabs.active = View.UPSTREAM_CHANGES  # shown once the tab is activated

    def action_review_quit(self) -> None:
        self.exit(None)

    def action_quit_app(self) -> None:
        if self.review:
            self.exit(None)
        else:
            self._carry_out(BumpChoice.CANCEL)

    def action_choose(self, name: str) -> None:
        choice = BumpChoice(name)
        if choice == BumpChoice.CANCEL:
            self._carry_out(BumpChoice.CANCEL)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._carry_out(choice)

        self.push_screen(ConfirmScreen(self._question(choice)), answered)

    def _question(self, choice: BumpChoice) -> Text:
        p = self.decided
        move = f"move {p.upstream} {short(p.pin)} → {short(p.target)}"
        if choice == BumpChoice.UPDATE:
            question = Text("Update anyway: ", "bold").append(f"{move}; the overlay stays as it is")
            stale = [f for f in self.plan.files if f.state != BumpState.UNCHANGED]
            if stale:
                question.append(f"\n{plural(len(stale), 'overlay file')} will go stale", "bold")
                question.append(" (drift shown by `overlay-merge status`):")
                question.append_text(self._names(stale))
            if self.decisions:
                question.append("\n(per-file decisions only apply to a merge)")
            return question
        question = Text("Stop and merge: ", "bold").append(
            f"write the merges into the overlay, {move}"
        )
        if p.conflicting:
            question.append(f"\n{plural(len(p.conflicting), 'file')} will be left to resolve")
        if self.decisions:
            chosen = ", ".join(f"{v} {k}" for k, v in sorted(self.decisions.items()))
            question.append(f"\ndecisions: {chosen}")
        return question

    def _names(self, files: list[FilePlan]) -> Text:
        """One line per file (state, path cut from the left), as many as the dialog holds."""
        # The dialog: 72 columns at most, 95% of the width; border, padding, the
        # question's other lines and the y/n line take about 12 rows.
        width = min(72, self.size.width * 95 // 100) - 6 - BADGE_WIDTH - 2
        room = max(self.size.height * 9 // 10 - 12, 1)
        shown = files if len(files) <= room else files[: max(room - 1, 1)]
        text = Text()
        for f in shown:
            text.append("\n  ").append_text(badge(f.state))
            text.append(" " + shorten_path(f.path, max(width, 8)))
        if len(shown) < len(files):
            text.append(f"\n  … and {len(files) - len(shown)} more", "dim")
        return text

    def _carry_out(self, choice: BumpChoice) -> None:
        if self._apply is None:
            self.exit(None)
            return
        try:
            report = self._apply(choice, dict(self.decisions))
        except OverlayMergeError as exc:
            # Reported by the CLI once the terminal is restored: one line, exit 3.
            self.error = exc
            self.exit(None, return_code=EXIT_CANNOT)
            return
        self.report = report
        if choice == BumpChoice.MERGE and self._root is not None:
            self.result_screen = ResultScreen(self.decided, report, self._root, self._deployment)
            self.push_screen(self.result_screen)
        else:
            self.exit(report, return_code=report.return_code)


def _refusal(item: FilePlan, decision: str) -> str:
    """Why *decision* is not offered for *item* ("" when it is): the core's rule, in keys."""
    if decision in allowed_decisions(item):
        return ""
    if decision == Decision.DROP:
        return "drop is offered for converged and deleted-upstream files"
    if decision == Decision.CONFIRM:
        return "confirm is offered for depends-on-changed additions"
    return "upstream has no version of this file (drop it with d, or keep it)"


def run_bump(
    plan: BumpPlan, apply: Apply, root: Path, deployment: Deployment | None = None
) -> Report:
    """Open the bump screen; the report of the choice made (cancel if the app was quit)."""
    app = BumpApp(plan, apply=apply, root=root, deployment=deployment)
    returned = app.run()
    if app.error is not None:
        raise app.error
    if isinstance(returned, Report):
        return returned  # computed once the last screen closed: the state now
    if app.result_screen is not None:
        return app.result_screen.final_report()  # quit (ctrl+q) after a merge
    # Quit any other way (ctrl+q) before choosing: that is a cancel.
    return app.report if app.report is not None else apply(BumpChoice.CANCEL, {})


def run_review(
    plan: BumpPlan, commit_range: tuple[str, tuple[tuple[str, str], ...]] | None = None
) -> None:
    """Open the read-only reviewer's view of *plan* (``l`` lists *commit_range*)."""
    BumpApp(plan, review=True, commit_range=commit_range).run()
