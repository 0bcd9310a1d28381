"""Real-repository tests of the changes between upstream commits (``core/git/changes.py``),
nested submodules' files included.

The oracle is the ``git`` executable run on the same repositories (tests/gitoracle.py).
"""

from __future__ import annotations

import pytest
from gitoracle import (
    NESTED,
    as_set,
    name_status,
    nested_checkout,
    rev_parse,
    upstream_of,
    upstream_variations,
)
from gitutil import commit_files, git

from overlay_merge.demo import Sample


@pytest.fixture
def variations(sample: Sample) -> dict[str, str]:
    """Upstream commits on top of s1: see :func:`gitoracle.upstream_variations`."""
    return upstream_variations(sample)


# --- changes --------------------------------------------------------------------------


def test_changes_match_git_diff_including_nested(sample: Sample) -> None:
    upstream = upstream_of(sample)
    s1, s2 = sample.commits["s1"], sample.commits["s2"]
    top = name_status(sample.upstream, s1, s2)
    # git lists the moved gitlink itself; changes() expands it into the nested files.
    assert ("M", NESTED, None) in top
    old_link = rev_parse(sample.upstream, f"{s1}:{NESTED}")
    new_link = rev_parse(sample.upstream, f"{s2}:{NESTED}")
    inner = name_status(nested_checkout(sample), old_link, new_link)
    assert inner  # b1 -> b2 changed something
    expected = {c for c in top if c[1] != NESTED} | {
        (status, f"{NESTED}/{path}", f"{NESTED}/{old}" if old else None)
        for status, path, old in inner
    }
    changes = upstream.changes(s1, s2)
    assert as_set(changes) == expected
    assert len(changes) == len(expected)
    renamed = [c for c in changes if c.status == "R"]
    assert [(c.old_path, c.path) for c in renamed] == [
        ("skyportal/utils/calculations.py", "skyportal/utils/calc.py")
    ]
    assert 50 <= renamed[0].similarity < 100
    assert sample.renamed_to == {"skyportal/utils/calculations.py": "skyportal/utils/calc.py"}
    # Backwards: git's answer for s2 -> s1, the gitlink again expanded.
    backwards = {c for c in name_status(sample.upstream, s2, s1) if c[1] != NESTED}
    backwards |= {
        (status, f"{NESTED}/{path}", None)
        for status, path, _ in name_status(nested_checkout(sample), new_link, old_link)
    }
    assert ("R", "skyportal/utils/calculations.py", "skyportal/utils/calc.py") in backwards
    assert as_set(upstream.changes(s2, s1)) == backwards
    assert upstream.changes(s1, s1) == []


def test_changes_match_git_for_exec_bit_and_file_to_folder(
    sample: Sample, variations: dict[str, str]
) -> None:
    upstream = upstream_of(sample)
    s1, v1, v2 = sample.commits["s1"], variations["v1"], variations["v2"]
    for old, new in ((s1, v1), (v1, v2), (s1, v2)):
        assert as_set(upstream.changes(old, new)) == name_status(sample.upstream, old, new)
    changed = as_set(upstream.changes(v1, v2))
    assert ("M", "tools/check_env.sh", None) in changed  # exec bit only
    assert ("D", "skyportal/models/group.py", None) in changed
    assert ("A", "skyportal/models/group.py/__init__.py", None) in changed


def test_changes_report_a_type_change_as_t(sample: Sample, variations: dict[str, str]) -> None:
    v2 = variations["v2"]  # docs/latest is still a symlink there
    assert git(sample.upstream, "rev-parse", "HEAD") == v2
    v3 = commit_files(sample.upstream, {"docs/latest": b"now a plain file\n"}, "unlink")
    assert name_status(sample.upstream, v2, v3) == {("T", "docs/latest", None)}
    changes = upstream_of(sample).changes(v2, v3)
    assert [(c.status, c.path) for c in changes] == [("T", "docs/latest")]
