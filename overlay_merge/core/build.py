"""``build``: the upstream at the pin, from git objects, with the overlay copied over it.

The output is written from the object stores (nested submodules read at the
gitlinks the pin records), never from the working trees, so it is exactly
the pinned upstream plus the overlay whatever is checked out: no ``.git``,
symlinks written as symlinks, exec bits kept.

The swap is as atomic as directories allow: the build goes into a temp
sibling (``.patched_skyportal.tmp-XXXXXXXX``); only when it is complete is
the previous output renamed aside, the new one renamed in and the old one
deleted.  A failed or interrupted build removes its temp dir and leaves the
previous output untouched.

Nothing is written outside the build dir and its temp siblings: every
upstream tree entry name is validated (``iter_files``), directories are
created by the build itself (so no component can be a symlink planted by
someone else), files are created with ``O_EXCL | O_NOFOLLOW``, and an overlay
file whose folder is an upstream symlink is refused rather than written
through the link.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, first_of, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.git.model import MODE_LINK, SkippedSubmodule
from overlay_merge.core.journal import BumpProgress
from overlay_merge.core.lock import writes
from overlay_merge.core.markers import has_conflict_markers
from overlay_merge.core.model import StatusState
from overlay_merge.core.overlay import read_overlay_bytes, scan_overlay
from overlay_merge.core.ownlines import own_lines
from overlay_merge.core.status import FileStatus, StatusResult, compute_status

# Unrecorded files count as drift: without a base nobody can say they are current.
DRIFT_STATES = (StatusState.STALE, StatusState.UNRECORDED)
_O_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True)
class BuildResult:
    """What ``build`` did (or, when the overlay drifted, would not do)."""

    upstream: str
    pin: str
    build_dir: str
    built: bool
    drift: tuple[FileStatus, ...] = ()
    upstream_files: int = 0
    symlinks: int = 0
    replaced: tuple[str, ...] = ()
    """Overlay files written over an upstream file."""
    added: tuple[str, ...] = ()
    """Overlay files with no upstream file at their path."""
    skipped: tuple[SkippedSubmodule, ...] = ()
    replaced_previous: bool = False
    seconds: float = 0.0


def build_dir_argument(root: Path, given: Path, cwd: Path) -> str:
    """The deployment-relative path of a build DIR given on the command line.

    *given* is relative to *cwd* (where the command runs).  Symlinks in the
    existing part of the path are resolved, so a link cannot smuggle the
    build out of the deployment; :func:`load_layout` then validates the
    result like a configured ``build-dir`` (inside, no overlap).
    """
    full = (given if given.is_absolute() else cwd.resolve() / given).resolve()
    try:
        rel = full.relative_to(root.resolve())
    except ValueError:
        raise OverlayMergeError(
            f"{given}: outside the deployment ({root}); the build dir must be inside it",
            "give a folder inside the deployment, e.g. `overlay-merge build patched_skyportal`",
        ) from None
    return rel.as_posix()


@writes("build")
def build(
    deployment: Deployment, *, pinned: bool = False, allow_drift: bool = False
) -> BuildResult:
    """Materialize the upstream at the pin with the overlay over it, into the build dir.

    Refused (error) while a bump is half-written or an overlay file holds
    conflict markers.  When overlay files drifted from the pin (stale or
    unrecorded) nothing is built unless *allow_drift*.
    """
    started = time.monotonic()
    layout = deployment.layout
    status = compute_status(deployment, pinned=pinned)
    _refuse_unfinished(status, deployment)
    drift = tuple(f for f in status.files if f.state in DRIFT_STATES)
    if drift and not allow_drift:
        return BuildResult(layout.upstream, status.pin, layout.build_dir, built=False, drift=drift)
    final = _checked_target(deployment)
    _remove_leftovers(final)
    temp = _make_sibling(final, "tmp")
    try:
        counts = _materialize(deployment, status.pin, temp)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _record_build(final, open_deployment(layout.root).git_dir)
    replaced_previous = _swap_in(temp, final)
    return BuildResult(
        layout.upstream,
        status.pin,
        layout.build_dir,
        built=True,
        drift=drift,
        upstream_files=counts.files,
        symlinks=counts.symlinks,
        replaced=tuple(counts.replaced),
        added=tuple(counts.added),
        skipped=tuple(counts.skipped),
        replaced_previous=replaced_previous,
        seconds=time.monotonic() - started,
    )


def _refuse_unfinished(status: StatusResult, deployment: Deployment) -> None:
    layout = deployment.layout
    if status.bump == BumpProgress.INTERRUPTED:
        raise OverlayMergeError(
            "a bump was interrupted while writing the overlay; building now would ship "
            "a half-merged overlay",
            "overlay-merge abort",
        )
    # Unrecorded files are not looked into by status: markers there count too.
    pending = [
        f.path
        for f in status.files
        if f.state == StatusState.CONFLICT_PENDING
        or (
            f.state == StatusState.UNRECORDED and _unrecorded_marked(deployment, f.path, status.pin)
        )
    ]
    if pending:
        raise OverlayMergeError(
            f"{layout.overlay}/{first_of(pending)}: conflict markers or an unresolved conflict; "
            "refusing to build",
            "resolve the conflicts, then `overlay-merge resolve`",
        )


def _unrecorded_marked(deployment: Deployment, path: str, pin: str) -> bool:
    """True if unrecorded overlay file *path* holds a conflict marker line."""
    data = read_overlay_bytes(deployment.layout, path)
    return has_conflict_markers(data, own_lines(deployment, path, base=None, target=pin))


def _checked_target(deployment: Deployment) -> Path:
    """The build dir, refusing places a build must not replace."""
    layout = deployment.layout
    final = layout.build_path
    root = layout.root.resolve()
    parent = final.parent.resolve()
    if parent != root and root not in parent.parents:
        raise OverlayMergeError(
            f"{layout.build_dir}: its folder resolves to {parent}, outside the deployment "
            "(a symlink in the path)",
            "set `build-dir` to a path without symlinks inside the deployment",
        )
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise OverlayMergeError(
            f"{layout.build_dir}: exists and is a symlink or a file, not a build folder; "
            "refusing to replace it",
            f"remove it (`rm {quote(layout.build_dir)}`) or choose another build dir",
        )
    repo = open_deployment(layout.root)
    tracked = repo.tracked_under(layout.build_dir)
    if tracked is not None:
        # A build replaces the whole folder: never one holding the deployment's own files.
        raise OverlayMergeError(
            f"{layout.build_dir}: holds files tracked by the deployment ({tracked}); "
            "a build replaces the whole folder, so refusing",
            "choose a build dir of its own (and add it to .gitignore)",
        )
    if _is_foreign(final, repo.git_dir):
        # A build replaces the whole folder: only ever one a build of ours made.
        raise OverlayMergeError(
            f"{layout.build_dir}: exists and was not made by `overlay-merge build`; "
            "a build replaces the whole folder, so refusing",
            f"if it is an old build by another tool, remove it (`rm -r {quote(layout.build_dir)}`) "
            "and retry; otherwise choose another build dir",
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    return final


_BUILDS = "overlay-merge/builds"


def _is_foreign(final: Path, git_dir: Path) -> bool:
    """True if *final* is a non-empty folder no build of this deployment made."""
    if not final.is_dir() or not any(final.iterdir()):
        return False
    try:
        made = (git_dir / _BUILDS).read_text("utf-8").splitlines()
    except FileNotFoundError:
        return True
    return str(final.resolve()) not in made


def _record_build(final: Path, git_dir: Path) -> None:
    """Remember, in the deployment's git dir, that builds own *final* (not the output itself,
    which stays exactly upstream plus overlay)."""
    record = git_dir / _BUILDS
    record.parent.mkdir(parents=True, exist_ok=True)
    try:
        made = record.read_text("utf-8").splitlines()
    except FileNotFoundError:
        made = []
    path = str(final.parent.resolve() / final.name)
    if path not in made:
        write_bytes_atomic(record, "".join(f"{p}\n" for p in [*made, path]).encode("utf-8"))


def _remove_leftovers(final: Path) -> None:
    """Delete temp and set-aside dirs that a killed build left beside *final*."""
    # Only names _make_sibling and _swap_in give: a dot, the build dir's name,
    # tmp or old, and 16 hex digits.
    pattern = re.compile(rf"\.{re.escape(final.name)}\.(tmp|old)-[0-9a-f]{{16}}")
    for sibling in final.parent.iterdir():
        if pattern.fullmatch(sibling.name) and not sibling.is_symlink() and sibling.is_dir():
            shutil.rmtree(sibling, ignore_errors=True)


def _make_sibling(final: Path, kind: str) -> Path:
    """A new empty directory beside *final*, named so leftovers are recognizable."""
    while True:
        candidate = final.parent / f".{final.name}.{kind}-{secrets.token_hex(8)}"
        try:
            # 0o777 minus the umask: the output gets the permissions of any new folder.
            candidate.mkdir(0o777)
        except FileExistsError:
            continue
        return candidate


def _swap_in(temp: Path, final: Path) -> bool:
    """Put the finished build *temp* at *final*; True if a previous build was replaced."""
    if not os.path.lexists(final):
        os.rename(temp, final)
        return False
    old = final.parent / f".{final.name}.old-{secrets.token_hex(8)}"
    os.rename(final, old)
    try:
        os.rename(temp, final)
    except BaseException:
        os.rename(old, final)
        shutil.rmtree(temp, ignore_errors=True)
        raise
    shutil.rmtree(old)
    return True


@dataclass
class _Counts:
    files: int = 0
    symlinks: int = 0
    replaced: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    skipped: list[SkippedSubmodule] = field(default_factory=list)


def _materialize(deployment: Deployment, pin: str, top: Path) -> _Counts:
    """Write the upstream files at *pin*, then the overlay, under the empty folder *top*."""
    layout = deployment.layout
    writer = _TreeWriter(top)
    counts = _Counts()
    for item in deployment.upstream.iter_files(pin, counts.skipped):
        writer.create(item.path, item.data, item.mode, source=layout.upstream)
        counts.files += 1
        counts.symlinks += item.mode == MODE_LINK
    for missing in counts.skipped:
        # As git leaves an uninitialized submodule: an empty folder.
        writer.make_dirs(missing.path, source=layout.upstream, itself=True)
    for overlay_file in scan_overlay(layout, with_excluded=True):
        data = read_overlay_bytes(layout, overlay_file.path)
        existed = writer.replace(overlay_file.path, data, overlay_file.mode, layout.overlay)
        (counts.replaced if existed else counts.added).append(overlay_file.path)
    return counts


def _write_file(target: Path, data: bytes, mode: int) -> None:
    """Create *target* (must not exist; a symlink there is not followed) holding *data*."""
    if mode == MODE_LINK:
        os.symlink(os.fsdecode(data), target)
        return
    # Permissions as git checks files out: 0o777 or 0o666, minus the umask.
    fd = os.open(target, _O_CREATE, 0o777 if mode & 0o111 else 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class _TreeWriter:
    """Writes files under a folder it created, tracking every folder and link it made.

    Only folders this writer created are written into, so no path component
    can be a symlink: an upstream symlink where a folder is needed is an error.
    """

    def __init__(self, top: Path) -> None:
        self.top = top
        self.dirs: set[str] = {""}
        self.links: set[str] = set()

    def create(self, path: str, data: bytes, mode: int, *, source: str) -> None:
        """Write the new file *path* (from *source*, for messages)."""
        self.make_dirs(path, source=source)
        try:
            _write_file(self.top / path, data, mode)
        except FileExistsError:
            raise OverlayMergeError(
                f"{source}/{path}: the tree names this path twice; refusing to build from it",
                "check the upstream commit (`git fsck`)",
            ) from None
        if mode == MODE_LINK:
            self.links.add(path)

    def replace(self, path: str, data: bytes, mode: int, source: str) -> bool:
        """Write *path* over whatever upstream file or link is there; True if one was."""
        if path in self.dirs:
            raise OverlayMergeError(
                f"{source}/{path}: the upstream has a folder at this path; cannot copy a file "
                "over it",
                "rename or move the overlay file",
            )
        self.make_dirs(path, source=source)
        target = self.top / path
        existed = os.path.lexists(target)
        if existed:
            os.unlink(target)  # a file or a link (never followed); folders are refused above
            self.links.discard(path)
        _write_file(target, data, mode)
        return existed

    def make_dirs(self, path: str, *, source: str, itself: bool = False) -> None:
        """Create the folders above *path* (and *path* too if *itself*) not made yet."""
        parts = path.split("/") if itself else path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            if sub in self.dirs:
                continue
            if sub in self.links:
                raise OverlayMergeError(
                    f"{source}/{path}: {sub} is a symlink in the upstream; refusing to write "
                    "through it",
                    "place the overlay file at the link's target path instead",
                )
            try:
                (self.top / sub).mkdir()
            except FileExistsError:
                raise OverlayMergeError(
                    f"{source}/{path}: {sub} is a file in the upstream, not a folder",
                    "rename or move the overlay file",
                ) from None
            self.dirs.add(sub)
