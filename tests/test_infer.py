"""``init --infer`` on real repositories: the sample, and histories grown from it.

Oracles are git itself: ``git log`` for commit dates, ``git diff --no-index
--numstat`` for line distances, ``git rev-list`` + ``git ls-tree`` for the
versions a path had in the history.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import run_cli
from gitutil import commit_files, git, git_bytes
from test_status import _move_pin

from overlay_merge.core.git.model import Entry, PathVersion
from overlay_merge.core.git.upstream import open_upstream
from overlay_merge.core.infer import closest, line_distance
from overlay_merge.demo import Sample

NESTED_PATCH = "baselayer/app/app_server.py"
# Overlay paths whose version at s2 is not the one the overlay was made from,
# yet whose inferred base is s2 anyway: group.py equals s2's version
# (converged), and the logo's 1x1 PNGs are equally far from s1's and s2's
# (a tie goes to the newer commit).
AT_S2_ANYWAY = {"skyportal/models/group.py", "static/img/logo.png"}


def _infer(deployment: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = run_cli(deployment, "init", "--infer", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def _by_path(doc: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["path"]: r for r in doc["recorded"]}


def _commit_date(repo: Path, sha: str) -> str:
    seconds = int(git(repo, "log", "-1", "--format=%ct", sha))
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _upstream_bytes(sample: Sample, commit: str, path: str) -> bytes:
    """``git show`` of *path* at top commit *commit*, through the nested gitlink."""
    if path.startswith("baselayer/"):
        link = git(sample.upstream, "rev-parse", f"{commit}:baselayer")
        return git_bytes(sample.upstream / "baselayer", "show", f"{link}:{path[10:]}")
    return git_bytes(sample.upstream, "show", f"{commit}:{path}")


def _numstat(tmp: Path, old: bytes, new: bytes) -> int:
    """Added + removed lines of ``git diff --no-index --text -U0`` (binary diffed as text)."""
    (tmp / "old").write_bytes(old)
    (tmp / "new").write_bytes(new)
    out = subprocess.run(
        ["git", "diff", "--no-index", "--text", "-U0", "old", "new"],
        cwd=tmp,
        capture_output=True,
        check=False,
    ).stdout
    lines = out.split(b"\n")
    body = lines[next((i for i, ln in enumerate(lines) if ln.startswith(b"@@")), len(lines)) :]
    return sum(1 for ln in body if ln[:1] in (b"+", b"-"))


def test_bump_without_merge_keeps_the_older_base_for_files_upstream_changed(
    sample: Sample, tmp_path: Path
) -> None:
    sample.base_file.unlink()
    _move_pin(sample, sample.commits["s2"])
    doc = _infer(sample.deployment)
    s1, s2 = sample.commits["s1"], sample.commits["s2"]
    assert doc["pin"] == s2 and doc["inferred"] is True and doc["written"] is True
    found = _by_path(doc)
    assert set(found) == set(sample.expected)
    changed = {p for p, state in sample.expected.items() if state != "unchanged"}
    for path, entry in found.items():
        want = s1 if path in changed - AT_S2_ANYWAY else s2
        assert entry["base"] == want, path
        assert entry["date"] == _commit_date(sample.upstream, want)
    # The nested patch: b2 (recorded by s2) changed it, so its base is s1.
    assert found[NESTED_PATCH]["base"] == s1
    assert found[NESTED_PATCH]["versions_examined"] == 2
    assert found["skyportal/models/group.py"]["distance"] == 0
    # Kinds follow the base: upstream added instrument.py in s2 with other
    # content, so the overlay copy is closest to "absent" (an addition at s1).
    kinds = {p: e["kind"] for p, e in found.items()}
    assert kinds["skyportal/handlers/api/instrument.py"] == "addition"
    assert kinds["skyportal/handlers/api/legacy.py"] == "patch"  # deleted in s2, patch at s1
    assert {p for p, k in kinds.items() if k == "addition"} == {
        "baselayer/app/auth/IAMOAuth2.py",
        "skyportal/facility_apis/grandma_api.py",
        "skyportal/handlers/api/instrument.py",
    }
    # Distances are git's own line counts against the chosen base.
    for path, entry in found.items():
        overlay = (sample.overlay / path).read_bytes()
        old = b"" if entry["kind"] == "addition" else _upstream_bytes(sample, entry["base"], path)
        assert entry["distance"] == _numstat(tmp_path, old, overlay), path
    # status now says exactly what the bump without merge left behind.
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    stale = {f["path"] for f in status["files"] if f["state"] == "stale"}
    assert stale == changed - AT_S2_ANYWAY


def test_text_output_shows_commit_date_and_distance(sample: Sample) -> None:
    sample.base_file.unlink()
    result = run_cli(sample.deployment, "init", "--infer")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("inferred bases for 12 files from the history of")
    s1 = sample.commits["s1"][:7]
    date = _commit_date(sample.upstream, sample.commits["s1"])[:10]
    line = next(ln for ln in result.output.splitlines() if ln.endswith(NESTED_PATCH))
    assert line.split() == ["patch", s1, date, "±1", "line", "1", "version", NESTED_PATCH]


def test_existing_entries_are_kept_and_a_second_run_writes_nothing(sample: Sample) -> None:
    text = sample.base_file.read_text()
    kept = [ln for ln in text.splitlines() if ln.endswith("skyportal/enum_types.py")]
    sample.base_file.write_text("\n".join(kept) + "\n")
    doc = _infer(sample.deployment)
    assert doc["kept"] == 1 and "skyportal/enum_types.py" not in _by_path(doc)
    assert kept[0] in sample.base_file.read_text()  # s0 stays, though s1 carries it too
    written = sample.base_file.read_bytes()
    again = _infer(sample.deployment)
    assert again["written"] is False and again["recorded"] == []
    assert sample.base_file.read_bytes() == written


def test_newest_commit_carrying_the_version_through_the_nested_gitlink(sample: Sample) -> None:
    """A nested revert makes a newer top commit carry b1's version again."""
    _move_pin(sample, sample.commits["s2"])
    nested = sample.upstream / "baselayer"
    b1_version = git_bytes(nested, "show", f"{sample.commits['b1']}:app/app_server.py")
    b3 = commit_files(nested, {"app/app_server.py": b1_version}, "Revert the env exposure")
    git(sample.upstream, "add", "baselayer")
    s3 = commit_files(sample.upstream, {}, "Bump baselayer (revert)")
    assert git(sample.upstream, "rev-parse", f"{s3}:baselayer") == b3
    sample.base_file.unlink()
    found = _by_path(_infer(sample.deployment))
    assert found[NESTED_PATCH]["base"] == s3  # not s1: s3 carries the same version, newer
    assert found[NESTED_PATCH]["versions_examined"] == 2
    assert found["skyportal/initial_setup.py"]["base"] == sample.commits["s1"]


def test_ties_go_to_the_newer_commit(sample: Sample) -> None:
    upstream, path = sample.upstream, "skyportal/tie.py"
    version_a, version_b = b"one\ntwo\nthree\n", b"one\ntwo\nfour\n"
    (sample.overlay / path).write_bytes(b"one\ntwo\nfive\n")  # 2 lines from either
    sample.base_file.unlink()
    commit_files(upstream, {path: version_a}, "a")
    c2 = commit_files(upstream, {path: version_b}, "b")
    c3 = commit_files(upstream, {"README.md": b"unrelated\n"}, "unrelated")
    found = _by_path(_infer(sample.deployment))[path]
    assert (found["base"], found["distance"], found["versions_examined"]) == (c3, 2, 3)
    # Reverting to A makes A's newest commit the newer one.
    c4 = commit_files(upstream, {path: version_a}, "back to a")
    sample.base_file.unlink()
    found = _by_path(_infer(sample.deployment))[path]
    assert found["base"] == c4 and c2 != c4


def test_a_closer_older_version_beats_a_newer_one(sample: Sample) -> None:
    upstream, path = sample.upstream, "skyportal/old.py"
    old = b"".join(b"line %d\n" % i for i in range(20))
    c1 = commit_files(upstream, {path: old}, "old")
    commit_files(upstream, {path: old.replace(b"line 3\n", b"changed\n")}, "new")
    (sample.overlay / path).write_bytes(old + b"local\n")
    sample.base_file.unlink()
    found = _by_path(_infer(sample.deployment))[path]
    assert (found["base"], found["kind"], found["distance"]) == (c1, "patch", 1)


def test_a_missing_nested_commit_is_counted_not_fatal(sample: Sample) -> None:
    missing = "1" * 40
    git(sample.upstream, "update-index", "--cacheinfo", f"160000,{missing},baselayer")
    s_bad = commit_files(sample.upstream, {}, "gitlink to a commit nobody has")
    sample.base_file.unlink()
    doc = _infer(sample.deployment)
    assert doc["pin"] == s_bad
    nested = _by_path(doc)[NESTED_PATCH]
    assert nested["unreadable_commits"] == 1 and nested["base"] == sample.commits["s1"]
    text = run_cli(sample.deployment, "init", "--infer").output
    assert "every overlay file already has a base" in text


def test_distinct_versions_match_git_over_a_merged_branch(sample: Sample) -> None:
    upstream = sample.upstream
    path = "skyportal/initial_setup.py"
    git(upstream, "checkout", "-q", "-b", "side", sample.commits["s0"])
    side = commit_files(upstream, {path: b"side version\n"}, "side edit")
    git(upstream, "checkout", "-q", "main")
    git(upstream, "merge", "-q", "--no-edit", "-s", "ours", "side")
    pin = git(upstream, "rev-parse", "HEAD")
    repo = open_upstream(sample.deployment, "skyportal")
    paths = [path, "skyportal/enum_types.py", NESTED_PATCH, "no/such/file.py"]
    histories = repo.path_histories(pin, paths)
    for wanted in paths:
        expected: set[str | None] = set()
        for commit in git(upstream, "rev-list", pin).split():
            expected.add(_blob(sample, commit, wanted))
        got = {v.entry.oid if v.entry else None for v in histories[wanted].versions.values()}
        assert got == expected, wanted
    side_version = Entry(git(upstream, "rev-parse", f"{side}:{path}"), 0o100644)
    assert histories[path].versions[side_version].commit == side


def _blob(sample: Sample, commit: str, path: str) -> str | None:
    repo, rev = sample.upstream, f"{commit}:{path}"
    if path.startswith("baselayer/"):
        link = git(sample.upstream, "rev-parse", f"{commit}:baselayer")
        repo, rev = sample.upstream / "baselayer", f"{link}:{path[10:]}"
    try:
        return git(repo, "rev-parse", "--verify", "-q", rev)
    except subprocess.CalledProcessError:
        return None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"a\nb\nc\n", b"a\nx\nc\nd\n"),
        (b"", b"one\ntwo\n"),
        (b"one\ntwo\n", b""),
        (b"no final newline", b"no final newline\n"),
        (b"crlf\r\nline\r\n", b"crlf\nline\n"),
        (b"\x89PNG\r\n\x1a\n\x00\x01", b"\x89PNG\r\n\x1a\n\x00\x02"),
        (b"same\n" * 50, b"same\n" * 50),
    ],
)
def test_line_distance_counts_like_git(tmp_path: Path, old: bytes, new: bytes) -> None:
    assert line_distance(old, new) == _numstat(tmp_path, old, new)


def test_closest_prefers_fewer_lines_then_the_newer_commit() -> None:
    def version(oid: str, order: int) -> PathVersion:
        return PathVersion(Entry(oid, 0o100644), f"c{order}", 0, order)

    distances = {"a": 3, "b": 1, "c": 1}
    versions = [version("a", 0), version("b", 5), version("c", 2)]
    found = closest(versions, lambda v: distances[v.entry.oid if v.entry else ""])
    best, distance = found.version, found.distance
    assert (best.commit, distance) == ("c2", 1)
    with pytest.raises(ValueError, match="at least one"):
        closest([], lambda v: 0)


def test_a_shallow_upstream_is_searched_with_a_warning(sample: Sample, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(sample.deployment), str(clone)], check=True)
    git(clone, "submodule", "init")
    # --depth is ignored for plain-path remotes: go through file:// as a real server would.
    git(clone, "config", "submodule.skyportal.url", f"file://{sample.upstream_remote}")
    git(clone, "submodule", "update", "--depth", "1")
    git(clone / "skyportal", "submodule", "update", "--init")  # the nested one in full
    assert git(clone / "skyportal", "rev-parse", "--is-shallow-repository") == "true"
    (clone / ".overlay-base").unlink()
    doc = _infer(clone)
    assert doc["history_shallow"] is True
    assert {r["base"] for r in doc["recorded"]} == {sample.commits["s1"]}
    (clone / ".overlay-base").unlink()
    text = run_cli(clone, "init", "--infer").output
    assert "warning: the upstream is a shallow clone" in text
    assert "git -C skyportal fetch --unshallow" in text
