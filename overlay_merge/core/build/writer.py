"""The writes of a build: files replaced atomically, removals, and what was done so far.

The writer keeps the manifest it is making up to date after every write and
removal, so that a build stopped half-way (a full disk, Ctrl-C) can record
exactly what the folder holds and the next build carries on from there.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from pathlib import Path

from overlay_merge.core.build.manifest import Recorded, signed
from overlay_merge.core.build.tree import Wanted
from overlay_merge.core.errors import OverlayMergeError
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


_O_FOLDER = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)


def _write_file(
    folder: int, name: str, data: bytes, mode: int, *, direct: bool, umask: int
) -> None:
    """Write *data* as *name* in the open folder *folder*: created new (*direct*, into an
    empty folder of the build's own) or replaced atomically through a temp file beside it.

    Every call is relative to the folder's descriptor, so a folder swapped for a
    symlink after it was opened cannot redirect the write; links are never followed.
    """
    # Permissions as git checks files out: 0o777 or 0o666, minus the umask.
    perm = (0o777 if mode & 0o111 else 0o666) & ~umask
    target = name if direct else temp_name(name)
    if not direct:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target, dir_fd=folder)
    try:
        if mode == MODE_LINK:
            os.symlink(os.fsdecode(data), target, dir_fd=folder)
        else:
            fd = os.open(target, _O_CREATE, perm, dir_fd=folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        if not direct:
            os.replace(target, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        if not direct:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target, dir_fd=folder)
        raise


class _Folders:
    """Open descriptors of the folders on the way to the current path, from the top.

    A build walks its paths in order, so only the chain of the current path's
    folders is kept open (a few descriptors, however large the tree).
    """

    def __init__(self, top: str) -> None:
        self.top = top
        self.chain: list[tuple[str, int]] = [("", os.open(top, _O_FOLDER))]

    def open(self, folder: str, *, create: bool) -> int:
        """The descriptor of *folder* (relative to the top), opened without following
        a link at any step; created on the way if *create*.  Raises NotADirectoryError
        for a component that is not a real folder (a symlink, a file)."""
        parts = folder.split("/") if folder else []
        keep = 1
        while keep < len(self.chain) and keep <= len(parts):
            if self.chain[keep][0] != "/".join(parts[:keep]):
                break
            keep += 1
        for _, fd in self.chain[keep:]:
            os.close(fd)
        del self.chain[keep:]
        for depth in range(keep, len(parts) + 1):
            parent, name = self.chain[-1][1], parts[depth - 1]
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=parent)
            try:
                fd = os.open(name, _O_FOLDER, dir_fd=parent)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    where = "/".join(parts[:depth])
                    raise NotADirectoryError(exc.errno, "not a folder", where) from None
                raise
            self.chain.append(("/".join(parts[:depth]), fd))
        return self.chain[-1][1]

    def close(self) -> None:
        for _, fd in self.chain:
            os.close(fd)
        self.chain = []


class Writer:
    """Writes and removes files under the build dir *top*, keeping *files* (the manifest
    being made) true to what is on disk after each step.  Use it as a context manager:
    it holds descriptors of the folders it works in."""

    def __init__(self, top: Path, shown: str, files: dict[str, Recorded], *, direct: bool) -> None:
        self.top = top
        self.shown = shown
        self.files = files
        self.direct = direct
        self.umask = _umask()
        self.written = 0
        self.removed = 0
        self.folders = _Folders(os.fspath(top))

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.folders.close()

    def write(self, path: str, wanted: Wanted) -> None:
        """Write *wanted* at *path*, creating the folders above it."""
        folder, name = _split(path)
        fd = self._folder(path, folder, create=True)
        try:
            _write_file(fd, name, wanted.read(), wanted.mode, direct=self.direct, umask=self.umask)
        except FileExistsError:
            raise OverlayMergeError(
                f"{self.shown}/{path}: the build names this path twice; refusing to build",
                "check the upstream commit (`git fsck`)",
            ) from None
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, os.path.join(self.top, path)) from None
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        self.files[path] = signed(wanted.oid, wanted.mode, st)
        self.written += 1

    def remove(self, path: str, keep_dirs: set[str]) -> None:
        """Remove the file or link *path* a build wrote, and the folders it leaves empty
        that the build no longer has (*keep_dirs* are the build's folders)."""
        folder, name = _split(path)
        try:
            fd = self._folder(path, folder, create=False)
            os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            pass
        self.files.pop(path, None)
        self.removed += 1
        parts = folder.split("/") if folder else []
        for depth in range(len(parts), 0, -1):
            sub = "/".join(parts[:depth])
            if sub in keep_dirs:
                return
            parent, last = _split(sub)
            try:
                os.rmdir(last, dir_fd=self._folder(path, parent, create=False))
            except OSError:
                return  # not empty: it holds files no build wrote

    def clear_folder(self, path: str) -> None:
        """Remove the folder *path* emptied by the removals (only empty folders remain)."""
        full = os.path.join(self.top, path)
        for dirpath, _dirs, _files in os.walk(full, topdown=False):
            os.rmdir(dirpath)

    def make_dirs(self, path: str, *, itself: bool = False) -> None:
        """Create the folders above *path* (and *path* too if *itself*) not made yet."""
        self._folder(path, path if itself else _split(path)[0], create=True)

    def _folder(self, path: str, folder: str, *, create: bool) -> int:
        """The open folder *folder* on the way to *path*; one that is not a real folder
        (a symlink or a file that appeared during the build) is refused."""
        try:
            return self.folders.open(folder, create=create)
        except NotADirectoryError as exc:
            raise OverlayMergeError(
                f"{self.shown}/{path}: {exc.filename} is not a folder (a symlink or a file "
                "appeared during the build); refusing to write through it",
                "remove it, then build again",
            ) from None


def _split(path: str) -> tuple[str, str]:
    """``("a/b", "c")`` for ``a/b/c``; ``("", "c")`` for ``c``."""
    folder, _, name = path.rpartition("/")
    return folder, name
