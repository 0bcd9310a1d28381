"""Dependency merges: the deployment's extra dependencies into upstream's list, by name.

The launchers this replaces took a set union of requirement strings, so
``numpy>=1.26`` (the deployment's) and ``numpy==2.1`` (upstream's) both
survived and pip had to reconcile them.  Here each dependency is matched by
its name (Python: the canonical name and the environment marker, parsed by
``packaging``; npm: the package key): a name upstream lacks is appended, one
both pin the same way is left, one the deployment names without a version
(``astroscrappy``, npm ``*``) keeps upstream's pin, and one both pin
differently takes the *deployment's* requirement, in upstream's place — a
**collision**, reported (docs/design.md §9).  Upstream's file keeps its layout:
TOML is edited with tomlkit (comments, order and spacing stay), ``package.json``
keeps its key order, indentation and final newline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from overlay_merge.core.buildconfig import DependencyMerge, DepKind, FileKey
from overlay_merge.core.errors import OverlayMergeError


@dataclass(frozen=True)
class Collision:
    """A package both sides pin differently: the deployment's requirement wins."""

    name: str
    upstream: str
    deployment: str


@dataclass(frozen=True)
class MergeOutcome:
    """What one declared merge did to the build's file."""

    merge: DependencyMerge
    added: tuple[str, ...] = ()
    collisions: tuple[Collision, ...] = ()
    content: bytes = field(default=b"", repr=False)
    changed: bool = False


def merge_dependencies(merge: DependencyMerge, source: bytes, into: bytes) -> MergeOutcome:
    """Merge the dependencies of *source* (the deployment's file) into *into* (the build's)."""
    if merge.kind == DepKind.PYTHON:
        return _merge_python(merge, source, into)
    return _merge_npm(merge, source, into)


# -- Python ---------------------------------------------------------------------------


def _requirement(text: object, where: FileKey) -> tuple[tuple[str, str], Requirement]:
    if not isinstance(text, str):
        raise OverlayMergeError(
            f"{where}: {text!r} is not a requirement string", "list requirements as strings"
        )
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise OverlayMergeError(
            f"{where}: {text!r} is not a valid requirement ({exc})",
            "correct it (PEP 508, e.g. `numpy>=1.26`)",
        ) from None
    return (canonicalize_name(req.name), str(req.marker or "")), req


def _merge_python(merge: DependencyMerge, source: bytes, into: bytes) -> MergeOutcome:
    wanted = _toml_at(tomlkit.parse(_text(source, merge.source)), merge.source, list)
    document = tomlkit.parse(_text(into, merge.into))
    target = _toml_at(document, merge.into, list)
    # Upstream's requirements parsed once: by (name, marker), their place and parse.
    index = {}
    for i, item in enumerate(target):
        key, parsed = _requirement(item, merge.into)
        index[key] = (i, parsed)
    added, collisions = [], []
    for item in wanted:
        key, req = _requirement(item, merge.source)
        if key not in index:
            target.append(str(item))
            index[key] = (len(target) - 1, req)
            added.append(str(item))
            continue
        where, theirs = index[key]
        if _asks_any_version(req):
            # "astroscrappy" beside upstream's "astroscrappy==1.3.0" asks for the package,
            # not for another version: upstream's pin stays (with the deployment's extras).
            widened = _with_extras(theirs, req.extras)
            if widened is not None:
                target[where] = widened
        elif not _same_pin(theirs, req):
            collisions.append(Collision(key[0], str(target[where]), str(item)))
            target[where] = str(item)
    content = tomlkit.dumps(document).encode("utf-8")
    return MergeOutcome(merge, tuple(added), tuple(collisions), content, content != into)


def _asks_any_version(req: Requirement) -> bool:
    """True if *req* names a package without a version or a URL (``astroscrappy``)."""
    return not req.specifier and req.url is None


def _with_extras(req: Requirement, extras: set[str]) -> str | None:
    """*req* written with *extras* added, or None when it already has them all."""
    if extras <= req.extras:
        return None
    widened = Requirement(str(req))
    widened.extras = req.extras | extras
    return str(widened)


def _same_pin(one: Requirement, other: Requirement) -> bool:
    """True if two requirements of one package (name and marker alike) ask for the same:
    ``Requests>=2.31`` and ``requests >= 2.31`` do."""
    return (one.specifier, one.extras, one.url) == (other.specifier, other.extras, other.url)


def _toml_at(document: Any, where: FileKey, kind: type) -> Any:
    node = document
    for part in where.key:
        if not isinstance(node, dict) or part not in node:
            raise OverlayMergeError(
                f"{where}: no key {part!r} there", "correct the key in [tool.overlay-merge]"
            )
        node = node[part]
    if not isinstance(node, kind):
        raise OverlayMergeError(
            f"{where}: expected a {'list' if kind is list else 'table'}",
            "correct the key in [tool.overlay-merge]",
        )
    return node


def _text(data: bytes, where: FileKey) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OverlayMergeError(f"{where.path}: not UTF-8", "save it as UTF-8") from None


# -- npm ------------------------------------------------------------------------------


def _load_json(data: bytes, where: FileKey) -> Any:
    try:
        return json.loads(_text(data, where))
    except json.JSONDecodeError as exc:
        raise OverlayMergeError(
            f"{where.path}: invalid JSON ({exc})", "fix the JSON syntax"
        ) from None


_ANY_VERSION = frozenset({"", "*", "x", "latest"})  # npm ranges that accept any version


def _merge_npm(merge: DependencyMerge, source: bytes, into: bytes) -> MergeOutcome:
    wanted = _toml_at(_load_json(source, merge.source), merge.source, dict)
    text = _text(into, merge.into)
    document = _load_json(into, merge.into)
    target = _toml_at(document, merge.into, dict)
    added, collisions = [], []
    for name, version in wanted.items():
        if name not in target:
            added.append(name)
        elif version in _ANY_VERSION:
            continue  # the deployment asks for the package, not a version: upstream's stays
        elif target[name] != version:
            collisions.append(Collision(name, f"{name}@{target[name]}", f"{name}@{version}"))
        target[name] = version  # an existing key keeps its place: dicts keep their order
    if not added and not collisions:
        return MergeOutcome(merge, content=into)
    content = _dump_like(document, text).encode("utf-8")
    return MergeOutcome(merge, tuple(added), tuple(collisions), content, content != into)


def _dump_like(document: Any, original: str) -> str:
    """*document* as JSON indented as *original* is, with its final newline if it had one."""
    found = re.search(r"^[{\[]\s*\n([ \t]+)\S", original)
    indent: str | int = found.group(1) if found else 2
    body = json.dumps(document, indent=indent, ensure_ascii=False)
    return body + ("\n" if original.endswith("\n") else "")


def collisions_text(collisions: Sequence[Collision]) -> list[str]:
    """One line per collision, as reports show them."""
    return [f"{c.name}: upstream {c.upstream!r}, deployment {c.deployment!r}" for c in collisions]
