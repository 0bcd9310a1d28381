"""``--strategy refined`` on bump and check: a conflict a rule resolves, through the real CLI.

The overlay rewrites the docstring of ``skyportal/enum_types.py`` and
upstream the line after it: git conflicts, the ``adjacent`` rule takes both.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from gitutil import commit_files, git
from rulehunks import ADJACENT

from overlay_merge.core.model import REFINE_RULES
from overlay_merge.core.refine import DEFAULT_RULES, RULES
from overlay_merge.demo import Sample

PATH = "skyportal/enum_types.py"
DOC = b'"""Enumerated types shared by the models and the API."""\n\n'
OURS_DOC = b'"""Enumerated types of the GRANDMA deployment."""\n\n'
THEIRS_DOC = b'"""Enumerated types shared by the models and the API."""\n# noqa: D100\n'


def _both_edit_the_top(sample: Sample) -> str:
    """Commit the overlay's docstring and upstream's next line (on the pin): upstream's commit.
    The deployment refines with ``adjacent`` (off by default)."""
    commit_files(sample.deployment, {"pyproject.toml": ADJACENT}, "refine with adjacent")
    ours = (sample.overlay / PATH).read_bytes()
    assert ours.startswith(DOC)
    commit_files(
        sample.deployment,
        {f"extensions/skyportal/{PATH}": ours.replace(DOC, OURS_DOC)},
        "overlay: its docstring",
    )
    theirs = (sample.upstream / PATH).read_bytes()
    target = commit_files(sample.upstream, {PATH: theirs.replace(DOC, THEIRS_DOC)}, "noqa")
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s1"])
    return target


def _plan(sample: Sample, target: str, *options: str) -> dict[str, object]:
    result = run_cli(sample.deployment, "bump", target, "--dry-run", "--format", "json", *options)
    files = {f["path"]: f for f in json.loads(result.output)["files"]}
    return files[PATH]  # type: ignore[no-any-return]


def test_line_strategy_is_the_default_and_conflicts(sample: Sample) -> None:
    target = _both_edit_the_top(sample)
    plain = _plan(sample, target)
    assert plain == _plan(sample, target, "--strategy", "line")
    assert (plain["state"], plain["conflicts"]) == ("conflict", 1)
    assert "refinements" not in plain


def test_refined_strategy_resolves_and_says_which_rule(sample: Sample) -> None:
    target = _both_edit_the_top(sample)
    refined = _plan(sample, target, "--strategy", "refined")
    assert (refined["state"], refined["conflicts"]) == ("clean", 0)
    assert refined["refinements"] == [{"rule": "adjacent", "line": 1, "lines": 2}]
    text = run_cli(sample.deployment, "bump", target, "--dry-run", "--strategy", "refined")
    assert "1 hunk resolved by rules" in text.output
    check = run_cli(
        sample.deployment, "check", "--against", target, "--strategy", "refined", "--format", "json"
    )
    (checked,) = [f for f in json.loads(check.output)["files"] if f["path"] == PATH]
    assert checked["conflicts"] == 0


def test_adjacent_is_off_unless_configured(sample: Sample) -> None:
    # `adjacent` makes wrong merges on the corpus (48 exact for 8 wrong file merges over
    # git): not a default; a deployment takes it with refine-rules, per pair.
    target = _both_edit_the_top(sample)
    git(sample.deployment, "rm", "-q", "pyproject.toml")
    git(sample.deployment, "commit", "-qm", "default rules")
    refined = _plan(sample, target, "--strategy", "refined")
    assert (refined["state"], refined["conflicts"]) == ("conflict", 1)
    assert refined.get("refinements", []) == []


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ('["adjacent", "wordy"]', "got 'wordy'"),
        ('"adjacent"', "got a string"),
        ("[1]", "got an integer"),
    ],
)
def test_refine_rules_are_checked(sample: Sample, value: str, got: str) -> None:
    (sample.deployment / "pyproject.toml").write_text(
        f"[tool.overlay-merge]\nrefine-rules = {value}\n"
    )
    result = run_cli(sample.deployment, "check", "--strategy", "refined")
    assert result.exit_code == 3
    (line,) = result.output.strip().splitlines()
    assert "refine-rules: expected a list of rule names, " + got in line
    assert 'refine-rules = ["whitespace", "adjacent"]' in line


def test_the_configuration_names_every_rule_the_refinement_has() -> None:
    assert set(REFINE_RULES) == set(RULES) and set(DEFAULT_RULES) <= set(RULES)


def test_refined_merge_writes_the_union(sample: Sample) -> None:
    target = _both_edit_the_top(sample)
    result = run_cli(
        sample.deployment, "bump", target, "--choice", "merge", "--strategy", "refined"
    )
    assert result.exit_code in (0, 1), result.output  # other files of the sample conflict
    written = (sample.overlay / PATH).read_bytes()
    assert written.startswith(b'"""Enumerated types of the GRANDMA deployment."""\n# noqa: D100\n')
    assert b"<<<<<<<" not in written


def test_unknown_strategy_is_a_usage_error(sample: Sample) -> None:
    result = run_cli(sample.deployment, "bump", "--dry-run", "--strategy", "word")
    assert result.exit_code == 2
