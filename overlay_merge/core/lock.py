"""One writer at a time: the lock every command that writes holds while it writes.

``bump`` (applying a merge or an update), ``resolve`` (hunk choices and their
undo included), ``abort``, ``build`` and ``init`` each take it inside their
core entry point, so the CLI, the screens and any other caller are covered
alike; every precondition of a writer is checked while it is held.

The lock is ``fcntl.flock`` on ``<git dir>/overlay-merge/lock``.  The file is
created once and never deleted, renamed or replaced: flock belongs to an
inode, so a replaced file would let two processes each hold "the" lock.  The
kernel releases the lock when its holder dies, however it dies, so there is
no stale lock to break by hand: a file naming a dead process is simply taken
over.  The holder writes who it is into the file, in place (pid, command,
start time, host), so a refused writer can say who holds it; a holder whose
named process is dead (a process it started still has the file open) is
reported as such.

The lock is re-entrant within one process: a core function holding it may
call another that takes it (``take_hunks`` resolving a file, the CLI holding
it from plan to apply).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.deployment import open_deployment

FOLDER = "overlay-merge"
NAME = "lock"
# A holder writes its name right after flock succeeds and empties the file
# just before it lets go: a refused writer that finds the file empty tries
# again for this long before saying the holder is unnamed.
_NAME_WAIT = 0.2


@dataclass
class _Held:
    fd: int
    depth: int
    pid: int  # a forked child inherits the table, not the right to re-enter


_held: dict[str, _Held] = {}
_guard = threading.Lock()


def lock_path(git_dir: Path) -> Path:
    """The lock file of the deployment whose git dir is *git_dir*."""
    return git_dir / FOLDER / NAME


@contextlib.contextmanager
def hold(git_dir: Path, command: str) -> Iterator[None]:
    """Hold the deployment's write lock for the body; raise a fixable error if another has it.

    *command* is what the lock file names as the holder (``bump --choice
    merge``).  Re-entrant within one process: an inner ``hold`` of the same
    lock only counts.
    """
    path = lock_path(git_dir)
    key = os.path.realpath(git_dir)
    with _guard:
        held = _held.get(key)
        if held is not None and held.pid == os.getpid():
            held.depth += 1
        else:
            _held[key] = _Held(_acquire(path, command), 1, os.getpid())
    try:
        yield
    finally:
        with _guard:
            held = _held[key]
            held.depth -= 1
            if held.depth == 0:
                del _held[key]
                _release(held.fd)


@contextlib.contextmanager
def hold_deployment(root: Path, command: str) -> Iterator[None]:
    """:func:`hold` for the deployment repository at *root*."""
    with hold(open_deployment(root).git_dir, command):
        yield


P = ParamSpec("P")
R = TypeVar("R")


def writes(
    command: str,
) -> Callable[[Callable[Concatenate[Deployment, P], R]], Callable[Concatenate[Deployment, P], R]]:
    """Make a core entry point whose first argument is the deployment hold the lock throughout.

    A decorator rather than a ``with`` block in each body: the whole call,
    its precondition checks first, runs under the lock, and the entry point's
    own code stays as it is.
    """

    def decorate(
        function: Callable[Concatenate[Deployment, P], R],
    ) -> Callable[Concatenate[Deployment, P], R]:
        @wraps(function)
        def holding(deployment: Deployment, /, *args: P.args, **kwargs: P.kwargs) -> R:
            with hold_deployment(deployment.layout.root, command):
                return function(deployment, *args, **kwargs)

        return holding

    return decorate


def holds(git_dir: Path) -> bool:
    """True if this process holds the lock of *git_dir* now."""
    held = _held.get(os.path.realpath(git_dir))
    return held is not None and held.pid == os.getpid()


def _acquire(path: Path, command: str) -> int:
    """Open (creating it once) and flock the lock file; write who holds it; return its fd."""
    while True:
        folder = _folder_fd(path.parent)
        try:
            fd = _open_lock(path, folder)
        finally:
            os.close(folder)
        _flock_or_raise(path, fd)
        if _still_there(path, fd):
            _write_holder(fd, command)
            return fd
        os.close(fd)  # removed by hand between open and flock: lock the file there now


def _flock_or_raise(path: Path, fd: int) -> None:
    """Take the flock on *fd*, or close it and raise the error naming the holder.

    A holder writes its name right after taking the lock and empties the
    file just before letting go: while the file names nobody, try again for
    a moment (the lock is being taken or released) before saying so.
    """
    deadline = time.monotonic() + _NAME_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
        holder = _read_holder(fd)
        if holder is not None or time.monotonic() > deadline:
            os.close(fd)
            raise held_error(path, holder)
        time.sleep(0.01)


def _still_there(path: Path, fd: int) -> bool:
    """True if *fd* is the file at *path* (a lock on a removed file locks nobody out)."""
    try:
        there = os.lstat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)


def _folder_fd(folder: Path) -> int:
    """The lock's folder, made if missing, opened without following a symlink.

    A symlink (or a file) planted there is removed, never followed: the lock
    and the journal stay inside the git dir.
    """
    for _ in range(3):
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        try:
            return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
        # Another process may have replaced it already: only ever unlink a non-folder.
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                os.unlink(folder)
    raise OverlayMergeError(
        f"{folder}: keeps being replaced by a symlink or a file; refusing to lock through it",
        f"find what writes it; remove {folder} if no overlay-merge command runs",
    )


def _open_lock(path: Path, folder: int) -> int:
    """The lock file, opened read-write inside *folder*; created if missing, never truncated."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(NAME, flags, 0o644, dir_fd=folder)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        fd = -1
    if fd >= 0 and stat.S_ISREG(os.fstat(fd).st_mode):
        return fd
    if fd >= 0:
        os.close(fd)
    raise OverlayMergeError(
        f"{path}: not a regular file (a symlink?); refusing to use it as the write lock",
        f"remove {path} if no overlay-merge command runs, then retry",
    )


def _write_holder(fd: int, command: str) -> None:
    """Say who holds the lock, in the file itself (truncate and write: never a new inode)."""
    since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    who = {"pid": os.getpid(), "command": command, "since": since, "host": socket.gethostname()}
    data = (json.dumps(who, sort_keys=True) + "\n").encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _release(fd: int) -> None:
    """Forget the holder's name, then let go (closing releases the flock)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    os.close(fd)


def _read_holder(fd: int) -> dict[str, object] | None:
    """What the lock file says about its holder, or None if it names nobody."""
    try:
        document = json.loads(os.pread(fd, 4096, 0))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def held_error(path: Path, holder: dict[str, object] | None) -> OverlayMergeError:
    """The error for a writer refused because *holder* (as its lock file says) has the lock."""
    fuser = f"`fuser -v {path}` names the process that has it open"
    if holder is None:
        return OverlayMergeError(
            f"{path}: held by another process (it has not written its name: one starting "
            "just now, or one an earlier holder started)",
            f"wait for it to finish and retry; {fuser}",
        )
    pid = holder.get("pid")
    host = holder.get("host")
    what = f"overlay-merge {holder.get('command', '?')}, since {holder.get('since', '?')}"
    if host not in (None, socket.gethostname()):
        what += f", on host {host}"
    elif isinstance(pid, int) and not _alive(pid):
        return OverlayMergeError(
            f"{path}: held, although pid {pid} named in it ({what}) is no longer running: "
            "a process it started still has the lock",
            f"wait for that process to finish, or end it; {fuser}",
        )
    return OverlayMergeError(
        f"{path}: held by pid {pid} ({what})",
        f"wait for it to finish and retry; if no overlay-merge process runs, {fuser}",
    )


def _alive(pid: int) -> bool:
    """True if a process *pid* exists on this host (pids are reused: a hint, no proof)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
