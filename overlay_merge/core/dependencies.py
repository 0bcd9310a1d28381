"""Additions that depend on changed upstream code: ``depends-on-changed`` (docs/design.md §5).

An addition (an overlay file upstream does not have) is never merged, yet
it breaks when an upstream module it imports is renamed, moved, deleted or
changed.  For each addition in a language whose imports are read
(:mod:`overlay_merge.core.imports`), every import is resolved in the
build's tree at the addition's base (upstream's files with the overlay
copied over them); the upstream files found are compared with the target:

- the import no longer resolves: the module is ``deleted``, or ``moved``
  (upstream renamed it; the import names the old path) — *broken*;
- it resolves to another file (``x.jsx`` -> ``x.tsx``): ``renamed``;
- the same file with other content: ``modified``;

and a name the addition takes from it (``import { raToHours }``, ``from x
import Y``) that the module defined at the base but no longer defines or
exports at the target makes the dependency *broken*; otherwise it is
*changed* (a warning: in the public Icare and Fritz histories maintainers
had to edit the addition after most deletions and moves, and after few
other changes).  A name is only called missing when the module's syntax
tells all its names (no syntax error, no ``__getattr__``, no ``export *``
that cannot be followed): the analysis never guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.git.model import Entry
from overlay_merge.core.git.upstream import UpstreamRepo
from overlay_merge.core.imports import grammars
from overlay_merge.core.imports.javascript import js_exports, js_imports
from overlay_merge.core.imports.model import Exports, Import, ImportConfig, Language, language_of
from overlay_merge.core.imports.python import python_exports, python_imports
from overlay_merge.core.imports.resolve import candidates, submodule_candidates
from overlay_merge.core.model import ValueEnum

MAX_STAR_DEPTH = 4  # `export * from` chains followed this deep, then names count as unknown


class DependencyChange(ValueEnum):
    """What upstream did to an imported file between the addition's base and the target."""

    MODIFIED = "modified"  # the same file, other content
    RENAMED = "renamed"  # the import resolves to another file now (x.jsx -> x.tsx)
    MOVED = "moved"  # upstream moved it: the import no longer resolves
    DELETED = "deleted"  # gone: the import no longer resolves


class Grade(ValueEnum):
    """How strong the evidence is that the addition needs an edit."""

    BROKEN = "broken"  # a module gone or moved, or a name it takes no longer there
    CHANGED = "changed"  # a module it imports changed: worth a look


@dataclass(frozen=True)
class Dependency:
    """One upstream file an addition imports, and what upstream did to it.

    *path* is the file at the addition's base; *now* where the import
    resolves at the target (``renamed``) or upstream's new path (``moved``);
    *missing* the names the addition takes that the file no longer has;
    *line* the addition's (first) import of it.  *via* is set when the
    addition imports another module that passes this file's names on
    (``export * from``, ``from .obj import *``): its moves alone break
    nothing then, only names the imported module lost.  *before*/*after* are
    the file's versions (None: absent), for the upstream diff of the module.
    """

    specifier: str
    path: str
    change: DependencyChange
    line: int
    now: str | None = None
    names: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    via: str | None = None  # the module imported, which passes this file's names on
    before: bytes | None = field(default=None, compare=False, repr=False)
    after: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def grade(self) -> Grade:
        gone = self.change in (DependencyChange.MOVED, DependencyChange.DELETED)
        return Grade.BROKEN if (gone and self.via is None) or self.missing else Grade.CHANGED

    def summary(self) -> str:
        """What happened, without the path: ``moved to …``, ``no longer has `raToHours```."""
        if self.missing:
            return "no longer has " + ", ".join(f"`{n}`" for n in self.missing)
        return {
            DependencyChange.MODIFIED: "modified",
            DependencyChange.RENAMED: f"now resolves to {self.now}",
            DependencyChange.MOVED: f"moved to {self.now}",
            DependencyChange.DELETED: "deleted",
        }[self.change]

    def describe(self) -> str:
        """``static/js/ducks/source.js renamed to ….ts; `fetchSource` no longer exported``."""
        what = {
            DependencyChange.MODIFIED: "changed",
            DependencyChange.RENAMED: f"now resolves to {self.now}",
            DependencyChange.MOVED: f"moved to {self.now}",
            DependencyChange.DELETED: "deleted",
        }[self.change]
        text = f"{self.path} {what}"
        if self.via is not None:
            text = f"{self.path} (through {self.via}) {what}"
        if self.missing:
            names = ", ".join(f"`{n}`" for n in self.missing)
            text += f"; no longer has {names}"
        return text


def grade_of(dependencies: Sequence[Dependency]) -> Grade | None:
    """The strongest grade among *dependencies* (None: there are none)."""
    if not dependencies:
        return None
    broken = any(d.grade == Grade.BROKEN for d in dependencies)
    return Grade.BROKEN if broken else Grade.CHANGED


RenameFinder = Callable[[str, str], "str | None"]


@dataclass
class DependencyAnalysis:
    """The import analysis of one plan's additions against one target, with its caches.

    *overlay_paths* gives the overlay's files (asked once, when an import
    needs it): the build copies them over upstream, so an import may resolve
    to one.  *skipped* collects why a language was not analysed, *unreadable*
    why some upstream files could not be read (their imports count as absent).
    """

    upstream: UpstreamRepo
    target: str
    config: ImportConfig
    overlay_paths: Callable[[], frozenset[str]]
    renames_from: RenameFinder
    skipped: dict[Language, str] = field(default_factory=dict)
    unreadable: dict[str, None] = field(default_factory=dict)  # why, in order met
    _overlay: frozenset[str] | None = None
    _exports: dict[tuple[str, Language], Exports | None] = field(default_factory=dict)
    _found: dict[tuple[str, str, str], tuple[str | None, bool]] = field(default_factory=dict)

    def check(self, path: str, data: bytes, base: str) -> tuple[Dependency, ...]:
        """The upstream files addition *path* (content *data*, base *base*) imports that
        changed between *base* and the target, in the order of the addition's imports."""
        language = language_of(path)
        if language is None or base == self.target or b"\0" in data:
            return ()
        try:
            root = grammars.parse(language, data)
        except grammars.GrammarUnavailable as exc:
            self.skipped[language] = str(exc)
            return ()
        imports = python_imports(root) if language == Language.PYTHON else js_imports(root)
        found: dict[str, Dependency] = {}
        for item in self._expanded(path, language, imports, base):
            resolved = self._resolve(path, item, language, base)
            if resolved is None or not self._upstream_has(base, resolved):
                continue  # a package, or a file of the overlay's own: not upstream code
            now = self._resolve(path, item, language, self.target)
            for dependency in self._compared(item, base, resolved, now):
                found[dependency.path] = _joined(found.get(dependency.path), dependency)
        return tuple(found.values())

    # -- resolving ---------------------------------------------------------------------

    def _in_overlay(self, path: str) -> bool:
        if self._overlay is None:
            self._overlay = self.overlay_paths()
        return path in self._overlay

    def _upstream_has(self, commit: str, path: str) -> bool:
        return self._entry(commit, path) is not None

    def _entry(self, commit: str, path: str) -> Entry | None:
        """The upstream file at *path*, or None, also where it cannot be read (a nested
        submodule not initialized): then the plan says what was not checked."""
        try:
            return self.upstream.entry(commit, path)
        except OverlayMergeError as exc:
            self.unreadable.setdefault(str(exc), None)
            return None

    def _read(self, commit: str, path: str) -> bytes | None:
        try:
            found = self.upstream.read(commit, path)
        except OverlayMergeError as exc:
            self.unreadable.setdefault(str(exc), None)
            return None
        return None if found is None else found[0]

    def _resolve(self, importer: str, item: Import, language: Language, commit: str) -> str | None:
        """The file *item* names in the build's tree at *commit* (None: none of upstream's)."""
        for candidate in candidates(importer, item.specifier, language, self.config):
            if self._upstream_has(commit, candidate) or self._in_overlay(candidate):
                return candidate
        return None

    def _expanded(
        self, importer: str, language: Language, imports: list[Import], base: str
    ) -> list[Import]:
        """*imports*, with ``from package import module`` split into an import of the module."""
        if language != Language.PYTHON:
            return imports
        out: list[Import] = []
        for item in imports:
            package = self._resolve(importer, item, language, base)
            if package is None or not package.endswith("/__init__.py") or not item.names:
                out.append(item)
                continue
            kept = []
            for name in item.names:
                if any(self._upstream_has(base, c) for c in submodule_candidates(package, name)):
                    module = item.specifier + ("" if item.specifier.endswith(".") else ".") + name
                    out.append(Import(module, (), item.line))
                else:
                    kept.append(name)
            out.append(Import(item.specifier, tuple(kept), item.line))
        return out

    # -- comparing ---------------------------------------------------------------------

    def _compared(
        self, item: Import, base: str, resolved: str, now: str | None
    ) -> list[Dependency]:
        """What upstream did to *resolved* (imported by *item*, resolving to *now* at the
        target) and to the files it passes the imported names on from (``export *``)."""
        if now is None:
            try:
                moved = self.renames_from(base, resolved)
            except OverlayMergeError as exc:
                self.unreadable.setdefault(str(exc), None)
                moved = None
            gone = DependencyChange.DELETED if moved is None else DependencyChange.MOVED
            return [self._dependency(item, base, resolved, gone, moved)]
        if now != resolved and not self._upstream_has(self.target, now):
            return []  # the overlay's own file shadows it now: the overlay decides
        lost = {n for n in item.names if self._lost(base, resolved, now, n)}
        origins: dict[str, list[str]] = {}
        for name in item.names:
            origin = self._find(base, resolved, name, 0)[0] or resolved
            origins.setdefault(origin, []).append(name)
        found = []
        for origin in [resolved, *(o for o in origins if o != resolved)]:
            names = item.names if origin == resolved else tuple(origins[origin])
            missing = tuple(n for n in origins.get(origin, ()) if n in lost)
            at_target: str | None = now if origin == resolved else origin
            if not self._upstream_has(self.target, at_target or origin):
                at_target = None
            change = self._change(base, origin, at_target, missing)
            if change is not None:
                via = None if origin == resolved else resolved
                taken = Import(item.specifier, names, item.line)
                found.append(self._dependency(taken, base, origin, change, at_target, missing, via))
        return found

    def _change(
        self, base: str, path: str, now: str | None, missing: tuple[str, ...]
    ) -> DependencyChange | None:
        """What became of upstream file *path* of *base*, found at *now* at the target."""
        if now is None:
            return DependencyChange.DELETED
        if now != path:
            return DependencyChange.RENAMED
        same = self._entry(base, path) == self._entry(self.target, path)
        # The same file, yet a name it passed on (from another one) is gone: modified too.
        return None if same and not missing else DependencyChange.MODIFIED

    def _dependency(
        self,
        item: Import,
        base: str,
        path: str,
        change: DependencyChange,
        now: str | None,
        missing: tuple[str, ...] = (),
        via: str | None = None,
    ) -> Dependency:
        before = self._read(base, path)
        after = self._read(self.target, now or path)
        return Dependency(
            item.specifier,
            path,
            change,
            item.line,
            None if now == path else now,
            item.names,
            missing,
            via,
            before=before,
            after=after,
        )

    def _lost(self, base: str, old: str, new: str, name: str) -> bool:
        """True if *name* is surely in *old* at *base* and surely not in *new* at the target."""
        # The target first: a name still there (most are) needs no look at the base.
        return self._defines(self.target, new, name) is False and (
            self._defines(base, old, name) is True
        )

    def _defines(self, commit: str, path: str, name: str) -> bool | None:
        """Whether module *path* at *commit* has *name*; None when its syntax cannot tell."""
        origin, known = self._find(commit, path, name, 0)
        if origin is not None:
            return True
        return False if known else None

    def _find(self, commit: str, path: str, name: str, depth: int) -> tuple[str | None, bool]:
        """The file of *path*'s module at *commit* that defines *name* (itself, or one it
        passes on whole), and whether a None answer is sure (all names known)."""
        key = (commit, path, name)
        if key not in self._found:
            self._found[key] = self._search(commit, path, name, depth)
        return self._found[key]

    def _search(self, commit: str, path: str, name: str, depth: int) -> tuple[str | None, bool]:
        exports = self._exports_of(commit, path)
        if exports is None:
            return None, False
        if name in exports.names:
            return path, True
        language = language_of(path)
        if language == Language.PYTHON and path.endswith("/__init__.py"):
            for module in submodule_candidates(path, name):
                if self._upstream_has(commit, module):
                    return module, True
        known = exports.complete
        for spec in exports.star:
            assert language is not None  # exports are read for known languages only
            source = self._resolve(path, Import(spec), language, commit)
            if source is None or depth >= MAX_STAR_DEPTH or not self._upstream_has(commit, source):
                known = False  # a package's names, or too deep: unknown
                continue
            origin, sure = self._find(commit, source, name, depth + 1)
            if origin is not None:
                return origin, True
            known = known and sure
        return None, known

    def _exports_of(self, commit: str, path: str) -> Exports | None:
        """The names of upstream file *path* at *commit*, parsed once per blob: most
        files are the same at the base and the target."""
        language = language_of(path)
        entry = self._entry(commit, path)
        if language is None or entry is None:
            return None  # CSS, JSON, an image...: no names to check
        key = (entry.oid, language)
        if key not in self._exports:
            self._exports[key] = self._read_exports(commit, path, language)
        return self._exports[key]

    def _read_exports(self, commit: str, path: str, language: Language) -> Exports | None:
        found = self._read(commit, path)
        if found is None or b"\0" in found:
            return None
        try:
            root = grammars.parse(language, found)
        except grammars.GrammarUnavailable as exc:
            self.skipped[language] = str(exc)
            return None
        return python_exports(root) if language == Language.PYTHON else js_exports(root)


def _joined(first: Dependency | None, second: Dependency) -> Dependency:
    """Two imports of the same file as one dependency: the names of both, the first line."""
    if first is None:
        return second
    names = tuple(dict.fromkeys((*first.names, *second.names)))
    missing = tuple(dict.fromkeys((*first.missing, *second.missing)))
    return Dependency(
        first.specifier,
        first.path,
        first.change,
        first.line,
        first.now,
        names,
        missing,
        first.via if second.via is not None else None,  # imported directly once: direct
        before=first.before,
        after=first.after,
    )
