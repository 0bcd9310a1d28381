"""The three views of an overlay file (core/views.py), on the sample's plan s1 -> s2."""

from __future__ import annotations

import pytest

from overlay_merge.core.decisions import decide
from overlay_merge.core.deployment import open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import View
from overlay_merge.core.plan import BumpPlan, FilePlan, plan_bump
from overlay_merge.core.views import (
    Conflict,
    conflicts_in,
    file_view,
    select_files,
)
from overlay_merge.demo import Sample

CLEAN = "skyportal/handlers/api/source.py"
CONFLICT = "skyportal/initial_setup.py"
ADDITION = "skyportal/facility_apis/grandma_api.py"
DELETED = "skyportal/handlers/api/legacy.py"
RENAMED = "skyportal/utils/calculations.py"
CONVERGED = "skyportal/models/group.py"
BINARY = "static/img/logo.png"
ADDED = "skyportal/handlers/api/instrument.py"


@pytest.fixture
def plan(sample: Sample) -> BumpPlan:
    return plan_bump(open_at(load_layout(sample.deployment)))


def _file(plan: BumpPlan, path: str) -> FilePlan:
    return next(f for f in plan.files if f.path == path)


def test_a_clean_merge_in_each_view(plan: BumpPlan) -> None:
    item = _file(plan, CLEAN)
    assert item.base is not None and item.theirs is not None
    patch = file_view(plan, item, View.OVERLAY_CHANGES)
    assert (patch.old, patch.new) == (item.base.data, item.ours.data)
    assert (patch.old_label, patch.new_label) == (f"base {plan.pin[:7]}", "overlay")
    upstream = file_view(plan, item, View.UPSTREAM_CHANGES)
    assert (upstream.old, upstream.new) == (item.base.data, item.theirs.data)
    assert upstream.new_label == f"upstream {plan.target[:7]}"
    merged = file_view(plan, item, View.MERGE_PREVIEW)
    assert (merged.old, merged.new) == (item.ours.data, item.content)
    assert all(v.changed and not v.binary for v in (patch, upstream, merged))


def test_an_addition_upstream_still_lacks(plan: BumpPlan) -> None:
    item = _file(plan, ADDITION)
    patch = file_view(plan, item, View.OVERLAY_CHANGES)
    assert patch.old is None and patch.new == item.ours.data and "addition" in patch.note
    assert not file_view(plan, item, View.UPSTREAM_CHANGES).changed
    assert not file_view(plan, item, View.MERGE_PREVIEW).changed


def test_deleted_upstream_kept_until_decided(plan: BumpPlan) -> None:
    item = _file(plan, DELETED)
    assert file_view(plan, item, View.UPSTREAM_CHANGES).new is None
    merged = file_view(plan, item, View.MERGE_PREVIEW)
    assert merged.new == item.ours.data and "until you decide" in merged.note
    dropped = decide(plan, {DELETED: "drop"})
    view = file_view(dropped, _file(dropped, DELETED), View.MERGE_PREVIEW)
    assert view.new is None and view.changed and "dropped" in view.note


def test_a_rename_shows_the_new_path(plan: BumpPlan) -> None:
    item = _file(plan, RENAMED)
    assert file_view(plan, item, View.UPSTREAM_CHANGES).new_path == "skyportal/utils/calc.py"
    merged = file_view(plan, item, View.MERGE_PREVIEW)
    assert (merged.old_path, merged.new_path) == (RENAMED, "skyportal/utils/calc.py")
    assert "moves to skyportal/utils/calc.py" in merged.note
    kept = decide(plan, {RENAMED: "keep"})
    view = file_view(kept, _file(kept, RENAMED), View.MERGE_PREVIEW)
    assert view.new_path == RENAMED and not view.changed


def test_conflict_and_its_decisions(plan: BumpPlan) -> None:
    item = _file(plan, CONFLICT)
    merged = file_view(plan, item, View.MERGE_PREVIEW)
    assert merged.new == item.content and "1 conflicting hunk" in merged.note
    taken = decide(plan, {CONFLICT: "upstream"})
    view = file_view(taken, _file(taken, CONFLICT), View.MERGE_PREVIEW)
    assert item.theirs is not None and view.new == item.theirs.data
    assert "upstream's version" in view.note


def test_converged_binary_and_added(plan: BumpPlan) -> None:
    converged = file_view(plan, _file(plan, CONVERGED), View.MERGE_PREVIEW)
    assert not converged.changed and "can be dropped" in converged.note
    binary = _file(plan, BINARY)
    assert all(
        file_view(plan, binary, v).binary for v in (View.OVERLAY_CHANGES, View.UPSTREAM_CHANGES)
    )
    added = file_view(plan, _file(plan, ADDED), View.UPSTREAM_CHANGES)
    assert added.old is None and added.new is not None


def test_unknown_view(plan: BumpPlan) -> None:
    with pytest.raises(ValueError, match="unknown view"):
        file_view(plan, plan.files[0], "sideways")


def test_diff_is_git_format(plan: BumpPlan) -> None:
    result = file_view(plan, _file(plan, CLEAN), View.OVERLAY_CHANGES).diff()
    assert result.patch.startswith(f"diff --git a/{CLEAN} b/{CLEAN}\n".encode())
    assert b"\n@@ -" in result.patch and not result.binary
    assert file_view(plan, _file(plan, BINARY), View.OVERLAY_CHANGES).diff().binary


# -- conflict blocks -------------------------------------------------------------


def test_conflicts_in_the_planned_merge(plan: BumpPlan) -> None:
    content = _file(plan, CONFLICT).content
    assert content is not None
    (block,) = conflicts_in(content)
    lines = content.split(b"\n")
    assert lines[block.start].startswith(b"<<<<<<< overlay")
    assert block.base is not None and lines[block.base].startswith(b"||||||| base")
    assert lines[block.sep] == b"=======" and lines[block.end].startswith(b">>>>>>> upstream")


def test_conflicts_in_two_way_crlf_and_unfinished_blocks() -> None:
    content = (
        b"a\r\n<<<<<<< overlay\r\nx\r\n=======\r\ny\r\n>>>>>>> upstream 1\r\n"
        b"b\n<<<<<<< overlay\nz\n=======\nw\n>>>>>>> upstream 1\n"
        b"<<<<<<< overlay\nnever closed\n"
    )
    assert conflicts_in(content) == [Conflict(1, None, 3, 5), Conflict(7, None, 9, 11)]
    assert conflicts_in(b"no markers\n") == []


# -- PATH selection ----------------------------------------------------------------


def test_select_files(plan: BumpPlan) -> None:
    paths = lambda files: [f.path for f in files]  # noqa: E731
    assert select_files(plan, ()) == plan.files
    assert paths(select_files(plan, [CLEAN])) == [CLEAN]
    assert paths(select_files(plan, [f"extensions/skyportal/{CLEAN}"])) == [CLEAN]
    assert paths(select_files(plan, [f"./{CLEAN}"])) == [CLEAN]
    assert paths(select_files(plan, ["skyportal/utils/calc.py"])) == [RENAMED]
    folder = paths(select_files(plan, ["skyportal/handlers/", CLEAN]))
    assert folder == sorted(p for p in paths(plan.files) if p.startswith("skyportal/handlers/"))
    assert select_files(plan, ["extensions/skyportal"]) == plan.files


@pytest.mark.parametrize("bad", ["nope.py", "skyportal/handlers/api/source", "skyport"])
def test_select_files_refuses_unknown_paths(plan: BumpPlan, bad: str) -> None:
    with pytest.raises(OverlayMergeError, match="not an overlay file"):
        select_files(plan, [CLEAN, bad])
