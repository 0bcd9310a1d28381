"""Several upstream/overlay pairs in one deployment (issue #13, section 3)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from overlay_merge.cli.main import cli
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import load_layout, load_layouts
from overlay_merge.core.pairs import PairNotNamed

TWO_PAIRS = """
[tool.overlay-merge]
exclude = ["*.fits"]

[[tool.overlay-merge.overlays]]
name = "skyportal"

[[tool.overlay-merge.overlays]]
name = "fink"
upstream = "fink-client"
overlay = "extensions/fink"
base-file = ".overlay-base-fink"
build-dir = "patched_fink"
exclude = ["*.csv"]
after-build = ["make"]
"""


def _deployment(tmp_path: Path, toml: str) -> Path:
    root = tmp_path / "dep"
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "pyproject.toml").write_text(toml)
    return root


def test_two_pairs_in_configured_order_inheriting_the_top_level_keys(tmp_path: Path) -> None:
    root = _deployment(tmp_path, TWO_PAIRS)
    first, second = load_layouts(root)
    assert (first.name, first.upstream, first.overlay, first.build_dir) == (
        "skyportal",
        "skyportal",
        "extensions/skyportal",
        "patched_skyportal",
    )
    assert first.exclude == ("*.fits",)
    assert first.build_steps.after_build == ()
    assert (second.name, second.upstream, second.base_file, second.build_dir) == (
        "fink",
        "fink-client",
        ".overlay-base-fink",
        "patched_fink",
    )
    assert second.exclude == ("*.csv",)  # a pair's own list replaces the inherited one
    assert second.build_steps.after_build == ("make",)
    assert load_layouts(root, exclude=["x/**"])[1].exclude == ("*.csv", "x/**")


def test_a_pair_is_selected_by_name(tmp_path: Path) -> None:
    root = _deployment(tmp_path, TWO_PAIRS)
    (fink,) = load_layouts(root, pair="fink")
    assert fink.name == "fink"
    assert load_layout(root, pair="fink") == fink
    chosen = load_layout(root, {"build-dir": "out/fink"}, pair="fink")
    assert chosen.build_dir == "out/fink"
    with pytest.raises(
        OverlayMergeError,
        match=r"--pair 'nope': no such pair \(configured: "
        r"skyportal, fink\)",
    ):
        load_layouts(root, pair="nope")


def test_load_layout_needs_one_pair(tmp_path: Path) -> None:
    root = _deployment(tmp_path, TWO_PAIRS)
    with pytest.raises(OverlayMergeError, match=r"2 overlay pairs .*--pair skyportal"):
        load_layout(root)


def test_folder_overrides_need_a_pair_named(tmp_path: Path) -> None:
    root = _deployment(tmp_path, TWO_PAIRS)
    with pytest.raises(PairNotNamed, match=r"--build-dir names a folder of one pair"):
        load_layouts(root, {"build-dir": "elsewhere", "upstream": None})
    assert len(load_layouts(root, {"upstream": None})) == 2  # None: not given


def test_the_single_form_is_one_pair_named_from_its_overlay(tmp_path: Path) -> None:
    root = _deployment(tmp_path, '[tool.overlay-merge]\noverlay = "ext/My App"\n')
    (layout,) = load_layouts(root)
    assert layout.name == "my-app"
    assert load_layout(root, pair="my-app") == layout
    (only,) = load_layouts(_deployment(tmp_path / "b", ""))
    assert only.name == "skyportal"


def test_one_overlays_table_needs_no_name(tmp_path: Path) -> None:
    root = _deployment(tmp_path, '[[tool.overlay-merge.overlays]]\noverlay = "ext/app"\n')
    assert load_layout(root).name == "app"


_PAIR = '[[tool.overlay-merge.overlays]]\nname = "{}"\n{}\n'


def _two(first: str, second: str, a: str = "a", b: str = "b") -> str:
    return _PAIR.format(a, first) + _PAIR.format(b, second)


_B = 'upstream = "up-b"\noverlay = "ext/b"\nbase-file = ".base-b"\nbuild-dir = "build-b"'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (_two("", _B, b="a"), r"two pairs are named 'a'"),
        (
            _two("", "", b="b"),
            r"pairs 'a' and 'b' share upstream 'skyportal' .*moves the "
            "submodule for both",
        ),
        (_two("", _B.replace("up-b", "skyportal")), r"share upstream 'skyportal'"),
        (_two("", _B.replace("ext/b", "extensions/skyportal")), r"share overlay"),
        (_two("", _B.replace(".base-b", ".overlay-base")), r"share base-file"),
        (_two("", _B.replace("build-b", "patched_skyportal")), r"share build-dir"),
        (
            _two("", _B.replace("build-b", "extensions/skyportal/build")),
            r"overlap: overlay = 'extensions/skyportal' and build-dir = "
            r"'extensions/skyportal/build'",
        ),
        (_two("", _B.replace("up-b", "skyportal/vendor")), r"overlap: upstream = 'skyportal'"),
        (_two("colour = 1", _B), r"\[\[tool.overlay-merge.overlays\]\] #1: unknown key 'colour'"),
        (_two("overlays = []", _B), r"#1: unknown key 'overlays'"),
        (_two("", _B, b="Fink!"), r"#2: name = 'Fink!': expected a short word"),
        (_two("", _B, b="-x"), r"#2: name = '-x'"),
        (_PAIR.format("a", "") + "[[tool.overlay-merge.overlays]]\n" + _B, r"#2: no `name`"),
        ("[tool.overlay-merge]\noverlays = []\n", r"overlays: expected a list of tables"),
        ("[tool.overlay-merge]\noverlays = [1]\n", r"overlays: expected a list of tables"),
        (_two("upstream = 3", _B), r"pair 'a': \[tool.overlay-merge\] upstream: expected a"),
        (_two("", _B + '\nafter-build = "x"'), r"pair 'b': .*after-build: expected a list"),
        (_two('build-dir = "../out"', _B), r"pair 'a': build-dir = '../out'"),
    ],
)
def test_bad_pairs(tmp_path: Path, toml: str, message: str) -> None:
    root = _deployment(tmp_path, toml)
    with pytest.raises(OverlayMergeError, match=message) as raised:
        load_layouts(root)
    assert "\n" not in str(raised.value)


def test_an_unnamed_pair_is_named_by_its_table_in_messages(tmp_path: Path) -> None:
    root = _deployment(tmp_path, "[[tool.overlay-merge.overlays]]\nupstream = 3\n")
    with pytest.raises(OverlayMergeError) as raised:
        load_layouts(root)
    assert str(raised.value).startswith(
        "pyproject.toml: [[tool.overlay-merge.overlays]] #1: [tool.overlay-merge] upstream:"
    )


def _cli(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def test_cli_pair_option_names_a_configured_pair(tmp_path: Path) -> None:
    root = _deployment(tmp_path, TWO_PAIRS)
    result = _cli(root, "--pair", "nope", "status")
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "--pair 'nope': no such pair (configured: skyportal, fink)" in result.stderr


@pytest.mark.parametrize("option", ["--upstream", "--overlay", "--base-file", "--build-dir"])
def test_cli_folder_overrides_with_several_pairs_need_pair(tmp_path: Path, option: str) -> None:
    root = _deployment(tmp_path, TWO_PAIRS)
    result = _cli(root, option, "elsewhere", "status")
    assert result.exit_code == 2  # a usage error
    assert f"{option} names a folder of one pair" in result.stderr
    assert "--pair skyportal" in result.stderr
