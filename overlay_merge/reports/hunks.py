"""Reports of hunk-by-hunk resolution: the hunks of a file, a choice made, a choice undone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from overlay_merge.core.hunks import EQUAL
from overlay_merge.core.model import BaseSource, HunkTake
from overlay_merge.core.suggest import Suggestion
from overlay_merge.core.takes import (
    ConflictFile,
    HunkView,
    TakeResult,
    UndoResult,
)
from overlay_merge.reports.base import Report, plural, short
from overlay_merge.reports.bump import ApplyReport, BumpOutcome, outcome_line

SUGGESTED = "suggested"  # ``--take suggested``: each hunk its own suggestion's take

TAKE_NAMES = {
    HunkTake.OVERLAY: "the overlay's side",
    HunkTake.UPSTREAM: "upstream's side",
    HunkTake.BOTH: "both sides, overlay first",
    HunkTake.BOTH_UPSTREAM_FIRST: "both sides, upstream first",
}


def decode(lines: Sequence[bytes]) -> list[str]:
    """Lines for showing: UTF-8 (undecodable bytes replaced), without their line ends."""
    return [line.decode("utf-8", "replace").rstrip("\r\n") for line in lines]


def change_note(change: str | None, other: str) -> str:
    """Why choosing *other* loses nothing, for a side whose change is only *change*; or ""."""
    if change is None:
        return ""
    if change == EQUAL:
        return f"same as the base: taking {other} loses nothing of substance"
    what = change.replace("quotes", "quote style (' vs \")")
    return f"only {what} against the base: taking {other} loses nothing of substance"


def base_note(view: HunkView) -> str:
    """Where the base text shown comes from."""
    if view.hunk.base is None:
        return "no base (both sides added this text)"
    if view.base_source == BaseSource.IN_MARKERS:
        return "from the markers"
    if view.base_source == BaseSource.REGION:
        return "the base of the surrounding region (two-way markers; recomputed)"
    return "recomputed from the base commit (two-way markers)"


def hunk_json(view: HunkView) -> dict[str, Any]:
    hunk = view.hunk
    return {
        "number": view.number,
        "line": view.line,
        "overlay": decode(hunk.ours),
        "base": None if hunk.base is None else decode(hunk.base),
        "upstream": decode(hunk.theirs),
        "base_source": view.base_source,
        "overlay_change": view.ours_change,
        "upstream_change": view.theirs_change,
        "suggestion": suggestion_json(view.suggestion),
    }


def suggestion_json(found: Suggestion | None) -> dict[str, str] | None:
    """A hunk's suggestion as JSON (``take``, ``reason``, ``rule``), None when it has none."""
    if found is None:
        return None
    return {"take": found.take, "reason": found.reason, "rule": found.rule}


def suggestion_text(found: Suggestion | None) -> str:
    """``suggested: upstream — overlay side only reformats``, or "" without a suggestion."""
    return "" if found is None else f"suggested: {found.take} — {found.reason}"


def hunk_text(view: HunkView, base_commit: str | None = None) -> list[str]:
    """A hunk as text: its line, then each side (and the base) with why it conflicts."""
    hunk = view.hunk
    lines = [
        f"  hunk {view.number}  line {view.line}: overlay {plural(len(hunk.ours), 'line')}, "
        f"upstream {plural(len(hunk.theirs), 'line')}"
    ]
    if view.suggestion is not None:
        lines.append(f"    {suggestion_text(view.suggestion)}")
    sections = [
        ("overlay", hunk.ours, change_note(view.ours_change, "upstream's side")),
        (
            f"base {short(base_commit)}" if base_commit else "base",
            hunk.base,
            base_note(view),
        ),
        ("upstream", hunk.theirs, change_note(view.theirs_change, "the overlay's side")),
    ]
    for title, body, note in sections:
        lines.append(f"    {title}" + (f"  ({note})" if note else ""))
        lines.extend(f"    | {line}" for line in decode(body or ()))
    return lines


@dataclass(frozen=True)
class HunkListReport(Report):
    """``resolve --list``: the conflict hunks of the files named (or of every conflict)."""

    files: tuple[ConflictFile, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "files": [
                {"path": f.path, "hunks": [hunk_json(v) for v in f.hunks], "note": f.note}
                for f in self.files
            ],
            "hunks_left": sum(len(f.hunks) for f in self.files),
        }

    def text_lines(self) -> list[str]:
        lines: list[str] = []
        for f in self.files:
            if not f.hunks:
                lines.append(f"{f.path}: {f.note}")
                continue
            lines.append(f"{f.path}: {plural(len(f.hunks), 'conflict hunk')}")
            for view in f.hunks:
                lines.extend(hunk_text(view))
        total = sum(len(f.hunks) for f in self.files)
        lines.append(
            f"{plural(total, 'hunk')} left; take a side: "
            "`overlay-merge resolve PATH --hunk N --take overlay|upstream|both|both-upstream-first`"
        )
        suggested = sum(v.suggestion is not None for f in self.files for v in f.hunks)
        if suggested:
            lines.append(
                f"{plural(suggested, 'hunk')} with a suggestion: "
                "`overlay-merge resolve PATH --all --take suggested` takes them"
            )
        return lines


@dataclass(frozen=True)
class TakeReport(Report):
    """``resolve PATH --hunk N --take X`` / ``--all``: exit 1 while hunks are left in the file."""

    result: TakeResult

    @property
    def found(self) -> bool:
        return not self.result.settled

    def as_json(self) -> dict[str, Any]:
        r = self.result
        left = [{"number": v.number, "line": v.line} for v in r.left]
        document: dict[str, Any] = {
            "path": r.path,
            "take": SUGGESTED if r.suggested else r.take,
            "taken": list(r.taken),
            "hunks_left": left,
            "resolved": r.recorded is not None,
            "base": r.recorded,
            "note": r.not_recorded,
        }
        if r.suggested:
            document["takes"] = [
                {"number": n, "take": t} for n, t in zip(r.taken, r.takes, strict=True)
            ]
            document["without_suggestion"] = list(r.unsuggested)
        return document

    def text_lines(self) -> list[str]:
        r = self.result
        if r.suggested:
            return self._suggested_lines()
        numbers = ", ".join(str(n) for n in r.taken)
        hunks = f"{plural(len(r.taken), 'hunk')} ({numbers})"
        lines = [f"  took {TAKE_NAMES[r.take]} for {hunks} of {r.path}"]
        return lines + self._left_lines()

    def _suggested_lines(self) -> list[str]:
        r = self.result
        each = ", ".join(f"{n}: {t}" for n, t in zip(r.taken, r.takes, strict=True))
        if r.taken:
            lines = [
                f"  took the suggestions for {plural(len(r.taken), 'hunk')} ({each}) of {r.path}"
            ]
        else:
            lines = [f"  no hunk of {r.path} has a suggestion; nothing written"]
        if r.unsuggested:
            numbers = ", ".join(str(n) for n in r.unsuggested)
            lines.append(
                f"  {plural(len(r.unsuggested), 'hunk')} without a suggestion "
                f"({numbers}) stay conflicts"
            )
        return lines + (self._left_lines() if r.taken else [])

    def _left_lines(self) -> list[str]:
        r = self.result
        lines = []
        if r.left:
            where = ", ".join(f"{v.number} at line {v.line}" for v in r.left)
            lines.append(f"{plural(len(r.left), 'hunk')} left in {r.path} (numbered anew): {where}")
        elif r.recorded is not None:
            lines.append(f"  resolved  {r.path}  (base {short(r.recorded)})")
        else:
            lines.append(f"no hunk left in {r.path}; not recorded: {r.not_recorded}")
        return lines


@dataclass(frozen=True)
class UndoReport(Report):
    """``resolve --undo``: the last hunk choice undone."""

    result: UndoResult

    def as_json(self) -> dict[str, Any]:
        r = self.result
        take = SUGGESTED if r.suggested else r.take
        undone: dict[str, Any] = {"path": r.path, "take": take, "hunks": list(r.hunks)}
        if r.rule is not None:  # the plain conflict of a rule's hunk: the rule's lines are back
            undone["rule_hunk"] = r.rule
        return {"undone": undone, "back_in_conflict": r.unrecorded}

    def text_lines(self) -> list[str]:
        r = self.result
        if r.rule is not None:
            return [f"  put rule hunk {r.rule} of {r.path} back as the rule resolved it"]
        again = "; it is in conflict again" if r.unrecorded else ""
        if r.suggested:
            numbers = ", ".join(map(str, r.hunks))
            return [f"  undid the suggested takes for hunk(s) {numbers} of {r.path}{again}"]
        if not r.hunks:  # a whole-file choice, or an edit made on the hunk screen
            return [f"  undid {r.take} for the whole file {r.path}{again}"]
        return [f"  undid {r.take} for hunk(s) {', '.join(map(str, r.hunks))} of {r.path}{again}"]


@dataclass(frozen=True)
class HunkSessionReport(Report):
    """What was done on the hunk screen (after the bump's own report, if any).

    Exit 1 while conflicts of the bump are left, as after a merge.
    """

    taken: int
    undone: int
    resolved: tuple[str, ...]
    left: tuple[str, ...]
    before: Report | None = None  # the merge report, when the screen opened after a merge
    done: tuple[str, ...] = ()  # each choice still standing, in order ("PATH hunk 2: ...")

    @property
    def found(self) -> bool:
        return bool(self.left)

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "hunk_choices": self.taken,
            "undone": self.undone,
            "resolved": list(self.resolved),
            "conflicts_left": list(self.left),
            "choices": list(self.done),
        }
        if isinstance(self.before, ApplyReport):
            document["outcome"] = self.outcome  # the merge's, as things stand after the screen
        return document if self.before is None else {**self.before.as_json(), **document}

    @property
    def outcome(self) -> BumpOutcome | None:
        """After a merge: ``merged`` once nothing is left, else ``conflicts-left``."""
        if not isinstance(self.before, ApplyReport):
            return None
        return BumpOutcome.CONFLICTS_LEFT if self.left else BumpOutcome.MERGED

    @property
    def choice(self) -> str | None:
        """The bump's choice when the screen opened after a merge."""
        return self.before.choice if isinstance(self.before, ApplyReport) else None

    def text_lines(self) -> list[str]:
        lines: list[str] = []
        if isinstance(self.before, ApplyReport):
            # Its own "to resolve" line would repeat (or contradict) the one below.
            lines.append("\n".join(self.before.text_lines(next_step=False)).rstrip("\n"))
        elif self.before is not None:
            lines.append(self.before.as_text().rstrip("\n"))
        lines.append(
            f"hunk by hunk: {plural(self.taken, 'choice')}"
            + (f", {self.undone} undone" if self.undone else "")
        )
        lines += [f"  {what}" for what in self.done]
        if not isinstance(self.before, ApplyReport):  # the merge's report lists them already
            lines += [f"  resolved  {p}" for p in self.resolved]
        if self.left:
            lines.append(
                f"{plural(len(self.left), 'file')} still to resolve: {', '.join(self.left)} "
                "(`overlay-merge resolve` reopens the screen; `overlay-merge abort` undoes "
                "the bump)"
            )
        else:
            lines.append("every conflict is resolved; review with `git diff`, then commit")
        if isinstance(self.before, ApplyReport):  # the bump screen's last line, as bump's
            outcome = BumpOutcome.CONFLICTS_LEFT if self.left else BumpOutcome.MERGED
            lines.append(outcome_line(self.before.choice, outcome, self.return_code))
        return lines
