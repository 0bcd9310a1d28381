"""The demo's file contents: package data under ``texts/``, and the generated logos.

``texts/<folder>/`` holds the files one commit writes, at their paths in the
repository plus a ``.txt`` suffix (``texts/skyportal/s0/README.md.txt`` is
``README.md`` as commit s0 writes it).  The suffix keeps the sample's Python
sources away from every tool that would treat them as this project's own:
linters, type checkers, the import linter, the byte-compiler of an install.
The bytes are committed as they are: the repository's ``.gitattributes``
turns off end-of-line conversion for them, so the generated commit ids do not
depend on how this project was checked out.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Traversable

SUFFIX = ".txt"


def read_texts(*folder: str) -> dict[str, bytes]:
    """``{path: bytes}`` of every file under ``texts/<folder...>/``, its suffix removed.

    Raises :class:`FileNotFoundError` when the folder holds no file, and
    :class:`ValueError` for a file without the suffix (a stray file would
    otherwise be committed into the sample under a wrong name).
    """
    top = resources.files("overlay_merge.demo") / "texts"
    for part in folder:
        top = top / part
    found = dict(_walk(top, ""))
    if not found:
        raise FileNotFoundError(f"demo texts: nothing under {'/'.join(folder)}")
    return found


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(SUFFIX):
            yield prefix + entry.name.removesuffix(SUFFIX), entry.read_bytes()
        else:
            raise ValueError(f"demo texts: {prefix}{entry.name} does not end in {SUFFIX}")


def png(red: int, green: int, blue: int) -> bytes:
    """A valid 1x1 RGB PNG (72 bytes, with NUL bytes in its chunk lengths)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = bytes((0, red, green, blue))  # filter byte "none", then one pixel
    # A hand-made "stored" deflate block rather than zlib.compress: compressor
    # output may differ between zlib builds (zlib-ng), the bytes must not.
    stream = (
        b"\x78\x01\x01"
        + struct.pack("<HH", len(raw), len(raw) ^ 0xFFFF)
        + raw
        + struct.pack(">I", zlib.adler32(raw))
    )
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")
    )
