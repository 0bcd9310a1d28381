"""Overlay files that stay beside an upstream file of the same module (docs/design.md §5).

An overlay file upstream deleted or moved, when it stays where it is, may sit
beside an upstream file that an import resolves the same way: ``X.jsx``
beside upstream's new ``X.tsx`` (a bundler tries ``.js``, ``.jsx`` before
``.ts``, ``.tsx``: the app runs the stale copy), ``x.py`` beside a package
``x/`` (Python imports the package: the overlay's copy is never run).  Either
way one of the two is dead, silently.
"""

from __future__ import annotations

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.upstream import UpstreamRepo

JS_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
PYTHON = "python"
JAVASCRIPT = "javascript"


def module_of(path: str) -> tuple[str, str] | None:
    """``(language, module path)`` an import resolves *path* as, or None for other files.

    ``a/x.py`` and ``a/x/__init__.py`` are both module ``a/x``, as are
    ``a/X.jsx``, ``a/X.tsx`` and ``a/X/index.js``.
    """
    folder, _, name = path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return None
    extension = "." + extension
    if extension == ".py":
        language, package_file = PYTHON, "__init__"
    elif extension in JS_EXTENSIONS:
        language, package_file = JAVASCRIPT, "index"
    else:
        return None
    if stem == package_file and folder:
        return language, folder
    return language, f"{folder}/{stem}" if folder else stem


def module_files(language: str, module: str) -> list[str]:
    """The files an import of *module* may resolve to, in *language*."""
    if language == PYTHON:
        return [f"{module}.py", f"{module}/__init__.py"]
    return [f"{module}{e}" for e in JS_EXTENSIONS] + [f"{module}/index{e}" for e in JS_EXTENSIONS]


def shadowed(upstream: UpstreamRepo, target: str, path: str) -> tuple[str, ...]:
    """Upstream's files at *target* that are the same module as *path*, but another file."""
    module = module_of(path)
    if module is None:
        return ()
    found = []
    for candidate in module_files(*module):
        if candidate == path:
            continue
        try:
            if upstream.entry(target, candidate) is not None:
                found.append(candidate)
        except OverlayMergeError:
            continue  # under a nested submodule not initialized: nothing to say about it
    return tuple(found)


def shadow_message(path: str, shadows: tuple[str, ...]) -> str:
    """``X.jsx and upstream's X.tsx are the same module: ... the other never runs``."""
    others = " and ".join(shadows)
    return (
        f"{path} and upstream's {others} are the same module: an import resolves to "
        "only one of them, so the other never runs"
    )
