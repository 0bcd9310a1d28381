"""Python: the imports of a module and the names it defines at top level, from its syntax tree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from overlay_merge.core.imports.grammars import text
from overlay_merge.core.imports.model import Exports, Import

if TYPE_CHECKING:
    from tree_sitter import Node

# Statements whose blocks hold more statements (imports may sit in any of them).
_COMPOUND = frozenset(
    {
        "module",
        "block",
        "if_statement",
        "elif_clause",
        "else_clause",
        "try_statement",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "with_statement",
        "for_statement",
        "while_statement",
        "function_definition",
        "class_definition",
        "decorated_definition",
        "match_statement",
        "case_clause",
    }
)
# The same, without the definitions: the top-level names of a module are bound
# in these blocks too (``try: import x except ImportError: x = None``).
_TOP_LEVEL = _COMPOUND - {"function_definition", "class_definition", "decorated_definition"}
_TARGETS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern"})


def _blocks(root: Node, containers: frozenset[str]) -> Iterator[Node]:
    """Every node of the *containers* types under *root* (statements holding statements)."""
    stack = [root]
    while stack:
        node = stack.pop()
        children = node.named_children
        for child in reversed(children):
            if child.type in containers:
                stack.append(child)
        if node is not root:
            yield node


def python_imports(root: Node) -> list[Import]:
    """Every ``import`` and ``from … import`` of a module (functions' own included).

    ``from __future__`` is not a module; ``from x import *`` takes no name.
    """
    found: list[Import] = []
    nodes = [root, *_blocks(root, _COMPOUND)]
    for node in nodes:
        for child in node.named_children:
            line = child.start_point[0] + 1
            if child.type == "import_statement":
                found += [Import(_module_name(n), (), line) for n in _imported(child)]
            elif child.type == "import_from_statement":
                spec = text(child.child_by_field_name("module_name")).replace(" ", "")
                if spec == "__future__":
                    continue
                names = tuple(_module_name(n).rpartition(".")[2] for n in _imported(child))
                found.append(Import(spec, names, line))
    return sorted(found, key=lambda i: i.line)


def _imported(statement: Node) -> list[Node]:
    """The ``name`` children of an import statement (dotted names, or aliased ones)."""
    return statement.children_by_field_name("name")


def _module_name(node: Node) -> str:
    """The dotted name imported by *node* (``a.b`` of ``a.b`` and ``a.b as c``)."""
    if node.type == "aliased_import":
        return text(node.child_by_field_name("name"))
    return text(node)


def _bound(node: Node) -> str:
    """The name an import binds: the alias, else the first part (``import a.b`` binds ``a``)."""
    if node.type == "aliased_import":
        return text(node.child_by_field_name("alias"))
    return text(node).partition(".")[0]


def python_exports(root: Node) -> Exports:
    """The names a module binds at top level: definitions, assignments, imports.

    Blocks of ``if``/``try``/``with``/``for`` count (a name bound in either
    branch may be there); function and class bodies do not.  ``from x
    import *`` passes x's names on; a module ``__getattr__`` or a syntax
    error makes the answer incomplete.
    """
    names: set[str] = set()
    star: list[str] = []
    complete = not root.has_error
    for statement in [root, *_blocks(root, _TOP_LEVEL)]:
        for node in statement.named_children:
            if node.type == "import_from_statement" and _has_wildcard(node):
                star.append(text(node.child_by_field_name("module_name")).replace(" ", ""))
            names.update(_binds(node))
    if "__getattr__" in names:
        complete = False  # names resolved at run time
    return Exports(frozenset(names), tuple(star), complete)


def _has_wildcard(node: Node) -> bool:
    return any(c.type == "wildcard_import" for c in node.named_children)


def _binds(node: Node) -> list[str]:
    """The top-level names one statement binds."""
    kind = node.type
    if kind == "decorated_definition":
        definition = node.child_by_field_name("definition")
        return [] if definition is None else _binds(definition)
    if kind in ("function_definition", "class_definition"):
        return [text(node.child_by_field_name("name"))]
    if kind in ("import_statement", "import_from_statement"):
        return [_bound(n) for n in _imported(node)]
    if kind == "expression_statement":
        return [name for child in node.named_children for name in _assigned(child)]
    if kind == "for_statement":
        return _target_names(node.child_by_field_name("left"))
    if kind == "with_statement":
        return [text(t) for t in _descendants(node, "as_pattern_target")]
    return []


def _assigned(node: Node) -> list[str]:
    """The names an assignment (chained ones too) binds."""
    if node.type not in ("assignment", "augmented_assignment"):
        return []
    names = _target_names(node.child_by_field_name("left"))
    right = node.child_by_field_name("right")
    if right is not None and right.type == "assignment":
        names += _assigned(right)
    return names


def _target_names(node: Node | None) -> list[str]:
    if node is None:
        return []
    if node.type == "identifier":
        return [text(node)]
    if node.type in _TARGETS:
        return [name for child in node.named_children for name in _target_names(child)]
    return []  # attributes and subscripts bind no module name


def _descendants(node: Node, kind: str) -> Iterator[Node]:
    for child in node.named_children:
        if child.type == kind:
            yield child
        elif child.type not in ("block",):
            yield from _descendants(child, kind)
