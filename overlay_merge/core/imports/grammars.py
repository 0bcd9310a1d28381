"""The tree-sitter grammars, loaded on first use; one that fails to load is reported, not guessed.

Each grammar is a PyPI package (tree-sitter-python, -javascript,
-typescript).  Loading can fail (the package missing, a build for another
tree-sitter ABI): then that language's analysis is skipped and the plan says
why (docs/design.md §5) — a reading of imports by pattern matching could
only guess.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, cast

from overlay_merge.core.imports.model import Language

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

# The package and the function of it that hands out each grammar.
LOADERS: dict[Language, tuple[str, str]] = {
    Language.PYTHON: ("tree_sitter_python", "language"),
    Language.JAVASCRIPT: ("tree_sitter_javascript", "language"),
    Language.TYPESCRIPT: ("tree_sitter_typescript", "language_typescript"),
    Language.TSX: ("tree_sitter_typescript", "language_tsx"),
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
