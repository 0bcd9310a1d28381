"""The screens at 80x24 and up: visible focus and the documented Tab order, key bars that
keep q ? n/p, a notice below the minimum size, paths shortened at separators, the hunk
view side by side or stacked with word-level marks, opened on the first difference."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import run_cli
from test_tui import _bump_app, _open, _scripted, drive, select, settle
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from overlay_merge.cli import interactive
from overlay_merge.core.hunks import Hunk
from overlay_merge.core.model import BaseSource
from overlay_merge.core.takes import HunkView
from overlay_merge.demo import Sample
from overlay_merge.tui.app import BumpApp
from overlay_merge.tui.dialogs import InfoScreen, TooSmallScreen
from overlay_merge.tui.hunkview import HunkSides
from overlay_merge.tui.keybar import Key, KeyBar, fit
from overlay_merge.tui.result import ResultScreen
from overlay_merge.tui.sides import OURS_WORD, THEIRS_WORD, changed_words, hunk_sides, stacked
from overlay_merge.tui.widgets import FileList, file_row, shorten_path

SETUP = "skyportal/initial_setup.py"


def _shown(app: App[Any]) -> list[str]:
    return [f"{k.key} {k.label}" for k in app.screen.query_one(KeyBar).shown]


# -- focus and Tab ----------------------------------------------------------------


def test_the_first_tab_focuses_the_view_and_the_focus_shows(sample: Sample) -> None:
    seen: list[Any] = []

    def look(app: BumpApp) -> None:
        detail = app.query_one("#detail")
        seen.append((type(app.focused).__name__, detail.has_pseudo_class("focus-within")))
        seen.append(app.query_one(FileList).highlighted)

    drive(_bump_app(sample), look, "tab", look, "down", look, "tab", look, "c", size=(80, 24))
    focus = seen[0::2]
    assert focus[0] == ("FileList", False)
    assert focus[1] == ("LinesView", True)  # the view, not the tab strip; its edge lights up
    assert seen[5] == seen[1]  # ↓ in the view scrolls it: the selection stays
    assert focus[3] == ("FileList", False)


def test_the_hunk_screen_tab_focuses_the_sides(sample: Sample) -> None:
    run_cli(sample.deployment, "bump", "--choice", "merge")
    from test_tui_decide import _deployment  # noqa: PLC0415

    from overlay_merge.tui.hunks import ResolveApp  # noqa: PLC0415

    focused: list[str | None] = []
    drive(ResolveApp(_deployment(sample)), "tab",
          lambda a: focused.append(a.focused.id if a.focused else None), "q")  # fmt: skip
    assert focused == ["side-stack"]


# -- the key bars -----------------------------------------------------------------


def test_fit_keeps_the_kept_keys_and_the_order() -> None:
    keys = [
        Key("q", "Quit", keep=True),
        Key("x", "x" * 30),
        Key("y", "Why"),
        Key("?", "Keys", keep=True),
    ]
    assert [k.key for k in fit(keys, 30)] == ["q", "y", "?"]
    assert [k.key for k in fit(keys, 10)] == ["q", "?"]


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        (SETUP, ["q Cancel", "? Keys", "n/p Conflict", "k Keep", "t Upstream", "m Merge"]),
        ("skyportal/models/group.py", ["k Keep", "t Upstream", "d Drop"]),  # converged
        ("skyportal/handlers/api/legacy.py", ["k Keep", "d Drop"]),  # deleted upstream
        ("static/img/logo.png", ["k Keep", "t Upstream"]),  # binary
    ],
)
def test_the_bump_key_bar_at_80_columns(sample: Sample, path: str, wanted: list[str]) -> None:
    seen: list[list[str]] = []
    drive(_bump_app(sample), select(path), lambda a: seen.append(_shown(a)), "c", size=(80, 24))
    assert set(wanted) <= set(seen[0]), seen[0]
    assert "d Drop" in seen[0] or path in (SETUP, "static/img/logo.png")


def test_a_decision_offers_its_way_back_and_wide_terminals_show_more(sample: Sample) -> None:
    seen: list[list[str]] = []
    look = lambda a: seen.append(_shown(a))  # noqa: E731
    drive(_bump_app(sample), select(SETUP), "k", look, "c", size=(80, 24))
    drive(_bump_app(sample), select(SETUP), look, "c", size=(160, 48))
    assert "a Merge it" in seen[0] and "k Keep" not in seen[0]
    assert {"l Commits", "Tab View", "u Update"} <= set(seen[1])


def test_the_result_screen_and_the_hunk_screen_keep_q_and_help(sample: Sample) -> None:
    deployment, plan = _open(sample.deployment)
    app = BumpApp(
        plan,
        apply=lambda c, d: interactive.carry_out(deployment, plan, c, d),
        root=sample.deployment,
        deployment=deployment,
    )
    seen: list[list[str]] = []
    look = lambda a: seen.append(_shown(a))  # noqa: E731
    drive(app, "m", "y", look, select_result(SETUP), "enter", look, "q", "q", size=(80, 24))
    assert {"q Done", "? Keys", "Enter Hunk by hunk"} <= set(seen[0])
    assert {"q Done", "? Keys", "n/p Hunk", "o Overlay", "u Upstream"} <= set(seen[1])


def select_result(path: str) -> Callable[[BumpApp], None]:
    def step(app: BumpApp) -> None:
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        screen.query_one("#to-resolve").highlighted = [  # type: ignore[attr-defined]
            f.target_path for f in screen.items
        ].index(path)

    return step


# -- too small ----------------------------------------------------------------------


def test_below_the_minimum_a_notice_covers_the_screen(sample: Sample) -> None:
    seen: list[Any] = []

    def look(app: BumpApp) -> None:
        screen = app.screen
        text = (
            str(screen.query_one("#too-small").render())
            if isinstance(screen, TooSmallScreen)
            else ""
        )
        seen.append((type(screen).__name__, text))

    async def run() -> None:
        app = _bump_app(sample)
        async with app.run_test(size=(59, 17)) as pilot:
            await settle(pilot)
            look(app)
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            look(app)
            await pilot.resize_terminal(60, 17)
            await settle(pilot)
            look(app)
            await pilot.press("c")

    import asyncio  # noqa: PLC0415

    asyncio.run(run())
    assert seen[0][0] == "TooSmallScreen" and "terminal too small: 59x17" in seen[0][1]
    assert "needs 60x18" in seen[0][1]
    assert seen[1][0] == "Screen"
    assert seen[2] == ("TooSmallScreen", seen[2][1]) and "60x17" in seen[2][1]


# -- paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "short"),
    [
        (40, "skyportal/handlers/api/instrument.py"),
        (30, "…/handlers/api/instrument.py"),
        (24, "…/api/instrument.py"),
        (18, "…/instrument.py"),
        (13, "instrument.py"),
        (8, "instrum…"),
    ],
)
def test_paths_are_shortened_at_separators(width: int, short: str) -> None:
    assert shorten_path("skyportal/handlers/api/instrument.py", width) == short


def test_a_short_top_folder_is_kept_when_it_fits() -> None:
    assert shorten_path("app/very_long_folder_name/name.py", 15) == "app/…/name.py"


def test_file_rows_never_cut_a_name_and_keep_the_badge_on_the_line(sample: Sample) -> None:
    _, plan = _open(sample.deployment)
    for item in plan.files:
        for width in range(28, 70, 3):
            row = file_row(item, width).plain
            assert len(row) <= width and "\n" not in row
            shown = row.split(maxsplit=1)[1].strip()
            parts = item.path.split("/")
            assert all(p in parts or p == "…" for p in shown.split("/")), (shown, width)


# -- the hunk view ---------------------------------------------------------------------


def _hunk(ours: list[str], base: list[str] | None, theirs: list[str]) -> HunkView:
    def lines(texts: list[str]) -> tuple[bytes, ...]:
        return tuple(t.encode() + b"\n" for t in texts)

    hunk = Hunk(
        1,
        b"<<<<<<< overlay\n",
        lines(ours),
        b"||||||| base\n" if base is not None else None,
        lines(base) if base is not None else None,
        b"=======\n",
        lines(theirs),
        b">>>>>>> upstream\n",
    )
    return HunkView(1, hunk, BaseSource.IN_MARKERS, None, None)


LONG = "result = compute_the_value(first_argument, second_argument, third_argument, "


def test_changed_words_are_marked_against_the_base() -> None:
    assert changed_words(["a = f(x, y)"], ["a = f(x, z)"]) == [[(9, 10)]]
    ours, _, theirs = hunk_sides(_hunk([LONG + "ours)"], [LONG + "base)"], [LONG + "theirs)"]))
    assert ours.spans == [[(len(LONG), len(LONG) + 4)]]
    assert theirs.spans == [[(len(LONG), len(LONG) + 6)]]
    lines, titles = stacked([ours, theirs], "x.py")
    assert titles == {0, 2}  # one title line each, not scrolled sideways
    styles = {str(s.style) for line in lines for s in line.spans}
    assert str(OURS_WORD) in styles and str(THEIRS_WORD) in styles


class _Sides(App[None]):
    def __init__(self, view: HunkView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield HunkSides(id="sides")

    def on_mount(self) -> None:
        self.query_one(HunkSides).show(self.view, "x.py")


@pytest.mark.parametrize(("size", "wide"), [((80, 24), False), ((160, 48), True)])
def test_the_view_opens_on_the_first_differing_column(size: tuple[int, int], wide: bool) -> None:
    seen: list[Any] = []

    def look(app: App[Any]) -> None:
        sides = app.query_one(HunkSides)
        seen.append(sides.wide)
        for view in sides.views():
            width = view.scrollable_content_region.width
            seen.append((view.id, view.scroll_x, width))

    view = _hunk([LONG * 2 + "ours)"], [LONG * 2 + "base)"], [LONG * 2 + "theirs)"])
    drive(_Sides(view), look, size=size)
    assert seen[0] is wide
    column = len(LONG) * 2 + 2  # after the gutter
    for name, x, width in seen[1:]:
        assert x <= column < x + width, (name, x, width)  # the difference is in view
        assert x > 0
    assert [name for name, _, _ in seen[1:]] == (
        ["side-ours", "side-theirs"] if wide else ["side-stack"]
    )


def test_side_by_side_aligns_equal_lines_and_s_shows_the_base(sample: Sample) -> None:
    from multihunk import make_multi_hunk  # noqa: PLC0415
    from test_tui_decide import _deployment  # noqa: PLC0415

    from overlay_merge.tui.hunks import ResolveApp  # noqa: PLC0415

    multi = make_multi_hunk(sample)
    run_cli(sample.deployment, "bump", multi.target, "--choice", "merge")
    seen: list[Any] = []

    def look(app: App[Any]) -> None:
        sides = app.screen.query_one(HunkSides)
        seen.append([v.id for v in sides.views()])
        seen.append(["\n".join(t.plain for t in v._content) for v in sides.views()])

    drive(ResolveApp(_deployment(sample)), look, "s", look, "q", size=(160, 48))
    assert seen[0] == ["side-ours", "side-theirs"]
    ours, theirs = seen[1]
    assert 'NAME = "icare"' in ours and 'NAME = "skyportal-app"' in theirs
    assert seen[2] == ["side-ours", "side-base", "side-theirs"]
    assert 'NAME = "skyportal"' in seen[3][1]


# -- help -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
def test_the_hunk_screen_help_scrolls_to_its_end(sample: Sample, size: tuple[int, int]) -> None:
    run_cli(sample.deployment, "bump", "--choice", "merge")
    from test_tui_decide import _deployment  # noqa: PLC0415

    from overlay_merge.tui.hunks import ResolveApp  # noqa: PLC0415

    seen: list[Any] = []

    def look(app: App[Any]) -> None:
        screen = app.screen
        assert isinstance(screen, InfoScreen)
        body = screen.query_one("#info-body", VerticalScroll)
        seen.append((body.scroll_y, body.max_scroll_y, screen.region.contains_region(body.region)))

    drive(ResolveApp(_deployment(sample)), "question_mark", "end", look, "q", "q", size=size)
    y, top, inside = seen[0]
    assert inside and y == top


# -- what is printed after the screens -------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interactive, "is_terminal", lambda: True)


def test_bump_prints_the_state_once_the_screens_close(
    sample: Sample, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = ("m", "y", select_result(SETUP), "enter", "u", "q", "q")
    monkeypatch.setattr(BumpApp, "run", _scripted(*steps))
    result = run_cli(sample.deployment, "bump")
    out = result.output
    assert result.exit_code == 1, out  # three files are left
    assert re.search(rf"^  resolved +{re.escape(SETUP)}$", out, re.MULTILINE), out
    assert "4 files" not in out and "3 files still to resolve" in out
    assert f"  {SETUP} hunk 1: upstream's side" in out


def test_quitting_after_a_merge_prints_the_state_now(
    sample: Sample, terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = ("m", "y", select_result(SETUP), "enter", "u", "q", "ctrl+q")
    monkeypatch.setattr(BumpApp, "run", _scripted(*steps))
    out = run_cli(sample.deployment, "bump").output
    assert "3 files still to resolve" in out and "4 files to resolve" not in out
