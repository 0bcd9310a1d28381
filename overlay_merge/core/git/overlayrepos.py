"""Repositories nested in the overlay: submodules of the deployment that the build copies.

Icare keeps data repositories inside its overlay (``extensions/skyportal/data/
grandma_data``): the app needs their files, so a build copies each one at the
gitlink the deployment's HEAD records, read from the submodule's own object
store (its working tree or, once deinitialized, ``.git/modules/<name>``) —
never from what happens to be checked out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.git.model import MODE_GITLINK, SkippedSubmodule, TreeBlob
from overlay_merge.core.git.upstream import UpstreamRepo
from overlay_merge.core.model import short_sha


@dataclass
class NestedRepo:
    """One repository nested in the overlay: where (overlay-relative), at which commit."""

    path: str
    commit: str
    checked_out: str | None
    """The commit its working tree has checked out (None: not checked out)."""
    blobs: Iterator[TreeBlob] = field(repr=False)
    files: int = 0


def overlay_repos(root: Path, overlay: str, skipped: list[SkippedSubmodule]) -> list[NestedRepo]:
    """The submodules the deployment's HEAD records under *overlay*, opened for reading.

    One that is not initialized, or lacks the recorded commit, is an error
    naming the command that fixes it: a build without its files would not run.
    Their own nested submodules that cannot be read go to *skipped*.
    """
    repo = pygit2.Repository(str(root), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
    if repo.head_is_unborn:
        return []
    head = repo.head.peel(pygit2.Commit)
    deployment = UpstreamRepo(repo, "", Path(repo.workdir) if repo.workdir else root)
    found: list[NestedRepo] = []
    for path, sha in sorted(_gitlinks_under(head.tree, overlay)):
        nested = _open(deployment, path, str(head.id))
        if not nested.has_commit(sha):
            raise OverlayMergeError(
                f"{path}: commit {short_sha(sha)} recorded by the deployment is missing from the "
                "submodule's object store; the build needs its files",
                f"git submodule update --init {quote(path)}",
            )
        rel = path[len(overlay) + 1 :]
        found.append(
            NestedRepo(
                rel,
                sha,
                _checked_out(nested),
                nested.iter_blobs(sha, skipped, outer=f"{rel}/"),
            )
        )
    return found


def _open(deployment: UpstreamRepo, path: str, head: str) -> UpstreamRepo:
    try:
        nested = deployment.nested(path, head)
    except OverlayMergeError:
        raise OverlayMergeError(
            f"{path}: a submodule inside the overlay is not initialized; the build needs its files",
            f"git submodule update --init {quote(path)}",
        ) from None
    nested.display = path
    return nested


def _checked_out(nested: UpstreamRepo) -> str | None:
    try:
        return None if nested.repo.head_is_unborn else str(nested.repo.head.target)
    except pygit2.GitError:
        return None


def _gitlinks_under(tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, str]]:
    """``(path, commit)`` of every gitlink of *tree* below the folder *prefix*."""
    try:
        top = tree[prefix]
    except KeyError:
        return
    if not isinstance(top, pygit2.Tree):
        return
    stack: list[tuple[pygit2.Tree, str]] = [(top, prefix)]
    while stack:
        folder, where = stack.pop()
        for obj in folder:
            path = f"{where}/{obj.name}"
            if isinstance(obj, pygit2.Tree):
                stack.append((obj, path))
            elif obj.filemode == MODE_GITLINK:
                yield path, str(obj.id)
