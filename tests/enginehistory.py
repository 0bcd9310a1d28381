"""Seeded random upstream histories on the sample, for the check-versus-bump agreement tests.

On the sample's upstream at the pin (s1), :func:`make_random_history` makes
two to four commits that do to the overlay's upstream files what upstream
histories do: edits at the top, the bottom or the first line (clean merges
and conflicts), deletions, rewrites, renames (some followed by an edit in a
later commit, some onto the path of an overlay addition, where the overlay
file cannot follow), convergence (upstream takes the overlay's bytes), binary
edits, and additions at the overlay's addition paths (other content, the
same, or nearly the same: an add/add merge).  Some seeds also leave what a
bump refuses: an overlay file with conflict markers, one without a base, a
base entry without a file.  The same seed gives the same history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from gitutil import commit_files, git

from overlay_merge.demo import Sample

PATCHES = (
    "skyportal/enum_types.py",
    "skyportal/handlers/api/legacy.py",
    "skyportal/handlers/api/source.py",
    "skyportal/initial_setup.py",
    "skyportal/models/group.py",
    "skyportal/utils/calculations.py",
    "tools/check_env.sh",
)
BINARY = "static/img/logo.png"
ADDITIONS = ("skyportal/facility_apis/grandma_api.py", "skyportal/handlers/api/instrument.py")
PATCH_OPS = (
    "none",
    "edit-top",
    "edit-bottom",
    "edit-first-line",
    "delete",
    "rewrite",
    "rename",
    "rename-then-edit",
    "rename-onto-addition",
    "converge",
)
ADDITION_OPS = ("none", "add-other", "add-same", "add-similar")
HELD = ("markers", "unrecorded", "orphaned")


@dataclass
class RandomHistory:
    """The commits made (oldest first) and what was done, for messages."""

    seed: int
    commits: list[str] = field(default_factory=list)
    ops: dict[str, str] = field(default_factory=dict)
    held: tuple[str, ...] = ()


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b"\n"]


def _edited(data: bytes, op: str, tag: str) -> bytes:
    lines = _lines(data)
    if op == "edit-top":
        return f"# upstream {tag}\n".encode() + data
    if op == "edit-bottom":
        return data + f"# upstream {tag}\n".encode()
    if op == "edit-first-line":
        return f"# first line, upstream {tag}\n".encode() + b"".join(lines[1:])
    return "".join(f"upstream rewrite {tag} line {i}\n" for i in range(12)).encode()


class _Builder:
    """Spreads the chosen operations over the commits, on the upstream's worktree."""

    def __init__(self, sample: Sample, rng: random.Random, commits: int) -> None:
        self.sample = sample
        self.rng = rng
        self.steps: list[dict[str, bytes | None]] = [{} for _ in range(commits)]
        self.moves: list[list[tuple[str, str]]] = [[] for _ in range(commits)]

    def upstream(self, path: str) -> bytes:
        return (self.sample.upstream / path).read_bytes()

    def overlay(self, path: str) -> bytes:
        return (self.sample.overlay / path).read_bytes()

    def at(self) -> int:
        return self.rng.randrange(len(self.steps))

    def patch(self, path: str, op: str, free: list[str]) -> None:
        step = self.at()
        if op in ("edit-top", "edit-bottom", "edit-first-line", "rewrite"):
            self.steps[step][path] = _edited(self.upstream(path), op, f"{op} {step}")
        elif op == "delete":
            self.steps[step][path] = None
        elif op == "converge":
            self.steps[step][path] = self.overlay(path)
        elif op == "rename-onto-addition" and free:
            self.moves[step].append((path, free.pop()))
        elif op.startswith("rename"):
            new = path.replace("/", "/renamed_", 1) if "/" in path else "renamed_" + path
            self.moves[step].append((path, new))
            if op == "rename-then-edit" and step + 1 < len(self.steps):
                later = self.rng.randrange(step + 1, len(self.steps))
                edited = _edited(self.upstream(path), "edit-bottom", f"after the move {later}")
                self.steps[later][new] = edited

    def addition(self, path: str, op: str) -> None:
        mine = self.overlay(path)
        if op == "add-other":
            self.steps[self.at()][path] = b"upstream's own file\n" * 5
        elif op == "add-same":
            self.steps[self.at()][path] = mine
        elif op == "add-similar":
            lines = _lines(mine)
            lines[len(lines) // 2] = b"# upstream's line\n"
            self.steps[self.at()][path] = b"".join(lines)

    def commit(self, seed: int) -> list[str]:
        upstream = self.sample.upstream
        made = []
        for number, (files, moves) in enumerate(zip(self.steps, self.moves, strict=True)):
            for old, new in moves:
                (upstream / new).parent.mkdir(parents=True, exist_ok=True)
                git(upstream, "mv", old, new)
            # Every commit changes something besides (a step may have nothing to do).
            news = {"NEWS.md": f"random {seed} commit {number}\n".encode()}
            made.append(commit_files(upstream, {**files, **news}, f"random {seed} commit {number}"))
        return made


def make_random_history(sample: Sample, seed: int) -> RandomHistory:
    """Commits on the sample's upstream after the pin (which stays s1), chosen by *seed*."""
    rng = random.Random(seed)
    history = RandomHistory(seed)
    builder = _Builder(sample, rng, rng.randint(2, 4))
    reserved = [p for p in ADDITIONS if rng.random() < 0.5]  # may be renamed onto
    free = list(reserved)
    for path in PATCHES:
        history.ops[path] = rng.choice(PATCH_OPS)
        builder.patch(path, history.ops[path], free)
    if rng.random() < 0.5:
        history.ops[BINARY] = "binary"
        builder.steps[builder.at()][BINARY] = b"\x89PNG\0upstream " + bytes([seed % 256])
    for path in ADDITIONS:
        if path not in reserved:
            history.ops[path] = rng.choice(ADDITION_OPS)
            builder.addition(path, history.ops[path])
    history.commits = builder.commit(seed)
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s1"])
    if rng.random() < 0.3:
        history.held = (rng.choice(HELD),)
        _hold(sample, history.held[0])
    return history


def _hold(sample: Sample, what: str) -> None:
    """Leave what a bump refuses (``check`` reports it)."""
    overlay: Path = sample.overlay
    if what == "markers":
        path = overlay / "skyportal/handlers/api/source.py"
        path.write_bytes(path.read_bytes() + b"<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n")
    elif what == "unrecorded":
        (overlay / "skyportal/unrecorded.py").write_bytes(b"x = 1\n")
    else:
        (overlay / "skyportal/models/group.py").unlink()
