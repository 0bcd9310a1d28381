"""Several upstream/overlay pairs in one deployment (issue #13, section 3)."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from gitutil import add_second_pair, git
from test_tui import drive

from overlay_merge.cli import interactive
from overlay_merge.cli.main import cli
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import load_layout, load_layouts
from overlay_merge.core.pairs import PairNotNamed
from overlay_merge.demo import Sample
from overlay_merge.tui.app import BumpApp

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


# -- two pairs in a real deployment ------------------------------------------------------


@dataclass(frozen=True)
class Pairs:
    """The sample with a second pair ``fink`` (upstream ``fink-client``, f1 -> f2)."""

    root: Path
    f1: str
    f2: str


@pytest.fixture
def pairs(sample: Sample, tmp_path: Path) -> Pairs:
    f1, f2 = add_second_pair(sample.deployment, tmp_path / "remotes" / "fink")
    return Pairs(sample.deployment, f1, f2)


def _json(result: Result) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _pin(root: Path, upstream: str) -> str:
    return git(root / upstream, "rev-parse", "HEAD")


def test_status_reports_every_pair_under_its_heading(pairs: Pairs) -> None:
    result = _cli(pairs.root, "status")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.index("== pair skyportal ==\nskyportal pinned at") < text.index(
        "\n== pair fink ==\nfink-client pinned at"
    )
    assert "  up-to-date        patch     " in text and "client.py" in text
    document = _json(_cli(pairs.root, "status", "--format", "json"))
    assert [p["name"] for p in document["pairs"]] == ["skyportal", "fink"]
    assert document["pairs"][1]["upstream"] == "fink-client"
    assert [f["path"] for f in document["pairs"][1]["files"]] == ["client.py"]


def test_pair_selects_one_with_todays_output(pairs: Pairs) -> None:
    result = _cli(pairs.root, "--pair", "fink", "status", "--format", "json")
    assert result.exit_code == 0
    document = _json(result)
    assert "pairs" not in document and document["upstream"] == "fink-client"
    text = _cli(pairs.root, "--pair", "fink", "status").stdout
    assert text.startswith("fink-client pinned at") and "== pair" not in text
    plan = _cli(pairs.root, "--pair", "fink", "bump", "--dry-run").stdout
    assert plan.startswith("bump fink-client ") and "skyportal" not in plan


def test_one_pair_arguments_need_pair(pairs: Pairs) -> None:
    for args in (
        ("bump", pairs.f2, "--dry-run"),
        ("check", "--against", pairs.f2),
        ("diff", "client.py"),
        ("diff", "--rev", pairs.f2),
        ("build", "out"),
        ("bump", "--dry-run", "--decide", "client.py=keep"),
    ):
        result = _cli(pairs.root, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "2 pairs are configured (skyportal, fink)" in result.stderr
        assert "--pair skyportal" in result.stderr
    result = _cli(pairs.root, "--pair", "fink", "bump", pairs.f2, "--dry-run")
    assert result.exit_code == 0 and result.stdout.startswith("bump fink-client")


def test_review_needs_one_pair(pairs: Pairs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interactive, "is_terminal", lambda: True)
    result = _cli(pairs.root, "review")
    assert result.exit_code == 3
    assert "2 overlay pairs are configured (skyportal, fink)" in result.stderr
    assert "`overlay-merge --pair skyportal ...`" in result.stderr


def test_dry_run_plans_every_pair(pairs: Pairs) -> None:
    result = _cli(pairs.root, "bump", "--dry-run")
    assert result.exit_code == 1  # skyportal's plan conflicts
    assert "== pair skyportal ==\nbump skyportal " in result.stdout
    assert "== pair fink ==\nbump fink-client " in result.stdout
    document = _json(_cli(pairs.root, "bump", "--dry-run", "--format", "json"))
    assert [p["name"] for p in document["pairs"]] == ["skyportal", "fink"]
    assert all("files" in p for p in document["pairs"])


def test_two_pairs_bumped_one_conflict_one_clean(pairs: Pairs) -> None:
    root = pairs.root
    # skyportal first: it stops to merge, fink is not reached.
    result = _cli(root, "bump", "--choice", "merge", "--format", "json")
    assert result.exit_code == 1, result.output
    skyportal, fink = _json(result)["pairs"]
    assert skyportal["name"] == "skyportal" and skyportal["choice"] == "merge"
    assert fink == {"name": "fink", "bumped": False, "finish_first": "skyportal"}
    assert _pin(root, "fink-client") == pairs.f1
    text = _cli(root, "status").stdout
    sky_text, fink_text = text.split("== pair fink ==")
    assert "a bump is in progress" in sky_text and "bump is in progress" not in fink_text

    # Another pair's bump while skyportal's is unfinished: one line naming it.
    result = _cli(root, "--pair", "fink", "bump", "--choice", "merge")
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "a bump of pair 'skyportal'" in result.stderr
    assert "`overlay-merge --pair skyportal resolve`" in result.stderr
    assert "`overlay-merge --pair skyportal abort`" in result.stderr
    # resolve/abort act on the unfinished bump's pair; another one named is refused.
    result = _cli(root, "--pair", "fink", "abort")
    assert result.exit_code == 3
    assert "the bump in progress is of pair 'skyportal'" in result.stderr
    result = _cli(root, "abort")
    assert result.exit_code == 0, result.output
    assert "aborted the bump" in result.stdout

    result = _cli(root, "--pair", "fink", "bump", "--choice", "merge")
    assert result.exit_code == 0, result.output
    assert _pin(root, "fink-client") == pairs.f2
    assert (root / "extensions/fink/client.py").read_bytes().splitlines() == [
        b"line 1 (overlay)",
        *[f"line {n}".encode() for n in range(2, 10)],
        b"line 10 (f2)",
    ]
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bump fink")
    result = _cli(root, "bump", "--choice", "merge")
    assert result.exit_code == 1  # skyportal: conflicts; fink: nothing left to bump
    assert "== pair fink ==\nnot bumped, finish skyportal first" in result.stdout


def test_a_clean_pair_first_does_not_stop_the_run(pairs: Pairs) -> None:
    toml = (pairs.root / "pyproject.toml").read_text()
    first, second = toml.split('[[tool.overlay-merge.overlays]]\nname = "fink"')
    (pairs.root / "pyproject.toml").write_text(
        '[[tool.overlay-merge.overlays]]\nname = "fink"' + second + "\n" + first
    )
    git(pairs.root, "commit", "-q", "-am", "fink first")
    result = _cli(pairs.root, "bump", "--choice", "merge", "--format", "json")
    assert result.exit_code == 1
    fink, skyportal = _json(result)["pairs"]
    assert (fink["name"], fink["choice"], skyportal["choice"]) == ("fink", "merge", "merge")
    assert _pin(pairs.root, "fink-client") == pairs.f2
    assert _pin(pairs.root, "skyportal") != _pin(pairs.root, "fink-client")
    journal = json.loads((pairs.root / ".git/overlay-merge/bump/journal.json").read_text())
    assert journal["pair"] == "skyportal"


def _bumped(pairs: Pairs) -> None:
    """fink bumped cleanly to f2 and committed, then skyportal's bump left with conflicts."""
    assert _cli(pairs.root, "--pair", "fink", "bump", "--choice", "merge").exit_code == 0
    git(pairs.root, "add", "-A")
    git(pairs.root, "commit", "-q", "-m", "bump fink")
    assert _cli(pairs.root, "--pair", "skyportal", "bump", "--choice", "merge").exit_code == 1


def test_check_every_pair_in_every_format(pairs: Pairs) -> None:
    assert _cli(pairs.root, "check").exit_code == 0
    _bumped(pairs)
    root = pairs.root
    text = _cli(root, "check")
    assert text.exit_code == 1
    sky, fink = text.stdout.split("\n== pair fink ==\n")
    assert sky.startswith("== pair skyportal ==\ncheck skyportal at ")
    assert "bump in progress" in sky
    assert fink.startswith(f"check fink-client at {pairs.f2[:7]} (pin): overlay extensions/fink")
    assert "in sync: every overlay file is up to date with fink-client" in fink

    document = _json(_cli(root, "check", "--format", "json"))
    assert document["in_sync"] is False
    assert [p["name"] for p in document["pairs"]] == ["skyportal", "fink"]
    sky_doc, fink_doc = document["pairs"]
    assert (sky_doc["in_sync"], fink_doc["in_sync"]) == (False, True)
    assert sky_doc["bump_in_progress"] == "conflicts" and fink_doc["bump_in_progress"] is None
    assert fink_doc["pin"] == pairs.f2
    assert document["counts"]["up-to-date"] == sky_doc["counts"]["up-to-date"] + 1
    assert document["conflict_files"] == sky_doc["conflict_files"]

    github = _cli(root, "check", "--format", "github").stdout.splitlines()
    assert all("title=skyportal%3A " in line for line in github[:-2])
    assert github[-2].startswith("::notice title=overlay-merge check skyportal%3A skyportal at")
    assert github[-1].startswith("::notice title=overlay-merge check fink%3A fink-client at")

    junit = ET.fromstring(_cli(root, "check", "--format", "junit").stdout)
    suites = junit.findall("testsuite")
    assert [s.get("name", "").split(":")[0] for s in suites] == [
        "overlay-merge check skyportal",
        "overlay-merge check fink",
    ]
    pair_props = [s.find("properties/property[@name='pair']") for s in suites]
    assert [p.get("value") if p is not None else None for p in pair_props] == ["skyportal", "fink"]
    assert junit.get("tests") == str(sum(int(s.get("tests", "0")) for s in suites))
    assert suites[1].get("failures") == "0" and int(junit.get("failures", "0")) > 0
    assert [c.get("name") for c in suites[1].iter("testcase")] == ["client.py"]

    markdown = _cli(root, "check", "--format", "markdown").stdout
    assert "### overlay-merge check skyportal: drift found" in markdown
    assert "### overlay-merge check fink: in sync" in markdown


def test_check_exit_is_the_worst_pairs(pairs: Pairs) -> None:
    (pairs.root / ".overlay-base-fink").write_text(f"{'0' * 40}  client.py\n")
    result = _cli(pairs.root, "check")
    assert result.exit_code == 3  # fink's base is missing: it cannot tell
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith("overlay-merge: pair 'fink': ")
    assert _cli(pairs.root, "--pair", "skyportal", "check").exit_code == 0


def test_build_every_pair_in_its_build_dir_in_place(pairs: Pairs) -> None:
    root = pairs.root
    result = _cli(root, "build", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [p["name"] for p in _json(result)["pairs"]] == ["skyportal", "fink"]
    built = (root / "patched_fink/client.py").read_bytes()
    assert built == (root / "extensions/fink/client.py").read_bytes()
    assert (root / "patched_fink/README").read_bytes() == b"fink\n"
    assert (root / "patched_skyportal/skyportal/initial_setup.py").is_file()
    (root / "patched_fink/node_modules").mkdir()
    (root / "patched_fink/node_modules/kept").write_bytes(b"artifact")
    again = _cli(root, "build")
    assert again.exit_code == 0
    assert "== pair skyportal ==" in again.stdout and "== pair fink ==" in again.stdout
    assert (root / "patched_fink/node_modules/kept").read_bytes() == b"artifact"
    shutil.rmtree(root / "patched_skyportal")
    assert _cli(root, "--pair", "fink", "build").exit_code == 0
    assert not (root / "patched_skyportal").exists()
    result = _cli(root, "--pair", "fink", "build", "out-fink")
    assert result.exit_code == 0 and (root / "out-fink/client.py").is_file()


def test_init_and_diff_every_pair(pairs: Pairs) -> None:
    root = pairs.root
    (root / "extensions/fink/new.py").write_bytes(b"new\n")
    result = _cli(root, "init", "--format", "json")
    assert result.exit_code == 0, result.output
    skyportal, fink = _json(result)["pairs"]
    assert (skyportal["name"], fink["name"]) == ("skyportal", "fink")
    assert f"{pairs.f1}  new.py" in (root / ".overlay-base-fink").read_text()
    diff = _cli(root, "diff")
    assert diff.exit_code == 0
    assert "== pair fink ==" in diff.stdout and "+line 1 (overlay)" in diff.stdout
    one = _cli(root, "--pair", "fink", "diff", "client.py").stdout
    assert "== pair" not in one and "+line 1 (overlay)" in one


def test_the_bump_screen_one_pair_at_a_time(pairs: Pairs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interactive, "is_terminal", lambda: True)
    titles: list[str] = []

    def run(self: BumpApp, **_: Any) -> Any:
        titles.append(str(self._range_line()))
        drive(self, "c")  # cancel: this pair is not bumped, the next screen opens
        return self.return_value

    monkeypatch.setattr(BumpApp, "run", run)
    result = _cli(pairs.root, "bump")
    assert result.exit_code == 6, result.output  # both cancelled: nothing changed
    assert [t.split(" ")[:3] for t in titles] == [
        ["bump", "pair", "skyportal:"],
        ["bump", "pair", "fink:"],
    ]
    assert _pin(pairs.root, "fink-client") == pairs.f1


def test_a_journal_naming_no_valid_pair_is_refused(pairs: Pairs) -> None:
    _bumped(pairs)
    path = pairs.root / ".git/overlay-merge/bump/journal.json"
    document = json.loads(path.read_text())
    document["pair"] = "../x"
    path.write_text(json.dumps(document))
    result = _cli(pairs.root, "status")
    assert result.exit_code == 3
    assert "pair '../x' is not a pair name" in result.stderr


def test_resolve_and_abort_without_a_bump_say_so(pairs: Pairs) -> None:
    for command in ("resolve", "abort"):
        result = _cli(pairs.root, command)
        assert result.exit_code == 3
        assert "no bump in progress" in result.stderr, result.stderr


def test_the_single_form_keeps_todays_reports(sample: Sample) -> None:
    document = _json(_cli(sample.deployment, "check", "--format", "json"))
    assert "pairs" not in document and "name" not in document
    assert document["upstream"] == "skyportal"
    text = _cli(sample.deployment, "status").stdout
    assert text.startswith("skyportal pinned at") and "== pair" not in text
    junit = ET.fromstring(_cli(sample.deployment, "check", "--format", "junit").stdout)
    assert junit.find("testsuite/properties/property[@name='pair']") is None
    named = _cli(sample.deployment, "--pair", "skyportal", "status").stdout
    assert named == text
    result = _cli(sample.deployment, "--build-dir", "elsewhere", "--pair", "skyportal", "status")
    assert result.exit_code == 0
    assert _cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    journal = json.loads((sample.deployment / ".git/overlay-merge/bump/journal.json").read_text())
    assert journal["pair"] == ""
    assert "overlay-merge --pair" not in _cli(sample.deployment, "bump", "--choice", "merge").stderr
