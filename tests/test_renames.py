"""Renames followed through upstream's history, and files left shadowing (docs/design.md §5).

The history (:mod:`renamehistory`): a rename on a side branch merged in, a
rewrite under 50% similarity, a second rename; a rename then a rewrite inside
the nested submodule; two files turned into another file of the same module
(``Legacy.jsx`` -> ``Legacy.tsx``, ``groups.py`` -> ``groups/__init__.py``).
``check`` and ``bump --dry-run`` must say the same on all of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from gitoracle import upstream_of
from gitutil import git
from renamehistory import (
    GROUPS,
    GROUPS_PACKAGE,
    LEGACY,
    LEGACY_TSX,
    MODELS,
    MODELS_MOVED,
    NESTED,
    OVERLAY,
    PLUGINS,
    PLUGINS_MOVED,
    PLUGINS_TSX,
    History,
    make_history,
)

from overlay_merge.core.decisions import decide
from overlay_merge.core.deployment import open_at
from overlay_merge.core.git.model import RenameStep
from overlay_merge.core.git.renames import RenameWalks
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import BumpState, Decision, RenameSource
from overlay_merge.core.plan import plan_bump
from overlay_merge.core.renames import RenameFinder
from overlay_merge.demo import Sample
from overlay_merge.reports.bump import PlanReport

NESTED_MODELS = f"{NESTED}/{MODELS}"


@pytest.fixture
def history(sample: Sample) -> History:
    return make_history(sample)


def _json(sample: Sample, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(sample.deployment, *args, "--format", "json")
    return result.exit_code, json.loads(result.output)


def _agreeing(sample: Sample, target: str) -> dict[str, dict[str, Any]]:
    """Per overlay file, what ``bump --dry-run`` says, once checked that ``check`` says it too."""
    bump_code, plan = _json(sample, "bump", target, "--dry-run")
    check_code, check = _json(sample, "check", "--against", target)
    assert bump_code == check_code == 1
    planned = {f["path"]: f for f in plan["files"]}
    checked = {f["path"]: f for f in check["files"]}
    assert planned.keys() <= checked.keys()
    for path, f in planned.items():
        c = checked[path]
        assert (c["merge"] or BumpState.UNCHANGED) == f["state"], path
        assert c["renamed_to"] == f.get("renamed_to"), path
        assert c["renamed_by"] == f.get("renamed_by"), path
        assert c["shadows"] == f.get("shadows", []), path
        assert c["conflicts"] == f["conflicts"], path
    return planned


def test_git_log_follow_sees_the_chain_the_walk_follows(sample: Sample, history: History) -> None:
    # The oracle: git's own --follow, from the final path back to the original one.
    log = git(sample.upstream, "log", "--follow", "--format=%H", "--name-status", "-M50%",
              history.c4, "--", PLUGINS_MOVED)  # fmt: skip
    renames = [line.split("\t") for line in log.splitlines() if line.startswith("R")]
    assert [(old, new) for _, old, new in renames] == [
        (PLUGINS_TSX, PLUGINS_MOVED),
        (PLUGINS, PLUGINS_TSX),
    ]
    upstream = upstream_of(sample)
    trails = upstream.follow_renames(history.c1, history.c4, [PLUGINS, LEGACY], RenameWalks())
    assert trails[PLUGINS].path == PLUGINS_MOVED
    assert [(s.old_path, s.new_path, s.commit) for s in trails[PLUGINS].steps] == [
        (PLUGINS, PLUGINS_TSX, history.c2),  # on the side branch, not at the merge
        (PLUGINS_TSX, PLUGINS_MOVED, history.c4),
    ]
    assert all(s.similarity >= 80 for s in trails[PLUGINS].steps)
    assert trails[LEGACY].path is None  # deleted: the new Legacy.tsx shares nothing with it
    # The pairwise comparison alone loses it: too little is left of the original.
    added = upstream.added_paths(history.c1, history.c4)
    assert upstream.best_rename(history.c1, history.c4, PLUGINS, added) is None


def test_a_rename_inside_the_nested_submodule_is_followed_in_its_history(
    sample: Sample, history: History
) -> None:
    upstream = upstream_of(sample)
    trails = upstream.follow_renames(history.c1, history.c3, [NESTED_MODELS], RenameWalks())
    trail = trails[NESTED_MODELS]
    assert trail.path == f"{NESTED}/{MODELS_MOVED}"
    assert [(s.old_path, s.new_path) for s in trail.steps] == [
        (NESTED_MODELS, f"{NESTED}/{MODELS_MOVED}")
    ]
    nested_log = git(sample.upstream / NESTED, "log", "--format=%H", "-1", "--skip=1", history.n3)
    assert trail.steps[0].commit == nested_log  # n2, the nested commit that renamed it
    added = upstream.added_paths(history.c1, history.c3)
    assert upstream.best_rename(history.c1, history.c3, NESTED_MODELS, added) is None


def test_check_and_bump_agree_on_the_chain_and_merge_against_the_final_path(
    sample: Sample, history: History
) -> None:
    files = _agreeing(sample, history.c4)
    plugins = files[PLUGINS]
    assert plugins["state"] == BumpState.RENAMED_UPSTREAM
    assert plugins["renamed_to"] == PLUGINS_MOVED
    assert plugins["renamed_by"] == RenameSource.HISTORY
    assert [(s["from"], s["to"], s["commit"]) for s in plugins["rename_steps"]] == [
        (PLUGINS, PLUGINS_TSX, history.c2),
        (PLUGINS_TSX, PLUGINS_MOVED, history.c4),
    ]
    assert plugins["conflicts"] == 0
    assert "shadows" not in plugins  # moved along: nothing left behind
    nested = files[NESTED_MODELS]
    assert (nested["state"], nested["renamed_to"]) == (
        BumpState.RENAMED_UPSTREAM,
        f"{NESTED}/{MODELS_MOVED}",
    )
    assert nested["renamed_by"] == RenameSource.HISTORY
    text = run_cli(sample.deployment, "bump", history.c4, "--dry-run").output
    assert re.search(rf"renamed-upstream +{PLUGINS}  -> {PLUGINS_MOVED}\n", text)


def test_the_merge_moves_the_overlay_file_to_the_final_path(
    sample: Sample, history: History
) -> None:
    decisions = [f"--decide={p}=keep" for p in (LEGACY, GROUPS)]
    result = run_cli(sample.deployment, "bump", history.c4, "--choice", "merge", *decisions)
    overlay = sample.deployment / OVERLAY
    assert not (overlay / PLUGINS).exists()
    merged = (overlay / PLUGINS_MOVED).read_text()
    assert "// Icare: the overlay's edit" in merged  # the overlay's change
    assert "const moved = true;" in merged and "hook0" in merged  # upstream's, through c4
    assert "<<<<<<<" not in merged
    assert f"{history.c4}  {PLUGINS_MOVED}" in (sample.deployment / ".overlay-base").read_text()
    assert result.exit_code == 0, result.output
    assert f"kept      {LEGACY}  (shadows upstream's {LEGACY_TSX}: same module)" in result.output


def test_without_the_history_the_pairwise_comparison_answers_and_the_plan_says_so(
    sample: Sample,
) -> None:
    # The sample's own rename (calculations.py -> calc.py, s1 -> s2) with the
    # history cut, as in a shallow clone: s2 has no parents here.
    s1, s2 = sample.commits["s1"], sample.commits["s2"]
    path, moved = "skyportal/utils/calculations.py", "skyportal/utils/calc.py"
    upstream = upstream_of(sample)
    full = RenameFinder(upstream, s2).find(s1, path)
    assert full is not None and full.found_by == RenameSource.HISTORY
    git_dir = Path(git(sample.upstream, "rev-parse", "--absolute-git-dir"))
    (git_dir / "shallow").write_text(f"{s2}\n")
    shallow = RenameFinder(upstream_of(sample), s2).find(s1, path)
    assert shallow is not None
    assert (shallow.path, shallow.found_by, shallow.steps) == (moved, RenameSource.PAIRWISE, ())
    _, check = _json(sample, "check", "--against", s2)
    entry = next(f for f in check["files"] if f["path"] == path)
    assert (entry["renamed_to"], entry["renamed_by"]) == (moved, RenameSource.PAIRWISE)
    text = run_cli(sample.deployment, "bump", s2, "--dry-run", "--allow-downgrade").output
    assert f"-> {moved}  (found comparing base and target: not through history)" in text


def test_files_turned_into_another_file_of_their_module_shadow_it_and_check_fails(
    sample: Sample, history: History
) -> None:
    files = _agreeing(sample, history.c3)
    assert files[LEGACY]["state"] == BumpState.DELETED_UPSTREAM
    assert files[LEGACY]["shadows"] == [LEGACY_TSX]
    assert files[GROUPS]["state"] == BumpState.DELETED_UPSTREAM
    assert files[GROUPS]["shadows"] == [GROUPS_PACKAGE]
    result = run_cli(sample.deployment, "check", "--against", history.c3)
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if f" {LEGACY} " in x)
    assert f"{LEGACY} and upstream's {LEGACY_TSX} are the same module" in line
    github = run_cli(sample.deployment, "check", "--against", history.c3, "--format", "github")
    annotation = next(x for x in github.output.splitlines() if f"{OVERLAY}/{GROUPS}," in x)
    assert annotation.startswith("::error ")
    assert "title=overlay file shadows upstream's" in annotation
    assert GROUPS_PACKAGE in annotation and f"--decide {GROUPS}=drop" in annotation
    plan = run_cli(sample.deployment, "bump", history.c3, "--dry-run").output
    assert f"(shadows upstream's {LEGACY_TSX}: same module)" in plan
    # Dropped, nothing is left beside upstream's file.
    dropped = run_cli(sample.deployment, "bump", history.c3, "--dry-run", "--format", "json",
                      f"--decide={LEGACY}=drop", f"--decide={GROUPS}=drop")  # fmt: skip
    assert all("shadows" not in f for f in json.loads(dropped.output)["files"])


def test_a_rename_kept_by_decision_shadows_upstreams_new_file(
    sample: Sample, history: History
) -> None:
    # At m, upstream has SourcePlugins.tsx where the overlay has the .jsx.
    plan = plan_bump(open_at(load_layout(sample.deployment)), history.m)
    item = next(f for f in plan.files if f.path == PLUGINS)
    assert (item.state, item.renamed_to, item.shadows) == (
        BumpState.RENAMED_UPSTREAM,
        PLUGINS_TSX,
        (PLUGINS_TSX,),
    )
    assert item.renamed_by == RenameSource.HISTORY
    assert item.rename_steps == (RenameStep(PLUGINS, PLUGINS_TSX, history.c2, 96),)
    assert item.shadowing == ()  # the merge moves it: nothing stays behind
    assert not PlanReport(plan).found
    kept = decide(plan, {PLUGINS: Decision.KEEP_OVERLAY})
    assert [f.path for f in kept.shadowing] == [PLUGINS]
    assert PlanReport(kept).found
    result = run_cli(sample.deployment, "bump", history.m, "--dry-run", f"--decide={PLUGINS}=keep")
    assert result.exit_code == 1
    assert f"(shadows upstream's {PLUGINS_TSX}: same module)" in result.output
