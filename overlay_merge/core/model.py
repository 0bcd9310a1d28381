"""The bump's vocabulary: the states, kinds, decisions, choices and takes every layer names.

Each is a string enum whose values are the words the JSON reports, the
journal and the command line use (docs/design.md §5, §6): ``json.dumps``
and f-strings give the value, and a member compares equal to its value, so
outputs stay the same words.  The bump's phases, and the functions that
change them, are the journal's (:mod:`overlay_merge.core.journal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

SHORT_SHA = 7  # as git abbreviates commits in its messages
# The refined strategy's rules by name (core/refine/ implements them; the
# configuration's ``refine-rules`` is checked against these without loading them).
REFINE_RULES = ("whitespace", "unordered", "adjacent", "tokens")


def short_sha(sha: str) -> str:
    """The abbreviated commit id messages and labels show."""
    return sha[:SHORT_SHA]


class ValueEnum(str, Enum):
    """A string enum that prints as its value (``StrEnum`` is Python 3.11+; 3.10 is supported)."""

    def __str__(self) -> str:
        return str(self.value)


class BumpChoice(ValueEnum):
    """What the maintainer chooses for the whole bump (docs/design.md §1)."""

    MERGE = "merge"  # stop and merge
    UPDATE = "update"  # update anyway: move the pin only
    CANCEL = "cancel"  # change nothing


class BumpState(ValueEnum):
    """What a bump does to one overlay file (docs/design.md §5)."""

    UNCHANGED = "unchanged"
    CLEAN = "clean"
    CONFLICT = "conflict"
    CONVERGED = "converged"
    DELETED_UPSTREAM = "deleted-upstream"
    RENAMED_UPSTREAM = "renamed-upstream"
    ADDED_UPSTREAM = "added-upstream"
    BINARY = "binary"
    # An addition upstream still lacks whose imported upstream modules changed.
    DEPENDS_ON_CHANGED = "depends-on-changed"


# States that leave work for the maintainer after a merge.
CONFLICTING = frozenset(
    {BumpState.CONFLICT, BumpState.DELETED_UPSTREAM, BumpState.ADDED_UPSTREAM, BumpState.BINARY}
)
# States whose overlay file may be dropped (upstream carries it, or deleted it).
DROPPABLE = frozenset({BumpState.CONVERGED, BumpState.DELETED_UPSTREAM})


class RenameSource(ValueEnum):
    """How a plan found where upstream moved a file (docs/design.md §5)."""

    HISTORY = "history"  # followed through upstream's commits, as `git log --follow`
    PAIRWISE = "pairwise"  # the base and the target compared (no history, or no rename in it)


class Decision(ValueEnum):
    """A per-file decision the maintainer may take before applying (docs/design.md §5)."""

    TAKE_MERGE = "merge"  # the default: write the merge (markers where needed)
    KEEP_OVERLAY = "keep"  # leave the overlay file and its base as they are
    TAKE_UPSTREAM = "upstream"  # replace the overlay copy with upstream's version
    DROP = "drop"  # delete the overlay file and its base entry
    # depends-on-changed: the addition was checked against upstream's change; its base moves
    CONFIRM = "confirm"


class FileKind(ValueEnum):
    """An overlay file's kind (docs/design.md §2): its path exists upstream at its base, or not."""

    PATCH = "patch"
    ADDITION = "addition"


class StatusState(ValueEnum):
    """Where an overlay file (or base entry) stands against the pin (``status``)."""

    UP_TO_DATE = "up-to-date"
    STALE = "stale"
    CONFLICT_PENDING = "conflict-pending"
    UNRECORDED = "unrecorded"
    ORPHANED = "orphaned"


class View(ValueEnum):
    """The three views of an overlay file (``diff``, ``review``, the bump screen)."""

    OVERLAY_CHANGES = "patch"  # upstream at the base -> the overlay copy
    UPSTREAM_CHANGES = "upstream"  # upstream at the base -> upstream at the target
    MERGE_PREVIEW = "merged"  # the overlay copy -> what a merge writes


class HunkTake(ValueEnum):
    """Which side(s) of a conflict hunk to keep (``resolve --take``, the hunk screen)."""

    OVERLAY = "overlay"
    UPSTREAM = "upstream"
    BOTH = "both"  # the overlay's lines, then upstream's
    BOTH_UPSTREAM_FIRST = "both-upstream-first"


class BaseSource(ValueEnum):
    """Where the base text shown for a conflict hunk comes from."""

    IN_MARKERS = "markers"  # the file's own ||||||| section (zdiff3, diff3)
    RECOMPUTED = "recomputed"  # two-way markers: the same merge run with base sections
    REGION = "region"  # as above, the base of a larger stretch (git split or joined hunks)


@dataclass(frozen=True)
class Side:
    """One version of a file: content bytes and git mode."""

    data: bytes
    mode: int


def side_of(found: tuple[bytes, int] | None) -> Side | None:
    """A ``(bytes, mode)`` pair as git reads hand them out, as a :class:`Side` (None stays None)."""
    return None if found is None else Side(found[0], found[1])


def pair_of(side: Side | None) -> tuple[bytes, int] | None:
    """*side* as the ``(bytes, mode)`` pair git writes take (None stays None)."""
    return None if side is None else (side.data, side.mode)
