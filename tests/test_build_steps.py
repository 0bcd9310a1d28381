"""The declared build steps: dependency merges by name (collisions reported, by ``build``
and by ``check``) and after-build commands (run in the build dir, failures exit 4)."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from gitutil import commit_files

from overlay_merge.demo import Sample

BUILD = "patched_skyportal"
UPSTREAM_PYPROJECT = b"""\
[project]
name = "skyportal"
# Upstream's own comment stays.
dependencies = [
    "numpy==2.1",  # pinned for the C API
    "astropy>=6",
    "Requests>=2.31",
]
"""
UPSTREAM_PACKAGE = b"""{
    "name": "skyportal",
    "dependencies": {
        "react": "^18.2.0",
        "leaflet": "1.9.4"
    },
    "devDependencies": {
        "eslint": "^8"
    }
}
"""
CONFIG = """
[dependency-groups]
ext = ["numpy>=1.26", "requests>=2.31", "fink-client>=8", "astropy>=6"]

[tool.overlay-merge.merge-python-dependencies]
from = "pyproject.toml:dependency-groups.ext"
into = "pyproject.toml:project.dependencies"

[tool.overlay-merge.merge-npm-dependencies]
from = "extensions/skyportal/package.icare.json:dependencies"
into = "package.json:dependencies"
"""


def _configure(sample: Sample, extra: str = "") -> None:
    commit_files(
        sample.upstream,
        {"pyproject.toml": UPSTREAM_PYPROJECT, "package.json": UPSTREAM_PACKAGE},
        "Upstream's dependencies",
    )
    (sample.deployment / "pyproject.toml").write_text(CONFIG + extra)
    icare = {"dependencies": {"leaflet": "1.9.3", "@grandma/widgets": "^2.0.0"}}
    (sample.overlay / "package.icare.json").write_text(json.dumps(icare, indent=2) + "\n")
    assert run_cli(sample.deployment, "init").exit_code == 0


def test_dependencies_merge_by_name_keeping_upstreams_layout(sample: Sample) -> None:
    _configure(sample)
    result = run_cli(sample.deployment, "build", "--format", "json")
    assert result.exit_code == 0, result.output
    python, npm = json.loads(result.output)["dependency_merges"]
    assert python["added"] == ["fink-client>=8"]
    assert python["collisions"] == [
        {"name": "numpy", "upstream": "numpy==2.1", "deployment": "numpy>=1.26"}
    ]
    assert npm["added"] == ["@grandma/widgets"]
    assert npm["collisions"] == [
        {"name": "leaflet", "upstream": "leaflet@1.9.4", "deployment": "leaflet@1.9.3"}
    ]
    built = sample.deployment / BUILD
    # Requests and requests are one package: pinned alike, left as upstream wrote it.
    assert (built / "pyproject.toml").read_bytes() == UPSTREAM_PYPROJECT.replace(
        b'"numpy==2.1",', b'"numpy>=1.26",'
    ).replace(b'    "Requests>=2.31",\n', b'    "Requests>=2.31",\n    "fink-client>=8",\n')
    assert (built / "package.json").read_text() == UPSTREAM_PACKAGE.decode().replace(
        '"leaflet": "1.9.4"', '"leaflet": "1.9.3",\n        "@grandma/widgets": "^2.0.0"'
    )
    text = run_cli(sample.deployment, "build").output
    assert "merged python dependencies of pyproject.toml:dependency-groups.ext" in text
    assert "warning: numpy: upstream 'numpy==2.1', deployment 'numpy>=1.26'" in text
    assert "in place: 0 written" in text  # the merged files are recorded as built


def test_a_name_without_version_keeps_upstreams_pin(sample: Sample) -> None:
    # Icare's ext group names "astroscrappy" where SkyPortal pins "astroscrappy==1.3.0":
    # the deployment asks for the package, not for any version, so upstream's pin stays
    # (the launchers' set union kept it too) -- and it is no collision.
    _configure(sample)
    config = CONFIG.replace(
        'ext = ["numpy>=1.26", "requests>=2.31", "fink-client>=8", "astropy>=6"]',
        'ext = ["numpy", "fink-client>=8", "Astropy[all]", "requests"]',
    )
    (sample.deployment / "pyproject.toml").write_text(config)
    icare = {"dependencies": {"leaflet": "*", "react": "^18.2.0"}}
    (sample.overlay / "package.icare.json").write_text(json.dumps(icare, indent=2) + "\n")
    result = run_cli(sample.deployment, "build", "--format", "json")
    assert result.exit_code == 0, result.output
    python, npm = json.loads(result.output)["dependency_merges"]
    assert python["collisions"] == [] and npm["collisions"] == []
    built = sample.deployment / BUILD
    assert (built / "pyproject.toml").read_bytes() == UPSTREAM_PYPROJECT.replace(
        b'"astropy>=6",', b'"astropy[all]>=6",'
    ).replace(b'    "Requests>=2.31",\n', b'    "Requests>=2.31",\n    "fink-client>=8",\n')
    assert (built / "package.json").read_bytes() == UPSTREAM_PACKAGE
    checked = json.loads(run_cli(sample.deployment, "check", "--format", "json").output)
    assert checked.get("dependency_collisions", []) == []


def test_check_reports_dependency_collisions_as_warnings(sample: Sample) -> None:
    _configure(sample)
    result = run_cli(sample.deployment, "check", "--format", "json")
    assert result.exit_code == 0, result.output  # warnings: still in sync
    names = [c["name"] for c in json.loads(result.output)["dependency_collisions"]]
    assert names == ["numpy", "leaflet"]
    text = run_cli(sample.deployment, "check").output
    assert "dependency collision: numpy: upstream 'numpy==2.1'" in text
    github = run_cli(sample.deployment, "check", "--format", "github").output
    assert "::warning file=pyproject.toml,title=dependency collision::" in github


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('merge-npm-dependencies = {from = "x.json"}', "expected a table with `from` and `into`"),
        (
            'merge-npm-dependencies = {from = "x.json", into = "package.json:dependencies"}',
            "no `:KEY` after the file",
        ),
        ("after-build = [1]", "expected a list of commands"),
    ],
)
def test_bad_step_settings_are_one_line(sample: Sample, setting: str, message: str) -> None:
    (sample.deployment / "pyproject.toml").write_text(f"[tool.overlay-merge]\n{setting}\n")
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_invalid_requirement_is_refused(sample: Sample) -> None:
    _configure(sample)
    text = (sample.deployment / "pyproject.toml").read_text()
    (sample.deployment / "pyproject.toml").write_text(text.replace("fink-client>=8", "fink >>"))
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 3
    assert "pyproject.toml:dependency-groups.ext: 'fink >>' is not a valid requirement" in (
        result.output
    )
    assert not (sample.deployment / BUILD).exists()


def test_after_build_commands_run_in_the_build_dir(sample: Sample) -> None:
    steps = (
        "[tool.overlay-merge]\n"
        'after-build = [["sh", "-c", "cp README.md config.yaml.defaults"], '
        '"echo $OVERLAY_MERGE_DEPLOYMENT > where.txt"]\n'
    )
    (sample.deployment / "pyproject.toml").write_text(steps)
    result = run_cli(sample.deployment, "build", "--format", "json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)["after_build"]
    assert [(r["exit_code"], r["ran"]) for r in runs] == [(0, True), (0, True)]
    built = sample.deployment / BUILD
    assert (built / "config.yaml.defaults").read_bytes() == (built / "README.md").read_bytes()
    assert (built / "where.txt").read_text().strip() == str(sample.deployment.resolve())
    # What the commands wrote is no build's: the next build leaves it alone.
    again = json.loads(run_cli(sample.deployment, "build", "--format", "json").output)
    assert again["written"] == [] and (built / "config.yaml.defaults").exists()


def test_a_failing_after_build_command_exits_4_and_says_which(sample: Sample) -> None:
    steps = (
        "[tool.overlay-merge]\n"
        'after-build = ["exit 7", ["touch", "never"], ["no-such-program-here"]]\n'
    )
    (sample.deployment / "pyproject.toml").write_text(steps)
    result = run_cli(sample.deployment, "build", "--format", "json")
    assert result.exit_code == 4
    runs = json.loads(result.output)["after_build"]
    assert [r["exit_code"] for r in runs] == [7, None, None]
    assert not (sample.deployment / BUILD / "never").exists()
    text = run_cli(sample.deployment, "build").output
    assert "error: after-build command failed with exit 7: exit 7" in text
    assert "after-build: not run (an earlier command failed): touch never" in text
    (sample.deployment / "pyproject.toml").write_text(
        '[tool.overlay-merge]\nafter-build = [["no-such-program-here"]]\n'
    )
    result = run_cli(sample.deployment, "build")
    assert result.exit_code == 4
    assert "failed with exit 127 (no-such-program-here: No such file or directory)" in (
        result.output
    )
