"""What a build must hold: the upstream at the pin, the overlay over it, the overlay's
own repositories, each file by blob id (read only when it must be written)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from overlay_merge.core.build.manifest import MANIFEST, blob_id
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import MODE_LINK, SkippedSubmodule
from overlay_merge.core.git.overlayrepos import NestedRepo, overlay_repos
from overlay_merge.core.overlay import read_overlay_bytes, scan_overlay


@dataclass(frozen=True)
class Wanted:
    """A file the build holds: blob id, git mode, and how to read its bytes."""

    oid: str
    mode: int
    read: Callable[[], bytes] = field(repr=False, compare=False)


@dataclass
class Desired:
    """The whole build, build-relative paths in the order they are written."""

    files: dict[str, Wanted] = field(default_factory=dict)
    empty_dirs: list[str] = field(default_factory=list)
    """Nested upstream submodules not initialized: empty folders, as git leaves them."""
    upstream_files: int = 0
    symlinks: int = 0
    replaced: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    skipped: list[SkippedSubmodule] = field(default_factory=list)
    repos: list[NestedRepo] = field(default_factory=list)
    plain_repos: list[str] = field(default_factory=list)
    """Folders of the overlay with a ``.git`` of their own that no gitlink records."""
    _links: set[str] = field(default_factory=set)
    _dirs: set[str] = field(default_factory=set)

    def dirs(self) -> set[str]:
        """Every folder the build holds (``""`` the top)."""
        return {*self._dirs, *self.empty_dirs}

    def add_upstream(self, path: str, wanted: Wanted, source: str) -> None:
        if path in self.files:
            raise OverlayMergeError(
                f"{source}/{path}: the tree names this path twice; refusing to build from it",
                "check the upstream commit (`git fsck`)",
            )
        self.files[path] = wanted
        self._note(path, wanted.mode)

    def lay_over(self, path: str, wanted: Wanted, source: str) -> bool:
        """Put *wanted* at *path* over the upstream's file; True if there was one."""
        if path in self._dirs:
            raise OverlayMergeError(
                f"{source}/{path}: the upstream has a folder at this path; cannot copy a file "
                "over it",
                "rename or move the overlay file",
            )
        self._check_folders(path, source)
        existed = path in self.files
        self.files[path] = wanted
        self._note(path, wanted.mode)
        return existed

    def _note(self, path: str, mode: int) -> None:
        if mode == MODE_LINK:
            self._links.add(path)
        else:
            self._links.discard(path)
        parts = path.split("/")[:-1]
        for depth in range(len(parts), 0, -1):
            folder = "/".join(parts[:depth])
            if folder in self._dirs:
                break
            self._dirs.add(folder)

    def _check_folders(self, path: str, source: str) -> None:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            if sub in self._links:
                raise OverlayMergeError(
                    f"{source}/{path}: {sub} is a symlink in the upstream; refusing to write "
                    "through it",
                    "place the overlay file at the link's target path instead",
                )
            if sub in self.files:
                raise OverlayMergeError(
                    f"{source}/{path}: {sub} is a file in the upstream, not a folder",
                    "rename or move the overlay file",
                )


def desired_tree(deployment: Deployment, pin: str) -> Desired:
    """The build of *deployment* at *pin*: upstream files, then the overlay, then the
    overlay's nested repositories (at the gitlinks the deployment's HEAD records)."""
    layout = deployment.layout
    desired = Desired()
    for item in deployment.upstream.iter_blobs(pin, desired.skipped):
        desired.add_upstream(item.path, Wanted(item.oid, item.mode, item.read), layout.upstream)
        desired.upstream_files += 1
        desired.symlinks += item.mode == MODE_LINK
    desired.empty_dirs = [s.path for s in desired.skipped]
    like = next(iter(desired.files.values())).oid if desired.files else "0" * 40
    repos: list[str] = []
    for overlay_file in scan_overlay(layout, with_excluded=True, repos=repos):
        data = read_overlay_bytes(layout, overlay_file.path)
        wanted = Wanted(blob_id(data, like), overlay_file.mode, partial(_given, data))
        existed = desired.lay_over(overlay_file.path, wanted, layout.overlay)
        (desired.replaced if existed else desired.added).append(overlay_file.path)
    _lay_repos(deployment, desired, repos)
    if MANIFEST in desired.files:
        raise OverlayMergeError(
            f"{MANIFEST}: the build would hold a file of this name, which is the build's "
            "own record",
            "rename that file in the upstream or the overlay",
        )
    return desired


def _given(data: bytes) -> bytes:
    return data


def _lay_repos(deployment: Deployment, desired: Desired, found: list[str]) -> None:
    """Lay the overlay's own repositories (Icare's data submodules) over the build."""
    layout = deployment.layout
    desired.repos = overlay_repos(layout.root, layout.overlay, desired.skipped)
    recorded = {repo.path for repo in desired.repos}
    desired.plain_repos = [p for p in found if p not in recorded]
    for repo in desired.repos:
        for item in repo.blobs:
            wanted = Wanted(item.oid, item.mode, item.read)
            desired.lay_over(item.path, wanted, f"{layout.overlay}/{repo.path}")
            repo.files += 1
