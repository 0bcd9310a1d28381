"""The hunk screen, driven with textual's pilot: each kind of choice, undo, the editor key,
the record toggle, and the screen opened by `overlay-merge resolve` in a terminal."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from multihunk import OURS, PATH, THEIRS, MultiHunk, make_multi_hunk
from test_bump import _bases, _unmerged
from test_tui import SIZE, _scripted, drive, steps
from textual.app import App

from overlay_merge.cli import interactive
from overlay_merge.core.deployment import Deployment, open_at
from overlay_merge.core.hunks import parse
from overlay_merge.core.layout import load_layout
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample
from overlay_merge.reports.hunks import HunkSessionReport
from overlay_merge.tui.app import BumpApp
from overlay_merge.tui.hunks import HunkScreen, ResolveApp, editor_command
from overlay_merge.tui.result import ResultScreen
from overlay_merge.tui.widgets import LinesView

OVERLAY = "extensions/skyportal"


@pytest.fixture
def multi(sample: Sample) -> MultiHunk:
    return make_multi_hunk(sample)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI believe stdin and stdout are a terminal."""
    monkeypatch.setattr(interactive, "is_terminal", lambda: True)


def _deployment(sample: Sample) -> Deployment:
    return open_at(load_layout(sample.deployment))


def _bump_app(sample: Sample, multi: MultiHunk) -> BumpApp:
    deployment = _deployment(sample)
    plan = plan_bump(deployment, multi.target)
    apply = partial(interactive.carry_out, deployment, plan)
    return BumpApp(plan, apply=apply, root=sample.deployment, deployment=deployment)


def _merged(sample: Sample, multi: MultiHunk) -> None:
    result = run_cli(sample.deployment, "bump", multi.target, "--choice", "merge")
    assert result.exit_code == 1, result.output


def _file(sample: Sample) -> bytes:
    return (sample.deployment / OVERLAY / PATH).read_bytes()


def _screen(app: App[Any]) -> HunkScreen:
    screen = app.screen
    assert isinstance(screen, HunkScreen), type(screen)
    return screen


def _preview(app: App[Any]) -> str:
    return "\n".join(t.plain for t in _screen(app).query_one("#hunk-preview", LinesView)._content)


def test_each_kind_of_choice_after_the_merge(sample: Sample, multi: MultiHunk) -> None:
    seen: dict[str, Any] = {}

    def look(name: str) -> Any:
        def step(app: App[Any]) -> None:
            screen = _screen(app)
            row = screen._row(0, 60).plain
            seen[name] = (str(screen.query_one("#hunk-top").render()), row)

        return step

    def result_screen(app: App[Any]) -> None:
        assert isinstance(app.screen, ResultScreen)

    app = drive(
        _bump_app(sample, multi),
        "m",
        "y",
        result_screen,
        "enter",
        look("start"),
        "o",  # hunk 1: the overlay's NAME
        look("after one"),
        "u",  # then hunk 2 is the first: upstream's PORT
        "b",  # QUOTE: both, overlay first
        "B",  # LAST: both, upstream first (at the end of the file): left for a look
        look("look"),
        lambda a: seen.update(unmerged=PATH in _unmerged(sample)),
        "enter",  # looks right: record it
        look("end"),
        "q",
        "q",
    )
    assert "4 hunks left in 1 file" in seen["start"][0] and "4 left" in seen["start"][1]
    assert "3 hunks left in 1 file" in seen["after one"][0] and "3 left" in seen["after one"][1]
    # After B the file is written but not recorded: a look first, then Enter records it.
    assert "0 hunks left" in seen["look"][0] and "1 to decide" in seen["look"][0]
    assert "record" in seen["look"][1] and seen["unmerged"]
    assert "nothing left: q to finish" in seen["end"][0] and "resolved" in seen["end"][1]
    expected = (
        OURS.replace(b"PORT  =  5000", b"PORT = 6000")
        .replace(b'QUOTE = "x"\n', b"QUOTE = \"x\"\nQUOTE = 'y'\n")
        .replace(b"LAST = 2", b"LAST = 3\nLAST = 2")
    )
    assert _file(sample) == expected
    assert _bases(sample)[PATH] == multi.target and PATH not in _unmerged(sample)
    report = app.return_value
    assert isinstance(report, HunkSessionReport) and app.return_code == 0
    text = report.render("text")
    assert text.startswith("merged skyportal") and "hunk by hunk: 5 choices" in text
    # What was done, hunk by hunk, in order.
    assert f"  {PATH} hunk 1: the overlay's side\n  {PATH} hunk 1: upstream's side\n" in text
    assert f"  {PATH}: recorded as it is\n" in text


def test_undo_and_the_preview_follow_at_once(sample: Sample, multi: MultiHunk) -> None:
    _merged(sample, multi)
    merged = _file(sample)
    previews: list[str] = []
    files: list[bytes] = []

    def look(app: App[Any]) -> None:
        previews.append(_preview(app))
        files.append(_file(sample))

    drive(ResolveApp(_deployment(sample)), look, "u", look, "z", look, "q")
    assert 'NAME = "skyportal-app"' in previews[0] and "<<<<<<< overlay" in previews[0]
    assert previews[1].count("<<<<<<< overlay") == 3
    assert '"icare"' not in previews[1].split("# b 0")[0]
    assert files[1] != merged and files[2] == merged == files[0]
    assert previews[2] == previews[0]


def test_record_toggle_leaves_the_file_for_git_add(sample: Sample, multi: MultiHunk) -> None:
    _merged(sample, multi)
    tops: list[str] = []
    drive(
        ResolveApp(_deployment(sample)),
        "r",
        lambda a: tops.append(str(_screen(a).query_one("#hunk-top").render())),
        "u",
        "u",
        "u",
        "u",
        "q",
    )
    assert "r record: off" in tops[0]
    assert _file(sample) == THEIRS
    assert _bases(sample)[PATH] == multi.base and _unmerged(sample)[PATH] == {1, 2, 3}


def test_the_editor_opens_at_the_hunk(
    sample: Sample, multi: MultiHunk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _merged(sample, multi)
    calls = tmp_path / "calls"
    editor = tmp_path / "vim"  # named vim: it is handed +LINE
    editor.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        f"pathlib.Path({str(calls)!r}).write_text(repr(sys.argv[1:]))\n"
        "p = pathlib.Path(sys.argv[-1])\n"
        f"p.write_bytes({THEIRS!r})\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("VISUAL", str(editor))
    # The headless driver cannot hand the terminal over: pretend it did.
    monkeypatch.setattr(App, "suspend", lambda self: contextlib.nullcontext())
    drive(ResolveApp(_deployment(sample)), "n", "e", "q")
    assert calls.read_text() == repr(["+19", str(sample.deployment / OVERLAY / PATH)])
    assert _file(sample) == THEIRS
    # No marker left after the editor: resolved like a choice would.
    assert _bases(sample)[PATH] == multi.target and PATH not in _unmerged(sample)


def test_editor_commands() -> None:
    f = Path("/d/x.py")
    assert editor_command("nvim", f, 7) == ["nvim", "+7", "/d/x.py"]
    assert editor_command("emacs -nw", f, 7) == ["emacs", "-nw", "+7", "/d/x.py"]
    assert editor_command("/usr/bin/nano", f, 7) == ["/usr/bin/nano", "+7", "/d/x.py"]
    assert editor_command("micro", f, 7) == ["micro", "+7", "/d/x.py"]
    assert editor_command("code --wait", f, 7) == ["code", "--wait", "-g", "/d/x.py:7"]
    assert editor_command("kate", f, 7) == ["kate", "/d/x.py"]


def test_resolve_in_a_terminal_opens_the_hunk_screen(
    sample: Sample, multi: MultiHunk, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _merged(sample, multi)
    monkeypatch.setattr(ResolveApp, "run", _scripted("o", "o", "o", "o", "q"))
    result = run_cli(sample.deployment, "resolve")
    assert result.exit_code == 0, result.output
    assert "hunk by hunk: 4 choices" in result.output and f"resolved  {PATH}" in result.output
    assert _file(sample) == OURS and _bases(sample)[PATH] == multi.target


def test_resolve_in_a_terminal_with_hunks_left_exits_1(
    sample: Sample, multi: MultiHunk, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _merged(sample, multi)
    monkeypatch.setattr(ResolveApp, "run", _scripted("o", "q"))
    result = run_cli(sample.deployment, "resolve")
    assert result.exit_code == 1 and "still to resolve" in result.output
    assert len(parse(_file(sample)).hunks) == 3


def test_resolve_without_a_terminal_keeps_its_behaviour(sample: Sample, multi: MultiHunk) -> None:
    _merged(sample, multi)
    result = run_cli(sample.deployment, "resolve")
    assert result.exit_code == 3 and "still holds conflict markers" in result.output


def test_snapshot_hunk_view(sample: Sample, multi: MultiHunk, snap_compare: Any) -> None:
    _merged(sample, multi)
    os.environ.pop("NO_COLOR", None)
    assert snap_compare(ResolveApp(_deployment(sample)), terminal_size=SIZE, run_before=steps("n"))
