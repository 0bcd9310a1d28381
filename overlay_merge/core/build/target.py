"""The build dir itself: where it may be, whose it is, and the fresh-folder swap of ``--clean``.

A build writes only into a folder a build made: one holding the manifest
(``.overlay-build``), one an earlier release recorded under the deployment's
git dir, an empty or missing one — or any folder with ``--adopt``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path

from overlay_merge.core.build.manifest import MANIFEST
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.deployment import open_deployment

_BUILDS = "overlay-merge/builds"


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


def checked_target(deployment: Deployment, *, adopt: bool) -> Path:
    """The build dir, refusing places a build must not write into."""
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
        # A build writes and removes files there: never the deployment's own.
        raise OverlayMergeError(
            f"{layout.build_dir}: holds files tracked by the deployment ({tracked}); "
            "a build writes and removes files there, so refusing",
            "choose a build dir of its own (and add it to .gitignore)",
        )
    if not adopt and is_foreign(final, repo.git_dir):
        raise OverlayMergeError(
            f"{layout.build_dir}: exists and was not made by `overlay-merge build`; "
            "refusing to write into it",
            f"to build into it in place (keeping files the build does not have), "
            f"`overlay-merge build --adopt`; to start afresh, remove it "
            f"(`rm -r {quote(layout.build_dir)}`)",
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    return final


def is_foreign(final: Path, git_dir: Path) -> bool:
    """True if *final* is a non-empty folder no build of this deployment made."""
    if not final.is_dir() or os.path.lexists(final / MANIFEST) or not any(final.iterdir()):
        return False
    try:
        made = (git_dir / _BUILDS).read_text("utf-8").splitlines()
    except FileNotFoundError:
        return True
    return str(final.resolve()) not in made


def record_build(final: Path, git_dir: Path) -> None:
    """Remember, in the deployment's git dir, that builds own *final*."""
    record = git_dir / _BUILDS
    record.parent.mkdir(parents=True, exist_ok=True)
    try:
        made = record.read_text("utf-8").splitlines()
    except FileNotFoundError:
        made = []
    path = str(final.parent.resolve() / final.name)
    if path not in made:
        write_bytes_atomic(record, "".join(f"{p}\n" for p in [*made, path]).encode("utf-8"))


def remove_leftovers(final: Path) -> None:
    """Delete temp and set-aside dirs that a killed ``--clean`` build left beside *final*."""
    # Only names make_sibling and swap_in give: a dot, the build dir's name,
    # tmp or old, and 16 hex digits.
    pattern = re.compile(rf"\.{re.escape(final.name)}\.(tmp|old)-[0-9a-f]{{16}}")
    for sibling in final.parent.iterdir():
        if pattern.fullmatch(sibling.name) and not sibling.is_symlink() and sibling.is_dir():
            shutil.rmtree(sibling, ignore_errors=True)


def make_sibling(final: Path, kind: str) -> Path:
    """A new empty directory beside *final*, named so leftovers are recognizable."""
    while True:
        candidate = final.parent / f".{final.name}.{kind}-{secrets.token_hex(8)}"
        try:
            # 0o777 minus the umask: the output gets the permissions of any new folder.
            candidate.mkdir(0o777)
        except FileExistsError:
            continue
        return candidate


def swap_in(temp: Path, final: Path) -> bool:
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
