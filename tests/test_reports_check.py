"""The check report's renderings on awkward input: escaping, XML validity, table cells."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from test_check import _github, _table_rows

from overlay_merge.core.check import CheckResult, FileCheck
from overlay_merge.reports.check import CheckReport

PIN = "a" * 40
BASE = "b" * 40
# Legal overlay paths that break naive renderers: workflow-command separators,
# a percent sign, a table pipe, backquotes, a control character.
AWKWARD = (
    "odd/a,b:c%d.py",
    "odd/pipe|name.py",
    "odd/`tick``s`.py",
    "odd/ctrl\x01char.py",
)


def _result(
    files: tuple[FileCheck, ...], against: str | None = None, bump: str | None = None
) -> CheckResult:
    return CheckResult(
        "skyportal", "extensions/skyportal", ".overlay-base", PIN, files, against, bump=bump
    )


def _awkward() -> CheckResult:
    files = tuple(
        FileCheck(
            path, "patch", BASE, "stale", merge="conflict", conflict_hunks=2, first_conflict_line=7
        )
        for path in AWKWARD
    )
    renamed = FileCheck(
        "odd/moved.py", "patch", BASE, "stale", merge="renamed-upstream", renamed_to="new\nline%.py"
    )
    return _result((*files, renamed), against="release/1,2")


def test_github_escapes_properties_and_messages() -> None:
    report = CheckReport(_awkward())
    commands = _github(report.render("github"))
    files = [c["file"] for c in commands if "file" in c]
    assert "extensions/skyportal/odd/a%2Cb%3Ac%25d.py" in files
    moved = next(c for c in commands if c.get("file", "").endswith("moved.py"))
    assert "new%0Aline%25.py" in moved["message"]
    levels = {c["file"].rsplit("/", 1)[-1]: c["level"] for c in commands if "file" in c}
    assert levels.pop("moved.py") == "warning"  # renamed, merges cleanly
    assert set(levels.values()) == {"error"}
    assert commands[-1]["level"] == "notice"
    assert "release/1%2C2" in commands[-1]["title"]


def test_junit_is_valid_xml_for_any_path() -> None:
    output = CheckReport(_awkward()).render("junit")
    root = ET.fromstring(output.encode("utf-8"))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(AWKWARD) + 1
    names = {c.get("name") for c in cases}
    assert "odd/a,b:c%d.py" in names and "odd/pipe|name.py" in names
    assert "odd/ctrl\ufffdchar.py" in names  # XML 1.0 cannot hold U+0001 at all
    assert root.get("failures") == str(len(cases))
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props == {
        "upstream": "skyportal",
        "pin": PIN,
        "against": "release/1,2",
        "conflict_files": str(len(AWKWARD)),
        "conflict_hunks": str(2 * len(AWKWARD)),
    }


def test_markdown_cells_survive_pipes_and_backquotes() -> None:
    output = CheckReport(_awkward()).render("markdown")
    rows = _table_rows(output)
    assert len(rows) == len(AWKWARD) + 1
    assert all(len(row) == 4 for row in rows)
    pipe = next(r for r in rows if "pipe" in r[0])
    assert pipe[0] == r"`odd/pipe\|name.py`"
    tick = next(r for r in rows if "tick" in r[0])
    # The code span's fence is longer than any backquote run inside it.
    assert tick[0] == "```odd/`tick``s`.py```"
    assert "\n" not in next(r for r in rows if "moved" in r[0])[3]


def test_json_has_every_key_for_every_file() -> None:
    doc = json.loads(CheckReport(_awkward()).render("json"))
    keys = {
        "path",
        "kind",
        "base",
        "state",
        "merge",
        "conflicts",
        "first_conflict_line",
        "renamed_to",
        "renamed_by",  # added with renames through history: null unless renamed
        "shadows",  # added with shadowing: [] for every file that stays clear
        "first_marker_line",
        "unmerged",
        "conflict_lines",  # added with the overlay's line numbers: [] but for conflicts
        "grade",  # added with depends-on-changed: null for every other file
        "dependencies",
        "refinements",  # added with --strategy refined's provenance: [] unless a rule fired
    }
    assert all(set(f) == keys for f in doc["files"])
    assert doc["against"] == "release/1,2" and doc["pin"] == PIN
    assert doc["merge_counts"]["conflict"] == len(AWKWARD)


def test_counts_and_exit_codes() -> None:
    in_sync = CheckReport(_result((FileCheck("a.py", "patch", BASE, "up-to-date"),)))
    assert in_sync.return_code == 0
    assert in_sync.summary() == "1 file: 1 up-to-date"
    empty = CheckReport(_result(()))
    assert empty.return_code == 0 and "no files" in empty.render("text")
    bump = CheckReport(_result((), bump="interrupted"))
    assert bump.return_code == 1
    assert "overlay-merge abort" in bump.render("text")
    assert _table_rows(bump.render("markdown")) == []
    drift = CheckReport(_awkward())
    assert drift.return_code == 1
    assert drift.counts["stale"] == len(AWKWARD) + 1
    assert drift.merge_counts == {"conflict": len(AWKWARD), "renamed-upstream": 1}
    assert re.match(r"5 files: 5 stale \(4 conflict, 1 renamed-upstream\)", drift.summary())
