"""The ``build`` report: what was written, what was missing, drift, and the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overlay_merge.core.build import BuildResult
from overlay_merge.core.build.manifest import MANIFEST
from overlay_merge.core.build.steps import CommandRun
from overlay_merge.core.depmerge import MergeOutcome
from overlay_merge.core.model import StatusState
from overlay_merge.reports.base import Report, plural, short

EXIT_AFTER_BUILD = 4  # built, but an after-build command failed


def _command_json(run: CommandRun) -> dict[str, Any]:
    command = run.command if isinstance(run.command, str) else list(run.command)
    return {
        "command": command,
        "exit_code": run.exit_code,
        "ran": run.exit_code is not None,
        "error": run.error,
        "seconds": round(run.seconds, 3),
    }


def _merge_json(outcome: MergeOutcome) -> dict[str, Any]:
    merge = outcome.merge
    return {
        "kind": merge.kind,
        "from": str(merge.source),
        "into": str(merge.into),
        "added": list(outcome.added),
        "collisions": [
            {"name": c.name, "upstream": c.upstream, "deployment": c.deployment}
            for c in outcome.collisions
        ],
    }


def _shown(command: str | tuple[str, ...]) -> str:
    return command if isinstance(command, str) else " ".join(command)


@dataclass(frozen=True)
class BuildReport(Report):
    """Renders a :class:`BuildResult`; exit 1 when drift stopped the build, 4 when an
    after-build command failed, else 0.

    Skipped nested submodules, drift allowed by ``--allow-drift`` and
    dependency collisions are warnings: the build happened, so the exit code
    stays 0.
    """

    result: BuildResult

    @property
    def return_code(self) -> int:
        if self.result.failed_command is not None:
            return EXIT_AFTER_BUILD
        return super().return_code

    @property
    def counts(self) -> dict[str, int]:
        r = self.result
        return {
            "upstream_files": r.upstream_files,
            "symlinks": r.symlinks,
            "replaced": len(r.replaced),
            "added": len(r.added),
            "skipped_submodules": len(r.skipped),
            "drift": len(r.drift),
            "written": len(r.written),
            "removed": len(r.removed),
            "unchanged": r.unchanged,
            "edited": len(r.edited),
            "kept": len(r.kept),
            "adopted": len(r.adopted),
            "nested_repos": len(r.repos),
        }

    @property
    def found(self) -> bool:
        return not self.result.built

    def as_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "upstream": r.upstream,
            "pin": r.pin,
            "build_dir": r.build_dir,
            "built": r.built,
            "replaced_previous": r.replaced_previous,
            "counts": self.counts,
            "replaced": list(r.replaced),
            "added": list(r.added),
            "skipped_submodules": [
                {"path": s.path, "reason": s.reason, "hint": s.hint} for s in r.skipped
            ],
            "drift": [
                {"path": f.path, "kind": f.kind, "base": f.base, "state": f.state} for f in r.drift
            ],
            "seconds": round(r.seconds, 3),
            "clean": r.clean,
            "manifest": f"{r.build_dir}/{MANIFEST}" if r.built else None,
            "manifest_written": r.manifest_written,
            "written": list(r.written),
            "removed": list(r.removed),
            "edited": list(r.edited),
            "kept": list(r.kept),
            "adopted": list(r.adopted),
            "nested_repos": [
                {
                    "path": repo.path,
                    "commit": repo.commit,
                    "files": repo.files,
                    "checked_out": repo.checked_out,
                }
                for repo in r.repos
            ],
            "plain_repos": list(r.plain_repos),
            "dependency_merges": [_merge_json(m) for m in r.merges],
            "after_build": [_command_json(c) for c in r.after_build],
        }

    def text_lines(self) -> list[str]:
        r = self.result
        lines: list[str] = []
        if r.built:
            lines.append(
                f"built {r.build_dir}/ from {r.upstream} {short(r.pin)} and the overlay "
                f"in {r.seconds:.2f} s"
            )
            lines.append(
                f"  {plural(r.upstream_files, 'upstream file')} "
                f"({plural(r.symlinks, 'symlink')}); the overlay replaced {len(r.replaced)} "
                f"and added {len(r.added)}"
            )
            lines += self._build_lines()
        else:
            lines.append(
                f"not built: {plural(len(r.drift), 'overlay file')} drifted from the pin "
                f"{short(r.pin)}; copying them would throw away upstream's changes"
            )
        for skipped in r.skipped:
            lines.append(
                f"warning: {skipped.path}/ is empty in the build: {skipped.reason} "
                f"(fix: {skipped.hint})"
            )
        if r.drift:
            if r.built:
                lines.append(f"warning (--allow-drift): {plural(len(r.drift), 'file')} drifted:")
            lines += [
                f"  {f.state:<10}  {f.kind:<8}  {short(f.base):<7}  {f.path}" for f in r.drift
            ]
            lines.append(self._drift_hint())
        return lines

    def _build_lines(self) -> list[str]:
        """What the build did to the folder, its nested repositories, and what to look at."""
        r = self.result
        if r.clean:
            how = f"  afresh (--clean): {plural(len(r.written), 'file')} written"
        else:
            how = (
                f"  in place: {len(r.written)} written, {len(r.removed)} removed, "
                f"{r.unchanged} unchanged"
            )
        lines = [how]
        for repo in r.repos:
            lines.append(
                f"  nested repository {repo.path}/ at {short(repo.commit)}: "
                f"{plural(repo.files, 'file')}"
            )
            if repo.checked_out not in (None, repo.commit):
                lines.append(
                    f"warning: {repo.path}/ is checked out at {short(repo.checked_out)}; "
                    f"built at {short(repo.commit)}, the commit the deployment records"
                )
        for path in r.plain_repos:
            lines.append(
                f"warning: {path}/ has a .git of its own but the deployment records no "
                "submodule there: not built (fix: `git submodule add <url> PATH` for it)"
            )
        lines += [f"warning: {p}: edited in the build dir; rewritten" for p in r.edited]
        lines += [
            f"warning: {p}: edited in the build dir and no longer built; left in place"
            for p in r.kept
        ]
        lines += [f"note: {p}: no build wrote it; overwritten (--adopt)" for p in r.adopted]
        return lines + self._step_lines()

    def _step_lines(self) -> list[str]:
        """The dependency merges and the after-build commands."""
        lines = []
        for outcome in self.result.merges:
            merge = outcome.merge
            lines.append(
                f"  merged {merge.kind} dependencies of {merge.source} into {merge.into}: "
                f"{len(outcome.added)} added, {plural(len(outcome.collisions), 'collision')}"
            )
            lines += [
                f"warning: {c.name}: upstream {c.upstream!r}, deployment {c.deployment!r}; "
                "the deployment's is built"
                for c in outcome.collisions
            ]
        for run in self.result.after_build:
            if run.exit_code is None:
                lines.append(
                    f"  after-build: not run (an earlier command failed): {_shown(run.command)}"
                )
            elif run.exit_code == 0:
                lines.append(f"  after-build: exit 0 in {run.seconds:.2f} s: {_shown(run.command)}")
            else:
                why = f" ({run.error})" if run.error else ""
                lines.append(
                    f"error: after-build command failed with exit {run.exit_code}{why}: "
                    f"{_shown(run.command)}"
                )
        return lines

    def _drift_hint(self) -> str:
        r = self.result
        states = {f.state for f in r.drift}
        hints = []
        if StatusState.STALE in states:
            hints.append(f"`overlay-merge bump {short(r.pin)}` merges upstream's changes into them")
        if StatusState.UNRECORDED in states:
            hints.append("`overlay-merge init` records the unrecorded ones")
        if not r.built:
            hints.append("`overlay-merge build --allow-drift` builds anyway")
        return "; ".join(hints)
