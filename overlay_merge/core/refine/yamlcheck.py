"""The parse check of YAML merges (docs/design.md §5): ruamel.yaml reads, never writes.

No tree-sitter YAML grammar is packaged for this project's pins, so a merged
YAML file is loaded with ruamel.yaml's round-trip loader (it keeps unknown
tags such as ``!include`` as values instead of failing on them) to tell
whether it still parses and whether it repeats a key in one mapping.  The
result is only judged; nothing is ever dumped back.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_DUPLICATE = re.compile(r'found duplicate key "(?P<key>[^"]*)"')


@cache
def _loader() -> Any:
    # Imported on first use: most bumps merge no YAML, and the import costs ~40 ms.
    from ruamel.yaml import YAML  # noqa: PLC0415 - see the comment

    return YAML(typ="rt", pure=True)


def _problem(data: bytes) -> tuple[str, str] | None:
    """("duplicate", key) or ("syntax", message) when *data* does not load; None when it does."""
    from ruamel.yaml.constructor import DuplicateKeyError  # noqa: PLC0415 - see _loader
    from ruamel.yaml.error import YAMLError  # noqa: PLC0415 - see _loader

    try:
        for _ in _loader().load_all(data.decode("utf-8")):
            pass
    except UnicodeDecodeError:
        return ("syntax", "not UTF-8")
    except DuplicateKeyError as exc:
        found = _DUPLICATE.search(str(exc))
        return ("duplicate", found.group("key") if found else "?")
    except (YAMLError, ValueError, RecursionError) as exc:  # ruamel raises a few plain ones
        return ("syntax", type(exc).__name__)
    return None


def yaml_invalid_reason(ours: bytes, theirs: bytes, merged: bytes) -> str | None:
    """Why the clean YAML merge *merged* cannot stand: it does not load, or it repeats a key,
    while both sides load; None when it loads, or when a side does not (nothing to judge by)."""
    problem = _problem(merged)  # first: a merge that loads (most) costs one load, not three
    if problem is None or _problem(ours) is not None or _problem(theirs) is not None:
        return None
    kind, detail = problem
    if kind == "duplicate":
        return f"the merge repeats the key {detail!r} (neither side does)"
    return "the merge does not parse as yaml (both sides do)"
