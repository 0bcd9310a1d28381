"""Snapshots at 80x24 and 160x48: the bump screen, the hunk screen (stacked at 80
columns, side by side at 160, changed words marked), the help scrolled to its end,
and the files decided as a whole (deleted upstream, binary, converged).

Each is taken once the app settled (``test_tui.steps``), never after a pause.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from conftest import run_cli
from test_tui import _bump_app, select, steps
from test_tui_decide import LEGACY, LOGO, _deployment, pick

from overlay_merge.demo import Sample
from overlay_merge.tui.hunks import ResolveApp

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
SETUP = "skyportal/initial_setup.py"


@pytest.fixture(autouse=True)
def _colour() -> None:
    os.environ.pop("NO_COLOR", None)  # the marks are colours


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_bump_screen(sample: Sample, snap_compare: Any, size: tuple[int, int]) -> None:
    app = _bump_app(sample)
    assert snap_compare(app, terminal_size=size, run_before=steps(select(SETUP)))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_converged_file_decidable(
    sample: Sample, snap_compare: Any, size: tuple[int, int]
) -> None:
    app = _bump_app(sample)
    converged = select("skyportal/models/group.py")
    assert snap_compare(app, terminal_size=size, run_before=steps(converged))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_help_scrolled_to_its_end(
    sample: Sample, snap_compare: Any, size: tuple[int, int]
) -> None:
    app = _bump_app(sample)
    assert snap_compare(app, terminal_size=size, run_before=steps("question_mark", "end"))


def _resolve(sample: Sample) -> ResolveApp:
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    return ResolveApp(_deployment(sample))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_hunk_screen(sample: Sample, snap_compare: Any, size: tuple[int, int]) -> None:
    # 80 columns: stacked; 160: side by side.  Either way the changed words are marked.
    app = _resolve(sample)
    assert snap_compare(app, terminal_size=size, run_before=steps(pick(SETUP)))


@pytest.mark.parametrize("path", [LEGACY, LOGO], ids=["deleted", "binary"])
@pytest.mark.parametrize("size", SIZES)
def test_snapshot_hunk_screen_whole_file_decidable(
    sample: Sample, snap_compare: Any, size: tuple[int, int], path: str
) -> None:
    app = _resolve(sample)
    assert snap_compare(app, terminal_size=size, run_before=steps(pick(path)))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_hunk_screen_help_scrolled_to_its_end(
    sample: Sample, snap_compare: Any, size: tuple[int, int]
) -> None:
    app = _resolve(sample)
    assert snap_compare(app, terminal_size=size, run_before=steps("question_mark", "end"))
