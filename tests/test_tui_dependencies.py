"""The bump screen on additions that depend on changed upstream code: the state, `i`, `o`.

``i`` shows, in the upstream tab, the upstream diff of each module the
selected addition imports that changed (one per press); ``o`` confirms the
addition, so that the merge moves its base (else it stays flagged).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from dependencyhistory import BODY, LOST_NAME, MOVED, History, make_history
from test_dependencies import _bases
from test_tui import SIZE, drive, select, steps

from overlay_merge.cli import interactive
from overlay_merge.core.deployment import open_at
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import View
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample
from overlay_merge.reports.bump import ApplyReport
from overlay_merge.tui.app import BumpApp
from overlay_merge.tui.widgets import FileList, LinesView, file_row


def _app(sample: Sample) -> tuple[BumpApp, History]:
    history = make_history(sample)
    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment, history.c2)
    apply = partial(interactive.carry_out, deployment, plan)
    return BumpApp(plan, apply=apply, root=deployment.layout.root), history


def _seen(app: BumpApp) -> tuple[str, str, str]:
    """The active tab, its caption and its lines, as plain text."""
    view = app.query_one("#tabs").active  # type: ignore[attr-defined]
    caption = str(app.query_one(f"#caption-{view}").render())  # type: ignore[attr-defined]
    lines = app.query_one(f"#view-{view}", LinesView)
    return view, caption, "\n".join(line.plain for line in lines._content)


def test_the_state_is_shown_and_i_shows_the_imported_modules_diff(sample: Sample) -> None:
    app, _ = _app(sample)
    looks: list[tuple[str, str, str]] = []
    info: list[str] = []

    def look(a: BumpApp) -> None:
        looks.append(_seen(a))
        info.append(str(a.query_one("#file-info").render()))  # type: ignore[attr-defined]

    drive(app, select(LOST_NAME), look, "i", look, "c")
    assert "depends-on-changed  base kept (o: confirm)" in info[0]
    assert "broken: 1 import changed (i)" in info[0]
    assert looks[0][0] == View.MERGE_PREVIEW
    view, caption, body = looks[1]
    assert view == View.UPSTREAM_CHANGES
    assert "units.ts b140a8f → units.ts 83eb81a" in caption
    assert "import 1/1, line 3: broken, no longer has `raToHours`" in caption
    assert "export function raToHours" in body and "raToSexagesimal" in body


def test_i_cycles_through_the_changed_imports_and_refuses_elsewhere(sample: Sample) -> None:
    app, _ = _app(sample)
    captions: list[str] = []
    notes: list[int] = []
    drive(
        app,
        select(MOVED),
        "i",
        lambda a: captions.append(_seen(a)[1]),
        "i",  # one changed import: the same module again
        lambda a: captions.append(_seen(a)[1]),
        select("skyportal/initial_setup.py"),
        "i",
        lambda a: notes.append(len(a._notifications)),
        "c",
    )
    assert len(captions) == 2
    assert all("broken, moved to static/js/store/source.js" in c for c in captions)
    assert notes == [1]  # not a depends-on-changed file: said so, nothing else


def test_o_confirms_and_the_merge_moves_only_that_base(sample: Sample) -> None:
    app, history = _app(sample)
    rows: list[str] = []

    def look(a: BumpApp) -> None:
        files = a.query_one(FileList)
        rows.append(file_row(files.files[files.highlighted or 0], 60).plain.split()[-1])

    drive(app, select(LOST_NAME), "o", look, "m", "y", "q")
    assert app.decisions == {LOST_NAME: "confirm"}
    assert rows == ["confirm"]
    assert isinstance(app.report, ApplyReport)
    bases = _bases(sample)
    assert bases[LOST_NAME] == history.c2
    assert bases[MOVED] == bases[BODY] == history.c1


def test_snapshot_imported_module_diff(sample: Sample, snap_compare: Any) -> None:
    app, _ = _app(sample)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(select(LOST_NAME), "i"))
