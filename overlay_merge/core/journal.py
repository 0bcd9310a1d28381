"""The bump journal: what a bump changed, with backups, so ``abort`` is exact.

Lives under the deployment's git dir (``.git/overlay-merge/``), never in the
working tree.  It is written, atomically, *before* the first change of a bump
and lists every file the bump may touch with a backup of its bytes, the base
file, the index and the upstream HEADs; each write of the bump happens after
that.  So whatever point a bump is stopped at (an error, Ctrl-C, a killed
process), restoring the journal's backups gives back the state before the
bump byte for byte.

Phases: ``applying`` (a bump is writing, or was stopped while writing),
``merged`` (written; conflicts left for the maintainer), ``done`` (nothing
left; ``abort`` still undoes it until the next bump replaces the journal).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.fsatomic import write_bytes_atomic

VERSION = 1
APPLYING = "applying"
MERGED = "merged"
DONE = "done"


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
class Journal:
    """Everything ``abort`` and ``resolve`` need to know about a bump in progress."""

    directory: Path
    choice: str
    pin: str
    target: str
    phase: str = APPLYING
    # Deployment-relative paths -> backups (overlay files, the base file...).
    files: dict[str, Backup] = field(default_factory=dict)
    index: str | None = None  # backup name of the deployment's index file
    upstream_head: HeadState | None = None
    nested_heads: dict[str, HeadState] = field(default_factory=dict)
    upstream_dirty: dict[str, Backup] = field(default_factory=dict)  # --force backups
    conflicts: list[str] = field(default_factory=list)  # overlay paths left to resolve
    renames: dict[str, str] = field(default_factory=dict)  # old -> new overlay path

    # -- storage -----------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.directory / "journal.json"

    def save(self) -> None:
        """Write the journal atomically."""
        document = asdict(self)
        document.pop("directory")
        document["version"] = VERSION
        data = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
        write_bytes_atomic(self.path, data + b"\n")

    def backup(self, data: bytes) -> str:
        """Store *data* in the backup folder; return its name for the journal."""
        folder = self.directory / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{len(os.listdir(folder)):06d}"
        write_bytes_atomic(folder / name, data)
        return name

    def read_backup(self, name: str) -> bytes:
        return (self.directory / "backups" / name).read_bytes()

    def remove(self) -> None:
        """Delete the journal and its backups (the bump is over)."""
        shutil.rmtree(self.directory, ignore_errors=True)


def journal_dir(git_dir: Path) -> Path:
    """Where the journal of the deployment whose git dir is *git_dir* lives."""
    return git_dir / "overlay-merge"


def new_journal(git_dir: Path, choice: str, pin: str, target: str) -> Journal:
    """Start a journal, replacing a finished one; refuse if a bump is unfinished."""
    existing = load_journal(git_dir)
    if existing is not None:
        if existing.phase != DONE:
            raise unfinished(existing)
        existing.remove()
    directory = journal_dir(git_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return Journal(directory, choice, pin, target)


def unfinished(journal: Journal) -> OverlayMergeError:
    """The error for a bump that is still in progress or was interrupted."""
    if journal.phase == APPLYING:
        return OverlayMergeError(
            f"a bump to {journal.target[:7]} was interrupted while writing",
            "run `overlay-merge abort` to restore the state before it",
        )
    return OverlayMergeError(
        f"a bump to {journal.target[:7]} is in progress with "
        f"{len(journal.conflicts)} file(s) to resolve",
        "fix them and run `overlay-merge resolve`, or `overlay-merge abort`",
    )


def load_journal(git_dir: Path) -> Journal | None:
    """The journal of the bump in progress (or last done), or None."""
    directory = journal_dir(git_dir)
    path = directory / "journal.json"
    try:
        document: dict[str, Any] = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OverlayMergeError(
            f"{path}: unreadable bump journal ({exc})",
            f"inspect it; remove {directory} only if no bump is in progress",
        ) from None
    if document.pop("version", None) != VERSION:
        raise OverlayMergeError(
            f"{path}: journal written by another version of overlay-merge",
            "finish or abort the bump with the version that started it",
        )
    try:
        return Journal(
            directory=directory,
            choice=document["choice"],
            pin=document["pin"],
            target=document["target"],
            phase=document["phase"],
            files={k: Backup(**v) for k, v in document["files"].items()},
            index=document["index"],
            upstream_head=HeadState(**document["upstream_head"])
            if document["upstream_head"]
            else None,
            nested_heads={k: HeadState(**v) for k, v in document["nested_heads"].items()},
            upstream_dirty={k: Backup(**v) for k, v in document["upstream_dirty"].items()},
            conflicts=list(document["conflicts"]),
            renames=dict(document["renames"]),
        )
    except (KeyError, TypeError) as exc:
        raise OverlayMergeError(
            f"{path}: damaged bump journal (missing {exc})",
            f"inspect it; remove {directory} only if no bump is in progress",
        ) from None
