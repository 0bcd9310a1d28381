"""Which hunks rules resolved, in the reports: ``bump --dry-run``, ``check``, ``diff --merged``."""

from __future__ import annotations

import json
from typing import Any

from conftest import run_cli
from rulehunks import PATH, make_rule_hunks

from overlay_merge.demo import Sample

SAID = "2 hunks resolved by rules: adjacent 7-8, adjacent 14-15"
AS_JSON = [
    {"rule": "adjacent", "line": 7, "lines": 2},
    {"rule": "adjacent", "line": 14, "lines": 2},
]


def _entry(output: str) -> dict[str, Any]:
    (entry,) = [f for f in json.loads(output)["files"] if f["path"] == PATH]
    return entry  # type: ignore[no-any-return]


def test_bump_dry_run_says_which_rules_resolved_which_lines(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    result = run_cli(sample.deployment, "bump", rh.target, "--dry-run", "--strategy", "refined")
    assert f"skyportal/limits.py  1 conflict  {SAID}" in result.output
    plain = run_cli(sample.deployment, "bump", rh.target, "--dry-run")
    assert "resolved by rules" not in plain.output


def test_check_lists_the_rule_hunks_in_text_and_json(sample: Sample) -> None:
    rh = make_rule_hunks(sample, conflict=False)
    args = ("check", "--against", rh.target, "--strategy", "refined")
    text = run_cli(sample.deployment, *args)
    assert f"{PATH}  upstream changed it since its base" in text.output
    assert f"merges cleanly; {SAID}" in text.output
    entry = _entry(run_cli(sample.deployment, *args, "--format", "json").output)
    assert (entry["merge"], entry["refinements"]) == ("clean", AS_JSON)
    line = _entry(
        run_cli(sample.deployment, "check", "--against", rh.target, "--format", "json").output
    )
    assert (line["merge"], line["refinements"]) == ("conflict", [])


def test_diff_merged_lists_the_rule_hunks_per_file(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    args = ("diff", "--merged", "--rev", rh.target)
    text = run_cli(sample.deployment, *args, "--strategy", "refined", PATH)
    assert "     conflict 1 at line 21  (resolve --hunk 1)" in text.output
    assert "     resolved by rule adjacent at line 7-8\n" in text.output
    assert "     resolved by rule adjacent at line 14-15\n" in text.output
    entry = _entry(
        run_cli(sample.deployment, *args, "--strategy", "refined", "--format", "json").output
    )
    assert entry["refinements"] == AS_JSON
    assert entry["conflicts"] == [{"number": 1, "line": 21}]
    plain = run_cli(sample.deployment, *args, PATH)
    assert "resolved by rule" not in plain.output
    assert _entry(run_cli(sample.deployment, *args, "--format", "json").output)["refinements"] == []


def test_bump_dry_run_names_no_rule_for_a_file_kept_as_it_is(sample: Sample) -> None:
    # Only `bump` decides; a dry-run with --decide keep shows no rule for that file.
    rh = make_rule_hunks(sample)
    result = run_cli(
        sample.deployment,
        "bump",
        rh.target,
        "--dry-run",
        "--strategy",
        "refined",
        "--decide",
        f"{PATH}=keep",
    )
    assert "resolved by rules" not in result.output
