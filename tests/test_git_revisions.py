"""Real-repository tests of the upstream's commits (``core/git/revisions.py``): naming,
finding and ordering them, in full and in shallow clones.

The oracle is the ``git`` executable run on the same repositories (tests/gitoracle.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from gitoracle import (
    NESTED,
    NESTED_FILE,
    UNSHALLOW_HINT,
    is_ancestor_by_git,
    rev_parse,
    show,
    upstream_of,
)
from gitutil import GitCommandError, commit_files, git

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import INIT_HINT
from overlay_merge.core.git.upstream import open_upstream
from overlay_merge.demo import Sample


@pytest.fixture
def shallow(sample: Sample) -> Path:
    """A clone of the deployment whose upstream submodule is a depth-1 clone at s1."""
    clone = sample.root / "shallow"
    git(sample.root, "clone", "-q", str(sample.deployment), str(clone))
    git(clone, "submodule", "init")
    # A file:// URL: git ignores --depth for plain local paths.
    git(clone, "config", "submodule.skyportal.url", sample.upstream_remote.as_uri())
    git(clone, "submodule", "update", "-q", "--init", "--recursive", "--depth", "1")
    assert git(clone / "skyportal", "rev-parse", "--is-shallow-repository") == "true"
    return clone


# --- revisions ------------------------------------------------------------------------


def test_resolve_matches_git_rev_parse(sample: Sample) -> None:
    upstream = upstream_of(sample)
    up = sample.upstream
    git(up, "tag", "-a", "v1.1", "-m", "annotated", sample.commits["s1"])
    git(up, "tag", "light", sample.commits["s0"])
    git(up, "branch", "old", sample.commits["s0"])
    revs = [
        "main",
        "old",
        "HEAD",
        "HEAD~1",
        "origin/main",
        "v1.1",
        "light",
        sample.commits["s2"],
        sample.commits["s0"][:7],
        "main@{upstream}",
    ]
    for rev in revs:
        expected = rev_parse(up, f"{rev}^{{commit}}")
        assert upstream.resolve(rev) == expected, rev
    assert upstream.resolve("v1.1") == sample.commits["s1"]
    assert upstream.resolve("origin/main") == sample.commits["s2"]
    # An annotated tag is peeled to its commit, not returned as the tag object.
    assert rev_parse(up, "v1.1") != sample.commits["s1"]


@pytest.mark.parametrize("rev", ["no-such-rev", "HEAD~9", "main..origin/main", "0" * 40])
def test_resolve_unknown_revision(sample: Sample, rev: str) -> None:
    with pytest.raises(GitCommandError):
        rev_parse(sample.upstream, f"{rev}^{{commit}}")
    with pytest.raises(OverlayMergeError) as info:
        upstream_of(sample).resolve(rev)
    assert info.value.exit_code == 3
    assert repr(rev) in info.value.message
    assert info.value.message.startswith("skyportal: unknown revision")
    assert info.value.hint is not None
    assert info.value.hint.startswith("git -C skyportal fetch origin")


@pytest.mark.parametrize(
    ("rev", "peeled", "kind"),
    [
        ("HEAD^{tree}", "HEAD^{tree}", "tree"),
        ("HEAD:README.md", "HEAD:README.md", "blob"),
        ("treetag", "treetag^{}", "tree"),  # an annotated tag of a tree
    ],
)
def test_resolve_refuses_non_commits(sample: Sample, rev: str, peeled: str, kind: str) -> None:
    git(sample.upstream, "tag", "-a", "treetag", "-m", "a tag of a tree", "HEAD^{tree}")
    assert git(sample.upstream, "cat-file", "-t", peeled) == kind
    with pytest.raises(OverlayMergeError) as info:
        upstream_of(sample).resolve(rev)
    assert f"names a {kind}" in info.value.message
    assert repr(rev) in info.value.message
    assert info.value.exit_code == 3


def test_resolve_peels_a_tag_of_a_tag(sample: Sample) -> None:
    git(sample.upstream, "tag", "-a", "inner", "-m", "inner", sample.commits["s1"])
    git(sample.upstream, "tag", "-a", "outer", "-m", "outer", "inner")
    expected = rev_parse(sample.upstream, "outer^{commit}")
    assert upstream_of(sample).resolve("outer") == expected


def test_head_is_the_checked_out_commit(sample: Sample) -> None:
    assert upstream_of(sample).head() == rev_parse(sample.upstream, "HEAD") == sample.commits["s1"]
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s2"])
    assert upstream_of(sample).head() == sample.commits["s2"]


def test_head_of_unborn_branch(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    git(tmp_path / "empty", "init", "-q")
    with pytest.raises(OverlayMergeError) as info:
        open_upstream(tmp_path, "empty").head()
    assert "no commit" in info.value.message
    assert info.value.hint == INIT_HINT


def test_has_commit_and_require_commit(sample: Sample) -> None:
    upstream = upstream_of(sample)
    for name in ("s0", "s1", "s2"):
        assert upstream.has_commit(sample.commits[name])
    tree = rev_parse(sample.upstream, "HEAD^{tree}")
    blob = rev_parse(sample.upstream, "HEAD:README.md")
    for sha in (sample.commits["b1"], tree, blob, "0" * 40, "not-hex"):
        assert not upstream.has_commit(sha), sha
    upstream.require_commit(sample.commits["s0"], "unused")
    with pytest.raises(OverlayMergeError) as info:
        upstream.require_commit(sample.commits["b1"], "base of x.py in .overlay-base")
    assert info.value.message == (
        f"skyportal: commit {sample.commits['b1'][:7]} (base of x.py in .overlay-base) "
        "is missing from the object store"
    )
    assert info.value.hint == "git -C skyportal fetch origin"


def test_tree_is_the_commit_root_tree(sample: Sample) -> None:
    upstream = upstream_of(sample)
    for name in ("s0", "s1", "s2"):
        sha = sample.commits[name]
        assert str(upstream.tree(sha).id) == rev_parse(sample.upstream, f"{sha}^{{tree}}")
    with pytest.raises(OverlayMergeError):
        upstream.tree(rev_parse(sample.upstream, "HEAD:README.md"))
    with pytest.raises(OverlayMergeError):
        upstream.tree("2" * 40)


def test_tracked_branch_is_the_configured_upstream(sample: Sample) -> None:
    expected_name = git(sample.upstream, "rev-parse", "--abbrev-ref", "main@{upstream}")
    assert expected_name == "origin/main"
    assert upstream_of(sample).tracked_branch() == (
        "origin/main",
        rev_parse(sample.upstream, "main@{upstream}"),
    )
    assert rev_parse(sample.upstream, "origin/main") == sample.commits["s2"]
    # A configured upstream other than origin's default branch wins.
    up = sample.upstream
    git(up, "update-ref", "refs/remotes/origin/stable", sample.commits["s0"])
    git(up, "branch", "-q", "--set-upstream-to=origin/stable", "main")
    assert upstream_of(sample).tracked_branch() == ("origin/stable", sample.commits["s0"])


def test_tracked_branch_on_detached_head_falls_back(sample: Sample) -> None:
    up = sample.upstream
    git(up, "checkout", "-q", "--detach")
    assert git(up, "symbolic-ref", "--short", "refs/remotes/origin/HEAD") == "origin/main"
    assert upstream_of(sample).tracked_branch() == ("origin/main", rev_parse(up, "origin/HEAD"))
    # origin/HEAD names the remote's default branch, whatever it is called.
    git(up, "update-ref", "refs/remotes/origin/develop", sample.commits["s0"])
    git(up, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/develop")
    assert upstream_of(sample).tracked_branch() == ("origin/develop", sample.commits["s0"])
    # Without origin/HEAD: origin/main, then origin/master, then nothing.
    git(up, "remote", "set-head", "origin", "--delete")
    assert upstream_of(sample).tracked_branch() == ("origin/main", sample.commits["s2"])
    git(up, "update-ref", "refs/remotes/origin/master", sample.commits["s1"])
    git(up, "update-ref", "-d", "refs/remotes/origin/main")
    assert upstream_of(sample).tracked_branch() == ("origin/master", sample.commits["s1"])
    git(up, "update-ref", "-d", "refs/remotes/origin/master")
    assert upstream_of(sample).tracked_branch() is None


def test_commits_between_matches_rev_list(sample: Sample) -> None:
    upstream = upstream_of(sample)
    s0, s1, s2 = (sample.commits[n] for n in ("s0", "s1", "s2"))
    for old, new in ((s1, s2), (s0, s2), (s0, s1), (s2, s1), (s2, s2)):
        listed = git(sample.upstream, "rev-list", "--topo-order", f"{old}..{new}").split()
        subjects = [git(sample.upstream, "log", "-1", "--format=%s", sha) for sha in listed]
        assert upstream.commits_between(old, new) == list(zip(listed, subjects, strict=True)), (
            old,
            new,
        )
    assert [sha for sha, _ in upstream.commits_between(s1, s2)] == [s2]


def test_commits_between_with_a_merge_is_newest_first(sample: Sample) -> None:
    up = sample.upstream
    s1 = sample.commits["s1"]
    git(up, "checkout", "-q", "-b", "side", s1)
    commit_files(up, {"side.txt": b"side\n"}, "side work")
    git(up, "checkout", "-q", "main")
    commit_files(up, {"main.txt": b"main\n"}, "main work")
    git(up, "merge", "-q", "--no-edit", "side")
    tip = rev_parse(up, "HEAD")
    listed = upstream_of(sample).commits_between(s1, tip)
    shas = [sha for sha, _ in listed]
    assert set(shas) == set(git(up, "rev-list", f"{s1}..{tip}").split())
    assert len(shas) == 3
    assert shas[0] == tip
    for index, sha in enumerate(shas):  # every commit comes before its parents
        for parent in git(up, "rev-parse", f"{sha}^@").split():
            if parent in shas:
                assert shas.index(parent) > index
    assert dict(listed)[tip].startswith("Merge branch 'side'")


def test_is_ancestor_matches_git(sample: Sample) -> None:
    up = sample.upstream
    newer = commit_files(up, {"next.txt": b"next\n"}, "on top of s1")
    git(up, "checkout", "-q", "--orphan", "unrelated")
    unrelated = commit_files(up, {"only.txt": b"only\n"}, "unrelated history")
    upstream = upstream_of(sample)
    shas = [*(sample.commits[n] for n in ("s0", "s1", "s2")), newer, unrelated]
    for older in shas:
        for newer in shas:
            expected = is_ancestor_by_git(up, older, newer)
            assert upstream.is_ancestor(older, newer) is expected, (older, newer)
    assert upstream.is_ancestor(sample.commits["s0"], sample.commits["s2"])
    assert not upstream.is_ancestor(sample.commits["s2"], sample.commits["s0"])


# --- shallow clones -------------------------------------------------------------------


def test_shallow_clone_missing_commit_hints_unshallow(sample: Sample, shallow: Path) -> None:
    upstream = open_upstream(shallow, "skyportal")
    s0, s1 = sample.commits["s0"], sample.commits["s1"]
    assert upstream.head() == s1 == rev_parse(shallow / "skyportal", "HEAD")
    with pytest.raises(GitCommandError):  # git agrees s0 is not there
        git(shallow / "skyportal", "cat-file", "-e", f"{s0}^{{commit}}")
    assert not upstream.has_commit(s0)
    assert upstream.fetch_hint() == UNSHALLOW_HINT
    with pytest.raises(OverlayMergeError) as info:
        upstream.require_commit(s0, "base of skyportal/enum_types.py in .overlay-base")
    assert info.value.hint == UNSHALLOW_HINT
    assert s0[:7] in info.value.message
    for call in (lambda: upstream.tree(s0), lambda: upstream.entry(s0, "README.md")):
        with pytest.raises(OverlayMergeError) as info:
            call()
        assert info.value.hint == UNSHALLOW_HINT
    with pytest.raises(OverlayMergeError) as info:
        upstream.resolve(s0)
    assert info.value.hint is not None
    assert info.value.hint.startswith(UNSHALLOW_HINT)
    # What is there reads normally, nested submodule included.
    path = f"{NESTED}/{NESTED_FILE}"
    assert upstream.read(s1, path) == upstream_of(sample).read(s1, path)
    assert upstream.read(s1, "README.md") == (
        show(shallow / "skyportal", s1, "README.md"),
        0o100644,
    )


def test_shallow_clone_status_is_one_line_with_the_unshallow_hint(
    sample: Sample, shallow: Path
) -> None:
    # The clone's .overlay-base records s0 for skyportal/enum_types.py.
    result = run_cli(shallow, "status")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"overlay-merge: skyportal: commit {sample.commits['s0'][:7]} "
        "(base of skyportal/enum_types.py at .overlay-base:5) is missing"
    )
    assert result.stderr.rstrip().endswith(f"(fix: {UNSHALLOW_HINT})")


def test_ancestry_of_a_missing_commit_is_a_fixable_error(sample: Sample, shallow: Path) -> None:
    upstream = open_upstream(shallow, "skyportal")
    s0, s1 = sample.commits["s0"], sample.commits["s1"]
    for call in (lambda: upstream.is_ancestor(s0, s1), lambda: upstream.commits_between(s0, s1)):
        with pytest.raises(OverlayMergeError) as info:
            call()
        assert info.value.hint == UNSHALLOW_HINT
