"""Provenance of rule-resolved hunks after a bump, and their undo to the plain conflict.

A refined bump journals each hunk a rule resolved (rule, lines, the plain
conflict); ``undo_rule`` writes that conflict back byte for byte as
``--strategy line`` writes it, a clean file is in conflict again, and
``resolve --undo`` takes the undo back.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from gitutil import git
from rulehunks import OVERLAY, PATH, RESOLVED, RuleHunks, make_rule_hunks
from test_bump import _bases, _state, _unmerged

from overlay_merge.core.deployment import Deployment, open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.journal import load_journal
from overlay_merge.core.layout import load_layout
from overlay_merge.core.provenance import MAX_KEPT, kept
from overlay_merge.core.refine import PlainHunk
from overlay_merge.core.refine.plain import plain_hunk, undo_all
from overlay_merge.core.ruleundo import rule_hunks, rule_paths, undo_rule
from overlay_merge.demo import Sample


def _open(sample: Sample) -> Deployment:
    return open_at(load_layout(sample.deployment))


def _bump(sample: Sample, rh: RuleHunks, strategy: str) -> bytes:
    result = run_cli(
        sample.deployment, "bump", rh.target, "--choice", "merge", "--strategy", strategy
    )
    assert result.exit_code in (0, 1), result.output
    return (sample.deployment / OVERLAY / PATH).read_bytes()


def _line_merge(sample: Sample, rh: RuleHunks) -> bytes:
    """What `--strategy line` writes (that bump aborted again)."""
    written = _bump(sample, rh, "line")
    assert run_cli(sample.deployment, "abort").exit_code == 0
    return written


def _entries(sample: Sample) -> tuple[dict[str, str], str]:
    """The working trees and base file hashed, and the index's entries (not its bytes:
    libgit2 keeps a resolve-undo record of the stages it cleared)."""
    state = _state(sample)
    state.pop("<index>")
    return state, git(sample.deployment, "ls-files", "--stage")


def _journal(sample: Sample) -> dict[str, object]:
    document: dict[str, object] = json.loads(
        (sample.deployment / ".git/overlay-merge/bump/journal.json").read_bytes()
    )
    return document


def test_a_refined_bump_journals_its_rule_hunks_and_strategy(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    written = _bump(sample, rh, "refined")
    assert written.startswith(RESOLVED.split(b"NAME")[0])
    document = _journal(sample)
    assert document["strategy"] == "refined"
    records = document["rule_hunks"][PATH]  # type: ignore[index]
    assert [(r["rule"], r["line"], r["lines"], r["undone"]) for r in records] == [
        ("adjacent", 7, 2, False),
        ("adjacent", 14, 2, False),
    ]
    assert records[0]["resolved"] == "MAX_SOURCES = 500\nMAX_GROUPS = 20\n"
    assert records[0]["plain"].startswith("<<<<<<< overlay\nMAX_SOURCES = 500\nMAX_GROUPS = 10\n")
    views = rule_hunks(_open(sample), PATH)
    assert [(v.number, v.rule, v.line, v.lines) for v in views] == [
        (1, "adjacent", 7, 2),
        (2, "adjacent", 14, 2),
    ]
    assert views[0].plain is not None and views[0].plain.theirs == (
        b"MAX_SOURCES = 100\n",
        b"MAX_GROUPS = 20\n",
    )


def test_a_line_bump_journals_no_rule_hunk(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    _bump(sample, rh, "line")
    document = _journal(sample)
    assert (document["strategy"], document["rule_hunks"]) == ("line", {})
    assert rule_paths(_open(sample)) == []


def test_undoing_every_rule_gives_what_the_line_strategy_writes(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    plain = _line_merge(sample, rh)
    _bump(sample, rh, "refined")
    deployment = _open(sample)
    second = undo_rule(deployment, PATH, 2)
    assert (second.rule, second.line, second.reopened) == ("adjacent", 14, False)
    assert [v.number for v in rule_hunks(deployment, PATH)] == [1]
    undo_rule(deployment, PATH, 1)
    assert (sample.deployment / OVERLAY / PATH).read_bytes() == plain
    assert rule_hunks(deployment, PATH) == ()
    with pytest.raises(OverlayMergeError, match="undone already"):
        undo_rule(deployment, PATH, 1)


def test_undo_of_the_only_rule_hunk_left_is_byte_for_byte_the_line_merge(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    plain = _line_merge(sample, rh)
    refined = _bump(sample, rh, "refined")
    deployment = _open(sample)
    undo_rule(deployment, PATH, 1)
    # The first hunk back, the second still resolved: the line merge's first hunk, exactly.
    now = (sample.deployment / OVERLAY / PATH).read_bytes()
    assert now.split(b"# b 4\n")[0] == plain.split(b"# b 4\n")[0]
    assert now.split(b"# b 4\n")[1] == refined.split(b"# b 4\n")[1]


def test_undo_reopens_a_file_the_bump_merged_clean(sample: Sample) -> None:
    rh = make_rule_hunks(sample, conflict=False)
    plain = _line_merge(sample, rh)
    _bump(sample, rh, "refined")
    before = _entries(sample)
    assert _bases(sample)[PATH] == rh.target
    assert PATH not in _unmerged(sample)
    deployment = _open(sample)
    assert rule_paths(deployment) == [PATH]
    undo_rule(deployment, PATH, 1)
    undo_rule(deployment, PATH, 2)
    assert (sample.deployment / OVERLAY / PATH).read_bytes() == plain
    assert _bases(sample)[PATH] == rh.base  # in conflict: its base stays until resolved
    assert _unmerged(sample)[PATH] == {1, 2, 3}
    journal = load_journal(open_deployment(sample.deployment).git_dir)
    assert journal is not None and journal.conflicts == [PATH]
    status = run_cli(sample.deployment, "status")
    assert "limits.py" in status.output
    # resolve --undo takes each undo back: the bump's state (files, index entries, base).
    undone = run_cli(sample.deployment, "resolve", "--undo")
    assert f"put rule hunk 2 of {PATH} back as the rule resolved it" in undone.output
    assert run_cli(sample.deployment, "resolve", "--undo").exit_code == 0
    assert _entries(sample) == before
    assert [v.number for v in rule_hunks(deployment, PATH)] == [1, 2]


def test_abort_after_an_undo_restores_the_state_before_the_bump(sample: Sample) -> None:
    rh = make_rule_hunks(sample, conflict=False)
    before = _state(sample)
    _bump(sample, rh, "refined")
    undo_rule(_open(sample), PATH, 1)
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


def test_undo_refuses_lines_edited_since(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    _bump(sample, rh, "refined")
    target = sample.deployment / OVERLAY / PATH
    target.write_bytes(target.read_bytes().replace(b"MAX_GROUPS = 20", b"MAX_GROUPS = 25"))
    deployment = _open(sample)
    assert [v.number for v in rule_hunks(deployment, PATH)] == [2]
    with pytest.raises(OverlayMergeError, match="no longer in the file"):
        undo_rule(deployment, PATH, 1)
    with pytest.raises(OverlayMergeError, match="no hunk 3"):
        undo_rule(deployment, PATH, 3)


def test_a_tampered_rule_record_is_refused(sample: Sample) -> None:
    rh = make_rule_hunks(sample)
    _bump(sample, rh, "refined")
    path = sample.deployment / ".git/overlay-merge/bump/journal.json"
    document = json.loads(path.read_bytes())
    document["rule_hunks"][PATH][0]["at"] = "seven"
    path.write_text(json.dumps(document))
    result = run_cli(sample.deployment, "status")
    assert result.exit_code == 3
    assert "tampered" in result.output


def test_the_way_back_is_kept_only_while_small() -> None:
    small = kept("adjacent", 3, 2, (3, b"a\n\xff\n", b"<<<<<<< overlay\n"))
    assert small.undoable and small.resolved_bytes() == b"a\n\xff\n"  # any bytes, back exactly
    big = kept("adjacent", 3, 2, (3, b"x" * MAX_KEPT, b"y\n"))
    assert (big.rule, big.line, big.lines, big.undoable) == ("adjacent", 3, 2, False)
    assert big.resolved is None and big.plain is None


def test_ways_back_are_offered_only_if_together_they_give_the_line_merge() -> None:
    refined = b"a\nB\nc\nD\ne\n"
    first, second = PlainHunk(2, b"B\n", b"<b>\n"), PlainHunk(4, b"D\n", b"<d>\n")
    assert undo_all(refined, [second, first]) == b"a\n<b>\nc\n<d>\ne\n"
    assert undo_all(refined, [first, PlainHunk(2, b"B\nc\n", b"x\n")]) is None  # overlap
    assert undo_all(refined, [PlainHunk(3, b"B\n", b"x\n")]) is None  # not there
    assert plain_hunk(refined, b"a\n<b>\nc\nD\ne\n") == first
    assert plain_hunk(refined, refined) is None
