"""The demo's own git runner: deterministic ``git`` subprocesses for the generator.

Private to :mod:`overlay_merge.demo`.  Every command runs with no system or
global configuration, a fixed identity and a fixed date, so the generated
commits (and reflog lines) are the same on every run and machine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Collection, Mapping
from pathlib import Path

from overlay_merge.core.paths import path_problem

SAMPLE_EPOCH = 1_704_067_200
"""Unix time of the first sample commit (2024-01-01T00:00:00Z); later ones are hours after."""

# Passed on every command line; git exports -c options to the processes it
# spawns (the clones of `submodule add/update`), so they apply there as well.
# protocol.file.allow: git >= 2.38 refuses local-path submodule clones without it.
_GIT_OPTIONS = ("-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always")
_NAME, _EMAIL = "Sample Maintainer", "maintainer@example.org"


class GitCommandError(subprocess.CalledProcessError):
    """A git command of the sample builder failed; ``str()`` includes git's stderr."""

    def __init__(self, error: subprocess.CalledProcessError, cwd: Path) -> None:
        super().__init__(error.returncode, error.cmd, error.stdout, error.stderr)
        self.cwd = cwd

    def __str__(self) -> str:
        raw = self.stderr if isinstance(self.stderr, bytes) else b""
        detail = raw.decode("utf-8", "replace").strip()
        return f"{' '.join(map(str, self.cmd))} (in {self.cwd}) exited {self.returncode}: {detail}"


def git_env(when: int) -> dict[str, str]:
    """Environment for a deterministic git run, with author and committer dates *when*.

    Inherited ``GIT_*`` variables are dropped: run from a git hook, ``GIT_DIR``
    or ``GIT_INDEX_FILE`` would otherwise point every command at the caller's
    repository.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = _NAME
        env[f"GIT_{role}_EMAIL"] = _EMAIL
        env[f"GIT_{role}_DATE"] = f"@{when} +0000"
    env.update(
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0", LC_ALL="C"
    )
    return env


def git(cwd: Path, *args: str, when: int = SAMPLE_EPOCH) -> str:
    """Run ``git *args`` in *cwd* deterministically; its stdout, stripped.

    *when* dates what the command records (commits, reflog lines).  Raises
    :class:`GitCommandError` (with git's stderr) when git fails.
    """
    command = ["git", *_GIT_OPTIONS, *args]
    try:
        done = subprocess.run(command, cwd=cwd, env=git_env(when), check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        raise GitCommandError(exc, cwd) from None
    return done.stdout.decode("utf-8", "surrogateescape").strip()


def commit(
    repo: Path,
    files: Mapping[str, bytes | None],
    message: str,
    *,
    when: int,
    executable: Collection[str] = (),
) -> str:
    """Write (bytes) or delete (None) *files* in *repo*, commit at *when*, return the sha.

    Paths are relative POSIX paths.  The paths of *files* listed in
    *executable* are recorded with mode 100755, the others 100644.  Whatever
    was already staged is committed too (a gitlink staged with ``git update-index``).
    """
    for path in files:
        problem = path_problem(path)
        if problem:
            raise ValueError(f"sample commit: unsafe path {path!r}: {problem}")
    for path, data in files.items():
        target = repo / path
        if data is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if path in executable:
            os.chmod(target, 0o755)
    git(repo, "add", "--", *sorted(files))
    chosen = sorted(path for path in executable if files.get(path) is not None)
    if chosen:
        # Set the exec bit in the index explicitly: with core.fileMode false
        # (some file systems) `git add` would record every file as 100644.
        git(repo, "update-index", "--chmod=+x", "--", *chosen)
    git(repo, "commit", "-q", "--no-verify", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")
