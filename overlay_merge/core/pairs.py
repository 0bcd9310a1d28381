"""Several upstream/overlay pairs in one deployment (docs/design.md §3).

::

    [tool.overlay-merge]              # keys here are defaults every pair inherits
    exclude = ["*.fits"]

    [[tool.overlay-merge.overlays]]
    name = "skyportal"
    upstream = "skyportal"
    overlay = "extensions/skyportal"

    [[tool.overlay-merge.overlays]]
    name = "fink"
    upstream = "fink-client"
    overlay = "extensions/fink"
    base-file = ".overlay-base-fink"
    build-dir = "patched_fink"

Every key is per pair; a pair's own value replaces the inherited one (lists
too: a pair's ``exclude`` is its whole list).  Without ``overlays`` the table
itself is the one pair, named from its overlay folder's last part.  Pairs
never share a place: not an upstream (a bump moves the submodule, so two
pairs on one upstream would move each other's pin), an overlay, a base file
or a build dir, and none lies inside another's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from overlay_merge.core.errors import OverlayMergeError

PAIRS_KEY = "overlays"
NAME_KEY = "name"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_TABLE = "[[tool.overlay-merge.overlays]]"
_WHERE = "pyproject.toml: [tool.overlay-merge]"
_EXAMPLE = f'{_TABLE} tables, each with name = "NAME", upstream, overlay, base-file, build-dir'


class PairNotNamed(OverlayMergeError):
    """A folder override given with several pairs and none named (the CLI: a usage error)."""


@dataclass(frozen=True)
class PairTable:
    """One pair's configuration: the inherited keys with its own over them."""

    name: str | None  # as configured; None: named from its overlay folder
    table: Mapping[str, object]
    label: str  # how messages name it ("" for the single form: messages stay as they were)


def pair_tables(section: Mapping[str, object], keys: Sequence[str]) -> list[PairTable]:
    """The pairs of a ``[tool.overlay-merge]`` table, in configured order.

    *keys* are the per-pair keys.  Raises one line for: an unknown key (at the
    top or in a pair), an ``overlays`` value that is not a list of tables, a
    missing or malformed name where there are several pairs, a duplicate name.
    """
    _require_known(section, (*keys, PAIRS_KEY), _WHERE)
    inherited = {k: v for k, v in section.items() if k != PAIRS_KEY}
    raw = section.get(PAIRS_KEY)
    if raw is None:
        return [PairTable(None, inherited, "")]
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise OverlayMergeError(
            f"{_WHERE} {PAIRS_KEY}: expected a list of tables (one per pair)",
            f"write it as {_EXAMPLE}",
        )
    pairs = [_pair(index, table, keys, inherited, len(raw)) for index, table in enumerate(raw, 1)]
    _require_unique([p.name for p in pairs if p.name is not None])
    return pairs


def _pair(
    index: int,
    table: Mapping[str, object],
    keys: Sequence[str],
    inherited: Mapping[str, object],
    count: int,
) -> PairTable:
    where = f"pyproject.toml: {_TABLE} #{index}"
    _require_known(table, (NAME_KEY, *keys), where)
    name = table.get(NAME_KEY)
    if name is None and count > 1:
        raise OverlayMergeError(
            f"{where}: no `name`; with several pairs each needs one",
            f'add name = "NAME" (a short word: {_NAME.pattern}) to the table',
        )
    if name is not None and not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise OverlayMergeError(
            f"{where}: name = {name!r}: expected a short word matching {_NAME.pattern}",
            'use lower-case letters, digits, ".", "_" or "-", e.g. name = "fink"',
        )
    own = {k: v for k, v in table.items() if k != NAME_KEY}
    label = f"pair {name!r}" if name else f"{_TABLE} #{index}"
    return PairTable(name, {**inherited, **own}, label)


def _require_known(table: Mapping[str, object], known: Sequence[str], where: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise OverlayMergeError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(known)})",
            "remove or rename the key in pyproject.toml",
        )


def _require_unique(names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise OverlayMergeError(
                f"pyproject.toml: {_TABLE}: two pairs are named {name!r}",
                "give each pair its own name",
            )
        seen.add(name)


def derived_name(overlay: str) -> str:
    """The name of a pair configured without one: its overlay folder's last part,
    made a valid name (``extensions/skyportal`` -> ``skyportal``)."""
    last = overlay.rstrip("/").rsplit("/", 1)[-1].lower()
    word = re.sub(r"[^a-z0-9._-]+", "-", last).lstrip("._-")
    return word or "overlay"


@contextmanager
def in_pair(label: str) -> Iterator[None]:
    """Prefix every error raised inside with the pair's *label* (none for the single form)."""
    try:
        yield
    except OverlayMergeError as exc:
        if not label or label in exc.message:
            raise  # the single form, or the message names the pair already
        file, sep, rest = exc.message.partition("pyproject.toml: ")
        message = f"{sep}{label}: {rest}" if sep and not file else f"{label}: {exc.message}"
        raise OverlayMergeError(message, exc.hint) from None


def check_pairs_disjoint(pairs: Sequence[tuple[str, Mapping[str, str]]], root: Path) -> None:
    """Refuse two pairs sharing a place (an upstream included), or one's place inside another's.

    *pairs* are (name, {key: deployment-relative path}); keys are compared
    across pairs, all against all: one pair's build dir inside another's
    overlay is refused like a shared base file.
    """
    for i, (first, places) in enumerate(pairs):
        for second, others in pairs[i + 1 :]:
            for key, a in places.items():
                for other_key, b in others.items():
                    if a == b or a.startswith(b + "/") or b.startswith(a + "/"):
                        raise _overlap(first, key, a, second, other_key, b, root)


def _overlap(
    first: str, key: str, a: str, second: str, other_key: str, b: str, root: Path
) -> OverlayMergeError:
    same = a == b and key == other_key
    how = "share" if same else "overlap:"
    what = f"{key} {a!r}" if same else f"{key} = {a!r} and {other_key} = {b!r}"
    why = " (a bump moves the submodule for both)" if same and key == "upstream" else ""
    return OverlayMergeError(
        f"pairs {first!r} and {second!r} {how} {what} in {root}{why}; "
        "each pair needs its own places",
        f"give each {_TABLE} its own upstream, overlay, base-file and build-dir",
    )


def select(names: Sequence[str], pair: str | None) -> str | None:
    """*pair* checked against the configured *names* (None: all of them)."""
    if pair is None or pair in names:
        return pair
    raise OverlayMergeError(
        f"--pair {pair!r}: no such pair (configured: {', '.join(names)})",
        "name one of the pairs of [tool.overlay-merge] in pyproject.toml",
    )


def only_one(names: Sequence[str]) -> OverlayMergeError:
    """The error for a caller needing one pair when several are configured and none is named."""
    return OverlayMergeError(
        f"{len(names)} overlay pairs are configured ({', '.join(names)}); this needs one",
        f"name it with `overlay-merge --pair {names[0]} ...`",
    )
