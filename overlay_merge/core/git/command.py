"""Running ``git`` itself, for the few steps where git's own behaviour is the point.

Reads and merges go through pygit2 (the rest of :mod:`overlay_merge.core.git`); the
steps here are the ones whose correctness depends on the user's git
configuration, which libgit2 does not implement: moving the upstream's
working tree (sparse checkouts, partial clones that fetch missing blobs,
filters and LFS as configured), ``git status`` with skip-worktree entries,
and fetching blobs a partial clone lacks.  None of them is on the hot path:
they run once per bump or abort, never per file.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from overlay_merge.core.errors import OverlayMergeError, quote

# Variables that would point git at another repository, index or work tree
# than the one named with -C: a user's shell (or a git hook that runs us)
# may have them set.
_REPO_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_VARIABLES}
    # Messages are parsed for their first line only, but in one language.
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def run_git(
    workdir: Path,
    args: Sequence[str],
    *,
    display: str,
    fix: str,
    stdin: bytes | None = None,
) -> bytes:
    """Run ``git -C workdir ARGS``; its stdout, or one clear error naming *display*.

    Pathspecs are literal (``GIT_LITERAL_PATHSPECS``): a file named ``*.py``
    means that file.  *fix* is the hint of the error when git fails.
    """
    env = _environment()
    env["GIT_LITERAL_PATHSPECS"] = "1"
    # `git status` would otherwise refresh and rewrite the index as it reads:
    # a pre-flight must write nothing.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    try:
        done = subprocess.run(
            ["git", "-C", os.fspath(workdir), *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env=env,
            check=False,
        )
    except OSError as exc:
        raise OverlayMergeError(
            f"{display}: cannot run git ({exc.strerror or exc})",
            "install git and make sure it is on PATH",
        ) from None
    if done.returncode != 0:
        name = _subcommand(args)
        raise OverlayMergeError(f"{display}: git {name} failed: {_first_error(done)}", fix)
    return done.stdout


def _subcommand(args: Sequence[str]) -> str:
    """The git command *args* runs (``checkout`` of ``-c x=y checkout ...``)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-c":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return "command"


def _first_error(done: subprocess.CompletedProcess[bytes]) -> str:
    """The line of git's stderr that says what went wrong (not a hint or a warning)."""
    lines = [ln.strip() for ln in done.stderr.decode("utf-8", "replace").splitlines()]
    for prefix in ("fatal:", "error:"):
        for line in lines:
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
    text = [ln for ln in lines if ln and not ln.startswith("hint:")]
    if text:
        return text[0]
    if done.returncode < 0:
        return f"killed by signal {-done.returncode}"
    return f"exit status {done.returncode}"


def modified_paths(workdir: Path, *, display: str) -> list[str]:
    """Tracked paths whose working-tree or index state differs from HEAD, as git says.

    Unlike libgit2's status, git honours skip-worktree entries (sparse
    checkouts), so a file outside the sparse set is not "deleted".  Gitlinks
    are left out: the caller looks inside nested submodules itself.
    """
    out = run_git(
        workdir,
        ["status", "--porcelain=v1", "-z", "--untracked-files=no", "--ignore-submodules=all"],
        display=display,
        fix=f"check that `git -C {quote(display)} status` works",
    )
    fields = out.split(b"\0")
    paths: list[str] = []
    i = 0
    while i < len(fields):
        record = fields[i]
        i += 1
        if len(record) < 4:
            continue
        paths.append(os.fsdecode(record[3:]))
        if record[:1] in (b"R", b"C"):
            i += 1  # the rename's source path follows as a field of its own
    return sorted(paths)


def skip_worktree_paths(workdir: Path, *, display: str) -> frozenset[str]:
    """Index entries marked skip-worktree (outside a sparse checkout's set)."""
    out = run_git(
        workdir,
        ["ls-files", "-t", "-z"],
        display=display,
        fix=f"check that `git -C {quote(display)} ls-files` works",
    )
    return frozenset(
        os.fsdecode(record[2:]) for record in out.split(b"\0") if record.startswith(b"S ")
    )


def checkout(workdir: Path, commit: str, branch: str | None, *, force: bool, display: str) -> None:
    """Move the working tree, index and HEAD to *commit* (detached) or to *branch*.

    Without *force* git refuses, before writing anything, to overwrite a
    modified file or an untracked one: a second guard behind the bump's own
    pre-flight.  Nested submodules are not recursed into; the caller moves them.
    """
    where = ["--detach", commit] if branch is None else [branch.removeprefix("refs/heads/")]
    run_git(
        workdir,
        [
            "-c",
            "advice.detachedHead=false",
            "checkout",
            "-q",
            "--no-recurse-submodules",
            *(["-f"] if force else []),
            *where,
            "--",
        ],
        display=display,
        fix="fix what git says, then run the command again (`overlay-merge abort` restores "
        "the state before the bump)",
    )


def reset_index_paths(workdir: Path, commit: str, paths: Sequence[str], *, display: str) -> None:
    """Set the index entries of *paths* to *commit*'s, leaving every other entry alone."""
    if not paths:
        return
    run_git(
        workdir,
        ["reset", "-q", commit, "--pathspec-from-file=-", "--pathspec-file-nul"],
        stdin=b"\0".join(os.fsencode(p) for p in paths),
        display=display,
        fix="fix what git says, then run `overlay-merge abort` again",
    )


def move_head(workdir: Path, commit: str, branch: str | None, *, display: str) -> None:
    """Point HEAD at *branch* (which must already be at *commit*) or detach it at *commit*."""
    fix = "fix what git says, then run `overlay-merge abort` again"
    if branch is None:
        run_git(workdir, ["update-ref", "--no-deref", "HEAD", commit], display=display, fix=fix)
    else:
        run_git(workdir, ["symbolic-ref", "HEAD", branch], display=display, fix=fix)


def fetch_blobs(workdir: Path, remote: str, oids: Sequence[str], *, display: str) -> None:
    """Fetch the blobs *oids* from the promisor *remote* of a partial clone, in one go.

    This is what git does itself when a partial clone's checkout needs
    blobs it lacks (a no-op negotiation, no tags, no refs updated).
    """
    run_git(
        workdir,
        [
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            "-q",
            "--no-tags",
            "--no-write-fetch-head",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--stdin",
            remote,
        ],
        stdin="".join(f"{oid}\n" for oid in oids).encode(),
        display=display,
        fix=f"check the connection to {remote}, or fetch them: "
        f"`git -C {quote(display)} fetch {quote(remote)}`",
    )
