"""``init``: record a base for every overlay file that has none."""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.basefile import write_base_file
from overlay_merge.core.deployment import Deployment
from overlay_merge.core.overlay import scan_overlay
from overlay_merge.core.status import ADDITION, PATCH


@dataclass(frozen=True)
class Recorded:
    """A base entry ``init`` wrote."""

    path: str
    kind: str
    base: str


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did: the pin used, the entries added, the entries kept."""

    pin: str
    recorded: tuple[Recorded, ...]
    kept: int
    rewritten: bool


def init_bases(deployment: Deployment, *, pinned: bool = False) -> InitResult:
    """Give every overlay file without an entry the pin as its base.

    Existing entries are kept as they are (their files may be stale: that is
    for ``status`` and ``bump`` to say).  The file is rewritten in sorted order
    when entries were added or it was out of order, and left untouched
    otherwise, so a second ``init`` writes nothing.
    """
    layout = deployment.layout
    pin = deployment.pin(pinned=pinned)
    bases = deployment.bases(require_sorted=False)
    recorded: list[Recorded] = []
    for item in scan_overlay(layout):
        if item.path in bases:
            continue
        kind = PATCH if deployment.upstream.entry(pin, item.path) is not None else ADDITION
        recorded.append(Recorded(item.path, kind, pin))
    entries = dict(bases)
    entries.update({r.path: r.base for r in recorded})
    in_order = list(bases) == sorted(bases, key=lambda p: p.encode("utf-8"))
    rewritten = bool(recorded) or not in_order
    if rewritten:
        write_base_file(layout.base_file_path, entries)
    return InitResult(pin, tuple(recorded), len(bases), rewritten)
