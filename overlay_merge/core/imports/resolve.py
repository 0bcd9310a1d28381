"""Where an import points: the upstream paths it may name, in the order they are tried.

JavaScript/TypeScript as the bundler resolves them (docs/design.md §5):
relative specifiers from the importing file's folder, configured roots
(``baselayer/…`` -> ``baselayer/static/js/…``), each tried as written, then
with each extension in order, then as a folder's ``index`` with each; bare
package names (``react``) are not upstream files.  Python: relative imports
from the importing module's package, absolute ones from each Python root, as
a module (``x.py``) or a package (``x/__init__.py``).
"""

from __future__ import annotations

import posixpath

from overlay_merge.core.imports.model import ImportConfig, Language


def candidates(
    importer: str, specifier: str, language: Language, config: ImportConfig
) -> list[str]:
    """The upstream-relative paths *specifier*, imported by *importer*, may name, in order."""
    if language == Language.PYTHON:
        return python_candidates(importer, specifier, config)
    return js_candidates(importer, specifier, config)


def _inside(path: str) -> str | None:
    """*path* normalised, or None when it leaves the upstream tree."""
    normal = posixpath.normpath(path)
    if normal in (".", "") or normal == ".." or normal.startswith(("../", "/")):
        return None
    return normal


def js_candidates(importer: str, specifier: str, config: ImportConfig) -> list[str]:
    """The files a JS/TS *specifier* may be, in the bundler's order (see the module doc)."""
    if specifier.startswith(("./", "../")) or specifier in (".", ".."):
        joined = _inside(posixpath.join(posixpath.dirname(importer), specifier))
    else:
        joined = None
        for prefix, folder in config.js_roots:
            if specifier == prefix or specifier.startswith(prefix + "/"):
                joined = _inside(folder + specifier[len(prefix) :])
                break
    if joined is None:
        return []  # a package from node_modules, or outside the tree
    extensions = config.js_extensions
    return [
        joined,
        *(joined + ext for ext in extensions),
        *(f"{joined}/index{ext}" for ext in extensions),
    ]


def python_candidates(importer: str, specifier: str, config: ImportConfig) -> list[str]:
    """The files a Python module name (``a.b``, ``..b``, ``.``) may be, module before package."""
    dots = len(specifier) - len(specifier.lstrip("."))
    rest = specifier[dots:]
    if dots:
        package = posixpath.dirname(importer).split("/") if "/" in importer else []
        if dots - 1 > len(package):
            return []  # beyond the top-level package
        parts = package[: len(package) - (dots - 1)]
        bases = ["/".join(parts)]
    else:
        bases = [root.strip("/") for root in config.python_roots]
    found = []
    for base in bases:
        module = "/".join(p for p in (base.removeprefix(".").strip("/"), *rest.split(".")) if p)
        if not module:
            continue
        path = _inside(module)
        if path is None:
            continue
        found += [f"{path}/__init__.py"] if not rest else [f"{path}.py", f"{path}/__init__.py"]
    return found


def submodule_candidates(package_init: str, name: str) -> list[str]:
    """The files ``from package import name`` may mean when *name* is a module of the package."""
    folder = posixpath.dirname(package_init)
    return [f"{folder}/{name}.py", f"{folder}/{name}/__init__.py"]
