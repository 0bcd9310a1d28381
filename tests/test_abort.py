"""``abort``, attacked: it undoes the bump and never destroys what it did not write.

Work done after the bump (an upstream edit, a commit, a staged file, a
moved HEAD, a user's temp-looking file) is kept or refused over, never
overwritten; a bump killed inside git's own checkout, and an abort killed
anywhere, are undone byte for byte by the next ``abort``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from gitutil import git, git_bytes
from test_bump import OVERLAY, _state, _unmerged
from test_cli import assert_one_line_error

from overlay_merge.core import abort as abort_module
from overlay_merge.demo import Sample

CHANGED_BY_BUMP = "skyportal/app_server.py"  # differs between s1 and s2
UNTOUCHED = "README.md"  # the same at s1 and s2


def test_an_upstream_file_edited_after_the_bump_is_refused_then_saved(sample: Sample) -> None:
    before = _state(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "update").exit_code == 5
    edited = sample.upstream / CHANGED_BY_BUMP
    edited.write_bytes(edited.read_bytes() + b"# my fix on the new upstream\n")
    mine = edited.read_bytes()
    after_edit = _state(sample)
    refused = run_cli(sample.deployment, "abort")
    assert_one_line_error(refused, f"skyportal/{CHANGED_BY_BUMP}: changed since the bump")
    assert _state(sample) == after_edit  # nothing written
    forced = run_cli(sample.deployment, "abort", "--force", "--format", "json")
    assert forced.exit_code == 0, forced.output
    report = json.loads(forced.output)
    assert report["saved"] == [f"skyportal/{CHANGED_BY_BUMP}"]
    assert (Path(report["saved_to"]) / "skyportal" / CHANGED_BY_BUMP).read_bytes() == mine
    assert _state(sample) == before


def test_an_upstream_edit_the_bump_never_touched_is_kept(sample: Sample) -> None:
    assert run_cli(sample.deployment, "bump", "--choice", "update").exit_code == 5
    kept = sample.upstream / UNTOUCHED
    kept.write_bytes(b"my local notes on the upstream README\n")
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert kept.read_bytes() == b"my local notes on the upstream README\n"
    assert git(sample.upstream, "rev-parse", "HEAD") == sample.commits["s1"]
    assert git(sample.upstream, "status", "--porcelain") == f"M {UNTOUCHED}"


def test_a_commit_made_after_an_update_survives_abort(sample: Sample) -> None:
    assert run_cli(sample.deployment, "bump", "--choice", "update").exit_code == 5
    (sample.deployment / "NOTES.md").write_bytes(b"unrelated work\n")
    git(sample.deployment, "add", "NOTES.md")
    git(sample.deployment, "commit", "-qm", "unrelated work")
    head = git(sample.deployment, "rev-parse", "HEAD")
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert git(sample.deployment, "rev-parse", "HEAD") == head
    # Not staged for deletion (the old abort put the whole index back).
    assert git(sample.deployment, "status", "--porcelain") == ""


def test_a_file_staged_after_the_bump_stays_staged(sample: Sample) -> None:
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    (sample.deployment / "NOTES.md").write_bytes(b"staged while resolving\n")
    git(sample.deployment, "add", "NOTES.md")
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert "A  NOTES.md" in git(sample.deployment, "status", "--porcelain").splitlines()
    assert _unmerged(sample) == {}


def test_an_upstream_head_moved_after_the_bump_is_refused(sample: Sample) -> None:
    assert run_cli(sample.deployment, "bump", "--choice", "update").exit_code == 5
    (sample.upstream / "LOCAL.md").write_bytes(b"a local upstream commit\n")
    git(sample.upstream, "add", "LOCAL.md")
    git(sample.upstream, "commit", "-qm", "local")
    after = _state(sample)
    refused = run_cli(sample.deployment, "abort")
    assert_one_line_error(refused, "skyportal: HEAD is at")
    assert "moved since the bump" in refused.stderr
    assert _state(sample) == after


@pytest.mark.parametrize(
    "name",
    [".initial_setup.py.mynotes1.tmp", ".initial_setup.py.abcd1234.tmp", ".initial_setup.py.tmp"],
)
def test_a_users_temp_looking_file_beside_a_touched_one_survives(sample: Sample, name: str) -> None:
    notes = sample.overlay / "skyportal" / name
    notes.write_bytes(b"my notes\n")
    args = ("--exclude", "*.tmp")
    before = _state(sample)
    assert run_cli(sample.deployment, *args, "bump", "--choice", "merge").exit_code == 1
    assert run_cli(sample.deployment, *args, "abort").exit_code == 0
    assert notes.read_bytes() == b"my notes\n"
    assert _state(sample) == before


def _kill_git_checkout_after(sample: Sample, files: int) -> None:
    """Make the upstream's next checkout die (kill -9) after writing *files* files."""
    counter = sample.root / "smudged"
    script = sample.root / "smudge.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'n=$(cat "{counter}" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "{counter}"\n'
        f'if [ "$n" -gt {files} ]; then kill -9 $PPID; sleep 5; fi\n'
        "exec cat\n"
    )
    script.chmod(0o755)
    git_dir = sample.deployment / ".git" / "modules" / "skyportal"
    (git_dir / "info").mkdir(exist_ok=True)
    (git_dir / "info" / "attributes").write_text("* filter=killer\n")
    git(sample.upstream, "config", "filter.killer.smudge", str(script))


def _unkill(sample: Sample) -> None:
    git_dir = sample.deployment / ".git" / "modules" / "skyportal"
    (git_dir / "info" / "attributes").unlink()
    git(sample.upstream, "config", "--unset", "filter.killer.smudge")


@pytest.mark.parametrize("files", [0, 1, 3, 6])
def test_a_bump_killed_inside_the_upstream_checkout_is_undone(sample: Sample, files: int) -> None:
    before = _state(sample)
    _kill_git_checkout_after(sample, files)
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert result.exit_code == 3, result.output
    assert "git checkout failed" in result.stderr
    _unkill(sample)
    lock = sample.deployment / ".git" / "modules" / "skyportal" / "index.lock"
    if lock.exists():
        refused = run_cli(sample.deployment, "abort")
        assert_one_line_error(refused, "index.lock: exists")
        lock.unlink()  # as the message says
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before
    assert git(sample.upstream, "status", "--porcelain", "--untracked-files=all") == ""
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1


@pytest.mark.parametrize("stop_at", [0, 1, 2, 4])
def test_an_abort_killed_while_moving_the_upstream_back_is_finished_by_the_next(
    sample: Sample, stop_at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    real = abort_module.write_file
    calls: list[Path] = []

    def stopping(full: Path, *args: object) -> None:
        if full.is_relative_to(sample.upstream):
            calls.append(full)
            if len(calls) > stop_at:
                raise KeyboardInterrupt
        real(full, *args)  # type: ignore[arg-type]

    with monkeypatch.context() as patched:
        patched.setattr(abort_module, "write_file", stopping)
        assert run_cli(sample.deployment, "abort").exit_code == 130
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


def test_a_conflicted_rename_leaves_git_status_truthful(sample: Sample) -> None:
    # pygit2's add_conflict on a path the index never had left git's cached
    # tree valid: untouched overlay files showed as "new file", the unmerged
    # path was hidden.
    old, new = "skyportal/utils/calculations.py", "skyportal/utils/calc.py"
    path = sample.overlay / old
    lines = path.read_bytes().splitlines(keepends=True)
    upstream_new = git(sample.upstream, "show", f"{sample.commits['s2']}:{new}").splitlines()
    differing = next(
        i
        for i, (a, b) in enumerate(zip(lines, upstream_new, strict=False))
        if a.decode().rstrip("\n") != b
    )
    lines[differing] = b"# the overlay's own line\n"
    path.write_bytes(b"".join(lines))
    git(sample.deployment, "commit", "-qam", "overlay edits the moved lines")
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    porcelain = git(sample.deployment, "status", "--porcelain").splitlines()
    assert not [line for line in porcelain if line.startswith("A ")], porcelain
    assert any(
        line.endswith(f"{OVERLAY}/{new}") and line[:2] in ("AA", "UU", "AU", "UA")
        for line in porcelain
    ), porcelain


# -- a partial clone (git clone --filter=blob:none from a local file URL) ---------


def _partial_clone_upstream(sample: Sample) -> Path:
    """Replace the sample's upstream by a blob-less partial clone of a private remote."""
    remotes = sample.root / "remotes"
    remotes.mkdir()
    for remote in (sample.upstream_remote, sample.baselayer_remote):
        shutil.copytree(remote, remotes / remote.name, symlinks=True)
        git(remotes / remote.name, "config", "uploadpack.allowFilter", "true")
        git(remotes / remote.name, "config", "uploadpack.allowAnySHA1InWant", "true")
    url = (remotes / sample.upstream_remote.name).as_uri()
    deployment = sample.deployment
    git(deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    shutil.rmtree(deployment / ".git" / "modules" / "skyportal")
    git(deployment, "config", "submodule.skyportal.url", url)
    git(deployment, "submodule", "update", "-q", "--init", "--filter=blob:none", "skyportal")
    git(sample.upstream, "submodule", "update", "-q", "--init")
    return remotes


def test_a_partial_clone_bumps_fetching_the_blobs_it_needs(sample: Sample) -> None:
    full_plan = json.loads(
        run_cli(sample.deployment, "bump", "--dry-run", "--format", "json").output
    )
    _partial_clone_upstream(sample)
    assert git(sample.upstream, "config", "remote.origin.promisor") == "true"
    before = _state(sample)
    plan = json.loads(run_cli(sample.deployment, "bump", "--dry-run", "--format", "json").output)
    assert plan["files"] == full_plan["files"]
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    assert git(sample.upstream, "rev-parse", "HEAD") == sample.commits["s2"]
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


def test_a_partial_clone_whose_remote_is_gone_is_one_line(sample: Sample) -> None:
    remotes = _partial_clone_upstream(sample)
    shutil.rmtree(remotes)
    before = _state(sample)
    s2 = sample.commits["s2"]
    for args in (["bump", "--dry-run"], ["bump", "--choice", "merge"], ["check", "--against", s2]):
        result = run_cli(sample.deployment, *args)
        assert result.exit_code == 3, (args, result.output)
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert _state(sample) == before


def test_a_bump_killed_in_a_subprocess_inside_checkout_leaves_no_untracked_files(
    sample: Sample,
) -> None:
    # The same as above through the real executable, killed from outside.
    before = _state(sample)
    _kill_git_checkout_after(sample, 2)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "overlay_merge.cli.main",
            "-C",
            str(sample.deployment),
            "bump",
            "--choice",
            "merge",
        ],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    _unkill(sample)
    (sample.deployment / ".git" / "modules" / "skyportal" / "index.lock").unlink(missing_ok=True)
    aborted = run_cli(sample.deployment, "abort")
    assert aborted.exit_code == 0, aborted.output
    assert _state(sample) == before


def test_build_from_a_sparse_partial_clone_fetches_or_says_one_line(sample: Sample) -> None:
    remotes = _partial_clone_upstream(sample)
    outside = "skyportal/app_server.py"  # not an overlay file; s2 changes it
    git(sample.upstream, "sparse-checkout", "set", "--no-cone", "/*", f"!/{outside}")
    assert run_cli(sample.deployment, "bump", "--choice", "update").exit_code == 5
    # Outside the sparse set: the blob of s2's version was never fetched.
    logo = git(sample.upstream, "rev-parse", f"{sample.commits['s2']}:{outside}")
    missing = git(sample.upstream, "rev-list", "--objects", "--missing=print", "HEAD")
    assert f"?{logo}" in missing.splitlines()
    moved = sample.root / "remotes-away"
    remotes.rename(moved)
    refused = run_cli(sample.deployment, "build", "--allow-drift")
    assert refused.exit_code == 3, refused.output
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.output
    assert "missing from the object store" in refused.stderr
    moved.rename(remotes)
    built = run_cli(sample.deployment, "build", "--allow-drift")
    assert built.exit_code == 0, built.output
    expected = git_bytes(sample.upstream, "show", f"{sample.commits['s2']}:{outside}")
    assert (sample.deployment / "patched_skyportal" / outside).read_bytes() == expected


def test_an_edit_after_a_forced_bump_to_a_backed_up_file_is_refused(sample: Sample) -> None:
    # --force backed up the user's edit, and the checkout replaced it; editing the
    # file again after the bump is new work abort must not overwrite with the backup.
    edited = sample.upstream / CHANGED_BY_BUMP
    edited.write_bytes(edited.read_bytes() + b"# before the bump\n")
    before = _state(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "update", "--force").exit_code == 5
    edited.write_bytes(edited.read_bytes() + b"# after the bump\n")
    refused = run_cli(sample.deployment, "abort")
    assert_one_line_error(refused, f"skyportal/{CHANGED_BY_BUMP}: changed since the bump")
    edited.write_bytes(git_bytes(sample.upstream, "show", f"HEAD:{CHANGED_BY_BUMP}"))
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


def test_a_file_a_killed_checkout_deleted_is_not_claimed_as_saved(sample: Sample) -> None:
    # Seen on a real deployment: abort said "saved 1 file ... to <folder>" and the
    # folder did not exist (git had deleted the file when it was stopped).
    before = _state(sample)
    _kill_git_checkout_after(sample, 2)
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 3
    _unkill(sample)
    (sample.deployment / ".git" / "modules" / "skyportal" / "index.lock").unlink(missing_ok=True)
    gone = sample.upstream / CHANGED_BY_BUMP
    gone.unlink(missing_ok=True)
    report = json.loads(run_cli(sample.deployment, "abort", "--format", "json").output)
    for rel in report["saved"]:
        assert (Path(report["saved_to"]) / rel).exists(), rel
    assert f"skyportal/{CHANGED_BY_BUMP}" not in report["saved"]
    assert report["saved_to"] is None or Path(report["saved_to"]).is_dir()
    assert _state(sample) == before
