"""Validation of overlay-relative paths from any input.

Every path that overlay-merge may one day write to (entries of
`.overlay-base`, upstream tree entries, overlay file names) passes through
:func:`path_problem`, so no input can name a place outside the overlay.
"""

from __future__ import annotations


def path_problem(path: str) -> str | None:
    """Return why *path* is not a safe overlay-relative POSIX path, or None if it is.

    Accepted: non-empty, relative, ``/``-separated components, none of them
    empty, ``.``, ``..`` or ``.git`` (any case, as case-insensitive file
    systems see it), and no NUL, carriage return or newline anywhere.
    """
    if not path:
        return "empty path"
    for char, name in (("\x00", "NUL"), ("\n", "newline"), ("\r", "carriage return")):
        if char in path:
            return f"path contains a {name}"
    if path.startswith("/"):
        return "absolute path"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "path is not valid UTF-8"
    for part in path.split("/"):
        if part == "":
            return "empty path component (leading, trailing or doubled '/')"
        if part in (".", ".."):
            return f"'{part}' component"
        if part.lower() == ".git":
            return "'.git' component"
    return None
