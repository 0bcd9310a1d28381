"""`overlay-merge check` on real repositories: every exit code, every format, writes nothing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, tree_digest
from gitutil import commit_files, git

from overlay_merge.core.deployment import open_at
from overlay_merge.core.layout import load_layout
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"
FORMATS = ("text", "json", "github", "junit", "markdown")
# Workflow command: ::level key=value,key=value::message, properties and message escaped.
GITHUB_LINE = re.compile(
    r"::(?P<level>error|warning|notice)"
    r"(?: (?P<props>(?:file|line|endLine|title)=[^,:\r\n]*"
    r"(?:,(?:file|line|endLine|title)=[^,:\r\n]*)*))?"
    r"::(?P<message>[^\r\n]*)"
)
ERRORS = {"conflict", "deleted-upstream", "added-upstream", "binary"}


def _check(deployment: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(deployment, "check", "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def _move_pin(sample: Sample, rev: str) -> None:
    """Check the upstream submodule out at *rev*, nested submodule included (no merge)."""
    git(sample.upstream, "checkout", "-q", "--detach", rev)
    git(sample.upstream, "submodule", "update", "--init", "--recursive")


def _github(output: str) -> list[dict[str, Any]]:
    """Parse every line as a workflow command (fails on any line that is not one)."""
    commands = []
    for line in output.splitlines():
        match = GITHUB_LINE.fullmatch(line)
        assert match, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in (match["props"] or "").split(",") if p)
        # Only GitHub's escapes may follow a %.
        assert not re.search(r"%(?!25|0D|0A|3A|2C)", line), line
        commands.append({"level": match["level"], **props, "message": match["message"]})
    return commands


def _junit(output: str) -> ET.Element:
    root = ET.fromstring(output.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    for element in (root, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(len(failed))
        assert element.get("errors") == "0"
    return suite


def _table_rows(markdown: str) -> list[list[str]]:
    """The body rows of the markdown table, split on unescaped pipes."""
    rows = [ln for ln in markdown.splitlines() if ln.startswith("| ")]
    assert not rows or rows[1].startswith("| ---")
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[2:]]


# -- in sync ------------------------------------------------------------------------------


def test_fresh_sample_is_in_sync_in_every_format(sample: Sample) -> None:
    code, doc = _check(sample.deployment)
    assert code == 0
    assert doc["in_sync"] is True and doc["pin"] == sample.commits["s1"]
    assert doc["against"] is None and doc["pinned"] is False
    assert {f["path"] for f in doc["files"]} == set(sample.expected)
    assert {(f["state"], f["merge"]) for f in doc["files"]} == {("up-to-date", None)}
    assert set(doc["files"][0]) >= {"path", "kind", "base", "state", "merge"}

    text = run_cli(sample.deployment, "check")
    assert text.exit_code == 0 and "12 files: 12 up-to-date" in text.output
    github = run_cli(sample.deployment, "check", "--format", "github")
    assert [c["level"] for c in _github(github.output)] == ["notice"]
    suite = _junit(run_cli(sample.deployment, "check", "--format", "junit").output)
    assert len(suite.findall("testcase")) == 12 and suite.get("failures") == "0"
    markdown = run_cli(sample.deployment, "check", "--format", "markdown")
    assert markdown.exit_code == 0 and "in sync" in markdown.output
    assert _table_rows(markdown.output) == []


# -- drift --------------------------------------------------------------------------------


def test_drift_reports_the_dry_run_merge_of_every_stale_file(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    code, doc = _check(sample.deployment)
    assert code == 1 and doc["in_sync"] is False
    assert doc["pin"] == sample.commits["s2"]
    merges = {f["path"]: f["merge"] for f in doc["files"] if f["state"] == "stale"}
    assert merges == {p: s for p, s in sample.expected.items() if s != "unchanged"}
    up_to_date = {f["path"] for f in doc["files"] if f["state"] == "up-to-date"}
    assert up_to_date == {p for p, s in sample.expected.items() if s == "unchanged"}
    assert {f["merge"] for f in doc["files"] if f["state"] == "up-to-date"} == {None}
    by_path = {f["path"]: f for f in doc["files"]}
    renamed = "skyportal/utils/calculations.py"
    assert by_path[renamed]["renamed_to"] == sample.renamed_to[renamed]
    assert by_path["skyportal/initial_setup.py"]["conflicts"] == 1
    assert by_path["skyportal/initial_setup.py"]["first_conflict_line"] > 1
    assert by_path["skyportal/handlers/api/source.py"]["first_conflict_line"] is None
    assert doc["counts"]["stale"] == len(merges)
    assert sum(doc["merge_counts"].values()) == len(merges)


def test_check_uses_the_bumps_own_planning(sample: Sample) -> None:
    """Same states, hunk counts and first conflict line as the plan `bump` would apply."""
    code, doc = _check(sample.deployment, "--against", sample.commits["s2"])
    assert code == 1
    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment, sample.commits["s2"])
    for planned in plan.files:
        entry = next(f for f in doc["files"] if f["path"] == planned.path)
        if planned.state == "unchanged":
            assert entry["state"] == "up-to-date"
            continue
        assert (entry["merge"], entry["conflicts"]) == (planned.state, planned.conflict_hunks)
        if entry["first_conflict_line"] is not None:
            assert planned.content is not None
            line = planned.content.splitlines()[entry["first_conflict_line"] - 1]
            assert line == b"<<<<<<< overlay"


def test_drift_in_github_format(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    result = run_cli(sample.deployment, "check", "--format", "github")
    assert result.exit_code == 1
    commands = _github(result.output)
    assert commands[-1]["level"] == "notice"
    annotations = {c["file"]: c for c in commands[:-1]}
    stale = {p: s for p, s in sample.expected.items() if s != "unchanged"}
    assert set(annotations) == {f"{OVERLAY}/{p}" for p in stale}
    for path, state in stale.items():
        annotation = annotations[f"{OVERLAY}/{path}"]
        assert annotation["level"] == ("error" if state in ERRORS else "warning"), path
        assert annotation["title"] == f"overlay drift%3A {state}"
        assert f"overlay-merge bump {sample.commits['s2'][:7]}" in annotation["message"]
    conflict = annotations[f"{OVERLAY}/skyportal/initial_setup.py"]
    doc = _check(sample.deployment)[1]
    first = next(f for f in doc["files"] if f["path"] == "skyportal/initial_setup.py")
    # The overlay file's own lines (what the reviewer opens), not the merge preview's.
    start, end = first["conflict_lines"][0]
    assert (conflict["line"], conflict.get("endLine", conflict["line"])) == (str(start), str(end))
    assert "line" not in annotations[f"{OVERLAY}/skyportal/handlers/api/source.py"]


def test_drift_in_junit_format(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    result = run_cli(sample.deployment, "check", "--format", "junit")
    assert result.exit_code == 1
    assert result.output.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    suite = _junit(result.output)
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == set(sample.expected)
    assert {c.get("classname") for c in cases.values()} == {OVERLAY}
    for path, state in sample.expected.items():
        failure = cases[path].find("failure")
        if state == "unchanged":
            assert failure is None
        else:
            assert failure is not None and failure.get("type") == f"stale/{state}"
            assert "overlay-merge bump" in (failure.text or "")
    assert suite.get("failures") == str(sum(s != "unchanged" for s in sample.expected.values()))


def test_drift_in_markdown_and_text_formats(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    result = run_cli(sample.deployment, "check", "--format", "markdown")
    assert result.exit_code == 1
    assert result.output.startswith("### overlay-merge check: drift found")
    rows = _table_rows(result.output)
    stale = {p: s for p, s in sample.expected.items() if s != "unchanged"}
    assert len(rows) == len(stale)
    assert {(r[0].strip("`"), r[1], r[2]) for r in rows} == {
        (p, "stale", s) for p, s in stale.items()
    }
    assert all(len(r) == 4 for r in rows)
    text = run_cli(sample.deployment, "check")
    assert text.exit_code == 1
    assert re.search(r"stale +conflict +skyportal/initial_setup\.py", text.output)
    assert "fix: `overlay-merge bump" in text.output


def test_against_rev_without_moving_the_pin(sample: Sample) -> None:
    head = git(sample.upstream, "rev-parse", "HEAD")
    before = tree_digest(sample.deployment)
    code, doc = _check(sample.deployment, "--against", "origin/main")
    assert code == 1
    assert doc["pin"] == sample.commits["s2"] and doc["against"] == "origin/main"
    merges = {f["path"]: f["merge"] for f in doc["files"] if f["state"] == "stale"}
    assert merges == {p: s for p, s in sample.expected.items() if s != "unchanged"}
    assert git(sample.upstream, "rev-parse", "HEAD") == head
    assert tree_digest(sample.deployment) == before
    text = run_cli(sample.deployment, "check", "--against", "origin/main").output
    assert "--against origin/main" in text and "`overlay-merge bump origin/main`" in text
    # Against the pin itself: in sync.
    assert _check(sample.deployment, "--against", sample.commits["s1"])[0] == 0


def test_pinned_reads_the_gitlink_of_the_deployments_head(sample: Sample) -> None:
    _move_pin(sample, sample.commits["s2"])
    # The submodule moved but HEAD still records s1: --pinned is in sync.
    code, doc = _check(sample.deployment, "--pinned")
    assert (code, doc["pin"], doc["pinned"]) == (0, sample.commits["s1"], True)
    # Record s2 in HEAD, put the submodule back at s1: --pinned now sees the drift.
    git(sample.deployment, "add", "skyportal")
    git(sample.deployment, "commit", "-q", "-m", "pin s2")
    _move_pin(sample, sample.commits["s1"])
    assert _check(sample.deployment)[0] == 0
    code, doc = _check(sample.deployment, "--pinned")
    assert (code, doc["pin"]) == (1, sample.commits["s2"])
    assert "pin recorded in HEAD" in run_cli(sample.deployment, "check", "--pinned").output


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_writes_nothing(sample: Sample, fmt: str) -> None:
    _move_pin(sample, sample.commits["s2"])
    before = tree_digest(sample.deployment)
    result = run_cli(sample.deployment, "check", "--format", fmt)
    assert result.exit_code == 1
    assert tree_digest(sample.deployment) == before


# -- problems that are not drift ----------------------------------------------------------


def test_conflict_markers_left(sample: Sample) -> None:
    source = sample.overlay / "skyportal" / "handlers" / "api" / "source.py"
    lines = source.read_bytes().count(b"\n")
    source.write_bytes(
        source.read_bytes() + b"<<<<<<< overlay\nmine\n=======\ntheirs\n>>>>>>> upstream abc\n"
    )
    code, doc = _check(sample.deployment)
    assert code == 1
    entry = next(f for f in doc["files"] if f["path"] == "skyportal/handlers/api/source.py")
    assert entry["state"] == "conflict-pending"
    assert (entry["first_marker_line"], entry["unmerged"]) == (lines + 1, False)
    assert entry["conflict_lines"] == [[lines + 1, lines + 5]]
    assert (doc["conflict_files"], doc["conflict_hunks"]) == (1, 1)
    commands = _github(run_cli(sample.deployment, "check", "--format", "github").output)
    assert commands[0] == {
        "level": "error",
        "file": f"{OVERLAY}/skyportal/handlers/api/source.py",
        "line": str(lines + 1),
        "endLine": str(lines + 5),  # the hunk's end marker
        "title": "conflict markers",
        "message": commands[0]["message"],
    }
    assert "overlay-merge resolve" in commands[0]["message"]
    suite = _junit(run_cli(sample.deployment, "check", "--format", "junit").output)
    assert suite.get("failures") == "1"


def test_overlay_file_without_base_entry(sample: Sample) -> None:
    (sample.overlay / "skyportal" / "new_handler.py").write_bytes(b"print('new')\n")
    code, doc = _check(sample.deployment)
    assert code == 1
    entry = next(f for f in doc["files"] if f["path"] == "skyportal/new_handler.py")
    assert (entry["state"], entry["kind"], entry["base"]) == ("unrecorded", "addition", None)
    commands = _github(run_cli(sample.deployment, "check", "--format", "github").output)
    assert commands[0]["level"] == "warning"
    assert commands[0]["file"] == f"{OVERLAY}/skyportal/new_handler.py"
    assert "overlay-merge init" in commands[0]["message"]
    rows = _table_rows(run_cli(sample.deployment, "check", "--format", "markdown").output)
    assert [r[1] for r in rows] == ["unrecorded"]


def test_base_entry_without_file(sample: Sample) -> None:
    (sample.overlay / "skyportal" / "enum_types.py").unlink()
    code, doc = _check(sample.deployment)
    assert code == 1
    entry = next(f for f in doc["files"] if f["path"] == "skyportal/enum_types.py")
    assert entry["state"] == "orphaned"
    commands = _github(run_cli(sample.deployment, "check", "--format", "github").output)
    assert commands[0]["file"] == ".overlay-base"
    line = sample.base_file.read_text().splitlines()[int(commands[0]["line"]) - 1]
    assert line.endswith("  skyportal/enum_types.py")
    suite = _junit(run_cli(sample.deployment, "check", "--format", "junit").output)
    case = next(c for c in suite.findall("testcase") if c.get("name") == "skyportal/enum_types.py")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "orphaned"


def test_unmerged_index_entries_and_the_bump_in_progress(sample: Sample) -> None:
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    code, doc = _check(sample.deployment)
    assert code == 1 and doc["bump_in_progress"] == "conflicts"
    pending = {f["path"]: f for f in doc["files"] if f["state"] == "conflict-pending"}
    conflicted = {p for p, s in sample.expected.items() if s in ERRORS}
    assert set(pending) == conflicted
    assert all(f["unmerged"] for f in pending.values())
    assert pending["skyportal/initial_setup.py"]["first_marker_line"] is not None
    assert pending["static/img/logo.png"]["first_marker_line"] is None  # binary: no markers
    commands = _github(run_cli(sample.deployment, "check", "--format", "github").output)
    assert commands[0]["level"] == "error" and commands[0]["title"] == "bump in progress"
    suite = _junit(run_cli(sample.deployment, "check", "--format", "junit").output)
    assert any(c.get("name") == "bump in progress" for c in suite.findall("testcase"))

    # Without the journal, and with the markers fixed by hand, the index alone still tells.
    shutil.rmtree(sample.deployment / ".git" / "overlay-merge" / "bump")
    setup = sample.overlay / "skyportal" / "initial_setup.py"
    setup.write_bytes(git(sample.upstream, "show", "HEAD:skyportal/initial_setup.py").encode())
    code, doc = _check(sample.deployment)
    assert code == 1 and doc["bump_in_progress"] is None
    entry = next(f for f in doc["files"] if f["path"] == "skyportal/initial_setup.py")
    assert (entry["state"], entry["unmerged"], entry["first_marker_line"]) == (
        "conflict-pending",
        True,
        None,
    )
    assert "unmerged in the deployment's index" in run_cli(sample.deployment, "check").output


def test_interrupted_bump(sample: Sample) -> None:
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    journal = sample.deployment / ".git" / "overlay-merge" / "bump" / "journal.json"
    document = json.loads(journal.read_text())
    journal.write_text(json.dumps({**document, "phase": "applying"}))
    code, doc = _check(sample.deployment)
    assert code == 1 and doc["bump_in_progress"] == "interrupted"
    assert "`overlay-merge abort`" in run_cli(sample.deployment, "check").output


# -- cannot tell: exit 3 ------------------------------------------------------------------


def test_uninitialized_submodule_is_exit_3(sample: Sample) -> None:
    git(sample.deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    for fmt in FORMATS:
        result = run_cli(sample.deployment, "check", "--format", fmt)
        assert result.exit_code == 3
        assert "skyportal/: upstream submodule is not initialized" in result.output
        assert "git submodule update --init --recursive" in result.output


def test_no_base_file_is_exit_3(sample: Sample) -> None:
    sample.base_file.unlink()
    result = run_cli(sample.deployment, "check")
    assert result.exit_code == 3
    assert ".overlay-base: missing" in result.output and "overlay-merge init" in result.output


def test_unknown_against_revision_is_exit_3(sample: Sample) -> None:
    result = run_cli(sample.deployment, "check", "--against", "no-such-branch")
    assert result.exit_code == 3 and "unknown revision 'no-such-branch'" in result.output


def test_against_and_pinned_together_is_a_usage_error(sample: Sample) -> None:
    result = run_cli(sample.deployment, "check", "--pinned", "--against", "origin/main")
    assert result.exit_code == 2


def _shallow_clone(sample: Sample, clone: Path) -> Path:
    """Clone the deployment, its submodules at depth 1 (as actions/checkout does)."""
    subprocess.run(["git", "clone", "-q", str(sample.deployment), str(clone)], check=True)
    git(clone, "submodule", "init")
    # --depth is ignored for plain-path remotes: go through file:// as a real server would.
    git(clone, "config", "submodule.skyportal.url", f"file://{sample.upstream_remote}")
    git(clone, "submodule", "update", "--init", "--recursive", "--depth", "1")
    assert git(clone / "skyportal", "rev-parse", "--is-shallow-repository") == "true"
    return clone


def test_shallow_clone_missing_a_base_is_exit_3_with_the_fetch(
    sample: Sample, tmp_path: Path
) -> None:
    clone = _shallow_clone(sample, tmp_path / "clone")
    result = run_cli(clone, "check", "--pinned")
    assert result.exit_code == 3
    assert "is missing from the object store" in result.output
    assert "git -C skyportal fetch --unshallow" in result.output


def test_shallow_clone_works_when_the_needed_commits_are_present(
    sample: Sample, tmp_path: Path
) -> None:
    # CI case: HEAD records s2 (an "update anyway" was committed); bases are s0 and s1.
    _move_pin(sample, sample.commits["s2"])
    git(sample.deployment, "add", "skyportal")
    git(sample.deployment, "commit", "-q", "-m", "pin s2")
    clone = _shallow_clone(sample, tmp_path / "clone")
    assert run_cli(clone, "check", "--pinned").exit_code == 3
    # Fetch exactly the bases (and the nested commit they record), still shallow.
    for name in ("s0", "s1"):
        git(clone / "skyportal", "fetch", "-q", "--depth", "1", "origin", sample.commits[name])
    nested = clone / "skyportal" / "baselayer"
    git(nested, "fetch", "-q", "--depth", "1", "origin", sample.commits["b1"])
    assert git(clone / "skyportal", "rev-parse", "--is-shallow-repository") == "true"
    code, doc = _check(clone, "--pinned")
    assert code == 1 and doc["pin"] == sample.commits["s2"]
    merges = {f["path"]: f["merge"] for f in doc["files"] if f["state"] == "stale"}
    assert merges == {p: s for p, s in sample.expected.items() if s != "unchanged"}


def test_shallow_clone_in_sync(sample: Sample, tmp_path: Path) -> None:
    # Every base at the pin: a depth-1 checkout holds everything check needs.
    text = sample.base_file.read_text().replace(sample.commits["s0"], sample.commits["s1"])
    commit_files(sample.deployment, {".overlay-base": text.encode()}, "bases at s1")
    clone = _shallow_clone(sample, tmp_path / "clone")
    code, doc = _check(clone, "--pinned")
    assert (code, doc["in_sync"]) == (0, True)
