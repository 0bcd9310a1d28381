"""The one module that reaches into pygit2's private parts: libgit2's three-way file merge.

pygit2 binds no ``git_merge_file_from_index`` (a merge of three blobs with
marker labels, a style and a marker width), so it is called here through
pygit2's own cffi bindings: the functions and constants of
``pygit2._libgit2.lib``, the ``pygit2.ffi`` structs, an index entry's
``IndexEntry._to_c()`` and a repository's ``Repository._repo`` pointer.
None of these is pygit2's public API.  They were checked against pygit2 1.21,
which is why pyproject.toml bounds pygit2 below 1.22, and
:func:`missing_private_names` (run by tests/test_git_libgit2.py) names the one
a newer release changed, before any merge runs.
"""

from __future__ import annotations

from typing import Any

import pygit2
from pygit2 import ffi
from pygit2._libgit2 import lib

# The merge styles (git's merge.conflictStyle) and the libgit2 flag of each.
STYLE_CONSTANTS = {
    "merge": "GIT_MERGE_FILE_STYLE_MERGE",
    "diff3": "GIT_MERGE_FILE_STYLE_DIFF3",
    "zdiff3": "GIT_MERGE_FILE_STYLE_ZDIFF3",
}

# Every private name used below, with the C declaration it must have.
FUNCTIONS = {
    "git_merge_file_from_index": "int(*)(git_merge_file_result *, git_repository *, "
    "git_index_entry *, git_index_entry *, git_index_entry *, git_merge_file_options *)",
    "git_merge_file_result_free": "void(*)(git_merge_file_result *)",
}
STRUCT_FIELDS = {
    "git_merge_file_options": (
        "version",
        "ancestor_label",
        "our_label",
        "their_label",
        "flags",
        "marker_size",
    ),
    "git_merge_file_result": ("automergeable", "ptr", "len"),
}
_OPTIONS_VERSION = 1  # GIT_MERGE_FILE_OPTIONS_VERSION

Entries = tuple[pygit2.IndexEntry | None, pygit2.IndexEntry, pygit2.IndexEntry]


def style_flag(style: str) -> int:
    """The libgit2 flag of merge style *style* (``merge``, ``diff3``, ``zdiff3``)."""
    return int(getattr(lib, STYLE_CONSTANTS[style]))


def merge_file_from_index(
    repo: pygit2.Repository,
    entries: Entries,
    labels: tuple[bytes, bytes, bytes],
    flags: int,
    marker_size: int,
) -> tuple[bytes | None, bool]:
    """libgit2's ``git_merge_file_from_index`` of *entries* (base or None, ours, theirs).

    Their blobs are read from *repo*'s object database.  Returns ``(content,
    automergeable)``; content is None when libgit2 gives none (binary input)
    and the merge is not clean.
    """
    # Every cdata must stay referenced until the call returns: struct
    # fields holding pointers do not keep their targets alive.
    c_entries: list[Any] = [e._to_c() if e is not None else (ffi.NULL, None) for e in entries]
    c_labels = [ffi.new("char[]", label) for label in labels]
    opts = ffi.new("git_merge_file_options *")
    opts.version = _OPTIONS_VERSION
    opts.ancestor_label, opts.our_label, opts.their_label = c_labels
    opts.flags = flags
    opts.marker_size = marker_size
    result = ffi.new("git_merge_file_result *")
    try:
        err = lib.git_merge_file_from_index(
            result, repo._repo, c_entries[0][0], c_entries[1][0], c_entries[2][0], opts
        )
        if err < 0:
            raise pygit2.GitError(f"libgit2 merge failed ({err})")
        automergeable = bool(result.automergeable)
        if result.ptr == ffi.NULL:
            # libgit2 gives no content for binary input (or an empty result).
            return (b"" if automergeable else None), automergeable
        return bytes(ffi.buffer(result.ptr, result.len)), automergeable
    finally:
        lib.git_merge_file_result_free(result)


def missing_private_names() -> list[str]:
    """Each private pygit2 name this module uses that is gone or changed shape; [] if none."""
    missing = [
        f"pygit2._libgit2.lib.{name}" for name in STYLE_CONSTANTS.values() if not hasattr(lib, name)
    ]
    missing += _changed_functions()
    missing += _changed_structs()
    missing += _changed_wrappers()
    return missing


def _changed_functions() -> list[str]:
    changed = []
    for name, declaration in FUNCTIONS.items():
        function = getattr(lib, name, None)
        if function is None:
            changed.append(f"pygit2._libgit2.lib.{name}")
        elif ffi.typeof(function) != ffi.typeof(declaration):
            changed.append(
                f"pygit2._libgit2.lib.{name} (now {ffi.typeof(function).cname}, was {declaration})"
            )
    return changed


def _changed_structs() -> list[str]:
    changed = []
    for struct, wanted in STRUCT_FIELDS.items():
        try:
            fields = {name for name, _ in ffi.typeof(struct).fields}
        except ffi.error:
            changed.append(f"pygit2.ffi type {struct}")
            continue
        changed += [f"pygit2.ffi field {struct}.{name}" for name in wanted if name not in fields]
    return changed


def _changed_wrappers() -> list[str]:
    """The private attributes of pygit2's Python objects that hand out their C structs."""
    changed = []
    entry = pygit2.IndexEntry("x", pygit2.Oid(hex="0" * 40), pygit2.enums.FileMode.BLOB)
    to_c = getattr(entry, "_to_c", None)
    c_entry = to_c() if callable(to_c) else None
    if not (isinstance(c_entry, tuple) and _is_ctype(c_entry[0], "git_index_entry *")):
        changed.append("pygit2.IndexEntry._to_c (a (git_index_entry *, ...) tuple)")
    if not _is_ctype(getattr(pygit2.Repository(), "_repo", None), "git_repository *"):
        changed.append("pygit2.Repository._repo (a git_repository *)")
    return changed


def _is_ctype(value: object, cname: str) -> bool:
    try:
        return bool(ffi.typeof(value) == ffi.typeof(cname))
    except TypeError:  # not a cdata at all
        return False
