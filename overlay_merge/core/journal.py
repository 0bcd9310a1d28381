"""The bump journal: what a bump changed, with backups, so ``abort`` is exact.

Lives under the deployment's git dir (``.git/overlay-merge/bump/``), never in
the working tree; only that folder is ever wiped, so the write lock
(``core/lock.py``) and the build record beside it survive bumps and aborts.
It is written, atomically, *before* the first change of a bump and lists
every file the bump may touch with a backup of its bytes, the base file, the
index and the upstream HEADs; each write of the bump happens after that.  So
whatever point a bump is stopped at (an error, Ctrl-C, a killed process),
restoring the journal's backups gives back the state before the bump byte
for byte.

Its records (a backup, a HEAD, a hunk choice) are in :mod:`.journalrecords`.
The bump's lifecycle lives here (docs/design.md §5): its :class:`Phase`, the
:class:`Journal` methods that move it on (``mark_written``, ``mark_resolved``,
``mark_unresolved``), and the guards every command asks (:func:`require_bump`,
:func:`require_no_unfinished_bump`, :attr:`Journal.progress`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.fsatomic import write_bytes_atomic
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.journalrecords import Backup as Backup  # noqa: PLC0414 - re-exported
from overlay_merge.core.journalrecords import HeadState as HeadState  # noqa: PLC0414
from overlay_merge.core.journalrecords import HunkChoice as HunkChoice  # noqa: PLC0414
from overlay_merge.core.lock import holds
from overlay_merge.core.model import BumpChoice, HunkTake, ValueEnum, short_sha
from overlay_merge.core.paths import path_problem
from overlay_merge.core.provenance import RuleHunk, rule_hunks_from, rule_hunks_problem

VERSION = 1
_BACKUP_NAME = re.compile(r"[0-9]{6}")
_SHA = re.compile(r"[0-9a-f]{40}")
_TOKEN = re.compile(r"(?:[0-9a-f]{8})?")
_PAIR = re.compile(r"(?:[a-z0-9][a-z0-9._-]*)?")  # as core.pairs names them, or none
_MODES = (0o100644, 0o100755, 0o120000)
# The one message for a command that needs a bump when there is none.
NO_BUMP = "no bump in progress, so nothing to {why}"
_NO_BUMP_FIX = "`overlay-merge status` shows where the overlay stands"


class Phase(ValueEnum):
    """Where a bump is in its lifecycle (the journal's ``phase``)."""

    APPLYING = "applying"  # writing, or stopped while writing: only `abort` goes on from here
    MERGED = "merged"  # written; conflicts left for the maintainer (`resolve`, hunk takes)
    DONE = "done"  # nothing left; `abort` still undoes it until the next bump


class BumpProgress(ValueEnum):
    """An unfinished bump as ``status`` and ``check`` report it (their ``bump``)."""

    INTERRUPTED = "interrupted"  # Phase.APPLYING
    CONFLICTS = "conflicts"  # Phase.MERGED


ANY_PHASE: frozenset[Phase] = frozenset(Phase)


@dataclass
class Journal:
    """Everything ``abort`` and ``resolve`` need to know about a bump in progress."""

    directory: Path
    choice: BumpChoice
    pin: str
    target: str
    phase: Phase = Phase.APPLYING
    # Deployment-relative paths -> backups (overlay files, the base file...).
    files: dict[str, Backup] = field(default_factory=dict)
    index: str | None = None  # backup name of the deployment's index file
    upstream_head: HeadState | None = None
    nested_heads: dict[str, HeadState] = field(default_factory=dict)
    upstream_dirty: dict[str, Backup] = field(default_factory=dict)  # --force backups
    conflicts: list[str] = field(default_factory=list)  # overlay paths left to resolve
    renames: dict[str, str] = field(default_factory=dict)  # old -> new overlay path
    # Hunk by hunk, oldest first (``choices`` in journal.json).
    hunk_choices: list[HunkChoice] = field(default_factory=list)
    # Names this bump's temp files (``.<name>.om-<token>.tmp``): abort removes
    # those a killed write left, and no file of anyone else's.
    token: str = field(default_factory=lambda: secrets.token_hex(4))
    # Deployment-relative path -> digests of what overlay-merge left there
    # (None: removed), oldest first.  abort restores a file only while it
    # holds one of them or its backup: anything else is work done after the
    # bump.  Every one is kept, not only the last: a write killed after the
    # journal was saved leaves the one before.
    left: dict[str, list[str | None]] = field(default_factory=dict)
    # Upstream repositories (deployment-relative) whose checkout has started
    # and not finished: git writes files in place, so one killed half-way may
    # leave a file holding neither version.  abort saves such files, then
    # restores them, instead of refusing.
    moving: list[str] = field(default_factory=list)
    # How the bump merged (``--strategy``), and per overlay path it wrote the
    # hunks rules resolved there (core/provenance.py).
    strategy: str = "line"
    rule_hunks: dict[str, list[RuleHunk]] = field(default_factory=dict)
    # The overlay pair bumped, with several (docs/design.md §3); "" with one.
    pair: str = ""

    def concerns(self, pair: str) -> bool:
        """True if this bump is the one of overlay pair *pair* (every pair's, with one)."""
        return not self.pair or self.pair == pair

    # -- the lifecycle (each caller saves when its writes are in order) ---------------

    @property
    def in_progress(self) -> bool:
        """True while the bump is unfinished: interrupted, or conflicts left."""
        return self.phase != Phase.DONE

    @property
    def progress(self) -> BumpProgress | None:
        """How an unfinished bump is reported; None once it is done."""
        if self.phase == Phase.APPLYING:
            return BumpProgress.INTERRUPTED
        if self.phase == Phase.MERGED:
            return BumpProgress.CONFLICTS
        return None

    def mark_written(self) -> None:
        """Every write of the bump is made: conflicts left for the maintainer, or done."""
        self.phase = Phase.MERGED if self.conflicts else Phase.DONE

    def mark_resolved(self, paths: Iterable[str]) -> None:
        """Conflicts *paths* are resolved; the bump is done when none is left."""
        settled = set(paths)
        self.conflicts = [p for p in self.conflicts if p not in settled]
        self.phase = Phase.MERGED if self.conflicts else Phase.DONE

    def mark_unresolved(self, path: str) -> None:
        """Conflict *path*, resolved before, is in conflict again (a hunk choice undone)."""
        self.conflicts.append(path)
        self.phase = Phase.MERGED

    # -- storage -----------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.directory / "journal.json"

    def save(self) -> None:
        """Write the journal atomically."""
        _require_lock(self.directory.parent.parent)
        document = asdict(self)
        document.pop("directory")
        document["choices"] = document.pop("hunk_choices")
        document["version"] = VERSION
        data = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
        write_bytes_atomic(self.path, data + b"\n")

    def backup(self, data: bytes) -> str:
        """Store *data* in the backup folder; return its name for the journal."""
        folder = self.directory / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        # Numbered after the highest backup, not by counting entries: a temp
        # file left by a killed write must not make two backups share a name.
        taken = [int(n) for n in os.listdir(folder) if _BACKUP_NAME.fullmatch(n)]
        name = f"{max(taken, default=-1) + 1:06d}"
        write_bytes_atomic(folder / name, data)
        return name

    def temp_name(self, rel: str) -> str:
        """The temp file name this bump's atomic writes of *rel* use."""
        return f".{rel.rsplit('/', 1)[-1]}.om-{self.token}.tmp"

    def note_left(self, rel: str, data: bytes | None, mode: int = 0o100644) -> None:
        """Record that overlay-merge left *data* (None: nothing) at *rel*."""
        digest = None if data is None else content_digest(data, mode)
        if digest not in self.left.setdefault(rel, []):
            self.left[rel].append(digest)

    def read_backup(self, name: str) -> bytes:
        return (self.directory / "backups" / name).read_bytes()

    def remove(self) -> None:
        """Delete the journal and its backups (the bump is over).

        ``journal.json`` goes first, in one step: an ``abort`` killed while
        deleting must leave either the whole journal (so it can run again)
        or no journal, never one whose backups are half gone.
        """
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        _clear(self.directory)


def content_digest(data: bytes, mode: int) -> str:
    """A short fingerprint of a file's bytes and git mode, to tell later edits apart."""
    return f"{mode:o}:{hashlib.sha256(data).hexdigest()}"


def _require_lock(git_dir: Path) -> None:
    """Refuse to write a journal without the write lock (a writer that forgot it is a bug)."""
    if not holds(git_dir):
        raise OverlayMergeError(
            "internal error: the bump journal would be written without the write lock",
            "report this as a bug in overlay-merge; nothing was written",
        )


def _clear(directory: Path) -> None:
    """Remove *directory* (a journal's leftovers); a symlink there is removed, not followed."""
    if directory.is_symlink() or directory.is_file():
        directory.unlink()
    else:
        shutil.rmtree(directory, ignore_errors=True)


def journal_dir(git_dir: Path) -> Path:
    """Where the journal of the deployment whose git dir is *git_dir* lives."""
    return git_dir / "overlay-merge" / "bump"


def _legacy_dir(git_dir: Path) -> Path:
    """Where releases before the write lock kept the journal (the folder above ours)."""
    return git_dir / "overlay-merge"


def new_journal(
    git_dir: Path, choice: BumpChoice, pin: str, target: str, pair: str = ""
) -> Journal:
    """Start a journal, replacing a finished one; refuse if a bump is unfinished."""
    _require_lock(git_dir)
    existing = require_no_unfinished_bump(git_dir)
    if existing is not None:
        existing.remove()
    _remove_legacy(git_dir)
    directory = journal_dir(git_dir)
    # Without journal.json whatever is there is a leftover (a bump stopped
    # before its journal was saved, an abort killed while deleting): old
    # backups must not mix with the new ones.
    parent = directory.parent
    if os.path.islink(parent) or (os.path.lexists(parent) and not parent.is_dir()):
        _clear(parent)  # planted there: removed, never followed (the lock does the same)
    if os.path.lexists(directory):
        _clear(directory)
    directory.mkdir(parents=True)
    return Journal(directory, choice, pin, target, pair=pair)


def _remove_legacy(git_dir: Path) -> None:
    """Remove a finished journal an earlier release left (a bump replaces it, as there)."""
    legacy = _legacy_dir(git_dir)
    with contextlib.suppress(FileNotFoundError):
        (legacy / "journal.json").unlink()
    if not (legacy / "backups").is_symlink():
        shutil.rmtree(legacy / "backups", ignore_errors=True)


def _refuse_legacy(git_dir: Path) -> None:
    """Report an unfinished bump journal an earlier release left at the old place.

    This release neither reads nor replays it (its format is that release's),
    but it must not be ignored: the bump it records is half done.
    """
    legacy = _legacy_dir(git_dir)
    path = legacy / "journal.json"
    try:
        document: Any = json.loads(path.read_bytes())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        document = None
    if isinstance(document, dict) and document.get("phase") == Phase.DONE:
        return  # finished: nothing is lost by not aborting it
    raise OverlayMergeError(
        f"{path}: a bump journal from an earlier overlay-merge version (a bump it started "
        "is unfinished or was interrupted)",
        f"finish or abort it with that version, or remove {path} and {legacy / 'backups'} "
        "if you have restored the state by hand",
    )


def require_no_unfinished_bump(git_dir: Path) -> Journal | None:
    """The journal of the last bump if it is done, or None; raise if a bump is unfinished."""
    journal = load_journal(git_dir)
    if journal is not None and journal.in_progress:
        raise unfinished(journal)
    return journal


def unfinished_journal(git_dir: Path) -> Journal | None:
    """The journal of an unfinished bump (interrupted, or conflicts left), or None."""
    journal = load_journal(git_dir)
    return journal if journal is not None and journal.in_progress else None


def require_bump(git_dir: Path, why: str, phases: Collection[Phase] = (Phase.MERGED,)) -> Journal:
    """The journal of the bump a command works on, in one of *phases*; else why not.

    *why* completes the one "no bump in progress" message (``resolve``,
    ``abort``...).  A done bump counts as none unless *phases* has
    ``Phase.DONE``; an interrupted one not in *phases* is :func:`unfinished`.
    """
    journal = load_journal(git_dir)
    if journal is None or (journal.phase == Phase.DONE and Phase.DONE not in phases):
        raise OverlayMergeError(NO_BUMP.format(why=why), _NO_BUMP_FIX)
    if journal.phase not in phases:
        raise unfinished(journal)
    return journal


def unfinished(journal: Journal) -> OverlayMergeError:
    """The error for a bump that is still in progress or was interrupted."""
    # One bump at a time per deployment (docs/design.md §3): name the pair it is of.
    of = f" of pair {journal.pair!r}" if journal.pair else ""
    command = f"overlay-merge --pair {journal.pair}" if journal.pair else "overlay-merge"
    if journal.phase == Phase.APPLYING:
        return OverlayMergeError(
            f"a bump{of} to {short_sha(journal.target)} was interrupted while writing",
            f"run `{command} abort` to restore the state before it",
        )
    return OverlayMergeError(
        f"a bump{of} to {short_sha(journal.target)} is in progress with "
        f"{len(journal.conflicts)} file(s) to resolve",
        f"fix them and run `{command} resolve`, or `{command} abort`",
    )


def load_journal(git_dir: Path) -> Journal | None:
    """The journal of the bump in progress (or last done), or None."""
    directory = journal_dir(git_dir)
    path = directory / "journal.json"
    inspect = f"inspect it; remove {quote(directory)} only if no bump is in progress"
    try:
        document: Any = json.loads(path.read_bytes())
    except FileNotFoundError:
        _refuse_legacy(git_dir)
        return None
    except (OSError, ValueError) as exc:
        raise OverlayMergeError(f"{path}: unreadable bump journal ({exc})", inspect) from None
    if not isinstance(document, dict):
        raise OverlayMergeError(f"{path}: damaged bump journal (not a JSON object)", inspect)
    if document.pop("version", None) != VERSION:
        raise OverlayMergeError(
            f"{path}: journal written by another version of overlay-merge",
            "finish or abort the bump with the version that started it",
        )
    try:
        journal = _from_document(directory, document)
    except (KeyError, TypeError, AttributeError) as exc:
        raise OverlayMergeError(f"{path}: damaged bump journal (missing {exc})", inspect) from None
    except _Unknown as exc:
        raise _tampered(path, str(exc), inspect) from None
    problem = _journal_problem(journal)
    if problem:
        raise _tampered(path, problem, inspect)
    return journal


def _tampered(path: Path, problem: str, fix: str) -> OverlayMergeError:
    # abort writes where the journal says: a journal edited by hand (or by
    # anyone) must not name a place outside the deployment's own files.
    return OverlayMergeError(
        f"{path}: damaged or tampered bump journal: {problem}; refusing to use it", fix
    )


class _Unknown(ValueError):
    """A journal value that is none of the words overlay-merge writes there."""


_E = TypeVar("_E", bound=ValueEnum)


def _member(kind: type[_E], value: Any, what: str) -> _E:
    try:
        return kind(value)
    except (ValueError, TypeError):
        raise _Unknown(f"unknown {what} {str(value)[:200]!r}") from None


def _from_document(directory: Path, document: dict[str, Any]) -> Journal:
    """A journal from its JSON *document*; raises KeyError/TypeError when it is damaged."""
    head = document["upstream_head"]
    return Journal(
        directory=directory,
        choice=_member(BumpChoice, document["choice"], "bump choice"),
        pin=document["pin"],
        target=document["target"],
        phase=_member(Phase, document["phase"], "phase"),
        files={k: Backup(**v) for k, v in document["files"].items()},
        index=document["index"],
        upstream_head=HeadState(**head) if head else None,
        nested_heads={k: HeadState(**v) for k, v in document["nested_heads"].items()},
        upstream_dirty={k: Backup(**v) for k, v in document["upstream_dirty"].items()},
        conflicts=list(document["conflicts"]),
        renames=dict(document["renames"]),
        # Absent from journals written before hunk-by-hunk choices existed.
        hunk_choices=[_hunk_choice(c) for c in document.get("choices", [])],
        token=document.get("token", ""),
        left={k: list(v) for k, v in document.get("left", {}).items()},
        moving=list(document.get("moving", [])),
        strategy=document.get("strategy", "line"),
        rule_hunks=rule_hunks_from(document.get("rule_hunks")),
        pair=document.get("pair", ""),
    )


def _hunk_choice(document: dict[str, Any]) -> HunkChoice:
    choice = HunkChoice(**document)
    choice.take = _member(HunkTake, choice.take, "hunk take")
    if not isinstance(choice.rule, int | None) or not isinstance(choice.reopened, bool):
        raise _Unknown(f"unknown rule choice {str(document)[:200]!r}")
    return choice


def _journal_problem(journal: Journal) -> str | None:
    """What makes *journal* unsafe to replay, or None."""
    heads = [journal.upstream_head, *journal.nested_heads.values()]
    shas = [journal.pin, journal.target, *(h.commit for h in heads if h is not None)]
    for sha in shas:
        if not isinstance(sha, str) or not _SHA.fullmatch(sha):
            return f"{sha!r} is not a commit id"
    refs = [h.ref for h in heads if h is not None and h.ref is not None]
    for ref in refs:
        if not isinstance(ref, str) or not ref.startswith("refs/heads/"):
            return f"{ref!r} is not a branch"
    paths = [
        *journal.files,
        *journal.upstream_dirty,
        *journal.nested_heads,
        *journal.conflicts,
        *journal.renames,
        *journal.renames.values(),
        *(c.path for c in journal.hunk_choices),
        *journal.left,
        *journal.moving,
        *journal.rule_hunks,
    ]
    if journal.strategy not in ("line", "refined"):
        return f"strategy {str(journal.strategy)[:200]!r} is not one overlay-merge writes"
    if not isinstance(journal.pair, str) or not _PAIR.fullmatch(journal.pair):
        return f"pair {str(journal.pair)[:200]!r} is not a pair name"
    if not isinstance(journal.token, str) or not _TOKEN.fullmatch(journal.token):
        return f"temp file token {str(journal.token)[:200]!r} is not one overlay-merge writes"
    for rel in paths:
        problem = path_problem(rel) if isinstance(rel, str) else "not a string"
        if problem:
            return f"path {str(rel)[:200]!r}: {problem}"
    backups = [*journal.files.values(), *journal.upstream_dirty.values()]
    names = [journal.index, *(b.backup for b in backups), *(c.backup for c in journal.hunk_choices)]
    for name in names:
        if name is not None and not (isinstance(name, str) and _BACKUP_NAME.fullmatch(name)):
            return f"backup name {str(name)[:200]!r} is not one overlay-merge writes"
    for backup in backups:
        if backup.mode not in _MODES:
            return f"file mode {backup.mode!r} is not one git stores"
    return rule_hunks_problem(journal.rule_hunks)


def bump_pair(root: Path) -> str | None:
    """The overlay pair whose bump the deployment's journal records ("" with one pair;
    None without a journal): ``resolve`` and ``abort`` act on it (docs/design.md §3)."""
    journal = load_journal(open_deployment(root).git_dir)
    return journal.pair if journal is not None else None


def unfinished_pair(root: Path) -> str | None:
    """The pair whose bump is unfinished ("" with one pair), or None when no bump is."""
    journal = unfinished_journal(open_deployment(root).git_dir)
    return journal.pair if journal is not None else None
