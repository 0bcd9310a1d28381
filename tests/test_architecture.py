"""The layering the folders show is real: the core loads neither textual nor click."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import overlay_merge

PACKAGE = Path(overlay_merge.__file__).parent


def test_core_reports_and_demo_import_without_textual_or_click() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import overlay_merge.core, overlay_merge.reports, overlay_merge.demo\n"
        "for pkg in (overlay_merge.core, overlay_merge.reports, overlay_merge.demo):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(f'{pkg.__name__}.{m.name}')\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'click', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == ""


def test_status_command_does_not_load_textual() -> None:
    code = "import sys\nfrom overlay_merge.cli import main\nprint('textual' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "False"


def test_only_gitstore_imports_pygit2() -> None:
    importers = set()
    for source in PACKAGE.rglob("*.py"):
        tree = ast.parse(source.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n.split(".")[0] == "pygit2" for n in names):
                importers.add(source.relative_to(PACKAGE).as_posix())
    assert importers == {"core/gitstore.py"}


def test_the_code_and_docs_cite_only_this_repositorys_design() -> None:
    # The design lives in docs/design.md; no comment or document may send a
    # reader to a document outside the repository.
    root = Path(overlay_merge.__file__).parent.parent
    texts = [
        *root.joinpath("overlay_merge").rglob("*.py"),
        *root.joinpath("docs").glob("*.md"),
        root / "README.md",
    ]
    offenders = [
        str(path.relative_to(root))
        for path in texts
        if any(word in path.read_text("utf-8") for word in ("DESIGN §", "DESIGN.md", "../shared"))
    ]
    assert offenders == []
    assert (root / "docs" / "design.md").is_file()
