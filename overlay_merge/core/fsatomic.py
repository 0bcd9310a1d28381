"""Atomic file writes: temp file in the same directory, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes_atomic(
    path: Path,
    data: bytes,
    mode: int | None = None,
    *,
    tmp_name: str | None = None,
    durable: bool = True,
) -> None:
    """Replace *path* with *data* so readers see the old or the new bytes, never half.

    The temp file lives beside the target so the final ``os.replace`` is a
    rename within one filesystem.  *mode* (permission bits) defaults to the
    existing file's, else 0o644.  A symlink at *path* is replaced, never
    written through.  *tmp_name* names the temp file (a bump names its own,
    so that ``abort`` removes exactly the ones a killed write left, and
    nothing a user made); a leftover of that name is replaced.  *durable*
    False skips the fsync: readers still see old or new bytes, but a power
    loss may lose the write (a build writing thousands of files, each
    rewritten by the next build, does without it).
    """
    if mode is None:
        try:
            st = os.lstat(path)
            mode = st.st_mode & 0o7777 if not os.path.islink(path) else 0o644
        except FileNotFoundError:
            mode = 0o644
    try:
        if tmp_name is None:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        else:
            tmp = os.path.join(path.parent, tmp_name)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """*exc* as the error of writing *path*.

    A full disk fails ``write`` with no file name at all, and a refused
    rename names the temp file: either way the user would not learn which
    file could not be written.  The errno (and so the subclass, e.g.
    PermissionError) is kept.
    """
    return OSError(exc.errno, exc.strerror or str(exc), os.fspath(path))
