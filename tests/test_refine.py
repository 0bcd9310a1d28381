"""The refined strategy: each rule fires where it must and not where it must not, on
real-looking files; clean merges that break the file's syntax become conflicts.

``git merge-file`` stays the reference of the line merge (tests/test_merge.py):
here every input is first checked to conflict (or merge cleanly) under
``line``, so a test shows what the rule changes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from overlay_merge.core.contentmerge import MergeOutcome, merge_sides
from overlay_merge.core.imports import grammars
from overlay_merge.core.imports.model import Language
from overlay_merge.core.model import Side
from overlay_merge.core.refine import RULES, file_type
from overlay_merge.core.refine.model import FileType

LABELS = ("base abc1234", "overlay", "upstream def5678")


def merge(
    base: str, ours: str, theirs: str, path: str, strategy: str = "refined", **kw: object
) -> MergeOutcome:
    sides = [Side(text.encode(), 0o100644) for text in (base, ours, theirs)]
    return merge_sides(*sides, LABELS, "zdiff3", strategy=strategy, path=path, **kw)  # type: ignore[arg-type]


def resolved(base: str, ours: str, theirs: str, path: str, rule: str) -> str:
    """The refined merge's text, checked to be a conflict under ``line`` and resolved by *rule*."""
    line = merge(base, ours, theirs, path, "line")
    assert line.conflict_hunks, "the line merge must conflict for the rule to matter"
    assert line.refinements == () and line.invalid is None
    out = merge(base, ours, theirs, path, rules=(rule,))
    assert out.conflict_hunks == 0, (out.content or b"").decode()
    assert [r.rule for r in out.refinements] == [rule] * len(out.refinements)
    assert out.refinements
    assert out.content is not None
    return out.content.decode()


def stays_conflict(base: str, ours: str, theirs: str, path: str, rule: str | None = None) -> None:
    line = merge(base, ours, theirs, path, "line")
    assert line.conflict_hunks
    rules = tuple(RULES) if rule is None else (rule,)
    out = merge(base, ours, theirs, path, rules=rules)
    assert out.refinements == ()
    assert out.content == line.content and out.conflict_hunks == line.conflict_hunks


# --- whitespace -----------------------------------------------------------------

JS_BASE = "function total(items) {\n  return items.reduce((a, b) => a + b, 0);\n}\n"


def test_whitespace_same_change_reindented_in_js_takes_upstream() -> None:
    ours = "function total(items) {\n  return items.reduce((a, b) => a + b, 1);\n}\n"
    theirs = "function total(items) {\n    return items.reduce((a, b) =>  a + b, 1);\n}\n"
    assert resolved(JS_BASE, ours, theirs, "app/total.js", "whitespace") == theirs


def test_whitespace_never_python_indentation() -> None:
    base = "for x in xs:\n    a(x)\n    b(x)\n"
    ours = "for x in xs:\n    a(x)\n    c(x)\n"
    theirs = "for x in xs:\n    a(x)\nc(x)\n"  # the same line, out of the loop
    stays_conflict(base, ours, theirs, "pkg/f.py", "whitespace")


def test_whitespace_python_trailing_spaces_only() -> None:
    base = "x = compute(1)\n"
    ours = "x = compute(2)\n"
    theirs = "x = compute(2)   \n"
    assert resolved(base, ours, theirs, "pkg/x.py", "whitespace") == theirs


def test_whitespace_not_yaml_structure() -> None:
    base = "server:\n  port: 80\n"
    ours = "server:\n  port: 8080\n"
    theirs = "server:\nport: 8080\n"
    stays_conflict(base, ours, theirs, "config.yaml", "whitespace")


def test_whitespace_not_inside_a_string() -> None:
    base = 'const s = "a b";\n'
    ours = 'const s = "a  c";\n'
    theirs = 'const s = "a c";\n'
    stays_conflict(base, ours, theirs, "s.js", "whitespace")


def test_whitespace_not_a_line_break_in_js() -> None:
    ours = "function total(items) {\n  return items.reduce((a, b) => a + b, 1);\n}\n"
    theirs = "function total(items) {\n  return\n  items.reduce((a, b) => a + b, 1);\n}\n"
    stays_conflict(JS_BASE, ours, theirs, "app/total.js", "whitespace")


# --- unordered collections ------------------------------------------------------------

PY_IMPORTS = "import os\nimport sys\n\n\ndef main():\n    return os.name\n"


def test_unordered_python_imports_union_sorted() -> None:
    ours = PY_IMPORTS.replace("import sys\n", "import re\nimport sys\n")
    theirs = PY_IMPORTS.replace("import sys\n", "import pathlib\nimport sys\n")
    out = resolved(PY_IMPORTS, ours, theirs, "app/main.py", "unordered")
    assert out.startswith("import os\nimport pathlib\nimport re\nimport sys\n")


def test_unordered_python_from_imports_unsorted_block_ours_first() -> None:
    base = "from b import x\nfrom a import y\n\nprint(x, y)\n"
    ours = "from b import x\nfrom a import y\nfrom z import ours_name\n\nprint(x, y)\n"
    theirs = "from b import x\nfrom a import y\nfrom c import theirs_name\n\nprint(x, y)\n"
    out = resolved(base, ours, theirs, "m.py", "unordered")
    assert out == (
        "from b import x\nfrom a import y\nfrom z import ours_name\n"
        "from c import theirs_name\n\nprint(x, y)\n"
    )


def test_unordered_same_import_name_both_sides_stays_conflict() -> None:
    ours = PY_IMPORTS.replace("import sys\n", "from re import compile\nimport sys\n")
    theirs = PY_IMPORTS.replace("import sys\n", "from regex import compile\nimport sys\n")
    stays_conflict(PY_IMPORTS, ours, theirs, "app/main.py", "unordered")


def test_unordered_js_imports() -> None:
    base = "import React from 'react';\n\nexport const A = () => null;\n"
    ours = "import React from 'react';\nimport { a } from './a';\n\nexport const A = () => null;\n"
    theirs = "import React from 'react';\nimport b from './b';\n\nexport const A = () => null;\n"
    out = resolved(base, ours, theirs, "src/A.jsx", "unordered")
    assert "import { a } from './a';\nimport b from './b';\n" in out


JSON_BASE = '{\n  "name": "app",\n  "scripts": {\n    "test": "pytest"\n  }\n}\n'


def test_unordered_json_object_distinct_keys() -> None:
    ours = JSON_BASE.replace('"name": "app",\n', '"name": "app",\n  "private": true,\n')
    theirs = JSON_BASE.replace('"name": "app",\n', '"name": "app",\n  "license": "MIT",\n')
    out = resolved(JSON_BASE, ours, theirs, "package.json", "unordered")
    assert out == JSON_BASE.replace(
        '"name": "app",\n', '"name": "app",\n  "private": true,\n  "license": "MIT",\n'
    )


def test_unordered_json_same_key_both_sides_stays_conflict() -> None:
    ours = JSON_BASE.replace('"name": "app",\n', '"name": "app",\n  "version": "1.0",\n')
    theirs = JSON_BASE.replace('"name": "app",\n', '"name": "app",\n  "version": "2.0",\n')
    stays_conflict(JSON_BASE, ours, theirs, "package.json", "unordered")


def test_unordered_json_array_is_ordered_stays_conflict() -> None:
    base = '{\n  "files": [\n    "a.js",\n    "z.js"\n  ]\n}\n'
    ours = base.replace('"a.js",\n', '"a.js",\n    "b.js",\n')
    theirs = base.replace('"a.js",\n', '"a.js",\n    "c.js",\n')
    stays_conflict(base, ours, theirs, "package.json", "unordered")


PY_DICT = "ROUTES = {\n    'home': home,\n    'about': about,\n}\n"


def test_unordered_python_dict_literal() -> None:
    ours = PY_DICT.replace("    'about'", "    'login': login,\n    'about'")
    theirs = PY_DICT.replace("    'about'", "    'logout': logout,\n    'about'")
    out = resolved(PY_DICT, ours, theirs, "routes.py", "unordered")
    assert "'login': login,\n    'logout': logout,\n" in out


def test_unordered_python_dict_same_key_stays_conflict() -> None:
    ours = PY_DICT.replace("    'about'", "    'login': login,\n    'about'")
    theirs = PY_DICT.replace("    'about'", "    'login': sso_login,\n    'about'")
    stays_conflict(PY_DICT, ours, theirs, "routes.py", "unordered")


def test_unordered_python_all() -> None:
    base = '__all__ = [\n    "alpha",\n    "omega",\n]\n'
    ours = base.replace('    "omega"', '    "beta",\n    "omega"')
    theirs = base.replace('    "omega"', '    "gamma",\n    "omega"')
    out = resolved(base, ours, theirs, "pkg/__init__.py", "unordered")
    assert '"beta",\n    "gamma",\n' in out


def test_unordered_plain_python_list_stays_conflict() -> None:
    base = 'STEPS = [\n    "build",\n    "deploy",\n]\n'
    ours = base.replace('    "deploy"', '    "test",\n    "deploy"')
    theirs = base.replace('    "deploy"', '    "lint",\n    "deploy"')
    stays_conflict(base, ours, theirs, "steps.py", "unordered")


def test_unordered_statements_in_a_body_stay_conflict() -> None:
    base = "def f():\n    a()\n    b()\n"
    ours = "def f():\n    a()\n    x = 1\n    b()\n"
    theirs = "def f():\n    a()\n    y = 2\n    b()\n"
    stays_conflict(base, ours, theirs, "f.py", "unordered")


def test_unordered_js_object_keys() -> None:
    base = "export default {\n  mode: 'production',\n  entry: './src',\n};\n"
    ours = base.replace("  entry", "  devtool: false,\n  entry")
    theirs = base.replace("  entry", "  target: 'web',\n  entry")
    out = resolved(base, ours, theirs, "webpack.config.js", "unordered")
    assert "  devtool: false,\n  target: 'web',\n" in out


# --- adjacent lines -----------------------------------------------------------------------

PY_ADJ = "def settings():\n    host = 'localhost'\n    port = 80\n    debug = False\n"


def test_adjacent_edits_on_touching_lines() -> None:
    ours = PY_ADJ.replace("'localhost'", "'0.0.0.0'")
    theirs = PY_ADJ.replace("port = 80", "port = 8080")
    out = resolved(PY_ADJ, ours, theirs, "settings.py", "adjacent")
    assert out == PY_ADJ.replace("'localhost'", "'0.0.0.0'").replace("80\n", "8080\n")


def test_adjacent_two_insertions_at_one_point_stay_conflict() -> None:
    ours = PY_ADJ.replace("    port", "    user = 'a'\n    port")
    theirs = PY_ADJ.replace("    port", "    password = 'b'\n    port")
    stays_conflict(PY_ADJ, ours, theirs, "settings.py", "adjacent")


def test_adjacent_insertion_beside_an_edit_stays_conflict() -> None:
    ours = PY_ADJ.replace("    port", "    user = 'a'\n    port")
    theirs = PY_ADJ.replace("port = 80", "port = 8080")
    stays_conflict(PY_ADJ, ours, theirs, "settings.py", "adjacent")


def test_adjacent_same_line_edited_stays_conflict() -> None:
    ours = PY_ADJ.replace("port = 80", "port = 81")
    theirs = PY_ADJ.replace("port = 80", "port = 82")
    stays_conflict(PY_ADJ, ours, theirs, "settings.py", "adjacent")


# --- the engine: provenance, partial resolution, line strategy ------------------------------


def test_provenance_lines_and_a_hunk_left_as_git_writes_it() -> None:
    base = "import os\n\n\ndef f():\n    return 1\n"
    ours = "import os\nimport re\n\n\ndef f():\n    return 2\n"
    theirs = "import os\nimport json\n\n\ndef f():\n    return 3\n"
    line = merge(base, ours, theirs, "m.py", "line")
    out = merge(base, ours, theirs, "m.py", rules=("unordered",))
    assert (line.conflict_hunks, out.conflict_hunks) == (2, 1)
    assert [(r.rule, r.line, r.lines) for r in out.refinements] == [("unordered", 2, 2)]
    assert out.content is not None and line.content is not None
    text = out.content.decode()
    assert text.startswith("import os\nimport re\nimport json\n\n\ndef f():\n<<<<<<< overlay\n")
    # The hunk left is written exactly as the line merge writes it.
    assert (
        text[text.index("<<<<<<<") :]
        == line.content.decode()[line.content.decode().rindex("<<<<<<<") :]
    )


def test_line_strategy_never_refines() -> None:
    ours = PY_ADJ.replace("'localhost'", "'0.0.0.0'")
    theirs = PY_ADJ.replace("port = 80", "port = 8080")
    out = merge(PY_ADJ, ours, theirs, "settings.py", "line")
    assert out.conflict_hunks == 1 and out.refinements == ()


def test_a_rule_needing_a_missing_grammar_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(grammars._loaded, Language.JSON, grammars.GrammarUnavailable("absent"))
    ours = JSON_BASE.replace('"name": "app",\n', '"name": "app",\n  "private": true,\n')
    theirs = JSON_BASE.replace('"name": "app",\n', '"name": "app",\n  "license": "MIT",\n')
    stays_conflict(JSON_BASE, ours, theirs, "package.json", "unordered")


def test_file_types() -> None:
    assert file_type("a/b.PY") == FileType.PYTHON
    assert file_type("x.tsx") == FileType.TSX
    assert file_type("Makefile") == FileType.TEXT
    assert file_type(None) == FileType.TEXT


# --- merges that must parse -------------------------------------------------------------------


def test_clean_merge_repeating_a_json_key_becomes_a_conflict() -> None:
    base = '{\n  "a": 1,\n  "b": 2,\n  "c": 3,\n  "d": 4\n}\n'
    ours = base.replace('"a": 1,\n', '"a": 1,\n  "x": 1,\n')
    theirs = base.replace('"c": 3,\n', '"c": 3,\n  "x": 2,\n')
    line = merge(base, ours, theirs, "settings.json", "line")
    assert line.conflict_hunks == 0  # git merges it cleanly, and wrongly
    out = merge(base, ours, theirs, "settings.json")
    assert out.conflict_hunks == 1
    assert out.invalid == "the merge repeats the key 'x' (neither side does)"
    assert out.content is not None
    assert out.content.decode().startswith('{\n  "a": 1,\n<<<<<<< overlay\n  "x": 1,\n')


def test_clean_merge_that_does_not_parse_becomes_a_conflict() -> None:
    base = "@decorator\ndef f():\n    pass\n# spacer\ndef g():\n    pass\n"
    ours = "@decorator\n# spacer\ndef g():\n    pass\n"
    theirs = "@decorator\ndef f():\n    pass\n# spacer\n"
    line = merge(base, ours, theirs, "deco.py", "line")
    assert line.conflict_hunks == 0 and line.content == b"@decorator\n# spacer\n"
    out = merge(base, ours, theirs, "deco.py")
    assert out.conflict_hunks == 1
    assert out.invalid == "the merge does not parse as python (both sides do)"


def test_clean_yaml_merge_repeating_a_key_becomes_a_conflict() -> None:
    # Both sides add the same setting to one mapping at different places (a SkyPortal
    # config.yaml.defaults): git merges it cleanly into a mapping with the key twice.
    base = (
        "app:\n  title: Icare\n  port: 5000\n  logo: a.png\n  theme: dark\n"
        "database:\n  db: skyportal\n"
    )
    ours = base.replace("  title: Icare\n", "  title: Icare\n  cache: 30\n")
    theirs = base.replace("  theme: dark\n", "  theme: dark\n  cache: 60\n")
    assert merge(base, ours, theirs, "config.yaml", "line").conflict_hunks == 0
    out = merge(base, ours, theirs, "config.yaml")
    assert out.conflict_hunks == 1
    assert out.invalid == "the merge repeats the key 'cache' (neither side does)"
    # the same key under two different mappings is no repeat
    theirs = base.replace("  db: skyportal\n", "  db: skyportal\n  cache: 60\n")
    assert merge(base, ours, theirs, "config.yaml").invalid is None


def test_clean_yaml_merge_that_does_not_load_becomes_a_conflict() -> None:
    # The overlay stops sharing the defaults (anchor and its one alias gone); upstream
    # shares them with production too.  Each side loads; the clean line merge keeps
    # upstream's new alias to an anchor that no longer exists.
    base = (
        "defaults: &defaults\n  adapter: postgres\n  host: localhost\n"
        "development:\n  <<: *defaults\n  database: dev\n"
        "test:\n  database: test\nproduction:\n  database: prod\n"
    )
    ours = base.replace("defaults: &defaults\n", "defaults:\n").replace("  <<: *defaults\n", "")
    theirs = base.replace("production:\n", "production:\n  <<: *defaults\n")
    assert merge(base, ours, theirs, "database.yaml", "line").conflict_hunks == 0
    out = merge(base, ours, theirs, "database.yaml")
    assert out.conflict_hunks == 1
    assert out.invalid == "the merge does not parse as yaml (both sides do)"
    # a side that does not load: nothing to judge by
    broken = theirs + "extra: {a: 1\n"
    assert merge(base, ours, broken, "database.yaml").invalid is None


def test_yaml_with_unknown_tags_is_judged_not_refused() -> None:
    base = "a: !include base.yaml\nb: 1\nc: 2\nd: 3\n"
    ours = base.replace("b: 1", "b: 10")
    theirs = base.replace("d: 3", "d: 30")
    out = merge(base, ours, theirs, "x.yaml")
    assert out.conflict_hunks == 0 and out.invalid is None


def test_parse_check_leaves_files_it_cannot_judge() -> None:
    base = "a\nb\nc\nd\ne\n"
    ours = "A\nb\nc\nd\ne\n"
    theirs = "a\nb\nc\nd\nE\n"
    assert merge(base, ours, theirs, "notes.txt").invalid is None
    # a side that does not parse: the parser cannot judge the merge
    broken = "def f(:\n    pass\n\n\nx = 1\n"
    out = merge(broken, broken.replace("x = 1", "x = 2"), broken.replace("pass", "return"), "b.py")
    assert out.conflict_hunks == 0 and out.invalid is None


# --- the line merge of a file holding a line as wide as the merge's markers --------------------


def test_a_line_of_41_equals_signs_stays_content(tmp_path: Path) -> None:
    """An reStructuredText underline of exactly 41 ``=`` (found by the corpus, sphinx's CHANGES)."""
    rule = "=" * 41 + "\n"
    base = f"Release 1.0\n{rule}\n* one\n* two\n"
    ours, theirs = base.replace("two", "zwei"), base.replace("two", "deux")
    out = merge(base, ours, theirs, "CHANGES", "line")
    for name, text in (("o", ours), ("b", base), ("t", theirs)):
        (tmp_path / name).write_text(text)
    labels = ["-L", LABELS[1], "-L", LABELS[0], "-L", LABELS[2]]
    done = subprocess.run(
        ["git", "merge-file", "-p", "--zdiff3", *labels, *(str(tmp_path / n) for n in "obt")],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1 and out.conflict_hunks == 1
    assert out.content == done.stdout
    assert rule.encode() in out.content
