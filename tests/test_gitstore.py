"""Real-repository tests of the upstream reader (``overlay_merge.core.gitstore``).

The oracle is always the ``git`` executable run on the same repositories:
``git show REV:path``, ``git ls-tree``, ``git rev-parse``, ``git diff
--name-status -M``, ``git rev-list``.  Variations of the sample (symlinks,
exec bits, trees where files used to be, shallow clones, deinitialized nested
submodules) are built with the sample generator's git helpers.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from gitutil import GitCommandError, commit_files, git, git_bytes

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.gitstore import (
    INIT_HINT,
    MODE_EXEC,
    MODE_LINK,
    Change,
    Entry,
    UpstreamRepo,
    open_deployment,
    open_upstream,
)
from overlay_merge.demo import Sample

NESTED = "baselayer"
NESTED_FILE = "app/app_server.py"
UNSHALLOW_HINT = "git -C skyportal fetch --unshallow"

# --- the oracle ---------------------------------------------------------------------


def ls_tree(repo: Path, rev: str, *, recursive: bool = False) -> dict[str, tuple[int, str]]:
    """``git ls-tree [-r] REV``: path -> (mode, object id), gitlinks and trees included."""
    args = ["ls-tree", "-z", "--full-tree", *(["-r"] if recursive else []), rev]
    out = git_bytes(repo, *args).decode("utf-8")
    entries: dict[str, tuple[int, str]] = {}
    for record in filter(None, out.split("\0")):
        meta, path = record.split("\t", 1)
        mode, _kind, oid = meta.split()
        entries[path] = (int(mode, 8), oid)
    return entries


def ls_path(repo: Path, rev: str, path: str) -> tuple[int, str] | None:
    """``git ls-tree REV -- path``: the entry at *path* itself (a blob, tree or gitlink)."""
    out = git_bytes(repo, "ls-tree", "-z", "--full-tree", rev, "--", path).decode("utf-8")
    for record in filter(None, out.split("\0")):
        meta, found = record.split("\t", 1)
        if found == path:
            mode, _kind, oid = meta.split()
            return int(mode, 8), oid
    return None


def show(repo: Path, rev: str, path: str) -> bytes:
    """``git show REV:path``, bytes untouched."""
    return git_bytes(repo, "show", f"{rev}:{path}")


def rev_parse(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", "--verify", "--end-of-options", rev)


def name_status(repo: Path, old: str, new: str) -> set[tuple[str, str, str | None]]:
    """``git diff --name-status -M OLD NEW`` as (status letter, path, old path or None)."""
    out = git_bytes(repo, "diff", "--name-status", "-M", "-z", old, new).decode("utf-8")
    fields = iter(out.split("\0"))
    result: set[tuple[str, str, str | None]] = set()
    for status in fields:
        if not status:
            continue
        if status[0] in "RC":
            old_path, new_path = next(fields), next(fields)
            result.add((status[0], new_path, old_path))
        else:
            result.add((status[0], next(fields), None))
    return result


def is_ancestor_by_git(repo: Path, older: str, newer: str) -> bool:
    try:
        git(repo, "merge-base", "--is-ancestor", older, newer)
    except GitCommandError as exc:
        if exc.returncode == 1:
            return False
        raise
    return True


def as_set(changes: list[Change]) -> set[tuple[str, str, str | None]]:
    return {(c.status, c.path, c.old_path) for c in changes}


# --- helpers ------------------------------------------------------------------------


def upstream_of(sample: Sample) -> UpstreamRepo:
    return open_upstream(sample.deployment, "skyportal")


def nested_checkout(sample: Sample) -> Path:
    return sample.upstream / NESTED


def nested_gitdir(sample: Sample) -> Path:
    return Path(git(nested_checkout(sample), "rev-parse", "--absolute-git-dir"))


@pytest.fixture
def variations(sample: Sample) -> dict[str, str]:
    """Upstream commits on top of s1 (in the sample's own upstream checkout).

    v1 adds a symlink, an executable script and binary bytes; v2 clears the
    exec bit of tools/check_env.sh, edits the script and turns the file
    skyportal/models/group.py into a folder.
    """
    upstream = sample.upstream
    v1 = commit_files(
        upstream,
        {
            "docs/latest": b"../README.md",
            "tools/run.sh": b"#!/bin/sh\necho run\n",
            "data/blob.bin": bytes(range(256)) * 2,
        },
        "symlink, script and binary",
        modes={"docs/latest": stat.S_IFLNK, "tools/run.sh": 0o755},
    )
    v2 = commit_files(
        upstream,
        {
            "tools/run.sh": b"#!/bin/sh\necho run twice\necho run\n",
            "skyportal/models/group.py": None,
            "skyportal/models/group.py/__init__.py": b"from .model import Group\n",
        },
        "exec bit off, a file becomes a folder",
        modes={"tools/check_env.sh": 0o644},
    )
    return {"v1": v1, "v2": v2}


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


# --- read / entry -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["s1", "s2"])
def test_read_and_entry_match_git_for_every_top_level_file(sample: Sample, name: str) -> None:
    upstream = upstream_of(sample)
    sha = sample.commits[name]
    files = ls_tree(sample.upstream, sha, recursive=True)
    assert len(files) > 10
    for path, (mode, oid) in files.items():
        if mode == 0o160000:
            continue
        assert upstream.entry(sha, path) == Entry(oid, mode), path
        assert upstream.read(sha, path) == (show(sample.upstream, sha, path), mode), path


@pytest.mark.parametrize(("name", "nested_name"), [("s1", "b1"), ("s2", "b2")])
def test_read_follows_the_nested_gitlink(sample: Sample, name: str, nested_name: str) -> None:
    upstream = upstream_of(sample)
    sha = sample.commits[name]
    # The gitlink git records in the upstream commit is the commit read in baselayer/.
    gitlink = rev_parse(sample.upstream, f"{sha}:{NESTED}")
    assert gitlink == sample.commits[nested_name]
    checkout = nested_checkout(sample)
    expected = show(checkout, gitlink, NESTED_FILE)
    mode, oid = ls_path(checkout, gitlink, NESTED_FILE) or (0, "")
    assert upstream.read(sha, f"{NESTED}/{NESTED_FILE}") == (expected, mode)
    assert upstream.entry(sha, f"{NESTED}/{NESTED_FILE}") == Entry(oid, 0o100644)
    for path, (mode, oid) in ls_tree(checkout, gitlink, recursive=True).items():
        assert upstream.entry(sha, f"{NESTED}/{path}") == Entry(oid, mode), path
        assert upstream.read(sha, f"{NESTED}/{path}") == (show(checkout, gitlink, path), mode)


def test_nested_file_differs_between_s1_and_s2(sample: Sample) -> None:
    upstream = upstream_of(sample)
    path = f"{NESTED}/{NESTED_FILE}"
    at_s1 = upstream.read(sample.commits["s1"], path)
    at_s2 = upstream.read(sample.commits["s2"], path)
    assert at_s1 is not None and at_s2 is not None
    assert at_s1[0] != at_s2[0]
    assert at_s1[0] == show(nested_checkout(sample), sample.commits["b1"], NESTED_FILE)
    assert at_s2[0] == show(nested_checkout(sample), sample.commits["b2"], NESTED_FILE)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("s1", "skyportal/utils/calc.py"),  # only at s2
        ("s2", "skyportal/utils/calculations.py"),  # renamed away in s2
        ("s2", "skyportal/handlers/api/legacy.py"),  # deleted in s2
        ("s1", "no/such/file.py"),
        ("s1", "nosuchfile"),
        ("s1", "README.md/below-a-file"),
        ("s1", f"{NESTED}/no/such.py"),
        ("s1", f"{NESTED}/app/auth/IAMOAuth2.py"),  # the overlay's addition
        ("s1", "skyportal"),  # a folder
        ("s1", "skyportal/handlers"),
        ("s1", f"{NESTED}/app"),  # a folder inside the nested submodule
        ("s1", NESTED),  # the gitlink itself
        ("s2", NESTED),
    ],
)
def test_absent_folders_and_gitlinks_read_as_none(sample: Sample, name: str, path: str) -> None:
    upstream = upstream_of(sample)
    sha = sample.commits[name]
    found = ls_path(sample.upstream, sha, path)
    # The oracle agrees that nothing *file-like* lives there.
    assert found is None or found[0] in (0o040000, 0o160000)
    assert upstream.entry(sha, path) is None
    assert upstream.read(sha, path) is None


def test_gitlink_path_is_a_gitlink_to_git(sample: Sample) -> None:
    assert ls_path(sample.upstream, sample.commits["s1"], NESTED) == (
        0o160000,
        sample.commits["b1"],
    )


def test_exec_bit_mode(sample: Sample) -> None:
    upstream = upstream_of(sample)
    sha = sample.commits["s1"]
    entry = upstream.entry(sha, "tools/check_env.sh")
    assert entry is not None
    assert entry.mode == MODE_EXEC == 0o100755
    assert (entry.mode, entry.oid) == ls_path(sample.upstream, sha, "tools/check_env.sh")


def test_binary_bytes_with_nul_survive(sample: Sample) -> None:
    upstream = upstream_of(sample)
    for name in ("s1", "s2"):
        sha = sample.commits[name]
        found = upstream.read(sha, "static/img/logo.png")
        assert found is not None
        assert b"\0" in found[0]
        assert found[0] == show(sample.upstream, sha, "static/img/logo.png")


def test_symlink_exec_and_binary_in_a_new_upstream_commit(
    sample: Sample, variations: dict[str, str]
) -> None:
    upstream = upstream_of(sample)
    v1 = variations["v1"]
    link = upstream.read(v1, "docs/latest")
    assert link == (b"../README.md", MODE_LINK)
    assert link[0] == show(sample.upstream, v1, "docs/latest")
    entry = upstream.entry(v1, "docs/latest")
    assert entry is not None
    assert ls_path(sample.upstream, v1, "docs/latest") == (entry.mode, entry.oid)
    assert entry.mode == MODE_LINK == 0o120000
    # Never followed: the link's target is README.md, the entry is still the link.
    assert upstream.read(v1, "docs/latest") != upstream.read(v1, "README.md")
    assert upstream.read(v1, "docs/latest/x") is None
    script = upstream.read(v1, "tools/run.sh")
    assert script == (show(sample.upstream, v1, "tools/run.sh"), 0o100755)
    blob = upstream.read(v1, "data/blob.bin")
    assert blob == (bytes(range(256)) * 2, 0o100644)
    assert blob[0] == show(sample.upstream, v1, "data/blob.bin")
    # The nested submodule is still read through the (unchanged) gitlink.
    assert upstream.read(v1, f"{NESTED}/{NESTED_FILE}") == upstream.read(
        sample.commits["s1"], f"{NESTED}/{NESTED_FILE}"
    )


def test_exec_bit_cleared_and_file_turned_folder(
    sample: Sample, variations: dict[str, str]
) -> None:
    upstream = upstream_of(sample)
    v2 = variations["v2"]
    entry = upstream.entry(v2, "tools/check_env.sh")
    assert entry is not None
    assert (entry.mode, entry.oid) == ls_path(sample.upstream, v2, "tools/check_env.sh")
    assert entry.mode == 0o100644
    # group.py is a folder at v2, a file at s1.
    assert ls_path(sample.upstream, v2, "skyportal/models/group.py")[0] == 0o040000  # type: ignore[index]
    assert upstream.entry(v2, "skyportal/models/group.py") is None
    assert upstream.read(v2, "skyportal/models/group.py/__init__.py") == (
        show(sample.upstream, v2, "skyportal/models/group.py/__init__.py"),
        0o100644,
    )
    assert upstream.read(sample.commits["s1"], "skyportal/models/group.py/__init__.py") is None


# --- the nested submodule's repository ------------------------------------------------


def test_reads_survive_deinit_of_the_nested_submodule(sample: Sample) -> None:
    gitdir = nested_gitdir(sample)
    expected = {
        name: show(nested_checkout(sample), sample.commits[nested], NESTED_FILE)
        for name, nested in (("s1", "b1"), ("s2", "b2"))
    }
    git(sample.upstream, "submodule", "deinit", "-q", "-f", NESTED)
    assert not any(nested_checkout(sample).iterdir())  # the checkout is gone
    assert gitdir.is_dir()  # .git/modules/skyportal/modules/baselayer
    upstream = upstream_of(sample)
    for name, data in expected.items():
        assert upstream.read(sample.commits[name], f"{NESTED}/{NESTED_FILE}") == (data, 0o100644)
    changes = as_set(upstream.changes(sample.commits["s1"], sample.commits["s2"]))
    assert ("M", f"{NESTED}/{NESTED_FILE}", None) in changes


def test_missing_nested_repository_is_a_fixable_error(sample: Sample) -> None:
    gitdir = nested_gitdir(sample)
    git(sample.upstream, "submodule", "deinit", "-q", "-f", NESTED)
    shutil.rmtree(gitdir)
    upstream = upstream_of(sample)
    with pytest.raises(OverlayMergeError) as info:
        upstream.read(sample.commits["s1"], f"{NESTED}/{NESTED_FILE}")
    assert info.value.hint == INIT_HINT == "git submodule update --init --recursive"
    assert info.value.exit_code == 3
    assert "skyportal/baselayer" in info.value.message
    # Paths outside the nested submodule are still readable.
    assert upstream.read(sample.commits["s1"], "README.md") is not None
    # A gitlink that moved cannot be expanded: an error, not a silently short list.
    with pytest.raises(OverlayMergeError) as info:
        upstream.changes(sample.commits["s1"], sample.commits["s2"])
    assert info.value.hint == INIT_HINT


def test_deinit_fallback_uses_the_submodule_name(sample: Sample, tmp_path: Path) -> None:
    repo = tmp_path / "named"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "submodule", "add", "-q", "--name", "bl", str(sample.baselayer_remote), NESTED)
    sha = commit_files(repo, {"README.md": b"named\n"}, "add baselayer as 'bl'")
    gitlink = rev_parse(repo, f"{sha}:{NESTED}")
    expected = show(repo / NESTED, gitlink, NESTED_FILE)
    git(repo, "submodule", "deinit", "-q", "-f", NESTED)
    assert (repo / ".git" / "modules" / "bl").is_dir()
    upstream = open_upstream(tmp_path, "named")
    assert upstream.read(sha, f"{NESTED}/{NESTED_FILE}") == (expected, 0o100644)


def test_nested_commit_missing_names_the_nested_repository(sample: Sample) -> None:
    missing = "1" * 40
    git(sample.upstream, "update-index", "--cacheinfo", f"160000,{missing},{NESTED}")
    sha = commit_files(sample.upstream, {}, "point baselayer at a commit nobody has")
    upstream = upstream_of(sample)
    with pytest.raises(OverlayMergeError) as info:
        upstream.read(sha, f"{NESTED}/{NESTED_FILE}")
    message = info.value.message
    assert message.startswith("skyportal/baselayer: commit 1111111 ")
    assert f"recorded for {NESTED} by skyportal {sha[:7]}" in message
    assert info.value.hint == "git -C skyportal/baselayer fetch origin"


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


# --- changes --------------------------------------------------------------------------


def test_changes_match_git_diff_including_nested(sample: Sample) -> None:
    upstream = upstream_of(sample)
    s1, s2 = sample.commits["s1"], sample.commits["s2"]
    top = name_status(sample.upstream, s1, s2)
    # git lists the moved gitlink itself; gitstore expands it into the nested files.
    assert ("M", NESTED, None) in top
    old_link = rev_parse(sample.upstream, f"{s1}:{NESTED}")
    new_link = rev_parse(sample.upstream, f"{s2}:{NESTED}")
    inner = name_status(nested_checkout(sample), old_link, new_link)
    assert inner  # b1 -> b2 changed something
    expected = {c for c in top if c[1] != NESTED} | {
        (status, f"{NESTED}/{path}", f"{NESTED}/{old}" if old else None)
        for status, path, old in inner
    }
    changes = upstream.changes(s1, s2)
    assert as_set(changes) == expected
    assert len(changes) == len(expected)
    renamed = [c for c in changes if c.status == "R"]
    assert [(c.old_path, c.path) for c in renamed] == [
        ("skyportal/utils/calculations.py", "skyportal/utils/calc.py")
    ]
    assert 50 <= renamed[0].similarity < 100
    assert sample.renamed_to == {"skyportal/utils/calculations.py": "skyportal/utils/calc.py"}
    # Backwards: git's answer for s2 -> s1, the gitlink again expanded.
    backwards = {c for c in name_status(sample.upstream, s2, s1) if c[1] != NESTED}
    backwards |= {
        (status, f"{NESTED}/{path}", None)
        for status, path, _ in name_status(nested_checkout(sample), new_link, old_link)
    }
    assert ("R", "skyportal/utils/calculations.py", "skyportal/utils/calc.py") in backwards
    assert as_set(upstream.changes(s2, s1)) == backwards
    assert upstream.changes(s1, s1) == []


def test_changes_match_git_for_exec_bit_and_file_to_folder(
    sample: Sample, variations: dict[str, str]
) -> None:
    upstream = upstream_of(sample)
    s1, v1, v2 = sample.commits["s1"], variations["v1"], variations["v2"]
    for old, new in ((s1, v1), (v1, v2), (s1, v2)):
        assert as_set(upstream.changes(old, new)) == name_status(sample.upstream, old, new)
    changed = as_set(upstream.changes(v1, v2))
    assert ("M", "tools/check_env.sh", None) in changed  # exec bit only
    assert ("D", "skyportal/models/group.py", None) in changed
    assert ("A", "skyportal/models/group.py/__init__.py", None) in changed


def test_changes_report_a_type_change_as_t(sample: Sample, variations: dict[str, str]) -> None:
    v2 = variations["v2"]  # docs/latest is still a symlink there
    assert git(sample.upstream, "rev-parse", "HEAD") == v2
    v3 = commit_files(sample.upstream, {"docs/latest": b"now a plain file\n"}, "unlink")
    assert name_status(sample.upstream, v2, v3) == {("T", "docs/latest", None)}
    changes = upstream_of(sample).changes(v2, v3)
    assert [(c.status, c.path) for c in changes] == [("T", "docs/latest")]


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


# --- opening repositories -------------------------------------------------------------


def test_open_upstream_errors(sample: Sample) -> None:
    with pytest.raises(OverlayMergeError) as info:
        open_upstream(sample.deployment, "nope")
    assert "upstream folder missing" in info.value.message
    assert info.value.hint is not None
    assert info.value.hint.startswith(INIT_HINT)
    git(sample.deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    with pytest.raises(OverlayMergeError) as info:
        open_upstream(sample.deployment, "skyportal")
    assert info.value.message == "skyportal/: upstream submodule is not initialized"
    assert info.value.hint == INIT_HINT


def test_open_upstream_with_a_dangling_git_file(sample: Sample) -> None:
    shutil.rmtree(sample.deployment / ".git" / "modules" / "skyportal")
    assert (sample.upstream / ".git").is_file()
    with pytest.raises(OverlayMergeError) as info:
        open_upstream(sample.deployment, "skyportal")
    assert "not a usable git repository" in info.value.message
    assert info.value.hint == INIT_HINT


def test_recorded_gitlink_is_the_deployment_pin(sample: Sample) -> None:
    deployment = open_deployment(sample.deployment)
    expected = rev_parse(sample.deployment, "HEAD:skyportal")
    assert deployment.recorded_gitlink("skyportal") == expected == sample.commits["s1"]
    # Moving the checkout does not move the pin recorded in HEAD ...
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s2"])
    assert upstream_of(sample).head() == sample.commits["s2"]
    assert open_deployment(sample.deployment).recorded_gitlink("skyportal") == sample.commits["s1"]
    # ... committing it does.
    git(sample.deployment, "add", "skyportal")
    commit_files(sample.deployment, {}, "bump skyportal")
    assert rev_parse(sample.deployment, "HEAD:skyportal") == sample.commits["s2"]
    assert open_deployment(sample.deployment).recorded_gitlink("skyportal") == sample.commits["s2"]


@pytest.mark.parametrize(
    "path", ["extensions/skyportal", ".gitignore", ".overlay-base", "nope", "skyportal/README.md"]
)
def test_recorded_gitlink_of_a_non_gitlink(sample: Sample, path: str) -> None:
    found = ls_path(sample.deployment, "HEAD", path)
    assert found is None or found[0] != 0o160000
    with pytest.raises(OverlayMergeError) as info:
        open_deployment(sample.deployment).recorded_gitlink(path)
    assert info.value.message.startswith(f"{path}: ")
    assert info.value.exit_code == 3


def test_recorded_gitlink_without_a_commit(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    with pytest.raises(OverlayMergeError) as info:
        open_deployment(tmp_path).recorded_gitlink("skyportal")
    assert "no commit" in info.value.message
    assert info.value.hint is not None
    assert "git add skyportal" in info.value.hint


def test_open_deployment_outside_a_repository(tmp_path: Path, sample: Sample) -> None:
    with pytest.raises(OverlayMergeError) as info:
        open_deployment(tmp_path / "nothing-here")
    assert "not a git repository" in info.value.message
    # It never searches upwards: a subfolder of the deployment is not a deployment.
    with pytest.raises(OverlayMergeError):
        open_deployment(sample.deployment / "extensions")


def test_git_is_available() -> None:
    # The whole module's oracle: fail loudly rather than skip when git is absent.
    assert shutil.which("git") is not None
    assert subprocess.run(["git", "--version"], capture_output=True, check=True).returncode == 0
