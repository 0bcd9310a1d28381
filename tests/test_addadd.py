"""An addition upstream also makes (add/add) merges two-way, in small hunks, whatever the style.

With an empty base, diff3 and zdiff3 make the whole file one conflict (the
Fritz ``boom_filter_modules.ts`` case: 80 lines against 94 as one hunk);
git's two-way merge splits it at the lines both sides share.  The hunks have
no base section, and ``resolve`` takes them side by side like any others.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from gitutil import commit_files, git
from test_bump import _bases, _unmerged

from overlay_merge.core.hunks import parse
from overlay_merge.core.markers import BASE_MARK
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"
PATH = "skyportal/facility_apis/grandma_api.py"  # an addition: upstream never had it

# What upstream adds at the path: the overlay's file with four lines of its own.
EDITS = (
    (b'"""GRANDMA follow-up API', b'"""Follow-up API of the GRANDMA network'),
    (b'"https://grandma.example.org/api"', b'"https://api.grandma.example.org/v2"'),
    (b"data=json.dumps(payload), timeout=30", b"data=json.dumps(payload), timeout=60"),
    (b'{request.id}", timeout=30', b'{request.id}", timeout=60'),
)


def _upstream_adds(sample: Sample) -> tuple[str, bytes, bytes]:
    """Commit upstream's own file at the addition's path: (the commit, ours, theirs)."""
    ours = (sample.overlay / PATH).read_bytes()
    theirs = ours
    for old, new in EDITS:
        assert theirs.count(old) == 1
        theirs = theirs.replace(old, new)
    target = commit_files(sample.upstream, {PATH: theirs}, "upstream adds the GRANDMA API")
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s1"])
    return target, ours, theirs


@pytest.mark.parametrize("style", ["zdiff3", "diff3", "merge"])
def test_add_add_with_common_lines_gives_small_hunks_in_every_style(
    sample: Sample, style: str
) -> None:
    target, _, _ = _upstream_adds(sample)
    result = run_cli(
        sample.deployment, "bump", target, "--dry-run", "--style", style, "--format", "json"
    )
    files = {f["path"]: f for f in json.loads(result.output)["files"]}
    assert files[PATH]["state"] == "added-upstream"
    assert files[PATH]["conflicts"] == len(EDITS)  # one small hunk per edit, not one whole-file
    check = json.loads(
        run_cli(sample.deployment, "check", "--against", target, "--format", "json").output
    )
    (checked,) = [f for f in check["files"] if f["path"] == PATH]
    assert (checked["merge"], checked["conflicts"]) == ("added-upstream", len(EDITS))


def test_two_way_hunks_round_trip_through_resolve(sample: Sample) -> None:
    target, ours, theirs = _upstream_adds(sample)
    merged = run_cli(sample.deployment, "bump", target, "--choice", "merge")
    assert merged.exit_code == 1, merged.output
    data = (sample.overlay / PATH).read_bytes()
    hunks = parse(data).hunks
    assert len(hunks) == len(EDITS)
    assert all(h.base is None for h in hunks)  # two-way: no base section
    assert BASE_MARK not in data
    assert all(len(h.ours) == len(h.theirs) == 1 for h in hunks)  # a line against a line
    assert _unmerged(sample)[PATH] == {2, 3}  # added by both: no base stage
    listed = json.loads(
        run_cli(sample.deployment, "resolve", PATH, "--list", "--format", "json").output
    )
    (entry,) = listed["files"]
    assert [h["base"] for h in entry["hunks"]] == [None] * len(EDITS)
    first = run_cli(sample.deployment, "resolve", PATH, "--hunk", "2", "--take", "upstream")
    assert first.exit_code == 1, first.output  # hunks left
    assert _bases(sample)[PATH] == sample.commits["s1"]  # not recorded while hunks are left
    undone = run_cli(sample.deployment, "resolve", "--undo")
    assert undone.exit_code == 0, undone.output
    assert (sample.overlay / PATH).read_bytes() == data  # back byte for byte
    run_cli(sample.deployment, "resolve", PATH, "--hunk", "2", "--take", "upstream")
    done = run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "overlay")
    assert done.exit_code == 0, done.output
    old, new = EDITS[1]
    assert (sample.overlay / PATH).read_bytes() == ours.replace(old, new)
    assert _bases(sample)[PATH] == target
    assert PATH not in _unmerged(sample)
    assert (sample.upstream / PATH).read_bytes() == theirs  # upstream's own file, untouched
