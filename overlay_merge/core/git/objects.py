"""The objects an upstream repository has, and fetching those a partial clone lacks."""

from __future__ import annotations

from collections.abc import Sequence

import pygit2

from overlay_merge.core.errors import OverlayMergeError, quote
from overlay_merge.core.git import command
from overlay_merge.core.git.revisions import Revisions
from overlay_merge.core.model import short_sha


class ObjectStore(Revisions):
    """:class:`Revisions` plus the objects a checkout or merge needs."""

    def has_object(self, oid: str) -> bool:
        """True if blob (or any object) *oid* is in this repository's object store."""
        return pygit2.Oid(hex=oid) in self.repo.odb

    def promisor_remote(self) -> str | None:
        """The remote a partial clone fetches its missing objects from, or None."""
        config = self.repo.config
        for remote in self.repo.remotes:
            key = f"remote.{remote.name}.promisor"
            if key in config and config.get_bool(key):
                return str(remote.name)
        if "extensions.partialclone" in config:
            return str(config["extensions.partialclone"])
        return None

    def ensure_objects(self, oids: Sequence[str], why: str) -> None:
        """Make sure every object of *oids* is here: fetch the missing ones through git
        for a partial clone, else raise one clear error naming what *why* needs them."""
        missing = sorted({oid for oid in oids if not self.has_object(oid)})
        if not missing:
            return
        remote = self.promisor_remote()
        if remote is not None and self.workdir is not None:
            try:
                command.fetch_blobs(self.workdir, remote, missing, display=self.display)
            except OverlayMergeError as exc:
                raise OverlayMergeError(
                    f"{self.display}: {len(missing)} object(s) {why} are missing from the "
                    f"object store of this partial clone (e.g. blob {short_sha(missing[0])}), and "
                    f"fetching them from {remote} failed: {exc.message.split(': ', 2)[-1]}",
                    f"check that {remote} can be reached (`git -C {quote(self.display)} fetch "
                    f"{quote(remote)}`), then retry",
                ) from None
            missing = [oid for oid in missing if not self.has_object(oid)]
            if not missing:
                return
        raise OverlayMergeError(
            f"{self.display}: {len(missing)} object(s) {why} are missing from the object "
            f"store (e.g. blob {short_sha(missing[0])})",
            self.fetch_hint(),
        )
