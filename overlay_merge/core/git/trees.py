"""Files of upstream commits, read through nested submodules.

A path that runs through a nested submodule (``baselayer/app/x.py``)
follows the gitlink recorded in the upstream commit into the nested
submodule's own repository, found in its working tree or, once
deinitialized, under the upstream's ``modules/``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import INIT_HINT, MODE_GITLINK, MODE_TREE, Entry
from overlay_merge.core.git.objects import ObjectStore
from overlay_merge.core.model import short_sha
from overlay_merge.core.paths import path_problem

if TYPE_CHECKING:
    from typing_extensions import Self


class Trees(ObjectStore):
    """:class:`ObjectStore` plus the files of commits and the nested submodules."""

    def entry(self, sha: str, path: str) -> Entry | None:
        """The file at *path* in commit *sha*, following nested submodules; None if absent.

        Directories and gitlinks at *path* count as absent: only files are
        overlaid.
        """
        found = self._locate_file(sha, path)
        return None if found is None else Entry(str(found[1].id), int(found[1].filemode))

    def read(self, sha: str, path: str) -> tuple[bytes, int] | None:
        """The bytes and mode of *path* at commit *sha*, or None if absent."""
        found = self._locate_file(sha, path)
        if found is None:
            return None
        owner, obj = found
        return owner._blob_data(obj, f"for {path} at {short_sha(sha)}"), int(obj.filemode)

    def _blob_data(self, obj: pygit2.Object, why: str) -> bytes:
        """The bytes of blob *obj* met in a tree of this repository.

        A partial clone may lack it: it is fetched through git then (one
        object; :meth:`prefetch` fetches many in one go beforehand).
        """
        try:
            # The tree lookup already gave the blob object: no second lookup by id.
            blob = obj if isinstance(obj, pygit2.Blob) else self.repo[obj.id]
            assert isinstance(blob, pygit2.Blob)
            return blob.data
        except KeyError:  # pygit2.NotFoundError is one
            pass
        self.ensure_objects([str(obj.id)], why)
        blob = self.repo[obj.id]
        assert isinstance(blob, pygit2.Blob)
        return blob.data

    def prefetch(self, wanted: Sequence[tuple[str, str]]) -> None:
        """Fetch, in one go per repository, the blobs of ``(commit, path)`` pairs a
        partial clone lacks (nothing to do in a full clone: no git process runs)."""
        by_owner: dict[int, tuple[Trees, list[str]]] = {}
        for sha, path in wanted:
            found = self._locate_file(sha, path)
            if found is None:
                continue
            owner, obj = found
            by_owner.setdefault(id(owner), (owner, []))[1].append(str(obj.id))
        for owner, oids in by_owner.values():
            if owner.promisor_remote() is not None:
                owner.ensure_objects(oids, "that the merges need")

    def _locate_file(self, sha: str, path: str) -> tuple[Self, pygit2.Object] | None:
        """:meth:`_locate` for a file: a directory or a gitlink at *path* is None."""
        found = self._locate(sha, path)
        if found is None or found[1].filemode in (MODE_TREE, MODE_GITLINK):
            return None
        return found

    def _locate(self, sha: str, path: str) -> tuple[Self, pygit2.Object] | None:
        tree = self.tree(sha)
        try:
            # Fast path: libgit2 walks the whole path in C.  It fails (KeyError)
            # when the path is absent *or* runs through a gitlink.
            return self, tree[path]
        except KeyError:
            pass
        parts = path.split("/")
        for depth, part in enumerate(parts[:-1]):
            try:
                obj = tree[part]
            except KeyError:
                return None
            if obj.filemode == MODE_GITLINK:
                prefix = "/".join(parts[: depth + 1])
                nested = self.nested(prefix, sha)
                nested_sha = str(obj.id)
                nested.require_commit(
                    nested_sha, f"recorded for {prefix} by {self.display} {short_sha(sha)}"
                )
                return nested._locate(nested_sha, "/".join(parts[depth + 1 :]))
            if not isinstance(obj, pygit2.Tree):
                return None
            tree = obj
        return None

    def blob(self, entry: Entry) -> bytes:
        """The bytes of a blob met in a history walk (in this repo or a nested one)."""
        for repo in self._with_nested():
            try:
                obj = repo.repo[entry.oid]
            except (KeyError, ValueError):
                continue
            if isinstance(obj, pygit2.Blob):
                return obj.data
        if self.promisor_remote() is not None:
            self.ensure_objects([entry.oid], "needed here")
            return self.blob(entry)
        raise OverlayMergeError(
            f"{self.display}: blob {short_sha(entry.oid)} is missing from the object store",
            self.fetch_hint(),
        )

    def _with_nested(self) -> Iterator[Self]:
        yield self
        for nested in self._nested.values():
            yield from nested._with_nested()

    # -- nested submodules -------------------------------------------------------

    def nested(self, prefix: str, sha: str) -> Self:
        """The repository of the submodule at *prefix* (needed to read commit *sha*'s files)."""
        cached = self._nested.get(prefix)
        if cached is not None:
            return cached
        display = f"{self.display}/{prefix}"
        problem = path_problem(prefix)
        if problem:
            # The prefix comes from upstream's tree or .gitmodules (or a journal):
            # a bump checks nested submodules out, so it must not name a repository
            # outside this one.
            raise OverlayMergeError(
                f"{display}: not a usable submodule path: {problem}",
                f"check where {self.display} {short_sha(sha)} came from",
            )
        candidates: list[Path] = []
        if self.workdir is not None:
            candidates.append(self.workdir / prefix)
        # A submodule that was deinitialized keeps its git dir under
        # modules/<name>; the name is the path unless .gitmodules says otherwise.
        modules = Path(self.repo.path) / "modules"
        names = (*self._submodule_names(sha, prefix), prefix)
        candidates += [modules / name for name in names if not path_problem(name)]
        for candidate in candidates:
            if not (candidate / ".git").exists() and not (candidate / "HEAD").is_file():
                continue
            if _through_symlink(candidate, modules.parent, self.workdir):
                continue  # a folder (or link) leading elsewhere is never the submodule
            try:
                repo = pygit2.Repository(str(candidate))
            except pygit2.GitError:
                continue
            workdir = Path(repo.workdir) if repo.workdir else None
            nested = type(self)(repo, display, workdir)
            self._nested[prefix] = nested
            return nested
        raise OverlayMergeError(
            f"{display}: nested submodule is not initialized, so files under {prefix}/ "
            f"at {self.display} {short_sha(sha)} cannot be read",
            INIT_HINT,
        )

    def submodule_paths(self, sha: str) -> list[str]:
        """Paths of the gitlinks that commit *sha*'s ``.gitmodules`` declares."""
        found = self.read(sha, ".gitmodules")
        if found is None:
            return []
        paths: list[str] = []
        for line in found[0].decode("utf-8", "replace").splitlines():
            key, _, value = line.strip().partition("=")
            if key.strip() == "path" and value.strip():
                path = value.strip()
                entry = self._locate(sha, path)
                if entry is not None and entry[1].filemode == MODE_GITLINK:
                    paths.append(path)
        return paths

    def gitlink(self, sha: str, path: str) -> str | None:
        """The commit commit *sha* records for the submodule at *path*."""
        try:
            obj = self.tree(sha)[path]
        except KeyError:
            return None
        return str(obj.id) if obj.filemode == MODE_GITLINK else None

    def _submodule_names(self, sha: str, path: str) -> list[str]:
        """The names ``.gitmodules`` (at *sha*, else the working tree's) gives *path*."""
        found = self.read(sha, ".gitmodules")
        text = found[0] if found else b""
        if not text and self.workdir is not None and (self.workdir / ".gitmodules").is_file():
            text = (self.workdir / ".gitmodules").read_bytes()
        names: list[str] = []
        name: str | None = None
        for raw in text.decode("utf-8", "replace").splitlines():
            line = raw.strip()
            if line.startswith("[submodule") and '"' in line:
                name = line.split('"')[1]
            key, _, value = line.partition("=")
            if name and key.strip() == "path" and value.strip() == path:
                names.append(name)
        return names


def _through_symlink(candidate: Path, git_dir: Path, workdir: Path | None) -> bool:
    """True if *candidate* (a nested submodule's place) is reached through a symlink.

    A symlink committed upstream where a submodule will be (``sub -> ../../x``)
    would otherwise make a bump check out, at the gitlink's commit, whatever
    repository the link points to, outside the upstream.
    """
    for top in (workdir, git_dir):
        if top is None:
            continue
        try:
            rel = candidate.relative_to(top)
        except ValueError:
            continue
        here = top
        for part in rel.parts:
            here = here / part
            if here.is_symlink():
                return True
        return False
    return True
