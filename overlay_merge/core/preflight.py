"""Everything a bump checks before its first write (copier's rule: check, then touch).

The pin moves with git's own checkout, which refuses to overwrite a
modified or untracked file; these checks come first so that the bump never
gets that far with anything in the way, and say every problem with the
command that fixes it.  They look at every repository the bump moves: the
upstream and each nested submodule checked out at a new gitlink.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from overlay_merge.core.deployment import Deployment
from overlay_merge.core.errors import OverlayMergeError, first_of, quote
from overlay_merge.core.git import command as gitcli
from overlay_merge.core.git.deployment import DeploymentRepo
from overlay_merge.core.git.upstream import UpstreamRepo
from overlay_merge.core.model import short_sha


@dataclass(frozen=True)
class NestedMoves:
    """Nested submodules a bump checks out: ``{path: commit}``, and those it cannot."""

    moves: dict[str, str]
    skipped: tuple[str, ...]


def nested_moves(upstream: UpstreamRepo, target: str) -> NestedMoves:
    """Nested submodules to check out at the gitlinks *target* records."""
    moves: dict[str, str] = {}
    skipped: list[str] = []
    for path in upstream.submodule_paths(target):
        want = upstream.gitlink(target, path)
        if want is None:
            continue
        # A submodule not initialized whose gitlink does not move is not news.
        unmoved = want == upstream.gitlink(upstream.head(), path)
        try:
            nested = upstream.nested(path, target)
        except OverlayMergeError:
            if not unmoved:
                skipped.append(path)
            continue
        if nested.workdir is None or not nested.has_commit(want):
            if not (unmoved and nested.workdir is None):
                skipped.append(path)
        elif nested.repo.head_is_unborn or nested.head() != want:
            moves[path] = want
    return NestedMoves(moves, tuple(skipped))


def check_git_state(repo: DeploymentRepo, upstream: UpstreamRepo) -> None:
    """Refuse unmerged index entries and held index locks (another git process)."""
    unmerged = repo.unmerged_paths()
    if unmerged:
        raise OverlayMergeError(
            f"{first_of(unmerged)}: unmerged in the deployment's index",
            "finish that merge (`git add` / `overlay-merge resolve`) or `overlay-merge abort`",
        )
    require_no_index_locks([repo, upstream])


def require_no_index_locks(
    repos: Sequence[DeploymentRepo | UpstreamRepo], then: str = "retry"
) -> None:
    """Refuse while one of *repos* has an ``index.lock``: a git process runs, or one (a
    checkout) was killed; *then* is what to do once it is gone."""
    for repo in repos:
        lock = repo.lock_file()
        if lock is not None:
            raise OverlayMergeError(
                f"{lock}: exists: another git process is running, or one crashed",
                f"wait for it, or remove {quote(lock)} if no git process runs, then {then}",
            )


def check_overlay_clean(deployment: Deployment, repo: DeploymentRepo, force: bool) -> None:
    """Refuse uncommitted overlay or base-file changes (with *force*, the journal keeps them)."""
    layout = deployment.layout
    prefix = layout.overlay + "/"
    dirty = [
        path
        for path in repo.dirty_paths((layout.overlay, layout.base_file))
        # Excluded overlay files are never touched by a bump: they may be dirty.
        if not (path.startswith(prefix) and layout.is_excluded(path[len(prefix) :]))
    ]
    if dirty and not force:
        raise OverlayMergeError(
            f"{first_of(dirty)}: uncommitted changes",
            "commit or stash your changes and retry, or pass --force (they are backed up "
            "first and `overlay-merge abort` restores them)",
        )


def check_upstream_clean(
    deployment: Deployment, target: str, nested: NestedMoves, force: bool
) -> list[str]:
    """Refuse what moving the upstream would overwrite; return the files to back up.

    Modified tracked files (as git reports them: skip-worktree entries of a
    sparse checkout are not modified) and untracked or ignored files where
    the checkout writes a file, creates a folder or replaces a folder, in
    the upstream and in each nested submodule it moves.  With *force* they
    are returned, to be backed up in the journal before the checkout.
    """
    layout = deployment.layout
    upstream = deployment.upstream
    modified = upstream.dirty_files()
    nested_paths = upstream.submodule_paths(upstream.head())
    if modified and not force:
        owner = _owner(layout.upstream, modified[0], nested_paths)
        raise OverlayMergeError(
            f"{layout.upstream}/{first_of(modified)}: uncommitted changes in the upstream "
            "working tree",
            f"commit or stash them (`git -C {quote(owner)} stash`) and retry, or pass "
            "--force (they are backed up first)",
        )
    in_the_way = upstream.checkout_obstacles(upstream.head(), target)
    for path, want in nested.moves.items():
        sub = upstream.nested(path, target)
        since = sub.head()
        in_the_way += [f"{path}/{p}" for p in sub.checkout_obstacles(since, want)]
    if in_the_way and not force:
        first = sorted(in_the_way)
        owner = _owner(layout.upstream, first[0], list(nested.moves))
        raise OverlayMergeError(
            f"{layout.upstream}/{first_of(first)}: untracked, and the target "
            "puts a file or folder there",
            f"move it away (or `git -C {quote(owner)} clean -n` to review), or pass "
            "--force (it is backed up first)",
        )
    return sorted({*modified, *in_the_way})


def _owner(upstream_dir: str, path: str, nested_paths: list[str]) -> str:
    """The repository (deployment-relative) whose git commands act on upstream *path*:
    the nested submodule holding it, else the upstream itself."""
    holders = [p for p in nested_paths if path.startswith(p + "/")]
    return f"{upstream_dir}/{max(holders, key=len)}" if holders else upstream_dir


def ensure_checkout_objects(
    upstream: UpstreamRepo, pin: str, target: str, nested: NestedMoves
) -> None:
    """Every blob the checkout to *target* needs, and those abort needs to come back to
    *pin*, present before the first write: a partial clone fetches them through git now,
    instead of failing half-way through the checkout (or the abort)."""
    pairs = [(upstream, pin, target)]
    for path, want in nested.moves.items():
        sub = upstream.nested(path, target)
        pairs.append((sub, sub.head(), want))
    for repo, old, new in pairs:
        # Files outside a sparse checkout are never written: their blobs can
        # stay on the server (that is what a sparse partial clone is for).
        sparse = (
            gitcli.skip_worktree_paths(repo.workdir, display=repo.display)
            if repo.workdir is not None and repo.promisor_remote() is not None
            else frozenset()
        )
        oids = [
            entry.oid
            for delta in repo.tree_delta(old, new)
            if delta.path not in sparse
            for entry in (delta.old, delta.new)
            if entry is not None and entry.mode != 0o160000
        ]
        repo.ensure_objects(oids, f"that moving {repo.display} to {short_sha(new)} needs")
