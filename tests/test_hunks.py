"""The hunk model (core/hunks.py): parse, take, render; git merge-file as the oracle.

The merges are the bump's own (libgit2 with wide markers, narrowed to git's
labelled ones); taking a side on every hunk must give what ``git merge-file``
gives with ``--ours`` (overlay), ``--theirs`` (upstream) and ``--union``
(both, overlay first), byte for byte, line ends and missing final newlines
included.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overlay_merge.core.git.merge import merge_file
from overlay_merge.core.git.model import MergeStyle
from overlay_merge.core.hunks import (
    EQUAL,
    QUOTES,
    WHITESPACE,
    WHITESPACE_AND_QUOTES,
    Malformed,
    MalformedError,
    cosmetic_change,
    parse,
    split_lines,
    with_bases,
)
from overlay_merge.core.markers import WIDE_MARKER_SIZE, narrow_markers
from overlay_merge.core.model import HunkTake
from overlay_merge.core.views import Conflict, conflicts_in

LABELS = ("base 1111111", "overlay", "upstream 2222222")


def bump_merge(base: bytes, ours: bytes, theirs: bytes, style: MergeStyle) -> bytes:
    """The merge exactly as the bump writes it (plan._merge's marker handling)."""
    content, clean = merge_file(
        base, ours, theirs, labels=LABELS, style=style, marker_size=WIDE_MARKER_SIZE
    )
    assert content is not None
    if clean:
        return content
    encoded = (LABELS[0].encode(), LABELS[1].encode(), LABELS[2].encode())
    return narrow_markers(content, encoded).content


def git_merge_file(base: bytes, ours: bytes, theirs: bytes, *flags: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(str(path))
        done = subprocess.run(
            ["git", "-c", "merge.conflictstyle=merge", "merge-file", "-p", *flags, *paths],
            capture_output=True,
            check=False,
        )
        assert done.returncode >= 0, done.stderr
        return done.stdout


def tails(ours: bytes, theirs: bytes) -> dict[str, bytes]:
    """Each side's unterminated last line (what git's markers end with a newline)."""
    return {
        side: data.rsplit(b"\n", 1)[-1]
        for side, data in (("ours", ours), ("theirs", theirs))
        if data and not data.endswith(b"\n")
    }


# -- parse and render -------------------------------------------------------------

MARKERISH = [
    b"<<<<<<< overlay",
    b"<<<<<<<",
    b"<<<<<<<<",
    b"||||||| base 1",
    b"|||||||",
    b"=======",
    b"========",
    b">>>>>>> upstream 2",
    b">>>>>>>",
    b"x",
    b"",
    b"\r",
    b"y\r",
]
marked_lines = st.lists(
    st.tuples(st.sampled_from(MARKERISH), st.sampled_from([b"\n", b"\r\n", b""])),
    max_size=30,
).map(lambda pairs: b"".join(line + end for line, end in pairs))


@given(st.binary() | marked_lines)
@settings(max_examples=400)
def test_parse_then_render_is_the_identity(data: bytes) -> None:
    marked = parse(data)
    assert marked.render() == data
    assert b"".join(split_lines(data)) == data
    # Hunk lines point at their start markers.
    lines = split_lines(data)
    for hunk in marked.hunks:
        assert lines[hunk.line - 1] == hunk.start
        assert hunk.raw() in data


@given(marked_lines)
@settings(max_examples=300)
def test_views_count_the_same_conflicts(data: bytes) -> None:
    """The merge preview's conflict N (views.conflicts_in) is hunk N."""
    assert [c.start + 1 for c in conflicts_in(data)] == [h.line for h in parse(data).hunks]


def test_a_sample_with_every_kind_of_part() -> None:
    data = (
        b"top\r\n"
        b"<<<<<<< overlay\r\nours 1\r\n||||||| base 1\r\nbase 1\r\n=======\r\ntheirs 1\r\n"
        b">>>>>>> upstream 2\r\n"
        b"middle\n"
        b"<<<<<<< overlay\nours 2\n=======\n>>>>>>> upstream 2\n"
        b"<<<<<<< overlay\nnever closed\n"
    )
    marked = parse(data)
    first, second = marked.hunks
    assert (first.line, first.ours, first.base, first.theirs) == (
        2,
        (b"ours 1\r\n",),
        (b"base 1\r\n",),
        (b"theirs 1\r\n",),
    )
    assert (second.line, second.base, second.theirs) == (10, None, ())
    assert conflicts_in(data) == [Conflict(1, 3, 5, 7), Conflict(9, None, 11, 12)]
    # The hunk never closed makes the file malformed: no hunk is taken from it.
    assert marked.problem == Malformed(14, "conflict marker without its end (>>>>>>>)")
    with pytest.raises(MalformedError):
        marked.take([2], "overlay")
    whole = parse(data.removesuffix(b"<<<<<<< overlay\nnever closed\n"))
    assert whole.problem is None
    taken = whole.take([2], "overlay")
    assert [h.line for h in taken.hunks] == [2]
    assert taken.render() == whole.render().replace(
        b"<<<<<<< overlay\nours 2\n=======\n>>>>>>> upstream 2\n", b"ours 2\n"
    )
    with pytest.raises(IndexError):
        whole.take([3], "overlay")


# -- the oracle: git merge-file --ours / --theirs / --union ----------------------------------

ORACLE_FLAGS = {"overlay": "--ours", "upstream": "--theirs", "both": "--union"}
words = st.sampled_from([b"a", b"b", b"c", b"d", b"e", b"x = 'q'", b'x = "q"', b"  "])


@st.composite
def three_sides(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    """A base and two edits of it, with LF or CRLF and optional final newlines."""
    base = draw(st.lists(words, max_size=12))

    def edit() -> list[bytes]:
        lines = list(base)
        for _ in range(draw(st.integers(0, 4))):
            where = draw(st.integers(0, len(lines)))
            action = draw(st.sampled_from(["insert", "delete", "replace"]))
            if action == "insert" or not lines or where == len(lines):
                lines.insert(where, draw(words))
            elif action == "delete":
                del lines[where]
            else:
                lines[where] = draw(words)
        return lines

    def join(lines: list[bytes]) -> bytes:
        end = draw(st.sampled_from([b"\n", b"\r\n"]))
        data = b"".join(line + end for line in lines)
        if data and draw(st.booleans()):
            data = data[: -len(end)]  # no final newline
        return data

    return join(base), join(edit()), join(edit())


@given(three_sides(), st.sampled_from(["zdiff3", "diff3", "merge"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_taking_a_side_everywhere_is_what_git_merge_file_gives(
    sides: tuple[bytes, bytes, bytes], style: MergeStyle
) -> None:
    base, ours, theirs = sides
    merged = parse(bump_merge(base, ours, theirs, style))
    assert merged.render() == bump_merge(base, ours, theirs, style)
    for take, flag in ORACLE_FLAGS.items():
        if take == "both" and style != "merge":
            continue  # see test_both_is_the_union_of_the_sections_shown
        got = merged.take_all(take, tails(ours, theirs)).render()  # type: ignore[arg-type]
        assert got == git_merge_file(base, ours, theirs, flag), (take, merged)
    assert not merged.take_all("both-upstream-first").hunks


def test_both_is_the_union_of_the_sections_shown() -> None:
    """``both`` keeps the two sections as the markers show them.

    git's ``--union`` first splits a conflict where the sides share lines
    (as ``--style merge`` markers show it); diff3 and zdiff3 markers show the
    unsplit conflict, so there ``both`` keeps a shared line twice, as shown.
    """
    base, ours, theirs = b"a\r\n", b"a\n", b"a\na\n"
    assert git_merge_file(base, ours, theirs, "--union") == b"a\na\n"
    for style, both in (("merge", b"a\na\n"), ("zdiff3", b"a\na\n"), ("diff3", b"a\na\na\n")):
        merged = parse(bump_merge(base, ours, theirs, style))  # type: ignore[arg-type]
        assert merged.take_all("both").render() == both, style


def test_both_upstream_first_puts_upstream_first() -> None:
    base, ours, theirs = b"a\nb\nc\n", b"a\nB1\nc\n", b"a\nB2\nc\n"
    merged = parse(bump_merge(base, ours, theirs, "zdiff3"))
    assert merged.take_all("both-upstream-first").render() == b"a\nB2\nB1\nc\n"
    assert merged.take_all("both").render() == b"a\nB1\nB2\nc\n"
    assert set(HunkTake) == {"overlay", "upstream", "both", "both-upstream-first"}


def test_a_missing_final_newline_comes_back_only_at_the_end() -> None:
    base, ours, theirs = b"a\r\nb\r\nc", b"a\r\nb\r\nX", b"a\r\nb\r\nY"
    merged = parse(bump_merge(base, ours, theirs, "zdiff3"))
    assert merged.hunks[0].ours == (b"X\r\n",)  # git ended the line in the markers
    assert merged.take_all("overlay", tails(ours, theirs)).render() == b"a\r\nb\r\nX"
    assert merged.take_all("both", tails(ours, theirs)).render() == b"a\r\nb\r\nX\r\nY"
    assert merged.take_all("overlay").render() == b"a\r\nb\r\nX\r\n"  # without the sides


# -- the base of two-way hunks -----------------------------------------------------------


def test_two_way_hunks_borrow_the_base_of_the_diff3_merge() -> None:
    middle = b"b = 1\nc = 1\nd = 1\ne = 1\n"
    base = b"a = 1\n" + middle + b"z = 1\n"
    ours = b"a = 'o'\n" + middle + b"z = 'o'\n"
    theirs = b"a = 't'\n" + middle + b"z = 't'\n"
    two_way = parse(bump_merge(base, ours, theirs, "merge")).hunks
    reference = parse(bump_merge(base, ours, theirs, "zdiff3"))
    assert len(two_way) == 2 and all(h.base is None for h in two_way)
    based = with_bases(two_way, reference)
    assert [(h.base, exact) for h, exact in based] == [
        ((b"a = 1\n",), True),
        ((b"z = 1\n",), True),
    ]


def test_two_way_hunks_joined_by_git_get_the_base_of_the_whole_stretch() -> None:
    # Conflicts one line apart: the two-way style joins them, zdiff3 does not.
    base = b"def f():\n    return 1\n\nx = 1\n"
    ours = b"def f():\n    return 2\n\nx = 'o'\n"
    theirs = b"def f():\n    return 3\n\nx = 't'\n"
    (joined,) = parse(bump_merge(base, ours, theirs, "merge")).hunks
    reference = parse(bump_merge(base, ours, theirs, "zdiff3"))
    assert len(reference.hunks) == 2
    ((hunk, exact),) = with_bases([joined], reference)
    assert hunk.base == (b"    return 1\n", b"\n", b"x = 1\n") and not exact


@given(three_sides())
@settings(max_examples=100, deadline=None)
def test_every_two_way_hunk_finds_its_base(sides: tuple[bytes, bytes, bytes]) -> None:
    base, ours, theirs = sides
    two_way = parse(bump_merge(base, ours, theirs, "merge")).hunks
    reference = parse(bump_merge(base, ours, theirs, "zdiff3"))
    based = with_bases(two_way, reference)
    assert all(hunk.base is not None for hunk, _ in based)
    for hunk, exact in based:
        if exact:
            assert any(
                (r.ours, r.theirs, r.base) == (hunk.ours, hunk.theirs, hunk.base)
                for r in reference.hunks
            )


# -- whitespace and quotes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "base", "kind"),
    [
        ([b"x = 1\n"], [b"x = 1\n"], EQUAL),
        ([b"x  =   1  \r\n", b"\n"], [b"x = 1\n"], WHITESPACE),
        ([b"x = 'a'\n"], [b'x = "a"\n'], QUOTES),
        ([b"x  = 'a'\n"], [b'x = "a"\n'], WHITESPACE_AND_QUOTES),
        ([b"    x = 1\n"], [b"x = 1\n"], None),  # indentation is code
        ([b"x = 2\n"], [b"x = 1\n"], None),
        ([], [b"x = 1\n"], None),
    ],
)
def test_cosmetic_changes(side: list[bytes], base: list[bytes], kind: str | None) -> None:
    assert cosmetic_change(side, base) == kind


# -- work grows linearly ----------------------------------------------------------------------


def _blocks(count: int) -> bytes:
    """*count* blocks of 390 text lines, each followed by a diff3 conflict hunk."""
    chunks = []
    for i in range(count):
        chunks.append(b"".join(b"line %d of block %d\n" % (j, i) for j in range(390)))
        chunks.append(
            b"<<<<<<< overlay\nours %d\n||||||| base 1\nbase %d\n=======\ntheirs %d\n"
            b">>>>>>> upstream 2\n" % (i, i, i)
        )
    return b"".join(chunks)


def _calls(work: Callable[[], object]) -> int:
    """How many functions (Python and C) *work* calls: its work, counted rather than timed."""
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def _parse_render_take(data: bytes, hunks: int) -> None:
    marked = parse(data)
    assert marked.render() == data
    taken = marked.take([hunks // 2], "both")
    assert len(marked.hunks) == hunks and len(taken.hunks) == hunks - 1


def test_a_20000_line_file_with_50_hunks_parses_in_work_linear_in_its_hunks() -> None:
    # How long it takes is measured by bench/limits.py, never asserted here.
    small, large = _blocks(25), _blocks(50)
    assert large.count(b"\n") > 19_500
    _parse_render_take(small, 25)  # warm-up: first calls fill caches (re, imports)
    ratio = _calls(lambda: _parse_render_take(large, 50)) / _calls(
        lambda: _parse_render_take(small, 25)
    )
    # Twice the hunks (and lines): twice the calls (measured 2.01); quadratic would be 4.
    assert ratio < 2.2, ratio
