"""The sample's two upstream histories: baselayer b1 -> b2, skyportal s0 -> s1 -> s2.

Each commit writes the files of its ``texts/<repo>/<commit>/`` folder (see
:mod:`overlay_merge.demo.content`) plus what this module adds: deletions, the
logo (a generated PNG), the executable bit and the nested ``baselayer``
gitlink.  What each change is designed to exercise is in the table of
:mod:`overlay_merge.demo`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from overlay_merge.demo._git import commit, git
from overlay_merge.demo.content import png, read_texts

LOGO = "static/img/logo.png"
LOGO_OVERLAY = png(0xE0, 0x6C, 0x00)  # GRANDMA orange, the overlay's own logo


@dataclass(frozen=True)
class _Commit:
    """One upstream commit: what it writes beside its texts folder."""

    repo: str
    name: str
    message: str
    deleted: tuple[str, ...] = ()
    binary: Mapping[str, bytes] = field(default_factory=dict)
    executable: tuple[str, ...] = ()


# In the order they were "made": one shared clock dates them an hour apart,
# b2 before the s2 that bumps to it.
_HISTORY = (
    _Commit("baselayer", "b1", "Initial baselayer: tornado app factory and config loader"),
    _Commit(
        "skyportal",
        "s0",
        "SkyPortal 1.0",
        binary={LOGO: png(0x1F, 0x4E, 0x79)},
        executable=("tools/check_env.sh",),
    ),
    # s0 -> s1 touches only files the overlay has no copy of.
    _Commit("skyportal", "s1", "Keep websockets alive behind proxies; link the docs"),
    _Commit("baselayer", "b2", "Expose the parsed command-line env on the app"),
    _Commit(
        "skyportal",
        "s2",
        "SkyPortal 1.2: instrument API, group descriptions, drop legacy endpoints",
        deleted=("skyportal/handlers/api/legacy.py", "skyportal/utils/calculations.py"),
        binary={LOGO: png(0x26, 0x5C, 0x8F)},
    ),
)
# The skyportal commit -> the baselayer commit its nested gitlink points at.
_GITLINKS = {"s0": "b1", "s2": "b2"}


def build_upstreams(work: Path, remotes: Path, clock: Iterator[int]) -> dict[str, str]:
    """Commit b1, b2 and s0..s2 in working repos under *work*, push them to bare *remotes*.

    Returns ``{"b1", "b2", "s0", "s1", "s2"}`` -> commit id.
    """
    repos = {name: work / name for name in ("baselayer", "skyportal")}
    for repo in repos.values():
        repo.mkdir(parents=True)
        # An empty template: no sample hooks to copy, the repos are thrown away.
        git(repo, "init", "-q", "--template=")
    commits: dict[str, str] = {}
    for step in _HISTORY:
        repo = repos[step.repo]
        if step.name in _GITLINKS:
            # The nested submodule is a gitlink plus .gitmodules; no clone is
            # needed to record it, which keeps generation fast.
            sha = commits[_GITLINKS[step.name]]
            git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},baselayer")
        commits[step.name] = _make(repo, step, next(clock))
    for name, repo in repos.items():
        git(remotes, "init", "-q", "--bare", f"{name}.git")
        git(repo, "push", "-q", str(remotes / f"{name}.git"), "main")
    return commits


def _make(repo: Path, step: _Commit, when: int) -> str:
    files: dict[str, bytes | None] = {**read_texts(step.repo, step.name), **step.binary}
    files.update(dict.fromkeys(step.deleted))
    return commit(repo, files, step.message, when=when, executable=step.executable)
