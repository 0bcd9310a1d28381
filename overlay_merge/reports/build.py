"""The ``build`` report: what was written, what was missing, drift, and the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overlay_merge.core.build import BuildResult
from overlay_merge.core.build.manifest import MANIFEST
from overlay_merge.core.model import StatusState
from overlay_merge.reports.base import Report, plural, short


@dataclass(frozen=True)
class BuildReport(Report):
    """Renders a :class:`BuildResult`; exit 1 when drift stopped the build, else 0.

    Skipped nested submodules and drift allowed by ``--allow-drift`` are
    warnings: the build happened, so the exit code stays 0.
    """

    result: BuildResult

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
