"""All git access: the only package that imports pygit2.

Import from the precise module (nothing is re-exported here, so naming a
plain value costs no pygit2 import):

- :mod:`.model`: file modes, entries, changes, versions, merge styles (no pygit2);
- :mod:`.upstream`: :class:`UpstreamRepo` and :func:`open_upstream`, composed of
  :mod:`.revisions`, :mod:`.objects` (a partial clone's missing objects),
  :mod:`.trees` (files through nested submodules), :mod:`.history` (the history
  walk), :mod:`.materialize` (whole commits, unsafe entries), :mod:`.changes`,
  :mod:`.renames` and :mod:`.worktree` (working tree, checkout obstacles);
- :mod:`.deployment`: the deployment's repository and its index;
- :mod:`.merge`: three-way merges in memory, through :mod:`.libgit2`, the one
  module touching pygit2's private parts;
- :mod:`.diff`: line diffs with libgit2's xdiff;
- :mod:`.command`: running ``git`` itself where its own behaviour is the point.
"""
