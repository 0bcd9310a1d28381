"""Content is bytes end to end: line endings, encodings, final newlines, modes, symlinks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conftest import run_cli, tree_digest
from gitutil import commit_files, git

from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"


def _lines(*items: bytes, eol: bytes = b"\n", final: bool = True) -> bytes:
    body = eol.join(items)
    return body + eol if final else body


TEN = [b"line %d" % i for i in range(10)]


def _edit(lines: list[bytes], index: int, new: bytes) -> list[bytes]:
    out = list(lines)
    out[index] = new
    return out


def _setup(sample: Sample, tmp_path: Path) -> tuple[str, Path]:
    upstream = sample.deployment / "skyportal"
    latin = [b"caf\xe9 %d" % i for i in range(10)]
    u1 = commit_files(
        upstream,
        {
            "crlf.py": _lines(*TEN, eol=b"\r\n"),
            "latin1.txt": _lines(*latin),
            "nofinal.py": _lines(*TEN, final=False),
            "run.sh": _lines(*TEN),
            "link": b"README.md",
        },
        "add byte-sensitive files",
        modes={"link": stat.S_IFLNK},
    )
    u2 = commit_files(
        upstream,
        {
            "crlf.py": _lines(*_edit(TEN, 9, b"upstream"), eol=b"\r\n"),
            "latin1.txt": _lines(*_edit(latin, 9, b"upstream \xe9")),
            "nofinal.py": _lines(*_edit(TEN, 9, b"upstream"), final=False),
            "run.sh": _lines(*_edit(TEN, 9, b"upstream")),
            "link": b"skyportal/app_server.py",
        },
        "upstream edits the last lines, makes run.sh executable, moves the link",
        modes={"run.sh": 0o755, "link": stat.S_IFLNK},
    )
    git(upstream, "checkout", "-q", "--detach", u1)
    overlay = sample.deployment / OVERLAY
    (overlay / "crlf.py").write_bytes(_lines(*_edit(TEN, 0, b"overlay"), eol=b"\r\n"))
    (overlay / "latin1.txt").write_bytes(_lines(*_edit(latin, 0, b"overlay \xe9")))
    (overlay / "nofinal.py").write_bytes(_lines(*_edit(TEN, 0, b"overlay"), final=False))
    (overlay / "run.sh").write_bytes(_lines(*_edit(TEN, 0, b"overlay")))
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not the overlay's\n")
    os.symlink(str(outside), overlay / "link")  # points outside the deployment
    base_file = sample.deployment / ".overlay-base"
    entries = [ln for ln in base_file.read_text().splitlines() if ln and ln[0] != "#"]
    entries += [f"{u1}  {p}" for p in ("crlf.py", "latin1.txt", "link", "nofinal.py", "run.sh")]
    base_file.write_text("\n".join(sorted(entries, key=lambda e: e[42:].encode())) + "\n")
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "byte-sensitive overlay files")
    return u2, outside


def test_merges_keep_bytes_modes_and_never_follow_symlinks(sample: Sample, tmp_path: Path) -> None:
    u2, outside = _setup(sample, tmp_path)
    overlay = sample.deployment / OVERLAY
    before = tree_digest(sample.deployment / OVERLAY)
    plan = run_cli(sample.deployment, "bump", u2, "--dry-run", "--format", "json")
    states = {f["path"]: f["state"] for f in __import__("json").loads(plan.output)["files"]}
    assert states["crlf.py"] == states["latin1.txt"] == states["nofinal.py"] == "clean"
    assert states["run.sh"] == "clean"
    assert states["link"] == "binary"  # both sides moved the link: the maintainer picks

    result = run_cli(sample.deployment, "bump", u2, "--choice", "merge")
    assert result.exit_code == 1, result.output  # the link is left to decide
    assert (overlay / "crlf.py").read_bytes() == _lines(
        *_edit(_edit(TEN, 0, b"overlay"), 9, b"upstream"), eol=b"\r\n"
    )
    latin = [b"caf\xe9 %d" % i for i in range(10)]
    assert (overlay / "latin1.txt").read_bytes() == _lines(
        *_edit(_edit(latin, 0, b"overlay \xe9"), 9, b"upstream \xe9")
    )
    assert (overlay / "nofinal.py").read_bytes() == _lines(
        *_edit(_edit(TEN, 0, b"overlay"), 9, b"upstream"), final=False
    )
    assert os.stat(overlay / "run.sh").st_mode & 0o777 == 0o755  # upstream's exec bit taken
    assert (overlay / "link").is_symlink()
    assert os.readlink(overlay / "link") == str(outside)
    assert outside.read_bytes() == b"not the overlay's\n"

    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert tree_digest(sample.deployment / OVERLAY) == before
    assert os.stat(overlay / "run.sh").st_mode & 0o777 == 0o644
