"""The import analysis per language: imports, exported names and resolution, on real-looking code.

The inputs are shaped like the files of a SkyPortal deployment (Icare's
``SourceStatus.tsx``, its redux ducks, a Fink photometry handler) and of
SkyPortal itself (a barrel ``index.ts``, a models package).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay_merge.core.errors import OverlayMergeError
from overlay_merge.core.imports import grammars
from overlay_merge.core.imports.config import import_config
from overlay_merge.core.imports.javascript import js_exports, js_imports
from overlay_merge.core.imports.model import DEFAULT, Exports, Import, ImportConfig, Language
from overlay_merge.core.imports.model import language_of as language
from overlay_merge.core.imports.python import python_exports, python_imports
from overlay_merge.core.imports.resolve import js_candidates, python_candidates
from overlay_merge.core.layout import load_layout

SOURCE_STATUS_TSX = b"""\
import { useState } from "react";
import Dialog from "@mui/material/Dialog";
import CloseIcon from "@mui/icons-material/Close";

import Button from "../Button";
import { showNotification } from "baselayer/components/Notifications";
import { useAppDispatch, type AppDispatch } from "../../types/hooks";
import { skyportalApi } from "../../api/skyportalApi";

import * as sourcestatus from "../../ducks/sourcestatus";
import { useGetTaxonomiesQuery as useTaxonomies } from "../../ducks/taxonomies";

interface SourceStatusProps {
  source: { obj_id: string; ra: number };
}

const SourceStatus = ({ source }: SourceStatusProps) => {
  const [open, setOpen] = useState(false);
  const dispatch = useAppDispatch();
  const Lazy = React.lazy(() => import("./LazyPanel"));
  return <Dialog open={open}><Button onClick={() => setOpen(false)}><CloseIcon /></Button></Dialog>;
};

export default SourceStatus;
"""

FINK_PHOTOMETRY_PY = b"""\
import io

import pandas as pd
import requests
from astropy.time import Time
from sqlalchemy.orm import selectinload
from baselayer.app.access import auth_or_token
from baselayer.log import make_log
from skyportal.models.obj import Obj

from ...models import Instrument, User as SkyUser
from ..base import (
    BaseHandler,
)
from .photometry import add_external_photometry

log = make_log("api/fink_photometry")


class FinkPhotometryHandler(BaseHandler):
    @auth_or_token
    def post(self, obj_id):
        from ...utils.calculations import great_circle_distance

        return self.success()
"""


def _tree(lang: Language, data: bytes):  # type: ignore[no-untyped-def]
    return grammars.parse(lang, data)


# -- languages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("skyportal/models/obj.py", Language.PYTHON),
        ("static/js/ducks/source.js", Language.JAVASCRIPT),
        ("static/js/components/Main.jsx", Language.JAVASCRIPT),
        ("static/js/ducks/fink_phot.ts", Language.TYPESCRIPT),
        ("static/js/components/source/AddFinkPhot.tsx", Language.TSX),
        ("static/js/components/templates/DashboardGrandma.jsx.template", None),
        ("static/images/btn_iam_signin.png", None),
        ("Makefile", None),
        (".eslintrc.js", Language.JAVASCRIPT),
        (".eslintrc", None),  # a dot file: no extension of its own
    ],
)
def test_language_by_extension(path: str, expected: Language | None) -> None:
    assert language(path) == expected


# -- JavaScript / TypeScript ------------------------------------------------------


def test_tsx_imports_with_their_names_and_lines() -> None:
    found = js_imports(_tree(Language.TSX, SOURCE_STATUS_TSX))
    assert found == [
        Import("react", ("useState",), 1),
        Import("@mui/material/Dialog", (DEFAULT,), 2),
        Import("@mui/icons-material/Close", (DEFAULT,), 3),
        Import("../Button", (DEFAULT,), 5),
        Import("baselayer/components/Notifications", ("showNotification",), 6),
        Import("../../types/hooks", ("useAppDispatch", "AppDispatch"), 7),
        Import("../../api/skyportalApi", ("skyportalApi",), 8),
        Import("../../ducks/sourcestatus", (), 10),  # import * as: the module whole
        Import("../../ducks/taxonomies", ("useGetTaxonomiesQuery",), 11),  # the name, not alias
        Import("./LazyPanel", (), 20),  # dynamic import()
    ]


def test_javascript_require_and_reexports() -> None:
    source = b"""\
const path = require("path");
const { raToHours, decToDeg: toDeg } = require("./units");
const config = require(`./${name}`);
export { fetchSource, default as sourceReducer } from "./ducks/source";
export * from "./ducks/candidates";
"""
    assert js_imports(_tree(Language.JAVASCRIPT, source)) == [
        Import("path", (), 1),
        Import("./units", ("raToHours", "decToDeg"), 2),
        Import("./ducks/source", ("fetchSource", "default"), 4),
        Import("./ducks/candidates", (), 5),
    ]


def test_typescript_exports_every_declaration_form() -> None:
    source = b"""\
import * as API from "../API";

export const FETCH_SOURCE = "skyportal/FETCH_SOURCE";
export const { reducer: sourceReducer, actions } = slice;
export let [first, second] = pair;
export function fetchSource(id: string) { return API.GET(`/api/sources/${id}`, FETCH_SOURCE); }
export async function updateSource(id: string) {}
export class SourceCache {}
export abstract class Base {}
export interface SourceState { loading: boolean }
export type SourceId = string;
export enum Status { Open, Closed }
export namespace Internal {}
export declare const injected: number;
export function overloaded(a: string): void;
const local = 1;
export { local as renamedLocal, actions as sourceActions };
export type { SourceState as State } from "./types";
export * as candidates from "./candidates";
export * from "./spectra";
export default sourceReducer;
"""
    exports = js_exports(_tree(Language.TYPESCRIPT, source))
    assert exports == Exports(
        frozenset(
            {
                "FETCH_SOURCE",
                "sourceReducer",
                "actions",
                "first",
                "second",
                "fetchSource",
                "updateSource",
                "SourceCache",
                "Base",
                "SourceState",
                "SourceId",
                "Status",
                "Internal",
                "injected",
                "overloaded",
                "renamedLocal",
                "sourceActions",
                "State",
                "candidates",
                DEFAULT,
            }
        ),
        star=("./spectra",),
        complete=True,
    )


def test_commonjs_exports() -> None:
    object_exports = b"module.exports = { raToHours, decToDeg: (d) => d, 'quoted': 1 };\n"
    assert js_exports(_tree(Language.JAVASCRIPT, object_exports)) == Exports(
        frozenset({DEFAULT, "raToHours", "decToDeg", "quoted"})
    )
    named = b"exports.raToHours = function () {};\nmodule.exports.decToDeg = 2;\n"
    assert js_exports(_tree(Language.JAVASCRIPT, named)).names == {"raToHours", "decToDeg"}
    # A function or a spread: which names it carries is not in the syntax.
    for unknown in (b"module.exports = makeUnits();\n", b"module.exports = { ...base, a };\n"):
        assert not js_exports(_tree(Language.JAVASCRIPT, unknown)).complete


def test_a_syntax_error_makes_exports_incomplete() -> None:
    broken = b"export function raToHours( {\nexport const x = ;\n"
    assert not js_exports(_tree(Language.JAVASCRIPT, broken)).complete


def test_typescript_export_equals_is_not_known() -> None:
    assert not js_exports(_tree(Language.TYPESCRIPT, b"const x = 1;\nexport = x;\n")).complete


def test_js_resolution_follows_the_bundlers_order() -> None:
    config = ImportConfig()
    importer = "static/js/components/widget/SourceStatus.tsx"
    joined = "static/js/ducks/source"
    assert js_candidates(importer, "../../ducks/source", config) == [
        joined,
        *(joined + ext for ext in (".js", ".jsx", ".ts", ".tsx")),
        *(f"{joined}/index{ext}" for ext in (".js", ".jsx", ".ts", ".tsx")),
    ]
    roots = js_candidates(importer, "baselayer/components/Notifications", config)
    assert roots[:2] == [
        "baselayer/static/js/components/Notifications",
        "baselayer/static/js/components/Notifications.js",
    ]
    assert js_candidates(importer, "react", config) == []  # node_modules
    assert js_candidates(importer, "@mui/material/Dialog", config) == []
    assert js_candidates("static/a.js", "../../../etc/passwd", config) == []  # leaves the tree
    custom = ImportConfig(js_roots=(("@", "static/js"),), js_extensions=(".ts",))
    assert js_candidates(importer, "@/ducks/source", custom) == [
        "static/js/ducks/source",
        "static/js/ducks/source.ts",
        "static/js/ducks/source/index.ts",
    ]


# -- Python ------------------------------------------------------------------------


def test_python_imports_absolute_relative_and_inside_functions() -> None:
    found = python_imports(_tree(Language.PYTHON, FINK_PHOTOMETRY_PY))
    assert found == [
        Import("io", (), 1),
        Import("pandas", (), 3),
        Import("requests", (), 4),
        Import("astropy.time", ("Time",), 5),
        Import("sqlalchemy.orm", ("selectinload",), 6),
        Import("baselayer.app.access", ("auth_or_token",), 7),
        Import("baselayer.log", ("make_log",), 8),
        Import("skyportal.models.obj", ("Obj",), 9),
        Import("...models", ("Instrument", "User"), 11),
        Import("..base", ("BaseHandler",), 12),
        Import(".photometry", ("add_external_photometry",), 15),
        Import("...utils.calculations", ("great_circle_distance",), 23),
    ]


def test_python_exports_are_the_top_level_bindings() -> None:
    source = b"""\
from __future__ import annotations

import os.path
import numpy as np
from .instrument import *
from .obj import Obj, Other as Alias

try:
    from fast import speedy
except ImportError:
    speedy = None

if os.environ.get("X"):
    FLAG = True
else:
    FLAG = False

LIMIT: int = 10
RA, (DEC, EPOCH) = 1, (2, 3)
A = B = 0
__all__ = ["Source"]

@decorator
def great_circle_distance(ra1, dec1, ra2, dec2):
    inner = 1
    return inner

class Source:
    attribute = 1

with open("x") as handle:
    pass
"""
    exports = python_exports(_tree(Language.PYTHON, source))
    assert exports.names == {  # `from __future__` binds no name a module offers
        "os",
        "np",
        "Obj",
        "Alias",
        "speedy",
        "FLAG",
        "LIMIT",
        "RA",
        "DEC",
        "EPOCH",
        "A",
        "B",
        "__all__",
        "great_circle_distance",
        "Source",
        "handle",
    }
    assert exports.star == (".instrument",)
    assert exports.complete
    assert "inner" not in exports.names and "attribute" not in exports.names


def test_a_module_getattr_makes_python_exports_incomplete() -> None:
    source = b"def __getattr__(name):\n    return lazy(name)\n"
    assert not python_exports(_tree(Language.PYTHON, source)).complete


def test_python_resolution() -> None:
    config = ImportConfig()
    importer = "skyportal/handlers/api/fink_photometry.py"
    assert python_candidates(importer, "...models", config) == [
        "skyportal/models.py",
        "skyportal/models/__init__.py",
    ]
    assert python_candidates(importer, "..base", config) == [
        "skyportal/handlers/base.py",
        "skyportal/handlers/base/__init__.py",
    ]
    assert python_candidates(importer, ".", config) == ["skyportal/handlers/api/__init__.py"]
    assert python_candidates(importer, "baselayer.log", config) == [
        "baselayer/log.py",
        "baselayer/log/__init__.py",
    ]
    assert python_candidates(importer, ".....beyond", config) == []
    src = ImportConfig(python_roots=("src", "."))
    assert python_candidates("x.py", "pkg.mod", src) == [
        "src/pkg/mod.py",
        "src/pkg/mod/__init__.py",
        "pkg/mod.py",
        "pkg/mod/__init__.py",
    ]


# -- grammars and configuration ---------------------------------------------------------


def test_a_grammar_that_fails_to_load_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grammars, "_loaded", {})
    monkeypatch.setitem(grammars.LOADERS, Language.TSX, ("tree_sitter_not_installed", "language"))
    with pytest.raises(grammars.GrammarUnavailable, match=r"TSX \(tree_sitter_not_installed\)"):
        grammars.parse(Language.TSX, b"const x = 1;\n")
    # The other languages still load.
    assert grammars.parse(Language.TYPESCRIPT, b"const x = 1;\n").type == "program"


def test_import_configuration_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        "[tool.overlay-merge]\n"
        'js-roots = { baselayer = "baselayer/static/js", "@" = "static/js" }\n'
        'js-extensions = [".tsx", ".ts"]\n'
        'python-roots = ["src"]\n'
    )
    config = load_layout(tmp_path).imports
    assert config.js_roots == (("baselayer", "baselayer/static/js"), ("@", "static/js"))
    assert config.js_extensions == (".tsx", ".ts")
    assert config.python_roots == ("src",)
    assert import_config({}) == ImportConfig()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('js-roots = ["static/js"]', "js-roots: expected a table"),
        ('js-roots = { "./x" = "static/js" }', "js-roots: expected a bare import prefix"),
        ('js-roots = { x = "../outside" }', "js-roots: '../outside'"),
        ('js-extensions = ["js"]', "js-extensions: expected a list of extensions"),
        ('python-roots = "."', "python-roots: expected a list"),
        ("python-roots = [1]", "python-roots: expected upstream folders as strings"),
    ],
)
def test_bad_import_configuration_is_one_line(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(f"[tool.overlay-merge]\n{toml}\n")
    with pytest.raises(OverlayMergeError, match=message) as caught:
        load_layout(tmp_path)
    assert "\n" not in str(caught.value)
