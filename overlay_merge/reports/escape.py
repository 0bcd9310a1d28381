"""Escaping for the CI formats: GitHub workflow commands, XML, Markdown."""

from __future__ import annotations

import re


def gh_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    """Escape a workflow command's property value (GitHub's ``escapeProperty``)."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml(text: str) -> str:
    """*text* without the characters XML 1.0 cannot hold, even escaped (control characters)."""
    return XML_INVALID.sub("\ufffd", text)


def cell(text: str) -> str:
    """Text for a Markdown table cell: ``|`` escaped, no line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    """A Markdown code span that survives backquotes in *text*.

    In a table cell, escape its ``|`` too: GFM ends a cell at a bare ``|``
    even inside a code span, and reads ``\\|`` there as ``|``.
    """
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return fence + padded.replace("\n", " ") + fence
