"""The build steps a deployment declares in ``[tool.overlay-merge]`` (docs/design.md §9).

::

    merge-python-dependencies = {from = "pyproject.toml:dependency-groups.ext",
                                 into = "pyproject.toml:project.dependencies"}
    merge-npm-dependencies = {from = "extensions/skyportal/package.icare.json:dependencies",
                              into = "package.json:dependencies"}
    after-build = [["python", "../launcher/apply_config.py"], "make config"]

``from`` is a file of the deployment (relative to its root), ``into`` a file
of the build (relative to the build dir), each followed by ``:`` and the
dotted key of the list (Python) or table (npm) to merge.  Each merge key
takes one table or a list of them.  An ``after-build`` command given as a
list is run as it is (no shell); given as a string, by ``sh -c``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.model import ValueEnum
from overlay_merge.core.paths import path_problem

PYTHON_KEY = "merge-python-dependencies"
NPM_KEY = "merge-npm-dependencies"
AFTER_KEY = "after-build"
KEYS = (PYTHON_KEY, NPM_KEY, AFTER_KEY)
_WHERE = "pyproject.toml: [tool.overlay-merge]"


class DepKind(ValueEnum):
    """Which dependency format a merge reads and writes."""

    PYTHON = "python"
    NPM = "npm"


@dataclass(frozen=True)
class FileKey:
    """A file and the dotted key of a list or table in it."""

    path: str
    key: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.path}:{'.'.join(self.key)}"


@dataclass(frozen=True)
class DependencyMerge:
    """One declared merge: the deployment's dependencies *source* into the build's *into*."""

    kind: DepKind
    source: FileKey
    into: FileKey


Command = str | tuple[str, ...]  # a string runs through `sh -c`


@dataclass(frozen=True)
class BuildSteps:
    """What a build does besides writing the tree."""

    merges: tuple[DependencyMerge, ...] = ()
    after_build: tuple[Command, ...] = ()


def build_steps(section: Mapping[str, object]) -> BuildSteps:
    """The build steps of a ``[tool.overlay-merge]`` table; one clear error per bad value."""
    merges = [
        *_merges(section.get(PYTHON_KEY), DepKind.PYTHON, PYTHON_KEY),
        *_merges(section.get(NPM_KEY), DepKind.NPM, NPM_KEY),
    ]
    return BuildSteps(tuple(merges), _commands(section.get(AFTER_KEY)))


def _merges(value: object, kind: DepKind, name: str) -> list[DependencyMerge]:
    if value is None:
        return []
    tables = value if isinstance(value, list) else [value]
    found = []
    for table in tables:
        if not isinstance(table, dict) or set(table) != {"from", "into"}:
            raise OverlayMergeError(
                f"{_WHERE} {name}: expected a table with `from` and `into` (or a list of them)",
                f'write it as {name} = {{from = "FILE:KEY", into = "FILE:KEY"}}',
            )
        found.append(
            DependencyMerge(
                kind, _file_key(table["from"], name, "from"), _file_key(table["into"], name, "into")
            )
        )
    return found


def _file_key(value: object, name: str, side: str) -> FileKey:
    text = value if isinstance(value, str) else ""
    path, _, key = text.partition(":")
    parts = tuple(key.split(".")) if key else ()
    problem = path_problem(path) if path else "empty"
    if problem or not parts or not all(parts):
        why = problem or "no `:KEY` after the file (e.g. `package.json:dependencies`)"
        raise OverlayMergeError(
            f"{_WHERE} {name}.{side} = {value!r}: {why}",
            f"give a relative file and a dotted key: {side} = "
            '"pyproject.toml:project.dependencies"',
        )
    return FileKey(path, parts)


def _commands(value: object) -> tuple[Command, ...]:
    if value is None:
        return ()
    ok = isinstance(value, list) and all(
        (isinstance(c, str) and c.strip())
        or (isinstance(c, list) and c and all(isinstance(a, str) for a in c))
        for c in value
    )
    if not ok:
        raise OverlayMergeError(
            f"{_WHERE} {AFTER_KEY}: expected a list of commands, each a list of strings "
            "(run as is) or a string (run by `sh -c`)",
            f'write it as {AFTER_KEY} = [["python", "setup.py"], "make config"]',
        )
    assert isinstance(value, list)
    return tuple(c if isinstance(c, str) else tuple(c) for c in value)
