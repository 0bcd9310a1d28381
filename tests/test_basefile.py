from __future__ import annotations

import posixpath
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overlay_merge.core.basefile import (
    format_base_file,
    parse_base_file,
    read_base_file,
    write_base_file,
)
from overlay_merge.core.errors import OverlayMergeError

SHA_A = "a" * 40
SHA_B = "0123456789abcdef0123456789abcdef01234567"


def test_round_trip_sorted_with_header(tmp_path: Path) -> None:
    target = tmp_path / ".overlay-base"
    entries = {"z/last.py": SHA_A, "a b/with space.py": SHA_B, "é/non-ascii.py": SHA_A}
    write_base_file(target, entries)
    text = target.read_text("utf-8")
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body == [
        f"{SHA_B}  a b/with space.py",
        f"{SHA_A}  z/last.py",
        f"{SHA_A}  é/non-ascii.py",
    ]
    assert "\r" not in text and text.endswith("\n")
    assert read_base_file(target) == entries


def test_missing_file_has_no_entries(tmp_path: Path) -> None:
    assert read_base_file(tmp_path / "absent") == {}


def test_comments_and_blank_lines_are_ignored() -> None:
    data = f"# a comment\n\n{SHA_A}  x.py\n   \n# another\n".encode()
    assert parse_base_file(data) == {"x.py": SHA_A}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f"{SHA_A[:39]}  x.py", "not a full 40-hex"),
        (f"{SHA_A[:12]}  x.py", "not a full 40-hex"),
        (f"{'g' * 40}  x.py", "not a full 40-hex"),
        (f"{SHA_A.upper()}  x.py", "not a full 40-hex"),
        (f"{SHA_A} x.py", "two spaces"),
        (f"{SHA_A}  /etc/passwd", "absolute path"),
        (f"{SHA_A}  a/../../etc/passwd", "'..' component"),
        (f"{SHA_A}  ../x.py", "'..' component"),
        (f"{SHA_A}  a/./x.py", "'.' component"),
        (f"{SHA_A}  .git/config", "'.git' component"),
        (f"{SHA_A}  sub/.GIT/hooks/pre-commit", "'.git' component"),
        (f"{SHA_A}  a//b.py", "empty path component"),
        (f"{SHA_A}  a/", "empty path component"),
        (f"{SHA_A}  a\x00b", "NUL"),
        (f"{SHA_A}  ", "empty path"),
    ],
)
def test_bad_lines_name_file_and_line(line: str, problem: str) -> None:
    data = f"# header\n{SHA_B}  a.py\n{line}\n".encode()
    with pytest.raises(OverlayMergeError) as info:
        parse_base_file(data, "deploy/.overlay-base")
    message = str(info.value)
    assert message.startswith("deploy/.overlay-base:3: ")
    assert problem in message


def test_crlf_is_refused_with_the_fix() -> None:
    with pytest.raises(OverlayMergeError, match=r"\.overlay-base:1: CRLF") as info:
        parse_base_file(f"{SHA_A}  x.py\r\n".encode())
    assert info.value.hint is not None and "sed" in info.value.hint


def test_not_utf8_is_refused() -> None:
    with pytest.raises(OverlayMergeError, match=r":2: not UTF-8"):
        parse_base_file(f"{SHA_A}  a.py\n{SHA_A}  caf".encode() + b"\xe9.py\n")


def test_duplicate_and_unsorted_entries() -> None:
    with pytest.raises(OverlayMergeError, match=r":2: duplicate entry for 'a.py'"):
        parse_base_file(f"{SHA_A}  a.py\n{SHA_B}  a.py\n".encode())
    unsorted = f"{SHA_A}  b.py\n{SHA_B}  a.py\n".encode()
    with pytest.raises(OverlayMergeError, match=r":2: entries are not sorted") as info:
        parse_base_file(unsorted)
    assert info.value.hint is not None and "overlay-merge init" in info.value.hint
    assert parse_base_file(unsorted, require_sorted=False) == {"a.py": SHA_B, "b.py": SHA_A}


def test_huge_file_is_refused() -> None:
    with pytest.raises(OverlayMergeError, match="larger than"):
        parse_base_file(b"#" * (16 * 1024 * 1024 + 1))


def test_symlinked_base_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write_base_file(real, {"a.py": SHA_A})
    link = tmp_path / ".overlay-base"
    link.symlink_to(real)
    with pytest.raises(OverlayMergeError, match="symlink"):
        read_base_file(link)


def test_write_is_atomic_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / ".overlay-base"
    write_base_file(target, {"a.py": SHA_A})
    write_base_file(target, {"a.py": SHA_B, "b.py": SHA_A})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".overlay-base"]
    assert read_base_file(target) == {"a.py": SHA_B, "b.py": SHA_A}


def test_writer_refuses_what_the_reader_would() -> None:
    with pytest.raises(ValueError, match="unsafe path"):
        format_base_file({"../x": SHA_A})
    with pytest.raises(ValueError, match="40-hex"):
        format_base_file({"x": "abc"})


# -- properties -------------------------------------------------------------------

_component = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00\n\r"),
    min_size=1,
    max_size=12,
)
_paths = st.lists(_component, min_size=1, max_size=5).map("/".join)
_shas = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)


@settings(max_examples=300)
@given(st.dictionaries(_paths, _shas, max_size=20))
def test_write_then_read_returns_the_same_entries(entries: dict[str, str]) -> None:
    try:
        data = format_base_file(entries)
    except ValueError:
        # Only unsafe paths are refused by the writer: the reader must agree.
        return
    assert parse_base_file(data) == entries


@settings(max_examples=500)
@given(st.text(max_size=80))
def test_no_accepted_path_escapes_the_overlay(path: str) -> None:
    try:
        entries = parse_base_file(f"{SHA_A}  {path}\n".encode("utf-8", "surrogatepass"))
    except OverlayMergeError:
        return
    for accepted in entries:
        joined = posixpath.normpath(posixpath.join("/overlay", accepted))
        assert joined.startswith("/overlay/")
        assert ".git" not in [p.lower() for p in accepted.split("/")]
        assert "\x00" not in accepted and "\n" not in accepted


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_parser_raises_only_its_own_error(data: bytes) -> None:
    try:
        parse_base_file(data)
    except OverlayMergeError:
        pass
