"""The overlay on disk: which files it holds, their modes and bytes.

Symlinks are overlay files of their own (mode 120000, content = the link
target, as git stores them) and are never followed, so a link pointing
outside the deployment can neither be read through nor written through.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import MODE_BLOB, MODE_EXEC, MODE_LINK
from overlay_merge.core.layout import Layout, require_no_symlink
from overlay_merge.core.paths import dotgit_problem, path_problem, read_regular


@dataclass(frozen=True)
class OverlayFile:
    """One file of the overlay: its overlay-relative POSIX path and git mode."""

    path: str
    mode: int


def _mode_of(st: os.stat_result) -> int | None:
    if stat.S_ISLNK(st.st_mode):
        return MODE_LINK
    if stat.S_ISREG(st.st_mode):
        return MODE_EXEC if st.st_mode & 0o100 else MODE_BLOB
    return None


def scan_overlay(
    layout: Layout, *, with_excluded: bool = False, repos: list[str] | None = None
) -> list[OverlayFile]:
    """Every overlay file not excluded by the layout, sorted by path bytes.

    *with_excluded* lists excluded files too: ``build`` copies them (exclude
    means "not merged or tracked", not "not deployed").  *repos*, if given,
    receives the overlay-relative folders skipped as repositories of their own.

    Raises a fixable error for names that cannot be recorded safely (not
    UTF-8, a ``.git`` component) and for special files (FIFOs, sockets).
    """
    top = layout.overlay_path
    if not top.exists():
        return []
    if top.is_symlink() or not top.is_dir():
        raise OverlayMergeError(
            f"{layout.overlay}: the overlay must be a directory, not a file or symlink",
            "set `overlay` in [tool.overlay-merge] to the overlay directory",
        )
    found: list[OverlayFile] = []
    _scan(layout, str(top), "", found, with_excluded, repos if repos is not None else [])
    found.sort(key=lambda f: f.path.encode("utf-8", "surrogateescape"))
    return found


_SPECIAL_HINT = "remove it, or add it to `exclude` in [tool.overlay-merge]"


def _scan(
    layout: Layout,
    directory: str,
    prefix: str,
    found: list[OverlayFile],
    with_excluded: bool,
    repos: list[str],
) -> None:
    # os.scandir's entries carry their lstat: one system call per file, no
    # pathlib objects (this runs for every overlay file of every command).
    with os.scandir(directory) as entries:
        for entry in entries:
            rel = prefix + entry.name
            # A symlink to a directory is a file for git (and never descended into).
            if entry.is_dir(follow_symlinks=False):
                # A repository of its own inside the overlay (a submodule of the
                # deployment, like Icare's data repositories) holds no overlay
                # files: git tracks it as one gitlink, and so it is left alone.
                if not os.path.lexists(os.path.join(entry.path, ".git")):
                    _scan(layout, entry.path, rel + "/", found, with_excluded, repos)
                else:
                    repos.append(rel)
                continue
            _refuse_dotgit(layout, rel)
            excluded = layout.is_excluded(rel)
            if excluded and not with_excluded:
                continue
            # Excluded files are copied by `build` but never named in
            # `.overlay-base`: a name that cannot be recorded (not UTF-8, a
            # newline) is fine for them, as the hint below promises.
            problem = None if excluded else path_problem(rel)
            if problem:
                raise OverlayMergeError(
                    f"{layout.overlay}/{_shown(rel)}: cannot be an overlay file: {problem}",
                    "rename it, or add it to `exclude` in [tool.overlay-merge]",
                )
            mode = _mode_of(entry.stat(follow_symlinks=False))
            if mode is None:
                raise OverlayMergeError(
                    f"{layout.overlay}/{_shown(rel)}: not a regular file or symlink",
                    _SPECIAL_HINT,
                )
            found.append(OverlayFile(rel, mode))


def _refuse_dotgit(layout: Layout, rel: str) -> None:
    """Refuse a name git itself refuses (``.git ``, ``git~1``...), excluded or not.

    git refuses it in any repository (``git add -A`` fails), and a build
    would copy it where NTFS or HFS+ reads it as ``.git``.
    """
    for part in rel.split("/"):
        problem = dotgit_problem(part)
        if problem:
            raise OverlayMergeError(
                f"{layout.overlay}/{_shown(rel)}: cannot be an overlay file: {problem}",
                "rename it; excluding it does not help, git refuses the name in any repository",
            )


def _shown(name: str) -> str:
    """*name* for a one-line message: undecodable bytes as ``\\xe9``, control
    characters (a newline, a terminal escape) as their escapes."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def read_overlay_bytes(layout: Layout, path: str) -> bytes:
    """The content of overlay file *path*: its bytes, or a symlink's target (not followed).

    Anything but a regular file or a link (a FIFO, a socket, a device, a
    folder) is refused with one line, never opened for a blocking read.
    """
    full = os.path.join(layout.overlay_path, path)
    if stat.S_ISLNK(os.lstat(full).st_mode):
        return os.fsencode(os.readlink(full))
    data = read_regular(Path(full), f"{layout.overlay}/{_shown(path)}", _SPECIAL_HINT)
    if data is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), full)
    return data


def safe_overlay_path(layout: Layout, path: str) -> Path:
    """The on-disk place of overlay *path*, refusing anything that could escape the overlay.

    The path must pass :func:`path_problem`, and no existing component
    between the overlay root and the file may be a symlink (writing through
    one could land anywhere).
    """
    problem = path_problem(path)
    if problem:
        raise OverlayMergeError(
            f"{layout.overlay}/{path[:200]!r}: refusing to write there: {problem}",
            "check the upstream commit's tree for hostile or broken names",
        )
    # The overlay's own folders first (a link may have appeared since the
    # layout was loaded), then the folders inside it.
    require_no_symlink(layout.root, "overlay", layout.overlay)
    here = layout.overlay_path
    for part in path.split("/")[:-1]:
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            raise OverlayMergeError(
                f"{layout.overlay}/{path}: {here.relative_to(layout.root)} is a symlink or "
                "a file, not a folder; refusing to write through it",
                "replace it with a real folder, or exclude the path",
            )
    return here / path.rsplit("/", maxsplit=1)[-1]
