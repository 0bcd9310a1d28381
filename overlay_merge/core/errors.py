"""The one user-facing error type.

Anything a user can fix is raised as :class:`OverlayMergeError`: one line
saying what is wrong and where, plus a hint naming the command that fixes it.
The CLI maps it to exit code 3 in a single place; nothing else is caught.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence


class OverlayMergeError(Exception):
    """A condition the user can fix: bad input, missing objects, dirty tree."""

    exit_code = 3

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (fix: {self.hint})"
        return self.message


def first_of(paths: Sequence[str]) -> str:
    """The first of *paths* for an error message: ``a`` or ``a (and 2 more)``."""
    more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
    return f"{paths[0]}{more}"


def quote(path: str | os.PathLike[str]) -> str:
    """*path* quoted for a shell command in a hint (``shlex.quote``).

    A plain path (``skyportal``, ``patched_skyportal``) stays as it is; a
    build dir named ``out; rm -rf ~`` becomes ``'out; rm -rf ~'``, so a fix
    command copied from a message never runs more than it says.
    """
    return shlex.quote(os.fspath(path))
