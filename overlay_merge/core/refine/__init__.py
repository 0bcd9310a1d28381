"""Refinement of a line merge: named, conservative rules inside its conflict hunks.

A rule (one module each) turns one conflict hunk into its resolution or
says it is unsure (None); the merge (:mod:`overlay_merge.core.contentmerge`)
applies them only where the line merge conflicts, records which rule
resolved which lines, and checks that what it writes still parses
(docs/design.md §5).  ``RULES`` lists every rule in the order they are
tried; ``DEFAULT_RULES`` those the ``refined`` strategy uses, kept to the
ones the corpus (bench/merge_corpus.py) shows make no more wrong merges
than right ones.
"""

from __future__ import annotations

from typing import Final

from overlay_merge.core.refine.adjacent import adjacent
from overlay_merge.core.refine.model import (
    FileType,
    Hunk,
    Lines,
    PlainHunk,
    Refinement,
    Rule,
    Strategy,
    file_type,
    rule_reason,
)
from overlay_merge.core.refine.tokens import tokens
from overlay_merge.core.refine.unordered import unordered
from overlay_merge.core.refine.whitespace import whitespace

RULES: Final[dict[str, Rule]] = {
    "whitespace": whitespace,
    "unordered": unordered,
    "adjacent": adjacent,
    "tokens": tokens,
}
# bench/merge_corpus.py, 2,650 file merges (README, Merge quality), hunks right/wrong alone:
# ``unordered`` 0/2 (off); ``adjacent`` 122/14, and over git it adds 48 exact file merges
# for 8 wrong ones: off (a rule that makes wrong merges is not a default; a deployment
# takes it with ``refine-rules``); ``whitespace`` 1/0; ``tokens`` 65/9, 23 exact for 5 wrong:
# off.  The defaults never make a wrong merge git does not make on the corpus.
DEFAULT_RULES: Final = ("whitespace",)

__all__ = [
    "DEFAULT_RULES",
    "RULES",
    "FileType",
    "Hunk",
    "Lines",
    "PlainHunk",
    "Refinement",
    "Rule",
    "Strategy",
    "file_type",
    "rule_reason",
]
