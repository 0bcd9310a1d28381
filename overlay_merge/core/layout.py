"""Where things are in a deployment (DESIGN §3).

Defaults are the Icare layout.  A deployment overrides them in its
``pyproject.toml`` under ``[tool.overlay-merge]``; global CLI options override
both.  Every configured path is relative to the deployment root and is
validated like any other input path, so a configuration cannot point
overlay-merge's writes outside the deployment.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.paths import path_problem

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
_KEYS = (*DEFAULTS, "exclude")


@dataclass(frozen=True)
class Layout:
    """The resolved layout of one deployment; paths are relative to ``root``."""

    root: Path
    upstream: str = DEFAULTS["upstream"]
    overlay: str = DEFAULTS["overlay"]
    base_file: str = DEFAULTS["base-file"]
    build_dir: str = DEFAULTS["build-dir"]
    exclude: tuple[str, ...] = field(default_factory=tuple)

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
    pyproject = directory / "pyproject.toml"
    try:
        return "tool" in (data := tomllib.loads(pyproject.read_text("utf-8"))) and (
            "overlay-merge" in data["tool"]
        )
    except (OSError, ValueError):
        return False


def _read_pyproject(root: Path) -> dict[str, object]:
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise OverlayMergeError(f"{pyproject}: cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OverlayMergeError(
            f"{pyproject}: invalid TOML: {exc}", "fix the TOML syntax in pyproject.toml"
        ) from None
    section = data.get("tool", {}).get("overlay-merge", {})
    if not isinstance(section, dict):
        raise OverlayMergeError(f"{pyproject}: [tool.overlay-merge] must be a table")
    return section


def load_layout(
    start: Path,
    overrides: Mapping[str, str | None] | None = None,
    exclude: Sequence[str] | None = None,
) -> Layout:
    """Resolve the layout: defaults, then ``[tool.overlay-merge]``, then *overrides*.

    *overrides* uses the configuration's key names (``upstream``, ``overlay``,
    ``base-file``, ``build-dir``); ``None`` values are ignored.  *exclude*
    (from the CLI) is added to the configured globs.
    """
    root = find_root(start)
    where = f"{root / 'pyproject.toml'} [tool.overlay-merge]"
    section = _read_pyproject(root)
    unknown = sorted(set(section) - set(_KEYS))
    if unknown:
        raise OverlayMergeError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})",
            "remove or rename the key in pyproject.toml",
        )
    values: dict[str, str] = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in section:
            value = section[key]
            if not isinstance(value, str):
                raise OverlayMergeError(f"{where}: {key} must be a string, got {value!r}")
            values[key] = value
    for key, value in (overrides or {}).items():
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
    globs = section.get("exclude", [])
    if not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
        raise OverlayMergeError(f"{where}: exclude must be a list of glob strings")
    _check_disjoint(values, root)
    return Layout(
        root=root,
        upstream=values["upstream"],
        overlay=values["overlay"],
        base_file=values["base-file"],
        build_dir=values["build-dir"],
        exclude=(*globs, *(exclude or ())),
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
