"""``overlay_merge.api`` as a launcher written in Python uses it (docs/launcher.md).

:func:`launcher_update` is such a launcher's ``run --do_update``: plan, ask, apply
the choice, build, start the app or stop, by the reports' codes alone.  Each
choice is driven through it on the generated deployment, and the API's reports
are compared with the CLI's JSON for the same call.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, tree_digest
from gitutil import add_second_pair, git
from test_launcher_exit import CLEAN

from overlay_merge import api
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"


def launcher_update(
    root: Path, choose: Callable[[api.Report], str], decisions: dict[str, str] | None = None
) -> tuple[bool, list[str]]:
    """A launcher's ``run --do_update``: (start the app?, what it did)."""
    did: list[str] = []
    planned = api.plan(root)
    outcome = planned.as_json()["outcome"]
    did.append(f"plan: {outcome}")
    if outcome == api.BumpOutcome.UP_TO_DATE:
        choice = "none"
        code = api.EXIT_UP_TO_DATE
    else:
        choice = choose(planned)
        done = api.apply(root, choice, decisions=decisions if choice == "merge" else None)
        code = done.return_code
        did.append(f"{choice}: {done.as_json()['outcome']}")
    if code == api.EXIT_FOUND:
        return False, [*did, "stop: resolve the conflicts, then `overlay-merge resolve`"]
    # Updated anyway: the overlay drifts from the new pin, and the app runs so.
    built = api.build(root, allow_drift=code == api.EXIT_UPDATED)
    did.append(f"build: exit {built.return_code}")
    return built.return_code == api.EXIT_OK, did


def _pin(root: Path) -> str:
    return git(root / "skyportal", "rev-parse", "HEAD")


def test_stop_and_merge_with_conflicts_does_not_start(sample: Sample) -> None:
    start, did = launcher_update(sample.deployment, lambda _: "merge")
    assert not start
    assert did[:2] == ["plan: planned", "merge: conflicts-left"]
    assert not (sample.deployment / "patched_skyportal").exists()


def test_stop_and_merge_all_clean_builds_and_starts(sample: Sample) -> None:
    start, did = launcher_update(sample.deployment, lambda _: "merge", dict(CLEAN))
    assert start, did
    assert did == ["plan: planned", "merge: merged", "build: exit 0"]
    built = sample.deployment / "patched_skyportal" / "skyportal/initial_setup.py"
    assert (
        built.read_bytes()
        == (sample.deployment / "skyportal/skyportal/initial_setup.py").read_bytes()
    )
    # Committed, then a production update checks the pinned commit and builds.
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-q", "-m", "bump")
    assert api.check(sample.deployment, pinned=True).return_code == api.EXIT_OK
    assert launcher_update(sample.deployment, lambda _: "cancel") == (
        True,
        ["plan: up-to-date", "build: exit 0"],
    )


def test_update_anyway_builds_over_the_drift_and_starts(sample: Sample) -> None:
    start, did = launcher_update(sample.deployment, lambda _: "update")
    assert start and did == ["plan: planned", "update: updated", "build: exit 0"]
    assert _pin(sample.deployment) == sample.commits["s2"]
    assert api.status(sample.deployment).return_code == api.EXIT_FOUND  # drift, as chosen


def test_cancel_starts_the_app_as_it_was(sample: Sample) -> None:
    before = tree_digest(sample.deployment / OVERLAY)
    start, did = launcher_update(sample.deployment, lambda _: "cancel")
    assert start and did == ["plan: planned", "cancel: cancelled", "build: exit 0"]
    assert _pin(sample.deployment) == sample.commits["s1"]
    assert tree_digest(sample.deployment / OVERLAY) == before


def test_the_plan_is_shown_before_the_choice(sample: Sample) -> None:
    seen: list[dict[str, Any]] = []

    def choose(planned: api.Report) -> str:
        seen.append(planned.as_json())
        return "cancel"

    launcher_update(sample.deployment, choose)
    states = {f["path"]: f["state"] for f in seen[0]["files"]}
    assert states == dict(sample.expected)
    assert seen[0]["choice"] == "none"


# -- the API's reports are the CLI's --------------------------------------------------


def _twin(sample: Sample, name: str) -> Path:
    twin = sample.root / name / "deployment"
    shutil.copytree(sample.deployment, twin, symlinks=True)
    return twin


def _timeless(document: Any) -> Any:
    """*document* without its timings (``seconds``), which no two runs share."""
    if isinstance(document, dict):
        return {k: _timeless(v) for k, v in document.items() if k != "seconds"}
    if isinstance(document, list):
        return [_timeless(v) for v in document]
    return document


CALLS: dict[str, tuple[Callable[[Path], api.Report], tuple[str, ...]]] = {
    "plan": (api.plan, ("bump", "--dry-run")),
    "plan decided": (
        lambda root: api.plan(root, decisions=dict(CLEAN), strategy="refined"),
        (
            "bump",
            "--dry-run",
            "--strategy",
            "refined",
            *(f"--decide={p}={d}" for p, d in CLEAN.items()),
        ),
    ),
    "merge": (lambda root: api.apply(root, "merge"), ("bump", "--choice", "merge")),
    "merge clean": (
        lambda root: api.apply(root, "merge", decisions=dict(CLEAN), style="diff3"),
        (
            "bump",
            "--choice",
            "merge",
            "--style",
            "diff3",
            *(f"--decide={p}={d}" for p, d in CLEAN.items()),
        ),
    ),
    "update": (lambda root: api.apply(root, api.BumpChoice.UPDATE), ("bump", "--choice", "update")),
    "cancel": (lambda root: api.apply(root, "cancel"), ("bump", "--choice", "cancel")),
    "check": (api.check, ("check",)),
    "check pinned": (lambda root: api.check(root, pinned=True), ("check", "--pinned")),
    "status": (api.status, ("status",)),
    "build": (lambda root: api.build(root, allow_drift=True), ("build", "--allow-drift")),
    "build drift": (api.build, ("build",)),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_the_api_and_the_cli_give_the_same_report(sample: Sample, call: str) -> None:
    through_api, args = CALLS[call]
    twin = _twin(sample, "twin")
    report = through_api(sample.deployment)
    cli = run_cli(twin, *args, "--format", "json")
    assert report.return_code == cli.exit_code, cli.output
    assert _timeless(report.as_json()) == _timeless(json.loads(cli.output))
    assert _written(sample.deployment) == _written(twin)


def _written(root: Path) -> dict[str, str]:
    """What a command writes outside git's own records (index stat data, logs, journal
    times) and the build's manifest (``lstat`` signatures): the same for the same call."""
    written = {
        path: digest
        for path, digest in tree_digest(root).items()
        if ".git" not in path.split("/") and not path.endswith(".overlay-build")
    }
    written["<pin>"] = _pin(root)
    written["<unmerged>"] = git(root, "ls-files", "-u")
    return written


def test_errors_are_one_exception_with_the_cli_s_code(sample: Sample) -> None:
    with pytest.raises(api.Error) as bad_choice:
        api.apply(sample.deployment, "later")  # type: ignore[arg-type]
    assert bad_choice.value.exit_code == 3 and "merge, update, cancel" in str(bad_choice.value)
    with pytest.raises(api.Error, match="decisions go with the choice merge"):
        api.apply(sample.deployment, "update", decisions={"tools/check_env.sh": "keep"})
    with pytest.raises(api.Error, match="not-a-file"):
        api.plan(sample.deployment, decisions={"not-a-file": "keep"})
    with pytest.raises(api.Error, match="against and pinned"):
        api.check(sample.deployment, pinned=True, against="HEAD")
    api.apply(sample.deployment, "merge")
    with pytest.raises(api.Error, match="conflict markers") as markers:
        api.build(sample.deployment)
    cli = run_cli(sample.deployment, "build")
    assert (cli.exit_code, markers.value.exit_code) == (3, 3)
    assert str(markers.value) in cli.output


def test_two_pairs_planned_applied_checked_and_built(sample: Sample) -> None:
    add_second_pair(sample.deployment, sample.root / "remotes" / "fink")
    root = sample.deployment
    planned = api.plan(root).as_json()
    assert [p["name"] for p in planned["pairs"]] == ["skyportal", "fink"]
    with pytest.raises(api.Error, match="pairs are configured"):
        api.apply(root, "merge", decisions=dict(CLEAN))
    fink = api.apply(root, "merge", pair="fink")
    assert (fink.return_code, fink.as_json()["outcome"]) == (0, "merged")
    skyportal = api.apply(root, "merge", pair="skyportal", decisions=dict(CLEAN))
    assert skyportal.return_code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "both bumped")
    checked = api.check(root, pinned=True)
    assert checked.return_code == 0 and checked.as_json()["in_sync"]
    again = api.apply(root, "merge")
    assert (again.return_code, again.as_json()["outcome"]) == (0, "up-to-date")
    built = api.build(root)
    assert built.return_code == 0
    assert (root / "patched_fink" / "client.py").read_bytes().endswith(b"line 10 (f2)\n")
    assert (root / "patched_skyportal" / "skyportal").is_dir()
    cli = run_cli(_twin(sample, "twin"), "build", "--format", "json")
    assert _timeless(json.loads(cli.output))["pairs"][1]["name"] == "fink"


def test_the_api_loads_neither_click_nor_textual(sample: Sample) -> None:
    code = (
        "import sys\n"
        "from overlay_merge import api\n"
        f"api.plan({str(sample.deployment)!r})\n"
        f"api.status({str(sample.deployment)!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'textual', 'rich')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
