"""A deployment opened for work: its layout, its upstream and its pin."""

from __future__ import annotations

from dataclasses import dataclass

from overlay_merge.core.basefile import read_base_file
from overlay_merge.core.gitstore import UpstreamRepo, open_deployment, open_upstream
from overlay_merge.core.layout import Layout


@dataclass
class Deployment:
    """The layout plus the opened upstream repository."""

    layout: Layout
    upstream: UpstreamRepo

    def pin(self, *, pinned: bool = False) -> str:
        """The upstream commit the deployment uses.

        The submodule's checked-out HEAD; with *pinned*, the gitlink recorded
        in the deployment's HEAD commit (what CI checks out).
        """
        if not pinned:
            return self.upstream.head()
        sha = open_deployment(self.layout.root).recorded_gitlink(self.layout.upstream)
        self.upstream.require_commit(sha, "the pin recorded in the deployment's HEAD")
        return sha

    def bases(self, *, require_sorted: bool = True) -> dict[str, str]:
        """The entries of `.overlay-base`, validated."""
        return read_base_file(self.layout.base_file_path, require_sorted=require_sorted)


def open_at(layout: Layout) -> Deployment:
    """Open the deployment described by *layout* (its upstream must be initialized)."""
    return Deployment(layout, open_upstream(layout.root, layout.upstream))
