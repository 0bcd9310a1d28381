#!/usr/bin/env python3
"""Benchmark overlay-merge against the per-file `git merge-file` loop and `git merge-tree`.

    python bench/run.py                      # both sizes, 3 runs each (median)
    python bench/run.py --sizes small --runs 5

For each size it generates a synthetic deployment (an upstream history made
with `git fast-import`, a deployment with the upstream as a real submodule,
an overlay whose files two thirds of which upstream changed between base and
target, 5% of those conflicting) and times, side by side:

1. overlay-merge: `bump TARGET --dry-run --format json`, and the other
   commands that exist (`check`, `init --infer`, `build --clean`, and `build` in
   place: unchanged, and after a bump; each build after the previous one is on disk);
2. the reference launcher's approach: a shell loop that, for every overlay
   file, extracts base and target versions and runs `git merge-file`;
3. `git merge-tree --write-tree` between a branch holding the overlay applied
   on the base and the target: the same merges in C in one process (the floor).

It prints medians, ratios, peak memory (max RSS of the child process), the
start-up (``overlay-merge --version``, and per command the total import time
of one run under ``python -X importtime``) and how each time grows from the
small to the large size.  Timings are measured here, never asserted in tests;
``bench/limits.py`` measures what the tests assert only as behaviour (a
20,000-line file's hunks, repeated merges, a 50 MB file).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SIZES = {
    # name: (upstream files, overlay files, commits between base and target)
    "small": (3_000, 600, 200),
    "large": (30_000, 6_000, 5_000),
}
LINES = 30
GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
GIT = ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"]


def git(cwd: Path, *args: str, data: bytes | None = None) -> str:
    done = subprocess.run(
        [*GIT, *args], cwd=cwd, env=GIT_ENV, input=data, capture_output=True, check=True
    )
    return done.stdout.decode().strip()


def content(path: str, changes: dict[int, str]) -> bytes:
    lines = [changes.get(i, f"line {i} of {path}") for i in range(LINES)]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Deployment:
    root: Path
    overlay_files: int
    base: str
    target: str
    changed: int
    conflicting: int


def _fast_import_stream(
    paths: list[str], commits: int, changed: list[str], rng: random.Random
) -> bytes:
    """A fast-import stream: a base commit with every file, then *commits* commits
    that change each of *changed* once (line 25) plus random other files."""
    out: list[bytes] = []
    stamp = 1_700_000_000

    def commit(message: str, files: dict[str, bytes], parent: bool) -> None:
        nonlocal stamp
        stamp += 60
        msg = message.encode()
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer bench <bench@example.invalid> %d +0000\n" % stamp)
        out.append(b"data %d\n%s\n" % (len(msg), msg))
        if not parent:
            out.append(b"deleteall\n")
        for path, data in files.items():
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))

    commit("base", {p: content(p, {}) for p in paths}, parent=False)
    others = [p for p in paths if p not in set(changed)]
    per_commit = [changed[i::commits] for i in range(commits)]
    for number, batch in enumerate(per_commit, start=1):
        files = {p: content(p, {25: f"upstream change in commit {number}"}) for p in batch}
        for p in rng.sample(others, k=min(5, len(others))):
            files[p] = content(p, {10: f"unrelated change {number}"})
        commit(f"upstream commit {number}", files, parent=True)
    return b"".join(out)


def generate(where: Path, size: str, seed: int = 7) -> Deployment:
    """Build the synthetic deployment for *size* under *where*."""
    n_files, n_overlay, n_commits = SIZES[size]
    rng = random.Random(seed)
    paths = [f"pkg{i % 50:02d}/sub{i % 7}/mod_{i:05d}.py" for i in range(n_files)]
    overlay = sorted(rng.sample(paths, n_overlay))
    changed = rng.sample(overlay, (2 * n_overlay) // 3)
    conflicting = set(rng.sample(changed, max(1, len(changed) // 20)))
    remote = where / "upstream.git"
    git(where, "init", "-q", "--bare", str(remote))
    git(remote, "fast-import", "--quiet", data=_fast_import_stream(paths, n_commits, changed, rng))
    target = git(remote, "rev-parse", "main")
    base = git(remote, "rev-list", "--max-parents=0", "main")
    root = where / "deployment"
    git(where, "init", "-q", str(root))
    git(root, "submodule", "add", "-q", str(remote), "skyportal")
    git(root / "skyportal", "checkout", "-q", "--detach", base)
    top = root / "extensions" / "skyportal"
    lines = []
    for path in overlay:
        changes = {3: "overlay change"}
        if path in conflicting:
            changes[25] = "overlay's own change to line 25"
        file = top / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(content(path, changes))
        lines.append(f"{base}  {path}\n")
    (root / ".overlay-base").write_text("".join(lines))
    (root / ".gitignore").write_text("/patched_skyportal/\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "deployment")
    return Deployment(root, n_overlay, base, target, len(changed), len(conflicting))


SHELL_LOOP = r"""
set -e
cd "$1"; base="$2"; target="$3"; out="$(mktemp -d)"
cd extensions/skyportal
find . -type f | sed 's|^\./||' | while read -r path; do
  git -C "$OLDPWD/skyportal" show "$base:$path" > "$out/base" 2>/dev/null || : > "$out/base"
  git -C "$OLDPWD/skyportal" show "$target:$path" > "$out/theirs" 2>/dev/null || : > "$out/theirs"
  git merge-file -p "$path" "$out/base" "$out/theirs" > "$out/merged" || true
done
rm -rf "$out"
"""


def prepare_merge_tree(dep: Deployment) -> tuple[Path, str]:
    """A branch in a scratch clone of the upstream holding the overlay committed on the base."""
    scratch = dep.root.parent / "merge-tree.git"
    if not scratch.exists():
        git(
            dep.root.parent,
            "clone",
            "-q",
            "--bare",
            str(dep.root.parent / "upstream.git"),
            str(scratch),
        )
        env = {**GIT_ENV, "GIT_INDEX_FILE": str(scratch / "bench-index")}
        subprocess.run([*GIT, "read-tree", dep.base], cwd=scratch, env=env, check=True)
        top = dep.root / "extensions" / "skyportal"
        for file in sorted(top.rglob("*")):
            if file.is_file():
                rel = file.relative_to(top).as_posix()
                blob = subprocess.run(
                    [*GIT, "hash-object", "-w", str(file)],
                    cwd=scratch,
                    env=env,
                    capture_output=True,
                    check=True,
                ).stdout.decode()
                subprocess.run(
                    [*GIT, "update-index", "--add", "--cacheinfo", f"100644,{blob.strip()},{rel}"],
                    cwd=scratch,
                    env=env,
                    check=True,
                )
        tree = (
            subprocess.run(
                [*GIT, "write-tree"], cwd=scratch, env=env, capture_output=True, check=True
            )
            .stdout.decode()
            .strip()
        )
        commit = git(scratch, "commit-tree", tree, "-p", dep.base, "-m", "overlay")
        git(scratch, "branch", "overlay", commit)
    return scratch, "overlay"


def _hwm_kib(pid: int) -> int:
    """VmHWM of *pid*: the peak RSS of its current program (reset at exec)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall time (s), peak RSS (KiB) and exit code of one run of *cmd*.

    Peak RSS is polled from /proc (VmHWM) while the command runs: getrusage's
    ru_maxrss would count the pages of this (large) benchmark process that
    the child held between fork and exec.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=GIT_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _hwm_kib(proc.pid))
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    return elapsed, peak, proc.returncode


# The console script's own code: what `overlay-merge ARGS` runs, under -X importtime.
ENTRY = "from overlay_merge.cli.entry import main; main()"


def import_seconds(args: list[str], cwd: Path) -> float:
    """Total import time of one run of ``overlay-merge ARGS`` (``python -X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", ENTRY, *args],
        cwd=cwd,
        env=GIT_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    # "import time: self | cumulative | name": a name indented by one space only is
    # imported at top level; its cumulative time counts everything it imported.
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    top = [int(f[1]) for f in rows if f[1].strip().isdigit() and not f[2].startswith("  ")]
    return sum(top) / 1e6


def measure(
    name: str,
    cmd: list[str],
    cwd: Path,
    runs: int,
    args: list[str] | None = None,
    prepare: str | None = None,
) -> dict[str, object]:
    """Median time, peak RSS and exit code of *runs* runs of *cmd*, each after the shell
    command *prepare* if given (not timed); for an overlay-merge command (*args*), the
    total import time of one more run."""
    times, peak, code = [], 0, 0
    for _ in range(runs):
        if prepare is not None:
            subprocess.run(["bash", "-c", prepare], cwd=cwd, env=GIT_ENV, check=True)
        elapsed, rss, code = timed(cmd, cwd)
        times.append(elapsed)
        peak = max(peak, rss)
    return {
        "name": name,
        "median_s": statistics.median(times),
        "runs": runs,
        "peak_rss_mib": peak / 1024,
        "exit": code,
        "imports_s": None if args is None else import_seconds(args, cwd),
    }


def overlay_merge_commands(dep: Deployment) -> list[tuple[str, list[str]]]:
    """(name, arguments of ``overlay-merge``) of each command timed, start-up first."""
    exe = str(Path(sys.executable).with_name("overlay-merge"))
    commands = [
        ("--version (start-up)", ["--version"]),
        ("bump --dry-run", ["bump", dep.target, "--dry-run", "--format", "json"]),
        ("status", ["status", "--format", "json"]),
    ]
    help_text = subprocess.run([exe, "--help"], check=True, capture_output=True, text=True).stdout
    if " check " in help_text:
        commands.append(("check", ["check", "--against", dep.target, "--format", "json"]))
    return commands


# Before each timed build the previous one is flushed to disk (untimed `sync`), as a
# build dir that has stood a while is: files freed while still in the page cache
# (written seconds before, their blocks not yet allocated) cost next to nothing to
# replace or remove, which flattered the full copy that removes the old folder.
SYNC = "sync"


def build_cases(dep: Deployment) -> list[tuple[str, str, list[str]]]:
    """(name, untimed preparation, ``overlay-merge`` arguments) of the builds: the old full
    copy (``--clean``), and in place unchanged and after a bump (the pin moved from the
    base to the target, no merge)."""
    exe = str(Path(sys.executable).with_name("overlay-merge"))
    pin = "git -C skyportal update-ref --no-deref HEAD"
    build = f'"{exe}" build --allow-drift > /dev/null'
    return [
        ("build --clean (full copy)", f"{pin} {dep.base} && {SYNC}", ["build", "--clean"]),
        ("build in place, unchanged", f"{pin} {dep.base} && {build} && {SYNC}", ["build"]),
        (
            "build in place, after a bump",
            f"{pin} {dep.base} && {build} && {SYNC} && {pin} {dep.target}",
            ["build", "--allow-drift"],
        ),
    ]


def infer_command(dep: Deployment) -> list[str]:
    """``init --infer`` on the deployment with its pin moved to the target (no checkout)."""
    exe = str(Path(sys.executable).with_name("overlay-merge"))
    # Last: adoption of a deployment that never recorded bases and was bumped to
    # the target without merging.  HEAD moves without a checkout (infer reads
    # objects only); run_size puts HEAD and .overlay-base back afterwards.
    infer = (
        f"git -C skyportal update-ref --no-deref HEAD {dep.target} && rm -f .overlay-base && "
        f'exec "{exe}" init --infer --format json'
    )
    return ["bash", "-c", infer]


def run_size(size: str, runs: int, workdir: Path) -> list[dict[str, object]]:
    where = workdir / size
    where.mkdir(parents=True)
    start = time.perf_counter()
    dep = generate(where, size)
    print(
        f"\n== {size}: {SIZES[size][0]:,} upstream files, {dep.overlay_files:,} overlay files "
        f"({dep.changed:,} changed upstream, {dep.conflicting} conflicting), "
        f"{SIZES[size][2]:,} commits; generated in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    bases = (dep.root / ".overlay-base").read_bytes()
    exe = str(Path(sys.executable).with_name("overlay-merge"))
    results = [
        measure(name, [exe, *args], dep.root, runs, args)
        for name, args in overlay_merge_commands(dep)
    ]
    for name, prepare, args in build_cases(dep):
        results.append(measure(name, [exe, *args], dep.root, runs, args, prepare=prepare))
    git(dep.root / "skyportal", "update-ref", "--no-deref", "HEAD", dep.base)
    results.append(measure("init --infer (pin = target)", infer_command(dep), dep.root, runs))
    (dep.root / ".overlay-base").write_bytes(bases)
    git(dep.root / "skyportal", "update-ref", "--no-deref", "HEAD", dep.base)
    scratch, branch = prepare_merge_tree(dep)
    results.append(
        measure(
            "git merge-tree --write-tree",
            ["git", "merge-tree", "--write-tree", branch, dep.target],
            scratch,
            runs,
        )
    )
    loop_runs = runs if size == "small" else 1
    results.append(
        measure(
            "shell loop: git show + git merge-file",
            ["bash", "-c", SHELL_LOOP, "loop", str(dep.root), dep.base, dep.target],
            dep.root,
            loop_runs,
        )
    )
    return results


def report(size: str, results: list[dict[str, object]]) -> None:
    by_name = {str(r["name"]): r for r in results}
    loop = float(by_name["shell loop: git show + git merge-file"]["median_s"])  # type: ignore[arg-type]
    floor = float(by_name["git merge-tree --write-tree"]["median_s"])  # type: ignore[arg-type]
    print(
        f"{'command':<40} {'median':>9} {'imports':>8} {'runs':>4} {'peak RSS':>9} "
        f"{'vs loop':>8} {'vs merge-tree':>13} {'exit':>4}"
    )
    for r in results:
        t = float(r["median_s"])  # type: ignore[arg-type]
        imports = "" if r["imports_s"] is None else f"{float(r['imports_s']):.2f}s"  # type: ignore[arg-type]
        print(
            f"{r['name']!s:<40} {t:>8.2f}s {imports:>8} {r['runs']!s:>4} "
            f"{float(r['peak_rss_mib']):>7.0f}Mi"  # type: ignore[arg-type]
            f" {t / loop:>7.3f}x {t / floor:>12.2f}x {r['exit']!s:>4}"
        )
    print("(imports: total import time of one more run under `python -X importtime`)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated repositories")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="overlay-merge-bench-"))
    all_results: dict[str, list[dict[str, object]]] = {}
    try:
        for size in args.sizes.split(","):
            all_results[size] = run_size(size, args.runs, workdir)
            report(size, all_results[size])
        if {"small", "large"} <= set(all_results):
            print("\ngrowth small -> large (time ratio):")
            small = {r["name"]: float(r["median_s"]) for r in all_results["small"]}  # type: ignore[arg-type]
            for r in all_results["large"]:
                print(f"  {r['name']!s:<40} x{float(r['median_s']) / small[r['name']]:.1f}")  # type: ignore[arg-type]
            print("  (overlay files changed upstream grow x10, upstream files x10, commits x25)")
        if args.json:
            args.json.write_text(json.dumps(all_results, indent=2))
    finally:
        if args.keep:
            print(f"\nrepositories kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
