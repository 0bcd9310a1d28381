"""Per-file decisions on a plan: which are offered, and the plan once taken (docs/design.md §5).

The one rule the bump screen, ``bump --decide`` and ``bump --drop-converged``
all ask: a decision is taken only where :func:`allowed_decisions` offers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.model import DROPPABLE, BumpState, Decision
from overlay_merge.core.plan import BumpPlan, FilePlan


def allowed_decisions(item: FilePlan) -> tuple[Decision, ...]:
    """The per-file decisions offered for *item* (docs/design.md §5), the default first.

    Taking upstream's version needs one (not for a file deleted upstream, nor
    an addition upstream still lacks); dropping is offered for files upstream
    now carries (``converged``) or deleted (``deleted-upstream``); confirming
    (the addition works with upstream's change: its base moves) for
    ``depends-on-changed``, whose default keeps its base.
    """
    allowed = [Decision.TAKE_MERGE, Decision.KEEP_OVERLAY]
    if item.dependencies:
        allowed.append(Decision.CONFIRM)
    if item.theirs is not None:
        allowed.append(Decision.TAKE_UPSTREAM)
    if item.state in DROPPABLE:
        allowed.append(Decision.DROP)
    return tuple(allowed)


def decide(plan: BumpPlan, decisions: Mapping[str, str]) -> BumpPlan:
    """The plan with the maintainer's per-file *decisions* ({overlay path: decision}).

    ``keep`` leaves the file and its base alone (its drift stays visible);
    ``upstream`` takes upstream's version (at its new path for a rename);
    ``drop`` deletes the overlay file and its base entry.  ``merge`` is the
    default.  A decision :func:`allowed_decisions` does not offer for the
    file is refused, saying which are; so is a path the plan does not have.
    """
    by_path = {f.path: f for f in plan.files}
    chosen: dict[str, Decision] = {}
    for path, decision in decisions.items():
        if path not in by_path:
            raise _unknown_path(plan, path)
        if decision not in tuple(Decision):
            names = ", ".join(Decision)
            raise OverlayMergeError(f"{path}: unknown decision {decision!r} (one of {names})")
        allowed = allowed_decisions(by_path[path])
        if decision not in allowed:
            raise OverlayMergeError(
                f"{path}: decision {decision!s} is not offered for a file in state "
                f"{by_path[path].state} (offered: {', '.join(allowed)})"
            )
        chosen[path] = Decision(decision)
    return replace(plan, files=tuple(_decided(f, chosen.get(f.path)) for f in plan.files))


def _decided(item: FilePlan, decision: Decision | None) -> FilePlan:
    if decision == Decision.KEEP_OVERLAY:
        return replace(item, decision=decision, content=None, mode=None, renamed_to=None)
    if decision == Decision.TAKE_UPSTREAM and item.theirs is not None:
        theirs = item.theirs
        return replace(item, decision=decision, content=theirs.data, mode=theirs.mode)
    if decision in (Decision.DROP, Decision.CONFIRM):
        return replace(item, decision=decision, content=None, mode=None, renamed_to=None)
    return item


def drop_converged(plan: BumpPlan, decisions: Mapping[str, str]) -> dict[str, str]:
    """*decisions* plus ``drop`` for every ``converged`` file they do not decide.

    Upstream now carries those files' changes: the overlay copies add nothing
    (docs/design.md §5).  A decision named for a converged file wins.
    """
    converged = {f.path: str(Decision.DROP) for f in plan.files if f.state == BumpState.CONVERGED}
    return {**converged, **decisions}


def _unknown_path(plan: BumpPlan, path: str) -> OverlayMergeError:
    """A decision for a path the plan has no file at, with the paths it takes."""
    prefix = plan.overlay.rstrip("/") + "/"
    if path.startswith(prefix) and path[len(prefix) :] in {f.path for f in plan.files}:
        hint = f"name it relative to the overlay {plan.overlay}: {path[len(prefix) :]}"
    else:
        hint = f"PATH is an overlay file relative to {plan.overlay}, as `bump --dry-run` lists it"
    return OverlayMergeError(f"{path}: not an overlay file of this bump", hint)
