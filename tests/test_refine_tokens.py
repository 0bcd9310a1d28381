"""Rule ``tokens``: a word-level re-merge of a hunk whose sides change the same lines."""

from __future__ import annotations

from test_refine import resolved, stays_conflict

from overlay_merge.core.refine import FileType, Hunk
from overlay_merge.core.refine.tokens import tokenize, tokens

CONFIG_JS = "export const server = { host: 'localhost', port: 8000, debug: false };\n"


def test_two_different_words_changed_on_one_line_are_both_kept() -> None:
    ours = CONFIG_JS.replace("localhost", "example.org")
    theirs = CONFIG_JS.replace("8000", "8080")
    merged = resolved(CONFIG_JS, ours, theirs, "config.js", "tokens")
    assert merged == "export const server = { host: 'example.org', port: 8080, debug: false };\n"


def test_python_words_inside_lines_with_the_indentation_kept() -> None:
    base = "def connect():\n    return open_db(host='db', timeout=10)\n"
    ours = base.replace("host='db'", "host='primary'")
    theirs = base.replace("timeout=10", "timeout=30")
    merged = resolved(base, ours, theirs, "app/db.py", "tokens")
    assert merged == "def connect():\n    return open_db(host='primary', timeout=30)\n"


def test_the_same_word_changed_on_both_sides_stays_a_conflict() -> None:
    stays_conflict(CONFIG_JS, CONFIG_JS.replace("8000", "8001"), CONFIG_JS.replace("8000", "9000"),
                   "config.js", "tokens")  # fmt: skip


def test_changes_touching_stay_a_conflict() -> None:
    # The overlay changes the value, upstream adds an entry right after it.
    base = "limits = {'max': 10}\n"
    stays_conflict(base, base.replace("10", "20"), base.replace("10}", "10, 'min': 1}"),
                   "limits.py", "tokens")  # fmt: skip
    # Two words with only a blank between them.
    words = "Run the tests in order.\n"
    stays_conflict(words, words.replace("tests", "checks"), words.replace("in", "out of"),
                   "README.md", "tokens")  # fmt: skip
    # An insertion beside the other side's edit has no order.
    stays_conflict(CONFIG_JS, CONFIG_JS.replace("8000", "8000 + 1"),
                   CONFIG_JS.replace(", debug", " , debug"), "config.js", "tokens")  # fmt: skip


def test_never_python_indentation_nor_yaml_structure() -> None:
    base = "if ready:\n    start(fast=False)\n"
    reindented = "if ready:\n        start(fast=False)\n"
    stays_conflict(base, reindented, base.replace("False", "True"), "run.py", "tokens")
    yaml = "server:\n  port: 80\n  host: a\n"
    nested = "server:\n  port: 80\n    host: a\n"
    hunk = Hunk(*(tuple(t.encode().splitlines(keepends=True)) for t in (yaml, nested,
                yaml.replace("80", "81"))), b"", b"", FileType.YAML)  # fmt: skip
    assert tokens(hunk) is None


def test_numbers_changed_on_one_line_by_both_sides_stay_a_conflict() -> None:
    base = "version_info = (6, 1, 0, 'final', 0)\n"
    ours = "version_info = (6, 2, 0, 'beta', 0)\n"
    theirs = "version_info = (6, 1, 1, 'final', 0)\n"
    stays_conflict(base, ours, theirs, "pkg/__init__.py", "tokens")


def test_lines_added_or_removed_are_left_to_the_line_rules() -> None:
    base = "const a = f(1, 'x');\nconst b = 2;\n"
    ours = "const a = f(1, 'y');\n"  # a word changed, a line removed
    theirs = "const a = g(1, 'x');\nconst b = 2;\n"
    stays_conflict(base, ours, theirs, "lib.js", "tokens")


def test_tokens_give_the_text_back() -> None:
    lines = (b"  a_b = f(x, 'y z')\r\n", "é = 1\n".encode())
    assert b"".join(tokenize(lines)) == b"".join(lines)
    assert tokenize((b"x  += 1\n",)) == (b"x", b"  ", b"+", b"=", b" ", b"1", b"\n")
