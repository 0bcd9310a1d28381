"""The refinement's vocabulary: file types, a conflict hunk, a rule and what a rule did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from overlay_merge.core.model import ValueEnum

Strategy = Literal["line", "refined"]
"""``line``: git's merge exactly; ``refined``: rules inside conflict hunks, parse checks."""

Lines = tuple[bytes, ...]
"""Lines with their ends (``\\n``)."""


class FileType(ValueEnum):
    """What a file is, by its name: which rules and parse checks apply (docs/design.md §5)."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    TSX = "tsx"
    JSON = "json"
    YAML = "yaml"
    CSS = "css"
    HTML = "html"
    TEXT = "text"


_BY_EXTENSION = {
    "py": FileType.PYTHON,
    "pyi": FileType.PYTHON,
    "js": FileType.JAVASCRIPT,
    "jsx": FileType.JAVASCRIPT,
    "mjs": FileType.JAVASCRIPT,
    "cjs": FileType.JAVASCRIPT,
    "ts": FileType.TYPESCRIPT,
    "mts": FileType.TYPESCRIPT,
    "cts": FileType.TYPESCRIPT,
    "tsx": FileType.TSX,
    "json": FileType.JSON,
    "yaml": FileType.YAML,
    "yml": FileType.YAML,
    "css": FileType.CSS,
    "scss": FileType.CSS,
    "less": FileType.CSS,
    "html": FileType.HTML,
    "htm": FileType.HTML,
}

# Whitespace between tokens carries no meaning in these (docs/design.md §5):
# Python indentation and YAML structure do, and so may any other text.
WHITESPACE_FREE = frozenset(
    {FileType.JAVASCRIPT, FileType.TYPESCRIPT, FileType.TSX, FileType.JSON, FileType.CSS}
)


def file_type(path: str | None) -> FileType:
    """The type of *path* by its extension (``text`` for anything else, or no path)."""
    name = (path or "").rpartition("/")[2]
    _, dot, extension = name.rpartition(".")
    return _BY_EXTENSION.get(extension.lower(), FileType.TEXT) if dot else FileType.TEXT


@dataclass(frozen=True)
class Hunk:
    """One conflict hunk of a line merge: the three sides' lines and the text around it.

    *before* and *after* are the file's text outside the hunk as the merge
    has it (the other conflict hunks taken as the overlay has them): enough
    to parse the file with a candidate resolution in place.
    """

    base: Lines
    ours: Lines
    theirs: Lines
    before: bytes
    after: bytes
    filetype: FileType

    def document(self, lines: Lines) -> bytes:
        """The whole file with *lines* in place of the hunk."""
        return self.before + b"".join(lines) + self.after


Rule = Callable[[Hunk], "Lines | None"]
"""A rule: a hunk to its resolution (the lines to write), None when the rule is unsure."""


@dataclass(frozen=True)
class PlainHunk:
    """How to put back the plain conflict of a hunk a rule resolved (docs/design.md §5).

    At line *at* (1-based) of the refined file stand the bytes *resolved*;
    *plain* is what the line merge (``--strategy line``) has there instead,
    markers included.  Both are whole lines.
    """

    at: int
    resolved: bytes
    plain: bytes


@dataclass(frozen=True)
class Refinement:
    """A hunk a rule resolved: the rule's name and the lines of the result it wrote (1-based).

    *undo* (None: not known) swaps the resolution back for the plain conflict.
    """

    rule: str
    line: int
    lines: int
    undo: PlainHunk | None = field(default=None, compare=False, repr=False)


RULE_REASONS = {
    "whitespace": "both sides made the same change, up to whitespace",
    "adjacent": "the sides edit different lines that touch",
    "unordered": "both sides add distinct keys to one collection",
}
"""Why each rule could resolve a hunk, as the hunk screen says it."""


def rule_reason(rule: str) -> str:
    """Why rule *rule* resolved a hunk, in a maintainer's words."""
    return RULE_REASONS.get(rule, f"rule {rule}")
