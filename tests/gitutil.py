"""Plain git for the tests: deterministic commands and commits in real repositories.

Deliberately separate from the demo's own runner (``overlay_merge.demo``):
the tests need plain git, not the generator's internals.  Identity and dates
are the demo's (same name, first commit at the same epoch), so a commit a test
makes on top of the sample is the same on every run.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from overlay_merge.core.paths import path_problem

EPOCH = 1_704_067_200
"""Date of a repository's first commit (2024-01-01T00:00:00Z); each next one is an hour later."""

_OPTIONS = ("-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always")


class GitCommandError(subprocess.CalledProcessError):
    """A git command failed; ``str()`` names the folder and includes git's stderr."""

    cwd: Path | None = None

    def __str__(self) -> str:
        detail = (self.stderr or b"").decode("utf-8", "replace").strip()
        return f"{' '.join(self.cmd)} (in {self.cwd}) exited {self.returncode}: {detail}"


def git_env(*, when: int = EPOCH) -> dict[str, str]:
    """The environment of every test git command: no inherited ``GIT_*``, no user config."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    who = {"NAME": "Sample Maintainer", "EMAIL": "maintainer@example.org", "DATE": f"@{when} +0000"}
    env.update({f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in who.items()})
    env.update(
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0", LC_ALL="C"
    )
    return env


def git_bytes(cwd: Path, *args: str, when: int = EPOCH) -> bytes:
    """``git *args`` in *cwd*: its raw stdout; :class:`GitCommandError` when git fails."""
    command = ["git", *_OPTIONS, *args]
    env = git_env(when=when)
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    if done.returncode:
        error = GitCommandError(done.returncode, command, done.stdout, done.stderr)
        error.cwd = cwd
        raise error
    return done.stdout


def git(cwd: Path, *args: str) -> str:
    """``git *args`` in *cwd*: its stdout, decoded and stripped."""
    return git_bytes(cwd, *args).decode("utf-8", "surrogateescape").strip()


def commit_files(
    repo: Path,
    files: Mapping[str, bytes | None],
    message: str,
    *,
    modes: Mapping[str, int] | None = None,
) -> str:
    """Write (bytes) or delete (None) *files* in *repo*, commit, return the sha.

    *modes* maps paths to ``0o755``/``0o644`` or to ``stat.S_IFLNK`` (a symlink
    whose target is the file's bytes).  Whatever was already staged is
    committed too.  The date is an hour after HEAD's, :data:`EPOCH` for a first commit.
    """
    modes = modes or {}
    for path in (*files, *modes):
        if path_problem(path):
            raise ValueError(f"commit_files: unsafe path {path!r}: {path_problem(path)}")
    for path, data in files.items():
        target = repo / path
        if target.is_symlink() or (data is None and target.exists()):
            target.unlink()  # replace a symlink rather than write through it
        if data is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            if modes.get(path) == stat.S_IFLNK:
                os.symlink(data, target)
            else:
                target.write_bytes(data)
    for path, mode in modes.items():
        if mode != stat.S_IFLNK:
            os.chmod(repo / path, mode)
    paths = sorted({*files, *modes})
    if paths:
        git(repo, "add", "--", *paths)
    for path, mode in modes.items():
        if mode != stat.S_IFLNK:  # in the index too: core.fileMode may be false
            git(repo, "update-index", f"--chmod={'+' if mode & 0o111 else '-'}x", "--", path)
    git_bytes(repo, "commit", "-q", "--no-verify", "-m", message, when=_next_time(repo))
    return git(repo, "rev-parse", "HEAD")


def _next_time(repo: Path) -> int:
    try:
        return int(git(repo, "log", "-1", "--format=%ct")) + 3600
    except GitCommandError:
        return EPOCH  # unborn branch: this is the first commit


SECOND_PAIR_TOML = """\
[[tool.overlay-merge.overlays]]
name = "skyportal"

[[tool.overlay-merge.overlays]]
name = "fink"
upstream = "fink-client"
overlay = "extensions/fink"
base-file = ".overlay-base-fink"
build-dir = "patched_fink"
"""

_CLIENT = [f"line {n}\n".encode() for n in range(1, 11)]


def add_second_pair(deployment: Path, remote: Path) -> tuple[str, str]:
    """Make the sample *deployment* a two-pair one: a second upstream ``fink-client``
    (a small repo made at *remote*: f1, then f2 editing ``client.py``'s last line, the
    submodule pinned at f1 with origin/main at f2) and its overlay ``extensions/fink``
    (``client.py`` with its first line changed, so the bump to f2 merges cleanly).
    Returns (f1, f2)."""
    remote.mkdir(parents=True)
    git(remote, "init", "-q")
    first = commit_files(remote, {"client.py": b"".join(_CLIENT), "README": b"fink\n"}, "f1")
    second = commit_files(remote, {"client.py": b"".join([*_CLIENT[:-1], b"line 10 (f2)\n"])}, "f2")
    git(deployment, "submodule", "add", "-q", str(remote.resolve()), "fink-client")
    git(deployment / "fink-client", "reset", "-q", "--hard", first)
    ignored = (
        (deployment / ".gitignore").read_bytes() if (deployment / ".gitignore").exists() else b""
    )
    files = {
        "extensions/fink/client.py": b"".join([b"line 1 (overlay)\n", *_CLIENT[1:]]),
        ".overlay-base-fink": f"{first}  client.py\n".encode(),
        "pyproject.toml": SECOND_PAIR_TOML.encode(),
        ".gitignore": ignored + b"patched_fink/\n",
    }
    git(deployment, "add", "fink-client", ".gitmodules")  # the gitlink at f1
    commit_files(deployment, files, "A second overlay pair: the fink client")
    return first, second
