#!/usr/bin/env python3
"""Measure what the tests assert only as behaviour: time and memory at the limits.

    python bench/limits.py            # about 30 s

1. Parsing a 20,000-line file with 50 conflict hunks, rendering it back and
   taking one hunk (``core/hunks.py``): median time of 5 runs.  The test
   (``test_hunks.py``) asserts that the work, counted in calls, grows linearly.
2. 5,000 merges of 4 KB sides in one process: how much its RSS grows (libgit2's
   allocations included).  The test (``test_merge.py``) asserts that no Python
   object and no reference to the inputs outlives its merge.
3. A 50 MB file merged by ``bump --dry-run`` and ``check --against``: their peak
   RSS, next to ``status`` (which reads no blob) and to the file's size.  The
   test (``test_robustness_inputs.py``) asserts that it merges cleanly.

Figures are printed, never asserted.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import git, timed

from overlay_merge.core.hunks import parse

BIG = 50 * 1024 * 1024
MERGES = 5_000

_MERGES = """
import json, re, sys
from pathlib import Path
from overlay_merge.core.git.merge import merge_file

def rss_kib():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmRSS:\\s+(\\d+) kB", status, re.MULTILINE).group(1))

labels = ("base abc1234", "overlay", "upstream def5678")
base = "".join(f"line {i} of the file\\n" for i in range(200)).encode()
ours = base.replace(b"line 10 of", b"OURS 10 of").replace(b"line 50 of", b"OURS 50")
theirs = base.replace(b"line 10 of", b"THEIRS 10 of").replace(b"line 150", b"THEIRS 150")
for _ in range(500):  # warm-up: allocator pools, caches
    merge_file(base, ours, theirs, labels=labels)
before = rss_kib()
for _ in range(int(sys.argv[1])):
    merge_file(base, ours, theirs, labels=labels)
print(json.dumps({"growth_kib": rss_kib() - before}))
"""


def conflicted_file(blocks: int = 50, lines: int = 390) -> bytes:
    """*blocks* runs of *lines* text lines, each followed by a diff3 conflict hunk."""
    chunks = []
    for i in range(blocks):
        chunks.append(b"".join(b"line %d of block %d\n" % (j, i) for j in range(lines)))
        chunks.append(
            b"<<<<<<< overlay\nours %d\n||||||| base 1\nbase %d\n=======\ntheirs %d\n"
            b">>>>>>> upstream 2\n" % (i, i, i)
        )
    return b"".join(chunks)


def time_hunks(runs: int = 5) -> float:
    """Median seconds to parse, render and take one hunk of the 20,000-line file."""
    data = conflicted_file()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        marked = parse(data)
        assert marked.render() == data
        marked.take([25], "both")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def merge_growth_kib() -> int:
    """RSS growth of a fresh process over :data:`MERGES` merges, after a warm-up."""
    done = subprocess.run(
        [sys.executable, "-c", _MERGES, str(MERGES)], capture_output=True, text=True, check=True
    )
    return int(json.loads(done.stdout)["growth_kib"])


def big_file_deployment(where: Path) -> tuple[Path, str]:
    """A deployment whose one overlay file is 50 MB; its root and the upstream target."""
    upstream, root = where / "upstream", where / "deployment"
    git(where, "init", "-q", str(upstream))
    # zlib level 1: committing 2 x 50 MB at git's default level takes seconds.
    git(upstream, "config", "core.looseCompression", "1")
    # 1 KiB lines: xdiff's cost per line is then small next to the bytes.
    lines = [b"%01023d\n" % i for i in range(BIG // 1024)]
    body = b"".join(lines)
    versions = [body, body.replace(lines[-10], b"upstream".ljust(1023, b"-") + b"\n")]
    commits = []
    for number, data in enumerate(versions):
        (upstream / "big.txt").write_bytes(data)
        git(upstream, "add", "big.txt")
        git(upstream, "commit", "-qm", f"big file {number}")
        commits.append(git(upstream, "rev-parse", "HEAD"))
    git(where, "init", "-q", str(root))
    git(root, "submodule", "add", "-q", str(upstream), "skyportal")
    git(root / "skyportal", "checkout", "-q", "--detach", commits[0])
    overlay = root / "extensions" / "skyportal"
    overlay.mkdir(parents=True)
    (overlay / "big.txt").write_bytes(body.replace(lines[10], b"overlay".ljust(1023, b"-") + b"\n"))
    (root / ".overlay-base").write_text(f"{commits[0]}  big.txt\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "deployment")
    return root, commits[1]


def big_file_figures(where: Path) -> list[tuple[str, float, int, int]]:
    """(command, seconds, peak RSS KiB, exit code) of each command on the 50 MB file."""
    root, target = big_file_deployment(where)
    exe = str(Path(sys.executable).with_name("overlay-merge"))
    commands = {
        "bump --dry-run": [exe, "bump", target, "--dry-run", "--format", "json"],
        "check --against": [exe, "check", "--against", target, "--format", "json"],
        "status (reads no blob)": [exe, "--exclude", "big.txt", "status"],
    }
    return [(name, *timed(cmd, root)) for name, cmd in commands.items()]


def row(what: str, seconds: float | None = None, memory: str = "") -> None:
    shown = "" if seconds is None else f"{seconds:.3f} s" if seconds < 1 else f"{seconds:.1f} s"
    print(f"{what:<52} {shown:>8}  {memory}")


def main() -> None:
    print(f"{'what':<52} {'time':>8}  memory")
    row("parse + render + take: 20,000 lines, 50 hunks", time_hunks())
    row(
        f"{MERGES:,} merges of 4 KB sides in one process",
        None,
        f"RSS grew {merge_growth_kib() / 1024:.1f} MiB",
    )
    workdir = Path(tempfile.mkdtemp(prefix="overlay-merge-limits-"))
    try:
        for name, seconds, peak, code in big_file_figures(workdir):
            times = f"{peak * 1024 / BIG:.1f}x the file"
            row(
                f"50 MB file: {name} (exit {code})",
                seconds,
                f"peak RSS {peak / 1024:.0f} MiB ({times})",
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
