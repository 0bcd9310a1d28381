"""The build manifest: what the last build wrote, so the next one touches only that.

``.overlay-build`` at the top of the build dir (docs/design.md §9) records,
per file a build wrote, its blob id and git mode as written, and the
``lstat`` signature (size, mtime, inode, mode) it had right after.  A file
whose signature still matches is taken as unchanged without being read; one
whose signature moved is hashed, so a file edited in the build dir is
recognized.  A file modified in the same timestamp tick as the manifest was
written cannot be told from it by its signature ("racily clean", as git's
index calls it): such files are hashed on every build.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.model import MODE_BLOB, MODE_EXEC, MODE_LINK

MANIFEST = ".overlay-build"
_FORMAT = 1
_HINT = "`overlay-merge build --clean` rebuilds the folder from scratch (and writes a new one)"


@dataclass(frozen=True)
class Recorded:
    """One file a build wrote: what it wrote and how it looked on disk right after."""

    oid: str
    mode: int
    size: int
    mtime_ns: int
    ino: int
    st_mode: int

    def matches(self, st: os.stat_result, manifest_ns: int) -> bool:
        """True if *st* is the signature recorded and not racily clean."""
        return (
            st.st_size == self.size
            and st.st_mtime_ns == self.mtime_ns
            and st.st_ino == self.ino
            and st.st_mode == self.st_mode
            and st.st_mtime_ns < manifest_ns
        )


@dataclass(frozen=True)
class Manifest:
    """The files the last build wrote (build-relative paths) and when it finished."""

    files: dict[str, Recorded]
    mtime_ns: int


def read_manifest(top: Path, shown: str) -> Manifest | None:
    """The manifest in build dir *top* (*shown* names it), or None if it has none."""
    path = top / MANIFEST
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        raise OverlayMergeError(f"{shown}/{MANIFEST}: not a regular file", _HINT)
    try:
        document = json.loads(path.read_bytes())
        files = {p: Recorded(*row) for p, row in document["files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise OverlayMergeError(f"{shown}/{MANIFEST}: not a build manifest", _HINT) from None
    if document.get("format") != _FORMAT:
        raise OverlayMergeError(
            f"{shown}/{MANIFEST}: format {document.get('format')!r}, this release reads {_FORMAT}",
            _HINT,
        )
    return Manifest(files, st.st_mtime_ns)


def write_manifest(top: Path, files: dict[str, Recorded], about: dict[str, Any]) -> None:
    """Write the manifest of *files* into *top* atomically (and durably: it is written last)."""
    document = {
        "format": _FORMAT,
        "written_by": "overlay-merge build",
        **about,
        "files": {
            path: [r.oid, r.mode, r.size, r.mtime_ns, r.ino, r.st_mode] for path, r in files.items()
        },
    }
    data = json.dumps(document, separators=(",", ":")).encode("ascii")
    write_bytes_atomic(top / MANIFEST, data, 0o644, tmp_name=f".{MANIFEST}.om-build.tmp")


def blob_id(data: bytes, like: str) -> str:
    """The git blob id of *data*, with the hash of id *like* (SHA-1, or SHA-256 repositories)."""
    algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    digest = algorithm(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def git_mode(st: os.stat_result) -> int | None:
    """The git mode of a file on disk (None for a folder or a special file)."""
    if stat.S_ISLNK(st.st_mode):
        return MODE_LINK
    if stat.S_ISREG(st.st_mode):
        return MODE_EXEC if st.st_mode & 0o100 else MODE_BLOB
    return None


def disk_blob(full: str, st: os.stat_result, like: str) -> tuple[str, int] | None:
    """The blob id and git mode of the file at *full* (never followed); None if it is no
    file or link."""
    mode = git_mode(st)
    if mode is None:
        return None
    if mode == MODE_LINK:
        data = os.fsencode(os.readlink(full))
    else:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read()
    return blob_id(data, like), mode


def signed(oid: str, mode: int, st: os.stat_result) -> Recorded:
    """The manifest entry of a file holding blob *oid* (git *mode*) whose lstat is *st*."""
    return Recorded(oid, mode, st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode)
