"""Snapshots at 80x24 and 160x48: the bump screen, the hunk screen (stacked at 80
columns, side by side at 160, changed words marked; a suggestion and a hunk a rule
resolved), the help scrolled to its end, and the files decided as a whole (deleted
upstream, binary, converged).

Each is taken once the app settled (``test_tui.steps``), never after a pause.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from conftest import run_cli
from rulehunks import add_change
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


# A rule's hunk (adjacent: lines 3-4) above a conflict whose overlay side only changes
# quotes (suggested: upstream), close enough to share the screen.
def _limits(sources: bytes, groups: bytes, name: bytes) -> bytes:
    middle = b"MAX_SOURCES = " + sources + b"\nMAX_GROUPS = " + groups
    return b'"""Limits."""\n# a\n' + middle + b"\n# b\n# c\n# d\nNAME = " + name + b"\n# e\n"


_RULED = (
    _limits(b"100", b"10", b'"limits"'),
    _limits(b"500", b"10", b"'limits'"),
    _limits(b"100", b"20", b'"site"'),
)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_hunk_screen_with_a_suggestion_and_a_rule_hunk(
    sample: Sample, snap_compare: Any, size: tuple[int, int]
) -> None:
    # The conflict selected: its suggestion in the header, the rule's lines coloured above it.
    change = add_change(sample, "skyportal/limits.py", _RULED)
    merge = ("bump", change.target, "--choice", "merge", "--strategy", "refined")
    assert run_cli(sample.deployment, *merge).exit_code == 1
    app = ResolveApp(_deployment(sample))
    assert snap_compare(app, terminal_size=size, run_before=steps("n"))
