"""One writer at a time: every command that writes holds ``.git/overlay-merge/lock``.

All of these run the real CLI in separate processes on the generated sample:
a writer paused right after it took the lock (every pair of writing
commands), a lock file left by a killed holder, one still held by a process
whose named holder is dead, and the attack loop: pairs of writers started at
the same moment, many times, after which ``abort`` must give back the state
before the bump byte for byte (tests/test_bump.py's ``_state``).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import run_cli
from gitutil import git
from test_bump import _state
from test_tui import _bump_app, drive

from overlay_merge.core.apply import apply_merge
from overlay_merge.core.deployment import open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.journal import load_journal, new_journal
from overlay_merge.core.layout import load_layout
from overlay_merge.core.lock import hold, holds, lock_path
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample

SETUP = "skyportal/initial_setup.py"  # a text conflict of the sample's bump
CLI = [sys.executable, "-m", "overlay_merge.cli.main"]
WRITERS: dict[str, list[str]] = {
    "bump --choice merge": ["bump", "--choice", "merge"],
    "bump --choice update": ["bump", "--choice", "update"],
    "resolve": ["resolve"],
    "resolve --hunk": ["resolve", SETUP, "--hunk", "1", "--take", "overlay"],
    "resolve --undo": ["resolve", "--undo"],
    "abort": ["abort"],
    "build": ["build", "--allow-drift"],
    "init": ["init"],
}
JOURNAL = "overlay-merge/bump/journal.json"
HELD = "/overlay-merge/lock: held"  # by pid ..., or by an unnamed process


def _git_dir(sample: Sample) -> Path:
    return sample.deployment / ".git"


def _lock(sample: Sample) -> Path:
    return lock_path(_git_dir(sample))


class Answer(NamedTuple):
    """What a command run in its own process answered."""

    returncode: int
    stdout: str
    stderr: str


# The real CLI in separate processes, cheaply: forked from one process that
# has imported everything, released together through a pipe (the writers of a
# pair start at the same moment), each one's exit code reported back.
_LAUNCHER = """
import importlib, json, os, sys, traceback
from overlay_merge.cli.main import COMMANDS, main
import overlay_merge.cli.interactive, overlay_merge.core.apply, overlay_merge.core.build
import overlay_merge.core.initialize, overlay_merge.core.takes, overlay_merge.reports.build
import overlay_merge.reports.hunks
for name in COMMANDS:
    importlib.import_module(f"overlay_merge.cli.commands.{name}")

for line in sys.stdin:
    jobs = json.loads(line)
    gate_r, gate_w = os.pipe()
    pids = []
    for argv, out in jobs:
        pid = os.fork()
        if pid == 0:
            os.close(gate_w)
            for fd, name in ((1, ".out"), (2, ".err")):
                os.dup2(os.open(out + name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            os.read(gate_r, 1)
            code = 0
            try:
                main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 99
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        pids.append(pid)
    os.close(gate_r)
    os.write(gate_w, b"go" * len(pids))
    os.close(gate_w)
    codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in pids]
    print(json.dumps(codes), flush=True)
"""


class _Launcher:
    def __init__(self, where: Path) -> None:
        self.where = where
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.runs = 0

    def run(self, deployment: Path, *commands: list[str]) -> list[Answer]:
        """Start *commands* at the same moment; each one's (exit code, stdout, stderr)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        outs = [str(self.where / f"run{self.runs}-{i}") for i in range(len(commands))]
        self.runs += 1
        jobs = [
            (["-C", str(deployment), *args], out) for args, out in zip(commands, outs, strict=True)
        ]
        self.process.stdin.write(json.dumps(jobs) + "\n")
        self.process.stdin.flush()
        codes = json.loads(self.process.stdout.readline())
        return [
            Answer(code, Path(out + ".out").read_text(), Path(out + ".err").read_text())
            for code, out in zip(codes, outs, strict=True)
        ]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=120)


_launcher: _Launcher | None = None


@pytest.fixture(scope="module", autouse=True)
def _launcher_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    global _launcher  # noqa: PLW0603 - one launcher for the module, used by _run
    _launcher = _Launcher(tmp_path_factory.mktemp("runs"))
    yield
    _launcher.close()
    _launcher = None


def _run(sample: Sample, *args: str) -> Answer:
    """The real CLI, in its own process (stdin not a terminal)."""
    assert _launcher is not None
    return _launcher.run(sample.deployment, list(args))[0]


def _one_line_error(done: Answer, *needles: str) -> None:
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("overlay-merge: ") and "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, (needle, done.stderr)


# A real command that stops right after it took the lock (before any check or
# write) until told to go on: the holder of the pair tests.
_PAUSED = """
import sys
from overlay_merge.core import lock
from overlay_merge.cli.main import main

real = lock._write_holder
def paused(fd, command):
    real(fd, command)
    print("held", flush=True)
    sys.stdin.readline()
lock._write_holder = paused
main(sys.argv[1:])
"""


class _Paused:
    """A real writer process paused while holding the lock."""

    def __init__(self, sample: Sample, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _PAUSED, "-C", str(sample.deployment), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line == "held\n", (line, self.process.stderr and self.process.stderr.read())

    @property
    def pid(self) -> int:
        return self.process.pid

    def go_on(self) -> tuple[int, str]:
        """Let it finish; its exit code and stderr."""
        _out, err = self.process.communicate("\n", timeout=120)
        return self.process.returncode, err

    def kill(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=120)


@pytest.fixture
def in_progress(sample: Sample) -> Iterator[Sample]:
    """The sample with a bump stopped for conflicts and one hunk choice made."""
    assert run_cli(sample.deployment, "build").exit_code == 0
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    took = run_cli(sample.deployment, "resolve", SETUP, "--hunk", "1", "--take", "upstream")
    assert took.exit_code == 0, took.output
    yield sample


# -- every pair of writers ------------------------------------------------------------


@pytest.mark.parametrize("holder", list(WRITERS))
def test_a_second_writer_is_refused_naming_the_holder(in_progress: Sample, holder: str) -> None:
    sample = in_progress
    before = _state(sample)
    journal = (_git_dir(sample) / JOURNAL).read_bytes()
    paused = _Paused(sample, WRITERS[holder])
    try:
        assert _launcher is not None
        answers = _launcher.run(sample.deployment, *WRITERS.values())  # all at once
        for answer in answers:  # every writer, the holder's own command included
            _one_line_error(
                answer,
                f"{_lock(sample)}: held by pid {paused.pid} (overlay-merge {holder}, since 20",
                "wait for it to finish",
            )
        # Refused before reading anything: nothing written, the journal untouched.
        assert _state(sample) == before
        assert (
            _git_dir(sample) / "overlay-merge" / "bump" / "journal.json"
        ).read_bytes() == journal
    finally:
        paused.kill()
    assert _state(sample) == before  # the holder was stopped before its first check


def test_the_holder_goes_on_and_the_next_writer_gets_the_lock(in_progress: Sample) -> None:
    sample = in_progress
    paused = _Paused(sample, ["abort"])
    held = json.loads(_lock(sample).read_bytes())
    assert held["pid"] == paused.pid and held["command"] == "abort"
    assert held["host"] == os.uname().nodename and held["since"].endswith("Z")
    _one_line_error(_run(sample, "abort"), f"held by pid {paused.pid} (overlay-merge abort")
    code, err = paused.go_on()
    assert (code, err) == (0, "")
    assert _lock(sample).read_bytes() == b""  # released: names nobody
    # It ran: the lock is free.
    _one_line_error(_run(sample, "abort"), "no bump in progress, so nothing to abort")


def test_the_bump_screen_is_refused_while_another_writer_holds_the_lock(sample: Sample) -> None:
    before = _state(sample)
    app = _bump_app(sample)  # planned before the lock is taken, as the screen does
    paused = _Paused(sample, ["init"])
    try:
        drive(app, "m", "y")
        assert app.return_code == 3 and app.error is not None
        assert f"held by pid {paused.pid} (overlay-merge init" in str(app.error)
        assert _state(sample) == before
    finally:
        paused.kill()


# -- a dead holder, an unnamed holder -------------------------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_lock_file_left_by_a_killed_holder_is_taken_over(sample: Sample) -> None:
    before = _state(sample)
    paused = _Paused(sample, ["bump", "--choice", "merge"])
    paused.process.send_signal(signal.SIGKILL)
    paused.process.communicate(timeout=120)
    assert json.loads(_lock(sample).read_bytes())["pid"] == paused.pid  # still names it
    assert _run(sample, "bump", "--choice", "merge").returncode == 1  # merged, conflicts left
    assert _run(sample, "abort").returncode == 0
    assert _state(sample) == before


@pytest.mark.parametrize("content", ["named", "garbage", "empty"])
def test_a_stale_lock_file_naming_a_dead_pid_is_taken_over(sample: Sample, content: str) -> None:
    _lock(sample).parent.mkdir(exist_ok=True)
    texts = {
        "named": json.dumps({"pid": _dead_pid(), "command": "bump", "since": "x", "host": "h"}),
        "garbage": "\x00not json",
        "empty": "",
    }
    _lock(sample).write_text(texts[content])
    inode = _lock(sample).stat().st_ino
    assert _run(sample, "build").returncode == 0
    assert _lock(sample).stat().st_ino == inode and _lock(sample).read_bytes() == b""


# Holds the lock with a given content, then waits: a process the named
# holder started (it inherited the open file) or a foreign one.
_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, sys.argv[2].encode())
print("held", flush=True)
sys.stdin.readline()
"""


@pytest.mark.parametrize(
    ("who", "needle"),
    [
        (
            "dead",
            "held, although pid {dead} named in it (overlay-merge bump --choice merge, "
            "since 2026-12-02T03:40:12Z) is no longer running: a process it started still has",
        ),
        ("nobody", "held by another process (it has not written its name"),
        (
            "elsewhere",
            "held by pid 4242 (overlay-merge build, since 2026-12-02T03:40:12Z, "
            "on host elsewhere.example)",
        ),
    ],
)
def test_a_lock_held_by_an_unexpected_process_is_reported_as_such(
    sample: Sample, who: str, needle: str
) -> None:
    dead = _dead_pid()
    contents = {
        "dead": {"pid": dead, "command": "bump --choice merge", "host": os.uname().nodename},
        "nobody": None,
        "elsewhere": {"pid": 4242, "command": "build", "host": "elsewhere.example"},
    }
    document = contents[who]
    text = "" if document is None else json.dumps({**document, "since": "2026-12-02T03:40:12Z"})
    _lock(sample).parent.mkdir(exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(_lock(sample)), text],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        before = _state(sample)
        for args in (["bump", "--choice", "merge"], ["init"], ["abort"]):
            _one_line_error(_run(sample, *args), needle.format(dead=dead), "fuser -v")
        assert _state(sample) == before
    finally:
        holder.communicate("\n", timeout=120)
    assert _run(sample, "bump", "--choice", "merge").returncode == 1  # free again


def test_a_lock_file_that_is_a_symlink_is_refused_not_followed(
    sample: Sample, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"mine\n")
    _lock(sample).parent.mkdir(exist_ok=True)
    os.symlink(elsewhere, _lock(sample))
    before = _state(sample)
    for args in (["bump", "--choice", "merge"], ["build"], ["init"]):
        # The layout check refuses any link under .git/overlay-merge before the lock is
        # opened; the lock's own O_NOFOLLOW check stays behind it (the next test).
        _one_line_error(_run(sample, *args), ".git/overlay-merge/lock: is a symlink")
    assert elsewhere.read_bytes() == b"mine\n" and _state(sample) == before


def test_hold_itself_refuses_a_symlinked_lock_file(sample: Sample, tmp_path: Path) -> None:
    # Behind the layout check: a caller of core/lock.py that skipped it.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"mine\n")
    _lock(sample).parent.mkdir(exist_ok=True)
    os.symlink(elsewhere, _lock(sample))
    with (
        pytest.raises(OverlayMergeError, match=r"not a regular file \(a symlink\?\)"),
        hold(_git_dir(sample), "bump --choice merge"),
    ):
        pass
    assert elsewhere.read_bytes() == b"mine\n"


# -- re-entrant in one process, not across a fork -------------------------------------


def test_the_lock_is_reentrant_within_one_process(sample: Sample) -> None:
    git_dir = _git_dir(sample)
    before = _state(sample)
    with hold(git_dir, "bump --choice merge"):
        with hold(git_dir, "resolve"):
            assert holds(git_dir)
        assert holds(git_dir)  # the inner release only counted
        assert json.loads(_lock(sample).read_bytes())["command"] == "bump --choice merge"
        _one_line_error(_run(sample, "init"), f"held by pid {os.getpid()}")
        # A core writer called while holding it (as the CLI does from plan to apply).
        deployment = open_at(load_layout(sample.deployment))
        assert apply_merge(deployment, plan_bump(deployment)).conflicts
        assert holds(git_dir)
    assert not holds(git_dir) and _lock(sample).read_bytes() == b""
    assert _run(sample, "abort").returncode == 0
    assert _state(sample) == before


def test_a_forked_child_does_not_inherit_the_right_to_reenter(sample: Sample) -> None:
    git_dir = _git_dir(sample)
    with hold(git_dir, "bump --choice merge"):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child's exit code is the result
            try:
                with hold(git_dir, "abort"):
                    os._exit(1)
            except OverlayMergeError as exc:
                os._exit(0 if f"held by pid {os.getppid()}" in str(exc) else 2)
            os._exit(3)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_error_inside_releases_the_lock(sample: Sample) -> None:
    git_dir = _git_dir(sample)
    with pytest.raises(OverlayMergeError), hold(git_dir, "resolve"):
        raise OverlayMergeError("inside")
    assert not holds(git_dir)
    assert _run(sample, "init").returncode == 0


# -- the lock file and the build record survive every writer --------------------------


def test_bumps_and_aborts_never_remove_the_lock_or_the_build_record(sample: Sample) -> None:
    assert _run(sample, "build").returncode == 0
    inode = _lock(sample).stat().st_ino
    builds = (_git_dir(sample) / "overlay-merge" / "builds").read_bytes()
    steps = [
        (["bump", "--choice", "merge"], 1),
        (["abort"], 0),
        (["build"], 0),  # refused its own folder before: the record was wiped by the bump
        (["bump", "--choice", "update"], 5),
        (["build", "--allow-drift"], 0),
        (["abort"], 0),
        (["bump", "--choice", "merge"], 1),
        (["resolve"], 3),  # markers left: refused
        (["abort"], 0),
        (["init"], 0),
        (["build"], 0),
    ]
    for args, code in steps:
        done = _run(sample, *args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert _lock(sample).stat().st_ino == inode, args
        assert (_git_dir(sample) / "overlay-merge" / "builds").read_bytes() == builds, args


def test_build_bump_abort_build(sample: Sample) -> None:
    assert _run(sample, "build").returncode == 0
    assert _run(sample, "bump", "--choice", "merge").returncode == 1
    assert _run(sample, "abort").returncode == 0
    done = _run(sample, "build")
    assert done.returncode == 0, done.stderr
    assert "built patched_skyportal/" in done.stdout


# -- a journal left at the old place by an earlier release ----------------------------


def _legacy(sample: Sample, phase: str) -> Path:
    """Leave a journal where releases before the lock kept it, in *phase*.

    An unfinished one is a real journal moved there (the bump it records is
    left as it is); a finished one is a copy, the real bump aborted.
    """
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    folder = _git_dir(sample) / "overlay-merge"
    document = json.loads((folder / "bump" / "journal.json").read_text())
    if phase == "done":
        (folder / "backups").mkdir()
        (folder / "backups" / "000000").write_bytes(b"old\n")
        assert run_cli(sample.deployment, "abort").exit_code == 0
    else:
        (folder / "bump" / "journal.json").unlink()
        (folder / "bump" / "backups").rename(folder / "backups")
        (folder / "bump").rmdir()
    (folder / "journal.json").write_text(json.dumps({**document, "phase": phase}))
    return folder / "journal.json"


@pytest.mark.parametrize("phase", ["merged", "applying", "damaged"])
def test_an_unfinished_journal_of_an_earlier_release_is_reported(
    sample: Sample, phase: str
) -> None:
    journal = _legacy(sample, phase)
    if phase == "damaged":
        journal.write_bytes(b"{not json")
    state = _state(sample)
    for args in (["status"], ["bump", "--choice", "merge"], ["abort"], ["resolve"], ["build"]):
        _one_line_error(
            _run(sample, *args),
            f"{journal}: a bump journal from an earlier overlay-merge version",
            "finish or abort it with that version, or remove",
        )
    assert _state(sample) == state and journal.exists()


def test_a_finished_journal_of_an_earlier_release_is_replaced_by_the_next_bump(
    sample: Sample,
) -> None:
    journal = _legacy(sample, "done")
    before = _state(sample)
    assert _run(sample, "status").returncode == 0
    # Nothing of ours to abort.
    _one_line_error(_run(sample, "abort"), "no bump in progress, so nothing to abort")
    assert _run(sample, "bump", "--choice", "merge").returncode == 1
    assert not journal.exists() and not (journal.parent / "backups").exists()
    assert _run(sample, "abort").returncode == 0
    assert _state(sample) == before


# -- the attack loop: pairs of writers started at the same moment ---------------------

# What each writer of a pair may answer: its exit code and a needle of the one
# line it prints (stdout for a success, stderr for a refusal).  A refusal by the
# lock is allowed for every command; so are the refusals of a command that ran
# wholly before or after the other (serialised).
MERGE = ["bump", "--choice", "merge"]
ALLOWED: dict[str, list[tuple[int, str]]] = {
    "bump": [(1, "files to resolve"), (3, "is in progress with 4 file(s) to resolve")],
    "abort": [(0, "aborted the bump to"), (3, "no bump in progress, so nothing to abort")],
    "resolve": [(3, "still holds conflict markers"), (3, "no bump in progress")],
    "build": [(0, "built patched_skyportal/"), (3, "refusing to build")],
}
PAIRS: dict[str, tuple[list[str], list[str], bool]] = {
    # name: (first, second, a bump is in progress before the pair)
    "bump+bump": (MERGE, MERGE, False),
    "bump+abort": (MERGE, ["abort"], False),
    "bump+resolve": (MERGE, ["resolve"], False),
    "bump+build": (MERGE, ["build"], False),
    "abort+abort": (["abort"], ["abort"], True),
}
ITERATIONS = 20
OUTCOMES: Counter[str] = Counter()


def _bytes_state(sample: Sample) -> dict[str, str]:
    """``_state`` hashed in this process (sha256 of the bytes, not a ``git hash-object``
    per file): as strict, cheap enough to take after every run of the loop."""
    root = sample.deployment
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if ".git" in rel.split("/"):
            continue
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digest[rel] = (
                f"{oct(path.stat().st_mode)}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
            )
    digest["<index>"] = hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest()
    for repo in ("skyportal", "skyportal/baselayer"):
        head = (root / ".git" / "modules" / repo.replace("/", "/modules/") / "HEAD").read_text()
        digest[f"<HEAD {repo}>"] = head + git(root / repo, "rev-parse", "HEAD")
    return digest


def _outcome(args: list[str], code: int, out: str, err: str) -> str:
    """``lock`` or ``ran``, after checking the answer is one *args* may give."""
    assert "Traceback" not in err and code != 99, err
    if code == 3:
        assert err.count("\n") == 1 and err.startswith("overlay-merge: "), err
        if HELD in err:
            return "lock"
    text = out if code in (0, 1) else err
    allowed = ALLOWED[args[0]]
    assert any(code == c and needle in text for c, needle in allowed), (args, code, out, err)
    return "ran"


@pytest.mark.parametrize("pair", list(PAIRS))
def test_writers_started_together_never_break_abort(sample: Sample, pair: str) -> None:
    first, second, bumped = PAIRS[pair]
    assert run_cli(sample.deployment, "build").exit_code == 0  # part of the state from now on
    clean, clean_bytes = _state(sample), _bytes_state(sample)
    launcher = _launcher
    assert launcher is not None
    for _ in range(ITERATIONS):
        if bumped:
            assert launcher.run(sample.deployment, MERGE)[0][0] == 1
        answers = launcher.run(sample.deployment, first, second)
        kinds = [_outcome(args, *a) for args, a in zip((first, second), answers, strict=True)]
        OUTCOMES[f"{pair}: {'/'.join(kinds)}"] += 1
        codes = [a[0] for a in answers]
        if pair == "bump+bump":
            assert sorted(codes) == [1, 3]  # exactly one bump applied
        if pair == "abort+abort":
            assert sorted(codes) == [0, 3]  # exactly one abort restored
        # Whatever the interleaving, abort gives back the state before the bump.
        journal = sample.deployment / ".git" / "overlay-merge" / "bump" / "journal.json"
        if journal.exists():
            code, out, err = launcher.run(sample.deployment, ["abort"])[0]
            assert code == 0, (out, err)
        assert _bytes_state(sample) == clean_bytes, (pair, answers)
    assert _state(sample) == clean
    assert sum(n for k, n in OUTCOMES.items() if k.startswith(f"{pair}:")) == ITERATIONS
    print(f"\n{pair}: {dict((k, n) for k, n in OUTCOMES.items() if k.startswith(pair))}")


def test_the_journal_is_never_written_without_the_lock(sample: Sample) -> None:
    git_dir = _git_dir(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    journal = load_journal(git_dir)
    assert journal is not None
    saved = (git_dir / JOURNAL).read_bytes()
    with pytest.raises(OverlayMergeError, match="without the write lock"):
        journal.save()
    with pytest.raises(OverlayMergeError, match="without the write lock"):
        new_journal(git_dir, "merge", journal.pin, journal.target)
    assert (git_dir / JOURNAL).read_bytes() == saved
    with hold(git_dir, "resolve"):
        journal.save()  # held: written
