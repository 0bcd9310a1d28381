"""The tree-sitter grammars, loaded on first use; one that fails to load is reported, not guessed.

Each grammar is a PyPI package (tree-sitter-python, -javascript,
-typescript, -json).  Loading can fail (the package missing, a build for another
tree-sitter ABI): then that language's analysis is skipped and the plan says
why (docs/design.md §5) — a reading of imports by pattern matching could
only guess.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, cast

from overlay_merge.core.imports.model import Language

if TYPE_CHECKING:
    from tree_sitter import Node as Node  # noqa: PLC0414 - re-exported for core/refine/
    from tree_sitter import Parser

# The package and the function of it that hands out each grammar.
LOADERS: dict[Language, tuple[str, str]] = {
    Language.PYTHON: ("tree_sitter_python", "language"),
    Language.JAVASCRIPT: ("tree_sitter_javascript", "language"),
    Language.TYPESCRIPT: ("tree_sitter_typescript", "language_typescript"),
    Language.TSX: ("tree_sitter_typescript", "language_tsx"),
    Language.JSON: ("tree_sitter_json", "language"),
}


class GrammarUnavailable(Exception):
    """The grammar of a language could not be loaded; ``str()`` says which and why."""


_loaded: dict[Language, Parser | GrammarUnavailable] = {}


def parser(language: Language) -> Parser:
    """A parser for *language*; :class:`GrammarUnavailable` when its grammar fails to load.

    Cached, the failure too: one load attempt per language and process.
    """
    found = _loaded.get(language)
    if found is None:
        found = _loaded[language] = _load(language)
    if isinstance(found, GrammarUnavailable):
        raise found
    return found


def _load(language: Language) -> Parser | GrammarUnavailable:
    package, function = LOADERS[language]
    try:
        # tree-sitter itself too is imported here: a broken install skips the analysis.
        binding = importlib.import_module("tree_sitter")
        module = importlib.import_module(package)
        return cast("Parser", binding.Parser(binding.Language(getattr(module, function)())))
    except Exception as exc:  # any failure to load means: no analysis, never a guess
        return GrammarUnavailable(
            f"the tree-sitter grammar of {language.display} ({package}) failed to load "
            f"({type(exc).__name__}: {exc})"
        )


def parse(language: Language, data: bytes) -> Node:
    """The syntax tree of *data* in *language* (its root node)."""
    return parser(language).parse(data).root_node


def text(node: Node | None) -> str:
    """The source text of *node* ("" for None), decoded leniently."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def string_value(node: Node | None) -> str | None:
    """The value of a plain string literal node (no interpolation); None for anything else."""
    if node is None or node.type != "string":
        return None
    parts = [c for c in node.named_children if c.type not in ("string_start", "string_end")]
    if any(p.type not in ("string_fragment", "string_content") for p in parts):
        return None  # an escape or an interpolation: not a plain path
    return "".join(text(p) for p in parts)


_queries: dict[tuple[Language, tuple[str, ...]], object] = {}


def nodes_of_type(language: Language, root: Node, types: tuple[str, ...]) -> list[Node]:
    """Every node of *root*'s tree whose type is one of *types* (those the grammar has), found in C.

    A query runs in the library: walking a large file's tree node by node
    in Python costs seconds.
    """
    key = (language, types)
    if key not in _queries:
        binding = importlib.import_module("tree_sitter")
        grammar = cast("Any", parser(language).language)
        known = [t for t in types if grammar.id_for_node_kind(t, True) is not None]
        source = " ".join(f"({t}) @found" for t in known)
        _queries[key] = binding.Query(grammar, source) if known else None
    query = _queries[key]
    if query is None:
        return []
    binding = importlib.import_module("tree_sitter")
    captures = binding.QueryCursor(query).captures(root)
    return cast("list[Node]", captures.get("found", []))
