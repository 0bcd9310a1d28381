"""`.overlay-base`: which upstream commit each overlay file was merged with.

Format (docs/design.md §4): UTF-8, ``\\n`` line ends, one entry per line
``<40-hex commit>  <overlay-relative path>`` sorted by the path's UTF-8
bytes; ``#`` comment lines and blank lines are ignored.  Reading is strict:
any bad line raises :class:`OverlayMergeError` naming the file, the line
number and the problem.  Writing is atomic and always sorted.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.paths import path_problem, read_regular

HEADER = (
    "# overlay-merge: the upstream commit each overlay file was last merged with.\n"
    "# Written by overlay-merge; review it, do not edit it by hand.\n"
)
MAX_SIZE = 16 * 1024 * 1024
_HEX40 = re.compile(r"[0-9a-f]{40}")
_SEPARATOR = "  "


def _sort_key(path: str) -> bytes:
    return path.encode("utf-8")


def parse_base_file(
    data: bytes, source: str = ".overlay-base", *, require_sorted: bool = True
) -> dict[str, str]:
    """Parse the bytes of a base file into ``{overlay path: commit hex}``.

    *source* names the file in error messages.  With *require_sorted* false,
    out-of-order entries are accepted (``init`` uses this to rewrite a file
    into order); every other rule still holds.
    """
    if len(data) > MAX_SIZE:
        raise OverlayMergeError(
            f"{source}: {len(data)} bytes, larger than the {MAX_SIZE}-byte limit "
            "for a base file; it is not a `.overlay-base` written by overlay-merge",
            "check which file `base-file` names in [tool.overlay-merge]",
        )
    entries: dict[str, str] = {}
    previous: str | None = None
    for number, raw in enumerate(data.split(b"\n"), start=1):
        where = f"{source}:{number}"
        line = _text_line(raw, where, source)
        if not line.strip() or line.startswith("#"):
            continue
        entry = _entry(line, where)
        commit, path = entry.commit, entry.path
        if path in entries:
            raise OverlayMergeError(f"{where}: duplicate entry for {path!r}", _FIX)
        if require_sorted and previous is not None and _sort_key(path) < _sort_key(previous):
            raise OverlayMergeError(
                f"{where}: entries are not sorted by path ({path!r} comes after {previous!r})",
                "run `overlay-merge init`, which rewrites the file in order",
            )
        entries[path] = commit
        previous = path
    return entries


_FIX = "correct or delete that line, then run `overlay-merge init`"


def _text_line(raw: bytes, where: str, source: str) -> str:
    """Line *raw* of the base file as text; raises for bytes that are not UTF-8 and CRLF."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OverlayMergeError(f"{where}: not UTF-8 (byte {exc.start + 1})", _FIX) from None
    if line.endswith("\r"):
        raise OverlayMergeError(
            f"{where}: CRLF line end; `.overlay-base` uses \\n line ends",
            f"convert it with `sed -i 's/\\r$//' {quote(source)}`",
        )
    return line


@dataclass(frozen=True)
class _Entry:
    commit: str
    path: str


def _entry(line: str, where: str) -> _Entry:
    """Entry *line*: its commit and its path, each checked."""
    commit, sep, path = line.partition(_SEPARATOR)
    if not sep:
        raise OverlayMergeError(
            f"{where}: expected '<40-hex commit>  <path>' (two spaces), got {line[:80]!r}", _FIX
        )
    if not _HEX40.fullmatch(commit):
        raise OverlayMergeError(
            f"{where}: {commit[:80]!r} is not a full 40-hex lowercase commit id", _FIX
        )
    problem = path_problem(path)
    if problem:
        raise OverlayMergeError(f"{where}: {path[:200]!r}: {problem}", _FIX)
    return _Entry(commit, path)


def entry_lines(data: bytes) -> dict[str, int]:
    """The 1-based line number of each entry of base-file *data*, for messages.

    Meant for a file :func:`parse_base_file` accepted; bad lines are skipped.
    """
    lines: dict[str, int] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line = raw.decode("utf-8", "replace")
        commit, sep, path = line.partition(_SEPARATOR)
        if sep and _HEX40.fullmatch(commit):
            lines.setdefault(path, number)
    return lines


def read_base_file(
    path: Path, *, require_sorted: bool = True, source: str | None = None
) -> dict[str, str]:
    """Read and validate the base file at *path*; a missing file has no entries.

    *source* names it in messages (the deployment-relative name, as every
    other message does); *path* by default.
    """
    shown = source or str(path)
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return {}
    if stat.S_ISLNK(mode):
        raise OverlayMergeError(
            f"{shown}: is a symlink; the base file must be a regular file",
            f"replace the link with the file it points to (`cp --remove-destination "
            f'"$(readlink -f {quote(path)})" {quote(path)}`)',
        )
    if stat.S_ISDIR(mode):
        raise OverlayMergeError(f"{shown}: is a directory, not a base file")
    # A FIFO, a socket or a device: refused without a blocking read.
    hint = f"remove it (`rm {quote(path)}`); `overlay-merge init` writes a new one"
    data = read_regular(path, shown, hint)
    if data is None:
        return {}
    return parse_base_file(data, shown, require_sorted=require_sorted)


def format_base_file(entries: Mapping[str, str]) -> bytes:
    """Render entries as base-file bytes: header, then one sorted line per entry."""
    lines = [HEADER]
    for path in sorted(entries, key=_sort_key):
        commit = entries[path]
        if not _HEX40.fullmatch(commit):
            raise ValueError(f"not a 40-hex commit id: {commit!r}")
        problem = path_problem(path)
        if problem:
            raise ValueError(f"unsafe path {path!r}: {problem}")
        lines.append(f"{commit}{_SEPARATOR}{path}\n")
    return "".join(lines).encode("utf-8")


def write_base_file(path: Path, entries: Mapping[str, str]) -> None:
    """Atomically replace the base file at *path* with *entries*, sorted."""
    write_bytes_atomic(path, format_base_file(entries))
