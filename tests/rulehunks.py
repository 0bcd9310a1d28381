"""A file where the ``adjacent`` rule resolves two hunks, for provenance and rule-undo tests.

As in ``multihunk``, two upstream commits are made on top of the sample's
pin: one adds ``skyportal/limits.py`` (the base, and the pin), the next
changes it (the target).  In two places the overlay and upstream edit
different lines that touch (git conflicts; ``adjacent`` takes both); with
*conflict*, they also change one line each their own way (a conflict left).
"""

from __future__ import annotations

from dataclasses import dataclass

from gitutil import commit_files, git

from overlay_merge.core.basefile import read_base_file, write_base_file
from overlay_merge.demo import Sample

PATH = "skyportal/limits.py"
OVERLAY = "extensions/skyportal"


def _filler(tag: str) -> bytes:
    return b"".join(b"# %s %d\n" % (tag.encode(), i) for i in range(5))


def _file(first: tuple[bytes, bytes], second: tuple[bytes, bytes], last: bytes) -> bytes:
    return (
        b'"""Limits of the site."""\n'
        + _filler("a")
        + b"MAX_SOURCES = " + first[0] + b"\n"
        + b"MAX_GROUPS = " + first[1] + b"\n"
        + _filler("b")
        + b"TIMEOUT = " + second[0] + b"\n"
        + b"RETRIES = " + second[1] + b"\n"
        + _filler("c")
        + b"NAME = " + last + b"\n"
    )  # fmt: skip


BASE = _file((b"100", b"10"), (b"30", b"3"), b'"limits"')
OURS = _file((b"500", b"10"), (b"30", b"5"), b'"icare"')
THEIRS = _file((b"100", b"20"), (b"60", b"3"), b'"site-limits"')
RESOLVED = _file((b"500", b"20"), (b"60", b"5"), b'"icare"')  # THEIRS' last line with conflict


@dataclass(frozen=True)
class RuleHunks:
    base: str  # the upstream commit adding the file (the pin and the file's base)
    target: str  # the upstream commit changing it


def make_rule_hunks(sample: Sample, *, conflict: bool = True) -> RuleHunks:
    """Add the file to *sample*; the pin moves to its base commit.

    Without *conflict* both sides keep the last line as in the base: the
    refined merge is clean.
    """
    theirs = THEIRS if conflict else THEIRS.replace(b'"site-limits"', b'"limits"')
    ours = OURS if conflict else OURS.replace(b'"icare"', b'"limits"')
    return add_change(sample, PATH, (BASE, ours, theirs))


ADJACENT = b'[tool.overlay-merge]\nrefine-rules = ["whitespace", "adjacent"]\n'
"""The configuration that turns on ``adjacent``, off by default (docs/design.md §5)."""


def take_adjacent(sample: Sample) -> None:
    """Configure *sample*'s deployment to refine with ``adjacent`` too (left uncommitted)."""
    (sample.deployment / "pyproject.toml").write_bytes(ADJACENT)


def add_change(sample: Sample, path: str, sides: tuple[bytes, bytes, bytes]) -> RuleHunks:
    """Upstream adds *path* as *sides*[0] (the pin) then changes it to [2]; the overlay has [1];
    the deployment refines with ``adjacent`` (:func:`take_adjacent`)."""
    take_adjacent(sample)
    upstream = sample.deployment / "skyportal"
    base = commit_files(upstream, {path: sides[0]}, f"add {path}")
    target = commit_files(upstream, {path: sides[2]}, f"change {path}")
    git(upstream, "checkout", "-q", "--detach", base)
    (sample.deployment / OVERLAY / path).write_bytes(sides[1])
    bases = read_base_file(sample.deployment / ".overlay-base")
    bases[path] = base
    write_base_file(sample.deployment / ".overlay-base", bases)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", f"overlay {path}")
    return RuleHunks(base, target)
