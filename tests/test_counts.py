"""Counts that cannot hide a conflict, and annotations at the overlay file's own lines.

The case seen on Icare: three files upstream renamed, carrying 15 conflicting
hunks between them.  ``merge_counts.conflict`` is 0 there (they are
``renamed-upstream``), so every report also counts conflicting files and hunks
across all states, and says so in its summary; and each hunk is placed at the
lines of the overlay file the reviewer opens, not of the merge preview.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conftest import run_cli
from gitutil import commit_files, git
from test_check import _github

from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"
NAMES = ("skyportal/utils/alpha.py", "skyportal/utils/beta.py", "skyportal/utils/gamma.py")
EDITED = (2, 8, 14, 20, 26)  # lines both sides change: five conflicting hunks a file
SUMMARY = "in conflict: 3 files, 15 hunks (3 renamed-upstream)"


def _text(name: str, side: str | None, top: int = 0) -> bytes:
    lines = [f"# upstream's new line {i}\n" for i in range(top)]
    for i in range(30):
        edited = side is not None and i in EDITED
        lines.append(f"{side} line {i} of {name}\n" if edited else f"line {i} of {name}\n")
    return "".join(lines).encode()


def _renamed(path: str) -> str:
    return path.replace("/utils/", "/helpers/")


def _history(sample: Sample) -> str:
    """c1: three upstream files the overlay patches (base c1); c2 renames them and
    changes the overlay's lines, adding three lines at their top (the target)."""
    upstream = sample.upstream
    c1 = commit_files(upstream, {p: _text(p, None) for p in NAMES}, "utils")
    for path in NAMES:
        (sample.overlay / path).parent.mkdir(parents=True, exist_ok=True)
        (sample.overlay / path).write_bytes(_text(path, "overlay's"))
    assert run_cli(sample.deployment, "init").exit_code == 0
    (upstream / "skyportal/helpers").mkdir()
    for path in NAMES:
        git(upstream, "mv", path, _renamed(path))
    c2 = commit_files(
        upstream, {_renamed(p): _text(p, "upstream's", top=3) for p in NAMES}, "helpers"
    )
    git(upstream, "checkout", "-q", "--detach", c1)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-q", "-m", "utils patched")
    return c2


def _json(deployment: Path, *args: str) -> dict[str, Any]:
    result = run_cli(deployment, *args, "--format", "json")
    assert result.exit_code == 1, result.output
    doc: dict[str, Any] = json.loads(result.output)
    return doc


def test_renamed_files_with_conflicts_are_counted_as_conflicts(sample: Sample) -> None:
    target = _history(sample)
    check = _json(sample.deployment, "check", "--against", target)
    assert check["merge_counts"]["conflict"] == 0  # the old count, kept, still says 0
    assert check["merge_counts"]["renamed-upstream"] == 3
    assert (check["conflict_files"], check["conflict_hunks"]) == (3, 15)
    plan = _json(sample.deployment, "bump", target, "--dry-run")
    assert plan["counts"]["conflict"] == 0
    assert (plan["conflict_files"], plan["conflict_hunks"]) == (3, 15)
    text = run_cli(sample.deployment, "check", "--against", target).output
    assert f"3 stale (3 renamed-upstream); {SUMMARY}" in text
    dry = run_cli(sample.deployment, "bump", target, "--dry-run").output
    assert f"3 renamed-upstream; {SUMMARY}" in dry
    github = run_cli(sample.deployment, "check", "--against", target, "--format", "github")
    notice = _github(github.output)[-1]
    assert notice["level"] == "notice" and SUMMARY in notice["message"]
    markdown = run_cli(sample.deployment, "check", "--against", target, "--format", "markdown")
    assert SUMMARY in markdown.output
    junit = run_cli(sample.deployment, "check", "--against", target, "--format", "junit")
    root = ET.fromstring(junit.output.encode())
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert (props["conflict_files"], props["conflict_hunks"]) == ("3", "15")


def test_a_clean_rename_counts_no_conflict(sample: Sample) -> None:
    target = _history(sample)
    for path in NAMES:  # the overlay's copies now change nothing upstream changes
        (sample.overlay / path).write_bytes(_text(path, None) + b"# the overlay's end\n")
    check = _json(sample.deployment, "check", "--against", target)
    assert (check["conflict_files"], check["conflict_hunks"]) == (0, 0)
    text = run_cli(sample.deployment, "check", "--against", target).output
    assert "in conflict" not in text


def test_annotations_point_at_the_overlay_files_own_lines(sample: Sample) -> None:
    target = _history(sample)
    check = _json(sample.deployment, "check", "--against", target)
    entries = {f["path"]: f for f in check["files"] if f["path"] in NAMES}
    github = run_cli(sample.deployment, "check", "--against", target, "--format", "github")
    annotations = {c["file"]: c for c in _github(github.output) if "file" in c}
    for path in NAMES:
        lines = (sample.overlay / path).read_bytes().splitlines()
        spans = entries[path]["conflict_lines"]
        # Each hunk is the overlay's own edited line, at its line in the overlay file
        # (the merge preview has three lines of upstream's above them).
        assert spans == [[i + 1, i + 1] for i in EDITED]
        assert all(lines[a - 1].startswith(b"overlay's line") for a, _ in spans)
        annotation = annotations[f"{OVERLAY}/{path}"]
        assert (annotation["level"], annotation["line"]) == ("error", str(EDITED[0] + 1))
        assert "endLine" not in annotation  # one line: GitHub takes line alone
        assert "overlay lines 3, 9, 15, 21, 27" in annotation["message"]
        assert entries[path]["first_conflict_line"] > EDITED[0] + 1  # the preview's line
    junit = run_cli(sample.deployment, "check", "--against", target, "--format", "junit")
    root = ET.fromstring(junit.output.encode())
    failures = {c.get("name"): c.find("failure") for c in root.iter("testcase")}
    for path in NAMES:
        failure = failures[path]
        assert failure is not None and f"at {OVERLAY}/{path}:3\n" in (failure.text or "")


def test_a_multi_line_hunk_is_a_line_range(sample: Sample) -> None:
    target = _history(sample)
    path = NAMES[0]
    lines = _text(path, "overlay's").splitlines(keepends=True)
    # Two more overlay lines after its first edited one: one hunk three lines long.
    lines[EDITED[0] + 1 : EDITED[0] + 1] = [b"# the overlay's\n", b"# own block\n"]
    (sample.overlay / path).write_bytes(b"".join(lines))
    check = _json(sample.deployment, "check", "--against", target)
    entry = next(f for f in check["files"] if f["path"] == path)
    assert entry["conflict_lines"][0] == [3, 5]
    github = run_cli(sample.deployment, "check", "--against", target, "--format", "github")
    annotation = next(c for c in _github(github.output) if c.get("file") == f"{OVERLAY}/{path}")
    assert (annotation["line"], annotation["endLine"]) == ("3", "5")
