"""Conflict markers: detection, counting hunks, labelling empty sides (pure bytes logic)."""

from __future__ import annotations

import pytest

from overlay_merge.core.markers import count_conflicts, has_conflict_markers, narrow_markers

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


# -- has_conflict_markers ------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        CONFLICT,
        MERGE_STYLE,
        CONFLICT.replace(b"\n", b"\r\n"),
        lines("<<<<<<< HEAD", "x", "=======", "y", ">>>>>>> feature"),
        b"<<<<<<< a\n>>>>>>> b",  # no final newline
    ],
)
def test_git_markers_are_detected(data: bytes) -> None:
    assert has_conflict_markers(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        lines("plain", "text"),
        lines("<<<<<<<", "x", "=======", "y", ">>>>>>>"),  # no space after the markers
        lines("<<<<<<<<", "x", "=======", "y", ">>>>>>>>"),  # eight characters
        lines("<<<<<<< overlay", "x", "=======", "y"),  # only a start marker
        lines("x", ">>>>>>> upstream"),  # only an end marker
        lines(">>>>>>> upstream", "x", "<<<<<<< overlay"),  # end before start
        lines(" <<<<<<< overlay", "x", "=======", "y", " >>>>>>> upstream"),  # indented
        lines("x <<<<<<< overlay", "=======", "y >>>>>>> upstream"),  # mid-line
        b's = "<<<<<<< overlay"\nt = ">>>>>>> upstream"\n',  # quoted in code
        lines("Title", "======="),  # a setext/rst underline alone
        lines("======="),
    ],
)
def test_non_markers_are_not_detected(data: bytes) -> None:
    assert not has_conflict_markers(data)


# -- count_conflicts ----------------------------------------------------------------


def test_counts_one_hunk_of_each_style() -> None:
    assert count_conflicts(CONFLICT, OURS, THEIRS) == 1
    assert count_conflicts(MERGE_STYLE, OURS, THEIRS) == 1


def test_counts_separate_hunks() -> None:
    assert count_conflicts(CONFLICT + b"middle\n" + MERGE_STYLE + CONFLICT, OURS, THEIRS) == 3


def test_no_markers_count_zero() -> None:
    assert count_conflicts(b"", OURS, THEIRS) == 0
    assert count_conflicts(lines("a", "b"), OURS, THEIRS) == 0


def test_counts_crlf_terminated_markers() -> None:
    crlf = CONFLICT.replace(b"\n", b"\r\n")
    assert count_conflicts(crlf, OURS, THEIRS) == 1
    assert count_conflicts(crlf + crlf, OURS, THEIRS) == 2
    # A final end marker without its line ending still closes the hunk.
    assert count_conflicts(MERGE_STYLE.replace(b"\n", b"\r\n")[:-2], OURS, THEIRS) == 1


def test_markdown_and_rst_underlines_are_not_counted() -> None:
    doc = lines("Title", "=======", "", "Intro", "", "Section", "=======", "text")
    assert count_conflicts(doc, OURS, THEIRS) == 0
    # Underlines outside, before and inside the hunk do not change the count.
    merged = lines(
        "Title",
        "=======",
        "<<<<<<< overlay",
        "Ours",
        "=======",  # ours' own underline
        "||||||| base abc1234",
        "Base",
        "=======",  # the base's underline
        "=======",  # the separator
        "Theirs",
        "=======",  # theirs' underline
        ">>>>>>> upstream def5678",
        "Next",
        "=======",
    )
    assert count_conflicts(merged, OURS, THEIRS) == 1


def test_marker_like_content_lines_are_not_counted() -> None:
    content = lines(
        "<<<<<<< overlay",  # a content line that looks like a start marker
        "text",
        ">>>>>>> upstream def5678",  # ... and one like an end marker, with no separator between
        "<<<<<<< overlay",
        "x",
        "=======",
        "y",
        ">>>>>>> upstream def5678",
        ">>>>>>> upstream def5678",  # a stray end after the hunk
        "=======",
    )
    assert count_conflicts(content, OURS, THEIRS) == 1


def test_other_labels_and_incomplete_hunks_are_not_counted() -> None:
    assert (
        count_conflicts(lines("<<<<<<< HEAD", "x", "=======", "y", ">>>>>>> b"), OURS, THEIRS) == 0
    )
    assert count_conflicts(lines("<<<<<<< overlay", "x", "=======", "y"), OURS, THEIRS) == 0
    assert (
        count_conflicts(lines("<<<<<<< overlay", "x", ">>>>>>> upstream def5678"), OURS, THEIRS)
        == 0
    )
    # The label must match in full: a prefix of it is another label.
    assert count_conflicts(MERGE_STYLE, b"over", b"upstream") == 0
    assert count_conflicts(CONFLICT, OURS, b"upstream def5678 extra") == 0


def test_non_ascii_labels_are_counted() -> None:
    content = "<<<<<<< überlay ✓\nx\n=======\ny\n>>>>>>> 上流 d\n".encode()
    assert count_conflicts(content, "überlay ✓".encode(), "上流 d".encode()) == 1


def test_start_marker_lookalike_inside_theirs_section_is_not_a_restart() -> None:
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
    assert count_conflicts(merged, OURS, THEIRS) == 2


# -- narrow_markers ----------------------------------------------------------------------

W = 41


def wide(*items: str, eol: str = "\n") -> bytes:
    """Lines where '<', '|', '=', '>' alone stand for 41-wide markers (as the merge writes)."""
    marks = {"<": "<" * W, "|": "|" * W, "=": "=" * W, ">": ">" * W}
    return "".join(marks.get(item, item) + eol for item in items).encode()


def test_wide_markers_become_gits_labelled_markers() -> None:
    merged, hunks = narrow_markers(wide("a", "<", "x", "|", "b", "=", "y", ">", "c"), LABELS)
    assert merged == lines(
        "a", "<<<<<<< overlay", "x", "||||||| base abc1234", "b", "=======", "y", THEIRS_END, "c"
    )
    assert hunks == 1


def test_empty_sides_get_their_labels() -> None:
    # libgit2 drops the label of an empty side; narrowing writes every label, as git does.
    merged, hunks = narrow_markers(wide("<", "|", "a", "=", ">"), LABELS)
    assert merged == lines("<<<<<<< overlay", "||||||| base abc1234", "a", "=======", THEIRS_END)
    assert hunks == 1


def test_marker_like_content_is_left_alone_and_not_counted() -> None:
    content = ("<<<<<<< overlay", "=======", ">>>>>>>", "|||||||", "<" * 40, "<" * 42)
    merged, hunks = narrow_markers(wide("<", *content, "=", *content, ">"), LABELS)
    assert merged == lines("<<<<<<< overlay", *content, "=======", *content, THEIRS_END)
    assert hunks == 1


def test_narrowing_keeps_crlf_and_counts_every_hunk() -> None:
    merged, hunks = narrow_markers(
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
