"""The ``check`` report: counts, exit code and five renderings for CI.

Every rendering is built from the same list of :class:`Finding` (one per
file that is not up to date, plus an unfinished bump), so text, JSON,
GitHub annotations, JUnit and Markdown always agree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from overlay_merge.core.check import CheckResult, FileCheck
from overlay_merge.core.dependencies import Grade
from overlay_merge.core.errors import quote
from overlay_merge.core.journal import BumpProgress
from overlay_merge.core.model import BumpState, StatusState
from overlay_merge.core.shadowing import shadow_message
from overlay_merge.reports.base import Report, conflicts_summary, plural, short
from overlay_merge.reports.dependencies import (
    dependencies_json,
    describe,
    flagged_summary,
    state_width,
)
from overlay_merge.reports.escape import cell as _cell
from overlay_merge.reports.escape import code as _code
from overlay_merge.reports.escape import gh_data as _gh_data
from overlay_merge.reports.escape import gh_property as _gh_property
from overlay_merge.reports.escape import xml as _xml
from overlay_merge.reports.provenance import refinements_json, rules_note

FORMATS = ("text", "json", "github", "junit", "markdown")
ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing CI should show: where (deployment-relative), how bad, what, and the fix."""

    level: str
    title: str
    message: str
    fix: str
    where: str | None = None
    line: int | None = None  # of the file *where* names, as a reviewer opens it
    file: FileCheck | None = None
    end_line: int | None = None

    @property
    def lines(self) -> str:
        """``12`` or ``12-15``: where in the file ("" when nowhere in particular)."""
        if self.line is None:
            return ""
        end = self.end_line
        return f"{self.line}-{end}" if end is not None and end != self.line else str(self.line)


def _bump_command(result: CheckResult) -> str:
    return f"`overlay-merge bump {quote(result.against or short(result.target))}`"


def _overlay_lines(f: FileCheck) -> str:
    """`` (overlay lines 12-15, 40)``: each conflict hunk in the overlay file ("" if none)."""
    if not f.conflict_lines:
        return ""
    spans = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in f.conflict_lines)
    word = "line" if spans.isdigit() else "lines"
    return f" (overlay {word} {spans})"


def _first_range(f: FileCheck) -> tuple[int | None, int | None]:
    """The first conflict hunk's lines in the overlay file, else the first marker line."""
    if f.conflict_lines:
        return f.conflict_lines[0]
    return f.first_marker_line, None


def _stale_message(f: FileCheck) -> str:
    changed = f"upstream changed it since its base {short(f.base)}"
    hunks = plural(f.conflict_hunks, "conflicting hunk") + _overlay_lines(f)
    messages = {
        BumpState.CLEAN: f"{changed}; merges cleanly",
        BumpState.CONFLICT: f"{changed}; {hunks}",
        BumpState.CONVERGED: "upstream now carries the overlay's change: the copy can be dropped",
        BumpState.DELETED_UPSTREAM: "deleted upstream: keep it as an addition or drop it",
        BumpState.ADDED_UPSTREAM: f"upstream added this path; {hunks}",
        BumpState.BINARY: f"binary, {changed} and so did the overlay: pick a side",
    }
    if f.merge == BumpState.RENAMED_UPSTREAM:
        merged = hunks if f.conflict_hunks else "merges cleanly"
        return f"moved upstream to {f.renamed_to}; {merged}" + rules_note(f.refinements)
    return (messages.get(f.merge, changed) if f.merge else changed) + rules_note(f.refinements)


def _dependency_finding(f: FileCheck, result: CheckResult) -> Finding:
    """An up-to-date addition whose imported upstream files changed: broken is an error."""
    broken = f.grade == Grade.BROKEN
    level = ERROR if broken else WARNING
    title = "addition broken by upstream" if broken else "addition's imports changed upstream"
    fix = (
        "adapt the addition to upstream's change if needed, then confirm it: "
        f"`overlay-merge bump {quote(result.against or short(result.target))} --choice merge "
        "--decide PATH=confirm` (or `o` on the bump screen)"
    )
    where = f"{result.overlay}/{f.path}"
    line = f.dependencies[0].line if f.dependencies else None
    return Finding(level, title, describe(f.dependencies), fix, where, line, f)


def _shadow_finding(f: FileCheck, result: CheckResult) -> Finding:
    """A file that stays beside an upstream file of the same module: always an error."""
    others = " and ".join(f.shadows)
    fix = (
        f"carry its changes over to {others}, then drop it: `overlay-merge bump "
        f"{quote(result.against or short(result.target))} --choice merge "
        f"--decide {quote(f.path + '=drop')}`"
    )
    where = f"{result.overlay}/{f.path}"
    message = shadow_message(f.path, f.shadows)
    return Finding(ERROR, "overlay file shadows upstream's", message, fix, where, None, f)


def _file_finding(f: FileCheck, result: CheckResult) -> Finding:
    where = f"{result.overlay}/{f.path}"
    level = ERROR if f.conflicting else WARNING
    if f.state == StatusState.UP_TO_DATE and f.dependencies:
        return _dependency_finding(f, result)
    if f.shadows:
        return _shadow_finding(f, result)
    if f.state == StatusState.STALE:
        title = f"overlay drift: {f.merge}"
        message = _stale_message(f)
        line, end = _first_range(f)
        return Finding(level, title, message, _bump_command(result), where, line, f, end)
    if f.state == StatusState.CONFLICT_PENDING:
        return _pending_finding(f, where)
    if f.state == StatusState.UNRECORDED:
        message = f"no base in {result.base_file}: its drift cannot be tracked"
        fix = "`overlay-merge init`"
        return Finding(level, "overlay file without base", message, fix, where, None, f)
    message = f"{result.base_file} has an entry for {f.path}, which the overlay no longer has"
    fix = "`overlay-merge init --prune` drops it"
    title = "base entry without file"
    return Finding(level, title, message, fix, result.base_file, f.base_line, f)


def _pending_finding(f: FileCheck, where: str) -> Finding:
    if f.first_marker_line is not None:
        message = f"holds conflict markers (from line {f.first_marker_line})"
        if f.unmerged:
            message += " and is unmerged in the index"
        fix = "resolve the markers, then `overlay-merge resolve`"
        line, end = _first_range(f)
        return Finding(ERROR, "conflict markers", message, fix, where, line, f, end)
    if f.unmerged:
        message = "registered as unmerged in the deployment's index"
    else:
        message = "left in conflict by the unfinished bump"
    fix = "once the file is right, `overlay-merge resolve` (or `git add`)"
    return Finding(ERROR, "unresolved conflict", message, fix, where, None, f)


def _bump_finding(result: CheckResult) -> Finding | None:
    if result.bump == BumpProgress.INTERRUPTED:
        message = "a bump was interrupted while writing"
        return Finding(ERROR, "bump interrupted", message, "`overlay-merge abort`")
    if result.bump is not None:
        message = "a bump is in progress with conflicts to resolve"
        fix = "`overlay-merge resolve` once they are fixed, or `overlay-merge abort`"
        return Finding(ERROR, "bump in progress", message, fix)
    return None


def _collision_findings(result: CheckResult) -> list[Finding]:
    """Packages the build's dependency merges would find pinned differently: warnings."""
    return [
        Finding(
            WARNING,
            "dependency collision",
            f"{c.name}: upstream {c.upstream!r} ({outcome.merge.into}), deployment "
            f"{c.deployment!r} ({outcome.merge.source}); the build takes the deployment's",
            f"align or drop the pin in {outcome.merge.source.path}",
            where=outcome.merge.source.path,
        )
        for outcome in result.dependency_merges
        for c in outcome.collisions
    ]


@dataclass(frozen=True)
class CheckReport(Report):
    """Renders a :class:`CheckResult`; exit 0 when all is in sync, 1 otherwise."""

    FORMATS: ClassVar[tuple[str, ...]] = FORMATS

    result: CheckResult
    pair: str = ""  # the pair's name, with several (docs/design.md §3): in each CI entry

    @property
    def counts(self) -> Counter[str]:
        """Files per status state."""
        return Counter(f.state for f in self.result.files)

    @property
    def merge_counts(self) -> Counter[str]:
        """Stale files per state (docs/design.md §5) of their dry-run merge."""
        return Counter(f.merge for f in self.result.files if f.merge is not None)

    @property
    def found(self) -> bool:
        return not self.result.in_sync

    @cached_property
    def findings(self) -> list[Finding]:
        """The bump in progress, if any, then every file that is not up to date."""
        bump = _bump_finding(self.result)
        files = [
            _file_finding(f, self.result)
            for f in self.result.files
            if f.state != StatusState.UP_TO_DATE or f.dependencies
        ]
        return ([bump] if bump else []) + files + _collision_findings(self.result)

    def renderers(self) -> dict[str, Callable[[], str]]:
        """Text and JSON, and the three CI formats."""
        ci = {"github": self.as_github, "junit": self.as_junit, "markdown": self.as_markdown}
        return {**super().renderers(), **ci}

    # -- shared pieces ---------------------------------------------------------------

    def where(self) -> tuple[str, str]:
        """What the overlay was checked against: ``(short commit, how it was chosen)``."""
        r = self.result
        if r.against is not None:
            return short(r.target), f"--against {r.against}"
        return short(r.target), "pin recorded in HEAD" if r.pinned else "pin"

    def summary(self) -> str:
        """``12 files: 5 up-to-date, 7 stale (2 clean, 1 conflict)``."""
        files = self.result.files
        counts = self.counts
        merges = Counter(f.merge for f in files if f.merge and f.state == StatusState.STALE)
        parts = [f"{counts[s]} {s}" for s in StatusState if counts.get(s)]
        if merges:
            detail = ", ".join(f"{merges[s]} {s}" for s in BumpState if merges.get(s))
            parts = [
                p + f" ({detail})" if p.endswith(f" {StatusState.STALE}") else p for p in parts
            ]
        text = f"{plural(len(files), 'file')}: " + ", ".join(parts) if files else "no files"
        states = (
            f.merge if f.state == StatusState.STALE else f.state for f in files if f.conflicting
        )
        conflicts = conflicts_summary(
            (s for s in states if s is not None), self.result.conflict_hunks
        )
        if conflicts:
            text += f"; {conflicts}"
        flagged = flagged_summary(f.dependencies for f in files)
        if flagged:
            text += f"; {flagged}"
        if self.result.bump == BumpProgress.INTERRUPTED:
            text += "; a bump was interrupted"
        elif self.result.bump:
            text += "; a bump is in progress"
        return text

    def fixes(self) -> list[str]:
        """The distinct fixing commands, in order of first need."""
        return list(dict.fromkeys(f.fix for f in self.findings))

    # -- renderings ----------------------------------------------------------------------

    def as_json(self) -> dict[str, Any]:
        """The documented schema (docs/json.md, ``check``)."""
        r = self.result
        return {
            "upstream": r.upstream,
            "overlay": r.overlay,
            "pin": r.target,
            "against": r.against,
            "pinned": r.pinned,
            "in_sync": r.in_sync,
            "bump_in_progress": r.bump,
            "counts": {s: self.counts.get(s, 0) for s in StatusState},
            "merge_counts": {s: self.merge_counts.get(s, 0) for s in BumpState},
            "conflict_files": r.conflict_files,
            "conflict_hunks": r.conflict_hunks,
            "files": [_file_json(f) for f in r.files],
            "notes": list(r.notes),
            "dependency_collisions": [
                {
                    "name": c.name,
                    "upstream": c.upstream,
                    "deployment": c.deployment,
                    "from": str(m.merge.source),
                    "into": str(m.merge.into),
                }
                for m in r.dependency_merges
                for c in m.collisions
            ],
        }

    def text_lines(self) -> list[str]:
        """A human-readable report: the files that are not up to date, the counts, the fixes."""
        r = self.result
        sha, how = self.where()
        lines = [f"check {r.upstream} at {sha} ({how}): overlay {r.overlay}"]
        width = max(len(s) for s in StatusState)
        merge_width = state_width(f.merge for f in r.files)
        for finding in self.findings:
            f = finding.file
            if f is None:
                lines.append(f"  {finding.title}: {finding.message}")
                continue
            lines.append(
                f"  {f.state:<{width}}  {f.merge or '-':<{merge_width}}  {f.path}  "
                f"{finding.message}"
            )
        lines.append(self.summary())
        if r.in_sync:
            lines.append(f"in sync: every overlay file is up to date with {r.upstream}")
        lines += [f"note: {note}" for note in r.notes]
        lines += [f"fix: {fix}" for fix in self.fixes()]
        return lines

    def as_github(self) -> str:
        """GitHub Actions workflow commands: one annotation per finding, then a notice."""
        lines = []
        for finding in self.findings:
            props = []
            if finding.where:
                props.append(f"file={_gh_property(finding.where)}")
            if finding.line:
                props.append(f"line={finding.line}")
            if finding.line and finding.end_line and finding.end_line != finding.line:
                props.append(f"endLine={finding.end_line}")
            props.append(f"title={_gh_property(self._named(finding.title))}")
            message = f"{finding.message} (fix: {finding.fix})"
            lines.append(f"::{finding.level} {','.join(props)}::{_gh_data(message)}")
        sha, how = self.where()
        checked = self._named(f"{self.result.upstream} at {sha} ({how})")
        title = _gh_property(f"overlay-merge check {checked}")
        lines.append(f"::notice title={title}::{_gh_data(self.summary())}")
        return "\n".join(lines) + "\n"

    def as_junit(self) -> str:
        """JUnit XML: one testcase per overlay file (classname = the overlay folder), a
        failure for each file that is not up to date, a testcase for an unfinished bump."""
        return junit_document([self.junit_suite()])

    def junit_suite(self) -> ET.Element:
        """This pair's ``testsuite``, its counts as attributes."""
        r = self.result
        cases: list[tuple[str, str, Finding | None]] = []
        bump = _bump_finding(r)
        if bump is not None:
            cases.append(("overlay-merge", bump.title, bump))
        by_path = {f.file.path: f for f in self.findings if f.file is not None}
        cases += [(r.overlay, f.path, by_path.get(f.path)) for f in r.files]
        counts = {
            "tests": str(len(cases)),
            "failures": str(sum(1 for *_, finding in cases if _fails(finding))),
            "errors": "0",
        }
        name = f"overlay-merge check {self._named(f'{r.upstream} at {short(r.target)}')}"
        suite = ET.Element("testsuite", {"name": name, **counts, "skipped": "0"})
        properties = ET.SubElement(suite, "properties")
        described = (
            ("pair", self.pair or None),
            ("upstream", r.upstream),
            ("pin", r.target),
            ("against", r.against),
            ("conflict_files", str(r.conflict_files)),
            ("conflict_hunks", str(r.conflict_hunks)),
        )
        for key, value in described:
            if value is not None:
                ET.SubElement(properties, "property", {"name": key, "value": _xml(value)})
        for classname, case_name, finding in cases:
            case = ET.SubElement(
                suite, "testcase", {"classname": _xml(classname), "name": _xml(case_name)}
            )
            if _fails(finding):
                assert finding is not None
                _junit_failure(case, finding)
            elif finding is not None:  # a warning that does not fail the check
                ET.SubElement(case, "system-out").text = _xml(_junit_detail(finding))
        return suite

    def _named(self, text: str) -> str:
        """*text* after the pair's name, when there are several pairs."""
        return f"{self.pair}: {text}" if self.pair else text

    def as_markdown(self) -> str:
        """A summary for ``$GITHUB_STEP_SUMMARY`` or a PR comment: counts, then a table."""
        r = self.result
        verdict = "in sync" if r.in_sync else "drift found"
        sha, how = self.where()
        lines = [
            f"### overlay-merge check{' ' + self.pair if self.pair else ''}: {verdict}",
            "",
            f"{_code(r.upstream)} at {_code(sha)} ({_cell(how)}), overlay {_code(r.overlay)}: "
            f"**{_cell(self.summary())}**",
        ]
        bump = _bump_finding(r)
        if bump is not None:
            lines += ["", f"**{bump.title}**: {bump.message} (fix: {bump.fix})"]
        rows = [_markdown_row(f) for f in self.findings if f.file is not None]
        if rows:
            lines += ["", "| file | state | merge | detail |", "| --- | --- | --- | --- |", *rows]
        fixes = self.fixes()
        if fixes:
            lines += ["", "Fix: " + "; ".join(fixes)]
        return "\n".join(lines) + "\n"


def junit_document(suites: list[ET.Element]) -> str:
    """The JUnit XML document of *suites* (one per pair), their counts summed."""
    counts = {
        key: str(sum(int(suite.get(key, "0")) for suite in suites))
        for key in ("tests", "failures", "errors")
    }
    top = ET.Element("testsuites", {"name": "overlay-merge check", **counts})
    top.extend(suites)
    ET.indent(top)
    body = ET.tostring(top, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _markdown_row(finding: Finding) -> str:
    f = finding.file
    assert f is not None
    cells = [_code(f.path).replace("|", "\\|"), f.state, f.merge or "", _cell(finding.message)]
    return "| " + " | ".join(cells) + " |"


def _file_json(f: FileCheck) -> dict[str, Any]:
    return {
        "path": f.path,
        "kind": f.kind,
        "base": f.base,
        "state": f.state,
        "merge": f.merge,
        "conflicts": f.conflict_hunks,
        "first_conflict_line": f.first_conflict_line,
        "renamed_to": f.renamed_to,
        "renamed_by": f.renamed_by,
        "shadows": list(f.shadows),
        "first_marker_line": f.first_marker_line,
        "unmerged": f.unmerged,
        "conflict_lines": [list(span) for span in f.conflict_lines],
        "grade": f.grade,
        "dependencies": dependencies_json(f.dependencies),
        "refinements": refinements_json(f.refinements),
    }


def _fails(finding: Finding | None) -> bool:
    """True if *finding* fails the check: all do, but an addition whose imports only changed."""
    if finding is None:
        return False
    f = finding.file
    return not (f is not None and f.state == StatusState.UP_TO_DATE and finding.level == WARNING)


def _junit_detail(finding: Finding) -> str:
    where = f"{finding.where}:{finding.lines}" if finding.where and finding.line else finding.where
    detail = [f"{finding.title}: {finding.message}"]
    if where:
        detail.append(f"at {where}")
    detail.append(f"fix: {finding.fix}")
    return "\n".join(detail)


def _junit_failure(case: ET.Element, finding: Finding) -> None:
    kind = "bump"
    if finding.file is not None:
        f = finding.file
        kind = f"{f.state}/{f.merge}" if f.merge else f.state
    failure = ET.SubElement(case, "failure", {"message": _xml(finding.message), "type": kind})
    failure.text = _xml(_junit_detail(finding))
