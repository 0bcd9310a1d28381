"""Atomic file writes: temp file in the same directory, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace *path* with *data* so readers see the old or the new bytes, never half.

    The temp file lives beside the target so the final ``os.replace`` is a
    rename within one filesystem.  *mode* (permission bits) defaults to the
    existing file's, else 0o644.  A symlink at *path* is replaced, never
    written through.
    """
    if mode is None:
        try:
            st = os.lstat(path)
            mode = st.st_mode & 0o7777 if not os.path.islink(path) else 0o644
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
