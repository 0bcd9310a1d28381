"""The generated sample deployment (overlay_merge/demo) has every property the suite relies on."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from gitutil import git, git_bytes, git_env

import overlay_merge.demo.sample as sample_module
from overlay_merge.core.basefile import read_base_file
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.demo import OVERLAY_DIR, SAMPLE_EPOCH, Sample, make_sample
from overlay_merge.demo import _git as demo_git
from overlay_merge.demo.content import read_texts

# The ids of the upstream commits do not depend on the machine, the run or the
# checkout of this project (no end-of-line conversion of the texts).
PINNED = {
    "b1": "536f63d0b57b2aa49c73636e04a0a8640526a26d",
    "b2": "1158ee4279f237c382277011ed0d4a57243f099e",
    "s0": "2e18d45065bf40971b63d81f1e3e56c2e8296397",
    "s1": "46934a181c94447ca8e18b46664194be41748ce4",
    "s2": "9e724ea8c774d949947fd23f8251085a5170d7cc",
}

STATES = {
    "unchanged",
    "clean",
    "conflict",
    "converged",
    "deleted-upstream",
    "renamed-upstream",
    "added-upstream",
    "binary",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    # Read-only tests share one sample; generation is cheap but not free.
    return make_sample(tmp_path_factory.mktemp("sample") / "root")


def _exists(repo: Path, spec: str) -> bool:
    result = subprocess.run(
        ["git", "cat-file", "-e", spec], cwd=repo, env=git_env(), capture_output=True, check=False
    )
    return result.returncode == 0


def upstream_blob(sample: Sample, commit: str, path: str) -> bytes | None:
    """Upstream bytes of *path* at a top-upstream *commit*, through the nested gitlink."""
    repo = sample.upstream
    if path.startswith("baselayer/"):
        commit = git(repo, "rev-parse", f"{commit}:baselayer")
        repo = repo / "baselayer"
        path = path.removeprefix("baselayer/")
    if not _exists(repo, f"{commit}:{path}"):
        return None
    return git_bytes(repo, "cat-file", "blob", f"{commit}:{path}")


def overlay_bytes(sample: Sample, path: str) -> bytes:
    return (sample.overlay / path).read_bytes()


def merge_file(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> tuple[int, bytes]:
    """`git merge-file -p --diff3` on temp copies: (exit code = conflicts, merged bytes)."""
    names = {"ours": ours, "base": base, "theirs": theirs}
    for name, data in names.items():
        (tmp_path / name).write_bytes(data)
    result = subprocess.run(
        ["git", "merge-file", "-p", "--diff3", "ours", "base", "theirs"],
        cwd=tmp_path,
        env=git_env(),
        capture_output=True,
        check=False,
    )
    return result.returncode, result.stdout


def test_commit_ids_are_identical_on_every_run(tmp_path: Path, sample: Sample) -> None:
    other = make_sample(tmp_path / "again")
    assert dict(other.commits) == dict(sample.commits)
    assert set(other.commits) == {"s0", "s1", "s2", "b1", "b2"}
    assert all(re.fullmatch(r"[0-9a-f]{40}", sha) for sha in other.commits.values())
    assert dict(other.expected) == dict(sample.expected)
    assert dict(other.renamed_to) == dict(sample.renamed_to)
    # The deployment's own tree (overlay, .overlay-base) is identical too.
    assert git(other.deployment, "rev-parse", "HEAD:extensions") == git(
        sample.deployment, "rev-parse", "HEAD:extensions"
    )
    assert other.base_file.read_bytes() == sample.base_file.read_bytes()


def test_commit_ids_are_pinned(sample: Sample) -> None:
    assert dict(sample.commits) == PINNED


def test_texts_are_read_byte_for_byte() -> None:
    s0 = read_texts("skyportal", "s0")
    assert s0[".gitmodules"] == (
        b'[submodule "baselayer"]\n\tpath = baselayer\n\turl = ../baselayer.git\n'
    )
    assert "tools/check_env.sh" in s0 and "static/img/logo.png" not in s0  # the logo is made
    assert read_texts("deployment") == {".gitignore": b"/patched_skyportal/\n"}
    with pytest.raises(FileNotFoundError, match="nothing under"):
        read_texts("skyportal", "s9")


def test_layout(sample: Sample) -> None:
    assert sorted(p.name for p in sample.root.iterdir()) == ["deployment", "remotes"]
    assert sample.upstream_remote == sample.root / "remotes" / "skyportal.git"
    assert sample.baselayer_remote == sample.root / "remotes" / "baselayer.git"
    for bare in (sample.upstream_remote, sample.baselayer_remote):
        assert git(bare, "rev-parse", "--is-bare-repository") == "true"
        assert git(bare, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(sample.deployment, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert not (sample.deployment / "pyproject.toml").exists()
    assert sample.overlay == sample.deployment / OVERLAY_DIR


def test_remote_histories(sample: Sample) -> None:
    c = sample.commits
    log = git(sample.upstream_remote, "rev-list", "--parents", "main").splitlines()
    assert log == [f"{c['s2']} {c['s1']}", f"{c['s1']} {c['s0']}", c["s0"]]
    log = git(sample.baselayer_remote, "rev-list", "--parents", "main").splitlines()
    assert log == [f"{c['b2']} {c['b1']}", c["b1"]]
    for rev, gitlink in (("s0", "b1"), ("s1", "b1"), ("s2", "b2")):
        entry = git(sample.upstream_remote, "ls-tree", c[rev], "baselayer")
        assert entry == f"160000 commit {c[gitlink]}\tbaselayer"
    modules = git(sample.upstream_remote, "config", "--blob", f"{c['s0']}:.gitmodules", "--list")
    assert "submodule.baselayer.path=baselayer" in modules.splitlines()
    # Dates are fixed, one hour apart, in the order the commits were made.
    times = [
        int(
            git(
                sample.baselayer_remote if r[0] == "b" else sample.upstream_remote,
                "log",
                "-1",
                "--format=%ct",
                c[r],
            )
        )
        for r in c
    ]
    assert sorted(times) == [SAMPLE_EPOCH + 3600 * i for i in range(5)]


def test_s0_to_s1_leaves_overlay_files_alone(sample: Sample) -> None:
    c = sample.commits
    changed = git(sample.upstream, "diff", "--name-only", c["s0"], c["s1"]).splitlines()
    assert "README.md" in changed
    assert not set(changed) & set(sample.expected)


def test_deployment_is_clean_recursively(sample: Sample) -> None:
    dep = sample.deployment
    assert git(dep, "status", "--porcelain", "--ignore-submodules=none", "--untracked=all") == ""
    assert git(dep, "submodule", "foreach", "--recursive", "git status --porcelain") == "\n".join(
        ["Entering 'skyportal'", "Entering 'skyportal/baselayer'"]
    )
    assert int(git(dep, "rev-list", "--count", "HEAD")) in (1, 2)


def test_submodule_pin_and_tracked_branch(sample: Sample) -> None:
    c, up = sample.commits, sample.upstream
    assert git(sample.deployment, "rev-parse", "HEAD:skyportal") == c["s1"]
    assert git(up, "rev-parse", "HEAD") == c["s1"]
    assert git(up, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(up, "rev-parse", "--symbolic-full-name", "@{upstream}") == "refs/remotes/origin/main"
    assert git(up, "rev-parse", "@{upstream}") == c["s2"]
    assert git(up, "rev-parse", "origin/main") == c["s2"]
    assert git(up, "remote", "get-url", "origin") == str(sample.upstream_remote)


def test_nested_baselayer_at_b1(sample: Sample) -> None:
    nested = sample.upstream / "baselayer"
    assert git(nested, "rev-parse", "HEAD") == sample.commits["b1"]
    assert git(nested, "rev-parse", "origin/main") == sample.commits["b2"]
    assert git(nested, "remote", "get-url", "origin") == str(sample.baselayer_remote)
    # b2 is in the nested object store, so the target side resolves offline.
    assert _exists(nested, f"{sample.commits['b2']}:app/app_server.py")


def test_base_file(sample: Sample) -> None:
    data = sample.base_file.read_bytes()
    text = data.decode("utf-8")
    assert b"\r" not in data and text.endswith("\n")
    lines = [line for line in text.split("\n") if line and not line.startswith("#")]
    paths = [line.split("  ", 1)[1] for line in lines]
    assert paths == sorted(paths, key=lambda p: p.encode("utf-8"))
    for line in lines:
        assert re.fullmatch(r"[0-9a-f]{40}  \S.*", line)
    entries = read_base_file(sample.base_file)
    overlay_files = {
        p.relative_to(sample.overlay).as_posix() for p in sample.overlay.rglob("*") if p.is_file()
    }
    assert set(entries) == overlay_files == set(sample.expected)
    c = sample.commits
    assert entries.pop("skyportal/enum_types.py") == c["s0"]
    assert set(entries.values()) == {c["s1"]}


def test_every_state_is_present_once_or_more(sample: Sample) -> None:
    assert set(sample.expected.values()) == STATES
    assert len(sample.expected) == 12


def test_unchanged_files(sample: Sample) -> None:
    base = read_base_file(sample.base_file)
    unchanged = [p for p, s in sample.expected.items() if s == "unchanged"]
    assert len(unchanged) == 4
    for path in unchanged:
        before = upstream_blob(sample, base[path], path)
        assert before == upstream_blob(sample, sample.commits["s2"], path), path
    # Additions: absent upstream at their base and at the target.
    for path in ("skyportal/facility_apis/grandma_api.py", "baselayer/app/auth/IAMOAuth2.py"):
        for rev in ("s0", "s1", "s2"):
            assert upstream_blob(sample, sample.commits[rev], path) is None
    enum = "skyportal/enum_types.py"
    assert overlay_bytes(sample, enum) != upstream_blob(sample, sample.commits["s0"], enum)


def test_converged(sample: Sample) -> None:
    path = "skyportal/models/group.py"
    assert overlay_bytes(sample, path) == upstream_blob(sample, sample.commits["s2"], path)
    assert overlay_bytes(sample, path) != upstream_blob(sample, sample.commits["s1"], path)


def test_renamed_and_deleted_upstream(tmp_path: Path, sample: Sample) -> None:
    c, up = sample.commits, sample.upstream
    old, new = next(iter(sample.renamed_to.items()))
    assert sample.expected[old] == "renamed-upstream"
    assert _exists(up, f"{c['s1']}:{old}") and not _exists(up, f"{c['s2']}:{old}")
    assert _exists(up, f"{c['s2']}:{new}") and not _exists(up, f"{c['s1']}:{new}")
    status = git(up, "diff", "-M", "--name-status", c["s1"], c["s2"]).splitlines()
    renames = [line.split("\t") for line in status if line.startswith("R")]
    assert len(renames) == 1
    score, frm, to = renames[0]
    assert (frm, to) == (old, new) and int(score[1:]) >= 80
    # Even a low threshold does not pair the deleted file with the added one.
    low = git(up, "diff", "-M20%", "--name-status", c["s1"], c["s2"]).splitlines()
    assert "D\tskyportal/handlers/api/legacy.py" in low
    assert "A\tskyportal/handlers/api/instrument.py" in low
    # The overlay's own change merges cleanly against the new path.
    code, merged = merge_file(
        tmp_path,
        base=upstream_blob(sample, c["s1"], old) or b"",
        ours=overlay_bytes(sample, old),
        theirs=upstream_blob(sample, c["s2"], new) or b"",
    )
    assert code == 0 and b"np.clip" in merged and b"formerly" in merged
    legacy = "skyportal/handlers/api/legacy.py"
    assert upstream_blob(sample, c["s1"], legacy) not in (None, overlay_bytes(sample, legacy))


def test_added_upstream(sample: Sample) -> None:
    path = "skyportal/handlers/api/instrument.py"
    assert upstream_blob(sample, sample.commits["s0"], path) is None
    assert upstream_blob(sample, sample.commits["s1"], path) is None
    theirs = upstream_blob(sample, sample.commits["s2"], path)
    assert theirs is not None and theirs != overlay_bytes(sample, path)


@pytest.mark.parametrize(
    "path", ["skyportal/handlers/api/source.py", "baselayer/app/app_server.py"]
)
def test_clean_merges(tmp_path: Path, sample: Sample, path: str) -> None:
    base = upstream_blob(sample, sample.commits["s1"], path)
    theirs = upstream_blob(sample, sample.commits["s2"], path)
    ours = overlay_bytes(sample, path)
    assert base is not None and theirs is not None
    assert len({base, ours, theirs}) == 3
    code, merged = merge_file(tmp_path, base, ours, theirs)
    assert code == 0
    assert b"<<<<<<<" not in merged and merged not in (ours, theirs)


def test_conflict_has_exactly_one_hunk(tmp_path: Path, sample: Sample) -> None:
    path = "skyportal/initial_setup.py"
    base = upstream_blob(sample, sample.commits["s1"], path)
    theirs = upstream_blob(sample, sample.commits["s2"], path)
    assert base is not None and theirs is not None
    code, merged = merge_file(tmp_path, base, overlay_bytes(sample, path), theirs)
    assert code == 1
    assert merged.count(b"<<<<<<< ") == 1 and merged.count(b">>>>>>> ") == 1
    assert b"oauth_uid=email" in merged  # s2's independent change merged cleanly


def test_binary(sample: Sample) -> None:
    path = "static/img/logo.png"
    sides = [
        upstream_blob(sample, sample.commits["s1"], path),
        overlay_bytes(sample, path),
        upstream_blob(sample, sample.commits["s2"], path),
    ]
    assert len(set(sides)) == 3
    for data in sides:
        assert data is not None and b"\0" in data and data.startswith(b"\x89PNG")
        assert 48 <= len(data) <= 96


def test_exec_bit(sample: Sample) -> None:
    path = "tools/check_env.sh"
    for rev in ("s0", "s1", "s2"):
        entry = git(sample.upstream, "ls-tree", sample.commits[rev], path)
        assert entry.startswith("100755 blob ")
    assert os.stat(sample.overlay / path).st_mode & 0o777 == 0o755
    staged = git(sample.deployment, "ls-files", "-s", f"{OVERLAY_DIR}/{path}")
    assert staged.startswith("100755 ")
    other = git(sample.deployment, "ls-files", "-s", f"{OVERLAY_DIR}/skyportal/enum_types.py")
    assert other.startswith("100644 ")


def test_rejects_a_non_empty_root(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(OverlayMergeError, match="not empty"):
        make_sample(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    with pytest.raises(OverlayMergeError, match="not a folder"):
        make_sample(tmp_path / "keep.txt")


def test_demo_git_error_names_stderr(tmp_path: Path) -> None:
    with pytest.raises(demo_git.GitCommandError, match="not a git repository") as caught:
        demo_git.git(tmp_path, "rev-parse", "HEAD")
    assert str(tmp_path) in str(caught.value)


def test_demo_ignores_callers_git_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As inside a git hook: GIT_DIR and GIT_INDEX_FILE must not redirect the generator.
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "elsewhere-index"))
    made = make_sample(tmp_path / "root")
    assert dict(made.commits) == PINNED
    assert (made.deployment / ".git").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]


def test_failure_leaves_root_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(sample_module, "_build_deployment", broken)
    with pytest.raises(RuntimeError, match="simulated"):
        make_sample(tmp_path)
    assert list(tmp_path.iterdir()) == []
