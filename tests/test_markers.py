"""The one conflict-marker grammar: marker lines, own content lines, hunks (pure bytes logic).

The CLI attacks (every broken-marker shape through resolve, check, build and
status) and the property test that every consumer agrees are at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from conftest import run_cli
from gitutil import commit_files, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multihunk import OURS as SETTINGS
from multihunk import OVERLAY, PATH, MultiHunk, make_multi_hunk

from overlay_merge.core.basefile import read_base_file, write_base_file
from overlay_merge.core.build import build
from overlay_merge.core.check import compute_check
from overlay_merge.core.deployment import Deployment, open_at
from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.deployment import open_deployment
from overlay_merge.core.hunks import Malformed, MalformedError, parse, split_lines
from overlay_merge.core.journal import load_journal
from overlay_merge.core.layout import load_layout
from overlay_merge.core.markers import (
    OwnLines,
    conflict_lines,
    first_marker_line,
    has_conflict_markers,
    marker_kind,
    marker_lines,
    narrow_markers,
)
from overlay_merge.core.ownlines import own_lines
from overlay_merge.core.resolve import resolve_files
from overlay_merge.core.status import compute_status
from overlay_merge.core.takes import conflict_paths, load_conflict, take_hunks
from overlay_merge.demo import Sample

OURS = b"overlay"
THEIRS = b"upstream def5678"
LABELS = (b"base abc1234", OURS, THEIRS)
THEIRS_END = ">>>>>>> upstream def5678"


def lines(*items: str, eol: str = "\n") -> bytes:
    return "".join(item + eol for item in items).encode()


CONFLICT = lines(
    "a",
    "<<<<<<< overlay",
    "X",
    "||||||| base abc1234",
    "b",
    "=======",
    "Y",
    ">>>>>>> upstream def5678",
    "c",
)
MERGE_STYLE = lines("<<<<<<< overlay", "X", "=======", "Y", ">>>>>>> upstream def5678")


# -- the grammar: which lines are marker lines ----------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        CONFLICT,
        MERGE_STYLE,
        CONFLICT.replace(b"\n", b"\r\n"),
        lines("<<<<<<< HEAD", "x", "=======", "y", ">>>>>>> feature"),
        b"<<<<<<< a\n>>>>>>> b",  # no final newline
        # Bare markers, as rerere stores them.
        lines("<<<<<<<", "x", "=======", "y", ">>>>>>>"),
        lines("<<<<<<<", "x", "=======", "y", ">>>>>>>", eol="\r\n"),
        # Truncated hunks and lone markers: each one still a conflict.
        lines("<<<<<<< overlay", "x", "=======", "y"),  # no end
        lines("<<<<<<< overlay", "x", "y", ">>>>>>> upstream"),  # no separator
        lines("x", "=======", "y", ">>>>>>> upstream"),  # no start
        lines("x", ">>>>>>> upstream"),  # only an end marker
        lines(">>>>>>> upstream", "x", "<<<<<<< overlay"),  # end before start
        lines("Title", "======="),  # a lone separator (unless it is the file's own line)
        lines("|||||||"),
        lines("||||||| base abc1234", "x"),
        b"a\n>>>>>>>",  # a lone end at the end of the file, no newline
        b"a\n=======\r",
        lines("=======  two spaces"),  # a space and a label (here blank-led)
    ],
)
def test_marker_lines_are_conflicts(data: bytes) -> None:
    assert has_conflict_markers(data)
    assert first_marker_line(data) is not None
    assert parse(data).in_conflict


@pytest.mark.parametrize(
    "data",
    [
        b"",
        lines("plain", "text"),
        lines("<<<<<<<<", "x", "========", "y", ">>>>>>>>"),  # eight characters
        lines("||||||||", "<<<<<<<<< overlay", "======== x"),
        lines("<<<<<<", "======", ">>>>>>"),  # six
        lines(" <<<<<<< overlay", "x", "\t=======", "y", " >>>>>>> upstream"),  # indented
        lines("x <<<<<<< overlay", "=======y", "y >>>>>>> upstream"),  # mid-line, glued
        lines("<<<<<<<\tx", "=======\r\r", ">>>>>>>-"),  # no space after the marker
        b's = "<<<<<<< overlay"\nt = ">>>>>>> upstream"\n',  # quoted in code
        lines("Title", "=========", "# =======", "-------"),
        b"<<<<<<<\rx\n",  # a lone CR is no line end (git cuts lines at LF only)
    ],
)
def test_non_markers_are_not_conflicts(data: bytes) -> None:
    assert not has_conflict_markers(data)
    assert first_marker_line(data) is None
    marked = parse(data)
    assert not marked.in_conflict and marked.problem is None and not marked.hunks


def test_marker_kind_matches_the_scanner_on_every_line() -> None:
    data = b"".join(
        line + end
        for line in (b"<<<<<<<", b"<<<<<<< x", b"<<<<<<<<", b"=======", b"x", b">>>>>>>\r")
        for end in (b"\n", b"\r\n")
    )
    scanned = {m.number for m in marker_lines(data)}
    by_line = {n for n, line in enumerate(split_lines(data), 1) if marker_kind(line)}
    assert scanned == by_line == {1, 2, 3, 4, 7, 8, 11}  # line 12 is ">>>>>>>\r\r\n": no marker


def test_first_marker_line_counts_lines_at_lf() -> None:
    data = b"a\r\nb\rc\n\n" + lines("x", "=======")
    assert first_marker_line(data) == 5


# -- own lines: marker-like content is not a conflict ---------------------------------------

DOC = lines("# Resolving", "", "<<<<<<< HEAD", "ours", "=======", "theirs", ">>>>>>> feature")


def test_lines_of_the_upstream_versions_are_content() -> None:
    own = OwnLines.of(None, DOC)  # no base version, the target has the doc
    assert not has_conflict_markers(DOC, own)
    assert not parse(DOC, own).in_conflict
    # Another marker line beside them is still a conflict.
    edited = DOC + lines(">>>>>>> other")
    assert first_marker_line(edited, own) == 8
    assert parse(edited, own).problem == Malformed(8, "conflict marker without its start (<<<<<<<)")


def test_content_is_matched_line_end_aside() -> None:
    own = OwnLines.of(DOC)
    assert not has_conflict_markers(DOC.replace(b"\n", b"\r\n"), own)


def test_committed_lines_are_content_except_the_tools_own_markers() -> None:
    underlined = lines("Title", "=======", "text", "|||||||")
    assert not has_conflict_markers(underlined, OwnLines.of(committed=underlined))
    # A committed copy holding the bump's markers holds committed conflicts.
    own = OwnLines.of(committed=CONFLICT)
    assert [m.body for m in conflict_lines(CONFLICT, own)] == [
        b"<<<<<<< overlay",
        b"||||||| base abc1234",
        b">>>>>>> upstream def5678",
    ]
    assert parse(CONFLICT, own).hunks  # the separator is the one own ======= line in it


def test_own_lines_are_computed_only_when_a_marker_line_is_found() -> None:
    calls = []

    def versions() -> list[bytes | None]:
        calls.append(1)
        return [DOC]

    own = OwnLines(versions)
    assert not has_conflict_markers(lines("a", "b" * 100, "========"), own)
    parse(lines("plain"), own)
    assert calls == []
    assert not has_conflict_markers(DOC, own) and not has_conflict_markers(DOC, own)
    assert calls == [1]


# -- hunks: complete or malformed, never a guess ----------------------------------------------


def test_hunks_of_each_style_and_crlf() -> None:
    assert len(parse(CONFLICT).hunks) == len(parse(MERGE_STYLE).hunks) == 1
    assert len(parse(CONFLICT + b"middle\n" + MERGE_STYLE + CONFLICT).hunks) == 3
    crlf = CONFLICT.replace(b"\n", b"\r\n")
    assert len(parse(crlf + crlf).hunks) == 2
    # A final end marker without its line ending still closes the hunk.
    assert len(parse(MERGE_STYLE.replace(b"\n", b"\r\n")[:-2]).hunks) == 1
    assert len(parse("<<<<<<< überlay ✓\nx\n=======\ny\n>>>>>>> 上流 d\n".encode()).hunks) == 1


@pytest.mark.parametrize(
    ("data", "line", "what"),
    [
        (lines("a", "<<<<<<< overlay", "x", "=======", "y"), 2, "without its end (>>>>>>>)"),
        (lines("<<<<<<< overlay", "x", ">>>>>>> upstream"), 1, "without its separator"),
        (lines("x", "=======", "y", ">>>>>>> upstream"), 2, "without its start (<<<<<<<)"),
        (lines("a", "b", "======="), 3, "without its start"),
        (lines("<<<<<<< a", "<<<<<<< b", "=", "=======", ">>>>>>> c"), 1, "without its end"),
        (lines("<<<<<<< a", "=======", "=======", ">>>>>>> c"), 1, "a second separator"),
        (lines("<<<<<<< a", "=======", "|||||||", ">>>>>>> c"), 1, "base marker (|||||||) out"),
        (b"x\n<<<<<<<\r\ny\r\n=======\r\n", 2, "without its end"),
    ],
)
def test_truncated_hunks_are_malformed_where_they_start(data: bytes, line: int, what: str) -> None:
    marked = parse(data)
    assert marked.problem is not None
    assert (marked.problem.line, what in marked.problem.what) == (line, True)
    assert marked.render() == data
    with pytest.raises(MalformedError):
        marked.take_all("upstream")


def test_underlines_inside_a_hunk_are_refused_when_ambiguous() -> None:
    doc = lines("Title", "=======", "", "Intro")
    merged = lines(
        "Title",
        "=======",
        "<<<<<<< overlay",
        "Ours",
        "=======",  # ours' own underline: before the base section, so not the separator
        "||||||| base abc1234",
        "Base",
        "=======",  # the separator
        "Theirs",
        ">>>>>>> upstream def5678",
        "Next",
        "=======",
    )
    (hunk,) = parse(merged, OwnLines.of(doc)).hunks
    assert (hunk.ours, hunk.base, hunk.theirs) == (
        (b"Ours\n", b"=======\n"),
        (b"Base\n",),
        (b"Theirs\n",),
    )
    # An underline in the base section too: two candidates for the separator.
    ambiguous = merged.replace(b"Base\n", b"Base\n=======\n")
    marked = parse(ambiguous, OwnLines.of(doc))
    assert marked.problem is not None and "cannot be told" in marked.problem.what
    assert not marked.hunks


def test_start_lookalike_inside_a_hunk_is_never_a_silent_restart() -> None:
    # `git merge-file -p -L overlay -L base -L "upstream def5678"` (exit code 2) with
    # base 1..12, ours O1 2..11 O12, theirs "<<<<<<< overlay" 2..11 T12.
    merged = lines(
        "<<<<<<< overlay",
        "O1",
        "=======",
        "<<<<<<< overlay",  # upstream's own content line
        ">>>>>>> upstream def5678",
        *[str(i) for i in range(2, 12)],
        "<<<<<<< overlay",
        "O12",
        "=======",
        "T12",
        ">>>>>>> upstream def5678",
    )
    # Without knowing upstream's lines the file cannot be cut: refused, not guessed.
    marked = parse(merged)
    assert marked.problem == Malformed(1, "conflict marker without its end (>>>>>>>)")
    # Knowing them, upstream's "<<<<<<< overlay" line is content -- and so, by the
    # rule, is every line equal to it: what is left forms no hunk either.
    assert parse(merged, OwnLines.of(lines("<<<<<<< overlay"))).problem is not None


# -- narrow_markers ----------------------------------------------------------------------

W = 41


def wide(*items: str, eol: str = "\n") -> bytes:
    """Lines where '<', '|', '=', '>' alone stand for 41-wide markers (as the merge writes)."""
    marks = {"<": "<" * W, "|": "|" * W, "=": "=" * W, ">": ">" * W}
    return "".join(marks.get(item, item) + eol for item in items).encode()


def _narrowed(content: bytes, labels: tuple[bytes, bytes, bytes]) -> tuple[bytes, int]:
    narrowed = narrow_markers(content, labels)
    return narrowed.content, narrowed.hunks


def test_wide_markers_become_gits_labelled_markers() -> None:
    merged, hunks = _narrowed(wide("a", "<", "x", "|", "b", "=", "y", ">", "c"), LABELS)
    assert merged == lines(
        "a", "<<<<<<< overlay", "x", "||||||| base abc1234", "b", "=======", "y", THEIRS_END, "c"
    )
    assert hunks == 1


def test_empty_sides_get_their_labels() -> None:
    # libgit2 drops the label of an empty side; narrowing writes every label, as git does.
    merged, hunks = _narrowed(wide("<", "|", "a", "=", ">"), LABELS)
    assert merged == lines("<<<<<<< overlay", "||||||| base abc1234", "a", "=======", THEIRS_END)
    assert hunks == 1


def test_marker_like_content_is_left_alone_and_not_counted() -> None:
    content = ("<<<<<<< overlay", "=======", ">>>>>>>", "|||||||", "<" * 40, "<" * 42)
    merged, hunks = _narrowed(wide("<", *content, "=", *content, ">"), LABELS)
    assert merged == lines("<<<<<<< overlay", *content, "=======", *content, THEIRS_END)
    assert hunks == 1


def test_narrowing_keeps_crlf_and_counts_every_hunk() -> None:
    merged, hunks = _narrowed(
        wide("<", "x", "=", "y", ">", "<", "p", "=", "q", ">", eol="\r\n"), LABELS
    )
    assert merged == lines(
        "<<<<<<< overlay",
        "x",
        "=======",
        "y",
        THEIRS_END,
        "<<<<<<< overlay",
        "p",
        "=======",
        "q",
        THEIRS_END,
        eol="\r\n",
    )
    assert hunks == 2


# -- every broken-marker shape through the real CLI -----------------------------------------

MARKER_RE = re.compile(rb"([<|=>])\1{6}(?: .*)?")  # an independent oracle of the grammar
TOOL_RE = re.compile(rb"<{7} overlay|\|{7} base [0-9a-f]{7}|>{7} upstream [0-9a-f]{7}")


def _expected_first(data: bytes) -> int | None:
    """The first line that is a marker line (no line of these files is content)."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if MARKER_RE.fullmatch(line.removesuffix(b"\r")):
            return number
    return None


def _append(resolved: bytes, line: bytes) -> bytes:
    return resolved.rstrip(b"\n") + b"\n" + line


def _drop_first(prefix: bytes) -> Callable[[bytes, bytes], bytes]:
    def shape(conflicted: bytes, resolved: bytes) -> bytes:
        lines = split_lines(conflicted)
        at = next(i for i, line in enumerate(lines) if line.startswith(prefix))
        return b"".join(lines[:at] + lines[at + 1 :])

    return shape


def _bare(conflicted: bytes, resolved: bytes) -> bytes:
    return re.sub(rb"(?m)^([<|>]{7}) [^\n]*$", rb"\1", conflicted)


def _crlf(conflicted: bytes, resolved: bytes) -> bytes:
    return conflicted.replace(b"\n", b"\r\n")


def _insert(line: bytes) -> Callable[[bytes, bytes], bytes]:
    def shape(conflicted: bytes, resolved: bytes) -> bytes:
        lines = split_lines(resolved)
        return b"".join([*lines[:3], line, *lines[3:]])

    return shape


# name -> (shape(conflicted, resolved), what the file is: "hunks", "malformed" or "clean")
SHAPES: dict[str, tuple[Callable[[bytes, bytes], bytes], str]] = {
    "missing end": (_drop_first(b">>>>>>>"), "malformed"),
    "missing separator": (_drop_first(b"======="), "malformed"),
    "missing start": (_drop_first(b"<<<<<<<"), "malformed"),
    "missing base marker": (_drop_first(b"|||||||"), "hunks"),  # a two-way hunk then
    "lone =======": (_insert(b"=======\n"), "malformed"),
    "lone |||||||": (_insert(b"|||||||\n"), "malformed"),
    "lone labelled end": (_insert(b">>>>>>> feature\n"), "malformed"),
    "bare markers": (_bare, "hunks"),
    "bare lone start": (_insert(b"<<<<<<<\n"), "malformed"),
    "crlf markers": (_crlf, "hunks"),
    "crlf, missing end": (lambda c, r: _drop_first(b">>>>>>>")(_crlf(c, r), r), "malformed"),
    "marker at EOF without newline": (lambda c, r: _append(r, b">>>>>>>"), "malformed"),
    "8-wide <<<<<<<<": (_insert(b"<<<<<<<<\n"), "clean"),
    "8-wide ========": (_insert(b"======== x\n"), "clean"),
}


@pytest.fixture
def multi(sample: Sample) -> MultiHunk:
    return make_multi_hunk(sample)


def _state_of(sample: Sample, path: str) -> str:
    status = json.loads(run_cli(sample.deployment, "status", "--format", "json").output)
    (state,) = [f["state"] for f in status["files"] if f["path"] == path]
    return str(state)


@pytest.mark.parametrize("shape", SHAPES)
def test_during_a_bump_resolve_refuses_every_broken_shape(
    sample: Sample, multi: MultiHunk, shape: str
) -> None:
    bumped = run_cli(sample.deployment, "bump", multi.target, "--choice", "merge")
    assert bumped.exit_code == 1, bumped.output
    path = sample.deployment / OVERLAY / PATH
    conflicted = path.read_bytes()
    make, kind = SHAPES[shape]
    data = make(conflicted, parse(conflicted).take_all("overlay").render())
    path.write_bytes(data)
    if kind == "malformed":
        taken = run_cli(sample.deployment, "resolve", PATH, "--all", "--take", "upstream")
        assert taken.exit_code == 3, taken.output
        assert f"{PATH}:" in taken.output and "; fix by hand, then" in taken.output
        assert taken.output.count("\n") == 1 and path.read_bytes() == data  # nothing spliced
    result = run_cli(sample.deployment, "resolve", PATH)
    if kind == "clean":
        assert result.exit_code == 0, result.output
        assert _state_of(sample, PATH) == "up-to-date"
        return
    assert result.exit_code == 3, result.output
    assert f"{PATH}:{_expected_first(data)}: still holds conflict markers" in result.output
    assert read_base_file(sample.deployment / ".overlay-base")[PATH] == multi.base
    assert _state_of(sample, PATH) == "conflict-pending"
    assert run_cli(sample.deployment, "check").exit_code == 1
    built = run_cli(sample.deployment, "build")
    assert built.exit_code == 3 and "conflict markers" in built.output


HUNK = (
    b'<<<<<<< overlay\nNAME = "icare"\n||||||| base 1234567\nNAME = "skyportal"\n'
    b'=======\nNAME = "skyportal-app"\n>>>>>>> upstream 89abcde\n'
)


@pytest.mark.parametrize("shape", SHAPES)
def test_with_no_bump_status_check_and_build_see_every_broken_shape(
    sample: Sample, multi: MultiHunk, shape: str
) -> None:
    # The state today's tool reached by recording a broken file: no bump, markers left.
    path = sample.deployment / OVERLAY / PATH
    conflicted = SETTINGS.replace(b'NAME = "icare"\n', HUNK)
    make, kind = SHAPES[shape]
    data = make(conflicted, SETTINGS)
    path.write_bytes(data)
    expected = "up-to-date" if kind == "clean" else "conflict-pending"
    assert _state_of(sample, PATH) == expected
    checked = run_cli(sample.deployment, "check", "--format", "json")
    (entry,) = [f for f in json.loads(checked.output)["files"] if f["path"] == PATH]
    assert entry["first_marker_line"] == _expected_first(data)
    assert checked.exit_code == (0 if kind == "clean" else 1)
    built = run_cli(sample.deployment, "build")
    assert built.exit_code == (0 if kind == "clean" else 3), built.output
    if kind != "clean":
        assert f"{PATH}: conflict markers or an unresolved conflict" in built.output
        # Committed as it is: the committed copy's lines are content, except the
        # bump's own markers (`<<<<<<< overlay`...), which never are.
        git(sample.deployment, "commit", "-qam", "markers")
        planned = run_cli(sample.deployment, "bump", multi.target, "--dry-run")
        tool = [ln for ln in data.split(b"\n") if TOOL_RE.fullmatch(ln.removesuffix(b"\r"))]
        refused = planned.exit_code == 3 and "still holds conflict markers" in planned.output
        assert refused == bool(tool), planned.output
        assert _state_of(sample, PATH) == ("conflict-pending" if tool else "up-to-date")


# -- content exceptions: marker-like lines that are the file's own --------------------------

GIT_DOC = (
    b"# Resolving a conflict\n\nGit marks a conflict like this:\n\n"
    b"<<<<<<< HEAD\nour line\n=======\ntheir line\n>>>>>>> feature\n\n"
    b"Bare, as rerere stores it:\n\n<<<<<<<\n|||||||\n=======\n>>>>>>>\n\nFAQ\n=======\n"
)


def _add_upstream_doc(sample: Sample, name: str, base_doc: bytes, target_doc: bytes) -> str:
    """Commit *base_doc* (pin) then *target_doc* to upstream at *name*; return the target."""
    upstream = sample.deployment / "skyportal"
    base = commit_files(upstream, {name: base_doc}, "doc")
    target = commit_files(upstream, {name: target_doc}, "doc changed")
    git(upstream, "checkout", "-q", "--detach", base)
    bases = read_base_file(sample.deployment / ".overlay-base")
    bases[name] = base
    write_base_file(sample.deployment / ".overlay-base", bases)
    return target


def test_a_doc_of_git_markers_present_upstream_is_not_a_conflict(sample: Sample) -> None:
    name = "docs/git.md"
    ours = GIT_DOC.replace(b"# Resolving", b"# Icare: resolving")
    target = _add_upstream_doc(sample, name, GIT_DOC, GIT_DOC + b"More.\n")
    (sample.deployment / OVERLAY / name).parent.mkdir(parents=True)
    (sample.deployment / OVERLAY / name).write_bytes(ours)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "overlay doc")
    assert _state_of(sample, name) == "up-to-date"
    assert run_cli(sample.deployment, "check").exit_code == 0
    assert run_cli(sample.deployment, "build").exit_code == 0
    bumped = run_cli(sample.deployment, "bump", target, "--choice", "merge")
    assert bumped.exit_code == 0, bumped.output  # merged cleanly, nothing refused
    assert (sample.deployment / OVERLAY / name).read_bytes() == ours + b"More.\n"
    assert _state_of(sample, name) == "up-to-date"


def test_a_doc_conflict_is_resolved_hunk_by_hunk_around_its_own_marker_lines(
    sample: Sample,
) -> None:
    name = "docs/git.md"
    ours = GIT_DOC.replace(b"# Resolving", b"# Icare: resolving")
    target = _add_upstream_doc(sample, name, GIT_DOC, GIT_DOC.replace(b"# Resolving", b"# How"))
    (sample.deployment / OVERLAY / name).parent.mkdir(parents=True)
    (sample.deployment / OVERLAY / name).write_bytes(ours)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "overlay doc")
    assert run_cli(sample.deployment, "bump", target, "--choice", "merge").exit_code == 1
    taken = run_cli(sample.deployment, "resolve", name, "--all", "--take", "overlay")
    assert taken.exit_code == 0, taken.output
    assert (sample.deployment / OVERLAY / name).read_bytes() == ours
    assert _state_of(sample, name) == "up-to-date"


def test_an_addition_with_committed_underlines_is_not_a_conflict(sample: Sample) -> None:
    name = "skyportal/NOTES.rst"
    notes = b"Notes\n=======\n\nIcare only\n=======\n\n|||||||\n"
    (sample.deployment / OVERLAY / name).write_bytes(notes)
    run_cli(sample.deployment, "init")
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "notes")
    assert _state_of(sample, name) == "up-to-date"
    assert run_cli(sample.deployment, "check").exit_code == 0
    assert run_cli(sample.deployment, "build").exit_code == 0
    # A new lone marker line, in no version of the file, is a conflict again.
    (sample.deployment / OVERLAY / name).write_bytes(notes + b">>>>>>>\n")
    assert _state_of(sample, name) == "conflict-pending"


def test_committed_bump_markers_are_never_content(sample: Sample, multi: MultiHunk) -> None:
    path = sample.deployment / OVERLAY / PATH
    path.write_bytes(SETTINGS.replace(b'NAME = "icare"\n', HUNK))
    git(sample.deployment, "commit", "-qam", "committed by mistake")
    assert _state_of(sample, PATH) == "conflict-pending"
    assert run_cli(sample.deployment, "build").exit_code == 3


# -- the property: every consumer agrees on the same bytes and context ----------------------

UPSTREAM_DOC = b"Doc\n<<<<<<< HEAD\n=======\n>>>>>>> feature\n"
COMMITTED_DOC = b"Doc\n|||||||\n>>>>>>>\n<<<<<<< overlay\n"  # the last is never content
POOL = [
    b"<<<<<<< HEAD",
    b"=======",
    b">>>>>>> feature",
    b"|||||||",
    b">>>>>>>",
    b"<<<<<<< overlay",
    b"<<<<<<<",
    b"||||||| base 1234567",
    b">>>>>>> upstream 89abcde",
    b"======= x",
    b"<<<<<<<<",
    b"x",
    b"",
]
HUNKS = [
    b"<<<<<<< overlay\nx\n||||||| base 1234567\ny\n=======\nz\n>>>>>>> upstream 89abcde\n",
    b"<<<<<<<\r\nx\r\n=======\r\n>>>>>>>\r\n",
    b"<<<<<<< overlay\n=======\nx\n=======\n>>>>>>> upstream 89abcde\n",  # own =======
    b"<<<<<<< a\n<<<<<<< HEAD\n=======\n>>>>>>> b\n",
]
pieces = st.one_of(
    st.tuples(st.sampled_from(POOL), st.sampled_from([b"\n", b"\r\n", b""])).map(b"".join),
    st.sampled_from(HUNKS),
)
documents = st.lists(pieces, max_size=10).map(b"".join)


def _agreed(data: bytes, own: OwnLines) -> tuple[bool, int | None]:
    """What the pure consumers say (in conflict, first marker line), checked to agree."""
    marked = parse(data, own)
    first = first_marker_line(data, own)
    starts = [h.line for h in marked.hunks] + ([marked.problem.line] if marked.problem else [])
    assert has_conflict_markers(data, own) == marked.in_conflict == (first is not None)
    assert min(starts, default=None) == first
    assert [m.number for m in conflict_lines(data, own)][:1] == ([first] if first else [])
    return marked.in_conflict, first


@pytest.fixture
def doc_sample(sample: Sample) -> Sample:
    name = "docs/doc.md"
    _add_upstream_doc(sample, name, UPSTREAM_DOC, UPSTREAM_DOC + b"more\n")
    (sample.deployment / OVERLAY / name).parent.mkdir(parents=True)
    (sample.deployment / OVERLAY / name).write_bytes(COMMITTED_DOC)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-qm", "doc")
    return sample


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=documents)
def test_every_consumer_agrees_on_generated_files(doc_sample: Sample, data: bytes) -> None:
    name = "docs/doc.md"
    (doc_sample.deployment / OVERLAY / name).write_bytes(data)
    deployment = open_at(load_layout(doc_sample.deployment))
    base = deployment.bases()[name]
    own = own_lines(deployment, name, base=base, target=deployment.pin())
    conflict, first = _agreed(data, own)
    (status,) = [f for f in compute_status(deployment).files if f.path == name]
    assert (status.state == "conflict-pending") == conflict
    (checked,) = [f for f in compute_check(deployment).files if f.path == name]
    assert checked.first_marker_line == first
    try:
        build(deployment)
    except OverlayMergeError as exc:
        assert conflict and "conflict markers" in exc.message
    else:
        assert not conflict


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=documents)
def test_during_a_bump_resolve_and_takes_agree(
    sample: Sample, multi: MultiHunk, data: bytes
) -> None:
    deployment = open_at(load_layout(sample.deployment))
    if conflict_paths_or_none(deployment) is None:
        assert run_cli(sample.deployment, "bump", multi.target, "--choice", "merge").exit_code == 1
    path = sample.deployment / OVERLAY / PATH
    path.write_bytes(data)
    journal = load_journal(open_deployment(sample.deployment).git_dir)
    assert journal is not None
    own = own_lines(deployment, PATH, base=multi.base, target=multi.target, journal=journal)
    conflict, first = _agreed(data, own)
    loaded = load_conflict(deployment, PATH)
    assert loaded.marked.in_conflict == conflict
    assert (loaded.marked.problem is not None) == loaded.note.startswith("line ")
    (checked,) = [f for f in compute_check(deployment).files if f.path == PATH]
    assert checked.first_marker_line == first
    if conflict:
        with pytest.raises(OverlayMergeError, match=f"{PATH}:{first}: still holds"):
            resolve_files(deployment, [PATH])
        if loaded.marked.problem is not None:
            with pytest.raises(OverlayMergeError, match="fix by hand"):
                take_hunks(deployment, PATH, None, "upstream")
            assert path.read_bytes() == data


def conflict_paths_or_none(deployment: Deployment) -> list[str] | None:
    try:
        return conflict_paths(deployment)
    except OverlayMergeError:
        return None
