"""The parsers the refinement uses: tree-sitter grammars by file type, and keys of collections.

A file type without a grammar, or one whose grammar fails to load, is not
parsed: the rules and checks that need it are skipped (docs/design.md §5).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from overlay_merge.core.imports.grammars import GrammarUnavailable, nodes_of_type, parse, text
from overlay_merge.core.imports.model import Language
from overlay_merge.core.refine.model import FileType

if TYPE_CHECKING:
    from overlay_merge.core.imports.grammars import Node

LANGUAGES = {
    FileType.PYTHON: Language.PYTHON,
    FileType.JAVASCRIPT: Language.JAVASCRIPT,
    FileType.TYPESCRIPT: Language.TYPESCRIPT,
    FileType.TSX: Language.TSX,
    FileType.JSON: Language.JSON,
}

# Collection node types whose entries are keyed and unordered, per grammar.
OBJECTS = frozenset({"dictionary", "object"})
ENTRY_TYPES = frozenset({"pair", "shorthand_property_identifier"})


@lru_cache(maxsize=16)  # a merge parses the same sides again for each check
def tree(filetype: FileType, data: bytes) -> Node | None:
    """The syntax tree of *data* (root node), None if its type has no grammar loaded."""
    language = LANGUAGES.get(filetype)
    if language is None:
        return None
    try:
        return parse(language, data)
    except GrammarUnavailable:
        return None


def parses(filetype: FileType, data: bytes) -> bool | None:
    """True if *data* parses without an error, False if not, None if it cannot be parsed."""
    root = tree(filetype, data)
    return None if root is None else not root.has_error


def entry_key(node: Node) -> str:
    """The key of an object entry: its key's text (a shorthand property is its own key)."""
    key = node.child_by_field_name("key")
    raw = text(key if key is not None else node)
    # "a", 'a' and a name a are one key in JS and JSON objects.
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'" else raw


def duplicate_keys(filetype: FileType, root: Node) -> Counter[str]:
    """Per key, how many times it is repeated inside one object or dict literal."""
    found: Counter[str] = Counter()
    for node in nodes_of_type(LANGUAGES[filetype], root, tuple(sorted(OBJECTS))):
        keys = Counter(entry_key(c) for c in node.named_children if c.type in ENTRY_TYPES)
        found.update({k: n - 1 for k, n in keys.items() if n > 1})
    return found
