"""Suggestions from the command line: `resolve --list` (text, JSON) and `--take suggested`,
on generated bumps where each suggestion kind must fire, and where none must."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_cli
from gitutil import commit_files, git
from multihunk import PATH, MultiHunk, make_multi_hunk
from test_bump import _bases, _unmerged

from overlay_merge.core.basefile import read_base_file, write_base_file
from overlay_merge.core.hunks import parse
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"


def _bump_one(sample: Sample, path: str, base: bytes, ours: bytes, theirs: bytes) -> str:
    """Upstream adds *path* (base) then changes it (theirs), the overlay changes it (ours);
    the bump to the change is merged.  Returns the target commit."""
    upstream = sample.deployment / "skyportal"
    first = commit_files(upstream, {path: base}, f"add {path}")
    target = commit_files(upstream, {path: theirs}, f"change {path}")
    git(upstream, "checkout", "-q", "--detach", first)
    (sample.deployment / OVERLAY / path).parent.mkdir(parents=True, exist_ok=True)
    (sample.deployment / OVERLAY / path).write_bytes(ours)
    bases = read_base_file(sample.deployment / ".overlay-base")
    bases[path] = first
    write_base_file(sample.deployment / ".overlay-base", bases)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", f"overlay {path}")
    merged = run_cli(sample.deployment, "bump", target, "--choice", "merge")
    assert merged.exit_code == 1, merged.output
    return target


def _listed(sample: Sample, path: str) -> list[dict[str, Any]]:
    result = run_cli(sample.deployment, "resolve", path, "--list", "--format", "json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)["files"]
    hunks: list[dict[str, Any]] = entry["hunks"]
    return hunks


@pytest.fixture
def multi(sample: Sample) -> MultiHunk:
    made = make_multi_hunk(sample)
    merged = run_cli(sample.deployment, "bump", made.target, "--choice", "merge")
    assert merged.exit_code == 1, merged.output
    return made


def test_list_shows_a_suggestion_per_hunk_in_text_and_json(
    sample: Sample, multi: MultiHunk
) -> None:
    reformat = {"take": "upstream", "reason": "overlay side only reformats", "rule": "reformat"}
    assert [h["suggestion"] for h in _listed(sample, PATH)] == [None, reformat, reformat, None]
    text = run_cli(sample.deployment, "resolve", PATH, "--list").output
    assert text.count("    suggested: upstream — overlay side only reformats") == 2
    assert "2 hunks with a suggestion: `overlay-merge resolve PATH --all --take suggested`" in text


def test_take_suggested_takes_those_with_one_and_leaves_the_others(
    sample: Sample, multi: MultiHunk
) -> None:
    merged = (sample.deployment / OVERLAY / PATH).read_bytes()
    result = run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "suggested")
    assert result.exit_code == 1, result.output  # hunks 1 and 4 are left
    assert f"took the suggestions for 2 hunks (2: upstream, 3: upstream) of {PATH}" in result.output
    assert "2 hunks without a suggestion (1, 4) stay conflicts" in result.output
    data = (sample.deployment / OVERLAY / PATH).read_bytes()
    assert len(parse(data).hunks) == 2
    assert b"\nPORT = 6000\n" in data and b"\nQUOTE = 'y'\n" in data
    assert _bases(sample)[PATH] == multi.base and _unmerged(sample)[PATH] == {1, 2, 3}
    undone = run_cli(sample.deployment, "resolve", "--undo")
    assert undone.exit_code == 0, undone.output
    assert f"undid the suggested takes for hunk(s) 2, 3 of {PATH}" in undone.output
    assert (sample.deployment / OVERLAY / PATH).read_bytes() == merged


def test_take_suggested_json_and_one_hunk(sample: Sample, multi: MultiHunk) -> None:
    result = run_cli(
        sample.deployment, "resolve", PATH, "--hunk", "3", "--take", "suggested", "--format", "json"
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["take"] == "suggested" and report["taken"] == [3]
    assert report["takes"] == [{"number": 3, "take": "upstream"}]
    assert report["without_suggestion"] == [] and len(report["hunks_left"]) == 3


def test_a_hunk_without_a_suggestion_is_refused(sample: Sample, multi: MultiHunk) -> None:
    merged = (sample.deployment / OVERLAY / PATH).read_bytes()
    result = run_cli(sample.deployment, "resolve", PATH, "--hunk", "1", "--take", "suggested")
    assert result.exit_code == 3
    assert "hunk 1 has no suggestion" in result.output
    assert (sample.deployment / OVERLAY / PATH).read_bytes() == merged


def test_nothing_to_suggest_writes_nothing(sample: Sample) -> None:
    base = b"timeout = 10\n"
    path = "skyportal/timeouts.py"
    _bump_one(sample, path, base, b"timeout = 20\n", b"timeout = 30\n")
    assert [h["suggestion"] for h in _listed(sample, path)] == [None]
    before = (sample.deployment / OVERLAY / path).read_bytes()
    result = run_cli(sample.deployment, "resolve", path, "--all", "--take", "suggested")
    assert result.exit_code == 1
    assert f"no hunk of {path} has a suggestion; nothing written" in result.output
    assert (sample.deployment / OVERLAY / path).read_bytes() == before
    assert "no hunk choice to undo" in run_cli(sample.deployment, "resolve", "--undo").output


def test_every_hunk_suggested_resolves_the_file(sample: Sample) -> None:
    # Upstream took the overlay's fix (version 2) and changed the next line too.
    path = "skyportal/config.js"
    base = b"export const version = 1;\nexport const name = 'x';\n"
    ours = b"export const version = 2;\nexport const name = 'x';\n"
    theirs = b"export const version = 2;\nexport const name = 'y';\n"
    target = _bump_one(sample, path, base, ours, theirs)
    (hunk,) = _listed(sample, path)
    assert hunk["suggestion"] == {
        "take": "upstream",
        "reason": "upstream's side already holds the overlay's change",
        "rule": "contained",
    }
    result = run_cli(sample.deployment, "resolve", path, "--all", "--take", "suggested")
    assert result.exit_code == 0, result.output
    assert (sample.deployment / OVERLAY / path).read_bytes() == theirs
    assert _bases(sample)[path] == target


def test_both_sides_appending_is_not_suggested_by_default(sample: Sample) -> None:
    # ``append`` is off by default: wrong more often than right on the corpus.
    path = "skyportal/imports.py"
    base = b"import os\n\nprint(os.sep)\n"
    ours = b"import os\nimport re\n\nprint(os.sep)\n"
    theirs = b"import os\nimport sys\n\nprint(os.sep)\n"
    _bump_one(sample, path, base, ours, theirs)
    (hunk,) = _listed(sample, path)
    assert hunk["suggestion"] is None


@pytest.mark.parametrize(
    ("path", "base", "ours", "theirs"),
    [
        # Two insertions at one point, one with a deletion.
        ("skyportal/a.py", b"import os\n", b"import os\nimport re\n", b"import sys\n"),
        # Python indentation changed by the overlay: never "only reformats".
        (
            "skyportal/b.py",
            b"if debug:\n    level = 1\n",
            b"if debug:\n        level = 1\n",
            b"if debug:\n    level = 2\n",
        ),
        # The same key changed on both sides.
        (
            "skyportal/c.json",
            b'{\n  "port": 80\n}\n',
            b'{\n  "port": 81\n}\n',
            b'{\n  "port": 82\n}\n',
        ),
    ],
)
def test_no_suggestion_where_the_evidence_is_not_clear(
    sample: Sample, path: str, base: bytes, ours: bytes, theirs: bytes
) -> None:
    _bump_one(sample, path, base, ours, theirs)
    hunks = _listed(sample, path)
    assert hunks and all(h["suggestion"] is None for h in hunks)
    text = run_cli(sample.deployment, "resolve", path, "--list").output
    assert "suggested:" not in text and "--take suggested" not in text


def test_two_way_markers_get_suggestions_from_the_recomputed_base(sample: Sample) -> None:
    made = make_multi_hunk(sample)
    merged = run_cli(
        sample.deployment, "bump", made.target, "--choice", "merge", "--style", "merge"
    )
    assert merged.exit_code == 1, merged.output
    assert b"|||||||" not in (sample.deployment / OVERLAY / PATH).read_bytes()
    rules = [h["suggestion"] and h["suggestion"]["rule"] for h in _listed(sample, PATH)]
    assert rules == [None, "reformat", "reformat", None]
