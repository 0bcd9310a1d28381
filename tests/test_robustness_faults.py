"""Faults lose nothing: a bump, update, resolve or abort stopped anywhere is recovered.

The process killed between any two writes of a merge is
tests/test_bump.py::test_a_bump_stopped_between_any_two_writes_is_recovered_by_abort;
here the same for ``update``, a kill between a temp file and its rename, a full
disk and a refused write (simulated: the tests run as root, where chmod does
not stop writes), Ctrl-C in the CLI and in the bump screen, and ``resolve`` and
``abort`` themselves stopped midway.  "Recovered" is always the strongest
claim: the state of test_bump.py's ``_state`` (every working-tree file, the
index, both HEADs) byte for byte as before the bump.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, tree_digest
from gitutil import git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bump import _state, _take_overlay_side
from test_cli import assert_one_line_error
from test_tui import _bump_app, drive

from overlay_merge.core import abort as abort_module
from overlay_merge.core import journal as journal_module
from overlay_merge.core.apply import apply_update
from overlay_merge.core.deployment import open_at
from overlay_merge.core.git.deployment import DeploymentRepo
from overlay_merge.core.layout import load_layout
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample
from overlay_merge.reports.bump import ApplyReport, CancelReport

OVERLAY = "extensions/skyportal"
JOURNAL = Path(".git") / "overlay-merge" / "bump"
SOURCE = f"{OVERLAY}/skyportal/handlers/api/source.py"  # a clean merge: written by a bump


def _copy(sample: Sample, where: Path) -> Sample:
    shutil.copytree(sample.deployment, where, symlinks=True)
    return Sample(**{**sample.__dict__, "deployment": where})


class _Stop(Exception):
    pass


# -- stopped between two writes -------------------------------------------------------


def test_an_update_stopped_between_any_two_writes_is_recovered_by_abort(
    sample: Sample, tmp_path: Path
) -> None:
    probe = _copy(sample, tmp_path / "probe")
    writes: list[str] = []
    deployment = open_at(load_layout(probe.deployment))
    apply_update(deployment, plan_bump(deployment), after_write=writes.append)
    assert writes == [f"pin:{sample.commits['s2']}", "pin:baselayer"]
    for stop_after in range(len(writes)):
        copy = _copy(sample, tmp_path / f"copy{stop_after}")
        before = _state(copy)

        def hook(what: str, seen: list[str] = [], at: int = stop_after) -> None:  # noqa: B006
            seen.append(what)  # one list per copy: the default is made per definition
            if len(seen) > at:
                raise _Stop(what)

        deployment = open_at(load_layout(copy.deployment))
        with pytest.raises(_Stop):
            apply_update(deployment, plan_bump(deployment), after_write=hook)
        assert "interrupted" in run_cli(copy.deployment, "status").output
        assert run_cli(copy.deployment, "abort").exit_code == 0
        assert _state(copy) == before


_KILL_AT_RENAME = """
import os, sys
from pathlib import Path
from overlay_merge.cli.main import main

real_replace = os.replace
def replace(src, dst):
    if str(dst).endswith(sys.argv[1]):
        os._exit(9)  # as SIGKILL would: the temp file is written, the rename never happens
    real_replace(src, dst)
os.replace = replace
main(["-C", sys.argv[2], "bump", "--choice", "merge"])
"""


def test_a_process_killed_between_temp_file_and_rename_leaves_no_stray_file(
    sample: Sample,
) -> None:
    before = _state(sample)
    done = subprocess.run(
        [sys.executable, "-c", _KILL_AT_RENAME, "source.py", str(sample.deployment)], check=False
    )
    assert done.returncode == 9
    folder = sample.deployment / SOURCE.rsplit("/", 1)[0]
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".source.py.")]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # what the kill left
    assert "interrupted" in run_cli(sample.deployment, "status").output
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before  # the temp file is gone too


# -- a full disk, a refused write, Ctrl-C ---------------------------------------------

Fault = Callable[[pytest.MonkeyPatch, str], None]


def _disk_full(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Writing a file named *name* fails as on a full disk: ENOSPC, no file name."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        written = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if written.startswith(f".{name}."):  # write_bytes_atomic's temp file for *name*
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _replace_fails(error: Callable[[str, str], BaseException]) -> Fault:
    def install(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        real_replace = os.replace

        def replace(src: Any, dst: Any) -> None:
            if os.path.basename(os.fspath(dst)) == name:
                raise error(os.fspath(src), os.fspath(dst))
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)

    return install


_permission_denied = _replace_fails(
    lambda src, dst: PermissionError(errno.EACCES, os.strerror(errno.EACCES), src, None, dst)
)
_ctrl_c = _replace_fails(lambda src, dst: KeyboardInterrupt())

FAULTS: dict[str, Fault] = {
    "disk-full": _disk_full,
    "permission-denied": _permission_denied,
}
STRERROR = {"disk-full": "No space left on device", "permission-denied": "Permission denied"}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize(
    ("name", "shown"), [("source.py", SOURCE), (".overlay-base", ".overlay-base")]
)
def test_a_write_that_fails_stops_the_bump_naming_the_file_and_abort_restores(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, fault: str, name: str, shown: str
) -> None:
    before = _state(sample)
    with monkeypatch.context() as patched:
        FAULTS[fault](patched, name)
        result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert_one_line_error(
        result,
        f"overlay-merge: {shown}: cannot write ({STRERROR[fault]}); the bump stopped part-way",
        "then run `overlay-merge abort`",
    )
    assert "interrupted" in run_cli(sample.deployment, "status").output
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


@pytest.mark.parametrize(
    ("fault", "name"), [("disk-full", "000000"), ("permission-denied", "journal.json")]
)
def test_a_journal_that_cannot_be_written_stops_the_bump_before_any_write(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, fault: str, name: str
) -> None:
    before = _state(sample)
    with monkeypatch.context() as patched:
        FAULTS[fault](patched, name)
        result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert_one_line_error(
        result, f"overlay-merge: cannot access {sample.deployment / JOURNAL}/", STRERROR[fault]
    )
    assert not (sample.deployment / JOURNAL).exists()  # no half journal to confuse anyone
    assert _state(sample) == before
    assert run_cli(sample.deployment, "status").exit_code == 0


def test_init_that_cannot_write_leaves_the_base_file(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    (sample.overlay / "new.py").write_bytes(b"x = 1\n")
    before = tree_digest(sample.deployment)
    with monkeypatch.context() as patched:
        _disk_full(patched, ".overlay-base")
        result = run_cli(sample.deployment, "init")
    assert_one_line_error(result, f"cannot access {sample.base_file}: No space left on device")
    assert tree_digest(sample.deployment) == before  # no temp file left either


@pytest.mark.parametrize("name", ["000000", "source.py"], ids=["backing-up", "writing"])
def test_ctrl_c_during_a_bump_is_one_line_exit_130_and_abort_restores(
    sample: Sample, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    before = _state(sample)
    with monkeypatch.context() as patched:
        _ctrl_c(patched, name)
        result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert result.exit_code == 130
    assert result.stdout == ""
    assert result.stderr == (
        "overlay-merge: interrupted; if a bump was being applied, `overlay-merge abort` "
        "restores the state before it\n"
    )
    if name == "000000":  # while backing up: nothing was written, no journal is left
        assert not (sample.deployment / JOURNAL).exists()
    else:
        assert "interrupted" in run_cli(sample.deployment, "status").output
        assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


# -- resolve and abort themselves stopped ---------------------------------------------


def _merged_and_fixed(sample: Sample) -> dict[str, str]:
    """Merge the sample (conflicts left), fix every file by hand; the state before the bump."""
    before = _state(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    for path in ("skyportal/initial_setup.py", "skyportal/handlers/api/instrument.py"):
        _take_overlay_side(sample.overlay / path)
    return before


def test_resolve_stopped_midway_can_be_rerun_or_aborted(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _merged_and_fixed(sample)
    real_clear = DeploymentRepo.clear_conflict
    calls: list[str] = []

    def clear_then_ctrl_c(self: DeploymentRepo, path: str) -> None:
        calls.append(path)
        if len(calls) == 2:  # the base file is written, one index entry cleared
            raise KeyboardInterrupt
        real_clear(self, path)

    with monkeypatch.context() as patched:
        patched.setattr(DeploymentRepo, "clear_conflict", clear_then_ctrl_c)
        result = run_cli(sample.deployment, "resolve")
    assert result.exit_code == 130 and len(calls) == 2
    # Re-run: resolve finishes the job ...
    rerun = _copy(sample, tmp_path / "rerun")
    done = run_cli(rerun.deployment, "resolve")
    assert done.exit_code == 0, done.output
    assert git(rerun.deployment, "ls-files", "-u") == ""
    status = json.loads(run_cli(rerun.deployment, "status", "--format", "json").output)
    assert status["bump_in_progress"] is None
    # ... or abort undoes the whole bump (the hand-made fix of initial_setup.py is
    # work done after the bump: abort refuses it, --force saves it first).
    assert run_cli(sample.deployment, "abort").exit_code == 3
    assert run_cli(sample.deployment, "abort", "--force").exit_code == 0
    assert _state(sample) == before


def test_abort_stopped_at_any_step_can_be_run_again(sample: Sample, tmp_path: Path) -> None:
    probe = _copy(sample, tmp_path / "probe")
    run_cli(probe.deployment, "bump", "--choice", "merge")
    restores = len(json.loads((probe.deployment / JOURNAL / "journal.json").read_text())["files"])
    assert restores >= 8
    # Stop at each file restore, then while deleting the journal (after journal.json).
    for stop_at in [*range(restores), "remove"]:
        copy = _copy(sample, tmp_path / f"copy-{stop_at}")
        before = _state(copy)
        assert run_cli(copy.deployment, "bump", "--choice", "merge").exit_code == 1
        with pytest.MonkeyPatch.context() as patched:
            if stop_at == "remove":
                patched.setattr(journal_module, "shutil", _PartialRmtree())
            else:
                real = abort_module._restore
                seen: list[Path] = []

                def restore(
                    *args: Any, seen: list[Path] = seen, at: int = stop_at, real: Any = real
                ) -> None:
                    seen.append(args[1])
                    if len(seen) > at:
                        raise KeyboardInterrupt
                    real(*args)

                patched.setattr(abort_module, "_restore", restore)
            stopped = run_cli(copy.deployment, "abort")
        assert stopped.exit_code == 130, stopped.output
        again = run_cli(copy.deployment, "abort")
        if stop_at == "remove":
            # journal.json went first: the bump is undone, only leftovers remain
            # (never a journal whose backups are half gone) ...
            assert again.exit_code == 3
            assert "no bump in progress, so nothing to abort" in again.stderr
            assert sorted(os.listdir(copy.deployment / JOURNAL / "backups"))[0] == "000001"
        else:
            assert again.exit_code == 0, (stop_at, again.output)
        assert _state(copy) == before, stop_at
    # ... and the next bump starts a clean journal over them.
    assert run_cli(copy.deployment, "bump", "--choice", "merge").exit_code == 1
    assert run_cli(copy.deployment, "abort").exit_code == 0
    assert _state(copy) == before


class _PartialRmtree:
    """``shutil`` whose rmtree deletes the first backup, then is stopped (Ctrl-C, a kill)."""

    def rmtree(self, path: Path, ignore_errors: bool = False) -> None:
        (Path(path) / "backups" / "000000").unlink()
        raise KeyboardInterrupt


# -- Ctrl-C in the bump screen ----------------------------------------------------------
#
# On the main screen ctrl+c cancels: tests/test_tui.py::test_cancel_keys_change_nothing.
# On the dialogs it does nothing (the dialog's own keys answer), and after a merge it
# never turns into a cancel of what was written.


@pytest.mark.parametrize(
    "keys",
    [("m",), ("u",), ("l",), ("question_mark",), ("m", "y")],
    ids=["confirm-merge", "confirm-update", "commits", "keys", "after-merge"],
)
def test_ctrl_c_on_every_screen_of_the_bump_never_writes_unasked(
    sample: Sample, keys: tuple[str, ...]
) -> None:
    before = tree_digest(sample.deployment)
    app = drive(_bump_app(sample), *keys, "ctrl+c", "ctrl+c")
    if keys == ("m", "y"):
        assert isinstance(app.report, ApplyReport)  # the merge was asked for and is kept
        assert not isinstance(app.return_value, CancelReport)
    else:
        assert app.report is None or isinstance(app.report, CancelReport)
        assert tree_digest(sample.deployment) == before


# -- property: any overlay edit, merged then aborted, is the identity ---------------

_EDIT_LINES = st.sampled_from(
    [b"x = 1\n", b"\n", b"caf\xe9\n", b"\r\n", b"=======\n", b"\x00\n", b"tab\there\n", b"no eol"]
)


@st.composite
def _overlay_edits(draw: st.DrawFn) -> dict[str, bytes | None]:
    """New bytes (or a deletion, None) for a few of the sample's overlay files."""
    paths = sorted(
        [
            "skyportal/initial_setup.py",
            "skyportal/handlers/api/source.py",
            "skyportal/models/group.py",
            "skyportal/utils/calculations.py",
            "skyportal/enum_types.py",
            "baselayer/app/app_server.py",
            "static/img/logo.png",
        ]
    )
    chosen = draw(st.lists(st.sampled_from(paths), unique=True, max_size=3))
    edits: dict[str, bytes | None] = {}
    for path in chosen:
        if draw(st.integers(0, 9)) == 0:
            edits[path] = None
        else:
            edits[path] = b"".join(draw(st.lists(_EDIT_LINES, max_size=6)))
    return edits


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=_overlay_edits(), commit=st.booleans())
def test_merge_then_abort_is_the_identity(
    sample: Sample,
    tmp_path_factory: pytest.TempPathFactory,
    edits: dict[str, bytes | None],
    commit: bool,
) -> None:
    copy = tmp_path_factory.mktemp("identity") / "deployment"
    subprocess.run(["cp", "-a", str(sample.deployment), str(copy)], check=True)
    copied = Sample(**{**sample.__dict__, "deployment": copy})
    for path, data in edits.items():
        target = copied.overlay / path
        if data is None:
            target.unlink()
        else:
            target.write_bytes(data)
    if commit:
        git(copy, "add", "-A")
        git(copy, "commit", "-q", "--allow-empty", "-m", "random overlay edits")
    before = _state(copied)
    args = ["bump", "--choice", "merge"] + ([] if commit else ["--force"])
    result = run_cli(copy, *args)
    # 3 when the edits themselves are refused (markers, a deleted file's
    # entry...) and nothing was written; else a merge happened and abort undoes it.
    if result.exit_code != 3:
        assert run_cli(copy, "abort").exit_code == 0
    assert _state(copied) == before
