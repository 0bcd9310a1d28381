"""Real-repository tests of the files of upstream commits (``core/git/trees.py``), read
through nested submodules, and of the nested submodules' repositories.

The oracle is the ``git`` executable run on the same repositories (tests/gitoracle.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from gitoracle import (
    NESTED,
    NESTED_FILE,
    as_set,
    ls_path,
    ls_tree,
    nested_checkout,
    nested_gitdir,
    rev_parse,
    show,
    upstream_of,
    upstream_variations,
)
from gitutil import commit_files, git

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import INIT_HINT, MODE_EXEC, MODE_LINK, Entry
from overlay_merge.core.git.upstream import open_upstream
from overlay_merge.demo import Sample


@pytest.fixture
def variations(sample: Sample) -> dict[str, str]:
    """Upstream commits on top of s1: see :func:`gitoracle.upstream_variations`."""
    return upstream_variations(sample)


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
