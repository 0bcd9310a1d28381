"""Reports of ``bump``: the plan, what a merge or update did, a cancel, nothing to do.

Each says what came of the bump (:class:`BumpOutcome`) in its JSON (``choice``,
``outcome``), in its text's last line and in its exit code, so a launcher can
tell what the maintainer chose and start the app or stop (docs/launcher.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from overlay_merge.core.git.model import RenameStep
from overlay_merge.core.model import BumpChoice, BumpState, Decision, RenameSource, ValueEnum
from overlay_merge.core.plan import BumpPlan, FilePlan
from overlay_merge.reports.base import (
    EXIT_CANNOT,
    EXIT_FOUND,
    EXIT_OK,
    Report,
    conflicts_summary,
    plural,
    short,
)
from overlay_merge.reports.dependencies import dependencies_json, describe, state_width
from overlay_merge.reports.pairs import PairsReport
from overlay_merge.reports.provenance import refinements_json, resolved_by_rules

if TYPE_CHECKING:
    # Only a merge's report holds one: the plan (``--dry-run``) needs none of the
    # code that writes.
    from overlay_merge.core.apply import ApplyResult

MAX_COMMITS_SHOWN = 20

# What an applied bump exits with beyond 0 and 1: distinct so that a launcher
# (``run --do_update``) tells "update anyway" (start, over drift) from "cancel"
# (nothing changed: start the app as it was); build's after-build failure keeps 4.
# "Nothing to bump" is success, 0, as it always was: a launcher does what it does
# after a clean merge (build, start), and a nightly `bump --choice merge && build`
# must not fail on the days upstream did not move; JSON `outcome` tells them apart.
EXIT_UPDATED = 5
EXIT_CANCELLED = 6
EXIT_UP_TO_DATE = EXIT_OK
NO_CHOICE = "none"  # the JSON ``choice`` of a plan and of a bump with nothing to do


class BumpOutcome(ValueEnum):
    """What came of a bump: the JSON ``outcome``, one exit code each (docs/launcher.md)."""

    PLANNED = "planned"  # --dry-run, or no terminal: nothing written; exit 0, or 1 as check
    MERGED = "merged"  # stop and merge, every file merged clean: exit 0
    CONFLICTS_LEFT = "conflicts-left"  # stop and merge, files to resolve: exit 1
    UPDATED = "updated"  # update anyway: the pin moved, the overlay did not: exit 5
    CANCELLED = "cancelled"  # nothing changed: exit 6
    UP_TO_DATE = "up-to-date"  # pin at the target and no file to merge: exit 0


EXIT_CODES = {
    BumpOutcome.MERGED: EXIT_OK,
    BumpOutcome.CONFLICTS_LEFT: EXIT_FOUND,
    BumpOutcome.UPDATED: EXIT_UPDATED,
    BumpOutcome.CANCELLED: EXIT_CANCELLED,
    BumpOutcome.UP_TO_DATE: EXIT_UP_TO_DATE,
}


def up_to_date(plan: BumpPlan) -> bool:
    """Nothing to bump: the pin is the target and no overlay file has anything to merge."""
    return (
        plan.pin == plan.target
        and not plan.orphaned
        and all(f.state == BumpState.UNCHANGED for f in plan.files)
    )


def outcome_line(choice: str, outcome: BumpOutcome, code: int) -> str:
    """The text's last line: what was chosen, what came of it, the exit code."""
    return f"choice: {choice}; outcome: {outcome} (exit {code})"


_NOTES = {
    BumpState.CONVERGED: "upstream now carries this change: the overlay copy can be dropped",
    BumpState.DELETED_UPSTREAM: "gone upstream: keep it as an addition or delete it",
    BumpState.ADDED_UPSTREAM: "upstream added a file at this path",
    BumpState.BINARY: "binary: no markers; pick a side",
}


def _detail(f: FilePlan) -> str:
    parts = []
    if f.renamed_to:
        parts.append(f"-> {f.renamed_to}")
        if f.renamed_by == RenameSource.PAIRWISE:
            parts.append("(found comparing base and target: not through history)")
    if f.shadowing:
        parts.append(f"(shadows upstream's {', '.join(f.shadowing)}: same module)")
    if f.dependencies:
        confirmed = f.decision == Decision.CONFIRM
        parts.append(("confirmed, was " if confirmed else "") + describe(f.dependencies))
    if f.decision != Decision.TAKE_MERGE:
        return "  ".join(parts)  # the maintainer decided: the state's advice is moot
    if f.conflict_hunks and f.state not in (BumpState.BINARY,):
        parts.append(plural(f.conflict_hunks, "conflict"))
    if f.refinements:
        parts.append(resolved_by_rules(f.refinements))
    if f.invalid:
        parts.append(f"({f.invalid})")
    if f.state in _NOTES:
        parts.append(f"({_NOTES[f.state]})")
    return "  ".join(parts)


def _step_json(step: RenameStep) -> dict[str, Any]:
    return {
        "from": step.old_path,
        "to": step.new_path,
        "commit": step.commit,
        "similarity": step.similarity,
    }


@dataclass(frozen=True)
class PlanReport(Report):
    """The plan of a bump (``--dry-run``, or no terminal): exit 1 if anything would conflict."""

    plan: BumpPlan

    @property
    def counts(self) -> Counter[str]:
        return Counter(f.state for f in self.plan.files)

    @property
    def found(self) -> bool:
        """Conflicts, additions upstream broke (unless confirmed), files left shadowing."""
        return bool(self.plan.conflicting or self.plan.broken or self.plan.shadowing)

    choice: ClassVar[str] = NO_CHOICE

    @property
    def outcome(self) -> BumpOutcome:
        """``planned``, or ``up-to-date`` when there is nothing to bump (the exit stays 0)."""
        return BumpOutcome.UP_TO_DATE if up_to_date(self.plan) else BumpOutcome.PLANNED

    def as_json(self) -> dict[str, Any]:
        return {**self.plan_json(), "choice": NO_CHOICE, "outcome": self.outcome}

    def plan_json(self) -> dict[str, Any]:
        """The plan's keys, which every bump report starts with."""
        p = self.plan
        files = []
        for f in p.files:
            entry: dict[str, Any] = {
                "path": f.path,
                "kind": f.kind,
                "base": f.base_commit,
                "state": f.state,
                "conflicts": f.conflict_hunks,
                "decision": f.decision,
            }
            if f.renamed_to:
                entry["renamed_to"] = f.renamed_to
                entry["renamed_by"] = f.renamed_by
                entry["rename_steps"] = [_step_json(s) for s in f.rename_steps]
            if f.shadowing:
                entry["shadows"] = list(f.shadowing)
            if f.dependencies:
                entry["grade"] = f.grade
                entry["dependencies"] = dependencies_json(f.dependencies)
            if f.refinements:  # --strategy refined: the hunks its rules resolved
                entry["refinements"] = refinements_json(f.refinements)
            if f.invalid:
                entry["invalid"] = f.invalid
            files.append(entry)
        return {
            "upstream": p.upstream,
            "from": p.pin,
            "to": p.target,
            "rev": p.target_rev,
            "style": p.style,
            "commits": [{"sha": sha, "subject": subject} for sha, subject in p.commits],
            "counts": {s: self.counts.get(s, 0) for s in BumpState},
            "conflict_files": len(p.conflicting),
            "conflict_hunks": p.conflict_hunks,
            "files": files,
            "orphaned": list(p.orphaned),
            "notes": list(p.notes),
        }

    def header(self) -> list[str]:
        p = self.plan
        lines = [
            f"bump {p.upstream} {short(p.pin)} -> {short(p.target)} ({p.target_rev}), "
            f"{plural(len(p.commits), 'commit')}"
        ]
        for sha, subject in p.commits[:MAX_COMMITS_SHOWN]:
            lines.append(f"  {short(sha)} {subject}")
        if len(p.commits) > MAX_COMMITS_SHOWN:
            lines.append(f"  ... and {len(p.commits) - MAX_COMMITS_SHOWN} more")
        return lines

    def text_lines(self) -> list[str]:
        p = self.plan
        lines = self.header()
        if not p.files:
            lines.append("the overlay is empty: nothing to merge")
            return lines
        width = state_width(f.state for f in p.files)
        lines.append("")
        for f in p.files:
            detail = _detail(f)
            if f.decision not in (Decision.TAKE_MERGE, Decision.CONFIRM):
                # A decided plan (--decide, --drop-converged): what the merge will do.
                detail = f"[decided: {f.decision}]" + (f"  {detail}" if detail else "")
            lines.append(f"  {f.state:<{width}}  {f.path}" + (f"  {detail}" if detail else ""))
        lines.append("")
        counts = self.counts
        summary = f"{plural(len(p.files), 'file')}: " + ", ".join(
            f"{counts[s]} {s}" for s in BumpState if counts.get(s)
        )
        conflicts = conflicts_summary((f.state for f in p.conflicting), p.conflict_hunks)
        lines.append(summary + (f"; {conflicts}" if conflicts else ""))
        if all(f.state == BumpState.UNCHANGED for f in p.files):
            lines.append("the overlay is up to date with the target: no file needs a merge")
        lines += [f"note: {note}" for note in p.notes]
        if any(f.flagged for f in p.files):
            lines.append(
                "depends-on-changed: a merge keeps those additions' bases (they stay flagged) "
                "unless confirmed: `--decide PATH=confirm`, or `o` on the bump screen"
            )
        lines.append(
            "choose: `--choice merge` (write the merges, stop for conflicts), "
            "`--choice update` (move the pin only), `--choice cancel`"
        )
        lines.append(outcome_line(NO_CHOICE, self.outcome, self.return_code))
        return lines


@dataclass(frozen=True)
class ApplyReport(Report):
    """What a merge or update did; exit 1 while conflicts are left."""

    plan: BumpPlan
    result: ApplyResult
    resolved: tuple[str, ...] = ()  # conflicts of the merge resolved since (see ``now``)

    @property
    def found(self) -> bool:
        return bool(self.result.conflicts)

    @property
    def choice(self) -> str:
        """The choice carried out: ``merge`` or ``update``."""
        return str(self.result.choice)

    @property
    def outcome(self) -> BumpOutcome:
        """``updated``, or for a merge ``merged`` / ``conflicts-left``."""
        if self.result.choice == BumpChoice.UPDATE:
            return BumpOutcome.UPDATED
        return BumpOutcome.CONFLICTS_LEFT if self.found else BumpOutcome.MERGED

    @property
    def return_code(self) -> int:
        return EXIT_CODES[self.outcome]

    def now(self, left: Sequence[str]) -> ApplyReport:
        """This report as things stand now: *left* is what is still in conflict.

        The merge's conflicts not in *left* were resolved since it was written
        (hunk by hunk, in an editor then ``resolve``): listed as resolved, not
        as conflicts, and not counted as files to resolve.
        """
        if self.result.choice != BumpChoice.MERGE:
            return self
        still = tuple(p for p in self.result.conflicts if p in left)
        done = tuple(p for p in (*self.resolved, *self.result.conflicts) if p not in left)
        return replace(self, result=replace(self.result, conflicts=still), resolved=done)

    def as_json(self) -> dict[str, Any]:
        r = self.result
        return {
            **PlanReport(self.plan).plan_json(),
            "choice": r.choice,
            "written": list(r.written),
            "moved": r.moved,
            "conflicts_left": list(r.conflicts),
            "resolved_since": list(self.resolved),
            "nested_moved": list(r.nested_moved),
            "nested_skipped": list(r.nested_skipped),
            "outcome": self.outcome,
        }

    def text_lines(self, *, next_step: bool = True) -> list[str]:
        """The report; without *next_step*, no last line saying what to do next."""
        p, r = self.plan, self.result
        if r.choice == BumpChoice.UPDATE:
            lines = [
                f"updated {p.upstream} {short(p.pin)} -> {short(p.target)}; overlay and "
                "bases left as they were"
            ]
            stale = [f for f in p.files if f.state != BumpState.UNCHANGED]
            if stale:
                lines.append(
                    f"{plural(len(stale), 'overlay file')} now drift from upstream "
                    "(`overlay-merge status` lists them)"
                )
        else:
            lines = [f"merged {p.upstream} {short(p.pin)} -> {short(p.target)}"]
            for f in p.files:
                if f.state == BumpState.UNCHANGED and f.decision == Decision.TAKE_MERGE:
                    continue
                if f.target_path in self.resolved:
                    lines.append(f"  {'resolved':<9} {f.path}")
                    continue
                lines.append(
                    f"  {_verb(f):<9} {f.path}" + (f"  {_detail(f)}" if _detail(f) else "")
                )
        for path in r.nested_moved:
            lines.append(f"  checked out nested submodule {p.upstream}/{path}")
        for path in r.nested_skipped:
            lines.append(
                f"  nested submodule {p.upstream}/{path} not moved (commit missing): "
                "git submodule update --init --recursive"
            )
        if next_step and r.conflicts:
            lines.append(
                f"{plural(len(r.conflicts), 'file')} to resolve: fix them (`git mergetool` "
                "works), then `overlay-merge resolve`; `overlay-merge abort` undoes the bump"
            )
        elif next_step:
            lines.append("done; review with `git diff`, then commit (`overlay-merge abort` undoes)")
        if next_step:
            lines.append(outcome_line(r.choice, self.outcome, self.return_code))
        return lines


_DECIDED = {
    Decision.KEEP_OVERLAY: "kept",
    Decision.TAKE_UPSTREAM: "upstream",
    Decision.DROP: "dropped",
    Decision.CONFIRM: "confirmed",
}


def _verb(f: FilePlan) -> str:
    """What the merge did to *f*, in a word: the maintainer's decision, else its state's."""
    if f.decision in _DECIDED:
        return _DECIDED[f.decision]
    if f.state == BumpState.RENAMED_UPSTREAM:
        return "conflict" if f.conflict_hunks else "moved"
    if f.state in (BumpState.CONFLICT, BumpState.ADDED_UPSTREAM):
        return "conflict"
    if f.state in (BumpState.BINARY, BumpState.DELETED_UPSTREAM):
        return "decide"
    if f.state == BumpState.CONVERGED:
        return "converged"
    if f.state == BumpState.DEPENDS_ON_CHANGED:
        return "flagged"  # its base stays until confirmed
    return "merged"


@dataclass(frozen=True)
class CancelReport(Report):
    """The cancel choice: nothing changed; exit 6, so a launcher can start the app as it was."""

    plan: BumpPlan
    choice: ClassVar[str] = BumpChoice.CANCEL.value
    outcome: ClassVar[BumpOutcome] = BumpOutcome.CANCELLED

    @property
    def return_code(self) -> int:
        return EXIT_CANCELLED

    def as_json(self) -> dict[str, Any]:
        plan = PlanReport(self.plan).plan_json()
        return {**plan, "choice": BumpChoice.CANCEL, "outcome": self.outcome}

    def text_lines(self) -> list[str]:
        code = self.return_code
        return ["cancelled: nothing changed", outcome_line(BumpChoice.CANCEL, self.outcome, code)]


@dataclass(frozen=True)
class UpToDateReport(Report):
    """Nothing to bump (:func:`up_to_date`): no screen, no write, whatever the choice; exit 0."""

    plan: BumpPlan
    choice: ClassVar[str] = NO_CHOICE
    outcome: ClassVar[BumpOutcome] = BumpOutcome.UP_TO_DATE

    @property
    def return_code(self) -> int:
        return EXIT_UP_TO_DATE

    def as_json(self) -> dict[str, Any]:
        return {**PlanReport(self.plan).plan_json(), "choice": NO_CHOICE, "outcome": self.outcome}

    def text_lines(self) -> list[str]:
        p = self.plan
        return [
            f"already up to date: {p.upstream} is at {short(p.target)} ({p.target_rev}) and "
            f"no overlay file has anything to merge; nothing changed",
            outcome_line(NO_CHOICE, self.outcome, self.return_code),
        ]


# Which pair's code a bump of several pairs exits with: what stops a launcher first,
# then what changed (drift before a clean merge), then what changed nothing.
# Up to date exits 0 like a clean merge (one pair merged, one up to date: 0, "merged").
_PRECEDENCE = (EXIT_CANNOT, EXIT_FOUND, EXIT_UPDATED, EXIT_OK, EXIT_CANCELLED)


def _rank(code: int) -> int:
    return _PRECEDENCE.index(code) if code in _PRECEDENCE else -1


@dataclass(frozen=True)
class BumpPairsReport(PairsReport):
    """``bump`` on several pairs: each pair's report, and one outcome and exit code over
    all of them (the pair's that :data:`_PRECEDENCE` ranks first)."""

    @property
    def return_code(self) -> int:
        return min((r.return_code for _, r in self.reports), key=_rank, default=EXIT_OK)

    @property
    def outcome(self) -> str | None:
        """The outcome of a pair exiting with :attr:`return_code` (``up-to-date`` only when
        every such pair is); None when no such pair has one (not bumped)."""
        code = self.return_code
        found = [str(o) for _, r in self.reports if r.return_code == code and (o := _outcome(r))]
        return next((o for o in found if o != BumpOutcome.UP_TO_DATE), found[0] if found else None)

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "outcome": self.outcome}

    def as_text(self) -> str:
        choices = ", ".join(
            f"{name} {getattr(r, 'choice', None) or 'not bumped'}" for name, r in self.reports
        )
        last = f"choices: {choices}; outcome: {self.outcome or 'none'} (exit {self.return_code})"
        return super().as_text() + last + "\n"


def _outcome(report: Report) -> str | None:
    outcome = getattr(report, "outcome", None)
    return None if outcome is None else str(outcome)


def combine_bump(reports: Sequence[tuple[str, Report]]) -> Report:
    """The one pair's bump report as it is, or several pairs' as a :class:`BumpPairsReport`."""
    if len(reports) == 1:
        return reports[0][1]
    return BumpPairsReport(tuple(reports))
