"""The upstream reader: one class composed of the parts of this package, and its opening.

The upstream is a submodule of the deployment with submodules of its own.
It is read straight from the object stores: a path that runs through a
nested submodule (``baselayer/app/x.py``) follows the gitlink recorded in
the upstream commit into the nested submodule's repository.  Bases and pins
are always commits of the *top* upstream.

Every failure a user can fix (a folder not initialized, a commit missing from
a shallow clone, an unknown revision) becomes an :class:`OverlayMergeError`
carrying the git command that fixes it.
"""

from __future__ import annotations

from pathlib import Path

import pygit2

from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.git.history import History
from overlay_merge.core.git.materialize import Materialize
from overlay_merge.core.git.model import INIT_HINT, MODE_GITLINK
from overlay_merge.core.git.renames import Renames
from overlay_merge.core.git.worktree import Worktree


class UpstreamRepo(History, Materialize, Renames, Worktree):
    """A repository of the upstream: the top one, or a nested submodule of it.

    ``display`` is how the user reaches its working tree from the deployment
    root (``skyportal``, ``skyportal/baselayer``): it is what error hints name.
    Each part is a module of :mod:`overlay_merge.core.git`: revisions and
    objects (:class:`~overlay_merge.core.git.revisions.Revisions`,
    :class:`~overlay_merge.core.git.objects.ObjectStore`), files of commits
    and nested submodules (:class:`~overlay_merge.core.git.trees.Trees`), the
    history walk (:class:`History`), whole commits (:class:`Materialize`),
    changes and renames (:class:`Renames`), the working tree (:class:`Worktree`).
    """


def open_upstream(root: Path, upstream: str) -> UpstreamRepo:
    """Open the upstream repository at *upstream* (relative to the deployment *root*)."""
    path = root / upstream
    if not path.is_dir():
        raise OverlayMergeError(
            f"{upstream}/: upstream folder missing in {root}",
            f"{INIT_HINT}, or set `upstream` in [tool.overlay-merge]",
        )
    if not (path / ".git").exists():
        if not _registered_gitlink(root, upstream):
            # `git submodule update --init` would do nothing for it: say what it is.
            raise OverlayMergeError(
                f"{upstream}/: a plain folder, not a git submodule of the deployment",
                f"make it one (`git submodule add <url> {quote(upstream)}`), or set `upstream` "
                "in [tool.overlay-merge]",
            )
        raise OverlayMergeError(f"{upstream}/: upstream submodule is not initialized", INIT_HINT)
    try:
        repo = pygit2.Repository(str(path), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
    except pygit2.GitError as exc:
        raise OverlayMergeError(
            f"{upstream}/: not a usable git repository ({exc})", INIT_HINT
        ) from None
    return UpstreamRepo(repo, upstream, path)


def _registered_gitlink(root: Path, path: str) -> bool:
    """True if the deployment's index records a submodule at *path* (or cannot be read)."""
    try:
        index = pygit2.Repository(str(root), pygit2.enums.RepositoryOpenFlag.NO_SEARCH).index
        return bool(index[path].mode == MODE_GITLINK)
    except KeyError:
        return False
    except pygit2.GitError:
        return True  # no answer: keep the usual message
