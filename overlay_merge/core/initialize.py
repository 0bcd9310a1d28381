"""``init``: record a base for every overlay file that has none (the pin, or inferred)."""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.basefile import write_base_file
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.infer import Inferred, infer_bases
from overlay_merge.core.lock import writes
from overlay_merge.core.model import FileKind
from overlay_merge.core.overlay import read_overlay_bytes, scan_overlay


@dataclass(frozen=True)
class Recorded:
    """A base entry ``init`` wrote; ``inferred`` holds the evidence with ``--infer``."""

    path: str
    kind: FileKind
    base: str
    inferred: Inferred | None = None


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did: the pin used, the entries added, the entries kept."""

    pin: str
    recorded: tuple[Recorded, ...]
    kept: int
    rewritten: bool
    infer: bool = False
    shallow: str | None = None
    """With *infer* on a shallow upstream (older history not searched): the command
    that fetches the rest."""
    pruned: tuple[str, ...] = ()


@writes("init")
def init_bases(
    deployment: Deployment, *, pinned: bool = False, infer: bool = False, prune: bool = False
) -> InitResult:
    """Give every overlay file without an entry a base: the pin, or an inferred one.

    With *infer*, the base is the newest upstream commit carrying the version
    of the file closest to the overlay copy (see :mod:`overlay_merge.core.infer`).
    Existing entries are kept as they are (their files may be stale: that is
    for ``status`` and ``bump`` to say).  The file is rewritten in sorted order
    when entries were added or it was out of order, and left untouched
    otherwise, so a second ``init`` writes nothing.  With *prune*, entries
    whose overlay file is gone (``orphaned``; excluded paths aside) are dropped.
    """
    layout = deployment.layout
    pin = deployment.pin(pinned=pinned)
    bases = deployment.bases(require_sorted=False)
    present = {item.path for item in scan_overlay(layout)}
    missing = sorted((p for p in present if p not in bases), key=lambda p: p.encode("utf-8"))
    pruned = tuple(p for p in bases if prune and p not in present and not layout.is_excluded(p))
    if infer:
        recorded = _inferred(deployment, pin, missing)
    else:
        recorded = [_at_pin(deployment, pin, path) for path in missing]
    entries = {p: c for p, c in bases.items() if p not in pruned}
    entries.update({r.path: r.base for r in recorded})
    in_order = list(bases) == sorted(bases, key=lambda p: p.encode("utf-8"))
    rewritten = bool(recorded) or bool(pruned) or not in_order
    if rewritten:
        write_base_file(layout.base_file_path, entries)
    upstream = deployment.upstream
    shallow = upstream.fetch_hint() if infer and upstream.is_shallow else None
    kept = len(bases) - len(pruned)
    return InitResult(pin, tuple(recorded), kept, rewritten, infer, shallow, pruned)


def _at_pin(deployment: Deployment, pin: str, path: str) -> Recorded:
    kind = FileKind.PATCH if deployment.upstream.entry(pin, path) is not None else FileKind.ADDITION
    return Recorded(path, kind, pin)


def _inferred(deployment: Deployment, pin: str, paths: list[str]) -> list[Recorded]:
    overlay = {path: read_overlay_bytes(deployment.layout, path) for path in paths}
    found = infer_bases(deployment.upstream, pin, overlay)
    return [Recorded(i.path, i.kind, i.base, i) for i in found]
