"""The layering the folders show is real: the core loads neither textual nor click."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
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


def _importers(wanted: Callable[[str], bool]) -> set[str]:
    """The package's modules (paths under it) with an import statement naming a *wanted* module."""
    importers = set()
    for source in PACKAGE.rglob("*.py"):
        tree = ast.parse(source.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            if any(wanted(n) for n in names):
                importers.add(source.relative_to(PACKAGE).as_posix())
    return importers


def test_only_core_git_imports_pygit2() -> None:
    importers = _importers(lambda name: name.split(".")[0] == "pygit2")
    assert importers, "the git layer imports pygit2"
    assert {path for path in importers if not path.startswith("core/git/")} == set()


def test_only_core_git_libgit2_touches_pygit2_private_parts() -> None:
    # pygit2's cffi bindings and private attributes change without notice:
    # one module uses them, and tests/test_git_libgit2.py checks that one.
    def private(name: str) -> bool:
        parts = name.split(".")
        return parts[0] == "pygit2" and any(p.startswith("_") or p in ("ffi", "C") for p in parts)

    assert _importers(private) == {"core/git/libgit2.py"}
    users = set()
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("_to_c", "_repo", "_libgit2"):
                users.add(source.relative_to(PACKAGE).as_posix())
    assert users == {"core/git/libgit2.py"}


def test_the_git_model_imports_without_pygit2() -> None:
    code = "import sys\nimport overlay_merge.core.git.model\nprint('pygit2' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "False"


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


def test_only_core_imports_reads_tree_sitter_and_only_when_it_parses() -> None:
    importers = _importers(lambda name: name.split(".")[0].startswith("tree_sitter"))
    assert importers, "the import analysis names tree-sitter's types"
    assert {path for path in importers if not path.startswith("core/imports/")} == set()
    # The grammars load on first parse: planning, checking and the CLI start without them.
    code = (
        "import sys\nfrom overlay_merge.cli import main\nimport overlay_merge.core.check\n"
        "print(sorted(n for n in sys.modules if n.startswith('tree_sitter')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "[]"


# A newcomer holds a module and a function in their head at once: the limits
# docs/design.md §8 gives for the code, enforced so they stay true.
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 50


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    modules, functions = {}, {}
    for source in sorted(PACKAGE.rglob("*.py")):
        text = source.read_text("utf-8")
        name = source.relative_to(PACKAGE).as_posix()
        modules[name] = len(text.splitlines())
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                functions[f"{name}:{node.lineno} {node.name}"] = node.end_lineno - node.lineno + 1
    return modules, functions


def test_no_module_over_500_lines_and_no_function_over_50() -> None:
    modules, functions = _sizes()
    assert len(modules) > 50 and len(functions) > 500, "the walk finds the package's code"
    assert {m: n for m, n in modules.items() if n > MAX_MODULE_LINES} == {}
    assert {f: n for f, n in functions.items() if n > MAX_FUNCTION_LINES} == {}
