"""Bring a build dir to the desired tree in place, touching only what builds wrote.

Like a checkout into a work tree: files whose content and mode are already
right are not touched (not even read when their ``lstat`` signature matches
the manifest), changed ones are replaced atomically (temp file + rename),
files a previous build wrote that the tree no longer has are removed, and
every file no build wrote is left alone — a file no build wrote in the way
of one the build must write is refused unless *adopt*.  Every folder on the
way to a file written or removed must be a real folder: a symlink planted
there is refused before anything is written, never followed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from overlay_merge.core.build.manifest import Manifest, Recorded, disk_blob, signed
from overlay_merge.core.build.tree import Desired
from overlay_merge.core.errors import OverlayMergeError, first_of


@dataclass
class Changes:
    """What a build will do to the build dir (build-relative paths)."""

    write: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Files a build wrote, edited since, that the tree no longer has: left in place."""
    edited: list[str] = field(default_factory=list)
    """Files a build wrote, edited since: rewritten (edits belong in the overlay)."""
    foreign: list[str] = field(default_factory=list)
    """Files no build wrote where the build writes one (written only with *adopt*)."""
    in_the_way: list[str] = field(default_factory=list)
    """Folders where the build writes a file."""
    refreshed: dict[str, Recorded] = field(default_factory=dict)
    """Unchanged files whose signature moved (a touch, a copy): recorded anew."""
    unchanged: int = 0


def _lstat(full: str) -> os.stat_result | None:
    try:
        return os.lstat(full)
    except (FileNotFoundError, NotADirectoryError):
        return None


def plan_changes(top: Path, desired: Desired, manifest: Manifest | None) -> Changes:
    """Compare *desired* with what is on disk under *top* and what *manifest* recorded."""
    recorded = manifest.files if manifest is not None else {}
    since = manifest.mtime_ns if manifest is not None else 0
    changes = Changes()
    base = os.fspath(top)
    for path, wanted in desired.files.items():
        full = os.path.join(base, path)
        st = _lstat(full)
        old = recorded.get(path)
        if st is None:
            changes.write.append(path)
            continue
        if stat.S_ISDIR(st.st_mode):
            changes.in_the_way.append(path)
            changes.write.append(path)
            continue
        # As the last build left it: its content is known without reading it.
        as_left = old is not None and old.matches(st, since)
        if as_left and old is not None and (old.oid, old.mode) == (wanted.oid, wanted.mode):
            changes.unchanged += 1
            continue
        on_disk = (old.oid, old.mode) if as_left and old else disk_blob(full, st, wanted.oid)
        if on_disk == (wanted.oid, wanted.mode):
            # Right already (a touch, a copy, a crashed build's write): record, do not write.
            changes.unchanged += 1
            fresh = signed(wanted.oid, wanted.mode, st)
            if fresh != old:
                changes.refreshed[path] = fresh
            continue
        changes.write.append(path)
        if old is None:
            changes.foreign.append(path)
        elif on_disk != (old.oid, old.mode):
            changes.edited.append(path)
    _plan_removals(base, desired, recorded, since, changes)
    return changes


def _plan_removals(
    base: str, desired: Desired, recorded: dict[str, Recorded], since: int, changes: Changes
) -> None:
    for path, old in recorded.items():
        if path in desired.files:
            continue
        full = os.path.join(base, path)
        st = _lstat(full)
        if st is None:
            continue
        if old.matches(st, since) or disk_blob(full, st, old.oid) == (old.oid, old.mode):
            changes.remove.append(path)
        else:
            changes.kept.append(path)


def check_changes(top: Path, shown: str, changes: Changes, *, adopt: bool) -> None:
    """Refuse, before any write, what the build must not do: write through a symlink,
    overwrite a file no build wrote (unless *adopt*), replace a folder holding such files."""
    if changes.foreign and not adopt:
        raise OverlayMergeError(
            f"{shown}/{first_of(changes.foreign)}: a file no build wrote is where the build "
            "writes one; refusing to overwrite it",
            "move it away, or `overlay-merge build --adopt` to overwrite such files",
        )
    removing = set(changes.remove)
    for path in changes.in_the_way:
        foreign = _foreign_below(top / path, path, removing)
        if foreign is not None:
            raise OverlayMergeError(
                f"{shown}/{path}: a folder where the build writes a file, holding {foreign}, "
                "which no build wrote; refusing to remove it",
                "move the folder away, or `overlay-merge build --clean`",
            )
    checked: dict[str, bool] = {"": True}
    for path in (*changes.remove, *changes.write):
        _check_folders(top, shown, path, removing, checked)


def _foreign_below(folder: Path, rel: str, removing: set[str]) -> str | None:
    """The first entry under *folder* the build will not remove (None: all will go)."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath).relative_to(folder).as_posix()
        prefix = rel if here == "." else f"{rel}/{here}"
        links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in (*filenames, *links):
            if f"{prefix}/{name}" not in removing:
                return f"{prefix}/{name}"
    return None


def _check_folders(
    top: Path, shown: str, path: str, removing: set[str], checked: dict[str, bool]
) -> None:
    """Every folder above *path* must be a real folder, absent, or something the build
    removes first (a link or file an earlier build wrote where a folder now goes)."""
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        if sub in checked:
            if not checked[sub]:
                return  # absent: nothing below it to check
            continue
        st = _lstat(os.path.join(top, sub))
        checked[sub] = st is not None and stat.S_ISDIR(st.st_mode)
        if st is None or sub in removing:
            checked[sub] = False
            return
        if stat.S_ISLNK(st.st_mode):
            raise OverlayMergeError(
                f"{shown}/{path}: {sub} is a symlink in the build dir; refusing to write "
                "through it",
                f"remove the link (`rm {shown}/{sub}`; what it points to stays), then build again",
            )
        if not stat.S_ISDIR(st.st_mode):
            raise OverlayMergeError(
                f"{shown}/{path}: {sub} is a file no build wrote, where the build needs a folder",
                "move it away, then build again",
            )
