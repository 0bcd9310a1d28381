"""``overlay-merge diff``: the three views as unified diffs, their counts, filtering, colours.

The oracle for every count is ``git diff --no-index --numstat`` on the same bytes.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from overlay_merge.cli.main import cli
from overlay_merge.core.deployment import open_at
from overlay_merge.core.git.diff import diff_bytes
from overlay_merge.core.layout import load_layout
from overlay_merge.core.model import View
from overlay_merge.core.plan import plan_bump
from overlay_merge.core.views import file_view
from overlay_merge.demo import Sample
from overlay_merge.reports.diff import diff_file, hunk_stats

ANSI = re.compile(r"\x1b\[")


def numstat(old: bytes | None, new: bytes | None, tmp: Path) -> tuple[int, int] | None:
    """git's added/removed counts for *old* -> *new* (None: binary)."""
    paths = []
    for name, data in (("old", old), ("new", new)):
        if data is None:
            paths.append("/dev/null")
            continue
        path = tmp / name
        path.write_bytes(data)
        paths.append(str(path))
    done = subprocess.run(
        ["git", "diff", "--no-index", "--numstat", *paths], capture_output=True, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    fields = done.stdout.split(b"\t")
    if not done.stdout:
        return (0, 0)
    if fields[0] == b"-":
        return None
    return int(fields[0]), int(fields[1])


def test_counts_of_every_view_of_every_sample_file_match_git(
    sample: Sample, tmp_path: Path
) -> None:
    plan = plan_bump(open_at(load_layout(sample.deployment)), sample.commits["s2"])
    checked = 0
    for item in plan.files:
        for view in View:
            fd = diff_file(plan, item, view)
            expected = numstat(fd.view.old, fd.view.new, tmp_path)
            if expected is None:
                assert fd.binary
            else:
                assert (fd.added, fd.removed) == expected, (item.path, view)
                checked += 1
    assert checked >= 25


LINES = st.lists(
    st.sampled_from(
        [b"a", b"b", b"c", b"", b"  x = 1", b"\xff\xfe", b"tab\there", b"form\x0cfeed"]
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(
    old=LINES,
    new=LINES,
    crlf=st.booleans(),
    final_newline=st.tuples(st.booleans(), st.booleans()),
)
def test_counts_match_git_on_generated_bytes(
    tmp_path_factory: pytest.TempPathFactory,
    old: list[bytes],
    new: list[bytes],
    crlf: bool,
    final_newline: tuple[bool, bool],
) -> None:
    end = b"\r\n" if crlf else b"\n"
    sides = [
        end.join(lines) + (end if lines and final else b"")
        for lines, final in ((old, final_newline[0]), (new, final_newline[1]))
    ]
    result = diff_bytes(sides[0], sides[1], "f", "f")
    hunks = hunk_stats(result.patch)
    expected = numstat(sides[0], sides[1], tmp_path_factory.mktemp("numstat"))
    assert (sum(h.added for h in hunks), sum(h.removed for h in hunks)) == expected


def test_hunk_ranges_are_git_s(sample: Sample) -> None:
    plan = plan_bump(open_at(load_layout(sample.deployment)))
    item = next(f for f in plan.files if f.path == "skyportal/initial_setup.py")
    text = file_view(plan, item, "upstream").diff().patch.decode()
    headers = re.findall(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@", text, re.M)
    stats = diff_file(plan, item, "upstream").hunks
    assert [(h.old_start, h.old_lines, h.new_start, h.new_lines) for h in stats] == [
        tuple(int(x) for x in h) for h in headers
    ]


# -- the command -------------------------------------------------------------------


def test_default_view_is_the_patch_and_piped_output_is_plain(sample: Sample) -> None:
    result = run_cli(sample.deployment, "diff")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("patch: what each overlay file carries against its base")
    assert result.output == run_cli(sample.deployment, "diff", "--patch").output
    assert not ANSI.search(result.output)
    assert "diff --git a/skyportal/initial_setup.py b/skyportal/initial_setup.py" in result.output
    assert " static/img/logo.png" in result.output and "binary" in result.output
    assert "Binary files a/static/img/logo.png and b/static/img/logo.png differ" in result.output


def test_colours_on_a_terminal(sample: Sample) -> None:
    result = CliRunner().invoke(cli, ["-C", str(sample.deployment), "diff"], color=True)
    assert ANSI.search(result.output)
    assert "\x1b[32m+" in result.output and "\x1b[31m-" in result.output


def test_stat_is_the_summary_only(sample: Sample) -> None:
    result = run_cli(sample.deployment, "diff", "--upstream", "--rev", "origin/main", "--stat")
    assert result.exit_code == 0
    assert "diff --git" not in result.output and "@@" not in result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("upstream: what upstream changed")
    assert "(origin/main)" in lines[0]
    assert lines[-1] == "8 files changed, +35 -25, 1 binary"
    assert any(line.split()[:3] == ["skyportal/initial_setup.py", "+2", "-2"] for line in lines)


def test_full_output_has_per_hunk_counts(sample: Sample) -> None:
    result = run_cli(sample.deployment, "diff", "skyportal/initial_setup.py")
    summary = result.output.split("\n\n", 1)[0]
    assert re.search(r"^     @@ -\d+,\d+ \+\d+,\d+ @@  \+\d+ -\d+$", summary, re.M)


def test_merged_preview_shows_markers_and_follows_the_target(sample: Sample) -> None:
    at_pin = run_cli(sample.deployment, "diff", "--merged")
    assert at_pin.output.splitlines()[-1] == "0 files changed, +0 -0"
    ahead = run_cli(sample.deployment, "diff", "--merged", "--rev", "origin/main")
    assert "+<<<<<<< overlay" in ahead.output
    assert "a/skyportal/utils/calculations.py b/skyportal/utils/calc.py" in ahead.output


def test_path_filtering_and_unknown_paths(sample: Sample) -> None:
    result = run_cli(
        sample.deployment, "diff", "--stat", "extensions/skyportal/skyportal/handlers", "tools"
    )
    files = [line.split()[0] for line in result.output.splitlines()[1:-1]]
    assert files == [
        "skyportal/handlers/api/instrument.py",
        "skyportal/handlers/api/legacy.py",
        "skyportal/handlers/api/source.py",
        "tools/check_env.sh",
    ]
    unknown = run_cli(sample.deployment, "diff", "skyportal/nope.py")
    assert unknown.exit_code == 3
    assert "skyportal/nope.py: not an overlay file" in unknown.output


def test_json(sample: Sample) -> None:
    result = run_cli(
        sample.deployment, "diff", "--upstream", "--rev", "origin/main", "--format", "json"
    )
    doc = json.loads(result.output)
    assert doc["view"] == "upstream"
    assert (doc["from"], doc["to"]) == (sample.commits["s1"], sample.commits["s2"])
    files = {f["path"]: f for f in doc["files"]}
    legacy = files["skyportal/handlers/api/legacy.py"]
    assert legacy["new_path"] is None and legacy["state"] == "deleted-upstream"
    assert legacy["removed"] == sum(h["removed"] for h in legacy["hunks"]) > 0
    assert files["static/img/logo.png"]["binary"] is True
    assert files["static/img/logo.png"]["hunks"] == []
    assert doc["added"] == sum(f["added"] for f in doc["files"])
    assert all(f["diff"].startswith("diff --git") for f in doc["files"])
    stat = json.loads(run_cli(sample.deployment, "diff", "--stat", "--format", "json").output)
    assert all("diff" not in f for f in stat["files"])


def test_an_older_rev_is_fine_read_only(sample: Sample) -> None:
    result = run_cli(sample.deployment, "diff", "--upstream", "--rev", sample.commits["s0"])
    assert result.exit_code == 0, result.output


def test_refused_while_a_bump_is_unfinished(sample: Sample) -> None:
    run_cli(sample.deployment, "bump", "--choice", "merge")
    result = run_cli(sample.deployment, "diff")
    assert result.exit_code == 3
