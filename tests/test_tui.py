"""The bump screen and the reviewer's view, driven with textual's pilot on the sample.

Each choice and each per-file decision is made with keys, then what landed on
disk is compared with what the CLI writes for the same choice and decisions
(the app hands them to the CLI's own ``carry_out``).  Snapshot tests pin the
main screens at 100x30.  pytest-asyncio is not needed: each test runs its
pilot with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import run_cli, tree_digest
from gitutil import git
from rich.text import Text
from textual.app import App
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Static

from overlay_merge.cli import interactive
from overlay_merge.cli.main import cli
from overlay_merge.core.deployment import Deployment, open_at
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import Side
from overlay_merge.core.plan import BumpPlan, FilePlan, plan_bump, review_range
from overlay_merge.demo import Sample, make_sample
from overlay_merge.reports.bump import ApplyReport, CancelReport
from overlay_merge.reports.diff import diff_file
from overlay_merge.reports.hunks import HunkSessionReport
from overlay_merge.tui.app import BumpApp
from overlay_merge.tui.dialogs import ConfirmScreen, InfoScreen
from overlay_merge.tui.render import MAX_LINE_CHARS, render
from overlay_merge.tui.result import ResultScreen
from overlay_merge.tui.widgets import FileList, LinesView, RowList, file_row, is_settled

OVERLAY = "extensions/skyportal"
SIZE = (100, 30)

Step = str | Callable[[BumpApp], None]


def _open(root: Path) -> tuple[Deployment, BumpPlan]:
    deployment = open_at(load_layout(root))
    return deployment, plan_bump(deployment)


def _bump_app(sample: Sample) -> BumpApp:
    deployment, plan = _open(sample.deployment)
    apply = partial(interactive.carry_out, deployment, plan)
    return BumpApp(plan, apply=apply, root=deployment.layout.root)


def select(path: str) -> Callable[[BumpApp], None]:
    """A step that highlights *path* in the file list."""

    def step(app: BumpApp) -> None:
        app.query_one(FileList).highlighted = [f.path for f in app.plan.files].index(path)

    return step


SETTLE_ROUNDS = 200  # rounds of the event loop, not seconds: a bound on a broken app


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until the app is where its last key put it (its own state, never a time).

    Animations done, then the event loop run until no scroll waits for a
    layout and no worker runs (:func:`is_settled`).
    """
    await pilot.wait_for_scheduled_animations()
    for _ in range(SETTLE_ROUNDS):
        if is_settled(pilot.app):
            return
        await pilot.pause()
    raise AssertionError(f"the app did not settle in {SETTLE_ROUNDS} rounds")


async def _drive(app: App[Any], steps: tuple[Step, ...], size: tuple[int, int]) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for step in steps:
            if callable(step):
                step(app)  # type: ignore[arg-type]
            else:
                await pilot.press(step)
            await settle(pilot)


def drive(app: App[Any], *steps: Step, size: tuple[int, int] = SIZE) -> App[Any]:
    """Run *app* headless, press keys / run steps in order, return it once done."""
    asyncio.run(_drive(app, steps, size))
    return app


def _overlay_state(root: Path) -> dict[str, str]:
    """What a bump writes: overlay files, base file, index stages and upstream HEAD."""
    digest = {
        k: v
        for k, v in tree_digest(root).items()
        if k.startswith(OVERLAY + "/") or k == ".overlay-base"
    }
    digest["<unmerged>"] = git(root, "ls-files", "-u")
    digest["<pin>"] = git(root / "skyportal", "rev-parse", "HEAD")
    return digest


def _cli_copy(sample: Sample, tmp_path: Path, *args: str) -> dict[str, str]:
    """The state the CLI leaves on a copy of the sample after ``bump *args``."""
    copy = tmp_path / "cli-copy"
    shutil.copytree(sample.deployment, copy, symlinks=True)
    run_cli(copy, "bump", *args)
    return _overlay_state(copy)


# -- the three choices ----------------------------------------------------------


@pytest.mark.parametrize("key", ["c", "q", "escape", "ctrl+c"])
def test_cancel_keys_change_nothing(sample: Sample, key: str) -> None:
    before = tree_digest(sample.deployment)
    app = drive(_bump_app(sample), key)
    assert isinstance(app.return_value, CancelReport)
    assert app.return_code == 6  # cancelled: nothing changed
    assert tree_digest(sample.deployment) == before


@pytest.mark.parametrize("accept", ["y", "enter"])
def test_merge_after_confirmation_writes_what_the_cli_writes(
    sample: Sample, tmp_path: Path, accept: str
) -> None:
    expected = _cli_copy(sample, tmp_path, "--choice", "merge")
    app = _bump_app(sample)
    seen: list[str] = []
    app = drive(app, "m", lambda a: seen.append(type(a.screen).__name__), accept)
    assert seen == ["ConfirmScreen"]
    # The merge is done; the result screen waits with the files to resolve.
    assert isinstance(app.report, ApplyReport)
    assert _overlay_state(sample.deployment) == expected
    assert expected["<pin>"] == sample.commits["s2"]


def test_result_screen_lists_files_to_resolve_and_exits_with_the_cli_code(
    sample: Sample,
) -> None:
    rows: list[str] = []

    def look(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        rows.extend(f.target_path for f in screen.items)

    app = drive(_bump_app(sample), "m", "y", look, "q")
    assert set(rows) == {
        "skyportal/initial_setup.py",
        "skyportal/handlers/api/instrument.py",
        "skyportal/handlers/api/legacy.py",
        "static/img/logo.png",
    }
    assert isinstance(app.return_value, ApplyReport)
    assert app.return_code == app.return_value.return_code == 1  # conflicts left


def _pick_in_result(path: str) -> Callable[[BumpApp], None]:
    def step(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        index = [f.target_path for f in screen.items].index(path)
        screen.query_one("#to-resolve").highlighted = index  # type: ignore[attr-defined]

    return step


def test_the_report_after_the_screens_is_the_state_now(sample: Sample) -> None:
    setup = "skyportal/initial_setup.py"
    rows: list[str] = []
    shown: list[str] = []

    def look(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        index = [f.target_path for f in screen.items].index(setup)
        rows.append(screen.row_text(index, 100).plain)
        shown.append(str(screen.query_one("#report-text").render()))  # type: ignore[attr-defined]

    deployment, plan = _open(sample.deployment)
    app = BumpApp(
        plan,
        apply=partial(interactive.carry_out, deployment, plan),
        root=sample.deployment,
        deployment=deployment,
    )
    # Take upstream's side of the file's one hunk on the hunk screen, back, done.
    drive(app, "m", "y", _pick_in_result(setup), look, "enter", "u", "q", look, "q")
    assert "markers left" in rows[0] and rows[1].endswith("resolved")
    report = app.return_value
    assert isinstance(report, HunkSessionReport) and app.return_code == 1  # three are left
    text = report.render("text")
    assert re.search(rf"^  resolved +{re.escape(setup)}$", text, re.MULTILINE), text
    assert not re.search(rf"^  conflict +{re.escape(setup)}", text, re.MULTILINE), text
    assert "4 files" not in text and "3 files still to resolve" in text
    assert setup not in text.splitlines()[-1]
    assert text.count("to resolve") == 1  # one "next" line, not the merge's stale one too
    assert text in shown[1] or shown[1].rstrip() in text  # the screen showed it too
    data = json.loads(report.render("json"))
    assert setup not in data["conflicts_left"] and data["resolved_since"] == [setup]
    assert len(data["conflicts_left"]) == 3


def test_declining_the_confirmation_writes_nothing(sample: Sample) -> None:
    before = tree_digest(sample.deployment)
    app = _bump_app(sample)
    screens: list[str] = []
    look = lambda a: screens.append(type(a.screen).__name__)  # noqa: E731
    drive(app, "m", "n", look, "u", look, "escape", look, "c")
    assert screens == ["Screen", "ConfirmScreen", "Screen"]
    assert tree_digest(sample.deployment) == before


def test_update_after_confirmation_moves_only_the_pin(sample: Sample, tmp_path: Path) -> None:
    expected = _cli_copy(sample, tmp_path, "--choice", "update")
    app = drive(_bump_app(sample), "k", "u", "y")  # a decision does not matter to an update
    assert isinstance(app.return_value, ApplyReport)
    assert app.return_code == 5
    assert _overlay_state(sample.deployment) == expected
    assert expected["<pin>"] == sample.commits["s2"]


@pytest.mark.parametrize(("size", "cut"), [((80, 24), False), ((60, 20), True)])
def test_update_confirmation_lists_the_files_that_go_stale(
    sample: Sample, size: tuple[int, int], cut: bool
) -> None:
    seen: list[Any] = []

    def look(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        dialog = screen.query_one(".dialog")
        seen.append((screen.question.plain, app.screen.region.contains_region(dialog.region)))
        seen.append(all(app.screen.region.contains_region(w.region) for w in screen.query(Static)))

    drive(_bump_app(sample), "u", look, "n", "c", size=size)
    (question, fits), statics_fit = seen
    stale = [p for p, state in sample.expected.items() if state != "unchanged"]
    assert fits and statics_fit
    assert f"{len(stale)} overlay files will go stale" in question
    named = [p for p in stale if p in question]
    if cut:
        assert 0 < len(named) < len(stale)
        assert f"… and {len(stale) - len(named)} more" in question
    else:
        assert named == stale and "more" not in question


# -- per-file decisions ---------------------------------------------------------

DECISIONS = {
    "skyportal/initial_setup.py": ("t", "upstream"),  # conflict: take upstream's version
    "skyportal/handlers/api/source.py": ("k", "keep"),  # clean: keep the overlay as it is
    "skyportal/models/group.py": ("d", "drop"),  # converged: drop the overlay copy
    "skyportal/handlers/api/legacy.py": ("d", "drop"),  # deleted upstream: drop
    "skyportal/utils/calculations.py": ("t", "upstream"),  # renamed: upstream's, moved
    "static/img/logo.png": ("k", "keep"),  # binary: keep ours
    "baselayer/app/app_server.py": ("a", "merge"),  # back to the default
}


def test_each_decision_is_collected_and_applied_like_the_cli(
    sample: Sample, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(sample.deployment, copy, symlinks=True)
    steps: list[Step] = []
    for path, (key, _) in DECISIONS.items():
        steps += [select(path), key]
    seen: dict[str, str] = {}
    app = drive(_bump_app(sample), *steps, lambda a: seen.update(a.decisions), "m", "y", "q")
    assert seen == {p: d for p, (_, d) in DECISIONS.items() if d != "merge"}

    deployment, plan = _open(copy)
    interactive.carry_out(deployment, plan, "merge", seen)
    assert _overlay_state(sample.deployment) == _overlay_state(copy)
    overlay = sample.deployment / OVERLAY
    assert not (overlay / "skyportal/models/group.py").exists()
    assert not (overlay / "skyportal/handlers/api/legacy.py").exists()
    assert (overlay / "skyportal/utils/calc.py").exists()
    assert isinstance(app.return_value, ApplyReport)
    text = app.return_value.render("text")
    assert "dropped   skyportal/models/group.py" in text
    assert "kept      skyportal/handlers/api/source.py" in text
    # Only the two-way conflict is left to resolve.
    assert app.return_value.result.conflicts == ("skyportal/handlers/api/instrument.py",)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("skyportal/handlers/api/source.py", "d"),  # drop only for converged / deleted
        ("skyportal/initial_setup.py", "d"),
        ("skyportal/handlers/api/legacy.py", "t"),  # upstream has no version
        ("baselayer/app/auth/IAMOAuth2.py", "t"),
    ],
)
def test_decisions_not_offered_are_refused(sample: Sample, path: str, key: str) -> None:
    notes: list[int] = []
    app = drive(
        _bump_app(sample), select(path), key, lambda a: notes.append(len(a._notifications)), "c"
    )
    assert app.decisions == {}
    assert notes == [1]


def test_the_file_list_shows_decisions(sample: Sample) -> None:
    labels: list[str] = []

    def look(app: BumpApp) -> None:
        files = app.query_one(FileList)
        index = files.highlighted or 0
        labels.append(files.files[index].decision)
        row = file_row(files.files[index], 60).plain
        labels.append(row.split()[-1])

    drive(_bump_app(sample), select("skyportal/models/group.py"), "d", look, "a", look, "c")
    assert labels == ["drop", "drop", "merge", "skyportal/models/group.py"]


# -- moving around --------------------------------------------------------------


def test_tabs_and_conflict_navigation(sample: Sample) -> None:
    seen: dict[str, Any] = {}

    def look(name: str) -> Callable[[BumpApp], None]:
        def step(app: BumpApp) -> None:
            view = app.query_one("#view-merged", LinesView)
            seen[name] = (app.query_one("TabbedContent").active, view.marks, view.scroll_y)  # type: ignore[attr-defined]

        return step

    drive(
        _bump_app(sample),
        select("skyportal/initial_setup.py"),
        look("start"),
        "n",
        look("next"),
        "1",
        "2",
        "3",
        look("back"),
        "c",
        size=(80, 24),
    )
    tab, marks, scroll = seen["start"]
    # Opened on the conflict, with two lines above it; n wraps round to it.
    assert tab == "merged" and len(marks) == 1 and scroll == marks[0] - 2
    assert seen["next"][2] == marks[0] - 2
    assert seen["back"][0] == "merged"


def test_commits_and_keys_panels(sample: Sample) -> None:
    screens: list[str] = []
    note = lambda a: screens.append(type(a.screen).__name__)  # noqa: E731
    drive(_bump_app(sample), "l", note, "escape", "question_mark", note, "q", note, "c")
    assert screens == ["InfoScreen", "InfoScreen", "Screen"]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
def test_the_keys_help_scrolls_to_its_last_line(sample: Sample, size: tuple[int, int]) -> None:
    seen: dict[str, Any] = {}

    def look(name: str) -> Callable[[BumpApp], None]:
        def step(app: BumpApp) -> None:
            screen = app.screen
            assert isinstance(screen, InfoScreen)
            body = screen.query_one("#info-body", VerticalScroll)
            dialog = screen.query_one(".dialog")
            hint = screen.query(Static).last()
            seen[name] = {
                "focused": app.focused is body,
                # Nothing of the panel is cut by the dialog or the terminal.
                "inside": all(
                    app.screen.region.contains_region(w.region)
                    and dialog.region.contains_region(w.region)
                    for w in (body, hint)
                ),
                "y": body.scroll_y,
                "max": body.max_scroll_y,
                "bottom": body.scroll_y + body.scrollable_content_region.height,
                "lines": body.virtual_size.height,
            }

        return step

    drive(_bump_app(sample), "question_mark", look("top"), "end", look("end"), "q", "c", size=size)
    top, end = seen["top"], seen["end"]
    assert top["focused"] and top["inside"] and end["inside"]
    assert top["max"] > 0 and top["y"] == 0  # it does not fit: it scrolls
    assert end["y"] == end["max"] and end["bottom"] == end["lines"]  # the last line is on screen


def test_opens_on_the_first_file_to_resolve(sample: Sample) -> None:
    app = _bump_app(sample)
    seen: list[str] = []
    drive(
        app, lambda a: seen.append(a.plan.files[a.query_one(FileList).highlighted or 0].path), "c"
    )
    first = next(f.path for f in app.plan.files if f.conflicting)
    assert seen == [first]


# -- the editor after a merge -----------------------------------------------------


def test_editor_opens_the_selected_conflict_and_the_row_updates(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixer = tmp_path / "fix-editor.py"
    fixer.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "keep = [l for l in p.read_text().splitlines(True) if not l[:7] in "
        "('<<<<<<<', '|||||||', '=======', '>>>>>>>')]\n"
        "p.write_text(''.join(keep))\n"
    )
    monkeypatch.setenv("VISUAL", f"{sys.executable} {fixer}")
    # The headless driver cannot hand the terminal over: pretend it did.
    monkeypatch.setattr(App, "suspend", lambda self: contextlib.nullcontext())
    rows: list[str] = []

    def look(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        index = screen.query_one("#to-resolve", RowList).highlighted or 0
        rows.append(screen.row_text(index, 100).plain)

    def pick(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        index = [f.target_path for f in screen.items].index("skyportal/initial_setup.py")
        screen.query_one("#to-resolve").highlighted = index  # type: ignore[attr-defined]

    drive(_bump_app(sample), "m", "y", pick, look, "e", look, "q")
    assert "markers left" in rows[0] and "no markers left" in rows[1]
    assert (
        b"<<<<<<<" not in (sample.deployment / OVERLAY / "skyportal/initial_setup.py").read_bytes()
    )


def test_editor_without_a_terminal_says_so(sample: Sample) -> None:
    notes: list[str] = []
    drive(
        _bump_app(sample),
        "m",
        "y",
        "e",
        lambda a: notes.extend(n.message for n in a._notifications),
        "q",
    )
    assert any("cannot open an editor" in n for n in notes)


# -- the reviewer's view ----------------------------------------------------------


def test_review_is_read_only(sample: Sample) -> None:
    before = tree_digest(sample.deployment)
    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment, deployment.pin())
    app = BumpApp(plan, review=True)
    screens: list[str] = []
    drive(app, "m", "u", "k", "d", "t", lambda a: screens.append(type(a.screen).__name__), "q")
    assert screens == ["Screen"] and app.decisions == {}
    assert app.return_value is None and app.return_code == 0
    assert tree_digest(sample.deployment) == before


def test_review_lists_the_commits_from_the_bases_to_the_pin(sample: Sample) -> None:
    # After an update anyway the pin moved on and every base stayed behind it.
    assert run_cli(sample.deployment, "bump", "--choice", "update").exit_code == 5
    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment, deployment.pin())
    assert plan.commits == ()  # the target is the pin: the bump's own list is empty
    app = BumpApp(plan, review=True, commit_range=review_range(deployment, plan))
    seen: list[str] = []

    def look(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, InfoScreen)
        seen.extend([screen.title_text, screen.body.plain, str(app.query_one("#range").render())])  # type: ignore[attr-defined]

    drive(app, "l", look, "q", "q")
    # From the oldest base recorded (git's own count of the range), newest first.
    bases = {
        line.split()[0]
        for line in (sample.deployment / ".overlay-base").read_text().splitlines()
        if line and not line.startswith("#")
    }
    upstream = sample.deployment / "skyportal"
    behind = {b: int(git(upstream, "rev-list", "--count", f"{b}..HEAD")) for b in bases}
    oldest, count = max(behind.items(), key=lambda item: item[1])
    assert count >= 1 and oldest != sample.commits["s2"]
    assert seen[0].startswith(
        f"{count} commit{'s' if count > 1 else ''} {oldest[:7]}..{sample.commits['s2'][:7]}"
    )
    assert seen[1].startswith(sample.commits["s2"][:7]) and len(seen[1].splitlines()) == count
    assert f"{count} commit" in seen[2] and f"since {oldest[:7]}" in seen[2]


# -- through the CLI ----------------------------------------------------------------


def _scripted(*steps: Step) -> Callable[..., Any]:
    """A stand-in for ``App.run`` that drives the real app with *steps*."""

    def run(self: App[Any], **_: Any) -> Any:
        drive(self, *steps)
        return self.return_value

    return run


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the CLI believe stdin and stdout are a terminal."""
    monkeypatch.setattr(interactive, "is_terminal", lambda: True)
    yield


def test_bump_in_a_terminal_opens_the_screen_and_exits_with_the_report(
    sample: Sample, tmp_path: Path, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _cli_copy(sample, tmp_path, "--choice", "merge")
    monkeypatch.setattr(BumpApp, "run", _scripted("m", "y", "q"))
    result = run_cli(sample.deployment, "bump")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("merged skyportal")
    assert _overlay_state(sample.deployment) == expected


def test_bump_quit_without_choosing_is_a_cancel(
    sample: Sample, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree_digest(sample.deployment)
    monkeypatch.setattr(BumpApp, "run", _scripted("ctrl+q"))
    result = run_cli(sample.deployment, "bump", "--format", "json")
    assert result.exit_code == 6 and json.loads(result.output)["choice"] == "cancel"
    assert tree_digest(sample.deployment) == before


def test_a_refused_apply_is_one_line_and_exit_3(
    sample: Sample, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sample.deployment / OVERLAY / "skyportal/handlers/api/source.py"
    source.write_bytes(source.read_bytes() + b"# uncommitted\n")
    monkeypatch.setattr(BumpApp, "run", _scripted("m", "y"))
    result = run_cli(sample.deployment, "bump")
    assert result.exit_code == 3
    assert "uncommitted changes" in result.output


def test_without_a_terminal_bump_never_opens_the_screen(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any, **__: Any) -> None:
        raise AssertionError("the TUI must not open without a terminal")

    monkeypatch.setattr(BumpApp, "run", boom)
    result = run_cli(sample.deployment, "bump")
    assert result.exit_code == 1 and "--choice merge" in result.output


def test_review_command(sample: Sample, terminal: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BumpApp, "run", _scripted("3", "q"))
    result = run_cli(sample.deployment, "review")
    assert result.exit_code == 0, result.output


def test_review_needs_a_terminal(sample: Sample) -> None:
    result = run_cli(sample.deployment, "review")
    assert result.exit_code == 3
    assert "review needs a terminal" in result.output and "overlay-merge diff" in result.output


# -- no crash: big, binary, empty ---------------------------------------------------


def _commit_overlay(sample: Sample, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        (sample.deployment / OVERLAY / path).write_bytes(data)
    git(sample.deployment, "commit", "-qam", "overlay edits")


def test_a_huge_file_is_cut_and_says_so(sample: Sample) -> None:
    big = b"".join(b"line %d = %d\n" % (i, i) for i in range(30_000))
    _commit_overlay(sample, {"skyportal/enum_types.py": big})
    captions: list[str] = []

    def look(app: BumpApp) -> None:
        for view in ("patch", "merged"):
            app.query_one("TabbedContent").active = view  # type: ignore[attr-defined]
        captions.append(str(app.query_one("#caption-patch").render()))  # type: ignore[attr-defined]
        captions.append(str(app.query_one("#caption-merged").render()))  # type: ignore[attr-defined]

    app = drive(_bump_app(sample), select("skyportal/enum_types.py"), "1", "3", look, "c")
    assert all("showing the first 5,000 of 30,0" in c for c in captions), captions
    assert isinstance(app.return_value, CancelReport)


def test_binary_files_say_binary(sample: Sample) -> None:
    captions: list[str] = []
    drive(
        _bump_app(sample),
        select("static/img/logo.png"),
        "2",
        lambda a: captions.append(str(a.query_one("#caption-upstream").render())),  # type: ignore[attr-defined]
        "c",
    )
    assert captions[0].startswith("binary:")


def test_an_empty_overlay(sample: Sample) -> None:
    shutil.rmtree(sample.deployment / OVERLAY)
    (sample.deployment / ".overlay-base").write_text("")
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "no overlay")
    infos: list[str] = []
    app = drive(
        _bump_app(sample),
        lambda a: infos.append(str(a.query_one("#file-info").render())),  # type: ignore[attr-defined]
        "u",
        "y",
    )
    assert "the overlay is empty" in infos[0]
    assert app.return_code == 5  # updated anyway


def test_an_up_to_date_overlay_says_so(sample: Sample) -> None:
    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment, deployment.pin())  # every base holds the pin's blob
    counts: list[str] = []
    drive(
        BumpApp(plan, review=True),
        lambda a: counts.append(str(a.query_one("#counts").render())),  # type: ignore[attr-defined]
        "q",
    )
    assert "the overlay is up to date with the target" in counts[0]


# -- snapshots (100x30) ---------------------------------------------------------------


def steps(*todo: Step) -> Callable[[Pilot[Any]], Any]:
    """A ``run_before`` for ``snap_compare``: run *todo* like :func:`drive`, settling after each.

    The snapshot is taken once the app settled, never after a fixed pause.
    """

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for step in todo:
            if callable(step):
                step(pilot.app)  # type: ignore[arg-type]
            else:
                await pilot.press(step)
            await settle(pilot)

    return run


CONFLICT = "skyportal/initial_setup.py"


def test_snapshot_bump_merge_preview(sample: Sample, snap_compare: Any) -> None:
    assert snap_compare(_bump_app(sample), terminal_size=SIZE, run_before=steps(select(CONFLICT)))


def test_snapshot_bump_overlay_tab(sample: Sample, snap_compare: Any) -> None:
    assert snap_compare(
        _bump_app(sample), terminal_size=SIZE, run_before=steps(select(CONFLICT), "1")
    )


def test_snapshot_bump_upstream_tab_with_decision(sample: Sample, snap_compare: Any) -> None:
    assert snap_compare(
        _bump_app(sample), terminal_size=SIZE, run_before=steps(select(CONFLICT), "2", "k")
    )


def test_snapshot_confirm_merge(sample: Sample, snap_compare: Any) -> None:
    assert snap_compare(_bump_app(sample), terminal_size=SIZE, run_before=steps("m"))


def test_snapshot_after_merge(sample: Sample, snap_compare: Any) -> None:
    assert snap_compare(_bump_app(sample), terminal_size=SIZE, run_before=steps("m", "y"))


def test_snapshot_commits(sample: Sample, snap_compare: Any) -> None:
    assert snap_compare(_bump_app(sample), terminal_size=SIZE, run_before=steps("l"))


def test_snapshot_keys_help_scrolled_to_its_end_80x24(sample: Sample, snap_compare: Any) -> None:
    assert snap_compare(
        _bump_app(sample), terminal_size=(80, 24), run_before=steps("question_mark", "end")
    )


def test_snapshot_review_80x24(sample: Sample, snap_compare: Any) -> None:
    deployment = open_at(load_layout(sample.deployment))
    app = BumpApp(plan_bump(deployment, deployment.pin()), review=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=steps())


# -- the line view and the rendering ---------------------------------------------------


class _Lines(App[None]):
    def compose(self) -> Any:
        yield LinesView(id="v")


def test_next_and_previous_go_round_every_mark_even_near_the_end() -> None:
    seen: list[int | None] = []

    def show(app: App[Any]) -> None:
        lines = [Text(f"line {i}") for i in range(100)]
        app.query_one(LinesView).show(lines, [10, 50, 95])

    def jump(step: int) -> Callable[[App[Any]], None]:
        return lambda app: seen.append(app.query_one(LinesView).jump(step))

    def scrolled(app: App[Any]) -> None:
        seen.append(round(app.query_one(LinesView).scroll_y))

    steps = [show, jump(1), scrolled, jump(1), jump(1), scrolled, jump(1), jump(-1), jump(-1)]
    drive(_Lines(), *steps, size=(40, 20))
    assert seen[:2] == [0, 8]
    assert seen[2:4] == [1, 2] and seen[4] == 100 - 20  # the last mark cannot reach the top
    assert seen[5:] == [0, 2, 1]


def test_render_of_a_conflict_marks_the_blocks(sample: Sample) -> None:
    _, plan = _open(sample.deployment)
    item = next(f for f in plan.files if f.path == "skyportal/initial_setup.py")
    rendered = render(diff_file(plan, item, "merged"))
    (start,) = rendered.marks
    assert rendered.lines[start].plain.endswith("<<<<<<< overlay")
    assert "1 conflicting hunk" in rendered.caption.plain
    styles = {str(span.style) for span in rendered.lines[start + 1].spans}
    assert any("on #1f3352" in s for s in styles)  # the overlay's side


def _bytes_plan(base: bytes, ours: bytes) -> tuple[BumpPlan, FilePlan, str]:
    """A one-file plan over the given bytes, and its patch view."""
    item = FilePlan(
        "f.py", "patch", "unchanged", "0" * 40, Side(ours, 0o100644), base=Side(base, 0o100644)
    )
    plan = BumpPlan("up", "ov", "0" * 40, "1" * 40, "x", "zdiff3", (item,), ())
    return plan, item, "patch"


def test_render_of_control_characters_and_long_lines() -> None:
    ours = b"a\x1b[31m\x07\n" + b"y" * (MAX_LINE_CHARS + 5) + b"\n"
    rendered = render(diff_file(*_bytes_plan(b"a\n", ours)))
    body = "".join(t.plain for t in rendered.lines)
    assert "\x1b" not in body and "\x07" not in body and "␛" in body and "…" in body
    assert max(t.cell_len for t in rendered.lines) <= MAX_LINE_CHARS + 2


def test_demo_in_a_terminal_opens_the_bump_screen(
    tmp_path: Path, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BumpApp, "run", _scripted("m", "y", "q"))
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo")], catch_exceptions=False)
    # As `bump` after the same keys: conflicts are left, exit 1, next is resolve.
    assert result.exit_code == 1, result.output
    assert "merged skyportal" in result.output  # the screen's merge was carried out
    assert "overlay-merge resolve" in result.output.splitlines()[-1]
    upstream = tmp_path / "demo" / "deployment" / "skyportal"
    assert git(upstream, "rev-parse", "HEAD") == git(upstream, "rev-parse", "origin/main")


def test_a_scroll_asked_before_the_layout_is_pending_until_it_lands() -> None:
    seen: list[Any] = []

    async def run() -> None:
        app = _Lines()
        async with app.run_test(size=(40, 20)) as pilot:
            view = app.query_one(LinesView)
            view.jump_to_first = True
            view.show([Text(f"line {i}") for i in range(100)], [30])
            seen.append(view.pending)  # asked, not yet landed
            await settle(pilot)
            seen.extend([view.pending, is_settled(app), round(view.scroll_y)])

    asyncio.run(run())
    assert seen == [True, False, True, 28]


@pytest.mark.parametrize(
    ("keys", "code", "next_command"),
    [(("c",), 6, "bump"), (("u", "y"), 5, "status"), (("m", "y", "q"), 1, "resolve")],
)
def test_demo_exits_and_says_what_next_like_bump(
    tmp_path: Path,
    terminal: None,
    monkeypatch: pytest.MonkeyPatch,
    keys: tuple[str, ...],
    code: int,
    next_command: str,
) -> None:
    monkeypatch.setattr(BumpApp, "run", _scripted(*keys))
    demo = CliRunner().invoke(cli, ["demo", str(tmp_path / "demo")], catch_exceptions=False)
    last = demo.output.splitlines()[-1]
    assert demo.exit_code == code, demo.output
    assert last.startswith(
        f"next: cd {tmp_path / 'demo' / 'deployment'} && overlay-merge {next_command} "
    )
    # The same keys on `bump` over a fresh sample exit the same way.
    fresh = make_sample(tmp_path / "fresh")
    assert run_cli(fresh.deployment, "bump").exit_code == code
