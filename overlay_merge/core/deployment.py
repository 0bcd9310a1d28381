"""A deployment opened for work: its layout, its upstream and its pin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from overlay_merge.core.basefile import entry_lines, read_base_file
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.git.upstream import UpstreamRepo, open_upstream
from overlay_merge.core.layout import Layout
from overlay_merge.core.paths import read_regular, require_real_folder

TOOL_DIR = ".git/overlay-merge"  # as messages name it


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
        layout = self.layout
        return read_base_file(
            layout.base_file_path, require_sorted=require_sorted, source=layout.base_file
        )

    def require_bases(self, bases: Mapping[str, str]) -> None:
        """Raise a fixable error naming the base-file line of the first base commit missing
        from the upstream's object store (a shallow clone, a typo, a rewritten history)."""
        for path, commit in bases.items():
            if self.upstream.has_commit(commit):
                continue
            base_file = self.layout.base_file
            try:
                data = read_regular(self.layout.base_file_path, base_file, "")
                line = entry_lines(data).get(path) if data is not None else None
            except (OSError, OverlayMergeError):
                line = None
            where = f"{base_file}:{line}" if line else base_file
            self.upstream.require_commit(commit, f"base of {path} at {where}")


def open_at(layout: Layout) -> Deployment:
    """Open the deployment described by *layout* (its upstream must be initialized).

    The bump journal's folder under the deployment's git dir is checked here,
    for every command: a symlink in it would make a bump write its backups,
    and an abort read them, wherever the link points.
    """
    # The whole folder, not only the journal's part: the build record lives there too.
    require_real_folder(open_deployment(layout.root).git_dir / "overlay-merge", TOOL_DIR)
    return Deployment(layout, open_upstream(layout.root, layout.upstream))
