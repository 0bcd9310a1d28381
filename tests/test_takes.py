"""Hunk by hunk from the command line: `resolve PATH --hunk N --take SIDE`, `--all`, `--list`,
`--undo`; the bytes written, the base recorded only once no hunk is left, the index, abort."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from multihunk import BASE, OURS, PATH, THEIRS, MultiHunk, make_multi_hunk
from test_bump import _bases, _state, _unmerged

from overlay_merge.core.hunks import parse
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"


@pytest.fixture
def multi(sample: Sample) -> MultiHunk:
    return make_multi_hunk(sample)


def _file(sample: Sample) -> Path:
    return sample.deployment / OVERLAY / PATH


def _merge(sample: Sample, multi: MultiHunk, *style: str) -> None:
    result = run_cli(sample.deployment, "bump", multi.target, "--choice", "merge", *style)
    assert result.exit_code == 1, result.output


def _lines(data: bytes, *prefixes: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if line.startswith(prefixes)]


def test_hunk_numbers_are_those_of_diff_merged(sample: Sample, multi: MultiHunk) -> None:
    preview = run_cli(sample.deployment, "diff", "--merged", "--rev", multi.target, PATH)
    assert "conflict 1 at line 7  (resolve --hunk 1)" in preview.output
    as_json = run_cli(
        sample.deployment, "diff", "--merged", "--rev", multi.target, "--format", "json"
    )
    (entry,) = [f for f in json.loads(as_json.output)["files"] if f["path"] == PATH]
    _merge(sample, multi)
    listed = json.loads(
        run_cli(sample.deployment, "resolve", PATH, "--list", "--format", "json").output
    )
    (hunks,) = [f["hunks"] for f in listed["files"]]
    assert [(c["number"], c["line"]) for c in entry["conflicts"]] == [
        (h["number"], h["line"]) for h in hunks
    ]
    assert [h["line"] for h in hunks] == [7, 19, 31, 43]


def test_list_shows_each_side_the_base_and_what_is_only_cosmetic(
    sample: Sample, multi: MultiHunk
) -> None:
    _merge(sample, multi)
    before = _state(sample)
    listed = run_cli(sample.deployment, "resolve", "--list", "--format", "json")
    assert listed.exit_code == 0
    files = {f["path"]: f for f in json.loads(listed.output)["files"]}
    hunks = files[PATH]["hunks"]
    assert [h["base"] for h in hunks] == [
        ['NAME = "skyportal"'],
        ["PORT = 5000"],
        ["QUOTE = 'x'"],
        ["LAST = 1"],
    ]
    assert [h["overlay_change"] for h in hunks] == [None, "whitespace", "quotes", None]
    assert all(h["upstream_change"] is None and h["base_source"] == "markers" for h in hunks)
    text = run_cli(sample.deployment, "resolve", PATH, "--list").output
    assert "only whitespace against the base: taking upstream's side loses nothing" in text
    assert _state(sample) == before  # --list writes nothing


def test_take_hunk_by_hunk_then_the_file_is_resolved(sample: Sample, multi: MultiHunk) -> None:
    _merge(sample, multi)
    first = run_cli(sample.deployment, "resolve", PATH, "--hunk", "2", "--take", "upstream")
    assert first.exit_code == 1, first.output  # hunks left
    assert "3 hunks left" in first.output and "1 at line 7, 2 at line 25" in first.output
    data = _file(sample).read_bytes()
    assert len(parse(data).hunks) == 3 and b"\nPORT = 6000\n# c 0\n" in data
    assert _bases(sample)[PATH] == multi.base  # never recorded while a hunk is left
    assert _unmerged(sample)[PATH] == {1, 2, 3}
    done = run_cli(
        sample.deployment, "resolve", PATH, "--hunk", "1", "--hunk", "3", "--take", "both"
    )
    assert done.exit_code == 1
    last = run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "overlay")
    assert last.exit_code == 0, last.output
    assert f"resolved  {PATH}  (base {multi.target[:7]})" in last.output
    expected = (
        OURS.replace(b"PORT  =  5000", b"PORT = 6000")
        .replace(b'NAME = "icare"\n', b'NAME = "icare"\nNAME = "skyportal-app"\n')
        .replace(b"LAST = 2", b"LAST = 2\nLAST = 3\n")
    )
    assert _file(sample).read_bytes() == expected
    assert _bases(sample)[PATH] == multi.target
    assert PATH not in _unmerged(sample)
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    assert status["bump_in_progress"] is None


@pytest.mark.parametrize(
    ("take", "expected"),
    [
        ("overlay", OURS),  # no final newline, as the overlay's file
        ("upstream", THEIRS),
        (
            "both-upstream-first",
            THEIRS.replace(b'"skyportal-app"\n', b'"skyportal-app"\nNAME = "icare"\n')
            .replace(b"PORT = 6000\n", b"PORT = 6000\nPORT  =  5000\n")
            .replace(b"QUOTE = 'y'\n", b"QUOTE = 'y'\nQUOTE = \"x\"\n")
            .replace(b"LAST = 3\n", b"LAST = 3\nLAST = 2"),
        ),
    ],
)
def test_all_takes_every_hunk(sample: Sample, multi: MultiHunk, take: str, expected: bytes) -> None:
    _merge(sample, multi)
    result = run_cli(
        sample.deployment, "resolve", PATH, "--all", "--take", take, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["taken"] == [1, 2, 3, 4] and report["resolved"] is True
    assert _file(sample).read_bytes() == expected


def test_no_record_writes_and_leaves_the_file_for_git_add(sample: Sample, multi: MultiHunk) -> None:
    _merge(sample, multi)
    result = run_cli(
        sample.deployment, "resolve", PATH, "--all", "--take", "upstream", "--no-record"
    )
    assert result.exit_code == 0 and "not recorded" in result.output
    assert _file(sample).read_bytes() == THEIRS
    assert _bases(sample)[PATH] == multi.base and _unmerged(sample)[PATH] == {1, 2, 3}
    assert run_cli(sample.deployment, "resolve", PATH).exit_code == 0
    assert _bases(sample)[PATH] == multi.target


def test_two_way_markers_get_their_base_from_the_base_commit(
    sample: Sample, multi: MultiHunk
) -> None:
    _merge(sample, multi, "--style", "merge")
    assert b"|||||||" not in _file(sample).read_bytes()
    listed = json.loads(
        run_cli(sample.deployment, "resolve", PATH, "--list", "--format", "json").output
    )
    hunks = listed["files"][0]["hunks"]
    assert [h["base"] for h in hunks] == [
        ['NAME = "skyportal"'],
        ["PORT = 5000"],
        ["QUOTE = 'x'"],
        ["LAST = 1"],
    ]
    assert {h["base_source"] for h in hunks} == {"recomputed"}
    assert [h["overlay_change"] for h in hunks] == [None, "whitespace", "quotes", None]
    assert run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "overlay").exit_code == 0
    assert _file(sample).read_bytes() == OURS


def test_two_way_markers_base_when_a_line_is_as_wide_as_the_merge_markers(
    sample: Sample,
) -> None:
    # Both sides lengthen a reStructuredText underline, the overlay's to 41 '=':
    # as wide as the markers the merge runs with, the recomputed bases must not
    # read it as a marker.
    doc = b"Doc\n"
    heads = (doc + b"=" * 5 + b"\n", doc + b"=" * 41 + b"\n", doc + b"=" * 40 + b"\n")
    multi = make_multi_hunk(sample, heads)
    _merge(sample, multi, "--style", "merge")
    listed = json.loads(
        run_cli(sample.deployment, "resolve", PATH, "--list", "--format", "json").output
    )
    hunks = listed["files"][0]["hunks"]
    assert [h["base"] for h in hunks] == [
        ["====="],
        ['NAME = "skyportal"'],
        ["PORT = 5000"],
        ["QUOTE = 'x'"],
        ["LAST = 1"],
    ]
    assert hunks[0]["overlay"] == ["=" * 41]
    assert {h["base_source"] for h in hunks} == {"recomputed"}


def test_undo_puts_back_the_bytes_the_base_and_the_index(sample: Sample, multi: MultiHunk) -> None:
    _merge(sample, multi)
    merged = _file(sample).read_bytes()
    before = _state(sample)
    assert (
        run_cli(sample.deployment, "resolve", PATH, "--hunk", "1", "--take", "overlay").exit_code
        == 1
    )
    partial = _file(sample).read_bytes()
    assert run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "upstream").exit_code == 0
    assert _bases(sample)[PATH] == multi.target and PATH not in _unmerged(sample)

    undone = run_cli(sample.deployment, "resolve", "--undo")
    assert undone.exit_code == 0 and "in conflict again" in undone.output, undone.output
    assert _file(sample).read_bytes() == partial
    assert _bases(sample)[PATH] == multi.base and _unmerged(sample)[PATH] == {1, 2, 3}
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    assert status["bump_in_progress"] == "conflicts"
    assert run_cli(sample.deployment, "resolve", PATH).exit_code == 3  # markers: refused

    assert run_cli(sample.deployment, "resolve", "--undo").exit_code == 0
    assert _file(sample).read_bytes() == merged
    assert _state(sample) == before
    nothing = run_cli(sample.deployment, "resolve", "--undo")
    assert nothing.exit_code == 3 and "no hunk choice to undo" in nothing.output


def test_abort_after_partial_resolution_restores_every_byte(
    sample: Sample, multi: MultiHunk
) -> None:
    before = _state(sample)
    _merge(sample, multi)
    assert (
        run_cli(sample.deployment, "resolve", PATH, "--hunk", "4", "--take", "both").exit_code == 1
    )
    assert (
        run_cli(sample.deployment, "resolve", PATH, "--hunk", "1", "--take", "upstream").exit_code
        == 1
    )
    assert _state(sample) != before
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before
    assert _file(sample).read_bytes() == OURS


def test_abort_after_a_file_was_resolved_hunk_by_hunk(sample: Sample) -> None:
    before = _state(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    done = run_cli(
        sample.deployment, "resolve", "skyportal/initial_setup.py", "--all", "--take", "both"
    )
    assert done.exit_code == 0, done.output
    assert _bases(sample)["skyportal/initial_setup.py"] == sample.commits["s2"]
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([PATH, "--hunk", "5", "--take", "overlay"], 3, "no hunk 5; it has 4 (1-4"),
        ([PATH, "--hunk", "1"], 2, "--take SIDE"),
        (["--all", "--take", "overlay"], 2, "name one PATH"),
        ([PATH, "--hunk", "1", "--all", "--take", "overlay"], 2, "name one PATH"),
        ([PATH, "--list", "--undo"], 2, "one at a time"),
        ([PATH, "--hunk", "0", "--take", "overlay"], 2, "0"),
        (["skyportal/enum_types.py", "--all", "--take", "overlay"], 3, "not a conflict"),
    ],
)
def test_refusals(
    sample: Sample, multi: MultiHunk, args: list[str], code: int, message: str
) -> None:
    _merge(sample, multi)
    before = _state(sample)
    result = run_cli(sample.deployment, "resolve", *args)
    assert result.exit_code == code and message in result.output, result.output
    assert _state(sample) == before


def test_a_file_without_hunks_is_refused(sample: Sample) -> None:
    run_cli(sample.deployment, "bump", "--choice", "merge")
    result = run_cli(
        sample.deployment, "resolve", "static/img/logo.png", "--all", "--take", "upstream"
    )
    assert result.exit_code == 3 and "no conflict hunk in it" in result.output


def test_without_a_bump(sample: Sample) -> None:
    result = run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "upstream")
    assert result.exit_code == 3 and "no bump in progress" in result.output


def test_a_file_the_journal_does_not_cover_is_never_written(
    sample: Sample, multi: MultiHunk
) -> None:
    _merge(sample, multi)
    journal = sample.deployment / ".git" / "overlay-merge" / "bump" / "journal.json"
    document = json.loads(journal.read_text())
    del document["files"][f"{OVERLAY}/{PATH}"]
    journal.write_text(json.dumps(document))
    data = _file(sample).read_bytes()
    result = run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "upstream")
    assert result.exit_code == 3 and "not backed up by the bump's journal" in result.output
    assert _file(sample).read_bytes() == data


def test_markers_that_form_no_hunk_keep_the_file_in_conflict(
    sample: Sample, multi: MultiHunk
) -> None:
    _merge(sample, multi)
    path = _file(sample)
    # A stray start and end marker with no separator: no hunk, but markers.
    data = path.read_bytes() + b"<<<<<<< overlay\nstray\n>>>>>>> upstream 1\n"
    path.write_bytes(data)
    stray = data.count(b"\n") - 2
    result = run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "upstream")
    # Refused before any side is taken: the file is not half spliced.
    assert result.exit_code == 3, result.output
    assert (
        f"{PATH}:{stray}: conflict marker without its separator (=======); fix by hand"
        in result.output
    )
    assert path.read_bytes() == data
    assert _bases(sample)[PATH] == multi.base and PATH in _unmerged(sample)


def test_the_base_file_of_the_sample_helper(multi: MultiHunk) -> None:
    assert BASE.count(b"\n") == OURS.count(b"\n") + 1 == THEIRS.count(b"\n")
