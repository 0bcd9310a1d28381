"""Real-repository tests of opening the upstream (``core/git/upstream.py``) and the
deployment (``core/git/deployment.py``), and of the pin the deployment records.

The oracle is the ``git`` executable run on the same repositories (tests/gitoracle.py).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gitoracle import ls_path, rev_parse, upstream_of
from gitutil import commit_files, git

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.git.model import INIT_HINT
from overlay_merge.core.git.upstream import open_upstream
from overlay_merge.demo import Sample

# --- opening repositories -------------------------------------------------------------


def test_open_upstream_errors(sample: Sample) -> None:
    with pytest.raises(OverlayMergeError) as info:
        open_upstream(sample.deployment, "nope")
    assert "upstream folder missing" in info.value.message
    assert info.value.hint is not None
    assert info.value.hint.startswith(INIT_HINT)
    git(sample.deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    with pytest.raises(OverlayMergeError) as info:
        open_upstream(sample.deployment, "skyportal")
    assert info.value.message == "skyportal/: upstream submodule is not initialized"
    assert info.value.hint == INIT_HINT


def test_open_upstream_with_a_dangling_git_file(sample: Sample) -> None:
    shutil.rmtree(sample.deployment / ".git" / "modules" / "skyportal")
    assert (sample.upstream / ".git").is_file()
    with pytest.raises(OverlayMergeError) as info:
        open_upstream(sample.deployment, "skyportal")
    assert "not a usable git repository" in info.value.message
    assert info.value.hint == INIT_HINT


def test_recorded_gitlink_is_the_deployment_pin(sample: Sample) -> None:
    deployment = open_deployment(sample.deployment)
    expected = rev_parse(sample.deployment, "HEAD:skyportal")
    assert deployment.recorded_gitlink("skyportal") == expected == sample.commits["s1"]
    # Moving the checkout does not move the pin recorded in HEAD ...
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s2"])
    assert upstream_of(sample).head() == sample.commits["s2"]
    assert open_deployment(sample.deployment).recorded_gitlink("skyportal") == sample.commits["s1"]
    # ... committing it does.
    git(sample.deployment, "add", "skyportal")
    commit_files(sample.deployment, {}, "bump skyportal")
    assert rev_parse(sample.deployment, "HEAD:skyportal") == sample.commits["s2"]
    assert open_deployment(sample.deployment).recorded_gitlink("skyportal") == sample.commits["s2"]


@pytest.mark.parametrize(
    "path", ["extensions/skyportal", ".gitignore", ".overlay-base", "nope", "skyportal/README.md"]
)
def test_recorded_gitlink_of_a_non_gitlink(sample: Sample, path: str) -> None:
    found = ls_path(sample.deployment, "HEAD", path)
    assert found is None or found[0] != 0o160000
    with pytest.raises(OverlayMergeError) as info:
        open_deployment(sample.deployment).recorded_gitlink(path)
    assert info.value.message.startswith(f"{path}: ")
    assert info.value.exit_code == 3


def test_recorded_gitlink_without_a_commit(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    with pytest.raises(OverlayMergeError) as info:
        open_deployment(tmp_path).recorded_gitlink("skyportal")
    assert "no commit" in info.value.message
    assert info.value.hint is not None
    assert "git add skyportal" in info.value.hint


def test_open_deployment_outside_a_repository(tmp_path: Path, sample: Sample) -> None:
    with pytest.raises(OverlayMergeError) as info:
        open_deployment(tmp_path / "nothing-here")
    assert "not a git repository" in info.value.message
    # It never searches upwards: a subfolder of the deployment is not a deployment.
    with pytest.raises(OverlayMergeError):
        open_deployment(sample.deployment / "extensions")


def test_git_is_available() -> None:
    # The whole module's oracle: fail loudly rather than skip when git is absent.
    assert shutil.which("git") is not None
    assert subprocess.run(["git", "--version"], capture_output=True, check=True).returncode == 0
