"""A generated history where upstream changes the modules the overlay's additions import.

On the sample's upstream (at s1): commit ``c1`` adds upstream modules, the
overlay gets additions importing them (base ``c1``, the pin), then ``c2``
(or a variant) changes those modules the ways that break or merely touch an
addition, as SkyPortal's TypeScript and RTK Query migrations did to Icare:

=============================================  ===============================  ===========
addition                                        what upstream does in c2         grade
=============================================  ===============================  ===========
static/js/components/SourceStatus.jsx          moves ducks/source.js to store/   broken
static/js/components/Coordinates.tsx           drops ``raToHours`` from units.ts broken
skyportal/handlers/api/fink_photometry.py       edits a body in models/obj.py     changed
static/js/components/Plain.jsx                  nothing it imports changes        (unchanged)
=============================================  ===============================  ===========
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conftest import run_cli
from gitutil import commit_files, git

from overlay_merge.demo import Sample

OVERLAY = "extensions/skyportal"

MOVED = "static/js/components/SourceStatus.jsx"
LOST_NAME = "static/js/components/Coordinates.tsx"
BODY = "skyportal/handlers/api/fink_photometry.py"
PLAIN = "static/js/components/Plain.jsx"
ADDITIONS = (MOVED, LOST_NAME, BODY, PLAIN)

SOURCE_DUCK = b"""\
import * as API from "../API";

export const FETCH_SOURCE = "skyportal/FETCH_SOURCE";

export function fetchSource(id) {
  return API.GET(`/api/sources/${id}`, FETCH_SOURCE);
}

export default function reducer(state = {}, action) {
  return state;
}
"""

UNITS = b"""\
export function raToHours(ra: number): string {
  return (ra / 15).toFixed(3);
}

export function decToDeg(dec: number): string {
  return dec.toFixed(3);
}
"""

UNITS_WITHOUT_RA = b"""\
export function decToDeg(dec: number): string {
  return dec.toFixed(3);
}

export function raToSexagesimal(ra: number): string {
  return (ra / 15).toFixed(5);
}
"""

OBJ = b"""\
class Obj:
    def distance(self, other):
        return 0.0
"""

OBJ_EDITED = b"""\
class Obj:
    def distance(self, other):
        # great-circle distance, in degrees
        return abs(other.ra - self.ra)
"""

BUTTON = b"""\
const Button = ({ children }) => <button type="button">{children}</button>;

export default Button;
"""

UPSTREAM = {
    "static/js/ducks/source.js": SOURCE_DUCK,
    "static/js/utils/units.ts": UNITS,
    "static/js/components/Button.jsx": BUTTON,
    "skyportal/models/__init__.py": b"from .obj import *\n",
    "skyportal/models/obj.py": OBJ,
}

OVERLAY_FILES = {
    MOVED: b"""\
import { useEffect } from "react";
import { fetchSource } from "../ducks/source";
import Button from "./Button";

const SourceStatus = ({ id }) => {
  useEffect(() => { fetchSource(id); }, [id]);
  return <Button>status</Button>;
};

export default SourceStatus;
""",
    LOST_NAME: b"""\
import React from "react";

import { raToHours, decToDeg } from "../utils/units";

const Coordinates = ({ ra, dec }: { ra: number; dec: number }) => (
  <span>{raToHours(ra)} {decToDeg(dec)}</span>
);

export default Coordinates;
""",
    BODY: b"""\
import requests

from ...models import Obj
from baselayer.app.access import auth_or_token


@auth_or_token
def fink_photometry(obj: Obj):
    return requests.get("https://api.fink-portal.org")
""",
    PLAIN: b"""\
import Button from "./Button";

const Plain = () => <Button>plain</Button>;

export default Plain;
""",
}


@dataclass(frozen=True)
class History:
    """The commits: ``c1`` (the pin, every addition's base) and the target ``c2``."""

    c1: str
    c2: str


def make_history(sample: Sample, *, only_body: bool = False) -> History:
    """Build the history on *sample* (see the module doc), the pin left at ``c1``.

    *only_body*: c2 changes only the body of ``models/obj.py`` (nothing breaks).
    The deployment commits its overlay, base file and pin, so a bump may run.
    """
    upstream = sample.upstream
    c1 = commit_files(upstream, UPSTREAM, "upstream modules")
    overlay = Path(sample.deployment, OVERLAY)
    for path, data in OVERLAY_FILES.items():
        (overlay / path).parent.mkdir(parents=True, exist_ok=True)
        (overlay / path).write_bytes(data)
    assert run_cli(sample.deployment, "init").exit_code == 0  # their base: the pin, c1
    changes: dict[str, bytes | None] = {"skyportal/models/obj.py": OBJ_EDITED}
    if not only_body:
        (upstream / "static/js/store").mkdir()
        git(upstream, "mv", "static/js/ducks/source.js", "static/js/store/source.js")
        changes["static/js/utils/units.ts"] = UNITS_WITHOUT_RA
    c2 = commit_files(upstream, changes, "the migration")
    git(upstream, "checkout", "-q", "--detach", c1)
    git(sample.deployment, "add", "-A")
    git(sample.deployment, "commit", "-q", "-m", "additions")
    return History(c1, c2)
