"""Fixtures: real git repositories built by the sample generator.

The sample (an upstream with a nested submodule, a deployment whose upstream
is a real submodule, an overlay and its `.overlay-base`) is generated once
per session and copied for each test, so every test gets its own repositories.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from overlay_merge.cli.main import cli
from overlay_merge.demo import Sample, make_sample


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return make_sample(tmp_path_factory.mktemp("template") / "sample")


@pytest.fixture
def sample(_sample_template: Sample, tmp_path: Path) -> Iterator[Sample]:
    """A private copy of the sample; its remotes stay shared (tests never push)."""
    template = _sample_template
    deployment = tmp_path / "deployment"
    shutil.copytree(template.deployment, deployment, symlinks=True)
    yield Sample(
        root=tmp_path,
        deployment=deployment,
        upstream_remote=template.upstream_remote,
        baselayer_remote=template.baselayer_remote,
        commits=template.commits,
        expected=template.expected,
        renamed_to=template.renamed_to,
    )


def run_cli(deployment: Path, *args: str) -> Result:
    """Run the real CLI in *deployment* (as `overlay-merge -C deployment ...`)."""
    return CliRunner().invoke(cli, ["-C", str(deployment), *args], catch_exceptions=False)


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file (symlinks by target) under *root*, `.git` dirs included."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.endswith(".git/overlay-merge/lock"):
            continue  # the write lock: made by the first writer, kept for good, empty when free
        if path.is_symlink():
            digest[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest
