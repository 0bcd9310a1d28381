"""One engine: `check`, `bump --dry-run` and the plan the bump and review screens show agree.

Run side by side on every state of the sample and on seeded random histories
(:mod:`enginehistory`): the same per-file states, hunk counts and new paths,
the same conflict counts, and the same refusals (what stops a bump is what
``check`` reports as needing a hand first).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from enginehistory import make_random_history

from overlay_merge.core.deployment import open_at
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import BumpState
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample

QUIET = {BumpState.UNCHANGED, BumpState.DEPENDS_ON_CHANGED}  # up to date for `check`
# What stops a bump, as `check` sees it.
HELD = {"conflict-pending", "unrecorded"}
SEEDS = range(24)


def _json(deployment: Path, *args: str) -> tuple[int, dict[str, Any] | None]:
    result = run_cli(deployment, *args, "--format", "json")
    return result.exit_code, (json.loads(result.output) if result.exit_code != 3 else None)


def disagreements(deployment: Path, target: str) -> list[str]:
    """Every way `check --against TARGET`, `bump TARGET --dry-run` and the plan differ."""
    check_code, check = _json(deployment, "check", "--against", target)
    bump_code, bump = _json(deployment, "bump", target, "--dry-run")
    assert check is not None, "check cannot tell"
    held = sorted(f["path"] for f in check["files"] if f["state"] in HELD)
    if check["bump_in_progress"] or held:
        return [] if bump_code == 3 else [f"bump does not refuse what check holds: {held}"]
    if bump is None:
        return ["bump refuses what check does not hold"]
    plan = plan_bump(open_at(load_layout(deployment)), target)  # the screens' plan
    found = []
    checked = {f["path"]: f for f in check["files"]}
    for planned, dry in zip(plan.files, bump["files"], strict=True):
        entry = checked.get(planned.path)
        stale = planned.state not in QUIET
        mine = (dry["state"], dry["conflicts"], dry.get("renamed_to"))
        screen = (planned.state, planned.conflict_hunks, planned.renamed_to)
        theirs = (None, None, None)
        if entry is not None:
            merge = entry["merge"] if entry["merge"] else BumpState.UNCHANGED
            theirs = (merge, entry["conflicts"], entry["renamed_to"])
        if entry is None or entry["state"] != ("stale" if stale else "up-to-date"):
            found.append(f"{planned.path}: check {entry and entry['state']}, plan {planned.state}")
        elif not (mine == screen == theirs):
            found.append(f"{planned.path}: check {theirs}, dry run {mine}, plan {screen}")
    counts = ("conflict_files", "conflict_hunks")
    expected = (len(plan.conflicting), sum(f.conflict_hunks for f in plan.conflicting))
    for key, value in zip(counts, expected, strict=True):
        if not check.get(key) == bump.get(key) == value:
            found.append(f"{key}: check {check.get(key)}, dry run {bump.get(key)}, plan {value}")
    if bump_code == 1 and check_code != 1:
        found.append("the dry run finds conflicts where check passes")
    return found


def _fresh(template: Sample, root: Path) -> Sample:
    deployment = root / "deployment"
    shutil.copytree(template.deployment, deployment, symlinks=True)
    return Sample(
        root,
        deployment,
        template.upstream_remote,
        template.baselayer_remote,
        template.commits,
        template.expected,
        template.renamed_to,
    )


def test_check_and_bump_agree_on_every_state_of_the_sample(sample: Sample) -> None:
    for target in (sample.commits["s1"], sample.commits["s2"]):
        assert disagreements(sample.deployment, target) == []


@pytest.mark.parametrize("held", ["markers", "unrecorded", "orphaned"])
def test_check_and_bump_agree_on_what_stops_a_bump(sample: Sample, held: str) -> None:
    from enginehistory import _hold  # noqa: PLC0415

    _hold(sample, held)
    assert disagreements(sample.deployment, sample.commits["s2"]) == []


def test_check_and_bump_agree_on_generated_histories(
    _sample_template: Sample, tmp_path: Path
) -> None:
    found: dict[str, list[str]] = {}
    for seed in SEEDS:
        sample = _fresh(_sample_template, tmp_path / f"seed{seed}")
        history = make_random_history(sample, seed)
        for number, target in enumerate(history.commits):
            problems = disagreements(sample.deployment, target)
            if problems:
                found[f"seed {seed} commit {number} {history.ops} {history.held}"] = problems
    assert found == {}
