"""A generated sample deployment with real git history.

Used by ``overlay-merge demo DIR`` and as the fixture of the test suite.
:func:`make_sample` builds, under an empty *root*::

    root/remotes/baselayer.git   bare: b1 -> b2 on main
    root/remotes/skyportal.git   bare: s0 -> s1 -> s2 on main; nested submodule
                                 "baselayer" (gitlink b1 in s0 and s1, b2 in s2)
    root/deployment/             the deployment repo (branch main, one commit)
        skyportal/               submodule at s1: local branch main at s1 whose
                                 upstream (origin/main) is s2, the next bump target
            baselayer/           nested submodule, detached at b1
        extensions/skyportal/    the overlay
        .overlay-base            bases: s0 for skyportal/enum_types.py, s1 for the rest
        .gitignore               ignores the build dir patched_skyportal/

Overlay file -> state of docs/design.md §5 for a bump s1 -> s2 (``Sample.expected``):

=========================================  ==================  ================================
overlay path                               state               how
=========================================  ==================  ================================
baselayer/app/app_server.py                clean               nested: b2 edits make_app only
baselayer/app/auth/IAMOAuth2.py            unchanged           addition, absent in b1 and b2
skyportal/enum_types.py                    unchanged           base s0; same blob in s0..s2
skyportal/facility_apis/grandma_api.py     unchanged           addition, absent in s0..s2
skyportal/handlers/api/instrument.py       added-upstream      addition; s2 adds other content
skyportal/handlers/api/legacy.py           deleted-upstream    removed in s2
skyportal/handlers/api/source.py           clean               overlay top, s2 bottom
skyportal/initial_setup.py                 conflict            one conflicting hunk + one clean
skyportal/models/group.py                  converged           s2 bytes == overlay bytes
skyportal/utils/calculations.py            renamed-upstream    s2: git mv to calc.py + edit
static/img/logo.png                        binary              1x1 PNGs, all three differ
tools/check_env.sh                         unchanged           mode 100755, same blob s0..s2
=========================================  ==================  ================================

The file contents are package data (``texts/``, read by :mod:`.content`); the
histories are made by :mod:`.upstreams`, the deployment by :mod:`.sample`,
every git command by the package's own runner (``_git``).

Every git call runs with a clean environment (no system or global config,
fixed identity, fixed dates one hour apart), so the commits s0..s2, b1, b2
have the same ids on every run and machine.  For that reason the upstream's
``.gitmodules`` uses the *relative* URL ``../baselayer.git``: git resolves it
against the cloning superproject's origin (``root/remotes/skyportal.git``), so
it names ``root/remotes/baselayer.git`` while the upstream commits stay
independent of *root*.  The deployment's own ``.gitmodules`` holds the absolute
path of ``root/remotes/skyportal.git``, so only the deployment commit depends
on *root*.  The tree is not relocatable: clones record absolute remote URLs.

The package imports the core only, never click or textual: the CLI imports it
lazily, for ``overlay-merge demo``.
"""

from __future__ import annotations

from overlay_merge.demo._git import SAMPLE_EPOCH
from overlay_merge.demo.sample import BASE_FILE, OVERLAY_DIR, UPSTREAM_DIR, Sample, make_sample

__all__ = ["BASE_FILE", "OVERLAY_DIR", "SAMPLE_EPOCH", "UPSTREAM_DIR", "Sample", "make_sample"]
