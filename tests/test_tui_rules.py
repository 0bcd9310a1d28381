"""The hunk screen after a refined bump: the hunks rules resolved, shown in their own colour
and put back as the plain conflict with ``x``; suggestions shown and taken with ``a``."""

from __future__ import annotations

from functools import partial
from typing import Any

from conftest import run_cli
from multihunk import MultiHunk, make_multi_hunk
from rulehunks import OVERLAY, PATH, make_rule_hunks
from test_bump import _bases, _unmerged
from test_provenance import _bump, _line_merge
from test_tui import drive
from textual.app import App

from overlay_merge.cli import interactive
from overlay_merge.core.deployment import Deployment, open_at
from overlay_merge.core.hunks import parse
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import View
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample
from overlay_merge.tui.app import BumpApp
from overlay_merge.tui.hunks import HunkScreen, ResolveApp
from overlay_merge.tui.keybar import KeyBar
from overlay_merge.tui.render import RULE_RESOLVED
from overlay_merge.tui.result import ResultScreen
from overlay_merge.tui.widgets import FileList, LinesView


def _deployment(sample: Sample) -> Deployment:
    return open_at(load_layout(sample.deployment))


def _screen(app: App[Any]) -> HunkScreen:
    screen = app.screen
    assert isinstance(screen, HunkScreen), type(screen)
    return screen


def _look(seen: list[dict[str, Any]]) -> Any:
    """A step noting what the screen shows: header, top line, keys, preview lines, rows."""

    def step(app: App[Any]) -> None:
        screen = _screen(app)
        preview = screen.query_one("#hunk-preview", LinesView)._content
        seen.append(
            {
                "info": str(screen.query_one("#hunk-info").render()),
                "top": str(screen.query_one("#hunk-top").render()),
                "keys": [k.key for k in screen.query_one(KeyBar).shown],
                "ruled": [
                    i
                    for i, t in enumerate(preview)
                    if any(s.style == RULE_RESOLVED for s in t.spans)
                ],
                "row": screen._row(0, 40).plain,
            }
        )

    return step


def _file(sample: Sample) -> bytes:
    return (sample.deployment / OVERLAY / PATH).read_bytes()


def test_rule_hunks_are_shown_and_x_puts_the_plain_conflict_back(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    plain = _line_merge(sample, rh)
    refined = _bump(sample, rh, "refined")
    seen: list[dict[str, Any]] = []
    look = _look(seen)
    drive(ResolveApp(_deployment(sample)), look, "x", look, "n", look, "x", look, "q")
    first = seen[0]
    assert "resolved by rule adjacent · rule hunk 1 of 2 · lines 7-8" in first["info"]
    assert (
        "the sides edit different lines that touch · x puts the plain conflict back"
        in (first["info"])
    )
    assert "x" in first["keys"] and "o" not in first["keys"]
    assert first["ruled"] == [6, 7, 13, 14]
    assert "2 hunks by rules" in first["top"] and "1 hunk left in 1 file" in first["top"]
    # x: the first hunk's plain conflict is back, selected, the counts move.
    assert "hunk 1 of 2 · line 7" in seen[1]["info"]
    assert "1 hunk by rules" in seen[1]["top"] and "2 hunks left in 1 file" in seen[1]["top"]
    assert seen[1]["ruled"] == [21, 22]  # below the 10 lines of the conflict
    assert "resolved by rule adjacent · rule hunk 1 of 1 · lines 22-23" in seen[2]["info"]
    # Both undone: byte for byte what `--strategy line` writes.
    assert _file(sample) == plain != refined
    assert "by rules" not in seen[3]["top"] and seen[3]["ruled"] == []


def test_z_takes_an_undo_back(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    refined = _bump(sample, rh, "refined")
    seen: list[dict[str, Any]] = []
    drive(ResolveApp(_deployment(sample)), "x", "z", _look(seen), "q")
    assert _file(sample) == refined
    assert "resolved by rule adjacent · rule hunk 1 of 2" in seen[0]["info"]


def test_a_file_merged_clean_by_rules_is_listed_and_reopened_by_x(sample: Sample) -> None:
    rh = make_rule_hunks(sample, conflict=False)
    _bump(sample, rh, "refined")
    assert _bases(sample)[PATH] == rh.target
    seen: list[dict[str, Any]] = []
    drive(ResolveApp(_deployment(sample)), _look(seen), "x", _look(seen), "q")
    assert seen[0]["row"].startswith(" 2 rules") and PATH in seen[0]["row"]
    assert seen[0]["ruled"] == [6, 7, 13, 14]
    assert seen[1]["row"].startswith(" 1 left")
    assert len(parse(_file(sample)).hunks) == 1
    assert _bases(sample)[PATH] == rh.base and _unmerged(sample)[PATH] == {1, 2, 3}


def test_the_suggestion_is_shown_and_a_takes_it(sample: Sample) -> None:
    multi: MultiHunk = make_multi_hunk(sample)
    result = run_cli(sample.deployment, "bump", multi.target, "--choice", "merge")
    assert result.exit_code == 1, result.output
    seen: list[dict[str, Any]] = []
    look = _look(seen)
    settings = sample.deployment / OVERLAY / "skyportal/settings.py"
    merged = settings.read_bytes()
    files: list[bytes] = []
    taken = lambda _: files.append(settings.read_bytes())  # noqa: E731
    drive(ResolveApp(_deployment(sample)), look, "n", look, "a", look, taken, "z", look, "q")
    assert "suggested" not in seen[0]["info"] and "a" not in seen[0]["keys"]
    assert "suggested: upstream — " in seen[1]["info"] and "a" in seen[1]["keys"]
    assert b"PORT = 6000\n" in files[0] and len(parse(files[0]).hunks) == 3
    assert "hunk 2 of 3" in seen[2]["info"]
    assert "hunk 2 of 4" in seen[3]["info"] and "suggested: upstream" in seen[3]["info"]
    assert settings.read_bytes() == merged


def test_the_bump_screen_colours_the_rule_hunks_of_the_merge_preview(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    deployment = _deployment(sample)
    plan = plan_bump(deployment, rh.target, strategy="refined")
    seen: dict[str, Any] = {}

    def look(app: App[Any]) -> None:
        view = app.query_one(f"#view-{View.MERGE_PREVIEW}", LinesView)._content
        seen["ruled"] = [
            i for i, t in enumerate(view) if any(s.style == RULE_RESOLVED for s in t.spans)
        ]
        seen["caption"] = str(app.query_one(f"#caption-{View.MERGE_PREVIEW}").render())
        seen["info"] = str(app.query_one("#file-info").render())

    index = [f.path for f in plan.files].index(PATH)
    drive(BumpApp(plan), lambda a: setattr(a.query_one(FileList), "highlighted", index), look)
    assert seen["ruled"] == [6, 7, 13, 14]
    assert "2 hunks resolved by rules" in seen["caption"]
    assert "1 conflict · 2 hunks by rules" in seen["info"]


def test_after_a_refined_merge_the_result_screen_opens_the_rules_hunks(sample: Sample) -> None:
    rh = make_rule_hunks(sample, conflict=False)
    deployment = _deployment(sample)
    plan = plan_bump(deployment, rh.target, strategy="refined")
    apply = partial(interactive.carry_out, deployment, plan)
    app = BumpApp(plan, apply=apply, root=sample.deployment, deployment=deployment)
    rows: list[str] = []
    seen: list[dict[str, Any]] = []

    def row(app: App[Any]) -> None:
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        rows.append(screen.row_text(0, 80).plain)

    drive(app, "m", "y", row, "enter", _look(seen), "x", "q", row, "q")
    assert PATH in rows[0] and "2 hunks by rules" in rows[0]
    assert "resolved by rule adjacent · rule hunk 1 of 2" in seen[0]["info"]
    assert "markers left (1 hunk)" in rows[1]
    assert _bases(sample)[PATH] == rh.base and _unmerged(sample)[PATH] == {1, 2, 3}
