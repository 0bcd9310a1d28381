"""The one place that knows which marker-like lines of an overlay file are its own content.

:mod:`overlay_merge.core.markers` decides whether a file is in conflict
given the file's own content lines; this module fetches them for an
overlay path: the upstream's base and target versions of the file, and the
overlay copy as committed -- the deployment's HEAD version, or, while a
bump is in progress, the journal's backup of the file from before the bump.
Nothing is read until a marker line is actually found in the file.
"""

from __future__ import annotations

from collections.abc import Iterator

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.journal import Journal
from overlay_merge.core.markers import OwnLines


def own_lines(
    deployment: Deployment,
    path: str,
    *,
    base: str | None,
    target: str | None,
    journal: Journal | None = None,
) -> OwnLines:
    """The content lines of overlay file *path* (overlay-relative), read lazily.

    *base* is the file's recorded base commit (None: none recorded),
    *target* the upstream commit it is compared with (the pin, or the
    bump's target).  *journal*: the bump in progress, if any; its backup of
    the file is the committed copy then.
    """
    old = _old_path(journal, path)

    def upstream() -> Iterator[bytes | None]:
        for commit, at in ((base, old), (base, path), (target, path)):
            if commit is not None:
                yield _upstream_version(deployment, commit, at)

    def committed() -> bytes | None:
        backup = _journal_backup(deployment, journal, old)
        if backup is not None:
            return backup
        repo = open_deployment(deployment.layout.root)
        overlay = deployment.layout.overlay
        found = repo.head_blob(f"{overlay}/{path}")
        return found if found is not None or old == path else repo.head_blob(f"{overlay}/{old}")

    return OwnLines(upstream, committed)


def _old_path(journal: Journal | None, path: str) -> str:
    """*path* before the bump in progress moved it (upstream renamed it), or *path*."""
    if journal is None:
        return path
    return next((o for o, n in journal.renames.items() if n == path), path)


def _upstream_version(deployment: Deployment, commit: str, path: str) -> bytes | None:
    try:
        found = deployment.upstream.read(commit, path)
    except OverlayMergeError:
        # A version that cannot be read (a commit missing from a shallow
        # clone) has no lines to excuse: the file is judged without it.
        return None
    return None if found is None else found[0]


def _journal_backup(deployment: Deployment, journal: Journal | None, path: str) -> bytes | None:
    if journal is None or not journal.in_progress:
        return None
    backup = journal.files.get(f"{deployment.layout.overlay}/{path}")
    if backup is None or backup.backup is None:
        return None
    try:
        return journal.read_backup(backup.backup)
    except OSError:
        return None
