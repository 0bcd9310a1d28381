"""Suggestions per conflict hunk (core/suggest.py): each kind where it must fire and where not."""

from __future__ import annotations

import pytest

from overlay_merge.core.model import HunkTake
from overlay_merge.core.refine import FileType, Lines
from overlay_merge.core.suggest import DEFAULT_KINDS, KINDS, contains, layout_form, suggest


def _lines(text: str) -> Lines:
    return tuple(line.encode() for line in text.splitlines(keepends=True))


BASE_JS = _lines("const options = {\n  name: 'app',\n  port: 80,\n};\n")


def test_one_side_only_reformats_gives_the_other_side() -> None:
    ours = _lines('const options = {\n    name: "app",\n    port : 80 ,\n};\n')
    theirs = _lines("const options = {\n  name: 'app',\n  port: 8080,\n};\n")
    found = suggest(BASE_JS, ours, theirs, FileType.JAVASCRIPT)
    assert found is not None
    assert (found.take, found.rule) == (HunkTake.UPSTREAM, "reformat")
    assert found.reason == "overlay side only reformats"
    mirrored = suggest(BASE_JS, theirs, ours, FileType.JAVASCRIPT)
    assert mirrored is not None and mirrored.take == HunkTake.OVERLAY
    assert mirrored.reason == "upstream side only reformats"


def test_python_indentation_never_only_reformats() -> None:
    base = _lines("if debug:\n    level = 1\n")
    ours = _lines("if debug:\n        level = 1\n")  # re-indented: another block in Python
    theirs = _lines("if debug:\n    level = 2\n")
    assert layout_form(ours, FileType.PYTHON) != layout_form(base, FileType.PYTHON)
    assert suggest(base, ours, theirs, FileType.PYTHON) is None
    # Spacing between tokens (not in a string) is no syntax in Python.
    spaced = _lines("if debug :\n    level=1\n")
    found = suggest(base, spaced, theirs, FileType.PYTHON)
    assert found is not None and found.take == HunkTake.UPSTREAM


def test_spacing_inside_a_string_or_in_yaml_is_content() -> None:
    base = _lines('title = "a b"\n')
    spaced, changed = _lines('title = "a  b"\n'), _lines('title = "c"\n')
    assert suggest(base, spaced, changed, FileType.PYTHON) is None
    yaml = _lines("key: value\n")
    squeezed = _lines("key:value\n")  # a plain scalar, not a mapping, in YAML
    assert suggest(yaml, squeezed, _lines("key: other\n"), FileType.YAML) is None
    trailing = suggest(yaml, _lines("key: value  \n"), _lines("key: other\n"), FileType.YAML)
    assert trailing is not None and trailing.take == HunkTake.UPSTREAM


def test_both_sides_only_reformatting_is_no_suggestion() -> None:
    ours = _lines('const options = {\n  name: "app",\n  port: 80,\n};\n')
    theirs = _lines("const options = {\n    name: 'app',\n    port: 80,\n};\n")
    assert suggest(BASE_JS, ours, theirs, FileType.JAVASCRIPT) is None


def test_a_change_contained_in_the_other_side_gives_the_larger() -> None:
    base = _lines("version = 1\nname = 'x'\n")
    ours = _lines("version = 2\nname = 'x'\n")
    theirs = _lines("version = 2\nname = 'y'\n")  # upstream took the overlay's fix, and more
    assert contains(base, ours, theirs)
    found = suggest(base, ours, theirs, FileType.PYTHON)
    assert found is not None
    assert (found.take, found.rule) == (HunkTake.UPSTREAM, "contained")
    assert found.reason == "upstream's side already holds the overlay's change"
    mirrored = suggest(base, theirs, ours, FileType.PYTHON)
    assert mirrored is not None and mirrored.take == HunkTake.OVERLAY


def test_the_same_line_changed_both_ways_is_not_contained() -> None:
    base = _lines("timeout = 10\n")
    assert suggest(base, _lines("timeout = 20\n"), _lines("timeout = 30\n"), FileType.TEXT) is None
    # A removal the other side changed instead: neither holds the other.
    removed, changed = _lines("a\nc\n"), _lines("a\nB\nc\n")
    assert not contains(_lines("a\nb\nc\n"), removed, changed)
    # A removal the other side kept (changing the line beside it): not held either.
    kept = _lines("A\nb\nc\n")
    assert not contains(_lines("a\nb\nc\n"), _lines("a\nc\n"), kept)
    # ... while a change beside a removal, the removal kept, is.
    assert contains(_lines("a\nb\nc\n"), _lines("a\nc\n"), _lines("A\nc\n"))


def test_both_sides_appending_at_one_place_gives_both_overlay_first_when_asked() -> None:
    base = _lines("import os\n")
    ours = _lines("import os\nimport re\n")
    theirs = _lines("import os\nimport sys\n")
    # Off by default: on the corpus maintainers wrote the two insertions as neither take
    # (lines both sides share between them) more often than as either.
    assert "append" not in DEFAULT_KINDS and suggest(base, ours, theirs, FileType.PYTHON) is None
    found = suggest(base, ours, theirs, FileType.PYTHON, ("append",))
    assert found is not None
    assert (found.take, found.rule) == (HunkTake.BOTH, "append")
    assert found.reason == "both sides append (the overlay's lines first)"


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("import os\nimport re\n", "import sys\n"),  # upstream replaced the line: a deletion
        ("import re\nimport os\n", "import os\nimport sys\n"),  # at two different places
    ],
)
def test_insertions_with_deletions_or_apart_get_no_suggestion(ours: str, theirs: str) -> None:
    sides = _lines("import os\n"), _lines(ours), _lines(theirs)
    assert suggest(*sides, FileType.PYTHON, tuple(KINDS)) is None


def test_the_same_key_changed_on_both_sides_gets_no_suggestion() -> None:
    base = _lines('{\n  "port": 80\n}\n')
    ours = _lines('{\n  "port": 81\n}\n')
    theirs = _lines('{\n  "port": 82\n}\n')
    assert suggest(base, ours, theirs, FileType.JSON, tuple(KINDS)) is None
