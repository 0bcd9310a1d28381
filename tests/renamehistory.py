"""A generated upstream history that renames, rewrites and re-renames overlay files.

On the sample's upstream (at s1), commit ``c1`` (the pin, every overlay file's
base) adds the files below; the overlay copies each with an edit near its top.
Then, as SkyPortal's TypeScript migration did:

- a side branch renames ``components/SourcePlugins.jsx`` to ``.tsx`` (``c2``),
  merged into the main line (``m``) past an unrelated commit;
- ``c3`` rewrites the ``.tsx`` (under 50% of the original's lines left), turns
  ``Legacy.jsx`` into an unrelated ``Legacy.tsx`` and ``utils/groups.py`` into a
  package ``utils/groups/``; inside the nested submodule ``baselayer``,
  ``app/models_util.py`` is renamed to ``app/util/models.py`` (``n2``) then
  rewritten (``n3``), and ``c3`` records ``n3``;
- ``c4`` moves the ``.tsx`` to ``static/js/plugins/``.

Comparing ``c1`` with ``c3`` or ``c4`` alone finds no rename: the files are too
different by then.  Following the history finds both chains.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conftest import run_cli
from gitutil import commit_files, git, git_bytes

from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"
PLUGINS = "static/js/components/SourcePlugins.jsx"
PLUGINS_TSX = "static/js/components/SourcePlugins.tsx"
PLUGINS_MOVED = "static/js/plugins/SourcePlugins.tsx"
LEGACY = "static/js/components/Legacy.jsx"
LEGACY_TSX = "static/js/components/Legacy.tsx"
GROUPS = "skyportal/utils/groups.py"
GROUPS_PACKAGE = "skyportal/utils/groups/__init__.py"
NESTED = "baselayer"
MODELS = "app/models_util.py"
MODELS_MOVED = "app/util/models.py"


def lines(name: str, count: int, start: int = 0) -> list[str]:
    return [f"  const {name}{i} = compute{i}(source);" for i in range(start, start + count)]


HEADER = ['import React from "react";', 'import PropTypes from "prop-types";', "", "// top"]
HEADER += ["const SourcePlugins = ({ source }) => {", "  // the plugins"]
ORIGINAL = [*HEADER, *lines("step", 18), "};"]
RENAMED = [*HEADER, *lines("step", 17), "  const typed: number = 1;", "};"]
REWRITTEN = [*HEADER, *lines("hook", 18), "};"]
MOVED = [*HEADER, *lines("hook", 17), "  const moved = true;", "};"]
OURS = [*ORIGINAL[:3], "// Icare: the overlay's edit", *ORIGINAL[4:]]

PY = [f"def model_{i}(x):\n    return x + {i}" for i in range(12)]
PY_OURS = ["# Icare: the overlay's edit", *PY[1:]]
PY_RENAMED = [*PY[:11], "def moved():\n    return 0"]
PY_REWRITTEN = [*PY[:3], *(f"def rewritten_{i}(y):\n    return y * {i}" for i in range(9))]


def text(items: list[str]) -> bytes:
    return ("\n".join(items) + "\n").encode()


LEGACY_JSX = text(['import React from "react";', "", "const Legacy = () => <div>old</div>;"])
LEGACY_OURS = text(['import React from "react";', "// Icare", "const Legacy = () => <div/>;"])
LEGACY_NEW = text(["export default function Legacy(): JSX.Element {", "  return null;", "}"])
GROUPS_PY = text(["def members(group):", "    return group.users", "", "ADMIN = 'admin'"])
GROUPS_OURS = text(["def members(group):", "    return group.users  # Icare", "", "ADMIN = 1"])


@dataclass(frozen=True)
class History:
    """The commits of the top upstream (see the module doc) and the nested ones."""

    c1: str
    c2: str
    m: str
    c3: str
    c4: str
    n1: str
    n3: str


def make_history(sample: Sample) -> History:
    """Build the history on *sample*; the pin stays at ``c1``, committed in the deployment."""
    upstream, nested = sample.upstream, sample.upstream / NESTED
    n1 = commit_files(nested, {MODELS: text(PY)}, "models util")
    files = {PLUGINS: text(ORIGINAL), LEGACY: LEGACY_JSX, GROUPS: GROUPS_PY}
    git(upstream, "add", NESTED)
    c1 = commit_files(upstream, files, "plugins, legacy, groups; baselayer n1")
    _overlay(sample, c1)
    git(upstream, "checkout", "-q", "-b", "side")
    renamed = {PLUGINS: None, PLUGINS_TSX: text(RENAMED)}
    c2 = commit_files(upstream, renamed, "SourcePlugins to TypeScript")
    git(upstream, "checkout", "-q", "--detach", c1)
    commit_files(upstream, {"README.md": b"unrelated\n"}, "unrelated")
    git_bytes(upstream, "merge", "-q", "--no-ff", "-m", "merge side", "side", when=_later(upstream))
    m = git(upstream, "rev-parse", "HEAD")
    commit_files(nested, {MODELS: None, MODELS_MOVED: text(PY_RENAMED)}, "models util moved")
    n3 = commit_files(nested, {MODELS_MOVED: text(PY_REWRITTEN)}, "models rewritten")
    git(upstream, "add", NESTED)
    changes = {PLUGINS_TSX: text(REWRITTEN), LEGACY: None, LEGACY_TSX: LEGACY_NEW, GROUPS: None}
    changes[GROUPS_PACKAGE] = b"from .members import *\n"
    changes["skyportal/utils/groups/members.py"] = b"MEMBERS = []\n"
    c3 = commit_files(upstream, changes, "rewrite; Legacy in TypeScript; groups a package")
    moved = {PLUGINS_TSX: None, PLUGINS_MOVED: text(MOVED)}
    c4 = commit_files(upstream, moved, "plugins folder")
    git(upstream, "checkout", "-q", "--detach", c1)
    git(nested, "checkout", "-q", "--detach", n1)
    return History(c1, c2, m, c3, c4, n1, n3)


def _overlay(sample: Sample, c1: str) -> None:
    """The overlay's edited copies, their base ``c1`` (the pin), committed."""
    overlay = Path(sample.deployment, OVERLAY)
    copies = {
        PLUGINS: text(OURS),
        LEGACY: LEGACY_OURS,
        GROUPS: GROUPS_OURS,
        f"{NESTED}/{MODELS}": text(PY_OURS),
    }
    for path, data in copies.items():
        (overlay / path).parent.mkdir(parents=True, exist_ok=True)
        (overlay / path).write_bytes(data)
    result = run_cli(sample.deployment, "init")
    assert result.exit_code == 0, result.output
    assert f"{c1}  {PLUGINS}" in (sample.deployment / ".overlay-base").read_text()
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-q", "-m", "overlay on c1")


def _later(repo: Path) -> int:
    return int(git(repo, "log", "-1", "--format=%ct")) + 3600
