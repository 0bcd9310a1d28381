"""The command line's global behaviour: help, version, demo, global options, exit codes.

Most tests drive the click group in-process (``CliRunner``, stdout and stderr
kept apart); one runs the installed ``overlay-merge`` executable for real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import run_cli, tree_digest
from gitutil import git

import overlay_merge
from overlay_merge.cli.main import cli
from overlay_merge.demo import Sample

COMMANDS = ("init", "status", "demo")
GLOBAL_OPTIONS = ("-C", "--upstream", "--overlay", "--base-file", "--build-dir", "--exclude")


def invoke(*args: str) -> Result:
    """Run the CLI in-process under its real program name."""
    return CliRunner().invoke(cli, list(args), prog_name="overlay-merge", catch_exceptions=False)


def assert_one_line_error(result: Result, *needles: str) -> None:
    """Exit 3, nothing on stdout, one line on stderr naming *needles*, no traceback."""
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("overlay-merge: ")
    assert result.stderr.endswith("\n")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def status_json(deployment: Path, *options: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_cli(deployment, *options, "status", "--format", "json")
    return result.exit_code, json.loads(result.stdout)


def base_entries(sample: Sample) -> set[str]:
    lines = sample.base_file.read_text("utf-8").splitlines()
    return {line.split("  ", 1)[1] for line in lines if line and not line.startswith("#")}


def executable() -> str:
    """The installed ``overlay-merge`` next to the running interpreter."""
    found = shutil.which("overlay-merge", path=str(Path(sys.executable).parent))
    assert found is not None, f"overlay-merge is not installed next to {sys.executable}"
    return found


def clean_env() -> dict[str, str]:
    # Inside a git hook GIT_DIR & co. would point git at the caller's repository.
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


# --- help and version -------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_commands_and_global_options(flag: str) -> None:
    result = invoke(flag)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith("Usage: overlay-merge [OPTIONS] COMMAND [ARGS]...")
    commands = result.stdout.split("Commands:", 1)[1]
    listed = {line.split()[0] for line in commands.splitlines() if line.strip()}
    assert set(COMMANDS) <= listed
    options = result.stdout.split("Options:", 1)[1].split("Commands:", 1)[0]
    for option in (*GLOBAL_OPTIONS, "--version", "--help"):
        assert option in options, option


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: overlay-merge {command} [OPTIONS]")


def test_status_help_names_its_options() -> None:
    result = invoke("status", "--help")
    for option in ("--format", "--pinned", "text", "json"):
        assert option in result.stdout


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"overlay-merge, version {version('overlay-merge')}\n"
    assert version("overlay-merge") == overlay_merge.__version__


def test_no_command_is_a_usage_error() -> None:
    result = invoke()
    assert result.exit_code == 2
    assert "Usage: overlay-merge" in result.output


# --- usage errors: exit 2 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--bogus", "status"], "--bogus"),
        (["status", "--bogus"], "--bogus"),
        (["init", "--bogus"], "--bogus"),
        (["nosuchcommand"], "nosuchcommand"),
        (["status", "--format", "xml"], "--format"),
        (["--upstream"], "--upstream"),
    ],
)
def test_usage_errors_exit_2(sample: Sample, args: list[str], needle: str) -> None:
    before = tree_digest(sample.deployment)
    result = invoke("-C", str(sample.deployment), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    error = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1
    assert needle in error[0]
    assert "Traceback" not in result.stderr
    assert tree_digest(sample.deployment) == before


def test_dash_c_on_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = invoke("-C", str(tmp_path / "afile"), "status")
    assert result.exit_code == 2
    assert "is a file" in result.stderr


# --- demo ---------------------------------------------------------------------------


def test_demo_creates_the_sample_and_prints_its_status(sample: Sample, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    result = CliRunner().invoke(
        cli, ["demo", str(target)], input="", prog_name="overlay-merge", catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    deployment = target / "deployment"
    assert (deployment / ".git").is_dir()
    assert (deployment / "skyportal" / ".git").is_file()
    # Commit ids are deterministic: the demo's pin is the fixture's s1.
    pin = git(deployment / "skyportal", "rev-parse", "HEAD")
    assert pin == sample.commits["s1"]
    out = result.stdout
    assert out.startswith(f"sample deployment created in {deployment}\n")
    assert f"skyportal pinned at {pin[:7]}" in out
    assert "origin/main is 1 commit ahead" in out
    assert f"next: cd {deployment} && overlay-merge bump" in out.splitlines()[-1]
    # Without a terminal the bump is shown as a plan, and nothing changes.
    assert f"bump skyportal {pin[:7]} -> {sample.commits['s2'][:7]} (origin/main)" in out
    for path, state in sample.expected.items():
        assert re.search(rf"^  {re.escape(state)} +{re.escape(path)}", out, re.MULTILINE)
    # The deployment it made is a working one.
    assert run_cli(deployment, "status").exit_code == 0


def test_demo_default_folder_is_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "overlay-merge-demo" / "deployment" / ".overlay-base").is_file()


def test_demo_into_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    before = tree_digest(target)
    result = invoke("demo", str(target))
    assert_one_line_error(result, str(target), "not empty", "fix: ")
    assert tree_digest(target) == before


def test_demo_when_git_fails_is_one_line_and_leaves_the_folder_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user's git, refusing one step (as a too-old git refuses an option):
    # the real git runs every other command.
    real_git = shutil.which("git")
    assert real_git
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "git").write_text(
        "#!/bin/sh\n"
        'case "$*" in *"submodule add"*) echo "fatal: refused by this git" >&2; exit 129;; esac\n'
        f'exec {real_git} "$@"\n'
    )
    (shim / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "demo"
    result = invoke("demo", str(target))
    assert_one_line_error(
        result, "git failed", "refused by this git", "fix: check that `git --version` works"
    )
    assert list(target.iterdir()) == []


def test_demo_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = invoke("demo", str(tmp_path / "afile"))
    assert result.exit_code == 2
    assert not (tmp_path / "afile").is_dir()


def test_installed_executable_runs_demo_and_status_with_stdin_closed(
    sample: Sample, tmp_path: Path
) -> None:
    program = executable()
    target = tmp_path / "real-demo"
    run = subprocess.run(
        [program, "demo", str(target)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        env=clean_env(),
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == b""
    deployment = target / "deployment"
    assert f"sample deployment created in {deployment}".encode() in run.stdout
    assert f"skyportal pinned at {sample.commits['s1'][:7]}".encode() in run.stdout
    # The same executable, from elsewhere, with -C and a closed stdin.
    run = subprocess.run(
        [program, "-C", str(deployment), "status", "--format", "json"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        env=clean_env(),
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["pin"] == sample.commits["s1"]
    assert {f["path"] for f in doc["files"]} == set(sample.expected)
    # An error from the real executable: exit 3, one line, no traceback.
    run = subprocess.run(
        [program, "-C", str(deployment), "--upstream", "nope", "status"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        env=clean_env(),
        check=False,
    )
    assert run.returncode == 3
    assert run.stdout == b""
    assert run.stderr.count(b"\n") == 1
    assert b"upstream folder missing" in run.stderr


# --- global options -----------------------------------------------------------------


def test_overlay_option_pointing_nowhere_gives_an_empty_overlay(sample: Sample) -> None:
    code, doc = status_json(sample.deployment, "--overlay", "does/not/exist")
    assert code == 1
    assert doc["overlay"] == "does/not/exist"
    # Every entry of .overlay-base is left without its file.
    assert {f["path"] for f in doc["files"]} == base_entries(sample)
    assert {f["state"] for f in doc["files"]} == {"orphaned"}
    assert not (sample.deployment / "does").exists()


def test_overlay_and_base_file_options_together(sample: Sample) -> None:
    before = tree_digest(sample.deployment)
    result = run_cli(
        sample.deployment, "--overlay", "does/not/exist", "--base-file", "none.base", "status"
    )
    assert result.exit_code == 0, result.output
    assert "overlay does/not/exist: 0 files" in result.stdout
    assert tree_digest(sample.deployment) == before


def test_base_file_option_overrides_the_default(sample: Sample) -> None:
    alternative = sample.deployment / "alt.base"
    shutil.copyfile(sample.base_file, alternative)
    sample.base_file.write_text("not a valid line\n", "utf-8")
    assert_one_line_error(run_cli(sample.deployment, "status"), ".overlay-base")
    code, doc = status_json(sample.deployment, "--base-file", "alt.base")
    assert code == 0
    assert {f["state"] for f in doc["files"]} == {"up-to-date"}


def test_upstream_option_missing_folder(sample: Sample) -> None:
    result = run_cli(sample.deployment, "--upstream", "nope", "status")
    assert_one_line_error(result, "nope/", "upstream folder missing")


def test_upstream_option_not_initialized(sample: Sample) -> None:
    git(sample.deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    result = run_cli(sample.deployment, "status")
    assert_one_line_error(
        result, "skyportal/: upstream submodule is not initialized", "--init --recursive"
    )


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--overlay", "../outside", "'..' component"),
        ("--base-file", "/etc/passwd", "overlay-merge: base-file"),
        ("--upstream", "extensions", "overlap"),
    ],
)
def test_global_options_are_validated(sample: Sample, option: str, value: str, needle: str) -> None:
    result = run_cli(sample.deployment, option, value, "status")
    assert_one_line_error(result, needle)


def test_command_line_wins_over_pyproject(sample: Sample) -> None:
    (sample.deployment / "pyproject.toml").write_text(
        '[tool.overlay-merge]\nupstream = "elsewhere"\n', "utf-8"
    )
    assert_one_line_error(run_cli(sample.deployment, "status"), "elsewhere/", "missing")
    code, doc = status_json(sample.deployment, "--upstream", "skyportal")
    assert code == 0
    assert doc["upstream"] == "skyportal"


def test_pyproject_with_an_unknown_key(sample: Sample) -> None:
    (sample.deployment / "pyproject.toml").write_text(
        '[tool.overlay-merge]\nupstreem = "skyportal"\n', "utf-8"
    )
    result = run_cli(sample.deployment, "status")
    assert_one_line_error(result, "pyproject.toml", "'upstreem'")


def test_pyproject_with_invalid_toml(sample: Sample) -> None:
    (sample.deployment / "pyproject.toml").write_text("[tool.overlay-merge\n", "utf-8")
    assert_one_line_error(run_cli(sample.deployment, "status"), "pyproject.toml", "TOML")


def test_exclude_option_hides_overlay_files(sample: Sample) -> None:
    # An overlay file without an entry: excluded, it is not reported at all.
    (sample.overlay / "data").mkdir()
    (sample.overlay / "data" / "huge.fits").write_bytes(b"\0" * 64)
    code, doc = status_json(sample.deployment)
    assert code == 1
    assert "data/huge.fits" in {f["path"] for f in doc["files"]}
    code, doc = status_json(sample.deployment, "--exclude", "*.fits")
    assert code == 0
    assert "data/huge.fits" not in {f["path"] for f in doc["files"]}


def test_exclude_option_leaves_recorded_files_alone(sample: Sample) -> None:
    assert "static/img/logo.png" in base_entries(sample)
    code, doc = status_json(sample.deployment, "--exclude", "*.png")
    states = {f["path"]: f["state"] for f in doc["files"]}
    assert states.get("static/img/logo.png") != "orphaned"
    assert code == 0


# --- -C and the deployment root -----------------------------------------------------


def test_dash_c_from_elsewhere(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    _, expected = status_json(sample.deployment)
    elsewhere = sample.root / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = invoke("-C", "../deployment", "status", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected


@pytest.mark.parametrize(
    "start",
    ["skyportal", "skyportal/baselayer/app", "extensions/skyportal/skyportal/models"],
)
def test_dash_c_inside_the_deployment_finds_its_root(sample: Sample, start: str) -> None:
    _, expected = status_json(sample.deployment)
    code, doc = status_json(sample.deployment / start)
    assert code == 0
    assert doc == expected


def test_without_dash_c_the_cwd_is_used(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    _, expected = status_json(sample.deployment)
    monkeypatch.chdir(sample.deployment / "skyportal" / "baselayer")
    result = invoke("status", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == expected


def test_dash_c_outside_any_repository(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    probe = subprocess.run(
        ["git", "-C", str(outside), "rev-parse", "--git-dir"],
        capture_output=True,
        env=clean_env(),
        check=False,
    )
    if probe.returncode == 0:
        pytest.skip("the temporary folder is itself inside a git repository")
    assert_one_line_error(invoke("-C", str(outside), "status"), "not inside a git repository")


def test_dash_c_with_a_missing_folder_is_refused(sample: Sample) -> None:
    missing = sample.deployment / "no" / "such" / "dir"
    result = run_cli(missing, "status")
    assert result.exit_code in (2, 3)
    assert "no/such/dir" in result.stderr


def test_errors_are_one_line_and_write_nothing(sample: Sample) -> None:
    before = tree_digest(sample.deployment)
    for args in (
        ["--upstream", "nope", "status"],
        ["--upstream", "nope", "init"],
        ["--base-file", "extensions", "status"],
    ):
        result = run_cli(sample.deployment, *args)
        assert_one_line_error(result, "(fix: ")
    assert tree_digest(sample.deployment) == before


def test_ctrl_c_while_the_cli_is_still_importing_is_one_line() -> None:
    # Seen on a real deployment: SIGINT 0.3 s into start-up printed a traceback.
    script = (
        "import sys\n"
        "class Interrupting:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'overlay_merge.cli.main':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupting())\n"
        "from overlay_merge.cli.entry import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert done.returncode == 130
    assert done.stderr == b"overlay-merge: interrupted while starting; nothing was written\n"


# -- start-up: a command imports what it needs, nothing more ------------------------------

_LOADED = """
import sys
from overlay_merge.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> set[str]:
    """The modules loaded by one run of ``overlay-merge ARGS`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], capture_output=True, text=True, check=True
    )
    return set(done.stderr.split())


WRITERS = {"overlay_merge.core.apply", "overlay_merge.core.preflight", "overlay_merge.core.abort"}


def test_the_version_opens_nothing(sample: Sample) -> None:
    loaded = _loaded("-C", str(sample.deployment), "--version")
    assert {
        "pygit2",
        "overlay_merge.core.deployment",
        "overlay_merge.cli.commands.status",
    }.isdisjoint(loaded)


def test_status_and_the_plan_load_no_code_that_writes_and_no_other_command(sample: Sample) -> None:
    status = _loaded("-C", str(sample.deployment), "status")
    assert "overlay_merge.cli.commands.status" in status
    others = {f"overlay_merge.cli.commands.{name}" for name in ("bump", "check", "resolve")}
    heavy = {"textual", "overlay_merge.core.plan", "overlay_merge.reports.check"}
    assert status.isdisjoint(WRITERS | others | heavy)
    plan = _loaded("-C", str(sample.deployment), "bump", "--dry-run")
    assert "overlay_merge.core.plan" in plan
    assert plan.isdisjoint(WRITERS | {"textual", "overlay_merge.core.takes"})
