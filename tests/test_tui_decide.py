"""Every file is decidable where it is shown: on the hunk screen a file without hunks
(deleted upstream, binary) takes a side as a whole, an editor visit records only a
change, and every record is undone with ``z`` (the journal's own undo)."""

from __future__ import annotations

import contextlib
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from gitutil import git
from test_bump import _bases, _unmerged
from test_tui import drive
from textual.app import App

from overlay_merge.core.deployment import Deployment, open_at
from overlay_merge.core.layout import load_layout
from overlay_merge.demo import Sample
from overlay_merge.tui.hunks import HunkScreen, ResolveApp
from overlay_merge.tui.keybar import KeyBar
from overlay_merge.tui.widgets import RowList

OVERLAY = "extensions/skyportal"
LOGO = "static/img/logo.png"
LEGACY = "skyportal/handlers/api/legacy.py"
SETUP = "skyportal/initial_setup.py"


def _deployment(sample: Sample) -> Deployment:
    return open_at(load_layout(sample.deployment))


@pytest.fixture
def merged(sample: Sample) -> Sample:
    """The sample after `bump --choice merge`: four files left to resolve."""
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    return sample


def _screen(app: App[Any]) -> HunkScreen:
    screen = app.screen
    assert isinstance(screen, HunkScreen), type(screen)
    return screen


def pick(path: str) -> Callable[[App[Any]], None]:
    def step(app: App[Any]) -> None:
        screen = _screen(app)
        screen.query_one("#hunk-files", RowList).highlighted = screen.paths.index(path)

    return step


def _blob(sample: Sample, path: str) -> bytes:
    """Upstream's version of *path* at the pin, as bytes (a binary blob is not text)."""
    upstream = sample.deployment / "skyportal"
    sha = git(upstream, "rev-parse", f"HEAD:{path}")
    return subprocess.run(
        ["git", "-C", str(upstream), "cat-file", "blob", sha], check=True, capture_output=True
    ).stdout


def _state(sample: Sample, path: str) -> tuple[bytes | None, str | None, bool]:
    full = sample.deployment / OVERLAY / path
    data = full.read_bytes() if full.exists() else None
    return data, _bases(sample).get(path), path in _unmerged(sample)


def test_a_binary_file_takes_a_side_and_z_takes_it_back(merged: Sample) -> None:
    before = _state(merged, LOGO)
    target = git(merged.deployment / "skyportal", "rev-parse", "HEAD")
    seen: dict[str, Any] = {}

    def look(name: str) -> Callable[[App[Any]], None]:
        def step(app: App[Any]) -> None:
            screen = _screen(app)
            index = screen.paths.index(LOGO)
            keys = [k.key + " " + k.label for k in screen.query_one(KeyBar).shown]
            seen[name] = (_state(merged, LOGO), screen._row(index, 60).plain, keys)

        return step

    drive(ResolveApp(_deployment(merged)), pick(LOGO), look("start"), "u", look("u"), "z",
          look("z"), "o", look("o"), "q", size=(80, 24))  # fmt: skip
    assert before[2] and seen["start"][0] == before and "binary" in seen["start"][1]
    assert "o Overlay" in seen["start"][2] and "u Upstream" in seen["start"][2]
    data, base, unmerged = seen["u"][0]
    assert data == _blob(merged, LOGO) != before[0] and base == target and not unmerged
    assert "resolved" in seen["u"][1]
    assert seen["z"][0] == before  # bytes, base and index stages back
    assert seen["o"][0] == (before[0], target, False)


def test_a_file_deleted_upstream_is_kept_or_deleted_and_z_undoes_either(
    merged: Sample,
) -> None:
    before = _state(merged, LEGACY)
    target = git(merged.deployment / "skyportal", "rev-parse", "HEAD")
    states: list[Any] = []
    keys: list[list[str]] = []

    def look(app: App[Any]) -> None:
        states.append(_state(merged, LEGACY))
        keys.append([k.key + " " + k.label for k in _screen(app).query_one(KeyBar).shown])

    drive(ResolveApp(_deployment(merged)), pick(LEGACY), look, "u", look, "z", look, "o",
          look, "q", size=(80, 24))  # fmt: skip
    assert before[2] and states[0] == before
    assert "o Keep" in keys[0] and "u Delete" in keys[0]
    assert states[1] == (None, None, False)  # deleted, its base entry dropped
    assert states[2] == before
    assert states[3] == (before[0], target, False)  # kept as an addition, base moved


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set ``$VISUAL`` to a script running *body* on the file (``p``: its path)."""
    # The headless driver cannot hand the terminal over: pretend it did.
    monkeypatch.setattr(App, "suspend", lambda self: contextlib.nullcontext())

    def use(body: str) -> None:
        script = tmp_path / "editor.py"
        script.write_text(f"import sys, pathlib\np = pathlib.Path(sys.argv[-1])\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")

    return use


@pytest.mark.parametrize("path", [LOGO, LEGACY, SETUP])
def test_an_editor_visit_that_changes_nothing_records_nothing(
    merged: Sample, editor: Callable[[str], None], path: str
) -> None:
    editor("pass")
    before = _state(merged, path)
    notes: list[str] = []
    drive(ResolveApp(_deployment(merged)), pick(path), "e",
          lambda a: notes.extend(n.message for n in a._notifications), "z",
          lambda a: notes.extend(n.message for n in a._notifications), "q")  # fmt: skip
    assert _state(merged, path) == before  # still in conflict, nothing recorded
    assert any("unchanged: nothing recorded" in n for n in notes)
    assert any("no hunk choice to undo" in n for n in notes)  # z had nothing to take back


def test_an_editor_record_is_undone_with_z(merged: Sample, editor: Callable[[str], None]) -> None:
    editor(
        "p.write_text(''.join(l for l in p.read_text().splitlines(True) "
        "if l[:7] not in ('<<<<<<<', '|||||||', '=======', '>>>>>>>')))"
    )
    before = _state(merged, SETUP)
    target = git(merged.deployment / "skyportal", "rev-parse", "HEAD")
    states: list[Any] = []
    look = lambda a: states.append(_state(merged, SETUP))  # noqa: E731
    drive(ResolveApp(_deployment(merged)), pick(SETUP), "e", look, "z", look, "q")
    assert states[0][1:] == (target, False) and b"<<<<<<<" not in (states[0][0] or b"")
    assert states[1] == before  # markers, base and index stages back


def test_the_header_counts_the_files_to_decide(merged: Sample) -> None:
    tops: list[str] = []
    drive(ResolveApp(_deployment(merged)),
          lambda a: tops.append(str(_screen(a).query_one("#hunk-top").render())), "q")  # fmt: skip
    assert "2 hunks left in 2 files · 2 to decide" in tops[0]


def test_resolve_undo_names_a_whole_file_choice(merged: Sample) -> None:
    drive(ResolveApp(_deployment(merged)), pick(LOGO), "u", "q")
    result = run_cli(merged.deployment, "resolve", "--undo")
    assert result.exit_code == 0, result.output
    assert f"undid upstream for the whole file {LOGO}; it is in conflict again" in result.output
