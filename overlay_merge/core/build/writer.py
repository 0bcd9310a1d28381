"""The writes of a build: files replaced atomically, removals, and what was done so far.

The writer keeps the manifest it is making up to date after every write and
removal, so that a build stopped half-way (a full disk, Ctrl-C) can record
exactly what the folder holds and the next build carries on from there.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from overlay_merge.core.build.manifest import Recorded, record
from overlay_merge.core.build.tree import Wanted
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.model import MODE_LINK

_O_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_TMP_SUFFIX = ".om-build.tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_name(name: str) -> str:
    """The temp file a build writes *name* through (recognizable, replaced when left over)."""
    if len(name) > 200:  # keep the temp name within NAME_MAX
        name = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()
    return f".{name}{_TMP_SUFFIX}"


def _write_file(full: str, data: bytes, mode: int, *, direct: bool, umask: int) -> None:
    """Write *data* at *full*: created new (*direct*, into an empty folder of the build's
    own) or replaced atomically through a temp file beside it; links never followed."""
    # Permissions as git checks files out: 0o777 or 0o666, minus the umask.
    perm = (0o777 if mode & 0o111 else 0o666) & ~umask
    if direct:
        if mode == MODE_LINK:
            os.symlink(os.fsdecode(data), full)
            return
        fd = os.open(full, _O_CREATE, perm)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return
    folder, name = os.path.split(full)
    if mode != MODE_LINK:
        write_bytes_atomic(Path(full), data, perm, tmp_name=temp_name(name), durable=False)
        return
    temp = os.path.join(folder, temp_name(name))
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)
    os.symlink(os.fsdecode(data), temp)
    try:
        os.replace(temp, full)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


class Writer:
    """Writes and removes files under the build dir *top*, keeping *files* (the manifest
    being made) true to what is on disk after each step."""

    def __init__(self, top: Path, shown: str, files: dict[str, Recorded], *, direct: bool) -> None:
        self.top = top
        self.base = os.fspath(top)
        self.shown = shown
        self.files = files
        self.direct = direct
        self.made: set[str] = {""}
        self.umask = _umask()
        self.written = 0
        self.removed = 0

    def write(self, path: str, wanted: Wanted) -> None:
        """Write *wanted* at *path*, creating the folders above it."""
        self.make_dirs(path)
        full = os.path.join(self.base, path)
        try:
            _write_file(full, wanted.read(), wanted.mode, direct=self.direct, umask=self.umask)
        except FileExistsError:
            raise OverlayMergeError(
                f"{self.shown}/{path}: the build names this path twice; refusing to build",
                "check the upstream commit (`git fsck`)",
            ) from None
        self.files[path] = record(full, wanted.oid, wanted.mode)
        self.written += 1

    def remove(self, path: str, keep_dirs: set[str]) -> None:
        """Remove the file or link *path* a build wrote, and the folders it leaves empty
        that the build no longer has (*keep_dirs* are the build's folders)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(self.base, path))
        self.files.pop(path, None)
        self.removed += 1
        parts = path.split("/")[:-1]
        for depth in range(len(parts), 0, -1):
            folder = "/".join(parts[:depth])
            if folder in keep_dirs:
                return
            try:
                os.rmdir(os.path.join(self.base, folder))
            except OSError:
                return  # not empty: it holds files no build wrote

    def clear_folder(self, path: str) -> None:
        """Remove the folder *path* emptied by the removals (only empty folders remain)."""
        full = os.path.join(self.base, path)
        for dirpath, _dirs, _files in os.walk(full, topdown=False):
            os.rmdir(dirpath)

    def make_dirs(self, path: str, *, itself: bool = False) -> None:
        """Create the folders above *path* (and *path* too if *itself*) not made yet."""
        parts = path.split("/") if itself else path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            if sub in self.made:
                continue
            full = os.path.join(self.base, sub)
            try:
                os.mkdir(full)
            except FileExistsError:
                if not stat.S_ISDIR(os.lstat(full).st_mode):
                    raise OverlayMergeError(
                        f"{self.shown}/{path}: {sub} is not a folder (a symlink or a file "
                        "appeared during the build); refusing to write through it",
                        "remove it, then build again",
                    ) from None
            self.made.add(sub)
