"""Three-way merges of byte strings with libgit2, in memory: nothing is written anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pygit2

from overlay_merge.core.git import libgit2
from overlay_merge.core.git.model import MergeStyle


class _MemoryBackend(pygit2.OdbBackend):
    """An object database backend in a dict: the three sides of one merge.

    ``git_merge_file_from_index`` reads its inputs as blobs from a
    repository's object database; keeping them here means a merge (and so a
    dry run) writes nothing anywhere.  Raising KeyError means "not found".
    """

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[pygit2.Oid, bytes] = {}

    def read_cb(self, oid: pygit2.Oid) -> tuple[int, bytes]:
        return int(pygit2.enums.ObjectType.BLOB), self.blobs[oid]

    def read_prefix_cb(self, prefix: str) -> tuple[int, bytes, pygit2.Oid]:
        # libgit2 reloads blob data through here even for full ids.
        for oid, data in self.blobs.items():
            if str(oid).startswith(str(prefix)):
                return int(pygit2.enums.ObjectType.BLOB), data, oid
        raise KeyError(prefix)

    def read_header_cb(self, oid: pygit2.Oid) -> tuple[int, int]:
        return int(pygit2.enums.ObjectType.BLOB), len(self.blobs[oid])

    def exists_cb(self, oid: pygit2.Oid) -> bool:
        return oid in self.blobs

    def exists_prefix_cb(self, prefix: str) -> pygit2.Oid:
        for oid in self.blobs:
            if str(oid).startswith(str(prefix)):
                return oid
        raise KeyError(prefix)

    def refresh_cb(self) -> None:
        pass

    def write_cb(self, oid: pygit2.Oid, data: bytes, kind: int) -> None:
        self.blobs[oid] = data

    def __iter__(self) -> Iterator[pygit2.Oid]:
        return iter(list(self.blobs))


class _Merger:
    """One in-memory repository reused for every merge (not thread-safe)."""

    def __init__(self) -> None:
        self.backend = _MemoryBackend()
        odb = pygit2.Odb()
        odb.add_backend(self.backend, 1)
        self.repo = pygit2.Repository()
        self.repo.set_odb(odb)

    def _entry(self, data: bytes, path: str) -> pygit2.IndexEntry:
        oid = pygit2.hash(data)
        self.backend.blobs[oid] = data
        return pygit2.IndexEntry(path, oid, pygit2.enums.FileMode.BLOB)

    def merge(
        self,
        base: bytes | None,
        ours: bytes,
        theirs: bytes,
        labels: tuple[bytes, bytes, bytes],
        flags: int,
        marker_size: int,
    ) -> tuple[bytes | None, bool]:
        """:func:`merge_file` with encoded labels and the style's libgit2 flag."""
        entries: libgit2.Entries = (
            None if base is None else self._entry(base, "base"),
            self._entry(ours, "ours"),
            self._entry(theirs, "theirs"),
        )
        try:
            return libgit2.merge_file_from_index(self.repo, entries, labels, flags, marker_size)
        finally:
            self.backend.blobs.clear()


_merger: _Merger | None = None


def merge_file(
    base: bytes | None,
    ours: bytes,
    theirs: bytes,
    *,
    labels: tuple[str, str, str],
    style: MergeStyle = "zdiff3",
    marker_size: int = 7,
) -> tuple[bytes | None, bool]:
    """Three-way merge of byte strings with libgit2, labelled git-style markers.

    *labels* are (base, ours, theirs) marker labels, *marker_size* their
    width (git's default 7).  *base* None merges two
    sides that were both added (empty ancestor).  Returns ``(content,
    automergeable)``; content is None when libgit2 sees binary input.
    Nothing is written anywhere: the blobs live in an in-memory backend.
    """
    global _merger  # noqa: PLW0603 - one in-memory repository, built on first use
    if _merger is None:
        _merger = _Merger()
    encoded = tuple(label.encode("utf-8") for label in labels)
    return _merger.merge(
        base,
        ours,
        theirs,
        (encoded[0], encoded[1], encoded[2]),
        libgit2.style_flag(style),
        marker_size,
    )
