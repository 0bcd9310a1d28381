"""What a launcher reads from ``bump``: one exit code, JSON ``choice``/``outcome`` and a
last text line per outcome (docs/launcher.md), for ``--choice`` and for the screen.

A launcher's ``run --do_update`` starts the app or stops by these alone, so each
outcome is driven here the way a launcher meets it: through the real CLI, and
for the screen's choices with the real app driven by textual's pilot.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import run_cli, tree_digest
from gitutil import add_second_pair, git
from test_tui import _scripted, select

from overlay_merge.cli import interactive
from overlay_merge.demo import Sample
from overlay_merge.tui.app import BumpApp

# The sample's files a merge leaves in conflict, and the decision that merges each
# cleanly and moves its base to the target (keep would leave it stale).
CLEAN = {
    "skyportal/handlers/api/instrument.py": "upstream",
    "skyportal/handlers/api/legacy.py": "drop",
    "skyportal/initial_setup.py": "upstream",
    "static/img/logo.png": "upstream",
}
CLEAN_KEYS = {"upstream": "t", "drop": "d"}
DECIDE_CLEAN = tuple(arg for path, d in CLEAN.items() for arg in ("--decide", f"{path}={d}"))

CASES = {
    # name: (bump arguments, exit code, JSON choice, JSON outcome)
    "merge, conflicts left": (("--choice", "merge"), 1, "merge", "conflicts-left"),
    "merge, all clean": (("--choice", "merge", *DECIDE_CLEAN), 0, "merge", "merged"),
    "update anyway": (("--choice", "update"), 5, "update", "updated"),
    "cancel": (("--choice", "cancel"), 6, "cancel", "cancelled"),
    "dry run": (("--dry-run",), 1, "none", "planned"),
}


def _last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


@pytest.mark.parametrize("case", list(CASES))
def test_each_choice_has_its_code_json_and_last_line(sample: Sample, case: str) -> None:
    args, code, choice, outcome = CASES[case]
    text = run_cli(sample.deployment, "bump", *args)
    assert text.exit_code == code, text.output
    assert _last_line(text.output) == f"choice: {choice}; outcome: {outcome} (exit {code})"
    run_cli(sample.deployment, "abort")  # undoes a merge or an update (nothing otherwise)
    document = run_cli(sample.deployment, "bump", *args, "--format", "json")
    assert document.exit_code == code
    report = json.loads(document.output)
    assert (report["choice"], report["outcome"]) == (choice, outcome)


def test_cancel_changes_nothing_and_says_so_by_its_code(sample: Sample) -> None:
    before = tree_digest(sample.deployment)
    result = run_cli(sample.deployment, "bump", "--choice", "cancel", "--format", "json")
    assert result.exit_code == 6
    assert json.loads(result.output)["outcome"] == "cancelled"
    assert tree_digest(sample.deployment) == before


def _bump_to_date(sample: Sample) -> None:
    """Merge every file cleanly with bases at the target: nothing is left to bump."""
    assert run_cli(sample.deployment, "bump", "--choice", "merge", *DECIDE_CLEAN).exit_code == 0


@pytest.mark.parametrize("choice", [None, "merge", "update", "cancel"])
def test_nothing_to_bump_is_up_to_date_whatever_the_choice(
    sample: Sample, choice: str | None
) -> None:
    _bump_to_date(sample)
    before = tree_digest(sample.deployment)
    args = ("--choice", choice) if choice else ()
    text = run_cli(sample.deployment, "bump", *args)
    if choice is None:  # no terminal: the plan, exit 0 as a dry run, and it says so
        assert text.exit_code == 0, text.output
        assert _last_line(text.output) == "choice: none; outcome: up-to-date (exit 0)"
    else:
        assert text.exit_code == 0, text.output
        assert text.output.startswith("already up to date: skyportal is at ")
        assert _last_line(text.output) == "choice: none; outcome: up-to-date (exit 0)"
    document = json.loads(run_cli(sample.deployment, "bump", *args, "--format", "json").output)
    assert (document["choice"], document["outcome"]) == ("none", "up-to-date")
    assert tree_digest(sample.deployment) == before


def test_a_dry_run_keeps_check_like_codes(sample: Sample) -> None:
    # CI gates on `bump --dry-run`: 0 nothing would conflict, 1 something would.
    assert run_cli(sample.deployment, "bump", "--dry-run").exit_code == 1
    clean = run_cli(sample.deployment, "bump", "--dry-run", *DECIDE_CLEAN, "--format", "json")
    assert clean.exit_code == 0
    assert json.loads(clean.output)["outcome"] == "planned"
    _bump_to_date(sample)
    done = run_cli(sample.deployment, "bump", "--dry-run", "--format", "json")
    assert (done.exit_code, json.loads(done.output)["outcome"]) == (0, "up-to-date")


# -- the screen's choices ------------------------------------------------------------

Step = str | Callable[[BumpApp], None]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI believe stdin and stdout are a terminal (as a launcher's are)."""
    monkeypatch.setattr(interactive, "is_terminal", lambda: True)


def _decide_clean() -> tuple[Step, ...]:
    steps: list[Step] = []
    for path, decision in CLEAN.items():
        steps += [select(path), CLEAN_KEYS[decision]]
    return tuple(steps)


SCREEN = {
    # name: (steps on the bump screen, exit code, JSON choice, JSON outcome)
    "merge, conflicts left": (("m", "y", "q"), 1, "merge", "conflicts-left"),
    "merge, all clean": ((*_decide_clean(), "m", "y", "q"), 0, "merge", "merged"),
    "update anyway": (("u", "y"), 5, "update", "updated"),
    "cancel": (("c",), 6, "cancel", "cancelled"),
    "quit": (("q",), 6, "cancel", "cancelled"),
}


@pytest.mark.parametrize("case", list(SCREEN))
def test_the_screens_choice_exits_as_the_same_choice_given_by_option(
    sample: Sample,
    terminal: None,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    steps, code, choice, outcome = SCREEN[case]
    monkeypatch.setattr(BumpApp, "run", _scripted(*steps))
    result = run_cli(sample.deployment, "bump", "--format", "json")
    assert result.exit_code == code, result.output
    report = json.loads(result.output)
    assert (report["choice"], report["outcome"]) == (choice, outcome)


def test_the_screens_text_ends_with_the_outcome(
    sample: Sample,
    terminal: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(BumpApp, "run", _scripted("u", "y"))
    result = run_cli(sample.deployment, "bump")
    assert _last_line(result.output) == "choice: update; outcome: updated (exit 5)"


def test_with_nothing_to_bump_no_screen_opens(
    sample: Sample,
    terminal: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _bump_to_date(sample)

    def boom(*_: Any, **__: Any) -> None:
        raise AssertionError("nothing to choose: the screen must not open")

    monkeypatch.setattr(BumpApp, "run", boom)
    result = run_cli(sample.deployment, "bump")
    assert result.exit_code == 0, result.output


# -- several pairs: one code over all of them -------------------------------------------


def _two_pairs(sample: Sample) -> None:
    add_second_pair(sample.deployment, sample.root / "remotes" / "fink")


def test_two_pairs_exit_with_what_stops_a_launcher_first(sample: Sample) -> None:
    _two_pairs(sample)
    # skyportal merges with conflicts: the launcher stops (fink is not reached).
    result = run_cli(sample.deployment, "bump", "--choice", "merge", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["outcome"] == "conflicts-left"
    assert [p.get("outcome") for p in document["pairs"]] == ["conflicts-left", None]
    text = run_cli(sample.deployment, "abort")
    assert text.exit_code == 0, text.output
    # skyportal updated anyway, fink merged clean: updated (build over drift) wins.
    result = run_cli(sample.deployment, "bump", "--choice", "update")
    assert result.exit_code == 5, result.output
    assert _last_line(result.output) == (
        "choices: skyportal update, fink update; outcome: updated (exit 5)"
    )


def test_two_pairs_merged_and_up_to_date_exit_as_merged(sample: Sample) -> None:
    _two_pairs(sample)
    _skyportal_to_date(sample)
    # skyportal has nothing to bump, fink merges clean: merged (start the app).
    result = run_cli(sample.deployment, "bump", "--choice", "merge", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["outcome"] == "merged"
    assert [p["outcome"] for p in document["pairs"]] == ["up-to-date", "merged"]
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-q", "-m", "fink bumped")
    # Both up to date: up to date, whatever the choice.
    result = run_cli(sample.deployment, "bump", "--choice", "cancel")
    assert result.exit_code == 0, result.output
    assert _last_line(result.output) == (
        "choices: skyportal none, fink none; outcome: up-to-date (exit 0)"
    )


def _skyportal_to_date(sample: Sample) -> None:
    args = ("--pair", "skyportal", "bump", "--choice", "merge", *DECIDE_CLEAN)
    done = run_cli(sample.deployment, *args)
    assert done.exit_code == 0, done.output
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-q", "-m", "skyportal bumped")
