from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import Layout, find_root, load_layout


def _git_init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_defaults_are_the_icare_layout(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "dep")
    layout = load_layout(root)
    assert (layout.upstream, layout.overlay, layout.base_file, layout.build_dir) == (
        "skyportal",
        "extensions/skyportal",
        ".overlay-base",
        "patched_skyportal",
    )
    assert layout.root == root.resolve()


def test_root_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "dep")
    deep = root / "extensions" / "skyportal" / "x"
    deep.mkdir(parents=True)
    assert find_root(deep) == root.resolve()


def test_a_submodule_checkout_is_skipped_for_the_deployment_around_it(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "dep")
    sub = root / "skyportal"
    sub.mkdir()
    (sub / ".git").write_text("gitdir: ../.git/modules/skyportal\n")
    assert find_root(sub) == root.resolve()


def test_not_in_a_repository(tmp_path: Path) -> None:
    with pytest.raises(OverlayMergeError, match="not inside a git repository"):
        find_root(tmp_path)


def test_pyproject_then_cli_overrides(tmp_path: Path) -> None:
    root = _git_init(tmp_path / "dep")
    (root / "pyproject.toml").write_text(
        '[tool.overlay-merge]\nupstream = "vendor/app"\noverlay = "ext/app/"\n'
        'exclude = ["*.fits"]\n'
    )
    layout = load_layout(root)
    assert (layout.upstream, layout.overlay, layout.exclude) == (
        "vendor/app",
        "ext/app",
        ("*.fits",),
    )
    layout = load_layout(root, {"upstream": "other", "overlay": None}, ["data/**"])
    assert (layout.upstream, layout.overlay) == ("other", "ext/app")
    assert layout.exclude == ("*.fits", "data/**")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('upstream = "../outside"', "'..' component"),
        ('overlay = "/abs"', "absolute path"),
        ('build-dir = "extensions/skyportal/build"', "overlap"),
        ('base-file = "skyportal"', "overlap"),
        ("upstream = 3", "upstream: expected a string"),
        ('exclude = "*.fits"', "exclude: expected a list of strings, got a string"),
        ('colour = "red"', "unknown key 'colour'"),
        ("upstream = ", "invalid TOML"),
    ],
)
def test_bad_configuration(tmp_path: Path, toml: str, message: str) -> None:
    root = _git_init(tmp_path / "dep")
    (root / "pyproject.toml").write_text(f"[tool.overlay-merge]\n{toml}\n")
    with pytest.raises(OverlayMergeError, match=message):
        load_layout(root)


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("data/big.fits", True),
        ("deep/er/x.fits", True),
        ("data/sub/file.txt", True),
        ("generated/out.js", True),
        ("skyportal/models.py", False),
        ("database/x.txt", False),
        ("skyportal/data/models.py", False),  # data/** is anchored at the overlay root
    ],
)
def test_exclude_globs(path: str, excluded: bool) -> None:
    layout = Layout(Path("/"), exclude=("*.fits", "data/**", "generated/"))
    assert layout.is_excluded(path) is excluded
