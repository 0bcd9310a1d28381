"""Validation of paths from any input, and of the places they name on disk.

Every path that overlay-merge may one day write to (entries of
`.overlay-base`, upstream tree entries, overlay file names) passes through
:func:`path_problem`, so no input can name a place outside the overlay.
Every place in the deployment it reads or writes is reached through real
folders (:func:`first_symlink`), and every file it reads is read only if it
is a regular file (:func:`read_regular`), so a link, a FIFO or a device
planted where a file is expected can neither redirect a write nor hang a read.
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

from overlay_merge.core.errors import OverlayMergeError

# Code points HFS+ ignores in file names, so ".g\u200cit" *is* ".git" there
# (git's utf8.c, next_hfs_char; refused when core.protectHFS is on).
_HFS_IGNORED = frozenset(
    [0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF]
)
_HFS_DROP = dict.fromkeys(_HFS_IGNORED)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def path_problem(path: str) -> str | None:
    """Return why *path* is not a safe overlay-relative POSIX path, or None if it is.

    Accepted: non-empty, relative, ``/``-separated components, none of them
    empty, ``.``, ``..`` or a name git refuses as ``.git`` (any case, and the
    NTFS and HFS+ spellings of it, see :func:`dotgit_problem`), and no NUL,
    carriage return or newline anywhere.
    """
    if not path:
        return "empty path"
    for char, name in (("\x00", "NUL"), ("\n", "newline"), ("\r", "carriage return")):
        if char in path:
            return f"path contains a {name}"
    if path.startswith("/"):
        return "absolute path"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "path is not valid UTF-8"
    for part in path.split("/"):
        if part == "":
            return "empty path component (leading, trailing or doubled '/')"
        if part in (".", ".."):
            return f"'{part}' component"
        problem = dotgit_problem(part)
        if problem:
            return problem
    return None


def dotgit_problem(part: str) -> str | None:
    """Why git refuses the path component *part* as a spelling of ``.git``, or None.

    The rules of git's ``verify_path`` with ``core.protectNTFS`` and
    ``core.protectHFS`` (both on by default where they matter): ``.git`` in
    any ASCII case; on NTFS ``.git`` or its short name ``git~1`` followed only
    by dots and spaces up to the end or a ``:`` (``.git ``, ``git~1.``,
    ``.git::$INDEX_ALLOCATION``), also after a ``\\`` (a separator there); on HFS+ ``.git`` once the
    code points HFS+ ignores (zero-width joiners, direction marks, the BOM)
    are dropped.
    """
    quick = part.lower()
    if "g" not in quick or "i" not in quick or "t" not in quick:
        return None  # every spelling holds g, i and t (this runs for every file)
    lowered = part.translate(_ASCII_LOWER)
    if lowered == ".git":
        return "'.git' component"
    # git also reads a backslash as NTFS does, as a separator: `foo\.git`.
    for segment in lowered.split("\\"):
        for name in (".git", "git~1"):
            if segment.startswith(name) and _ntfs_tail(segment[len(name) :]):
                return f"{part!r} component: git refuses it (NTFS reads it as '.git')"
    if lowered.translate(_HFS_DROP) == ".git":
        shown = part.encode("unicode_escape").decode("ascii")
        return f"'{shown}' component: git refuses it (HFS+ reads it as '.git')"
    return None


def _ntfs_tail(rest: str) -> bool:
    """True if NTFS ignores *rest* after a ``.git`` (git's ``is_ntfs_dotgit``)."""
    for char in rest:
        if char == ":":
            return True  # an alternate data stream of `.git`
        if char not in ". ":
            return False
    return True


@dataclass(frozen=True)
class InTheWay:
    """A file-system entry found where overlay-merge needs a plain folder or file."""

    path: str
    mode: int  # its ``st_mode``


def first_symlink(root: Path, rel: str) -> InTheWay | None:
    """The first leading part of *rel* (``a``, ``a/b``...) under *root* that is in the way.

    That is a symlink at any depth, or anything but a folder above the last
    part (``cfg`` a file in ``cfg/.overlay-base``), with its ``st_mode``.
    Walks component by component from *root* with ``lstat``, never following
    a link; stops at the first part that does not exist (nothing below it
    exists either).  None if nothing is in the way.
    """
    here = root
    parts = rel.split("/")
    for depth, part in enumerate(parts, start=1):
        here = here / part
        try:
            mode = os.lstat(here).st_mode
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(mode) or (depth < len(parts) and not stat.S_ISDIR(mode)):
            return InTheWay("/".join(parts[:depth]), mode)
    return None


def file_kind(mode: int) -> str:
    """``a FIFO``, ``a socket``, ``a directory``... for a message about *mode*."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symlink"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path: Path, shown: str, hint: str, *, follow: bool = False) -> bytes | None:
    """The bytes of the regular file at *path*; None if nothing is there.

    Anything else (a FIFO, a socket, a device, a directory, a symlink)
    raises one line naming *shown* and *hint*, and is never opened for a
    blocking read: the file is ``lstat``-ed first, then opened with
    ``O_NONBLOCK | O_NOFOLLOW`` and checked again on the open descriptor (a
    swap between the two cannot make the read hang or follow a link).  With
    *follow*, a symlink to a regular file is read (only reading goes through it).
    """
    try:
        mode = (os.stat if follow else os.lstat)(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(mode):
        raise _not_a_file(shown, mode, hint)
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # became a link since the lstat
            raise _not_a_file(shown, stat.S_IFLNK, hint) from None
        raise
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise _not_a_file(shown, mode, hint)
        return handle.read()


def _not_a_file(shown: str, mode: int, hint: str) -> OverlayMergeError:
    return OverlayMergeError(f"{shown}: is {file_kind(mode)}, not a regular file", hint)


def require_real_folder(folder: Path, shown: str) -> None:
    """Raise if *folder*, or anything below it, is a symlink or a special file.

    For overlay-merge's own folder in the git dir (the bump journal, its
    backups, the build record): overlay-merge only ever puts regular files
    and folders there, so a link (writes and reads would follow it) or a
    FIFO (a read would hang) was planted, and nothing there is used.
    """
    try:
        mode = os.lstat(folder).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    odd: InTheWay | None = None
    if stat.S_ISLNK(mode):
        odd = InTheWay(str(folder), mode)
    elif stat.S_ISDIR(mode):
        odd = _odd_entry(str(folder))
    if odd is None:
        return
    full, mode = odd.path, odd.mode
    rel = os.path.relpath(full, folder)
    where = shown if rel == "." else f"{shown}/{rel}"
    raise OverlayMergeError(
        f"{where}: is {file_kind(mode)}; overlay-merge keeps only its own files and "
        "folders there and will not follow or read it",
        f"remove it (`rm {shlex.quote(full)}`; what a link points to stays as it is)",
    )


def _odd_entry(folder: str) -> InTheWay | None:
    """The first entry below *folder* that is neither a regular file nor a folder."""
    with os.scandir(folder) as entries:
        for entry in entries:
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                found = _odd_entry(entry.path)
                if found is not None:
                    return found
            elif not stat.S_ISREG(mode):
                return InTheWay(entry.path, mode)
    return None
