"""The bump screen's words: its help (``?``) and the keys of its key bar."""

from __future__ import annotations

from overlay_merge.core.decisions import allowed_decisions
from overlay_merge.core.model import Decision, View
from overlay_merge.core.plan import FilePlan
from overlay_merge.tui.keybar import Key

KEYS_HELP = """\
[b]choices[/b] (bump only)
  m        stop and merge: write the merges, move the pin
  u        update anyway: move the pin only (both ask: y/Enter)
  c q Esc  cancel: change nothing

[b]the selected file[/b] (bump only; before applying)
  a        take the merge (the default)
  k        keep the overlay file as it is (its base stays)
  t        take upstream's version
  d        drop the overlay file (converged, deleted-upstream)
  o        confirm a depends-on-changed addition works with
           upstream's change (its base moves; else it stays)
  i        its imported modules' upstream diffs, one by one

[b]moving around[/b]
  ↑ ↓      select a file
  Tab      focus the view (its edge lights up): ↑ ↓ PgUp PgDn
           ← → scroll it; Tab again: back to the files
  1 2 3    overlay / upstream / merge preview
  n p      next / previous conflict (merge preview) or hunk
  l        the upstream commits of the range
  ?        this help

[b]after a merge[/b]
  Enter h  hunk by hunk (its own keys: ? there): o overlay,
           u upstream, b both, B both (upstream first),
           Enter record, z undo, e $EDITOR at the hunk
  e        open the selected file in $EDITOR
           (or `git mergetool`), then `overlay-merge resolve`
  q Esc    done: the report as things stand is printed

The screen needs 60x18 at least (a notice says so below)."""

# The per-file decisions, in the key bar's order: its key and its label.
DECISION_KEYS = {
    Decision.KEEP_OVERLAY: Key("k", "Keep"),
    Decision.TAKE_UPSTREAM: Key("t", "Upstream"),
    Decision.DROP: Key("d", "Drop"),
    Decision.CONFIRM: Key("o", "Confirm"),
    Decision.TAKE_MERGE: Key("a", "Merge it"),
}


def bump_keys(item: FilePlan | None, view: str, *, review: bool) -> list[Key]:
    """The key bar of the bump screen for the selected *item* in tab *view*.

    ``q``, ``?`` and ``n``/``p`` are always shown; then the decisions the
    file is offered (the core's rule, as the CLI's ``--decide``), the
    choices, and what is left room for.
    """
    quit_label = "Quit" if review else "Cancel"
    what = "Conflict" if view == View.MERGE_PREVIEW else "Hunk"
    keys = [Key("q", quit_label, keep=True), Key("?", "Keys", keep=True)]
    keys.append(Key("n/p", what, keep=True))
    if not review and item is not None:
        allowed = allowed_decisions(item)
        keys += [k for d, k in DECISION_KEYS.items() if d in allowed and d != item.decision]
        if item.dependencies:
            keys.append(Key("i", "Imports"))
    if not review:
        keys += [Key("m", "Merge"), Key("u", "Update")]
    return [*keys, Key("l", "Commits"), Key("Tab", "View"), Key("1 2 3", "Tabs")]
