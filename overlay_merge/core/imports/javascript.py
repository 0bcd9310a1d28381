"""JavaScript and TypeScript: a module's imports and exported names, from its syntax tree.

Imports: ``import … from``, ``export … from``, ``require("…")`` (with the
names a destructuring takes), dynamic ``import("…")``; only plain string
specifiers (a template or a variable names no file).  Exports: ES module
``export`` in every form TypeScript adds (types, interfaces, enums,
namespaces), and CommonJS ``module.exports``/``exports.x``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from overlay_merge.core.imports.grammars import string_value, text
from overlay_merge.core.imports.model import DEFAULT, Exports, Import

if TYPE_CHECKING:
    from tree_sitter import Node

_DECLARATIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_signature",
        "class_declaration",
        "abstract_class_declaration",
        "interface_declaration",
        "type_alias_declaration",
        "enum_declaration",
        "internal_module",
        "module",
    }
)
_VARIABLES = frozenset({"lexical_declaration", "variable_declaration"})


def _walk(root: Node) -> Iterator[Node]:
    """Every named node under *root*, in source order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.named_children))


def js_imports(root: Node) -> list[Import]:
    """Every import of a module, in source order."""
    found: list[Import] = []
    for node in _walk(root):
        line = node.start_point[0] + 1
        if node.type == "import_statement":
            spec = string_value(node.child_by_field_name("source"))
            if spec is not None:
                found.append(Import(spec, _import_names(node), line))
        elif node.type == "export_statement":
            spec = string_value(node.child_by_field_name("source"))
            if spec is not None:
                found.append(Import(spec, _clause_names(node, alias=False), line))
        elif node.type == "call_expression":
            call = _call_import(node)
            if call is not None:
                found.append(call)
    return found


def _import_names(statement: Node) -> tuple[str, ...]:
    """The names an ``import`` statement takes (``default`` for the default import)."""
    names: list[str] = []
    for clause in statement.named_children:
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            if part.type == "identifier":
                names.append(DEFAULT)
            elif part.type == "named_imports":
                names += [
                    text(s.child_by_field_name("name"))
                    for s in part.named_children
                    if s.type == "import_specifier"
                ]
    return tuple(names)


def _clause_names(statement: Node, *, alias: bool) -> tuple[str, ...]:
    """The names of an ``export { … }`` clause: as exported (*alias*) or as taken."""
    names: list[str] = []
    for clause in statement.named_children:
        if clause.type == "export_clause":
            for spec in clause.named_children:
                if spec.type != "export_specifier":
                    continue
                chosen = spec.child_by_field_name("alias") if alias else None
                names.append(text(chosen or spec.child_by_field_name("name")))
    return tuple(names)


def _call_import(node: Node) -> Import | None:
    """``require("x")`` (with the names a destructuring takes) or ``import("x")``."""
    function = node.child_by_field_name("function")
    if function is None or not (
        function.type == "import" or (function.type == "identifier" and text(function) == "require")
    ):
        return None
    arguments = node.child_by_field_name("arguments")
    first = arguments.named_children[0] if arguments and arguments.named_children else None
    spec = string_value(first)
    if spec is None:
        return None
    names: tuple[str, ...] = ()
    parent = node.parent
    required = function.type == "identifier"
    if required and parent is not None and parent.type == "variable_declarator":
        names = tuple(_pattern_keys(parent.child_by_field_name("name")))
    return Import(spec, names, node.start_point[0] + 1)


def _pattern_keys(pattern: Node | None) -> list[str]:
    """The property names an object pattern takes (``{ a, b: c }`` takes a and b)."""
    if pattern is None or pattern.type != "object_pattern":
        return []
    keys = []
    for part in pattern.named_children:
        if part.type == "shorthand_property_identifier_pattern":
            keys.append(text(part))
        elif part.type == "pair_pattern":
            keys.append(text(part.child_by_field_name("key")))
        elif part.type == "object_assignment_pattern":
            keys.append(text(part.child_by_field_name("left")))
    return keys


def js_exports(root: Node) -> Exports:
    """The names a module exports (``default`` for its default export)."""
    names: set[str] = set()
    star: list[str] = []
    complete = not root.has_error
    for node in root.named_children:
        if node.type == "export_statement":
            exported, star_from, known = _exported(node)
            names.update(exported)
            if star_from is not None:
                star.append(star_from)
            complete = complete and known
        elif node.type == "expression_statement":
            assigned, known = _commonjs(node)
            names.update(assigned)
            complete = complete and known
    return Exports(frozenset(names), tuple(star), complete)


def _exported(node: Node) -> tuple[list[str], str | None, bool]:
    """One ``export`` statement: the names, a specifier it passes on whole, whether known."""
    if any(c.type == "default" for c in node.children):
        return [DEFAULT], None, True
    declaration = node.child_by_field_name("declaration")
    if declaration is not None:
        return _declared(declaration), None, True
    source = string_value(node.child_by_field_name("source"))
    names = list(_clause_names(node, alias=True))
    for part in node.named_children:
        if part.type == "namespace_export":
            names += [text(c) for c in part.named_children if c.type in ("identifier", "string")]
    if source is not None and not names and any(c.type == "*" for c in node.children):
        return [], source, True  # export * from "./x"
    if not names and any(c.type == "=" for c in node.children):
        return [], None, False  # TypeScript's `export = x`: CommonJS, names unknown
    return names, None, True


def _declared(declaration: Node) -> list[str]:
    """The names an exported declaration binds."""
    kind = declaration.type
    if kind == "ambient_declaration":
        return [n for child in declaration.named_children for n in _declared(child)]
    if kind in _DECLARATIONS:
        return [text(declaration.child_by_field_name("name"))]
    if kind in _VARIABLES:
        return [
            name
            for declarator in declaration.named_children
            if declarator.type == "variable_declarator"
            for name in _bound_names(declarator.child_by_field_name("name"))
        ]
    return []


def _bound_names(pattern: Node | None) -> list[str]:
    """The variables a binding pattern binds (``[a, b]``, ``{ a, b: c }`` bind a, b / a, c)."""
    if pattern is None:
        return []
    if pattern.type in ("identifier", "shorthand_property_identifier_pattern"):
        return [text(pattern)]
    if pattern.type == "pair_pattern":
        return _bound_names(pattern.child_by_field_name("value"))
    if pattern.type in ("object_assignment_pattern", "assignment_pattern"):
        return _bound_names(pattern.child_by_field_name("left"))
    if pattern.type in ("object_pattern", "array_pattern", "rest_pattern"):
        return [n for child in pattern.named_children for n in _bound_names(child)]
    return []


def _commonjs(statement: Node) -> tuple[list[str], bool]:
    """``module.exports = { a, b }`` and ``exports.a = …``: the names, and whether known."""
    assignment = statement.named_children[0] if statement.named_children else None
    if assignment is None or assignment.type != "assignment_expression":
        return [], True
    left = text(assignment.child_by_field_name("left")).replace(" ", "")
    right = assignment.child_by_field_name("right")
    if left == "module.exports":
        if right is not None and right.type == "object":
            keys, known = _object_keys(right)
            return [DEFAULT, *keys], known
        return [DEFAULT], False  # a function or a value: its properties are unknown
    for prefix in ("module.exports.", "exports."):
        if left.startswith(prefix) and left[len(prefix) :].isidentifier():
            return [left[len(prefix) :]], True
    return [], True


def _object_keys(node: Node) -> tuple[list[str], bool]:
    """The keys of an object literal, and False if a spread (``...other``) adds unknown ones."""
    keys = []
    for part in node.named_children:
        if part.type == "shorthand_property_identifier":
            keys.append(text(part))
        elif part.type in ("pair", "method_definition"):
            key = part.child_by_field_name("key" if part.type == "pair" else "name")
            value = string_value(key)
            keys.append(value if value is not None else text(key))
        elif part.type == "spread_element":
            return keys, False
    return keys, True
