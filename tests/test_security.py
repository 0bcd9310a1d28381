"""Nothing escapes: no input makes overlay-merge write outside its four places.

Those are the overlay, the base file, the build dir (with its temp siblings)
and the journal under ``.git/overlay-merge``.  Each test snapshots every file,
link and folder under the test's root (the deployment, its git dirs, the
remotes and planted victims next to it) except those four places, runs the
commands a hostile input reaches, and compares.  The inputs: a hostile
upstream commit (tree entries named ``..``, ``.git``, with ``/`` inside,
absolute), reached as a bump target (rename targets included), as the pin
(``build``, ``init --infer``) and by ``check``; a symlink committed upstream
where a submodule later appears; an overlay folder that is a symlink; a
tampered journal.  `.overlay-base` paths: tests/test_basefile.py (the parser
accepts no escaping path) and tests/test_robustness_inputs.py.  Symlinks in
layout paths and in the journal's folder: tests/test_paths.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from gitutil import commit_files, git, git_env
from test_bump import _state
from test_cli import assert_one_line_error

from overlay_merge.core.apply import apply_merge
from overlay_merge.core.deployment import open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import load_layout
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"
BUILD = "patched_skyportal"


def _snapshot(root: Path, deployment: Path) -> dict[str, str]:
    """Every file (sha256), link (target) and folder under *root* outside the allowed places."""
    rel = deployment.relative_to(root).as_posix()
    allowed = (f"{rel}/{OVERLAY}", f"{rel}/.overlay-base", f"{rel}/{BUILD}")
    allowed_prefixes = (f"{rel}/.{BUILD}.", f"{rel}/.git/overlay-merge")
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):  # never follows links
        here = Path(dirpath)
        for name in [*dirnames, *filenames]:
            full = here / name
            key = full.relative_to(root).as_posix()
            if (
                key in allowed
                or key.startswith(allowed_prefixes)
                or key.startswith(tuple(a + "/" for a in allowed))
            ):
                continue
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                seen[key] = "link:" + os.readlink(full)
            elif stat.S_ISDIR(info.st_mode):
                seen[key] = f"dir:{oct(info.st_mode)}"
            else:
                digest = hashlib.sha256(full.read_bytes()).hexdigest()
                seen[key] = f"{oct(info.st_mode)}:{digest}"
        dirnames[:] = [
            d for d in dirnames if not (here / d).is_symlink()
        ]  # os.walk would list a link to a folder as a folder
    return seen


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


class _Objects:
    """Raw git objects, written as they are: git's own checks would refuse hostile names."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo

    def run(self, *args: str, data: bytes = b"") -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.repo,
            input=data,
            capture_output=True,
            check=True,
            env=git_env(),
        )
        return done.stdout.decode().strip()

    def tree(self, entries: list[tuple[str, str, str]]) -> str:
        """A tree object of ``(mode, name, sha)``, names taken literally."""

        def key(entry: tuple[str, str, str]) -> bytes:
            return entry[1].encode() + (b"/" if entry[0] == "40000" else b"")

        raw = b"".join(
            f"{mode} ".encode() + name.encode() + b"\0" + bytes.fromhex(sha)
            for mode, name, sha in sorted(entries, key=key)
        )
        return self.run("hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=raw)

    def ls(self, tree: str) -> list[tuple[str, str, str]]:
        entries = []
        for line in self.run("ls-tree", tree).splitlines():
            meta, name = line.split("\t", 1)
            mode, _, sha = meta.split()
            entries.append(("40000" if mode == "040000" else mode, name, sha))
        return entries

    def replace(self, tree: str, path: list[str], entry: tuple[str, str, str] | None) -> str:
        """*tree* with the entry at *path* replaced by *entry* (None: removed)."""
        entries = [e for e in self.ls(tree) if e[1] != path[0]]
        if len(path) > 1:
            sub = next(e for e in self.ls(tree) if e[1] == path[0])
            entries.append(("40000", path[0], self.replace(sub[2], path[1:], entry)))
        elif entry is not None:
            entries.append(entry)
        return self.tree(entries)


def _hostile_commit(sample: Sample, parts: list[str], leaf: str) -> str:
    """s1 with skyportal/utils/calculations.py moved (same blob) to the hostile path
    *parts*/*leaf*: upstream's rename detection proposes the hostile path as its new place."""
    objects = _Objects(sample.upstream)
    s1 = sample.commits["s1"]
    blob = objects.run("rev-parse", f"{s1}:skyportal/utils/calculations.py")
    tree = objects.replace(
        objects.run("rev-parse", f"{s1}^{{tree}}"),
        ["skyportal", "utils", "calculations.py"],
        None,
    )
    entry = ("100644", leaf, blob)
    for part in reversed(parts):
        entry = ("40000", part, objects.tree([entry]))
    tree = objects.tree([*objects.ls(tree), entry])
    return objects.run("commit-tree", tree, "-p", s1, "-m", "hostile")


HOSTILE = {
    # id: (folders, file name) of the entry the hostile commit adds
    "dotdot": (["..", ".."], "escaped.py"),
    "dotgit": ([".git", "hooks"], "post-checkout"),
    "dotgit-upper": ([".GIT"], "config"),
    "slash-in-name": ([], "a/../../escaped.py"),
    "folders-a-dotdot-dotdot": (["a", "..", ".."], "escaped.py"),
    "absolute": ([], "ABSOLUTE"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_upstream_commit_writes_nothing_outside(
    sample: Sample, tmp_path: Path, case: str
) -> None:
    parts, leaf = HOSTILE[case]
    leaf = str(tmp_path / "abs-escaped.py") if leaf == "ABSOLUTE" else leaf
    hostile = _hostile_commit(sample, parts, leaf)
    deployment = sample.deployment
    before = _snapshot(tmp_path, deployment)
    state = _state(sample)

    # As a bump target: planned (the move is shown), never applied.
    plan = run_cli(deployment, "bump", hostile, "--dry-run", "--format", "json")
    assert plan.exit_code in (0, 1), plan.output
    moved = {f["path"]: f.get("renamed_to") for f in json.loads(plan.output)["files"]}
    assert moved["skyportal/utils/calculations.py"] in (None, "/".join([*parts, leaf]))
    for choice in ("merge", "update"):
        result = run_cli(deployment, "bump", hostile, "--choice", choice)
        assert_one_line_error(result, f"skyportal {hostile[:7]}: tree entry", "refusing")
    check = run_cli(deployment, "check", "--against", hostile)
    assert check.exit_code == 1, check.output
    assert _state(sample) == state
    assert _changed(before, _snapshot(tmp_path, deployment)) == []

    # As the pin (HEAD moved by hand, as `git checkout` would refuse to).
    git(sample.upstream, "update-ref", "--no-deref", "HEAD", hostile)
    before = _snapshot(tmp_path, deployment)
    result = run_cli(deployment, "build", "--allow-drift")
    assert_one_line_error(result, "refusing to materialize it")
    assert run_cli(deployment, "check").exit_code == 1
    sample.base_file.unlink()
    inferred = run_cli(deployment, "init", "--infer")
    assert inferred.exit_code == 0, inferred.output
    assert _changed(before, _snapshot(tmp_path, deployment)) == []
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path / "abs-escaped.py").exists()


def test_an_upstream_symlink_where_a_submodule_appears_does_not_reach_outside(
    sample: Sample, tmp_path: Path
) -> None:
    # A repository next to the deployment, and an upstream that first commits
    # `sub -> ../../victim` (a symlink, legitimate in git), then turns `sub`
    # into a submodule recorded at one of the victim's commits.  Checking the
    # nested submodule out "at sub" would go through the link.
    victim = tmp_path / "victim"
    victim.mkdir()
    git(victim, "init", "-q")
    old = commit_files(victim, {"f.txt": b"old\n"}, "old")
    commit_files(victim, {"f.txt": b"current\n"}, "current")
    upstream = sample.upstream
    linked = commit_files(upstream, {"sub": b"../../victim"}, "a link", modes={"sub": stat.S_IFLNK})
    (upstream / "sub").unlink()
    git(upstream, "rm", "-q", "--cached", "sub")
    git(upstream, "update-index", "--add", "--cacheinfo", f"160000,{old},sub")
    modules = (upstream / ".gitmodules").read_text() + (
        '[submodule "sub"]\n\tpath = sub\n\turl = ../victim\n'
    )
    target = commit_files(upstream, {".gitmodules": modules.encode()}, "sub is a submodule")
    git(upstream, "checkout", "-q", "--detach", linked)
    git(sample.deployment, "commit", "-qam", "pin the commit with the link")
    victim_before = _snapshot(victim, victim)
    state = _state(sample)

    result = run_cli(sample.deployment, "bump", target, "--choice", "update")
    assert result.exit_code == 5, result.output
    assert "skyportal/sub not moved" in result.output
    assert _snapshot(victim, victim) == victim_before
    assert (victim / "f.txt").read_bytes() == b"current\n"
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == state


def test_a_rename_into_an_overlay_folder_that_is_a_symlink_is_refused(
    sample: Sample, tmp_path: Path
) -> None:
    outside = tmp_path / "outside-folder"
    outside.mkdir()
    os.symlink(outside, sample.overlay / "evil")  # an overlay file of its own (a link)
    assert run_cli(sample.deployment, "init").exit_code == 0
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "a link in the overlay")
    # Upstream moves calculations.py (the overlay patches it) to evil/calc.py.
    upstream = sample.upstream
    git(upstream, "mv", "skyportal/utils/calculations.py", "evil-calc.py")
    (upstream / "evil").mkdir()
    git(upstream, "mv", "evil-calc.py", "evil/calc.py")
    target = commit_files(upstream, {}, "move it under evil/")
    git(upstream, "checkout", "-q", "--detach", sample.commits["s1"])
    plan = json.loads(
        run_cli(sample.deployment, "bump", target, "--dry-run", "--format", "json").output
    )
    moved = {f["path"]: f.get("renamed_to") for f in plan["files"]}
    assert moved["skyportal/utils/calculations.py"] == "evil/calc.py"
    before = _snapshot(tmp_path, sample.deployment)
    state = _state(sample)
    result = run_cli(sample.deployment, "bump", target, "--choice", "merge")
    assert_one_line_error(result, "evil is a symlink or a file, not a folder; refusing to write")
    assert list(outside.iterdir()) == []
    assert _state(sample) == state
    assert _changed(before, _snapshot(tmp_path, sample.deployment)) == []


@pytest.mark.parametrize("field", ["renamed_to", "path"])
def test_a_forged_plan_cannot_name_a_place_outside_the_overlay(
    sample: Sample, tmp_path: Path, field: str
) -> None:
    # Defence in depth: were the planner ever to carry a hostile path (a rename
    # target it did not validate, a conflict left in place), applying refuses it
    # before the journal backs anything up or the index registers it.
    deployment = open_at(load_layout(sample.deployment))
    plan = plan_bump(deployment)
    hostile = "../../../outside.txt"
    (tmp_path / "outside.txt").write_bytes(b"outside\n")
    forged = tuple(replace(f, **{field: hostile}) if f.state == "binary" else f for f in plan.files)
    before = _snapshot(tmp_path, sample.deployment)
    state = _state(sample)
    with pytest.raises(OverlayMergeError, match=r"refusing to write there: '\.\.' component"):
        apply_merge(deployment, replace(plan, files=forged))
    assert _state(sample) == state
    assert _changed(before, _snapshot(tmp_path, sample.deployment)) == []


# -- a tampered journal -------------------------------------------------------------

Tamper = Callable[[dict[str, Any], Path], None]


def _files_entry(rel: str) -> Tamper:
    def tamper(doc: dict[str, Any], _: Path) -> None:
        doc["files"][rel] = next(iter(doc["files"].values()))

    return tamper


def _backup_name(doc: dict[str, Any], tmp_path: Path) -> None:
    first = next(iter(doc["files"]))
    doc["files"][first]["backup"] = "../../../../outside.txt"


def _nested_head(doc: dict[str, Any], _: Path) -> None:
    doc["nested_heads"]["../../victim"] = doc["upstream_head"]


def _head_ref(doc: dict[str, Any], _: Path) -> None:
    doc["upstream_head"]["ref"] = "refs/remotes/origin/main"


def _not_an_object(doc: dict[str, Any], _: Path) -> None:
    doc.clear()
    doc["__list__"] = True


TAMPERED: dict[str, tuple[Tamper, str]] = {
    "files-dotdot": (_files_entry("../outside.txt"), "path '../outside.txt': '..' component"),
    "files-absolute": (_files_entry("/tmp/outside.txt"), "absolute path"),
    "files-not-overlay": (
        _files_entry("skyportal/README.md"),
        "skyportal/README.md: the bump journal names a file outside extensions/skyportal/",
    ),
    "backup-name": (_backup_name, "is not one overlay-merge writes"),
    "nested-head": (_nested_head, "path '../../victim': '..' component"),
    "head-ref": (_head_ref, "'refs/remotes/origin/main' is not a branch"),
    "not-an-object": (_not_an_object, "damaged bump journal"),
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_journal_is_refused_before_anything_is_written(
    sample: Sample, tmp_path: Path, case: str
) -> None:
    (tmp_path / "outside.txt").write_bytes(b"outside\n")
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    journal = sample.deployment / ".git" / "overlay-merge" / "bump" / "journal.json"
    document = json.loads(journal.read_text())
    tamper, needle = TAMPERED[case]
    tamper(document, tmp_path)
    data: Any = [] if "__list__" in document else document
    journal.write_text(json.dumps(data))
    before = _snapshot(tmp_path, sample.deployment)
    state = _state(sample)
    for args in (["abort"], ["abort", "--force"]):
        assert_one_line_error(run_cli(sample.deployment, *args), needle)
    for args in (["resolve"], ["status"], ["bump", "--choice", "merge"], ["build"]):
        run_cli(sample.deployment, *args)  # refused one way or another; never a write
    assert (tmp_path / "outside.txt").read_bytes() == b"outside\n"
    assert _state(sample) == state
    assert _changed(before, _snapshot(tmp_path, sample.deployment)) == []
