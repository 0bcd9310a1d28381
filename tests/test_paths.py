"""Paths, odd files and config: every place is reached through real folders.

Attacks on the layout as it is on disk, not as it is written: a symlink at
any component of any layout path (the upstream, the overlay, the base file's
folder, the build dir, overlay-merge's folder in the git dir), pointing
inside or outside the deployment; a FIFO, a socket, a device or a folder
where a file is expected (run in a subprocess with a timeout, as a guard
against a hang); a configuration of the wrong type; a path that would break
out of a suggested shell command; the names git itself refuses as spellings
of ``.git``; a nested submodule whose target tree holds an unsafe entry.
Each is one line on stderr, exit 3, and writes nothing anywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from gitutil import commit_files, git
from test_bump import _state
from test_cli import assert_one_line_error
from test_security import _Objects

from overlay_merge.core.basefile import HEADER, parse_base_file
from overlay_merge.core.deployment import open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import load_layout
from overlay_merge.core.overlay import safe_overlay_path
from overlay_merge.core.paths import dotgit_problem, path_problem
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"
# Every command that loads a deployment (review is the TUI; demo makes a new one).
COMMANDS: list[list[str]] = [
    ["status"],
    ["check"],
    ["init"],
    ["bump", "--choice", "merge"],
    ["build"],
    ["resolve"],
    ["abort"],
    ["diff"],
]


def _tree(top: Path) -> dict[str, str]:
    """Every file (sha256), link (target) and folder under *top*, never following a link."""
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            full = Path(dirpath) / name
            info = os.lstat(full)
            key = full.relative_to(top).as_posix()
            if stat.S_ISLNK(info.st_mode):
                seen[key] = "link:" + os.readlink(full)
            elif stat.S_ISREG(info.st_mode):
                seen[key] = hashlib.sha256(full.read_bytes()).hexdigest()
            else:
                seen[key] = oct(info.st_mode)
    return seen


# -- symlinks in layout paths -------------------------------------------------------


def _relink(sample: Sample, rel: str, target: Path) -> None:
    """Move the real ``deployment/rel`` to *target* and leave a symlink to it in its place."""
    here = sample.deployment / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(here), str(target))
    os.symlink(target, here)


def _linked_upstream(sample: Sample, target: Path) -> list[str]:
    # `skyportal` a link to another clone of the upstream (at the pin): a bump
    # through it would move that clone's HEAD.
    git(sample.root, "clone", "-q", str(sample.upstream_remote), str(target))
    git(target, "checkout", "-q", "--detach", sample.commits["s1"])
    shutil.move(str(sample.upstream), str(sample.root / "aside-skyportal"))
    os.symlink(target, sample.upstream)
    return []


def _linked_overlay_parent(sample: Sample, target: Path) -> list[str]:
    _relink(sample, "extensions", target)
    return []


def _linked_overlay(sample: Sample, target: Path) -> list[str]:
    _relink(sample, OVERLAY, target)
    return []


def _linked_base_file(sample: Sample, target: Path) -> list[str]:
    _relink(sample, ".overlay-base", target)
    return []


def _linked_base_folder(sample: Sample, target: Path) -> list[str]:
    # `--base-file cfg/.overlay-base`, `cfg` a link: `init` would write through it.
    target.mkdir(parents=True)
    shutil.move(str(sample.base_file), str(target / ".overlay-base"))
    os.symlink(target, sample.deployment / "cfg")
    return ["--base-file", "cfg/.overlay-base"]


def _linked_build_dir(sample: Sample, target: Path) -> list[str]:
    target.mkdir(parents=True)
    os.symlink(target, sample.deployment / "patched_skyportal")
    return []


def _linked_build_parent(sample: Sample, target: Path) -> list[str]:
    target.mkdir(parents=True)
    os.symlink(target, sample.deployment / "out")
    return ["--build-dir", "out/patched"]


# case: (make it, the link as messages name it)
LINKED: dict[str, tuple[Callable[[Sample, Path], list[str]], str]] = {
    "upstream": (_linked_upstream, "skyportal: is a symlink"),
    "overlay-parent": (_linked_overlay_parent, f"{OVERLAY}: extensions is a symlink"),
    "overlay": (_linked_overlay, f"{OVERLAY}: is a symlink"),
    "base-file": (_linked_base_file, ".overlay-base: is a symlink"),
    "base-file-folder": (_linked_base_folder, "cfg/.overlay-base: cfg is a symlink"),
    "build-dir": (_linked_build_dir, "patched_skyportal: is a symlink"),
    "build-dir-parent": (_linked_build_parent, "out/patched: out is a symlink"),
}


@pytest.mark.parametrize("where", ["outside", "inside"])
@pytest.mark.parametrize("case", list(LINKED))
def test_a_symlink_in_any_layout_path_is_refused_by_every_command(
    sample: Sample, tmp_path: Path, case: str, where: str
) -> None:
    make, needle = LINKED[case]
    top = tmp_path / "elsewhere" if where == "outside" else sample.deployment / "moved-here"
    options = make(sample, top / case)
    victim = _tree(top)
    heads = git(top / case, "rev-parse", "HEAD") if case == "upstream" else None
    for args in COMMANDS:
        result = run_cli(sample.deployment, *options, *args)
        assert_one_line_error(result, needle, "(fix: ")
    assert _tree(top) == victim
    if heads is not None:
        assert git(top / case, "rev-parse", "HEAD") == heads


def _file_at(sample: Sample, rel: str) -> None:
    full = sample.deployment / rel
    if full.is_dir():
        shutil.rmtree(full)
    full.write_bytes(b"a file\n")


def _fifo_at(sample: Sample, rel: str) -> None:
    os.mkfifo(sample.deployment / rel)


NOT_A_FOLDER = {
    # case: (make it, options, the message)
    "base-file-folder-a-file": (
        lambda s: _file_at(s, "cfg"),
        ["--base-file", "cfg/.overlay-base"],
        "cfg/.overlay-base: cfg is a regular file, not a folder",
    ),
    "overlay-parent-a-file": (
        lambda s: _file_at(s, "extensions"),
        [],
        f"{OVERLAY}: extensions is a regular file, not a folder",
    ),
    "build-parent-a-fifo": (
        lambda s: _fifo_at(s, "out"),
        ["--build-dir", "out/patched"],
        "out/patched: out is a FIFO (named pipe), not a folder",
    ),
}


@pytest.mark.parametrize("case", list(NOT_A_FOLDER))
def test_a_file_where_a_layout_folder_is_expected_is_refused(sample: Sample, case: str) -> None:
    make, options, needle = NOT_A_FOLDER[case]
    make(sample)
    state = _state(sample)
    for args in COMMANDS:
        assert_one_line_error(run_cli(sample.deployment, *options, *args), needle, "`mv ")
    assert _state(sample) == state


def test_the_link_message_names_the_fix_and_the_target(sample: Sample, tmp_path: Path) -> None:
    _relink(sample, "extensions", tmp_path / "elsewhere")
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert_one_line_error(
        result,
        f"overlay-merge: {OVERLAY}: extensions is a symlink (to '{tmp_path / 'elsewhere'}'); "
        "the overlay must be reached through real folders of the deployment",
        '(fix: replace the link with a copy of its folder (`t="$(readlink -f extensions)" '
        '&& rm extensions && cp -a "$t" extensions`)',
    )


def test_a_link_that_appears_after_loading_is_refused_before_a_write(
    sample: Sample, tmp_path: Path
) -> None:
    layout = load_layout(sample.deployment)
    _relink(sample, "extensions", tmp_path / "elsewhere")
    with pytest.raises(OverlayMergeError, match="extensions is a symlink"):
        safe_overlay_path(layout, "skyportal/models.py")


@pytest.mark.parametrize("depth", ["pkg", "pkg/sub"])
def test_an_overlay_folder_that_is_a_link_is_never_written_through(
    sample: Sample, tmp_path: Path, depth: str
) -> None:
    outside = tmp_path / "x"
    outside.mkdir()
    (sample.overlay / depth).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, sample.overlay / depth)
    layout = load_layout(sample.deployment)
    with pytest.raises(OverlayMergeError, match=f"{OVERLAY}/{depth} is a symlink or a file"):
        safe_overlay_path(layout, f"{depth}/mod.py")
    assert list(outside.iterdir()) == []


# -- overlay-merge's folder in the git dir --------------------------------------------


def _journal_dir(sample: Sample) -> Path:
    return sample.deployment / ".git" / "overlay-merge"


def test_a_link_at_overlay_merges_git_folder_is_refused(sample: Sample, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_bytes(b"mine\n")
    os.symlink(elsewhere, _journal_dir(sample))
    state = _state(sample)
    for args in COMMANDS:
        assert_one_line_error(
            run_cli(sample.deployment, *args),
            ".git/overlay-merge: is a symlink",
            "(fix: remove it (`rm ",
        )
    assert _tree(elsewhere) == {"keep.txt": hashlib.sha256(b"mine\n").hexdigest()}
    assert _state(sample) == state


def _move_backups_out(sample: Sample, tmp_path: Path) -> None:
    _relink(sample, ".git/overlay-merge/bump/backups", tmp_path / "backups")


def _link_the_journal(sample: Sample, tmp_path: Path) -> None:
    _relink(sample, ".git/overlay-merge/bump/journal.json", tmp_path / "journal.json")


def _link_one_backup(sample: Sample, tmp_path: Path) -> None:
    _relink(sample, ".git/overlay-merge/bump/backups/000000", tmp_path / "000000")


IN_A_BUMP = {
    "backups-folder": (_move_backups_out, ".git/overlay-merge/bump/backups: is a symlink"),
    "journal-file": (_link_the_journal, ".git/overlay-merge/bump/journal.json: is a symlink"),
    "one-backup": (_link_one_backup, ".git/overlay-merge/bump/backups/000000: is a symlink"),
}


@pytest.mark.parametrize("case", list(IN_A_BUMP))
def test_a_link_inside_the_journal_of_a_bump_is_never_followed(
    sample: Sample, tmp_path: Path, case: str
) -> None:
    before = _state(sample)
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    make, needle = IN_A_BUMP[case]
    make(sample, tmp_path)
    outside = _tree(tmp_path)
    during = _state(sample)
    for args in (["abort"], ["abort", "--force"], ["resolve"], ["status"], ["build"]):
        assert_one_line_error(run_cli(sample.deployment, *args), needle)
    assert _tree(tmp_path) == outside
    assert _state(sample) == during
    # Put back as it was, the bump aborts as usual: nothing was lost.
    link = next(p for p in _journal_dir(sample).rglob("*") if p.is_symlink())
    target = Path(os.readlink(link))
    link.unlink()
    shutil.move(str(target), str(link))
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


# -- FIFOs, sockets, devices and folders where a file is expected --------------------


def _make_fifo(path: Path) -> Iterator[None]:
    os.mkfifo(path)
    yield


def _make_socket(path: Path) -> Iterator[None]:
    # A Unix socket path is limited to ~100 bytes: bind it by a short relative name.
    cwd = os.getcwd()
    os.chdir(path.parent)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path.name)
        server.listen(1)
    finally:
        os.chdir(cwd)
    try:
        yield
    finally:
        server.close()


def _make_dir(path: Path) -> Iterator[None]:
    path.mkdir()
    (path / "inside").write_bytes(b"x\n")
    yield


def _make_zero_device(path: Path) -> Iterator[None]:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero: endless bytes
    except PermissionError:
        pytest.skip("creating a device needs CAP_MKNOD")
    yield


KINDS = {
    "fifo": (_make_fifo, "is a FIFO"),
    "socket": (_make_socket, "is a socket"),
    "directory": (_make_dir, "is a directory"),
    "device": (_make_zero_device, "is a character device"),
}
PLACES = {
    # place: (path in the deployment, the name messages give it)
    "base-file": (".overlay-base", ".overlay-base"),
    "pyproject": ("pyproject.toml", "pyproject.toml"),
    "overlay-file": (f"{OVERLAY}/skyportal/enum_types.py", f"{OVERLAY}/skyportal/enum_types.py"),
    "journal": (".git/overlay-merge/bump/journal.json", ".git/overlay-merge/bump/journal.json"),
}


def _run_all(deployment: Path, commands: list[list[str]]) -> list[tuple[int, str]]:
    """Run every command at once, each as a real process; a hang fails, never blocks."""
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "overlay_merge", "-C", str(deployment), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        for args in commands
    ]
    done: list[tuple[int, str]] = []
    for proc, args in zip(procs, commands, strict=True):
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            pytest.fail(f"overlay-merge {' '.join(args)} hung on the odd file")
        done.append((proc.returncode, err.decode("utf-8", "replace")))
    return done


# A folder at an overlay file's place, or at journal.json, never hangs a read;
# it is a finding (orphaned + unrecorded) or an unreadable journal, tested elsewhere.
ODD = [
    (place, kind)
    for place in PLACES
    for kind in KINDS
    if not (kind == "directory" and place in ("overlay-file", "journal"))
]


@pytest.mark.parametrize(("place", "kind"), ODD)
def test_an_odd_file_where_a_file_is_expected_is_refused_never_read(
    sample: Sample, place: str, kind: str
) -> None:
    rel, shown = PLACES[place]
    make, needle = KINDS[kind]
    full = sample.deployment / rel
    full.parent.mkdir(parents=True, exist_ok=True)
    if full.exists():
        full.unlink()
    maker = make(full)
    next(maker)
    try:
        for code, err in _run_all(sample.deployment, COMMANDS):
            assert code == 3, err
            assert err.startswith("overlay-merge: ") and err.count("\n") == 1, err
            assert "Traceback" not in err
        # The commands that read that place name it and what it is.
        code, err = _run_all(sample.deployment, [["status"]])[0]
        assert f"{shown}: " in err and (needle in err or "not a regular file" in err), err
    finally:
        maker.close()


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_an_odd_untracked_file_in_the_upstream_is_not_backed_up_by_a_forced_bump(
    sample: Sample, kind: str
) -> None:
    # The target adds skyportal/handlers/api/instrument.py; --force backs up
    # whatever is in the way before the checkout replaces it.
    full = sample.upstream / "skyportal" / "handlers" / "api" / "instrument.py"
    maker = KINDS[kind][0](full)
    next(maker)
    try:
        state = _state(sample)
        [(code, err)] = _run_all(sample.deployment, [["bump", "--choice", "merge", "--force"]])
        assert code == 3, err
        assert "instrument.py: is a" in err and err.count("\n") == 1, err
        assert _state(sample) == state
        assert not (sample.deployment / ".git" / "overlay-merge" / "journal.json").exists()
    finally:
        maker.close()


# -- configuration of the wrong type -------------------------------------------------

WRONG_CONFIG: dict[str, tuple[bytes, str]] = {
    "tool-string": (b'tool = "x"\n', "pyproject.toml: [tool]: expected a table, got a string"),
    "tool-list": (b"tool = [1]\n", "pyproject.toml: [tool]: expected a table, got a list"),
    "tool-int": (b"tool = 3\n", "[tool]: expected a table, got an integer"),
    "section-int": (b"[tool]\noverlay-merge = 3\n", "[tool] overlay-merge: expected a table"),
    "section-string": (b'[tool]\noverlay-merge = "x"\n', "overlay-merge: expected a table, got a"),
    "section-list": (b"[tool]\noverlay-merge = [1, 2]\n", "got a list"),
    "upstream-int": (b"[tool.overlay-merge]\nupstream = 5\n", "upstream: expected a string"),
    "overlay-bool": (b"[tool.overlay-merge]\noverlay = true\n", "overlay: expected a string"),
    "base-file-list": (b'[tool.overlay-merge]\nbase-file = ["a"]\n', "base-file: expected a"),
    "build-dir-table": (b"[tool.overlay-merge]\nbuild-dir = {a = 1}\n", "got a table"),
    "build-dir-float": (b"[tool.overlay-merge]\nbuild-dir = 1.5\n", "got a float"),
    "upstream-date": (b"[tool.overlay-merge]\nupstream = 1979-05-27\n", "got a TOML date"),
    "exclude-string": (
        b'[tool.overlay-merge]\nexclude = "*.fits"\n',
        "pyproject.toml: [tool.overlay-merge] exclude: expected a list of strings, got a string",
    ),
    "exclude-int": (b"[tool.overlay-merge]\nexclude = 3\n", "exclude: expected a list of strings"),
    "exclude-holding-int": (b"[tool.overlay-merge]\nexclude = [1]\n", "a list holding an integer"),
    "exclude-nested": (b'[tool.overlay-merge]\nexclude = ["a", ["b"]]\n', "holding a list"),
    "exclude-table": (b"[tool.overlay-merge]\nexclude = {a = 1}\n", "got a table"),
    "invalid-toml": (b"[tool.overlay-merge\n", "invalid TOML"),
    "not-utf8": (b'[tool.overlay-merge]\nupstream = "sky\xe9"\n', "not UTF-8"),
}


@pytest.mark.parametrize("case", list(WRONG_CONFIG))
def test_config_of_the_wrong_type_names_the_key(sample: Sample, case: str) -> None:
    data, needle = WRONG_CONFIG[case]
    (sample.deployment / "pyproject.toml").write_bytes(data)
    state = _state(sample)
    for args in (["status"], ["init"], ["bump", "--choice", "merge"], ["build"]):
        assert_one_line_error(run_cli(sample.deployment, *args), needle, "(fix: ")
    assert _state(sample) == state


@pytest.mark.parametrize("data", [b"tool = 3\n", b'tool = "x"\n', b"[tool\n", b"\xff"])
def test_a_bad_pyproject_in_the_upstream_does_not_stop_finding_the_deployment(
    sample: Sample, data: bytes
) -> None:
    # Started inside the upstream checkout, the search for the deployment
    # looks at the upstream's own pyproject.toml on the way up.
    (sample.upstream / "pyproject.toml").write_bytes(data)
    result = run_cli(sample.upstream, "status")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


# -- fix commands quote every path ----------------------------------------------------

HOSTILE = "out; touch pwned"


def _rm_commands(stderr: str) -> list[str]:
    return re.findall(r"`(rm [^`]*)`", stderr)


def _build_dir_not_made_by_build(sample: Sample) -> tuple[list[str], str]:
    (sample.deployment / HOSTILE).mkdir()
    (sample.deployment / HOSTILE / "old.txt").write_bytes(b"old\n")
    return ["--build-dir", HOSTILE, "build", "--allow-drift"], f"rm -r {shlex.quote(HOSTILE)}"


def _build_dir_a_file(sample: Sample) -> tuple[list[str], str]:
    (sample.deployment / HOSTILE).write_bytes(b"a file\n")
    return ["--build-dir", HOSTILE, "build", "--allow-drift"], f"rm {shlex.quote(HOSTILE)}"


def _build_dir_a_link(sample: Sample) -> tuple[list[str], str]:
    os.symlink(sample.root / "nowhere", sample.deployment / HOSTILE)
    return ["--build-dir", HOSTILE, "status"], f"rm {shlex.quote(HOSTILE)}"


def _base_file_crlf(sample: Sample) -> tuple[list[str], str]:
    name = "base $(touch pwned)"
    crlf = sample.base_file.read_bytes().replace(b"\n", b"\r\n")
    (sample.deployment / name).write_bytes(crlf)
    return ["--base-file", name, "status"], f"sed -i 's/\\r$//' {shlex.quote(name)}"


def _upstream_plain_folder(sample: Sample) -> tuple[list[str], str]:
    name = "up`touch pwned`"
    (sample.deployment / name).mkdir()
    return ["--upstream", name, "status"], f"git submodule add <url> {shlex.quote(name)}"


def _base_folder_a_link(sample: Sample) -> tuple[list[str], str]:
    name = "cfg'; touch pwned; '"
    (sample.root / "real-cfg").mkdir()
    os.symlink(sample.root / "real-cfg", sample.deployment / name)
    return ["--base-file", f"{name}/.overlay-base", "status"], shlex.quote(name)


QUOTED = {
    "build-dir-not-made-by-build": _build_dir_not_made_by_build,
    "build-dir-a-file": _build_dir_a_file,
    "build-dir-a-link": _build_dir_a_link,
    "base-file-crlf": _base_file_crlf,
    "upstream-plain-folder": _upstream_plain_folder,
    "base-folder-a-link": _base_folder_a_link,
}


@pytest.mark.parametrize("case", list(QUOTED))
def test_fix_commands_quote_hostile_paths(sample: Sample, case: str) -> None:
    args, quoted = QUOTED[case](sample)
    result = run_cli(sample.deployment, *args)
    assert_one_line_error(result, quoted)
    # Run the suggested removal as a user would paste it: it removes that
    # path and nothing runs from its name.
    for command in _rm_commands(result.stderr):
        subprocess.run(["sh", "-c", command], cwd=sample.deployment, check=False)
        assert not (sample.deployment / "pwned").exists()
    assert not (sample.deployment / "pwned").exists()


def test_quoting_leaves_plain_paths_as_they_were(sample: Sample) -> None:
    (sample.deployment / "patched_skyportal").mkdir()
    (sample.deployment / "patched_skyportal" / "old.txt").write_bytes(b"old\n")
    result = run_cli(sample.deployment, "build", "--allow-drift")
    assert_one_line_error(result, "remove it (`rm -r patched_skyportal`)")


# -- names git refuses -----------------------------------------------------------------

REFUSED = [
    ".git",
    ".GiT",
    ".git ",
    ".git.",
    ".git. .",
    ".git   ",
    ".GIT..",
    "git~1",
    "GIT~1",
    "git~1.",
    "git~1 ",
    ".git::$INDEX_ALLOCATION",
    ".git:stream",
    "git~1::$INDEX_ALLOCATION",
    ".git\\hooks",
    ".git .\\x",
    "foo\\.git",
    "a\\GIT~1 \\b",
    ".g\u200cit",
    ".\u200dgit",
    ".git\u200e",
    "\ufeff.git",
    ".gi\u206at",
    ".G\u202eIT",
    ".\u200f\u200cgit\u206f",
]
ACCEPTED = [
    ".gitignore",
    ".github",
    ".gitx",
    ".git-foo",
    ".git~1",
    "git~2",
    "git~10",
    "git~1x",
    "git",
    "x.git",
    ". git",
    ".gi t",
    ".g\u200bit",  # ZERO WIDTH SPACE: not one HFS+ ignores
    ".g\u00eft",
    "git~1a.",
    "foo.git\\x",
]


def _git_accepts(repo: Path, blob: str, name: str) -> bool:
    """Whether git itself (NTFS and HFS+ protection on) records *name* in an index."""
    done = subprocess.run(
        [
            "git",
            "-c",
            "core.protectNTFS=true",
            "-c",
            "core.protectHFS=true",
            "update-index",
            "--add",
            "--cacheinfo",
            f"100644,{blob},{name}",
        ],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_the_refused_names_are_exactly_those_git_refuses(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    blob = _Objects(repo).run("hash-object", "-w", "--stdin", data=b"x\n")
    for name in [*REFUSED, *ACCEPTED]:
        for path in (name, f"pkg/{name}/mod.py"):
            ours = path_problem(path) is None
            assert ours == _git_accepts(repo, blob, path), (path, path_problem(path))
    assert all(dotgit_problem(n) for n in REFUSED)
    assert not any(dotgit_problem(n) for n in ACCEPTED)


@pytest.mark.parametrize(
    "name", [".git ", ".git.", "git~1", ".git::$INDEX_ALLOCATION", ".g\u200cit"]
)
@pytest.mark.parametrize("shape", ["file", "folder", "excluded"])
def test_init_refuses_an_overlay_name_git_refuses(sample: Sample, name: str, shape: str) -> None:
    where = sample.overlay / "pkg"
    where.mkdir()
    options: list[str] = []
    if shape == "file":
        (where / name).write_bytes(b"x = 1\n")
    else:
        (where / name).mkdir()
        (where / name / "config").write_bytes(b"[core]\n")
    commands = [["init"]]
    if shape == "excluded":
        # Not recorded, but git refuses it all the same, and build would copy it.
        options = ["--exclude", "pkg/**"]
        commands.append(["build", "--allow-drift"])
    state = _state(sample)
    for command in commands:
        result = run_cli(sample.deployment, *options, *command)
        assert_one_line_error(result, f"{OVERLAY}/pkg/", "cannot be an overlay file", "'.git'")
    assert _state(sample) == state


@pytest.mark.parametrize("name", [".git ", "git~1", ".git::$DATA", ".g\u200dit", ".GIT."])
def test_the_base_file_parser_refuses_names_git_refuses(name: str) -> None:
    data = (HEADER + f"{'a' * 40}  pkg/{name}/hooks/post-checkout\n").encode()
    with pytest.raises(OverlayMergeError, match=r"fuzz:3: .*git refuses it|'\.git' component"):
        parse_base_file(data, "fuzz")


# -- unsafe entries inside nested submodules ------------------------------------------


def _hostile_nested_target(sample: Sample, folders: list[str], leaf: str) -> str:
    """An upstream commit on top of s2 whose baselayer gitlink records a nested commit
    (on top of b2) adding *folders*/*leaf* literally, as git's own checks would refuse."""
    nested = _Objects(sample.upstream / "baselayer")
    b2 = sample.commits["b2"]
    blob = nested.run("hash-object", "-w", "--stdin", data=b"pwned\n")
    entry = ("100644", leaf, blob)
    for part in reversed(folders):
        entry = ("40000", part, nested.tree([entry]))
    tree = nested.tree([*nested.ls(nested.run("rev-parse", f"{b2}^{{tree}}")), entry])
    hostile = nested.run("commit-tree", tree, "-p", b2, "-m", "hostile nested")
    top = _Objects(sample.upstream)
    s2 = sample.commits["s2"]
    top_tree = top.replace(
        top.run("rev-parse", f"{s2}^{{tree}}"), ["baselayer"], ("160000", "baselayer", hostile)
    )
    return top.run("commit-tree", top_tree, "-p", s2, "-m", "points baselayer at it")


NESTED_HOSTILE = {
    "dotdot": (["..", ".."], "escaped.py"),
    "dotgit": ([".git", "hooks"], "post-checkout"),
    "dotgit-ntfs": ([".git "], "config"),
    "short-name": (["GIT~1"], "config"),
    "slash-in-name": ([], "a/../../escaped.py"),
}


@pytest.mark.parametrize("case", list(NESTED_HOSTILE))
def test_a_hostile_nested_submodule_tree_is_refused_before_the_overlay_is_written(
    sample: Sample, tmp_path: Path, case: str
) -> None:
    folders, leaf = NESTED_HOSTILE[case]
    target = _hostile_nested_target(sample, folders, leaf)
    state = _state(sample)
    for choice in ("merge", "update"):
        result = run_cli(sample.deployment, "bump", target, "--choice", choice)
        assert_one_line_error(result, f"skyportal {target[:7]}: tree entry 'baselayer/", "refusing")
        assert _state(sample) == state
        assert not (sample.deployment / ".git" / "overlay-merge" / "journal.json").exists()
    assert not (tmp_path / "escaped.py").exists()
    assert not (sample.upstream / "escaped.py").exists()


def test_an_unchanged_nested_gitlink_is_not_searched_again(sample: Sample) -> None:
    # The pin's own nested commit is already checked out: only a changed
    # gitlink's tree is looked into (and a clean s1 -> s2 bump finds nothing).
    upstream = open_at(load_layout(sample.deployment)).upstream
    assert upstream.unsafe_entry(sample.commits["s2"], sample.commits["s1"]) is None
    assert upstream.unsafe_entry(sample.commits["s1"], sample.commits["s1"]) is None
    assert upstream.unsafe_entry(sample.commits["s2"]) is None


def test_commit_files_helper_still_builds_a_clean_sample(sample: Sample) -> None:
    # Guard for the attacks above: an ordinary upstream commit is not refused.
    target = commit_files(sample.upstream, {"NEW.md": b"new\n"}, "an ordinary commit")
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s1"])
    upstream = open_at(load_layout(sample.deployment)).upstream
    assert upstream.unsafe_entry(target, sample.commits["s1"]) is None
