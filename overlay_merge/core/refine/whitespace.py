"""Rule ``whitespace``: both sides made the same change but for whitespace between tokens.

Only where whitespace is not syntax (``model.WHITESPACE_FREE``: JS, TS,
JSON, CSS); elsewhere (Python, YAML, any other text) only trailing
whitespace is ignored, never indentation.  Inside a line with a quote the
spacing between its tokens may be a string's content: there only the
line's ends are ignored.  The lines must match one for one (a line break
may end a JavaScript statement).  The upstream side's spelling is kept:
the formatter's output is upstream's more often than the overlay's.
"""

from __future__ import annotations

from overlay_merge.core.refine.model import WHITESPACE_FREE, FileType, Hunk, Lines

_QUOTES = (b'"', b"'", b"`")


def _token_form(line: bytes) -> bytes:
    if any(q in line for q in _QUOTES):
        return line.strip()
    return b" ".join(line.split())


def normal_form(lines: Lines, filetype: FileType) -> tuple[bytes, ...]:
    """*lines* as the rule compares them: whitespace normalised (and blank lines dropped
    where whitespace is not syntax)."""
    if filetype in WHITESPACE_FREE:
        return tuple(_token_form(line) for line in lines if line.strip())
    return tuple(line.rstrip() for line in lines)


def whitespace(hunk: Hunk) -> Lines | None:
    """Upstream's lines when both sides' changes are equal after normalising whitespace."""
    ours = normal_form(hunk.ours, hunk.filetype)
    if ours != normal_form(hunk.theirs, hunk.filetype) or not ours:
        return None
    if ours == normal_form(hunk.base, hunk.filetype):
        return None  # both sides only reformatted, each its own way: which one is a choice
    return hunk.theirs
