"""The import analysis' part of ``[tool.overlay-merge]``: where upstream's imports resolve.

```toml
[tool.overlay-merge]
js-roots = { baselayer = "baselayer/static/js" }   # import prefix -> upstream folder
js-extensions = [".js", ".jsx", ".ts", ".tsx"]      # the bundler's order
python-roots = ["."]                                # where absolute imports start
```
"""

from __future__ import annotations

from collections.abc import Mapping

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.imports.model import (
    DEFAULT_JS_EXTENSIONS,
    DEFAULT_JS_ROOTS,
    DEFAULT_PYTHON_ROOTS,
    ImportConfig,
)
from overlay_merge.core.paths import path_problem

KEYS = ("js-roots", "js-extensions", "python-roots")
_WHERE = "pyproject.toml: [tool.overlay-merge]"


def import_config(section: Mapping[str, object]) -> ImportConfig:
    """The :class:`ImportConfig` of a ``[tool.overlay-merge]`` table (defaults for missing keys).

    A value of the wrong shape raises one line naming the key.
    """
    roots = section.get("js-roots")
    extensions = section.get("js-extensions")
    python = section.get("python-roots")
    return ImportConfig(
        DEFAULT_JS_ROOTS if roots is None else _js_roots(roots),
        DEFAULT_JS_EXTENSIONS if extensions is None else _extensions(extensions),
        DEFAULT_PYTHON_ROOTS if python is None else _python_roots(python),
    )


def _bad(key: str, what: str, example: str) -> OverlayMergeError:
    return OverlayMergeError(f"{_WHERE} {key}: expected {what}", f"write it as {example}")


def _folder(key: str, value: object, example: str) -> str:
    """An upstream-relative folder (``.`` is the upstream's root)."""
    if not isinstance(value, str):
        raise _bad(key, "upstream folders as strings", example)
    folder = value.strip("/") or "."
    problem = None if folder == "." else path_problem(folder)
    if problem:
        raise OverlayMergeError(
            f"{_WHERE} {key}: {value!r}: {problem}", "name a folder inside the upstream"
        )
    return folder


def _js_roots(value: object) -> tuple[tuple[str, str], ...]:
    example = 'js-roots = { baselayer = "baselayer/static/js" }'
    if not isinstance(value, dict):
        raise _bad("js-roots", "a table of import prefix = upstream folder", example)
    roots = []
    for prefix, folder in value.items():
        if not prefix or prefix.startswith((".", "/")):
            raise _bad("js-roots", f"a bare import prefix, not {prefix!r}", example)
        roots.append((prefix.rstrip("/"), _folder("js-roots", folder, example)))
    # The longest prefix first: `a/b` is tried before `a`.
    return tuple(sorted(roots, key=lambda r: -len(r[0])))


def _extensions(value: object) -> tuple[str, ...]:
    example = 'js-extensions = [".js", ".jsx", ".ts", ".tsx"]'
    if not isinstance(value, list) or not all(
        isinstance(e, str) and e.startswith(".") and "/" not in e and len(e) > 1 for e in value
    ):
        raise _bad("js-extensions", "a list of extensions, each starting with a dot", example)
    return tuple(value)


def _python_roots(value: object) -> tuple[str, ...]:
    example = 'python-roots = ["."]'
    if not isinstance(value, list):
        raise _bad("python-roots", "a list of upstream folders", example)
    return tuple(_folder("python-roots", v, example) for v in value)
