"""pygit2's private parts that core/git/libgit2.py calls are still there, and still merge.

pyproject.toml bounds pygit2 to the release these were checked against; when
that bound is raised, these tests say which private name a release changed
(not a segfault or an AttributeError deep inside a bump).
"""

from __future__ import annotations

import subprocess
from importlib.metadata import version
from pathlib import Path

import pygit2
import pytest

from overlay_merge.core.git import libgit2

LABELS = (b"base", b"ours", b"theirs")
BASE = b"one\ntwo\nthree\n"
OURS = b"one\nTWO\nthree\n"
THEIRS = b"one\n2\nthree\n"


def test_every_private_name_is_there_with_its_shape() -> None:
    missing = libgit2.missing_private_names()
    assert missing == [], (
        f"pygit2 {version('pygit2')} changed private names that overlay_merge/core/git/"
        f"libgit2.py uses (checked against pygit2 1.21): {', '.join(missing)}"
    )


@pytest.mark.parametrize(
    ("table", "name", "expected"),
    [
        ("FUNCTIONS", "git_gone_function", "pygit2._libgit2.lib.git_gone_function"),
        ("STYLE_CONSTANTS", "GIT_GONE_STYLE", "pygit2._libgit2.lib.GIT_GONE_STYLE"),
        ("STRUCT_FIELDS", "git_gone_struct", "pygit2.ffi type git_gone_struct"),
    ],
)
def test_a_name_gone_is_named(
    monkeypatch: pytest.MonkeyPatch, table: str, name: str, expected: str
) -> None:
    values = {
        "FUNCTIONS": "void(*)(void)",
        "STYLE_CONSTANTS": name,
        "STRUCT_FIELDS": ("x",),
    }
    monkeypatch.setitem(getattr(libgit2, table), name, values[table])
    assert libgit2.missing_private_names() == [expected]


def test_a_changed_signature_or_field_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(libgit2.FUNCTIONS, "git_merge_file_result_free", "int(*)(void)")
    monkeypatch.setitem(libgit2.STRUCT_FIELDS, "git_merge_file_result", ("ptr", "gone"))
    missing = libgit2.missing_private_names()
    assert len(missing) == 2
    assert missing[0].startswith("pygit2._libgit2.lib.git_merge_file_result_free (now ")
    assert missing[1] == "pygit2.ffi field git_merge_file_result.gone"


def test_an_index_entry_without_to_c_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(pygit2.IndexEntry, "_to_c")
    assert libgit2.missing_private_names() == [
        "pygit2.IndexEntry._to_c (a (git_index_entry *, ...) tuple)"
    ]


def _entries(repo: pygit2.Repository) -> libgit2.Entries:
    def entry(data: bytes, path: str) -> pygit2.IndexEntry:
        return pygit2.IndexEntry(path, repo.create_blob(data), pygit2.enums.FileMode.BLOB)

    return entry(BASE, "base"), entry(OURS, "ours"), entry(THEIRS, "theirs")


def _git_merge_file(tmp_path: Path, *flags: str) -> bytes:
    paths = []
    for name, data in (("ours", OURS), ("base", BASE), ("theirs", THEIRS)):
        path = tmp_path / f"{name}.txt"
        path.write_bytes(data)
        paths.append(str(path))
    labels = [a for label in ("ours", "base", "theirs") for a in ("-L", label)]
    done = subprocess.run(
        ["git", "merge-file", "-p", *flags, *labels, *paths], capture_output=True, check=False
    )
    assert done.returncode == 1, done.stderr  # one conflict
    return done.stdout


@pytest.mark.parametrize("style", ["merge", "diff3", "zdiff3"])
def test_a_tiny_real_merge_goes_through_them(tmp_path: Path, style: str) -> None:
    repo = pygit2.init_repository(str(tmp_path / "repo"), bare=True)
    content, clean = libgit2.merge_file_from_index(
        repo, _entries(repo), LABELS, libgit2.style_flag(style), 7
    )
    assert not clean
    flags = {"merge": (), "diff3": ("--diff3",), "zdiff3": ("--zdiff3",)}[style]
    assert content == _git_merge_file(tmp_path, *flags)


def test_a_clean_merge_without_a_base(tmp_path: Path) -> None:
    repo = pygit2.init_repository(str(tmp_path / "repo"), bare=True)
    same = pygit2.IndexEntry("x", repo.create_blob(OURS), pygit2.enums.FileMode.BLOB)
    content, clean = libgit2.merge_file_from_index(
        repo, (None, same, same), LABELS, libgit2.style_flag("merge"), 7
    )
    assert (content, clean) == (OURS, True)
