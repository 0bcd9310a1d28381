"""The plain values of the import analysis: languages, imports, exported names, configuration."""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.model import ValueEnum


class Language(ValueEnum):
    """A language whose imports are read (the tree-sitter grammar of each)."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    TSX = "tsx"
    # Read by the merge's refinement and checks (core/refine/), never for imports.
    JSON = "json"

    @property
    def display(self) -> str:
        """How messages name the language."""
        return _DISPLAY[self]


_DISPLAY = {
    Language.PYTHON: "Python",
    Language.JAVASCRIPT: "JavaScript",
    Language.TYPESCRIPT: "TypeScript",
    Language.TSX: "TSX",
    Language.JSON: "JSON",
}

_BY_EXTENSION = {
    ".py": Language.PYTHON,
    ".js": Language.JAVASCRIPT,
    ".jsx": Language.JAVASCRIPT,
    ".mjs": Language.JAVASCRIPT,
    ".cjs": Language.JAVASCRIPT,
    ".ts": Language.TYPESCRIPT,
    ".mts": Language.TYPESCRIPT,
    ".cts": Language.TYPESCRIPT,
    ".tsx": Language.TSX,
}

DEFAULT = "default"
"""The name a default import takes (``import X from "./x"`` needs ``export default``)."""


def language_of(path: str) -> Language | None:
    """The language of *path* by its extension; None for files whose imports are not read."""
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return _BY_EXTENSION.get(name[dot:].lower())


@dataclass(frozen=True)
class Import:
    """One import of a file: the module as written, the names taken from it, its line (1-based).

    *specifier* is as the source writes it: ``../ducks/source``,
    ``baselayer/components/Notifications``, ``skyportal.models``, ``..base``.
    *names* are the names the file takes from the module (``DEFAULT`` for a
    default import); empty when it takes the module whole (``import x``,
    ``import * as ns``, a side-effect import, ``require`` into one name).
    """

    specifier: str
    names: tuple[str, ...] = ()
    line: int = 1


@dataclass(frozen=True)
class Exports:
    """The names a module defines (Python) or exports (JS/TS), as far as its syntax tells.

    *star* are the specifiers whose every name the module passes on
    (``export * from "./x"``, ``from .x import *``), to be looked up there.
    *complete* is False when names may come from something not read
    (a syntax error, a module ``__getattr__``, ``module.exports = f()``): a
    name not found then proves nothing.
    """

    names: frozenset[str]
    star: tuple[str, ...] = ()
    complete: bool = True


DEFAULT_JS_ROOTS: tuple[tuple[str, str], ...] = (("baselayer", "baselayer/static/js"),)
DEFAULT_JS_EXTENSIONS: tuple[str, ...] = (".js", ".jsx", ".ts", ".tsx")
DEFAULT_PYTHON_ROOTS: tuple[str, ...] = (".",)


@dataclass(frozen=True)
class ImportConfig:
    """Where imports resolve in the upstream tree (``[tool.overlay-merge]``, docs/design.md §3).

    *js_roots*: import prefixes mapped to upstream folders, as the bundler's
    aliases (SkyPortal's ``baselayer`` -> ``baselayer/static/js``);
    *js_extensions*: the order the bundler tries extensions in (then
    ``/index`` with each); *python_roots*: the folders absolute Python
    imports start from (``.``: the upstream's root).
    """

    js_roots: tuple[tuple[str, str], ...] = DEFAULT_JS_ROOTS
    js_extensions: tuple[str, ...] = DEFAULT_JS_EXTENSIONS
    python_roots: tuple[str, ...] = DEFAULT_PYTHON_ROOTS
