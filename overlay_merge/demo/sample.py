"""The sample deployment: :func:`make_sample` and what it returns, :class:`Sample`."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from overlay_merge.core.basefile import write_base_file
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.demo._git import SAMPLE_EPOCH, GitCommandError, commit, git
from overlay_merge.demo.content import read_texts
from overlay_merge.demo.upstreams import LOGO, LOGO_OVERLAY, build_upstreams

UPSTREAM_DIR = "skyportal"
OVERLAY_DIR = "extensions/skyportal"
BASE_FILE = ".overlay-base"

_HOUR = 3600
_EXPECTED = {
    "baselayer/app/app_server.py": "clean",
    "baselayer/app/auth/IAMOAuth2.py": "unchanged",
    "skyportal/enum_types.py": "unchanged",
    "skyportal/facility_apis/grandma_api.py": "unchanged",
    "skyportal/handlers/api/instrument.py": "added-upstream",
    "skyportal/handlers/api/legacy.py": "deleted-upstream",
    "skyportal/handlers/api/source.py": "clean",
    "skyportal/initial_setup.py": "conflict",
    "skyportal/models/group.py": "converged",
    "skyportal/utils/calculations.py": "renamed-upstream",
    "static/img/logo.png": "binary",
    "tools/check_env.sh": "unchanged",
}
_RENAMED_TO = {"skyportal/utils/calculations.py": "skyportal/utils/calc.py"}
_BASE_S0_PATHS = frozenset({"skyportal/enum_types.py"})
_EXECUTABLE = "tools/check_env.sh"


@dataclass(frozen=True)
class Sample:
    """What :func:`make_sample` built: paths, commit ids and the designed outcome."""

    root: Path
    deployment: Path
    upstream_remote: Path
    baselayer_remote: Path
    commits: Mapping[str, str]
    """``{"s0", "s1", "s2", "b1", "b2"}`` -> full hex commit id."""
    expected: Mapping[str, str]
    """Overlay path -> docs/design.md §5 state of a bump s1 -> s2."""
    renamed_to: Mapping[str, str]
    """Overlay path -> its new upstream path at s2 (renamed-upstream files)."""

    @property
    def upstream(self) -> Path:
        """The upstream submodule's working tree, ``deployment/skyportal``."""
        return self.deployment / UPSTREAM_DIR

    @property
    def overlay(self) -> Path:
        """The overlay root, ``deployment/extensions/skyportal``."""
        return self.deployment / OVERLAY_DIR

    @property
    def base_file(self) -> Path:
        """The deployment's ``.overlay-base``."""
        return self.deployment / BASE_FILE


def _build_deployment(
    deployment: Path, upstream_remote: Path, commits: Mapping[str, str], when: int
) -> None:
    """Clone the upstream as a submodule pinned at s1 and commit the overlay."""
    deployment.mkdir()
    git(deployment, "init", "-q")
    # The clone checks out origin/main (s2); move the local branch main back
    # to s1 so that main@{upstream} (origin/main, s2) is the next bump target.
    git(deployment, "submodule", "add", "-q", str(upstream_remote), UPSTREAM_DIR)
    git(deployment / UPSTREAM_DIR, "reset", "-q", "--hard", commits["s1"])
    git(deployment, "add", UPSTREAM_DIR)
    # Initializes the nested baselayer at s1's gitlink (b1), detached; the
    # already-matching skyportal checkout (branch main) is left as it is.
    git(deployment, "submodule", "update", "-q", "--init", "--recursive")

    overlay = {**read_texts("overlay"), LOGO: LOGO_OVERLAY}
    write_base_file(
        deployment / BASE_FILE,
        {path: commits["s0"] if path in _BASE_S0_PATHS else commits["s1"] for path in overlay},
    )
    git(deployment, "add", BASE_FILE)
    files: dict[str, bytes | None] = {f"{OVERLAY_DIR}/{p}": data for p, data in overlay.items()}
    files.update(read_texts("deployment"))
    commit(
        deployment,
        files,
        "Vendor SkyPortal at 1.1 with the Icare overlay",
        when=when,
        executable=(f"{OVERLAY_DIR}/{_EXECUTABLE}",),
    )


def _check_root(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise OverlayMergeError(
            f"{root}: exists and is not a folder; the sample needs an empty folder",
            "give `overlay-merge demo` a new folder name",
        )
    if root.is_dir() and any(root.iterdir()):
        raise OverlayMergeError(
            f"{root}: not empty; the sample is only generated into an empty or new folder",
            "give `overlay-merge demo` a new folder name",
        )


def make_sample(root: Path) -> Sample:
    """Generate the sample deployment and its upstream remotes under *root*.

    *root* must be empty or not exist.  On failure whatever was created
    under it is removed again.  Raises :class:`OverlayMergeError` when *root*
    is not usable.
    """
    root = root.absolute()
    _check_root(root)
    root.mkdir(parents=True, exist_ok=True)
    remotes = root / "remotes"
    deployment = root / "deployment"
    work = root / ".work"
    # One shared clock: commits of both upstreams are an hour apart, in the
    # order they were "made" (b2 before the s2 that bumps to it).
    clock = itertools.count(SAMPLE_EPOCH, _HOUR)
    try:
        remotes.mkdir()
        commits = build_upstreams(work, remotes, clock)
        shutil.rmtree(work)
        _build_deployment(deployment, remotes / "skyportal.git", commits, next(clock))
    except BaseException as exc:
        # root was empty at the start: everything in it is ours to remove.
        for child in root.iterdir():
            shutil.rmtree(child, ignore_errors=True)
        if isinstance(exc, GitCommandError):
            # The user's git refused a step (too old, broken install): one line.
            raise OverlayMergeError(
                f"demo: git failed making the sample in {root}: {exc}",
                "check that `git --version` works, then retry with an empty folder",
            ) from exc
        raise
    return Sample(
        root=root,
        deployment=deployment,
        upstream_remote=remotes / "skyportal.git",
        baselayer_remote=remotes / "baselayer.git",
        commits=MappingProxyType(commits),
        expected=MappingProxyType(dict(_EXPECTED)),
        renamed_to=MappingProxyType(dict(_RENAMED_TO)),
    )
