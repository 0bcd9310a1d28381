"""The records of the bump journal (:mod:`.journal`): a file's backup, a HEAD, a hunk choice.

Plain values, saved in journal.json as they are (``dataclasses.asdict``).
"""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.model import HunkTake


@dataclass
class Backup:
    """A file as it was before the bump: a backup name, or None if it did not exist."""

    backup: str | None
    mode: int = 0o100644


@dataclass
class HeadState:
    """A repository HEAD as it was: its branch (None if detached) and commit."""

    ref: str | None
    commit: str


@dataclass
class HunkChoice:
    """One hunk-by-hunk choice (``resolve --hunk``, the hunk screen), so it can be undone.

    ``backup`` holds the file's bytes before the choice; ``base`` its
    ``.overlay-base`` entry before the choice (the choice may have resolved
    the file, recording a new one).
    """

    path: str  # overlay path of a conflict of this bump
    hunks: list[int]
    take: HunkTake
    backup: str
    base: str | None = None
    suggested: bool = (
        False  # ``--take suggested``: each hunk took its suggestion (*take*: the first's)
    )
    # A rule's resolution undone (core/ruleundo.py): its number in ``rule_hunks``,
    # and whether that put a file the bump had merged clean in conflict.
    rule: int | None = None
    reopened: bool = False
