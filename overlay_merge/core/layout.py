"""Where things are in a deployment (docs/design.md §3).

Defaults are the Icare layout.  A deployment overrides them in its
``pyproject.toml`` under ``[tool.overlay-merge]``; global CLI options override
both.  Every configured path is relative to the deployment root and is
validated like any other input path, so a configuration cannot point
overlay-merge's writes outside the deployment.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from overlay_merge.core.buildconfig import KEYS as BUILD_KEYS
from overlay_merge.core.buildconfig import BuildSteps, build_steps
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.errors import quote as _q
from overlay_merge.core.imports.config import KEYS as IMPORT_KEYS
from overlay_merge.core.imports.config import import_config
from overlay_merge.core.imports.model import ImportConfig
from overlay_merge.core.model import REFINE_RULES
from overlay_merge.core.pairs import (
    PairNotNamed,
    PairTable,
    check_pairs_disjoint,
    derived_name,
    in_pair,
    only_one,
    pair_tables,
    select,
)
from overlay_merge.core.paths import file_kind, first_symlink, path_problem, read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULTS: Mapping[str, str] = {
    "upstream": "skyportal",
    "overlay": "extensions/skyportal",
    "base-file": ".overlay-base",
    "build-dir": "patched_skyportal",
}
_KEYS = (*DEFAULTS, "exclude", "refine-rules", *IMPORT_KEYS, *BUILD_KEYS)


@dataclass(frozen=True)
class Layout:
    """The resolved layout of one deployment; paths are relative to ``root``."""

    root: Path
    upstream: str = DEFAULTS["upstream"]
    overlay: str = DEFAULTS["overlay"]
    base_file: str = DEFAULTS["base-file"]
    build_dir: str = DEFAULTS["build-dir"]
    exclude: tuple[str, ...] = field(default_factory=tuple)
    imports: ImportConfig = field(default_factory=ImportConfig)  # where imports resolve
    build_steps: BuildSteps = field(default_factory=BuildSteps)  # merges, after-build commands
    # --strategy refined's rules (``refine-rules``); None: the strategy's defaults.
    refine_rules: tuple[str, ...] | None = None
    # The pair's name (docs/design.md §3); "" names it from its overlay folder.
    name: str = ""
    several: bool = False  # one of several pairs (its bump journal then names it)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", derived_name(self.overlay))

    # Cached: the hot paths ask for these once per overlay file.
    @cached_property
    def upstream_path(self) -> Path:
        return self.root / self.upstream

    @cached_property
    def overlay_path(self) -> Path:
        return self.root / self.overlay

    @cached_property
    def base_file_path(self) -> Path:
        return self.root / self.base_file

    @cached_property
    def build_path(self) -> Path:
        return self.root / self.build_dir

    def is_excluded(self, path: str) -> bool:
        """True if the overlay-relative *path* matches an ``exclude`` glob.

        As in ``.gitignore``: a pattern without an inner ``/`` matches a file
        or folder name at any depth (``*.fits``, ``generated/``); a pattern
        with one matches from the overlay root (``data/*.csv``), and ``dir/**``
        or a matching folder excludes everything below it.
        """
        parts = path.split("/")
        for pattern in self.exclude:
            # Anchored or not is decided on the pattern as written: "data/**"
            # names the top-level data folder, not every folder called data.
            anchored = "/" in pattern.rstrip("/")
            glob = pattern.rstrip("/").removesuffix("/**")
            if not anchored:
                if any(fnmatch.fnmatchcase(part, glob) for part in parts):
                    return True
                continue
            prefixes = ("/".join(parts[:n]) for n in range(1, len(parts) + 1))
            if any(fnmatch.fnmatchcase(prefix, glob) for prefix in prefixes):
                return True
        return False


def find_root(start: Path) -> Path:
    """Find the deployment root from *start*, the way git finds a repository root.

    Walks up to the first directory holding ``.git``.  When that directory is
    itself a submodule or worktree checkout (its ``.git`` is a file) with no
    overlay-merge configuration of its own, the walk goes on: a maintainer
    standing inside ``skyportal/`` means the deployment around it.
    """
    start = start.resolve()
    candidates = [start, *start.parents]
    found: Path | None = None
    for directory in candidates:
        dot_git = directory / ".git"
        if not dot_git.exists():
            continue
        if found is None:
            found = directory
        if dot_git.is_dir() or _has_config(directory):
            return directory
    if found is not None:
        return found
    raise OverlayMergeError(
        f"{start}: not inside a git repository, so not in a deployment",
        "cd into your deployment repository (the one holding the upstream submodule)",
    )


def _has_config(directory: Path) -> bool:
    if (directory / DEFAULTS["base-file"]).exists():
        return True
    try:
        return _load_section(directory) is not None
    except OverlayMergeError:
        return False  # a broken or odd pyproject.toml is reported once the root is known


_PYPROJECT = "pyproject.toml"
_CONFIG_HINT = "see the [tool.overlay-merge] example in README.md"


def _read_pyproject(root: Path) -> dict[str, object]:
    """The ``[tool.overlay-merge]`` table of *root*'s pyproject.toml ({} if none)."""
    return _load_section(root) or {}


def _load_section(root: Path) -> dict[str, object] | None:
    """The ``[tool.overlay-merge]`` table, or None without pyproject.toml or the table.

    Every value of the wrong type raises one line naming its key.
    """
    pyproject = root / _PYPROJECT
    raw = read_regular(
        pyproject,
        _PYPROJECT,
        f"replace it with a regular file, or remove it (`rm {_q(pyproject)}`)",
        follow=True,
    )
    if raw is None:
        return None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise OverlayMergeError(
            f"{pyproject}: not UTF-8 (byte {exc.start + 1})", "save pyproject.toml as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise OverlayMergeError(
            f"{pyproject}: invalid TOML: {exc}", "fix the TOML syntax in pyproject.toml"
        ) from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise _wrong_type("[tool]", "a table", tool, "write it as a table: [tool.overlay-merge]")
    section = tool.get("overlay-merge")
    if section is not None and not isinstance(section, dict):
        raise _wrong_type(
            "[tool] overlay-merge",
            "a table",
            section,
            f"write it as [tool.overlay-merge]; {_CONFIG_HINT}",
        )
    return section


def _wrong_type(key: str, expected: str, value: object, hint: str) -> OverlayMergeError:
    return OverlayMergeError(
        f"{_PYPROJECT}: {key}: expected {expected}, got {_type_name(value)}", hint
    )


def _type_name(value: object) -> str:
    """``a string``, ``an integer``... for a message about a TOML value."""
    kinds: tuple[tuple[type, str], ...] = (
        (bool, "a boolean"),  # before int: a bool is an int to isinstance
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list, "a list"),
        (dict, "a table"),
    )
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return f"a TOML {type(value).__name__}"


def load_layouts(
    start: Path,
    overrides: Mapping[str, str | None] | None = None,
    exclude: Sequence[str] | None = None,
    pair: str | None = None,
) -> tuple[Layout, ...]:
    """Resolve every overlay pair's layout, in configured order (or only *pair*'s).

    Each pair: defaults, then the keys of ``[tool.overlay-merge]``, then its
    ``[[tool.overlay-merge.overlays]]`` table, then *overrides* (the
    configuration's key names: ``upstream``, ``overlay``, ``base-file``,
    ``build-dir``; ``None`` values are ignored), which need one pair: the
    only one or *pair*.  *exclude* (from the CLI) is added to every pair's
    globs.  The pairs are checked against each other (no shared or nested
    places) and each returned one on disk, component by component from the
    root: none may be reached through a symlink.
    """
    root = find_root(start)
    tables = pair_tables(_read_pyproject(root), _KEYS)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if given and pair is None and len(tables) > 1:
        names = [t.name or "" for t in tables]
        raise PairNotNamed(
            f"--{next(iter(given))} names a folder of one pair; {len(names)} are configured "
            f"({', '.join(names)})",
            f"name the pair with `overlay-merge --pair {names[0]} ...`",
        )
    resolved = []
    for table in tables:
        with in_pair(table.label):
            overridden = given if pair in (None, table.name) else {}
            values = _configured_paths(root, table.table, overridden)
            _check_disjoint(values, root)
        resolved.append((table.name or derived_name(values["overlay"]), values, table))
    check_pairs_disjoint([(name, values) for name, values, _ in resolved], root)
    wanted = select([name for name, _, _ in resolved], pair)
    return tuple(
        _layout(root, name, values, table, exclude or (), len(resolved) > 1)
        for name, values, table in resolved
        if wanted in (None, name)
    )


def _layout(
    root: Path,
    name: str,
    values: Mapping[str, str],
    table: PairTable,
    exclude: Sequence[str],
    several: bool,
) -> Layout:
    with in_pair(table.label):
        for key, rel in values.items():
            require_no_symlink(root, key, rel)
        return Layout(
            root=root,
            upstream=values["upstream"],
            overlay=values["overlay"],
            base_file=values["base-file"],
            build_dir=values["build-dir"],
            exclude=(*_globs(table.table), *exclude),
            imports=import_config(table.table),
            build_steps=build_steps(table.table),
            refine_rules=_refine_rules(table.table),
            name=name,
            several=several,
        )


def load_layout(
    start: Path,
    overrides: Mapping[str, str | None] | None = None,
    exclude: Sequence[str] | None = None,
    pair: str | None = None,
) -> Layout:
    """The layout of one pair: the only one configured, or *pair* (see :func:`load_layouts`).

    Several pairs and none named raise one line saying to name one.
    """
    layouts = load_layouts(start, overrides, exclude, pair)
    if len(layouts) > 1:
        raise only_one([layout.name for layout in layouts])
    return layouts[0]


def _configured_paths(
    root: Path, section: Mapping[str, object], overrides: Mapping[str, str | None]
) -> dict[str, str]:
    values: dict[str, str] = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in section:
            value = section[key]
            if not isinstance(value, str):
                raise _wrong_type(
                    f"[tool.overlay-merge] {key}",
                    "a string (a path relative to the deployment root)",
                    value,
                    f'quote it: {key} = "{DEFAULTS[key]}"',
                )
            values[key] = value
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
    for key, given in values.items():
        value = given.rstrip("/") or given
        problem = path_problem(value)
        if problem:
            raise OverlayMergeError(
                f"{key} = {value!r}: {problem}; it must be a path inside the deployment ({root})",
                f"set {key} to a relative path in pyproject.toml or on the command line",
            )
        values[key] = value
    return values


def _refine_rules(section: Mapping[str, object]) -> tuple[str, ...] | None:
    """The ``refine-rules`` list, each a rule name (None when not configured)."""
    if "refine-rules" not in section:
        return None
    given = section["refine-rules"]
    if not isinstance(given, list):
        raise _bad_rules(_type_name(given))
    wrong = next((n for n in given if not isinstance(n, str) or n not in REFINE_RULES), None)
    if wrong is not None:
        raise _bad_rules(repr(wrong) if isinstance(wrong, str) else _type_name(wrong))
    return tuple(dict.fromkeys(given))


def _bad_rules(got: str) -> OverlayMergeError:
    return OverlayMergeError(
        f"{_PYPROJECT}: [tool.overlay-merge] refine-rules: expected a list of rule names, "
        f"got {got}",
        f'name rules among {", ".join(REFINE_RULES)}: refine-rules = ["whitespace", "adjacent"]',
    )


def _globs(section: Mapping[str, object]) -> list[str]:
    globs = section.get("exclude", [])
    if not isinstance(globs, list):
        got = globs
    else:
        got = next((g for g in globs if not isinstance(g, str)), None)
        if got is None:
            return [str(g) for g in globs]
    held = "" if got is globs else "a list holding "
    raise OverlayMergeError(
        f"{_PYPROJECT}: [tool.overlay-merge] exclude: expected a list of strings, "
        f"got {held}{_type_name(got)}",
        'write it as a list of globs: exclude = ["*.fits", "data/**"]',
    )


_WHAT = {
    "upstream": "the upstream submodule",
    "overlay": "the overlay",
    "base-file": "the base file",
    "build-dir": "the build dir",
}


def require_no_symlink(root: Path, key: str, rel: str) -> None:
    """Raise if any component of layout path *rel* (the place of *key*) is a symlink
    (or, above the last one, not a folder).

    A link anywhere on the way (``extensions -> /elsewhere``, ``cfg`` in
    ``cfg/.overlay-base``, ``skyportal`` -> another clone) would make every
    write to that place land where the link points, so it is refused, inside
    the deployment or not: one line naming the link and how to replace it.
    """
    found = first_symlink(root, rel)
    if found is None:
        return
    link, mode = found.path, found.mode
    if not stat.S_ISLNK(mode):
        raise OverlayMergeError(
            f"{rel}: {link} is {file_kind(mode)}, not a folder",
            f"move it away (`mv {_q(link)} {_q(link + '.old')}`), or set `{key}` in "
            "[tool.overlay-merge] elsewhere",
        )
    try:
        target = os.readlink(root / link)
    except OSError:
        target = "?"
    what = _WHAT.get(key, key)
    if link == rel:
        message = f"{rel}: is a symlink (to {target!r}); {what} must not be a link"
    else:
        message = (
            f"{rel}: {link} is a symlink (to {target!r}); {what} must be reached "
            "through real folders of the deployment, never through a link"
        )
    raise OverlayMergeError(message, _link_fix(key, rel, link))


def _link_fix(key: str, rel: str, link: str) -> str:
    q = _q(link)
    if link == rel and key == "base-file":
        return (
            "replace the link with the file it points to "
            f'(`cp --remove-destination "$(readlink -f {q})" {q}`)'
        )
    if link == rel and key == "upstream":
        return (
            "remove the link and check the submodule out "
            f"(`rm {q} && git submodule update --init {q}`)"
        )
    if key == "build-dir":
        return f"remove the link (`rm {q}`; what it points to stays) or set `build-dir` elsewhere"
    return (
        f'replace the link with a copy of its folder (`t="$(readlink -f {q})" && rm {q} && '
        f'cp -a "$t" {q}`), or set `{key}` in [tool.overlay-merge] to a path without links'
    )


def _check_disjoint(values: Mapping[str, str], root: Path) -> None:
    """Refuse layouts where one place contains another (a build dir inside the overlay...)."""
    keys = list(DEFAULTS)
    for i, first in enumerate(keys):
        for second in keys[i + 1 :]:
            a, b = values[first], values[second]
            if a == b or a.startswith(b + "/") or b.startswith(a + "/"):
                raise OverlayMergeError(
                    f"{first} = {a!r} and {second} = {b!r} overlap in {root}; "
                    "each must be a separate place",
                    "give them separate paths in [tool.overlay-merge]",
                )
