"""The plain values the git layer hands out: file modes, entries, changes, versions.

Nothing here imports pygit2, so a module that only names these (a mode, a
merge style, a result type) costs nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

MODE_BLOB = 0o100644
MODE_EXEC = 0o100755
MODE_LINK = 0o120000
MODE_TREE = 0o040000
MODE_GITLINK = 0o160000

INIT_HINT = "git submodule update --init --recursive"

MergeStyle = Literal["merge", "diff3", "zdiff3"]


@dataclass(frozen=True)
class Entry:
    """A file as git stores it: blob id and mode (regular, executable or symlink)."""

    oid: str
    mode: int


@dataclass(frozen=True)
class Change:
    """One path changed between two upstream commits (``A``dded, ``D``eleted,
    ``M``odified, ``R``enamed, ``T`` mode/type changed); renames keep the old path."""

    status: str
    path: str
    old_path: str | None = None
    similarity: int = 100


@dataclass(frozen=True)
class TreeDelta:
    """One path a checkout between two commits changes: its entry before and after
    (None where the path holds no file, symlink or gitlink)."""

    path: str
    old: Entry | None
    new: Entry | None


@dataclass(frozen=True)
class PathVersion:
    """One distinct upstream version of a path and the newest commit carrying it.

    ``entry`` None is the path's absence (an empty version).  ``order`` is
    the commit's place in the history walk: 0 for the commit the walk
    started at, larger for older ones; it says which of two commits is newer.
    """

    entry: Entry | None
    commit: str
    time: int
    order: int


@dataclass
class PathHistory:
    """The distinct versions of one path met in a history walk, keyed by entry."""

    versions: dict[Entry | None, PathVersion] = field(default_factory=dict)
    unreadable: int = 0
    """Steps of the walk at which the nested commit holding this path was missing
    (a shallow nested clone); a gitlink that does not move counts once."""


@dataclass(frozen=True)
class TreeFile:
    """A file of an upstream commit, nested submodules' files included."""

    path: str
    data: bytes
    mode: int


@dataclass(frozen=True)
class TreeBlob:
    """A file of a commit as :meth:`~overlay_merge.core.git.materialize.Materialize.iter_blobs`
    yields it: its blob id and mode, its bytes read only when ``read`` is called."""

    path: str
    oid: str
    mode: int
    read: Callable[[], bytes] = field(repr=False, compare=False)


@dataclass(frozen=True)
class SkippedSubmodule:
    """A nested submodule whose files could not be read, and the command that fixes it."""

    path: str
    reason: str
    hint: str


@dataclass(frozen=True)
class RenameStep:
    """One move of a file in upstream's history: *old_path* became *new_path* at *commit*."""

    old_path: str
    new_path: str
    commit: str
    similarity: int  # percent of lines in common at that commit (100: the same blob)


@dataclass(frozen=True)
class RenameTrail:
    """Where a file went through upstream's history: its last path (None: deleted on the
    way) and the moves that led there, oldest first."""

    path: str | None
    steps: tuple[RenameStep, ...] = ()
