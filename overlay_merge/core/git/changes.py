"""What changed between two upstream commits, nested submodules' files included."""

from __future__ import annotations

import pygit2

from overlay_merge.core.git.model import MODE_GITLINK, Change
from overlay_merge.core.git.trees import Trees
from overlay_merge.core.model import short_sha


class Changes(Trees):
    """:class:`Trees` plus the files changed between two commits."""

    def changes(self, old: str, new: str, *, renames: bool = True) -> list[Change]:
        """Every file changed from commit *old* to *new*, renames detected by similarity.

        Where a nested submodule's gitlink moved, the files changed inside it
        are listed under its path (when its repository is available).  With
        *renames* false a rename is a deletion plus an addition: libgit2's
        rename detection compares every deleted file with every added one,
        which takes seconds across a large upstream refactoring.
        """
        diff = self.tree(old).diff_to_tree(
            self.tree(new), flags=pygit2.enums.DiffOption.INCLUDE_TYPECHANGE
        )
        if renames:
            diff.find_similar()
        result: list[Change] = []
        for delta in diff.deltas:
            old_file, new_file = delta.old_file, delta.new_file
            status = delta.status_char()
            if MODE_GITLINK in (old_file.mode, new_file.mode):
                result.extend(self._gitlink_changes(old_file, new_file, old, new, renames))
                continue
            if status == "R":
                result.append(Change("R", new_file.path, old_file.path, delta.similarity))
            elif status in ("A", "D", "M", "T"):
                result.append(Change(status, new_file.path if status == "A" else old_file.path))
        return result

    def _gitlink_changes(
        self,
        old_file: pygit2.DiffFile,
        new_file: pygit2.DiffFile,
        old: str,
        new: str,
        renames: bool = True,
    ) -> list[Change]:
        prefix = new_file.path
        if old_file.mode != MODE_GITLINK or new_file.mode != MODE_GITLINK:
            # A submodule appeared or vanished: report its path itself.
            return [Change("A" if old_file.mode != MODE_GITLINK else "D", prefix)]
        nested = self.nested(prefix, new)
        old_sha, new_sha = str(old_file.id), str(new_file.id)
        why = f"recorded for {prefix} between {short_sha(old)} and {short_sha(new)}"
        for sha in (old_sha, new_sha):
            nested.require_commit(sha, why)
        return [
            Change(
                c.status,
                f"{prefix}/{c.path}",
                f"{prefix}/{c.old_path}" if c.old_path else None,
                c.similarity,
            )
            for c in nested.changes(old_sha, new_sha, renames=renames)
        ]
