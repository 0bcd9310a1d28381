"""Per-file decisions without the TUI: `bump --decide PATH=DECISION` and `--drop-converged`.

The rule is the core's (:func:`overlay_merge.core.decisions.allowed_decisions`,
which the bump screen asks too); the command line only parses, refuses what
does not go together, and shows the decided plan with ``--dry-run``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_cli, tree_digest

from overlay_merge.demo import Sample

CONVERGED = "skyportal/models/group.py"
CONFLICT = "skyportal/initial_setup.py"
DELETED = "skyportal/handlers/api/legacy.py"
OVERLAY = "extensions/skyportal"


def _bases(sample: Sample) -> dict[str, str]:
    lines = sample.base_file.read_text().splitlines()
    return {p: c for c, _, p in (line.partition("  ") for line in lines if "  " in line)}


def _plan(sample: Sample, *args: str) -> dict[str, Any]:
    result = run_cli(sample.deployment, "bump", "--dry-run", "--format", "json", *args)
    assert result.exit_code == 1, result.output  # the sample's plan has conflicts
    doc: dict[str, Any] = json.loads(result.output)
    return doc


def test_dry_run_shows_the_decided_plan(sample: Sample) -> None:
    plain = _plan(sample)
    assert {f["decision"] for f in plain["files"]} == {"merge"}
    decided = _plan(sample, "--drop-converged", "--decide", f"{CONFLICT}=keep")
    by_path = {f["path"]: f for f in decided["files"]}
    assert (by_path[CONVERGED]["decision"], by_path[CONFLICT]["decision"]) == ("drop", "keep")
    # Kept, the conflict is no longer one the merge leaves: the counts say so.
    assert decided["conflict_files"] == plain["conflict_files"] - 1
    assert decided["conflict_hunks"] == plain["conflict_hunks"] - by_path[CONFLICT]["conflicts"]
    text = run_cli(sample.deployment, "bump", "--dry-run", "--drop-converged").output
    assert f"converged         {CONVERGED}  [decided: drop]" in text


def test_drop_converged_drops_them_and_leaves_the_rest_to_the_merge(sample: Sample) -> None:
    result = run_cli(sample.deployment, "bump", "--choice", "merge", "--drop-converged")
    assert result.exit_code == 1, result.output  # the conflicts are left
    assert f"  dropped   {CONVERGED}" in result.output
    assert not (sample.overlay / CONVERGED).exists()
    bases = _bases(sample)
    assert CONVERGED not in bases and bases[CONFLICT] == sample.commits["s1"]


def test_a_decision_named_for_a_converged_file_wins(sample: Sample) -> None:
    args = ("--choice", "merge", "--drop-converged", "--decide", f"{CONVERGED}=keep")
    result = run_cli(sample.deployment, "bump", *args)
    assert f"  kept      {CONVERGED}" in result.output
    assert (sample.overlay / CONVERGED).exists()
    assert _bases(sample)[CONVERGED] == sample.commits["s1"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            f"{CONFLICT}=drop",
            f"{CONFLICT}: decision drop is not offered for a file in state conflict "
            "(offered: merge, keep, upstream)",
        ),
        (
            f"{DELETED}=upstream",
            f"{DELETED}: decision upstream is not offered for a file in state deleted-upstream "
            "(offered: merge, keep, drop)",
        ),
        (
            "no/such.py=keep",
            "no/such.py: not an overlay file of this bump (fix: PATH is an overlay file "
            f"relative to {OVERLAY}",
        ),
        (
            f"{OVERLAY}/{CONFLICT}=keep",
            f"not an overlay file of this bump (fix: name it relative to the overlay {OVERLAY}: "
            f"{CONFLICT})",
        ),
        (f"{CONFLICT}=later", f"{CONFLICT}: unknown decision 'later' (one of merge, keep"),
    ],
)
def test_an_impossible_decision_is_one_line_and_exit_3(
    sample: Sample, option: str, message: str
) -> None:
    before = tree_digest(sample.deployment)
    for mode in (("--dry-run",), ("--choice", "merge")):
        result = run_cli(sample.deployment, "bump", *mode, "--decide", option)
        assert result.exit_code == 3, result.output
        assert message in result.output and result.output.count("\n") == 1, result.output
    assert tree_digest(sample.deployment) == before


def test_a_file_decided_twice_is_refused(sample: Sample) -> None:
    args = ("--decide", f"{CONFLICT}=keep", "--decide", f"{CONFLICT}=upstream")
    result = run_cli(sample.deployment, "bump", "--dry-run", *args)
    assert result.exit_code == 3
    assert f"--decide {CONFLICT}: decided twice (keep, then upstream)" in result.output
    same = run_cli(sample.deployment, "bump", "--dry-run", *args[:2], *args[:2])
    assert same.exit_code == 1  # the same decision twice is that decision


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--choice", "update", "--drop-converged"), "--drop-converged goes with --choice merge, "),
        (("--choice", "cancel", "--decide", f"{CONFLICT}=keep"), "not --choice cancel"),
        (("--dry-run", "--choice", "update", "--decide", f"{CONFLICT}=keep"), "not --choice"),
        (("--drop-converged",), "--drop-converged goes with --choice merge (or --dry-run"),
        (("--decide", f"{CONFLICT}=keep"), "--decide goes with --choice merge (or --dry-run"),
    ],
)
def test_decisions_without_a_merge_are_refused(
    sample: Sample, args: tuple[str, ...], message: str
) -> None:
    before = tree_digest(sample.deployment)
    result = run_cli(sample.deployment, "bump", *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert tree_digest(sample.deployment) == before
