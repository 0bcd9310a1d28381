"""The three-way merge: ``git.merge.merge_file`` (libgit2) and the per-file policy
``contentmerge.merge_sides``.

``git merge-file`` is the oracle: for the same inputs and labels, the merged
bytes (merged with wide markers, then narrowed to git's labelled 7-wide ones
as the bump does) must be byte-identical to git's, and git's exit code is
the number of conflicts.
"""

from __future__ import annotations

import gc
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overlay_merge.core.contentmerge import MergeOutcome, merge_sides
from overlay_merge.core.git.merge import merge_file
from overlay_merge.core.git.model import MODE_BLOB, MODE_EXEC, MODE_LINK
from overlay_merge.core.hunks import parse
from overlay_merge.core.markers import WIDE_MARKER_SIZE, OwnLines, narrow_markers
from overlay_merge.core.model import Side

Style = Literal["merge", "diff3", "zdiff3"]
STYLES: tuple[Style, ...] = ("merge", "diff3", "zdiff3")
LABELS = ("base abc1234", "overlay", "upstream def5678")
ENCODED = (b"base abc1234", b"overlay", b"upstream def5678")
OURS_START = b"<<<<<<< overlay"
BASE_MARK = b"||||||| base abc1234"
THEIRS_END = b">>>>>>> upstream def5678"


def lines(*items: str, eol: str = "\n") -> bytes:
    return "".join(item + eol for item in items).encode()


BASE = lines("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")


def hunk_count(content: bytes) -> int:
    """The complete hunks of merged *content* (the one marker grammar; none malformed)."""
    parsed = parse(content)
    assert parsed.problem is None
    return len(parsed.hunks)


def merge(
    base: bytes | None, ours: bytes, theirs: bytes, style: Style = "zdiff3"
) -> tuple[bytes | None, bool]:
    """``merge_file`` as the bump calls it: wide markers, then narrowed and labelled."""
    content, clean = merge_file(
        base, ours, theirs, labels=LABELS, style=style, marker_size=WIDE_MARKER_SIZE
    )
    if content is not None and not clean:
        content = narrow_markers(content, ENCODED).content
    return content, clean


def git_merge_file(
    base: bytes | None, ours: bytes, theirs: bytes, style: Style
) -> tuple[bytes, int]:
    """``git merge-file -p`` on the three texts: (stdout, exit code = number of conflicts)."""
    flags = {"merge": [], "diff3": ["--diff3"], "zdiff3": ["--zdiff3"]}[style]
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, name) for name in ("ours", "base", "theirs")]
        for path, data in zip(paths, (ours, base or b"", theirs), strict=True):
            Path(path).write_bytes(data)
        label_args = ["-L", LABELS[1], "-L", LABELS[0], "-L", LABELS[2]]
        proc = subprocess.run(
            ["git", "merge-file", "-p", *flags, *label_args, *paths],
            capture_output=True,
            check=False,
        )
    assert proc.returncode >= 0 and proc.returncode <= 127, proc.stderr
    return proc.stdout, proc.returncode


def policy(
    base: Side | None, ours: Side, theirs: Side, style: Style = "zdiff3"
) -> tuple[bytes | None, int, int]:
    merged = merge_sides(base, ours, theirs, LABELS, style)
    return merged.content, merged.mode, merged.conflict_hunks


def text(data: bytes, mode: int = MODE_BLOB) -> Side:
    return Side(data, mode)


# -- merge_file: examples ----------------------------------------------------------


def test_clean_disjoint_changes_contain_both() -> None:
    ours = BASE.replace(b"2\n", b"two\n")
    theirs = BASE.replace(b"9\n", b"nine\n")
    assert merge(BASE, ours, theirs) == (
        BASE.replace(b"2\n", b"two\n").replace(b"9\n", b"nine\n"),
        True,
    )


def test_zdiff3_conflict_exact_output_and_labels() -> None:
    base = lines("a", "b", "c", "d")
    ours = lines("a", "B1", "same", "d")
    theirs = lines("a", "B2", "same", "d")
    content, clean = merge(base, ours, theirs)
    assert not clean
    assert content == lines(
        "a",
        "<<<<<<< overlay",
        "B1",
        "||||||| base abc1234",
        "b",
        "c",
        "=======",
        "B2",
        ">>>>>>> upstream def5678",
        "same",  # zdiff3 moves the common suffix out of the conflict
        "d",
    )
    assert hunk_count(content) == 1


def test_diff3_keeps_common_lines_inside() -> None:
    base = lines("a", "b", "c", "d")
    ours = lines("a", "B1", "same", "d")
    theirs = lines("a", "B2", "same", "d")
    content, clean = merge(base, ours, theirs, "diff3")
    assert not clean
    assert content == lines(
        "a",
        "<<<<<<< overlay",
        "B1",
        "same",
        "||||||| base abc1234",
        "b",
        "c",
        "=======",
        "B2",
        "same",
        ">>>>>>> upstream def5678",
        "d",
    )


def test_merge_style_has_no_base_section() -> None:
    base = lines("a", "b", "c")
    content, clean = merge(base, lines("a", "X", "c"), lines("a", "Y", "c"), "merge")
    assert not clean
    assert content == lines(
        "a", "<<<<<<< overlay", "X", "=======", "Y", ">>>>>>> upstream def5678", "c"
    )
    assert b"|||||||" not in content


@pytest.mark.parametrize("style", STYLES)
def test_two_separate_conflicts_count_two(style: Style) -> None:
    base = lines(*[str(i) for i in range(1, 21)])
    ours = base.replace(b"\n3\n", b"\nours3\n").replace(b"\n17\n", b"\nours17\n")
    theirs = base.replace(b"\n3\n", b"\ntheirs3\n").replace(b"\n17\n", b"\ntheirs17\n")
    content, clean = merge(base, ours, theirs, style)
    assert not clean and content is not None
    assert hunk_count(content) == 2
    assert content.count(b"\n" + THEIRS_END + b"\n") == 2
    assert content.count(b"\n" + BASE_MARK + b"\n") == (0 if style == "merge" else 2)
    assert policy(text(base), text(ours), text(theirs), style) == (content, MODE_BLOB, 2)


def test_crlf_is_kept() -> None:
    base = lines("a", "b", "c", "d", "e", eol="\r\n")
    ours = lines("A", "b", "c", "d", "e", eol="\r\n")
    theirs = lines("a", "b", "c", "d", "E", eol="\r\n")
    assert merge(base, ours, theirs) == (lines("A", "b", "c", "d", "E", eol="\r\n"), True)
    content, clean = merge(base, ours, lines("Z", "b", "c", "d", "e", eol="\r\n"))
    assert not clean and content is not None
    assert content == lines(
        "<<<<<<< overlay",
        "A",
        "||||||| base abc1234",
        "a",
        "=======",
        "Z",
        ">>>>>>> upstream def5678",
        "b",
        "c",
        "d",
        "e",
        eol="\r\n",
    )
    assert b"\n" not in content.replace(b"\r\n", b"")  # markers get CRLF too
    assert hunk_count(content) == 1


def test_missing_final_newline_is_kept() -> None:
    base = b"a\nb\nc\nd\ne"
    assert merge(base, b"A\nb\nc\nd\ne", b"a\nb\nc\nd\nE") == (b"A\nb\nc\nd\nE", True)
    content, clean = merge(base, b"a\nb\nc\nd\nX", b"a\nb\nc\nd\nY")
    assert not clean and content is not None
    assert content.startswith(b"a\nb\nc\nd\n<<<<<<< overlay\nX\n")


def test_latin1_bytes_are_kept() -> None:
    base = "caf\xe9\nna\xefve\nfin\n".encode("latin-1")
    ours = "CAF\xc9\nna\xefve\nfin\n".encode("latin-1")
    theirs = "caf\xe9\nna\xefve\nFIN \xff\n".encode("latin-1")
    content, clean = merge(base, ours, theirs)
    assert (content, clean) == ("CAF\xc9\nna\xefve\nFIN \xff\n".encode("latin-1"), True)
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")


@pytest.mark.parametrize("style", STYLES)
def test_base_none_add_add_conflict_labels_every_marker(style: Style) -> None:
    ours, theirs = lines("x", "y"), lines("x", "z")
    content, clean = merge(None, ours, theirs, style)
    assert not clean and content is not None
    assert (content, clean) == merge(b"", ours, theirs, style)
    for line in content.splitlines():
        if line[:7] in (b"<<<<<<<", b"|||||||", b">>>>>>>"):
            assert line in (OURS_START, BASE_MARK, THEIRS_END)
    if style == "zdiff3":
        assert content == lines(
            "x",
            "<<<<<<< overlay",
            "y",
            "||||||| base abc1234",
            "=======",
            "z",
            ">>>>>>> upstream def5678",
        )
    # The bump merges an add/add two-way whatever the style (docs/design.md §5): no base
    # section, conflicts split at the lines both sides share, as git's merge style.
    two_way, _ = merge(None, ours, theirs, "merge")
    assert policy(None, text(ours), text(theirs), style) == (two_way, MODE_BLOB, 1)


def test_identical_sides() -> None:
    assert merge(BASE, b"new\n", b"new\n") == (b"new\n", True)
    assert merge(BASE, BASE, BASE) == (BASE, True)
    assert merge(None, b"same\n", b"same\n") == (b"same\n", True)


def test_one_side_unchanged_takes_the_other() -> None:
    assert merge(BASE, BASE, b"t\n") == (b"t\n", True)
    assert merge(BASE, b"o\n", BASE) == (b"o\n", True)


def test_empty_files() -> None:
    assert merge(b"", b"", b"") == (b"", True)
    assert merge(None, b"", b"") == (b"", True)
    assert merge(b"x\n", b"", b"") == (b"", True)
    assert merge(b"", b"", b"add\n") == (b"add\n", True)


@pytest.mark.parametrize("style", STYLES)
def test_empty_side_keeps_its_label(style: Style) -> None:
    base = lines("a", "b")
    # The overlay emptied the file while upstream edited it.
    content, clean = merge(base, b"", lines("a", "B"), style)
    assert not clean and content is not None
    middle = [] if style == "merge" else ["||||||| base abc1234", "a", "b"]
    assert content == lines(
        "<<<<<<< overlay", *middle, "=======", "a", "B", ">>>>>>> upstream def5678"
    )
    # Upstream emptied it while the overlay edited it.
    content2, clean2 = merge(base, lines("a", "B"), b"", style)
    assert not clean2
    assert content2 == lines(
        "<<<<<<< overlay", "a", "B", *middle, "=======", ">>>>>>> upstream def5678"
    )
    assert policy(text(base), text(b""), text(lines("a", "B")), style) == (content, MODE_BLOB, 1)
    assert policy(text(base), text(lines("a", "B")), text(b""), style) == (
        content2,
        MODE_BLOB,
        1,
    )


def test_large_file_merges() -> None:
    rnd = random.Random(42)
    src = [b"line %06d %d\n" % (i, rnd.randrange(10**12)) for i in range(250_000)]
    base = b"".join(src)
    assert len(base) > 5_000_000
    ours_l, theirs_l = list(src), list(src)
    for i in range(0, len(src), 1000):
        ours_l[i] = b"ours %d\n" % i
        theirs_l[i + 500] = b"theirs %d\n" % i
    theirs_l[7] = ours_l[7] = b"both\n"  # the same change on both sides
    ours_l[123_456], theirs_l[123_456] = b"O\n", b"T\n"  # one real conflict
    content, clean = merge(base, b"".join(ours_l), b"".join(theirs_l))
    assert not clean and content is not None
    assert hunk_count(content) == 1
    result = content.splitlines()
    assert sum(ln.startswith(b"ours ") for ln in result) == 250
    assert sum(ln.startswith(b"theirs ") for ln in result) == 250
    assert result.count(b"both") == 1


def test_non_ascii_labels() -> None:
    labels = ("base été", "überlay ✓", "上流 def5678")
    content, clean = merge_file(lines("a"), lines("b"), lines("c"), labels=labels)
    assert not clean and content is not None
    assert "<<<<<<< überlay ✓\n".encode() in content
    assert "||||||| base été\n".encode() in content
    assert ">>>>>>> 上流 def5678\n".encode() in content
    assert hunk_count(content) == 1
    assert merge_sides(
        text(lines("a")), text(lines("b")), text(lines("c")), labels, "zdiff3"
    ) == MergeOutcome(content, MODE_BLOB, 1)


def test_nul_bytes_are_binary() -> None:
    assert merge_file(b"a\0b\n", b"a\0c\n", b"a\0d\n", labels=LABELS) == (None, False)


def test_repeated_merges_keep_nothing_of_their_inputs_or_results() -> None:
    # Counted, not measured: Python's own count of the objects alive and of the
    # references to the inputs.  (The process's RSS over 5,000 merges, which also
    # sees libgit2's side, is reported by bench/limits.py.)
    base = lines(*[f"line {i} of the file" for i in range(200)])
    ours = base.replace(b"line 10 of", b"OURS 10 of").replace(b"line 50 of", b"OURS 50")
    theirs = base.replace(b"line 10 of", b"THEIRS 10 of").replace(b"line 150", b"THEIRS 150")
    expected = merge(base, ours, theirs)
    for _ in range(500):  # warm-up: caches, free lists
        merge(base, ours, theirs)
    references = [sys.getrefcount(side) for side in (base, ours, theirs)]
    gc.collect()
    blocks = sys.getallocatedblocks()
    for _ in range(5_000):
        assert merge_file(base, ours, theirs, labels=LABELS) == expected
    gc.collect()
    # One object kept per merge would be 5,000 more blocks (measured: under 10).
    assert sys.getallocatedblocks() - blocks < 500
    assert [sys.getrefcount(side) for side in (base, ours, theirs)] == references


# -- merge_file against git merge-file ---------------------------------------------

ORACLE_LINES = [b"a", b"b", b"c", b"d", b"", b"=======", b"caf\xe9"]


@st.composite
def edited(draw: st.DrawFn, base: list[bytes], new_line: st.SearchStrategy[bytes]) -> list[bytes]:
    """*base* after a few random line replacements, deletions and insertions."""
    out = list(base)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from("rdi"))
        if op == "i":
            out.insert(draw(st.integers(0, len(out))), draw(new_line))
        elif out:
            i = draw(st.integers(0, len(out) - 1))
            if op == "d":
                del out[i]
            else:
                out[i] = draw(new_line)
    return out


@st.composite
def oracle_triples(draw: st.DrawFn) -> tuple[bytes | None, bytes, bytes]:
    line = st.sampled_from(ORACLE_LINES)
    added = draw(st.booleans())  # base None: both sides added the file
    base = [] if added else draw(st.lists(line, max_size=10))
    ours, theirs = draw(edited(base, line)), draw(edited(base, line))
    eol = draw(st.sampled_from([b"\n", b"\r\n"]))
    final_eol = draw(st.booleans())

    def join(items: list[bytes]) -> bytes:
        data = b"".join(item + eol for item in items)
        return data if final_eol or not data else data[: -len(eol)]

    return (None if added else join(base)), join(ours), join(theirs)


@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=50, deadline=None)
@given(triple=oracle_triples())
def test_merge_matches_git_merge_file(
    style: Style, triple: tuple[bytes | None, bytes, bytes]
) -> None:
    base, ours, theirs = triple
    expected, conflicts = git_merge_file(base, ours, theirs, style)
    content, clean = merge(base, ours, theirs, style)
    assert content == expected
    assert clean == (conflicts == 0)
    if conflicts:
        # The one grammar, with the sides' own lines as content: git's hunks, or
        # (a side's own ======= inside a hunk) refused as ambiguous, never wrong hunks.
        parsed = parse(content, OwnLines.of(base, ours, theirs))
        if parsed.problem is None:
            assert len(parsed.hunks) == conflicts
        else:
            assert "cannot be told from the file's own" in parsed.problem.what
    # The bump's policy gives git's answer too; for an add/add, git's two-way one
    # whatever the style (docs/design.md §5).
    sides = None if base is None else text(base)
    if base is None:
        expected, conflicts = git_merge_file(base, ours, theirs, "merge")
    assert policy(sides, text(ours), text(theirs), style) == (expected, MODE_BLOB, conflicts)


# -- properties ------------------------------------------------------------------


@st.composite
def disjoint_changes(
    draw: st.DrawFn,
) -> tuple[list[bytes], tuple[int, int, list[bytes]], tuple[int, int, list[bytes]]]:
    """A base text and two changes (start, end, new lines) with an unchanged line between."""
    words = st.sampled_from(["alpha", "beta", "gamma", "", "x = 1", "return"])
    n = draw(st.integers(2, 25))
    base = [b"%d %s\n" % (i, draw(words).encode()) for i in range(n)]
    # first change [s1, e1), second [s2, e2) with e1 < s2 (line e1 is unchanged)
    s1 = draw(st.integers(0, n - 1))
    e1 = draw(st.integers(s1, n - 1))
    s2 = draw(st.integers(e1 + 1, n))
    e2 = draw(st.integers(s2, n))
    first = [b"first %d\n" % i for i in range(draw(st.integers(0 if e1 > s1 else 1, 3)))]
    second = [b"second %d\n" % i for i in range(draw(st.integers(0 if e2 > s2 else 1, 3)))]
    return base, (s1, e1, first), (s2, e2, second)


@settings(max_examples=100, deadline=None)
@given(case=disjoint_changes(), ours_first=st.booleans(), style=st.sampled_from(STYLES))
def test_disjoint_changes_merge_cleanly_with_both(
    case: tuple[list[bytes], tuple[int, int, list[bytes]], tuple[int, int, list[bytes]]],
    ours_first: bool,
    style: Style,
) -> None:
    base, (s1, e1, first), (s2, e2, second) = case
    one = base[:s1] + first + base[e1:]
    two = base[:s2] + second + base[e2:]
    both = base[:s1] + first + base[e1:s2] + second + base[e2:]
    ours, theirs = (one, two) if ours_first else (two, one)
    content, clean = merge(b"".join(base), b"".join(ours), b"".join(theirs), style)
    assert clean
    assert content == b"".join(both)


@st.composite
def overlapping_edits(draw: st.DrawFn) -> tuple[bytes, list[bytes], list[bytes]]:
    """A base text and two random edits of it; every line either side adds is new."""
    base = draw(st.lists(st.sampled_from([b"a\n", b"b\n", b"c\n", b"=======\n"]), max_size=12))
    ours = draw(edited(base, st.integers(0, 99).map(lambda i: b"ours %d\n" % i)))
    theirs = draw(edited(base, st.integers(0, 99).map(lambda i: b"theirs %d\n" % i)))
    return b"".join(base), ours, theirs


@settings(max_examples=100, deadline=None)
@given(case=overlapping_edits(), style=st.sampled_from(STYLES))
def test_conflicts_contain_both_sides_changed_lines(
    case: tuple[bytes, list[bytes], list[bytes]], style: Style
) -> None:
    base, ours, theirs = case
    content, clean = merge(base, b"".join(ours), b"".join(theirs), style)
    assert content is not None
    result = content.splitlines(keepends=True)
    for changed in [ln for ln in ours + theirs if ln.startswith((b"ours ", b"theirs "))]:
        assert changed in result
    if not clean:
        # In conflict by the one grammar (the base's own ======= lines are content).
        assert parse(content, OwnLines.of(base, b"".join(ours), b"".join(theirs))).in_conflict


# -- merge_sides: the per-file policy ---------------------------------------------------------

CHANGED_O = BASE.replace(b"2\n", b"two\n")
CHANGED_T = BASE.replace(b"9\n", b"nine\n")


def test_policy_trivial_resolutions() -> None:
    base = text(BASE)
    assert policy(base, text(BASE), text(CHANGED_T)) == (CHANGED_T, MODE_BLOB, 0)
    assert policy(base, text(CHANGED_O), text(BASE)) == (CHANGED_O, MODE_BLOB, 0)
    assert policy(base, text(CHANGED_O), text(CHANGED_O)) == (CHANGED_O, MODE_BLOB, 0)
    assert policy(None, text(b"same\n"), text(b"same\n")) == (b"same\n", MODE_BLOB, 0)


def test_policy_clean_merge() -> None:
    expected = BASE.replace(b"2\n", b"two\n").replace(b"9\n", b"nine\n")
    assert policy(text(BASE), text(CHANGED_O), text(CHANGED_T)) == (expected, MODE_BLOB, 0)


def test_policy_trivial_resolutions_pass_binary_through() -> None:
    base, changed = b"\x89PNG\0\x01", b"\x89PNG\0\x02"
    assert policy(text(base), text(base), text(changed)) == (changed, MODE_BLOB, 0)
    assert policy(text(base), text(changed), text(base)) == (changed, MODE_BLOB, 0)
    assert policy(text(base), text(changed), text(changed)) == (changed, MODE_BLOB, 0)


@pytest.mark.parametrize(
    ("base", "ours", "theirs"),
    [
        (b"a\0b\n", b"a\0c\n", b"a\0d\n"),  # NUL everywhere
        (b"a\nb\n", b"a\0c\n", b"a\nd\n"),  # only the overlay
        (b"a\nb\n", b"a\nc\n", b"a\0d\n"),  # only upstream
        (b"a\0b\n", b"a\nc\n", b"a\nd\n"),  # only the base
        (b"p\n" * 5000 + b"a\n", b"p\n" * 5000 + b"b\0\n", b"p\n" * 5000 + b"c\n"),  # past 8000
    ],
)
def test_policy_nul_bytes_with_both_changed_is_binary(
    base: bytes, ours: bytes, theirs: bytes
) -> None:
    assert policy(text(base), text(ours), text(theirs)) == (None, MODE_BLOB, 1)


def test_policy_nul_bytes_in_added_files_is_binary() -> None:
    assert policy(None, text(b"a\0"), text(b"b\0")) == (None, MODE_BLOB, 1)


@pytest.mark.parametrize(
    ("base_mode", "ours_mode", "theirs_mode"),
    [
        (MODE_LINK, MODE_LINK, MODE_LINK),
        (MODE_BLOB, MODE_LINK, MODE_BLOB),
        (MODE_BLOB, MODE_BLOB, MODE_LINK),
        (MODE_LINK, MODE_BLOB, MODE_BLOB),
    ],
)
def test_policy_symlink_with_both_changed_is_none(
    base_mode: int, ours_mode: int, theirs_mode: int
) -> None:
    content, _, conflicts = policy(
        Side(b"target", base_mode), Side(b"ours-target", ours_mode), Side(b"up", theirs_mode)
    )
    assert (content, conflicts) == (None, 1)


def test_policy_symlink_changed_on_one_side_is_taken() -> None:
    base = Side(b"old-target", MODE_LINK)
    assert policy(base, base, Side(b"new-target", MODE_LINK)) == (b"new-target", MODE_LINK, 0)


def test_policy_exec_bit_added_by_the_overlay_is_kept() -> None:
    base = text(BASE)
    assert policy(base, text(CHANGED_O, MODE_EXEC), text(CHANGED_T))[1:] == (MODE_EXEC, 0)
    assert policy(base, text(BASE, MODE_EXEC), text(CHANGED_T)) == (CHANGED_T, MODE_EXEC, 0)
    content, mode, conflicts = policy(
        base, text(BASE.replace(b"5\n", b"O\n"), MODE_EXEC), text(BASE.replace(b"5\n", b"T\n"))
    )
    assert (mode, conflicts) == (MODE_EXEC, 1)
    assert content is not None and OURS_START in content


def test_policy_exec_bit_added_upstream_is_taken_when_overlay_kept_base_mode() -> None:
    base = text(BASE)
    assert policy(base, text(CHANGED_O), text(CHANGED_T, MODE_EXEC))[1:] == (MODE_EXEC, 0)
    assert policy(base, text(CHANGED_O), text(BASE, MODE_EXEC)) == (CHANGED_O, MODE_EXEC, 0)
    # Upstream dropping the bit is taken the same way.
    exec_base = text(BASE, MODE_EXEC)
    assert policy(exec_base, text(CHANGED_O, MODE_EXEC), text(CHANGED_T))[1] == MODE_BLOB


def test_policy_overlay_mode_wins_when_both_changed_it() -> None:
    base = text(BASE, MODE_EXEC)
    assert policy(base, text(CHANGED_O), text(CHANGED_T, MODE_BLOB))[1] == MODE_BLOB
    assert policy(text(BASE), text(CHANGED_O, MODE_EXEC), text(CHANGED_T, MODE_LINK))[1] == (
        MODE_EXEC
    )


def test_policy_added_files_keep_the_overlay_mode() -> None:
    assert policy(None, text(b"x\n", MODE_EXEC), text(b"x\n"))[1] == MODE_EXEC
    assert policy(None, text(b"x\n"), text(b"y\n", MODE_EXEC))[1] == MODE_BLOB


# -- known defects -----------------------------------------------------------------


def test_empty_side_label_leaves_marker_lookalike_content_alone() -> None:
    base, ours, theirs = b"a", b"=======\n>>>>>>>", b""
    expected, conflicts = git_merge_file(base, ours, theirs, "merge")
    assert conflicts == 1
    assert expected == b"<<<<<<< overlay\n=======\n>>>>>>>\n=======\n>>>>>>> upstream def5678\n"
    assert policy(text(base), text(ours), text(theirs), "merge") == (expected, MODE_BLOB, 1)
