"""Reports of ``bump``: the plan, what a merge or update did, a cancel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from overlay_merge.core.git.model import RenameStep
from overlay_merge.core.model import BumpChoice, BumpState, Decision, RenameSource
from overlay_merge.core.plan import BumpPlan, FilePlan
from overlay_merge.reports.base import Report, conflicts_summary, plural, short
from overlay_merge.reports.dependencies import dependencies_json, describe, state_width
from overlay_merge.reports.provenance import refinements_json, resolved_by_rules

if TYPE_CHECKING:
    # Only a merge's report holds one: the plan (``--dry-run``) needs none of the
    # code that writes.
    from overlay_merge.core.apply import ApplyResult

MAX_COMMITS_SHOWN = 20

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

    def as_json(self) -> dict[str, Any]:
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
            **PlanReport(self.plan).as_json(),
            "choice": r.choice,
            "written": list(r.written),
            "moved": r.moved,
            "conflicts_left": list(r.conflicts),
            "resolved_since": list(self.resolved),
            "nested_moved": list(r.nested_moved),
            "nested_skipped": list(r.nested_skipped),
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
    """The cancel choice: nothing changed."""

    plan: BumpPlan

    def as_json(self) -> dict[str, Any]:
        return {**PlanReport(self.plan).as_json(), "choice": BumpChoice.CANCEL}

    def text_lines(self) -> list[str]:
        return ["cancelled: nothing changed"]
