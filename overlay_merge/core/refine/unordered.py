"""Rule ``unordered``: both sides added distinct entries at one point of an unordered collection.

The collections: a JSON object, a JS/TS object or Python dict literal
(entries keyed by their key), Python's ``__all__`` (by the string) and a
block of imports at the top of a module (by the names each binds).  Both
sides must only insert, at the same point, whole entries of one
collection; a key added by both sides, or already there, stays a
conflict, and so does anything in an ordered list.  The union is the
overlay's entries then upstream's, or one sorted run when the collection
reads sorted on both sides.  The file with the union must parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from overlay_merge.core.imports.grammars import text
from overlay_merge.core.refine.model import Hunk, Lines
from overlay_merge.core.refine.syntax import ENTRY_TYPES, OBJECTS, entry_key, tree

if TYPE_CHECKING:
    from overlay_merge.core.imports.grammars import Node

IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
MODULES = frozenset({"module", "program"})
_GLUE = frozenset(b" \t\r\n,")


@dataclass(frozen=True)
class Insertion:
    """Both sides' added lines at base line *at* of the hunk."""

    at: int
    ours: Lines
    theirs: Lines


def insertion(hunk: Hunk) -> Insertion | None:
    """The hunk as two insertions at one base point, None if either side changed base lines."""
    found = []
    for side in (hunk.ours, hunk.theirs):
        prefix = 0
        limit = min(len(side), len(hunk.base))
        while prefix < limit and side[prefix] == hunk.base[prefix]:
            prefix += 1
        rest = len(hunk.base) - prefix
        if len(side) < len(hunk.base) or side[len(side) - rest :] != hunk.base[prefix:]:
            return None
        found.append((prefix, side[prefix : len(side) - rest]))
    (p, ours), (q, theirs) = found
    if p != q or not ours or not theirs:
        return None
    return Insertion(p, ours, theirs)


def _collection(root: Node, start: int, end: int) -> Node | None:
    """The innermost object/dict, ``__all__`` list or module holding bytes [start, end)."""
    node = root.descendant_for_byte_range(start, max(start, end - 1))
    while node is not None:
        kind = node.type in OBJECTS or node.type in MODULES or _is_all(node)
        if kind and node.start_byte <= start and end <= node.end_byte:
            return node
        node = node.parent
    return None


def _is_all(node: Node) -> bool:
    parent = node.parent
    if node.type != "list" or parent is None or parent.type != "assignment":
        return False
    return text(parent.child_by_field_name("left")) == "__all__"


def _entries(collection: Node) -> list[Node]:
    if collection.type in MODULES:
        return [c for c in collection.named_children if c.type in IMPORTS]
    if collection.type == "list":
        return [c for c in collection.named_children if c.type == "string"]
    return [c for c in collection.named_children if c.type in ENTRY_TYPES]


def _keys(node: Node) -> set[str]:
    """What an entry binds: its key, string, or for an import every name it imports."""
    if node.type == "string":
        return {text(node)[1:-1]}
    if node.type not in IMPORTS:
        return {entry_key(node)}
    names = set()
    module = node.child_by_field_name("module_name")
    for child in node.named_children:
        if _same(child, module):
            continue
        if child.type in ("dotted_name", "aliased_import", "identifier", "import_clause"):
            names.update(_bound(child))
    return names or {text(node)}


def _bound(node: Node) -> set[str]:
    if node.type == "aliased_import":
        return {text(node.child_by_field_name("alias"))}
    if node.type in ("dotted_name", "identifier"):
        return {text(node)}
    found = set()
    for child in node.named_children:
        if child.type in ("identifier", "namespace_import"):
            found.add(text(child))
        elif child.type == "named_imports":
            for spec in child.named_children:
                alias = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                found.add(text(alias))
    return found


def _covered(doc: bytes, start: int, end: int, collection: Node) -> list[Node] | None:
    """The entries making up bytes [start, end) exactly (with commas, blanks, comments)."""
    inside = []
    at = start
    for child in collection.named_children:
        if child.end_byte <= start or child.start_byte >= end:
            continue
        if child.start_byte < start or child.end_byte > end:
            return None  # an entry that only begins or ends in the inserted lines
        if child.type != "comment" and not any(_same(child, e) for e in _entries(collection)):
            return None
        if any(b not in _GLUE for b in doc[at : child.start_byte]):
            return None
        inside.append(child)
        at = child.end_byte
    if any(b not in _GLUE for b in doc[at:end]):
        return None
    entries = [c for c in inside if c.type != "comment"]
    return entries or None


def _sorted_run(lines: Lines) -> bool:
    keys = [line.strip() for line in lines]
    return keys == sorted(keys)


def _order(hunk: Hunk, found: Insertion) -> Lines:
    """The union: one sorted run if both sides read sorted around the point, else ours, theirs."""
    before = hunk.before.splitlines(keepends=True)[-1:]
    after = hunk.after.splitlines(keepends=True)[:1]
    around = (*before, *hunk.base[: found.at]), (*hunk.base[found.at :], *after)
    single = all(line.count(b"\n") == 1 for line in (*found.ours, *found.theirs))
    if single and (around[0] or around[1]):
        ours, theirs = (
            (*around[0], *found.ours, *around[1]),
            (*around[0], *found.theirs, *around[1]),
        )
        if _sorted_run(ours) and _sorted_run(theirs):
            return tuple(sorted((*found.ours, *found.theirs), key=bytes.strip))
    return (*found.ours, *found.theirs)


def unordered(hunk: Hunk) -> Lines | None:
    """The union of both sides' new entries (see the module doc), None if unsure."""
    found = insertion(hunk)
    if found is None:
        return None
    union = _order(hunk, found)
    resolution = (*hunk.base[: found.at], *union, *hunk.base[found.at :])
    doc = hunk.document(resolution)
    root = tree(hunk.filetype, doc)
    if root is None or root.has_error:
        return None
    start = len(hunk.before) + len(b"".join(hunk.base[: found.at]))
    end = start + len(b"".join(union))
    collection = _collection(root, start, end)
    if collection is None:
        return None
    added = _covered(doc, start, end, collection)
    if added is None:
        return None
    if collection.type in MODULES and not _beside_imports(collection, start, end, added):
        return None
    return resolution if _distinct(collection, added) else None


def _beside_imports(module: Node, start: int, end: int, added: list[Node]) -> bool:
    """True if the added imports sit in an import block: an import just before or after them."""
    children = module.named_children
    before = [c for c in children if c.end_byte <= start]
    after = [c for c in children if c.start_byte >= end]
    near = [n for n in (before[-1:] + after[:1]) if n.type != "comment"]
    return any(n.type in IMPORTS for n in near)


def _same(a: Node | None, b: Node | None) -> bool:
    if a is None or b is None:
        return False
    return (a.start_byte, a.end_byte, a.type) == (b.start_byte, b.end_byte, b.type)


def _distinct(collection: Node, added: list[Node]) -> bool:
    """True if no key is added twice, nor already in the collection."""
    old = [n for n in _entries(collection) if not any(_same(n, a) for a in added)]
    seen: set[str] = set()
    for node in old:
        seen |= _keys(node)
    for node in added:
        keys = _keys(node)
        if keys & seen:
            return False
        seen |= keys
    return True
