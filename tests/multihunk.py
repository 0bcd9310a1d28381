"""A conflict with four hunks in the sample, for hunk-by-hunk resolution tests.

Two upstream commits are made locally on top of the sample's pin (s1): one
adds ``skyportal/settings.py`` (the base), the next changes it in four
places (the target).  The overlay changes the same four places otherwise:
hunk 2 only in whitespace, hunk 3 only in quote style, hunk 4 at the end of
a file that has no final newline.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitutil import commit_files, git

from overlay_merge.core.basefile import read_base_file, write_base_file
from overlay_merge.demo import Sample

PATH = "skyportal/settings.py"
OVERLAY = "extensions/skyportal"


def _filler(tag: str) -> bytes:
    return b"".join(b"# %s %d\n" % (tag.encode(), i) for i in range(5))


def _file(name: bytes, port: bytes, quote: bytes, last: bytes) -> bytes:
    return (
        b'"""Site settings."""\n'
        + _filler("a")
        + b"NAME = " + name + b"\n"
        + _filler("b")
        + port + b"\n"
        + _filler("c")
        + b"QUOTE = " + quote + b"\n"
        + _filler("d")
        + last
    )  # fmt: skip


BASE = _file(b'"skyportal"', b"PORT = 5000", b"'x'", b"LAST = 1\n")
OURS = _file(b'"icare"', b"PORT  =  5000", b'"x"', b"LAST = 2")  # no final newline
THEIRS = _file(b'"skyportal-app"', b"PORT = 6000", b"'y'", b"LAST = 3\n")


@dataclass(frozen=True)
class MultiHunk:
    base: str  # the upstream commit adding the file (the pin and the file's base)
    target: str  # the upstream commit changing it


def make_multi_hunk(
    sample: Sample, heads: tuple[bytes, bytes, bytes] = (b"", b"", b"")
) -> MultiHunk:
    """Add the four-hunk conflict to *sample*; the pin moves to its base commit.

    *heads* start the base, the overlay and the upstream side.
    """
    upstream = sample.deployment / "skyportal"
    base = commit_files(upstream, {PATH: heads[0] + BASE}, "add settings")
    target = commit_files(upstream, {PATH: heads[2] + THEIRS}, "change settings")
    git(upstream, "checkout", "-q", "--detach", base)
    overlay_file = sample.deployment / OVERLAY / PATH
    overlay_file.write_bytes(heads[1] + OURS)
    bases = read_base_file(sample.deployment / ".overlay-base")
    bases[PATH] = base
    write_base_file(sample.deployment / ".overlay-base", bases)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "overlay settings")
    return MultiHunk(base, target)
