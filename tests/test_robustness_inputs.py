"""Bad input gets a clear error: `.overlay-base`, repositories and overlay content.

Every case here is a row of docs/robustness.md.  An error is always one line on
stderr, exit 3, naming the file (and for `.overlay-base` the line) and the
command that fixes it; a finding (an unrecorded file, an orphaned entry) is a
state in `status`/`check` with exit 1.  Content is bytes end to end: whatever
the overlay holds survives a merge and an abort byte for byte.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli, tree_digest
from gitutil import commit_files, git
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_bump import _state
from test_cli import assert_one_line_error

from overlay_merge.core.apply import apply_merge
from overlay_merge.core.basefile import HEADER, parse_base_file
from overlay_merge.core.decisions import decide
from overlay_merge.core.deployment import open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.layout import load_layout
from overlay_merge.core.plan import plan_bump
from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"


def _entry_lines(sample: Sample) -> list[str]:
    return sample.base_file.read_text().splitlines()


def _add_entries(sample: Sample, entries: dict[str, str]) -> None:
    """Add ``{path: commit}`` to the sample's base file, in order."""
    lines = [ln for ln in _entry_lines(sample) if not ln.startswith("#")]
    lines += [f"{commit}  {path}" for path, commit in entries.items()]
    body = sorted(lines, key=lambda e: e[42:].encode())
    sample.base_file.write_text(HEADER + "\n".join(body) + "\n")


# -- .overlay-base -------------------------------------------------------------------
#
# The sample's base file: two header lines, then 12 entries (lines 3-14).  A
# bad line is appended as line 15 unless the case says otherwise.

S1 = "46934a1"  # checked below: the sample's s1 starts with this


def _append(line: str) -> Callable[[Sample], bytes]:
    def make(sample: Sample) -> bytes:
        text = sample.base_file.read_text()
        return (text + line.replace("S1", sample.commits["s1"]) + "\n").encode("utf-8")

    return make


def _crlf(sample: Sample) -> bytes:
    return sample.base_file.read_bytes().replace(b"\n", b"\r\n")


def _not_utf8(sample: Sample) -> bytes:
    return sample.base_file.read_bytes() + sample.commits["s1"].encode() + b"  caf\xe9.py\n"


def _duplicate(sample: Sample) -> bytes:
    return sample.base_file.read_bytes() + _entry_lines(sample)[-1].encode() + b"\n"


def _unsorted(sample: Sample) -> bytes:
    return sample.base_file.read_bytes() + f"{sample.commits['s1']}  aaa.py\n".encode()


def _bom(sample: Sample) -> bytes:
    return b"\xef\xbb\xbf" + sample.base_file.read_bytes()


def _huge(sample: Sample) -> bytes:
    return sample.base_file.read_bytes() + b"#" * (16 * 1024 * 1024)


BASE_FILE_CASES = {
    # id: (content, line, what the message says)
    "invalid-hash": (_append("g" * 40 + "  x.py"), 15, "is not a full 40-hex lowercase commit id"),
    "short-hash": (_append(S1 + "  x.py"), 15, "is not a full 40-hex lowercase commit id"),
    "uppercase-hash": (_append("A" * 40 + "  x.py"), 15, "is not a full 40-hex lowercase"),
    "one-space": (_append("S1 x.py"), 15, "expected '<40-hex commit>  <path>' (two spaces)"),
    "tab": (_append("S1\tx.py"), 15, "(two spaces)"),
    "absolute-path": (_append("S1  /etc/passwd"), 15, "'/etc/passwd': absolute path"),
    "dotdot": (_append("S1  x/../../etc/passwd"), 15, "'..' component"),
    "dot": (_append("S1  x/./y.py"), 15, "'.' component"),
    "dotgit": (_append("S1  x/.git/hooks/pre-commit"), 15, "'.git' component"),
    "dotgit-any-case": (_append("S1  x/.Git/config"), 15, "'.git' component"),
    "nul": (_append("S1  x\x00y.py"), 15, "path contains a NUL"),
    "empty-path": (_append("S1  "), 15, "empty path"),
    "trailing-slash": (_append("S1  x/"), 15, "empty path component"),
    "crlf": (_crlf, 1, "CRLF line end; `.overlay-base` uses \\n line ends"),
    "not-utf8": (_not_utf8, 15, "not UTF-8 (byte 46)"),
    "duplicate": (_duplicate, 15, "duplicate entry for 'tools/check_env.sh'"),
    "unsorted": (_unsorted, 15, "entries are not sorted by path ('aaa.py' comes after"),
    "bom": (_bom, 1, "(two spaces)"),
}


def test_the_sample_base_file_is_as_these_cases_expect(sample: Sample) -> None:
    lines = _entry_lines(sample)
    assert sample.commits["s1"].startswith(S1)
    assert len(lines) == 14 and lines[:2] == HEADER.splitlines()
    assert lines[-1].endswith("  tools/check_env.sh")


@pytest.mark.parametrize("case", list(BASE_FILE_CASES))
def test_bad_base_file_is_one_line_with_file_and_line(sample: Sample, case: str) -> None:
    make, line, needle = BASE_FILE_CASES[case]
    sample.base_file.write_bytes(make(sample))
    before = tree_digest(sample.deployment)
    result = run_cli(sample.deployment, "status")
    assert_one_line_error(result, f"overlay-merge: .overlay-base:{line}: ", needle, "(fix: ")
    assert tree_digest(sample.deployment) == before


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["bump", "--dry-run"],
        ["bump", "--choice", "merge"],
        ["init"],
        ["build"],
        ["diff"],
        ["resolve"],
    ],
    ids="-".join,
)
def test_every_command_refuses_a_bad_base_file_alike(sample: Sample, args: list[str]) -> None:
    sample.base_file.write_bytes(_append("S1  x/../y.py")(sample))
    git(sample.deployment, "commit", "-qam", "a bad line, committed")
    before = _state(sample)
    result = run_cli(sample.deployment, *args)
    if args == ["resolve"]:
        # Nothing to resolve outside a bump: that is said first.
        assert_one_line_error(result, "no bump in progress")
    else:
        assert_one_line_error(
            result, "overlay-merge: .overlay-base:15: 'x/../y.py': '..' component"
        )
    assert _state(sample) == before


def test_huge_base_file_is_refused_before_it_is_parsed(sample: Sample) -> None:
    sample.base_file.write_bytes(_huge(sample))
    result = run_cli(sample.deployment, "status")
    assert_one_line_error(result, "larger than the 16777216-byte limit for a base file")


def test_unknown_base_commit_names_the_line(sample: Sample) -> None:
    text = sample.base_file.read_text().replace(sample.commits["s0"], "1" * 40)
    sample.base_file.write_text(text)
    for args in (["status"], ["check"], ["bump", "--dry-run"]):
        result = run_cli(sample.deployment, *args)
        assert_one_line_error(
            result,
            "skyportal: commit 1111111 (base of skyportal/enum_types.py at .overlay-base:5) "
            "is missing from the object store",
            "(fix: git -C skyportal fetch origin)",
        )


@pytest.mark.parametrize("kind", ["symlink", "directory"])
def test_base_file_that_is_not_a_file(sample: Sample, kind: str) -> None:
    real = sample.deployment / "elsewhere"
    sample.base_file.rename(real)
    if kind == "symlink":
        sample.base_file.symlink_to(real)
    else:
        sample.base_file.mkdir()
    result = run_cli(sample.deployment, "status")
    assert_one_line_error(result, f"overlay-merge: .overlay-base: is a {kind}")


def test_a_file_with_no_entry_is_a_finding_and_bump_refuses_it(sample: Sample) -> None:
    # status/check: tests/test_check.py::test_overlay_file_without_base_entry
    (sample.overlay / "new file.py").write_bytes(b"x = 1\n")
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "an overlay file without a base")
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    assert {f["path"]: f["state"] for f in status["files"]}["new file.py"] == "unrecorded"
    result = run_cli(sample.deployment, "bump", "--dry-run")
    assert_one_line_error(
        result,
        f"{OVERLAY}/new file.py: no base in .overlay-base",
        "run `overlay-merge init`",
    )


def test_an_entry_for_a_file_that_is_gone_is_a_finding_and_survives_a_bump(
    sample: Sample,
) -> None:
    # check names its line: tests/test_check.py::test_base_entry_without_file
    (sample.overlay / "skyportal" / "enum_types.py").unlink()
    git(sample.deployment, "commit", "-qam", "drop an overlay file, not its entry")
    result = run_cli(sample.deployment, "status", "--format", "json")
    assert result.exit_code == 1
    states = {f["path"]: f["state"] for f in json.loads(result.output)["files"]}
    assert states["skyportal/enum_types.py"] == "orphaned"
    merged = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert merged.exit_code == 1, merged.output  # the sample's conflicts, nothing else
    assert "skyportal/enum_types.py" in sample.base_file.read_text()  # kept, still reported


# -- the .overlay-base parser, fuzzed ------------------------------------------------

FUZZ_EXAMPLES = 1000
_SHA = "0123456789abcdef" * 2 + "01234567"
# Repeated elements weigh the choice toward valid lines, so that whole files
# get through and the later checks (duplicates, order) are reached too.
_separators = st.sampled_from(["  "] * 24 + [" ", "   ", "\t", " \t", "", "  \x00", "\u3000\u3000"])
_path_parts = st.sampled_from(
    ["a", "b c", "x.py", "日本", "\\", "é"] * 6
    + ["..", ".", ".git", ".GIT", "", "\x00", "\r", "\n"]
)
_joined = st.lists(_path_parts, min_size=0, max_size=5).map("/".join)
_paths = st.one_of(_joined, _joined, _joined, _joined, _joined, st.text(max_size=30))
_shas = st.sampled_from(
    [_SHA] * 12 + [_SHA[:39], _SHA + "0", _SHA.upper(), "g" * 40, "", "#" + _SHA]
)
_junk = st.binary(max_size=12)


_REFUSALS = (
    "two spaces",
    "40-hex",
    "CRLF",
    "UTF-8",
    "NUL",
    "newline",
    "carriage",
    "absolute",
    "'..'",
    "'.'",
    "'.git'",
    "empty path",
    "duplicate",
    "not sorted",
)


@st.composite
def _near_valid_files(draw: st.DrawFn) -> bytes:
    """Base files whose lines are mostly valid, mutated in one place each."""
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        line = (draw(_shas) + draw(_separators) + draw(_paths)).encode("utf-8", "surrogatepass")
        if draw(st.integers(0, 7)) == 0:
            at = draw(st.integers(0, len(line)))
            line = line[:at] + draw(_junk) + line[at:]
        lines.append(line)
    eol = draw(st.sampled_from([b"\n"] * 4 + [b"\r\n", b"\r", b"\n\n"]))
    return eol.join(lines) + draw(st.sampled_from([b"", eol]))


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same inputs every run: the count in the doc is exact
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=_near_valid_files(), require_sorted=st.booleans())
def test_fuzzed_base_files_raise_only_the_tools_error(data: bytes, require_sorted: bool) -> None:
    try:
        entries = parse_base_file(data, "fuzz", require_sorted=require_sorted)
    except OverlayMergeError as exc:
        message = str(exc)
        assert message.startswith("fuzz:") and "\n" not in message
        # --hypothesis-show-statistics: how the inputs spread over the refusals
        event(next((k for k in _REFUSALS if k in exc.message), exc.message))
        return
    event("accepted" if entries else "accepted, empty")
    for path in entries:  # whatever is accepted is a safe overlay-relative path
        parts = path.split("/")
        assert path and not path.startswith("/") and "" not in parts
        assert not {".", ".."} & set(parts) and ".git" not in [p.lower() for p in parts]
        assert not {"\x00", "\n", "\r"} & set(path)


# -- repositories ---------------------------------------------------------------------


def test_upstream_is_a_plain_folder(sample: Sample) -> None:
    git(sample.deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    git(sample.deployment, "rm", "-q", "--cached", "skyportal")
    (sample.upstream / "setup.py").write_bytes(b"# a vendored copy, not a submodule\n")
    result = run_cli(sample.deployment, "status")
    assert_one_line_error(
        result,
        "skyportal/: a plain folder, not a git submodule of the deployment",
        "git submodule add <url> skyportal",
    )


def test_upstream_is_a_repository_not_registered_as_a_submodule(
    sample: Sample, tmp_path: Path
) -> None:
    # A clone dropped where the submodule was: its HEAD is the pin; only what
    # needs the deployment's gitlink (--pinned, what CI checks) cannot work.
    git(sample.deployment, "submodule", "deinit", "-q", "-f", "skyportal")
    git(sample.deployment, "rm", "-q", "--cached", "skyportal")
    git(sample.deployment, "commit", "-qm", "unregister the upstream")
    (sample.upstream).rmdir()
    git(tmp_path, "clone", "-q", str(sample.upstream_remote), str(sample.upstream))
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s1"])
    git(sample.upstream, "submodule", "update", "-q", "--init")
    status = run_cli(sample.deployment, "status")
    assert status.exit_code == 0, status.output
    assert f"skyportal pinned at {sample.commits['s1'][:7]}" in status.output
    for args in (["status", "--pinned"], ["check", "--pinned"], ["build", "--pinned"]):
        assert_one_line_error(
            run_cli(sample.deployment, *args),
            "skyportal: HEAD of the deployment records no submodule there",
            "git submodule add <url> skyportal",
        )


def test_shallow_upstream_missing_the_target(sample: Sample, tmp_path: Path) -> None:
    # A missing base: tests/test_status.py::test_shallow_upstream_missing_a_base
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(sample.deployment), str(clone))
    git(clone, "submodule", "init")
    git(clone, "config", "submodule.skyportal.url", f"file://{sample.upstream_remote}")
    git(clone, "submodule", "update", "--recursive", "--depth", "1")
    upstream = clone / "skyportal"
    assert git(upstream, "rev-parse", "--is-shallow-repository") == "true"
    # The clone holds the target (origin/main, depth 1) but not the history that
    # joins it to the pin: that is not a downgrade, and --allow-downgrade is not
    # the way out.
    result = run_cli(clone, "bump", sample.commits["s2"], "--dry-run")
    assert_one_line_error(
        result,
        "cannot tell whether target",
        "missing from this shallow clone",
        "(fix: git -C skyportal fetch --unshallow)",
    )
    assert "--allow-downgrade" not in result.stderr
    # A target made after the clone is not there at all.
    later = commit_files(sample.upstream, {"later.txt": b"later\n"}, "after the clone")
    result = run_cli(clone, "bump", later, "--dry-run")
    assert_one_line_error(
        result, f"skyportal: unknown revision '{later}'", "git -C skyportal fetch --unshallow"
    )


def test_detached_upstream_and_deployment_heads(sample: Sample) -> None:
    git(sample.upstream, "checkout", "-q", "--detach", sample.commits["s1"])
    git(sample.deployment, "checkout", "-q", "--detach", "HEAD")
    before = _state(sample)
    assert run_cli(sample.deployment, "status").exit_code == 0
    assert run_cli(sample.deployment, "status", "--pinned").exit_code == 0
    assert run_cli(sample.deployment, "bump", "--choice", "merge").exit_code == 1
    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before  # both HEADs detached again, at the same commits


def test_unborn_upstream_head(sample: Sample) -> None:
    git(sample.upstream, "checkout", "-q", "--orphan", "nothing-yet")
    for args in (["status"], ["bump", "--dry-run"], ["check"], ["init"]):
        assert_one_line_error(
            run_cli(sample.deployment, *args),
            "skyportal: HEAD has no commit (unborn branch)",
            "git submodule update --init --recursive",
        )


def test_unborn_deployment_head(sample: Sample) -> None:
    git(sample.deployment, "checkout", "-q", "--orphan", "fresh")
    assert run_cli(sample.deployment, "status").exit_code == 0  # the submodule's HEAD is the pin
    assert_one_line_error(
        run_cli(sample.deployment, "status", "--pinned"),
        "the deployment has no commit yet, so no pin is recorded",
        "git add skyportal && git commit",
    )
    before = _state(sample)
    result = run_cli(sample.deployment, "bump", "--choice", "merge")
    assert_one_line_error(result, "uncommitted changes", "--force")
    assert _state(sample) == before


def test_rev_naming_a_blob(sample: Sample) -> None:
    # A tree: tests/test_bump.py::test_bad_targets
    result = run_cli(sample.deployment, "bump", "HEAD:README.md", "--dry-run")
    assert_one_line_error(result, "'HEAD:README.md' names a blob, not a commit")


# -- overlay content ---------------------------------------------------------------

TEN = [b"line %d" % i for i in range(10)]
LONG = b"x" * (2 * 1024 * 1024)  # one 2 MB line


def _lines(items: list[bytes], eol: bytes = b"\n") -> bytes:
    return b"".join(item + eol for item in items)


def _with(items: list[bytes], **changes: bytes) -> list[bytes]:
    out = list(items)
    for index, new in changes.items():
        out[int(index.removeprefix("at"))] = new
    return out


SJIS = [f"行 {i}".encode("shift_jis") for i in range(10)]
MIXED = [b"a\r\n", b"b\n", b"c\r\n", b"d\n", b"e\r\n", b"f\n", b"g\r\n", b"h\n"]

# path: (upstream at u1, overlay, upstream at u2, expected state, expected overlay after merge)
# None as the expected bytes: the overlay is left as it is (conflicts without markers).
CONTENT: dict[str, tuple[bytes, bytes, bytes, str, bytes | None]] = {
    "empty-overlay.txt": (
        _lines(TEN),
        b"",
        _lines([*TEN, b"upstream"]),
        "conflict",
        None,  # checked apart: markers around upstream's lines, nothing of ours
    ),
    "empty-upstream.txt": (b"", b"ours\n", b"", "unchanged", b"ours\n"),
    "mixed-eol.txt": (
        b"".join(MIXED),
        b"A\r\n" + b"".join(MIXED[1:]),
        b"".join(MIXED[:-1]) + b"H\n",
        "clean",
        b"A\r\n" + b"".join(MIXED[1:-1]) + b"H\n",
    ),
    "long-line.txt": (
        _lines([LONG, *TEN]),
        _lines([LONG, *_with(TEN, at9=b"ours")]),
        _lines([LONG + b"y", *TEN]),
        "clean",
        _lines([LONG + b"y", *_with(TEN, at9=b"ours")]),
    ),
    "shift_jis.txt": (
        _lines(SJIS),
        _lines([*SJIS[:9], "ours 日本".encode("shift_jis")]),
        _lines(["upstream 日本".encode("shift_jis"), *SJIS[1:]]),
        "clean",
        _lines(["upstream 日本".encode("shift_jis"), *SJIS[1:9], "ours 日本".encode("shift_jis")]),
    ),
    "utf16.txt": (  # NUL bytes: merged as binary, no markers, overlay left alone
        "a\nb\n".encode("utf-16"),
        "ours\nb\n".encode("utf-16"),
        "a\nupstream\n".encode("utf-16"),
        "binary",
        "ours\nb\n".encode("utf-16"),
    ),
    "dir with space/naïve café.py": (
        _lines(TEN),
        _lines(_with(TEN, at0=b"ours")),
        _lines(_with(TEN, at9=b"upstream")),
        "clean",
        _lines(_with(TEN, at0=b"ours", at9=b"upstream")),
    ),
    "ünïcödé conflict.py": (
        _lines(TEN),
        _lines(_with(TEN, at5=b"ours")),
        _lines(_with(TEN, at5=b"upstream")),
        "conflict",
        None,
    ),
    "no-final-newline.py": (
        _lines(TEN)[:-1],
        _lines(_with(TEN, at0=b"ours"))[:-1],
        _lines(_with(TEN, at9=b"upstream"))[:-1],
        "clean",
        _lines(_with(TEN, at0=b"ours", at9=b"upstream"))[:-1],
    ),
    "exec-by-overlay.sh": (  # the overlay's exec bit survives upstream's edit
        _lines(TEN),
        _lines(_with(TEN, at0=b"#!/bin/sh")),
        _lines(_with(TEN, at9=b"upstream")),
        "clean",
        _lines(_with(TEN, at0=b"#!/bin/sh", at9=b"upstream")),
    ),
}
LINKS = {
    # path: (upstream u1, overlay link target, upstream u2, state) - upstream side regular files
    "dangling": (b"was a file\n", "does/not/exist", b"was a file, edited\n", "binary"),
    "inside": (b"was a file\n", "skyportal/enum_types.py", b"edited upstream\n", "binary"),
    "outside": (b"was a file\n", "/", b"edited upstream\n", "binary"),
}


def _content_setup(sample: Sample, outside: Path) -> str:
    """Commit the CONTENT and LINKS cases upstream (u1 -> u2), the overlay at u1; return u2."""
    upstream = sample.upstream
    u1 = commit_files(
        upstream,
        {**{p: c[0] for p, c in CONTENT.items()}, **{p: c[0] for p, c in LINKS.items()}},
        "byte-sensitive files",
    )
    u2 = commit_files(
        upstream,
        {**{p: c[2] for p, c in CONTENT.items()}, **{p: c[2] for p, c in LINKS.items()}},
        "upstream edits them",
    )
    git(upstream, "checkout", "-q", "--detach", u1)
    for path, (_, ours, _, _, _) in CONTENT.items():
        target = sample.overlay / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(ours)
    os.chmod(sample.overlay / "exec-by-overlay.sh", 0o755)
    for path, (_, link, _, _) in LINKS.items():
        os.symlink(str(outside) if link == "/" else link, sample.overlay / path)
    _add_entries(sample, dict.fromkeys((*CONTENT, *LINKS), u1))
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "byte-sensitive overlay files")
    return u2


def test_content_survives_merge_and_abort_byte_for_byte(sample: Sample, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not the overlay's\n")
    u2 = _content_setup(sample, outside)
    before = _state(sample)
    plan = run_cli(sample.deployment, "bump", u2, "--dry-run", "--format", "json")
    states = {f["path"]: f["state"] for f in json.loads(plan.output)["files"]}
    for path, (_, _, _, state, _) in CONTENT.items():
        assert states[path] == state, path
    for path, (*_, state) in LINKS.items():
        assert states[path] == state, path

    result = run_cli(sample.deployment, "bump", u2, "--choice", "merge")
    assert result.exit_code == 1, result.output
    for path, (*_, expected) in CONTENT.items():
        if expected is not None:
            assert (sample.overlay / path).read_bytes() == expected, path
    empty = (sample.overlay / "empty-overlay.txt").read_bytes()
    assert empty.startswith(b"<<<<<<< overlay\n") and b"upstream\n" in empty
    both = (sample.overlay / "ünïcödé conflict.py").read_bytes()
    assert b"ours\n" in both and b"upstream\n" in both
    assert os.stat(sample.overlay / "exec-by-overlay.sh").st_mode & 0o777 == 0o755
    unmerged = git(sample.deployment, "ls-files", "-u", "-z")
    assert f"{OVERLAY}/ünïcödé conflict.py" in unmerged  # index stages, non-ASCII name
    for path, (_, link, _, _) in LINKS.items():  # never followed, never replaced
        assert os.readlink(sample.overlay / path) == (str(outside) if link == "/" else link)
    assert outside.read_bytes() == b"not the overlay's\n"

    assert run_cli(sample.deployment, "abort").exit_code == 0
    assert _state(sample) == before


def test_taking_upstream_over_a_symlink_replaces_the_link_not_its_target(
    sample: Sample, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not the overlay's\n")
    u2 = _content_setup(sample, outside)
    deployment = open_at(load_layout(sample.deployment))
    plan = decide(plan_bump(deployment, u2), {p: "upstream" for p in LINKS})
    apply_merge(deployment, plan)
    for path, (_, _, theirs, _) in LINKS.items():
        written = sample.overlay / path
        assert not written.is_symlink() and written.read_bytes() == theirs
    assert outside.read_bytes() == b"not the overlay's\n"
    assert (sample.overlay / "skyportal" / "enum_types.py").read_bytes() != LINKS["inside"][2]


def test_folder_where_upstream_has_a_file_and_the_reverse(sample: Sample) -> None:
    # upstream has the file README.md and the folder skyportal/models/
    (sample.overlay / "README.md").mkdir()
    (sample.overlay / "README.md" / "part.md").write_bytes(b"# a folder here\n")
    (sample.overlay / "skyportal" / "models").rename(sample.overlay / "models-moved")
    (sample.overlay / "skyportal" / "models").write_bytes(b"a file where upstream has a folder\n")
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "shapes upstream does not have")
    assert run_cli(sample.deployment, "init").exit_code == 0
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    kinds = {f["path"]: f["kind"] for f in status["files"]}
    assert kinds["README.md/part.md"] == kinds["skyportal/models"] == "addition"
    assert run_cli(sample.deployment, "bump", "--dry-run").exit_code == 1  # the sample's conflicts
    result = run_cli(sample.deployment, "build", "--allow-drift")
    assert_one_line_error(result, "README.md is a file in the upstream, not a folder")
    (sample.overlay / "README.md" / "part.md").unlink()
    (sample.overlay / "README.md").rmdir()
    result = run_cli(sample.deployment, "build", "--allow-drift")
    assert_one_line_error(
        result, "skyportal/models: the upstream has a folder at this path; cannot copy a file"
    )


def test_non_utf8_file_name(sample: Sample) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    (sample.overlay / name).write_bytes(b"latin-1 name\n")
    for args in (["status"], ["check"], ["bump", "--dry-run"], ["init"], ["build"]):
        assert_one_line_error(
            run_cli(sample.deployment, *args),
            f"{OVERLAY}/caf\\xe9.txt: cannot be an overlay file: path is not valid UTF-8",
            "add it to `exclude`",
        )
    # Excluded, as the hint says: left alone by status, still deployed by build.
    assert run_cli(sample.deployment, "--exclude", "caf*", "status").exit_code == 0
    assert run_cli(sample.deployment, "--exclude", "caf*", "build").exit_code == 0
    built = sample.deployment / "patched_skyportal" / name
    assert built.read_bytes() == b"latin-1 name\n"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        # The name is escaped: the message stays one line.
        ("new\nline.py", "new\\nline.py: cannot be an overlay file: path contains a newline"),
        ("cr\rname.py", "cr\\rname.py: cannot be an overlay file: path contains a carriage"),
    ],
)
def test_file_names_that_cannot_be_recorded(sample: Sample, name: str, needle: str) -> None:
    (sample.overlay / name).write_bytes(b"x\n")
    assert_one_line_error(run_cli(sample.deployment, "status"), needle, "rename it")


def test_special_files_in_the_overlay(sample: Sample) -> None:
    os.mkfifo(sample.overlay / "a-fifo")
    assert_one_line_error(
        run_cli(sample.deployment, "status"),
        f"{OVERLAY}/a-fifo: not a regular file or symlink",
    )


# -- a very large file ------------------------------------------------------------

BIG = 50 * 1024 * 1024


def test_a_50_mb_file_is_merged(sample: Sample) -> None:
    # The memory it takes (peak RSS, linear in its size) is reported by
    # bench/limits.py, not asserted here.
    upstream = sample.upstream
    # zlib level 1: committing 2 x 50 MB at git's default level takes seconds.
    git(upstream, "config", "core.looseCompression", "1")
    # 1 KiB lines: xdiff's cost per line is then small next to the bytes (docs/robustness.md).
    lines = [b"%01023d\n" % i for i in range(BIG // 1024)]
    body = b"".join(lines)
    u1 = commit_files(upstream, {"big.txt": body}, "a big file")
    theirs = body.replace(lines[-10], b"upstream".ljust(1023, b"-") + b"\n")
    u2 = commit_files(upstream, {"big.txt": theirs}, "upstream edits its end")
    git(upstream, "checkout", "-q", "--detach", u1)
    ours = body.replace(lines[10], b"overlay".ljust(1023, b"-") + b"\n")
    (sample.overlay / "big.txt").write_bytes(ours)
    del lines, body, theirs
    _add_entries(sample, {"big.txt": u1})
    bump = run_cli(sample.deployment, "bump", u2, "--dry-run", "--format", "json")
    assert bump.exit_code == 0  # a clean merge
    (planned,) = [f for f in json.loads(bump.output)["files"] if f["path"] == "big.txt"]
    assert planned["state"] == "clean" and planned["conflicts"] == 0
    check = run_cli(sample.deployment, "check", "--against", u2, "--format", "json")
    assert check.exit_code == 1  # stale is drift
    (checked,) = [f for f in json.loads(check.output)["files"] if f["path"] == "big.txt"]
    assert (checked["state"], checked["merge"]) == ("stale", "clean")
