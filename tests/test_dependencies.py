"""Additions that depend on changed upstream code, on generated histories (docs/design.md §5).

The history (:mod:`dependencyhistory`): upstream moves a module one addition
imports (broken), drops a name another imports (broken) and edits the body of
a model a third reaches through its package (changed).  ``bump --dry-run``
and ``check`` must say the same, the bump must keep the flagged additions'
bases unless the maintainer confirms, and a grammar that fails to load must
skip its language, never guess.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from dependencyhistory import ADDITIONS, BODY, LOST_NAME, MOVED, PLAIN, make_history
from gitutil import git

from overlay_merge.core.apply import apply_merge
from overlay_merge.core.decisions import allowed_decisions, decide
from overlay_merge.core.deployment import open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.imports import grammars
from overlay_merge.core.imports.model import Language
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import Decision
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample
from overlay_merge.reports.bump import ApplyReport, PlanReport

EXPECTED = {
    MOVED: [
        {
            "import": "../ducks/source",
            "path": "static/js/ducks/source.js",
            "change": "moved",
            "now": "static/js/store/source.js",
            "names": ["fetchSource"],
            "missing": [],
            "grade": "broken",
            "line": 2,
        }
    ],
    LOST_NAME: [
        {
            "import": "../utils/units",
            "path": "static/js/utils/units.ts",
            "change": "modified",
            "now": None,
            "names": ["raToHours", "decToDeg"],
            "missing": ["raToHours"],
            "grade": "broken",
            "line": 3,
        }
    ],
    BODY: [
        {
            # `from ...models import Obj`: the package passes obj.py's names on.
            "import": "...models",
            "path": "skyportal/models/obj.py",
            "change": "modified",
            "now": None,
            "names": ["Obj"],
            "missing": [],
            "grade": "changed",
            "line": 3,
        }
    ],
}


def _json(deployment: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(deployment, *args, "--format", "json")
    return result.exit_code, json.loads(result.output)


def _bases(sample: Sample) -> dict[str, str]:
    text = sample.base_file.read_text()
    return {line[42:]: line[:40] for line in text.splitlines() if line and line[0] != "#"}


def test_the_plan_flags_each_addition_with_its_evidence(sample: Sample) -> None:
    history = make_history(sample)
    code, plan = _json(sample.deployment, "bump", history.c2, "--dry-run")
    assert code == 1  # broken additions need the maintainer's hand
    files = {f["path"]: f for f in plan["files"]}
    flagged = {p: f["dependencies"] for p, f in files.items() if "dependencies" in f}
    assert flagged == EXPECTED
    assert {p: files[p]["state"] for p in ADDITIONS} == {
        MOVED: "depends-on-changed",
        LOST_NAME: "depends-on-changed",
        BODY: "depends-on-changed",
        PLAIN: "unchanged",  # Button.jsx did not change
    }
    assert {p: files[p]["grade"] for p in flagged} == {
        MOVED: "broken",
        LOST_NAME: "broken",
        BODY: "changed",
    }
    assert plan["counts"]["depends-on-changed"] == 3
    assert plan["notes"] == []


def test_check_agrees_with_the_plan(sample: Sample) -> None:
    history = make_history(sample)
    _, plan = _json(sample.deployment, "bump", history.c2, "--dry-run")
    code, check = _json(sample.deployment, "check", "--against", history.c2)
    assert code == 1 and not check["in_sync"]
    planned = {f["path"]: (f["state"], f.get("dependencies", [])) for f in plan["files"]}
    checked = {f["path"]: f for f in check["files"]}
    for path, (state, dependencies) in planned.items():
        if state == "depends-on-changed":
            assert checked[path]["state"] == "up-to-date"  # status has nothing to merge
            assert checked[path]["merge"] == state
            assert checked[path]["dependencies"] == dependencies
        elif path in ADDITIONS:
            assert (checked[path]["merge"], checked[path]["dependencies"]) == (None, [])
    assert check["merge_counts"]["depends-on-changed"] == 3


def test_check_grades_broken_as_errors_and_changed_as_warnings(sample: Sample) -> None:
    history = make_history(sample)
    github = run_cli(sample.deployment, "check", "--against", history.c2, "--format", "github")
    annotations = [line for line in github.output.splitlines() if not line.startswith("::notice")]
    assert len(annotations) == 3
    assert annotations[0].startswith(f"::warning file=extensions/skyportal/{BODY},line=3,")
    assert annotations[1].startswith(f"::error file=extensions/skyportal/{LOST_NAME},line=3,")
    assert annotations[2].startswith(f"::error file=extensions/skyportal/{MOVED},line=2,")
    assert "no longer has `raToHours`" in annotations[1]
    assert "moved to static/js/store/source.js" in annotations[2]
    assert "--decide PATH=confirm" in annotations[0]
    text = run_cli(sample.deployment, "check", "--against", history.c2).output
    assert "3 additions depend on changed upstream code (2 broken, 1 changed)" in text
    # JUnit: the broken ones fail; the changed one passes with its warning on record.
    suite = ET.fromstring(
        run_cli(
            sample.deployment, "check", "--against", history.c2, "--format", "junit"
        ).output.encode()
    ).find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases[MOVED].find("failure") is not None
    assert cases[LOST_NAME].find("failure") is not None
    assert cases[BODY].find("failure") is None
    assert "obj.py" in (cases[BODY].findtext("system-out") or "")
    assert suite.get("failures") == "2"


def test_an_import_changed_only_in_body_is_a_warning_that_passes(sample: Sample) -> None:
    history = make_history(sample, only_body=True)
    code, check = _json(sample.deployment, "check", "--against", history.c2)
    assert code == 0 and check["in_sync"]
    assert [(f["path"], f["grade"]) for f in check["files"] if f["grade"]] == [(BODY, "changed")]
    github = run_cli(sample.deployment, "check", "--against", history.c2, "--format", "github")
    assert github.exit_code == 0
    assert github.output.startswith(f"::warning file=extensions/skyportal/{BODY},line=3,")
    dry = run_cli(sample.deployment, "bump", history.c2, "--dry-run")
    assert dry.exit_code == 0  # nothing broken, nothing in conflict
    assert f"depends-on-changed  {BODY}  changed: imports skyportal/models/obj.py" in dry.output


def test_confirm_is_offered_for_flagged_additions_only(sample: Sample) -> None:
    history = make_history(sample)
    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment, history.c2)
    files = {f.path: f for f in plan.files}
    assert allowed_decisions(files[MOVED]) == (
        Decision.TAKE_MERGE,
        Decision.KEEP_OVERLAY,
        Decision.CONFIRM,
    )
    assert Decision.CONFIRM not in allowed_decisions(files[PLAIN])
    with pytest.raises(OverlayMergeError, match="decision confirm is not offered"):
        decide(plan, {PLAIN: "confirm"})


def test_a_merge_keeps_flagged_bases_unless_confirmed(sample: Sample) -> None:
    history = make_history(sample)
    deployment = open_at(load_layout(sample.deployment))
    plan = decide(plan_bump(deployment, history.c2), {LOST_NAME: "confirm"})
    assert [f.path for f in plan.broken] == [MOVED]  # the confirmed one is no longer broken
    result = apply_merge(deployment, plan)
    assert result.conflicts == ()  # flagged is not in conflict: no markers, no index stages
    bases = _bases(sample)
    assert bases[LOST_NAME] == history.c2  # confirmed: the base moves
    assert bases[MOVED] == bases[BODY] == history.c1  # kept: they stay flagged
    assert bases[PLAIN] == history.c2  # nothing it imports changed
    assert git(sample.deployment, "ls-files", "-u") == ""
    # Against the new pin, check still flags the two that were not confirmed.
    code, check = _json(sample.deployment, "check")
    flagged = {f["path"]: f["grade"] for f in check["files"] if f["grade"]}
    assert flagged == {MOVED: "broken", BODY: "changed"}
    assert code == 1


def test_the_merge_report_says_which_were_flagged_and_confirmed(sample: Sample) -> None:
    history = make_history(sample)
    deployment = open_at(load_layout(sample.deployment))
    plan = decide(plan_bump(deployment, history.c2), {BODY: "confirm"})
    text = PlanReport(plan).as_text()
    assert f"depends-on-changed  {BODY}  confirmed, was changed: imports" in text
    assert PlanReport(plan).return_code == 1  # MOVED and LOST_NAME are still broken
    lines = ApplyReport(plan, apply_merge(deployment, plan)).as_text().splitlines()
    assert (
        f"  flagged   {MOVED}  broken: imports static/js/ducks/source.js moved to "
        + ("static/js/store/source.js")
        in lines
    )
    assert any(line.startswith(f"  confirmed {BODY}") for line in lines)


def test_a_grammar_that_fails_to_load_skips_its_language(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = make_history(sample)
    monkeypatch.setattr(grammars, "_loaded", {})
    for language in (Language.JAVASCRIPT, Language.TSX):
        monkeypatch.setitem(grammars.LOADERS, language, ("tree_sitter_missing", "language"))
    code, plan = _json(sample.deployment, "bump", history.c2, "--dry-run")
    states = {f["path"]: f["state"] for f in plan["files"]}
    # JavaScript and TSX: not analysed, so not flagged; said so, once per language.
    assert (states[MOVED], states[LOST_NAME]) == ("unchanged", "unchanged")
    assert states[BODY] == "depends-on-changed"  # Python still is
    assert len(plan["notes"]) == 2
    assert all("not checked" in n and "tree_sitter_missing" in n for n in plan["notes"])
    assert {n.split(" additions")[0] for n in plan["notes"]} == {
        "imports of JavaScript",
        "imports of TSX",
    }
    assert code == 0
    _, check = _json(sample.deployment, "check", "--against", history.c2)
    assert check["notes"] == plan["notes"]
    text = run_cli(sample.deployment, "check", "--against", history.c2).output
    assert "note: imports of JavaScript additions not checked" in text


def test_the_cli_confirms_with_decide_and_refuses_what_is_not_offered(sample: Sample) -> None:
    history = make_history(sample)
    dry = run_cli(
        sample.deployment, "bump", history.c2, "--dry-run", "--decide", f"{MOVED}=confirm"
    )
    assert f"depends-on-changed  {MOVED}  confirmed, was broken: imports" in dry.output
    refused = {
        f"{PLAIN}=confirm": f"{PLAIN}: decision confirm is not offered for a file in state "
        "unchanged (offered: merge, keep)",
        "no/such.js=confirm": "no/such.js: not an overlay file of this bump",
        f"{MOVED}=approve": f"{MOVED}: unknown decision 'approve'",
        "confirm": "--decide 'confirm': expected PATH=DECISION",
    }
    for option, message in refused.items():
        result = run_cli(
            sample.deployment, "bump", history.c2, "--choice", "merge", "--decide", option
        )
        assert result.exit_code == 3, result.output
        assert message in result.output and result.output.count("\n") == 1
    update = run_cli(
        sample.deployment, "bump", history.c2, "--choice", "update", "--decide", f"{MOVED}=confirm"
    )
    assert update.exit_code == 2 and "--decide goes with --choice merge" in update.output
    assert _bases(sample)[MOVED] == history.c1  # nothing was written by any of them
    merged = run_cli(
        sample.deployment,
        "bump",
        history.c2,
        "--choice",
        "merge",
        "--decide",
        f"{LOST_NAME}=confirm",
    )
    assert merged.exit_code == 0, merged.output
    assert f"  confirmed {LOST_NAME}" in merged.output
    assert (_bases(sample)[LOST_NAME], _bases(sample)[MOVED]) == (history.c2, history.c1)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-q", "-m", "bump")
    # Later, against the same pin, as check's fix says: the rest is confirmed once fixed.
    check = run_cli(sample.deployment, "check")
    assert check.exit_code == 1 and "--choice merge --decide PATH=confirm" in check.output
    again = run_cli(
        sample.deployment, "bump", history.c2, "--choice", "merge", "--decide", f"{MOVED}=confirm"
    )
    assert again.exit_code == 0, again.output
    assert _bases(sample)[MOVED] == history.c2
    code, after = _json(sample.deployment, "check")
    assert {f["path"]: f["grade"] for f in after["files"] if f["grade"]} == {BODY: "changed"}
    assert code == 0  # only a warning is left


def test_imports_into_a_nested_submodule_not_initialized_are_said_unchecked(
    sample: Sample,
) -> None:
    history = make_history(sample)
    upstream = sample.upstream
    git(upstream, "submodule", "deinit", "-q", "-f", "baselayer")
    shutil.rmtree(sample.deployment / ".git/modules/skyportal/modules/baselayer")
    shutil.rmtree(sample.overlay / "baselayer")  # its own files need baselayer's objects
    run_cli(sample.deployment, "init", "--prune")
    code, plan = _json(sample.deployment, "bump", history.c2, "--dry-run")
    # BODY imports baselayer.app.access: not readable, so not checked; the rest is as always.
    assert {f["path"]: f.get("grade") for f in plan["files"] if f.get("grade")} == {
        MOVED: "broken",
        LOST_NAME: "broken",
        BODY: "changed",
    }
    assert plan["notes"] and all(
        n.startswith(
            "some imports not checked: skyportal/baselayer: nested submodule is not initialized"
        )
        for n in plan["notes"]
    )
    assert code == 1
