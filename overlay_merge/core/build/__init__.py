"""``build``: the upstream at the pin, from git objects, with the overlay over it.

See docs/design.md §9.

The output is written from the object stores (nested submodules read at the
gitlinks the pin records, the overlay's own repositories at the gitlinks the
deployment records), never from working trees: no ``.git``, symlinks written
as symlinks, exec bits kept.  It is written in place, as a checkout writes a
work tree (:mod:`~overlay_merge.core.build.inplace`): what differs, and
nothing a build did not write; ``--clean`` writes a fresh folder and swaps it
in (:mod:`~overlay_merge.core.build.target`).  The manifest
(:mod:`~overlay_merge.core.build.manifest`) records what each build wrote.

Nothing is written outside the build dir (and a clean build's temp
siblings): every upstream tree entry name is validated, every folder on the
way to a file written or removed must be a real folder, and an overlay file
whose folder is an upstream symlink is refused rather than written through.
"""

from overlay_merge.core.build.run import DRIFT_STATES, BuildResult, BuiltRepo, build
from overlay_merge.core.build.target import build_dir_argument

__all__ = ["DRIFT_STATES", "BuildResult", "BuiltRepo", "build", "build_dir_argument"]
