"""Benchmark ``init --infer`` on a synthetic upstream with a long history.

Builds, with pygit2 (in seconds, no ``git`` subprocess per commit), a
deployment under DIR::

    DIR/skyportal/             top upstream: --commits commits over --files files,
                               each commit editing a few files; a nested submodule
                               gitlink "baselayer" moved every --gitlink-every commits
    DIR/skyportal/baselayer/   nested upstream with --nested-commits commits
    DIR/extensions/skyportal/  --overlay overlay files: each an upstream version taken
                               at a random commit plus a few local edits (some under
                               baselayer/), and a few additions

then times ``overlay-merge init --infer`` on it (the real CLI, in this
interpreter) and checks every inferred base against the version each overlay
file was made from.  It also times the two line-distance candidates (libgit2's
diff through ``core.git.diff.line_changes`` and ``difflib.SequenceMatcher``).

    python bench/infer_history.py [--commits 5000] [--files 2000] [--overlay 60] [DIR]
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pygit2
from click.testing import CliRunner

from overlay_merge.cli.main import cli
from overlay_merge.core.git.diff import line_changes

EPOCH = 1_600_000_000
SIG_NAME, SIG_MAIL = "Bench", "bench@example.org"


def git_env() -> dict[str, str]:
    """git without the caller's ``GIT_*`` variables or any user configuration."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    return {**env, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}


WORDS = [
    "source",
    "photometry",
    "spectrum",
    "group",
    "user",
    "token",
    "instrument",
    "allocation",
    "filter",
]


# A pool of distinct source-like lines: drawing from it is much faster than
# formatting random lines one by one (the history has millions of lines).
POOL = [
    f"{'    ' * (k % 3)}{WORDS[k % 9]}_{k} = {WORDS[k * 7 % 9]}({k * 31 % 9973})\n"
    for k in range(200_000)
]


def _line(rng: random.Random) -> str:
    return POOL[int(rng.random() * len(POOL))]


def _content(rng: random.Random) -> list[str]:
    return rng.choices(POOL, k=rng.randint(40, 1500))


def _edit(rng: random.Random, lines: list[str], edits: int) -> list[str]:
    out = list(lines)
    for _ in range(edits):
        where = rng.randrange(len(out) + 1)
        action = rng.random()
        if action < 0.4 and out:
            out[min(where, len(out) - 1)] = _line(rng)
        elif action < 0.7 or len(out) < 10:
            out.insert(where, _line(rng))
        else:
            del out[min(where, len(out) - 1)]
    return out


class History:
    """A repository written commit by commit through ``git fast-import`` (one pack, fast)."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=git_env())
        self.path = path
        self.marks = path / ".git" / "bench-marks"
        self.files: dict[str, list[str]] = {}
        self.commits: list[str] = []
        self.count = 0
        self._pending: list[bytes] = []
        self._proc = subprocess.Popen(
            [
                "git",
                "-c",
                "core.compression=1",
                "fast-import",
                "--quiet",
                "--depth=0",
                f"--export-marks={self.marks}",
            ],
            cwd=path,
            stdin=subprocess.PIPE,
            env=git_env(),
        )
        self.repo: pygit2.Repository | None = None

    def put(self, path: str, lines: list[str]) -> None:
        self.files[path] = lines
        data = "".join(lines).encode()
        self._pending.append(
            b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
        )

    def drop(self, path: str) -> None:
        del self.files[path]
        self._pending.append(b"D %s\n" % path.encode())

    def gitlink(self, path: str, sha: str) -> None:
        self._pending.append(b"M 160000 %s %s\n" % (sha.encode(), path.encode()))

    def commit(self, message: str) -> None:
        self.count += 1
        when = EPOCH + 3600 * self.count
        msg = message.encode()
        head = b"commit refs/heads/main\nmark :%d\n" % self.count
        head += b"committer %s <%s> %d +0000\n" % (SIG_NAME.encode(), SIG_MAIL.encode(), when)
        head += b"data %d\n%s\n" % (len(msg), msg)
        if self.count > 1:
            head += b"from :%d\n" % (self.count - 1)
        assert self._proc.stdin is not None
        self._proc.stdin.write(head + b"".join(self._pending) + b"\n")
        self._pending.clear()

    def close(self) -> None:
        """Finish the import; the commit ids become known."""
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        if self._proc.wait() != 0:
            sys.exit(f"git fast-import failed in {self.path}")
        marks = dict(line.split() for line in self.marks.read_text().splitlines())
        self.commits = [marks[f":{n}"] for n in range(1, self.count + 1)]
        self.repo = pygit2.Repository(str(self.path))

    def blob_at(self, commit: str, path: str) -> str | None:
        """The blob id of *path* at *commit*, or None."""
        assert self.repo is not None
        try:
            return str(self.repo[commit].tree[path].id)
        except KeyError:
            return None


def _grow(history: History, rng: random.Random, commits: int, files: int, on_commit=None) -> None:  # type: ignore[no-untyped-def]
    dirs = [f"{a}/{b}" for a in ("skyportal", "static", "tools", "app") for b in WORDS[:6]]
    for i in range(files):
        history.put(f"{rng.choice(dirs)}/module_{i}.py", _content(rng))
    history.commit("initial import")
    for n in range(1, commits):
        paths = list(history.files)
        for path in rng.sample(paths, rng.randint(1, 4)):
            history.put(path, _edit(rng, history.files[path], rng.randint(1, 12)))
        if rng.random() < 0.02:  # now and then a file appears or goes
            history.put(f"{rng.choice(dirs)}/late_{n}.py", _content(rng))
        if rng.random() < 0.01 and len(paths) > 10:
            history.drop(rng.choice(paths))
        if on_commit is not None:
            on_commit(n)
        history.commit(f"change {n}")


def build(root: Path, args: argparse.Namespace) -> dict[str, tuple[str, str]]:
    """Write the deployment; return overlay path -> (origin commit, origin blob or '')."""
    rng = random.Random(args.seed)
    top_dir, nested_dir = root / "skyportal", root / "skyportal" / "baselayer"
    pygit2.init_repository(str(root))
    nested = History(nested_dir)
    _grow(nested, rng, args.nested_commits, args.files // 10)
    nested.close()
    top = History(top_dir)
    step = max(1, args.nested_commits * args.gitlink_every // args.commits)
    nested_at: list[int] = []

    def move_gitlink(n: int) -> None:
        if n % args.gitlink_every == 0 or not nested_at:
            nested_at.append(min(len(nested.commits) - 1, (n // args.gitlink_every) * step))
            top.gitlink("baselayer", nested.commits[nested_at[-1]])
        else:
            nested_at.append(nested_at[-1])

    move_gitlink(0)
    _grow(top, rng, args.commits, args.files, on_commit=move_gitlink)
    top.close()

    overlay = root / "extensions" / "skyportal"
    origins: dict[str, tuple[str, str]] = {}
    for i in range(args.overlay):
        under_nested = i % 5 == 0
        source = nested if under_nested else top
        n = rng.randrange(len(top.commits))
        commit = source.commits[nested_at[n]] if under_nested else top.commits[n]
        blob = None
        while blob is None:  # a path that exists at that commit
            path = rng.choice(sorted(source.files))
            blob = source.blob_at(commit, path)
        assert source.repo is not None
        lines = source.repo[blob].data.decode().splitlines(keepends=True)
        full = f"baselayer/{path}" if under_nested else path
        origins[full] = (top.commits[n], blob)
        target = overlay / full
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(_edit(rng, lines, rng.randint(1, 10))))
    for i in range(args.overlay // 20 + 1):
        path = f"skyportal/extensions/addition_{i}.py"
        (overlay / path).parent.mkdir(parents=True, exist_ok=True)
        (overlay / path).write_text("".join(_content(rng)))
        origins[path] = (top.commits[-1], "")
    return origins


def _bench_distance() -> None:
    rng = random.Random(1)
    for size in (500, 5000):
        old = [_line(rng) for _ in range(size)]
        new = _edit(rng, old, 50)
        a, b = "".join(old).encode(), "".join(new).encode()
        t0 = time.perf_counter()
        added, removed = line_changes(a, b)
        t1 = time.perf_counter()
        sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
        same = sum(block.size for block in sm.get_matching_blocks())
        t2 = time.perf_counter()
        print(
            f"line distance, {size}-line file, 50 edits: libgit2 {added + removed} lines in "
            f"{(t1 - t0) * 1000:.1f} ms; difflib {len(old) + len(new) - 2 * same} lines in "
            f"{(t2 - t1) * 1000:.1f} ms"
        )


def main() -> None:
    """Build the synthetic deployment, time ``init --infer``, check the bases."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", nargs="?", type=Path)
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--overlay", type=int, default=60)
    parser.add_argument("--nested-commits", type=int, default=1000)
    parser.add_argument("--gitlink-every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="overlay-merge-bench-"))
    if root.exists() and any(root.iterdir()):
        sys.exit(f"{root}: not empty")
    try:
        t0 = time.perf_counter()
        origins = build(root, args)
        t1 = time.perf_counter()
        print(
            f"built {args.commits} top commits x {args.files} files, {args.nested_commits} "
            f"nested commits, {len(origins)} overlay files in {t1 - t0:.1f} s"
        )
        result = CliRunner().invoke(cli, ["-C", str(root), "init", "--infer", "--format", "json"])
        t2 = time.perf_counter()
        if result.exit_code != 0:
            sys.exit(f"init --infer failed ({result.exit_code}): {result.output}")
        recorded = json.loads(result.output)["recorded"]
        print(f"init --infer: {len(recorded)} files in {t2 - t1:.2f} s")
        _check(root, origins, recorded)
        _bench_distance()
    finally:
        if args.dir is None:
            shutil.rmtree(root)


def _check(root: Path, origins: dict[str, tuple[str, str]], recorded: list[dict]) -> None:  # type: ignore[type-arg]
    """Count the files whose inferred base carries the version they were made from."""
    top = pygit2.Repository(str(root / "skyportal"))
    nested = pygit2.Repository(str(root / "skyportal" / "baselayer"))
    same = 0
    for entry in recorded:
        _, blob = origins[entry["path"]]
        path = entry["path"]
        tree = top[entry["base"]].tree
        if path.startswith("baselayer/"):
            tree = nested[tree["baselayer"].id].tree
            path = path.removeprefix("baselayer/")
        try:
            found = str(tree[path].id)
        except KeyError:
            found = ""
        same += found == blob
    versions = sum(e["versions_examined"] for e in recorded)
    print(
        f"{same}/{len(recorded)} inferred bases carry the version the overlay file was made "
        f"from ({versions} distinct versions diffed)"
    )


if __name__ == "__main__":
    main()
