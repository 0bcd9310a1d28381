"""Repositories nested in the overlay (Icare's data submodules) are built, at the gitlink
the deployment records; one not initialized stops the build with the command that fixes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import run_cli
from gitutil import commit_files, git
from test_build import BUILD, _archive, _expected, _on_disk

from overlay_merge.demo import Sample

DATA = "extensions/skyportal/data/grandma_data"


def _add_data_repo(sample: Sample) -> tuple[Path, str, str]:
    """A data repository with two commits, added as a submodule inside the overlay at the
    first one; returns its remote and both commits."""
    remote = sample.root / "grandma_data"
    remote.mkdir()
    git(remote, "init", "-q")
    first = commit_files(
        remote, {"catalog.csv": b"ra,dec\n1,2\n", "fields/ztf.json": b"{}\n"}, "data"
    )
    second = commit_files(remote, {"catalog.csv": b"ra,dec\n3,4\n"}, "more data")
    git(sample.deployment, "submodule", "add", "-q", str(remote), DATA)
    git(sample.deployment / DATA, "checkout", "-q", first)
    git(sample.deployment, "add", DATA)
    git(sample.deployment, "commit", "-qm", "data submodule in the overlay")
    return remote, first, second


def test_a_repository_nested_in_the_overlay_is_built_at_the_recorded_gitlink(
    sample: Sample,
) -> None:
    remote, first, second = _add_data_repo(sample)
    result = run_cli(sample.deployment, "build", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["nested_repos"] == [
        {"path": "data/grandma_data", "commit": first, "files": 2, "checked_out": first}
    ]
    output = sample.deployment / BUILD
    expected = _expected(sample, sample.commits["s1"])
    # The overlay's view on disk holds the submodule's checkout; the build holds its commit.
    expected = {k: v for k, v in expected.items() if not k.startswith("data/grandma_data/")}
    expected.update(_archive(remote, first, "data/grandma_data/"))
    assert _on_disk(output) == expected
    assert not (output / "data" / "grandma_data" / ".git").exists()
    text = run_cli(sample.deployment, "build").output
    assert "nested repository data/grandma_data/ at" in text
    # Checked out elsewhere (not committed): still built at the recorded gitlink, and said.
    git(sample.deployment / DATA, "checkout", "-q", second)
    text = run_cli(sample.deployment, "build").output
    assert f"data/grandma_data/ is checked out at {second[:7]}" in text
    assert (output / "data" / "grandma_data" / "catalog.csv").read_bytes() == b"ra,dec\n1,2\n"


def test_a_deinitialized_nested_repository_is_built_from_its_objects(sample: Sample) -> None:
    _remote, first, _ = _add_data_repo(sample)
    git(sample.deployment, "submodule", "deinit", "-q", "-f", DATA)
    assert not (sample.deployment / DATA / "catalog.csv").exists()
    result = run_cli(sample.deployment, "build", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["nested_repos"][0]["commit"] == first
    built = sample.deployment / BUILD / "data" / "grandma_data" / "catalog.csv"
    assert built.read_bytes() == b"ra,dec\n1,2\n"


def test_a_nested_repository_not_initialized_stops_the_build(sample: Sample) -> None:
    _add_data_repo(sample)
    assert run_cli(sample.deployment, "build").exit_code == 0
    before = _on_disk(sample.deployment / BUILD)
    git(sample.deployment, "submodule", "deinit", "-q", "-f", DATA)
    shutil.rmtree(sample.deployment / ".git" / "modules" / DATA)
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    (line,) = result.output.strip().splitlines()
    assert f"{DATA}: a submodule inside the overlay is not initialized" in line
    assert f"(fix: git submodule update --init {DATA})" in line
    assert _on_disk(sample.deployment / BUILD) == before


def test_a_plain_clone_in_the_overlay_is_reported(sample: Sample) -> None:
    clone = sample.overlay / "vendor" / "tool"
    clone.mkdir(parents=True)
    git(clone, "init", "-q")
    commit_files(clone, {"tool.py": b"x = 1\n"}, "tool")
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 0, result.output
    assert "warning: vendor/tool/ has a .git of its own" in result.output
    assert not (sample.deployment / BUILD / "vendor").exists()
