#!/usr/bin/env python3
"""Merge quality on real history: replay public repositories' merge commits file by file.

    nice -n 10 python bench/merge_corpus.py                     # every repository found
    nice -n 10 python bench/merge_corpus.py --repos pallets/flask --max-merges 300
    python bench/merge_corpus.py --clone                        # clone what is missing

For every two-parent merge commit M (parents P1, P2, base B = their merge
base) and every file both parents changed (text, present in B, P1, P2 and M,
P1 and P2 different), the three versions are merged and the result compared
with the file M committed:

- ``exact``: a clean merge, byte for byte what the maintainer committed;
- ``wrong``: a clean merge the maintainer did not commit (clean but different);
- ``conflict``: markers left for the maintainer.

Strategies: ``git`` is ``git merge-file --zdiff3`` (the CLI, the reference),
``line`` overlay-merge's ``merge_sides(strategy="line")`` (it must give the
CLI's bytes: the harness counts every difference), ``refined`` every rule,
and one row per rule alone (``+rule``), so that a rule making wrong merges
shows.  Conflict hunks of the line merge are aligned with M (the stable text
between hunks found in order in M) to judge each rule per hunk: the rule's
resolution is ``right`` when it is the text M has there.

The repositories are read from local git directories (``--mirror DIR``:
``DIR/<owner>+<name>/repo``) or cloned bare into the cache (``--clone``).
The case lists and git's results are cached outside the repository
(``--cache``, default /work/corpus); nothing of the corpus is committed.
SkyPortal, baselayer, Icare and Fritz are held out (an independent check)
and refused here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from overlay_merge.core.contentmerge import MergeOutcome, merge_sides
from overlay_merge.core.git.merge import merge_file
from overlay_merge.core.markers import wide_marker_size
from overlay_merge.core.model import HunkTake, Side
from overlay_merge.core.refine import DEFAULT_RULES, RULES, Strategy, file_type
from overlay_merge.core.refine.engine import hunks_of, refine_merge, resolve_hunks
from overlay_merge.core.refine.regions import Conflict, Region, split_regions
from overlay_merge.core.suggest import DEFAULT_KINDS, KINDS, suggest

DEFAULT_REPOS = (
    # Python
    "pallets/flask",
    "pytest-dev/pytest",
    "ipython/ipython",
    "sphinx-doc/sphinx",
    # JavaScript / TypeScript
    "eslint/eslint",
    "webpack/webpack",
    "prettier/prettier",
    "jestjs/jest",
    "mochajs/mocha",
    "vuejs/core",
)
HELD_OUT = ("skyportal/", "/baselayer", "/icare", "/fritz")
LABELS = ("base", "ours", "theirs")
MAX_BYTES = 1_000_000
CACHE_VERSION = 1


@dataclass(frozen=True)
class Case:
    """One file merge of one merge commit: blob ids of base, parents and the committed result."""

    repo: str
    merge: str
    path: str
    base: str
    ours: str
    theirs: str
    merged: str


def _git_env() -> dict[str, str]:
    return {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def open_repo(name: str, mirror: Path, cache: Path, clone: bool) -> pygit2.Repository | None:
    """The local git directory of *name*: the mirror's, the cache's, or a bare clone."""
    for where in (mirror / name.replace("/", "+") / "repo", cache / "repos" / name):
        if where.exists():
            return pygit2.Repository(str(where))
    if not clone:
        return None
    where = cache / "repos" / name
    where.parent.mkdir(parents=True, exist_ok=True)
    url = f"https://github.com/{name}.git"
    subprocess.run(["git", "clone", "--bare", "-q", url, str(where)], check=True, env=_git_env())
    return pygit2.Repository(str(where))


def _changed(repo: pygit2.Repository, a: pygit2.Commit, b: pygit2.Commit) -> set[str]:
    diff = repo.diff(a.tree, b.tree)
    return {d.new_file.path for d in diff.deltas if d.old_file.path == d.new_file.path}


def _blob(commit: pygit2.Commit, path: str) -> pygit2.Blob | None:
    try:
        entry = commit.tree[path]
    except KeyError:
        return None
    if entry.filemode not in (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE):
        return None
    obj = entry.peel(pygit2.Blob) if entry.type_str == "blob" else None
    return obj if obj is not None and obj.size <= MAX_BYTES and not obj.is_binary else None


def merge_cases(repo: pygit2.Repository, name: str, merge: pygit2.Commit, cap: int) -> list[Case]:
    """The file merges of *merge* worth replaying (at most *cap*, by path)."""
    p1, p2 = merge.parents
    base_id = repo.merge_base(p1.id, p2.id)
    if base_id is None:
        return []
    base = repo[base_id]
    both = sorted(_changed(repo, base, p1) & _changed(repo, base, p2))
    cases = []
    for path in both:
        blobs = [_blob(c, path) for c in (base, p1, p2, merge)]
        if any(b is None for b in blobs) or blobs[1].id == blobs[2].id:  # type: ignore[union-attr]
            continue
        ids = [str(b.id) for b in blobs]  # type: ignore[union-attr]
        cases.append(Case(name, str(merge.id), path, *ids))
        if len(cases) >= cap:
            break
    return cases


def collect(
    repo: pygit2.Repository, name: str, args: argparse.Namespace, cache: Path
) -> list[Case]:
    """The cases of *name*'s newest ``--max-merges`` merges, cached in *cache*."""
    stem = f"{name.replace('/', '+')}.m{args.max_merges}.f{args.max_files}.v{CACHE_VERSION}"
    where = cache / "cases" / f"{stem}.json"
    if where.exists():
        return [Case(**c) for c in json.loads(where.read_text())]
    cases: list[Case] = []
    started = time.monotonic()
    seen = 0
    walker = repo.walk(repo.head.target, pygit2.enums.SortMode.TIME)
    for commit in walker:
        if len(commit.parents) != 2:
            continue
        seen += 1
        if seen > args.max_merges or time.monotonic() - started > args.collect_seconds:
            break
        cases.extend(merge_cases(repo, name, commit, args.max_files))
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(json.dumps([c.__dict__ for c in cases]))
    return cases


def git_merge_file(base: bytes, ours: bytes, theirs: bytes) -> tuple[bytes, bool]:
    """``git merge-file -p --zdiff3`` of the three versions: (output, clean)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for label, data in zip(("o", "b", "t"), (ours, base, theirs), strict=True):
            path = Path(tmp, label)
            path.write_bytes(data)
            paths.append(str(path))
        labels = ["-L", LABELS[1], "-L", LABELS[0], "-L", LABELS[2]]
        cmd = ["git", "merge-file", "-p", "--zdiff3", *labels, *paths]
        done = subprocess.run(cmd, capture_output=True, env=_git_env(), check=False)
    if done.returncode < 0 or done.returncode > 127:
        raise RuntimeError(f"git merge-file failed: {done.stderr.decode(errors='replace')}")
    return done.stdout, done.returncode == 0


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class GitCache:
    """git merge-file's results by the three blob ids (they never change)."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.data: dict[str, list[object]] = json.loads(where.read_text()) if where.exists() else {}

    def result(self, case: Case, sides: tuple[bytes, bytes, bytes]) -> tuple[str, bool]:
        key = f"{case.base}:{case.ours}:{case.theirs}"
        if key not in self.data:
            out, clean = git_merge_file(*sides)
            self.data[key] = [_digest(out), clean]
        digest, clean = self.data[key]
        return str(digest), bool(clean)

    def save(self) -> None:
        self.where.parent.mkdir(parents=True, exist_ok=True)
        self.where.write_text(json.dumps(self.data))


@dataclass
class Tally:
    """Outcomes per row (strategy or rule) of file merges, and of conflict hunks per rule."""

    files: Counter[tuple[str, str]] = field(default_factory=Counter)
    hunks: Counter[tuple[str, str]] = field(default_factory=Counter)
    harness_mismatch: list[str] = field(default_factory=list)
    cases: int = 0
    merges: set[str] = field(default_factory=set)

    def add(self, other: Tally) -> None:
        self.files.update(other.files)
        self.hunks.update(other.hunks)
        self.harness_mismatch.extend(other.harness_mismatch)
        self.cases += other.cases
        self.merges |= other.merges


def outcome(merge: MergeOutcome, merged: bytes) -> str:
    """exact / wrong / conflict of one merge against the committed *merged*."""
    if merge.content is None or merge.conflict_hunks:
        return "conflict"
    return "exact" if merge.content == merged else "wrong"


def _merge(
    sides: tuple[bytes, bytes, bytes], path: str, strategy: Strategy, rules: tuple[str, ...] | None
) -> MergeOutcome:
    base, ours, theirs = (Side(d, 0o100644) for d in sides)
    return merge_sides(
        base, ours, theirs, LABELS, "zdiff3", strategy=strategy, path=path, rules=rules
    )


def rows() -> list[tuple[str, tuple[str, ...]]]:
    """The refined rows: the default rules, with each rule that is off, every rule, parse
    checks alone, then each rule alone."""
    return [
        ("refined", DEFAULT_RULES),
        *((f"refined +{n}", (*DEFAULT_RULES, n)) for n in RULES if n not in DEFAULT_RULES),
        ("refined, all rules", tuple(RULES)),
        ("parse check only", ()),
        *((f"+{name}", (name,)) for name in RULES),
    ]


def evaluate(case: Case, repo: pygit2.Repository, git: GitCache, tally: Tally) -> None:
    """Merge *case* every way and count the outcomes."""
    sides = (repo[case.base].data, repo[case.ours].data, repo[case.theirs].data)
    merged = repo[case.merged].data
    tally.cases += 1
    tally.merges.add(case.merge)
    digest, clean = git.result(case, sides)
    git_row = ("exact" if digest == _digest(merged) else "wrong") if clean else "conflict"
    tally.files["git merge-file", git_row] += 1
    line = _merge(sides, case.path, "line", None)
    if line.content is None or _digest(line.content) != digest:
        tally.harness_mismatch.append(f"{case.repo} {case.merge[:10]} {case.path}")
    tally.files["line", outcome(line, merged)] += 1
    done: dict[tuple[str, ...], str] = {}
    for row, rules in rows():
        # Rules change conflicting merges only: a clean one gets the parse check alone.
        key = rules if line.conflict_hunks else ()
        if key not in done:
            done[key] = outcome(_merge(sides, case.path, "refined", key), merged)
        tally.files[row, done[key]] += 1
    if line.conflict_hunks:
        judge_hunks(sides, case.path, merged, tally)
        judge_suggestions(sides, case.path, merged, tally)


ANCHOR_LINES = 3


def _anchor(text: bytes, tail: bool) -> bytes:
    lines = text.splitlines(keepends=True)
    return b"".join(lines[-ANCHOR_LINES:] if tail else lines[:ANCHOR_LINES])


def align(regions: list[Region], merged: bytes) -> list[bytes | None]:
    """Per conflict region (by index; None elsewhere), the text the commit has in its place.

    The hunk is placed between the last lines of the stable text before it
    (found exactly once in *merged*, or the file's start) and the first
    lines of the stable text after it (the next occurrence, or the end);
    None when those anchors are not found (the maintainer changed them too).
    """
    found: list[bytes | None] = [None] * len(regions)
    for i, region in enumerate(regions):
        if not isinstance(region, Conflict):
            continue
        start = 0
        if i > 0 and isinstance(regions[i - 1], bytes):
            before = _anchor(regions[i - 1], tail=True)  # type: ignore[arg-type]
            if merged.count(before) != 1:
                continue
            start = merged.find(before) + len(before)
        end = len(merged)
        if i + 1 < len(regions) and isinstance(regions[i + 1], bytes):
            after = _anchor(regions[i + 1], tail=False)  # type: ignore[arg-type]
            end = merged.find(after, start)
            if end < 0:
                continue
        found[i] = merged[start:end]
    return found


def judge_hunks(sides: tuple[bytes, bytes, bytes], path: str, merged: bytes, tally: Tally) -> None:
    """Each rule's resolution of each conflict hunk against what the maintainer committed there."""
    size = wide_marker_size(*sides)
    content, clean = merge_file(*sides, labels=LABELS, style="diff3", marker_size=size)
    regions = None if content is None or clean else split_regions(content, size)
    if regions is None:
        return
    committed = align(regions, merged)
    hunks = hunks_of(regions, file_type(path))
    for i in hunks:
        tally.hunks["(all)", "aligned" if committed[i] is not None else "unaligned"] += 1
    for name, rule in RULES.items():
        for i, (_, lines) in resolve_hunks(hunks, [(name, rule)]).items():
            if committed[i] is None:
                verdict = "unaligned"
            else:
                verdict = "right" if b"".join(lines) == committed[i] else "wrong"
            tally.hunks[name, verdict] += 1


def remaining(sides: tuple[bytes, bytes, bytes], path: str) -> list[Region] | None:
    """The regions of the merge the refined strategy writes (zdiff3), None when it is clean."""
    size = wide_marker_size(*sides)
    named = [(name, RULES[name]) for name in DEFAULT_RULES]
    refined = refine_merge(sides, file_type(path), named, LABELS, "zdiff3", size)
    if refined is not None:
        content, clean = refined.content, refined.hunks == 0
    else:
        out, clean = merge_file(*sides, labels=LABELS, style="zdiff3", marker_size=size)
        if out is None:
            return None
        content = out
    return None if clean else split_regions(content, size)


TAKE_SIDES = {
    HunkTake.OVERLAY: ("ours",),
    HunkTake.UPSTREAM: ("theirs",),
    HunkTake.BOTH: ("ours", "theirs"),
    HunkTake.BOTH_UPSTREAM_FIRST: ("theirs", "ours"),
}


def taken(region: Conflict, take: HunkTake) -> bytes:
    """The text *take* writes in place of the hunk *region*."""
    return b"".join(b"".join(getattr(region, side)) for side in TAKE_SIDES[take])


def judge_suggestions(
    sides: tuple[bytes, bytes, bytes], path: str, merged: bytes, tally: Tally
) -> None:
    """Each suggestion kind (alone, and the defaults in order) on the hunks the refined
    strategy leaves, against what the maintainer committed there; and which take that was."""
    regions = remaining(sides, path)
    if regions is None:
        return
    committed = align(regions, merged)
    filetype = file_type(path)
    for i, region in enumerate(regions):
        if not isinstance(region, Conflict):
            continue
        there = committed[i]
        tally.hunks["(left)", "hunks" if there is None else "aligned"] += 1
        takes = [t for t in HunkTake if there is not None and taken(region, t) == there]
        if there is not None:
            tally.hunks["(take)", str(takes[0]) if takes else "none"] += 1
        for name in (*KINDS, "(suggested)"):
            kinds = DEFAULT_KINDS if name == "(suggested)" else (name,)
            found = suggest(region.base, region.ours, region.theirs, filetype, kinds)
            if found is not None:
                verdict = "unaligned" if there is None else "wrong"
                verdict = "right" if found.take in takes else verdict
                tally.hunks[f"suggest {name}", verdict] += 1


def run_repo(name: str, args: argparse.Namespace) -> Tally | None:
    """Collect and evaluate one repository, within the time budget."""
    cache = Path(args.cache)
    repo = open_repo(name, Path(args.mirror), cache, args.clone)
    if repo is None:
        print(f"{name}: no local copy (use --clone or --mirror)", file=sys.stderr)
        return None
    cases = collect(repo, name, args, cache)
    git = GitCache(cache / "git" / f"{name.replace('/', '+')}.json")
    tally = Tally()
    started = time.monotonic()
    for case in cases:
        if time.monotonic() - started > args.repo_seconds:
            print(f"{name}: time budget reached after {tally.cases} cases", file=sys.stderr)
            break
        evaluate(case, repo, git, tally)
    git.save()
    return tally


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def table(per_repo: dict[str, Tally]) -> str:
    """The corpus table: repositories, then per strategy and rule the file outcomes."""
    total = Tally()
    for tally in per_repo.values():
        total.add(tally)
    out = ["| repository | merges | file merges | git conflicts |", "| --- | ---: | ---: | ---: |"]
    for name, tally in per_repo.items():
        conflicts = tally.files["git merge-file", "conflict"]
        out.append(f"| {name} | {len(tally.merges)} | {tally.cases} | {conflicts} |")
    out.append(
        f"| **total** | {len(total.merges)} | {total.cases} | "
        f"{total.files['git merge-file', 'conflict']} |"
    )
    out += ["", "| strategy | exact | wrong | conflict |", "| --- | ---: | ---: | ---: |"]
    for row in ("git merge-file", "line", *(r for r, _ in rows())):
        counts = [total.files[row, k] for k in ("exact", "wrong", "conflict")]
        cells = " | ".join(f"{n} ({_percent(n, total.cases)})" for n in counts)
        out.append(f"| {row} | {cells} |")
    out += ["", "| rule (alone), conflict hunks | resolved | right | wrong | not judged |"]
    out.append("| --- | ---: | ---: | ---: | ---: |")
    for name in RULES:
        right, wrong, unaligned = (total.hunks[name, k] for k in ("right", "wrong", "unaligned"))
        out.append(f"| {name} | {right + wrong + unaligned} | {right} | {wrong} | {unaligned} |")
    hunks = total.hunks["(all)", "aligned"] + total.hunks["(all)", "unaligned"]
    out.append(
        f"\nconflict hunks: {hunks} ({total.hunks['(all)', 'aligned']} aligned with the commit)"
    )
    out += suggestion_table(total)
    out.append(f"harness: line != git merge-file in {len(total.harness_mismatch)} file merges")
    out.extend(f"  {m}" for m in total.harness_mismatch[:10])
    return "\n".join(out)


def suggestion_table(total: Tally) -> list[str]:
    """Per suggestion kind (alone, then the defaults in order): offered, right, wrong, unjudged."""
    left = total.hunks["(left)", "hunks"] + total.hunks["(left)", "aligned"]
    out = ["", "| suggestion kind, hunks left | offered | right | wrong | not judged |"]
    out.append("| --- | ---: | ---: | ---: | ---: |")
    for name in (*KINDS, "(suggested)"):
        right, wrong, unaligned = (
            total.hunks[f"suggest {name}", k] for k in ("right", "wrong", "unaligned")
        )
        offered = right + wrong + unaligned
        out.append(f"| {name} | {offered} | {right} | {wrong} | {unaligned} |")
    offered = sum(total.hunks["suggest (suggested)", k] for k in ("right", "wrong", "unaligned"))
    out.append(
        f"\nhunks left after refined: {left}; with a suggestion: {offered} "
        f"({_percent(offered, left)})"
    )
    takes = ", ".join(f"{t}: {total.hunks['(take)', str(t)]}" for t in (*HunkTake, "none"))
    aligned = total.hunks["(left)", "aligned"]
    out.append(f"committed there ({aligned} hunks placed in the commit): {takes}")
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", nargs="*", default=list(DEFAULT_REPOS))
    parser.add_argument("--mirror", default="/work/.mirror")
    parser.add_argument("--cache", default="/work/corpus")
    parser.add_argument("--clone", action="store_true", help="clone repositories not found")
    parser.add_argument(
        "--max-merges", type=int, default=400, help="newest merges scanned per repo"
    )
    parser.add_argument("--max-files", type=int, default=20, help="file merges per merge commit")
    parser.add_argument("--collect-seconds", type=float, default=60)
    parser.add_argument("--repo-seconds", type=float, default=60, help="evaluation budget per repo")
    args = parser.parse_args(argv)
    held = [r for r in args.repos if any(h in f"/{r.lower()}" for h in HELD_OUT)]
    if held:
        parser.error(f"held out for an independent check: {', '.join(held)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    per_repo = {}
    for name in args.repos:
        tally = run_repo(name, args)
        if tally is not None:
            per_repo[name] = tally
            print(f"{name}: {tally.cases} file merges", file=sys.stderr)
    print(table(per_repo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
