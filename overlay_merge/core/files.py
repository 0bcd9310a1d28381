"""Working-tree files as git sees them: bytes plus mode, symlinks as their target.

The bump, ``abort`` and their pre-flights read and write the working tree
only through these, so a symlink is never followed and every write is atomic.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.model import Side

MODE_FILE = 0o100644
MODE_EXEC = 0o100755
MODE_LINK = 0o120000


def working_state(full: Path) -> Side | None:
    """The bytes and git mode of the file or symlink at *full*; None if nothing is there.

    A folder (or anything else that is not a file) raises IsADirectoryError,
    so callers cannot mistake it for an absent file.
    """
    try:
        st = os.lstat(full)
    except (FileNotFoundError, NotADirectoryError):
        return None  # a file where a folder of the path would be: nothing there either
    if stat.S_ISLNK(st.st_mode):
        return Side(os.fsencode(os.readlink(full)), MODE_LINK)
    if not stat.S_ISREG(st.st_mode):
        raise IsADirectoryError(0, "not a regular file", os.fspath(full))
    with open(full, "rb") as fh:
        data = fh.read()
    return Side(data, MODE_EXEC if st.st_mode & 0o100 else MODE_FILE)


def blob_id(data: bytes) -> str:
    """The id git gives a blob holding *data* (what a tree entry records)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def write_file(full: Path, data: bytes, mode: int, tmp_name: str | None = None) -> None:
    """Atomically put *data* at *full* as a regular file (exec bit per *mode*) or symlink.

    A symlink or an empty folder at *full* is replaced, never written through.
    """
    full.parent.mkdir(parents=True, exist_ok=True)
    if full.is_dir() and not full.is_symlink():
        full.rmdir()  # only ever empty here: callers checked what was inside
    if mode == MODE_LINK:
        tmp = full.with_name(tmp_name or f".{full.name}.overlay-merge.tmp")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(os.fsdecode(data), tmp)
        os.replace(tmp, full)
        return
    if full.is_symlink():
        full.unlink()
    write_bytes_atomic(full, data, 0o755 if mode == MODE_EXEC else 0o644, tmp_name=tmp_name)


def remove_file(full: Path) -> None:
    """Delete the file or symlink at *full*, if any (never what a symlink points to)."""
    if full.is_symlink() or full.exists():
        full.unlink()
