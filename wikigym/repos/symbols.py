"""Definitions (symbols) with 1-based inclusive line ranges, per language, from a tree-sitter tree.

The walk visits only declaration-level nodes: the root, class/namespace/impl bodies and the wrappers around a
declaration (`export`, decorators, templates, preprocessor conditionals). It never descends into function bodies,
so its cost is proportional to the number of declarations, not of nodes. Nested functions and local classes are
therefore not symbols (their names still reach `ParsedFile.identifiers`).

Kinds: function, method, class, interface, struct, enum, trait, type, macro, module, namespace, package, program,
section, paragraph, data. A function inside a class-like scope is a `method`; `parent` is the nearest enclosing
symbol's name (for Go methods the receiver type, for Rust `impl` items the implemented type, for C++ `A::f` the
qualifier `A`).

What it deliberately does not do: fields, properties, variables and constants (identifiers cover their names),
or imports (see `imports.py`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Node

from wikigym.repos.syntax import DOC_MAX, Source


@dataclass(frozen=True)
class Symbol:
    """A named definition.

    Attributes:
        name: the defined name (`price`, `ItemStore`, `MAIN-PARA`).
        kind: see the module docstring.
        start_line: 1-based first line, decorators/annotations/`export` included.
        end_line: 1-based last line, inclusive.
        parent: name of the enclosing symbol (class, namespace, impl type, section), or None at top level.
        signature: declaration text up to the body, whitespace collapsed (e.g. `def price(self, qty: int = 1) -> float`).
        docstring: the docstring (Python) or the comment block directly above, markers stripped; None if absent.
    """

    name: str
    kind: str
    start_line: int
    end_line: int
    parent: str | None = None
    signature: str | None = None
    docstring: str | None = None


CLASS_LIKE = frozenset({"class", "interface", "struct", "enum", "trait", "impl", "object"})


class _Walker:
    """State of one extraction: the source, the output list and the language's handler table."""

    def __init__(self, src: Source, handlers: dict[str, Callable], transparent: frozenset[str], doc_style: str):
        self.src = src
        self.out: list[Symbol] = []
        self.handlers = handlers
        self.transparent = transparent
        self.doc_style = doc_style
        self.prototypes: set[int] = set()  # ids of top-level C/C++ prototype symbols

    def visit(self, node: Node | None, scope: tuple[str | None, str | None], outer: Node | None = None) -> None:
        """Dispatch the named children of a container node."""
        if node is None:
            return
        for child in node.named_children:
            handler = self.handlers.get(child.type)
            if handler is not None:
                handler(self, child, scope, outer)
            elif child.type in self.transparent:
                self.visit(child, scope, None)

    @staticmethod
    def _sig_start(outer: Node | None) -> int | None:
        """`export`/`declare` belong in a TS/JS signature; decorators before them do not."""
        if outer is None or outer.type not in ("export_statement", "ambient_declaration"):
            return None
        start = outer.start_byte
        for child in outer.children:
            if child.type == "decorator":
                start = child.end_byte
        return start

    def add(
        self,
        name: str,
        kind: str,
        node: Node,
        scope: tuple[str | None, str | None],
        outer: Node | None = None,
        body: Node | None = None,
        doc: str | None = None,
        parent: str | None = None,
        signature: str | None = None,
    ) -> None:
        """Record a symbol; its range starts at the wrapper (`outer`) when there is one."""
        if not name:
            return
        start_node = outer if outer is not None else node
        start = Source.start_line(start_node)
        if doc is None:
            doc = self.src.comment_above(start - 1, self.doc_style)
        self.out.append(
            Symbol(
                name=name,
                kind=kind,
                start_line=start,
                end_line=max(start, Source.end_line(node if outer is None else outer)),
                parent=parent if parent is not None else scope[0],
                signature=signature
                if signature is not None
                else self.src.signature(node, body, self._sig_start(outer)),
                docstring=doc,
            )
        )


def _wrapper(field: str | None = None) -> Callable:
    """A node that wraps one declaration (`export`, decorators, `template<>`): visit children with it as `outer`."""

    def handle(w: _Walker, node: Node, scope, outer) -> None:
        outer = outer if outer is not None else node
        children = [node.child_by_field_name(field)] if field else node.named_children
        for child in children:
            if child is None:
                continue
            handler = w.handlers.get(child.type)
            if handler is not None:
                handler(w, child, scope, outer)
            elif child.type in w.transparent:
                w.visit(child, scope, None)

    return handle


def _def(
    kind: str,
    name_field: str = "name",
    body_field: str | None = "body",
    descend: bool = False,
    method_in_class: bool = False,
) -> Callable:
    """A declaration with a `name` field; containers (`descend`) visit their body with themselves as the scope."""

    def handle(w: _Walker, node: Node, scope, outer) -> None:
        name = w.src.text(node.child_by_field_name(name_field)).strip()
        body = node.child_by_field_name(body_field) if body_field else None
        k = "method" if method_in_class and scope[1] in CLASS_LIKE else kind
        w.add(name, k, node, scope, outer, body)
        if descend and body is not None:
            w.visit(body, (name, kind), None)

    return handle


# --- Python -------------------------------------------------------------------------------------------------------


def _python_docstring(src: Source, body: Node | None) -> str | None:
    if body is None or body.named_child_count == 0:
        return None
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_child_count == 1:
        first = first.named_children[0]
    if first.type != "string":
        return None
    parts = [src.text(c) for c in first.named_children if c.type == "string_content"]
    raw = "".join(parts) if parts else src.text(first).strip("'\"")
    doc = inspect.cleandoc(raw)
    return doc[:DOC_MAX] or None


def _py_function(w: _Walker, node: Node, scope, outer) -> None:
    body = node.child_by_field_name("body")
    kind = "method" if scope[1] == "class" else "function"
    doc = _python_docstring(w.src, body)
    w.add(w.src.text(node.child_by_field_name("name")), kind, node, scope, outer, body, doc=doc)


def _py_class(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    w.add(name, "class", node, scope, outer, body, doc=_python_docstring(w.src, body))
    w.visit(body, (name, "class"))


PYTHON = {
    "function_definition": _py_function,
    "class_definition": _py_class,
    "decorated_definition": _wrapper("definition"),
}
PYTHON_TRANSPARENT = frozenset(
    {"if_statement", "elif_clause", "else_clause", "try_statement", "except_clause", "finally_clause", "block",
     "with_statement"}
)  # fmt: skip


# --- TypeScript / TSX / JavaScript ---------------------------------------------------------------------------------

_JS_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})


def _js_variables(w: _Walker, node: Node, scope, outer) -> None:
    """`const f = (...) => ...` / `let g = function () {}` / `const C = class {}` at declaration level."""
    declarators = [c for c in node.named_children if c.type == "variable_declarator"]
    for decl in declarators:
        value = decl.child_by_field_name("value")
        if value is None:
            continue
        name = w.src.text(decl.child_by_field_name("name"))
        if value.type in _JS_FUNCTION_VALUES:
            kind = "method" if scope[1] in CLASS_LIKE else "function"
            body = value.child_by_field_name("body")
            target = node if len(declarators) == 1 else decl
            w.add(name, kind, target, scope, outer if len(declarators) == 1 else None, body)
        elif value.type in ("class", "class_expression"):
            w.add(name, "class", node, scope, outer, value.child_by_field_name("body"))
            w.visit(value.child_by_field_name("body"), (name, "class"))


def _js_field(w: _Walker, node: Node, scope, outer) -> None:
    """Class fields holding functions (`handler = (x) => x`) are methods."""
    value = node.child_by_field_name("value")
    if value is not None and value.type in _JS_FUNCTION_VALUES:
        name = w.src.text(node.child_by_field_name("name") or node.child_by_field_name("property"))
        w.add(name, "method", node, scope, outer, value.child_by_field_name("body"))


def _js_method(w: _Walker, node: Node, scope, outer) -> None:
    w.add(w.src.text(node.child_by_field_name("name")), "method", node, scope, outer, node.child_by_field_name("body"))


def _js_assignment(w: _Walker, node: Node, scope, outer) -> None:
    """CommonJS-style definitions at declaration level: `exports.f = function () {}` and `obj.f = function f() {}`
    are functions (express defines its whole API as `app.use = function use(fn) {...}`), `C.prototype.m = ...`
    is a method of `C`, and `module.exports = function name() {}` is the function `name`."""
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None or left.type != "member_expression" or right.type not in _JS_FUNCTION_VALUES:
        return
    obj, prop = left.child_by_field_name("object"), left.child_by_field_name("property")
    obj_text, name = w.src.text(obj).strip(), w.src.text(prop).strip()
    body = right.child_by_field_name("body")
    if obj_text == "module" and name == "exports":
        own = w.src.text(right.child_by_field_name("name")).strip()
        if own:
            w.add(own, "function", node, scope, outer, body)
        return
    if obj is not None and obj.type == "member_expression" and w.src.text(obj.child_by_field_name("property")) \
            == "prototype":
        owner = w.src.text(obj.child_by_field_name("object")).strip()
        if owner.isidentifier():
            w.add(name, "method", node, scope, outer, body, parent=owner)
        return
    if obj is not None and obj.type == "identifier" or obj_text == "module.exports":
        w.add(name, "function", node, scope, outer, body)


def _ts_module(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(node.child_by_field_name("name")).strip("'\"`")
    kind = "namespace" if node.type == "internal_module" else "module"
    body = node.child_by_field_name("body")
    w.add(name, kind, node, scope, outer, body)
    w.visit(body, (name, kind))


JAVASCRIPT = {
    "function_declaration": _def("function", method_in_class=True),
    "generator_function_declaration": _def("function", method_in_class=True),
    "class_declaration": _def("class", descend=True),
    "class": _def("class", descend=True),
    "method_definition": _js_method,
    "field_definition": _js_field,
    "lexical_declaration": _js_variables,
    "variable_declaration": _js_variables,
    "export_statement": _wrapper(),
    "assignment_expression": _js_assignment,
}
TYPESCRIPT = {
    **JAVASCRIPT,
    "abstract_class_declaration": _def("class", descend=True),
    "interface_declaration": _def("interface"),
    "type_alias_declaration": _def("type", body_field="value"),
    "enum_declaration": _def("enum"),
    "abstract_method_signature": _js_method,
    "public_field_definition": _js_field,
    "internal_module": _ts_module,
    "module": _ts_module,
    "ambient_declaration": _wrapper(),
    "function_signature": _def("function", method_in_class=True),
}
JS_TRANSPARENT = frozenset({"expression_statement"})  # `namespace X {}` parses as an expression statement


# --- Go ------------------------------------------------------------------------------------------------------------


def _go_receiver(src: Source, node: Node) -> str | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for param in receiver.named_children:
        typ = param.child_by_field_name("type")
        text = src.text(typ).lstrip("*").strip()
        return text.split("[", 1)[0] or None
    return None


def _go_method(w: _Walker, node: Node, scope, outer) -> None:
    w.add(
        w.src.text(node.child_by_field_name("name")), "method", node, scope, outer, node.child_by_field_name("body"),
        parent=_go_receiver(w.src, node),
    )  # fmt: skip


def _go_type_spec(w: _Walker, node: Node, scope, outer) -> None:
    typ = node.child_by_field_name("type")
    kind = {"struct_type": "struct", "interface_type": "interface"}.get(typ.type if typ else "", "type")
    if node.type == "type_alias":
        kind = "type"
    # A lone `type X struct{...}` spans its `type` keyword: start the range at the declaration.
    declaration = node.parent if node.parent is not None and node.parent.named_child_count == 1 else None
    body = _first(typ, ("field_declaration_list",)) if typ is not None and typ.type == "struct_type" else None
    if typ is not None and typ.type == "interface_type":
        body = typ
    signature = w.src.signature(node, body)
    if not signature.startswith("type "):
        signature = f"type {signature}"
    if typ is not None and typ.type == "interface_type":
        signature += " interface"
    w.add(
        w.src.text(node.child_by_field_name("name")), kind, node, scope, outer or declaration, typ, signature=signature
    )


def _go_package(w: _Walker, node: Node, scope, outer) -> None:
    name = next((w.src.text(c) for c in node.named_children if c.type == "package_identifier"), "")
    w.add(name, "package", node, scope, outer, None)


GO = {
    "function_declaration": _def("function"),
    "method_declaration": _go_method,
    "type_spec": _go_type_spec,
    "type_alias": _go_type_spec,
    "package_clause": _go_package,
}
GO_TRANSPARENT = frozenset({"type_declaration"})


# --- Java ----------------------------------------------------------------------------------------------------------


def _java_package(w: _Walker, node: Node, scope, outer) -> None:
    name = next((w.src.text(c) for c in node.named_children if c.type in ("scoped_identifier", "identifier")), "")
    w.add(name, "package", node, scope, outer, None)


JAVA = {
    "package_declaration": _java_package,
    "class_declaration": _def("class", descend=True),
    "record_declaration": _def("class", descend=True),
    "interface_declaration": _def("interface", descend=True),
    "annotation_type_declaration": _def("interface", descend=True),
    "enum_declaration": _def("enum", descend=True),
    "method_declaration": _def("method"),
    "constructor_declaration": _def("method"),
    "compact_constructor_declaration": _def("method"),
}
JAVA_TRANSPARENT = frozenset({"enum_body_declarations"})


# --- Rust ----------------------------------------------------------------------------------------------------------


def _rust_impl(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(node.child_by_field_name("type")).split("<", 1)[0].strip()
    w.visit(node.child_by_field_name("body"), (name, "impl"))


def _rust_function(w: _Walker, node: Node, scope, outer) -> None:
    kind = "method" if scope[1] in ("impl", "trait") else "function"
    w.add(w.src.text(node.child_by_field_name("name")), kind, node, scope, outer, node.child_by_field_name("body"))


RUST = {
    "function_item": _rust_function,
    "function_signature_item": _rust_function,
    "struct_item": _def("struct"),
    "union_item": _def("struct"),
    "enum_item": _def("enum"),
    "trait_item": _def("trait", descend=True),
    "impl_item": _rust_impl,
    "type_item": _def("type", body_field="type"),
    "mod_item": _def("module", descend=True),
    "macro_definition": _def("macro", body_field=None),
}


# --- C / C++ -------------------------------------------------------------------------------------------------------

_DECLARATOR_WRAPPERS = frozenset(
    {"pointer_declarator", "reference_declarator", "parenthesized_declarator", "attributed_declarator"}
)


def _c_function_name(src: Source, declarator: Node | None) -> tuple[str, str | None] | None:
    """Follow a declarator chain to the function's name: (`name`, qualifier) or None if not a function."""
    node = declarator
    while node is not None and node.type in _DECLARATOR_WRAPPERS:
        node = node.child_by_field_name("declarator") or (node.named_children[-1] if node.named_children else None)
    if node is None or node.type != "function_declarator":
        return None
    name_node = node.child_by_field_name("declarator")
    if name_node is None:
        return None
    if name_node.type == "qualified_identifier":
        scope = src.text(name_node.child_by_field_name("scope")) or None
        inner = name_node.child_by_field_name("name")
        while inner is not None and inner.type == "qualified_identifier":
            scope = f"{scope}::{src.text(inner.child_by_field_name('scope'))}" if scope else None
            inner = inner.child_by_field_name("name")
        return src.text(inner), (scope.rsplit("::", 1)[-1] if scope else None)
    if name_node.type in ("identifier", "field_identifier", "destructor_name", "operator_name", "type_identifier"):
        return src.text(name_node), None
    return None


def _c_function(w: _Walker, node: Node, scope, outer) -> None:
    found = _c_function_name(w.src, node.child_by_field_name("declarator"))
    if found is None:
        return
    name, qualifier = found
    in_class = scope[1] in CLASS_LIKE
    kind = "method" if (in_class or qualifier) else "function"
    w.add(name, kind, node, scope, outer, node.child_by_field_name("body"), parent=qualifier)


def _c_prototype(w: _Walker, node: Node, scope, outer) -> None:
    """`int add(int, int);` and in-class method declarations; prototypes of functions defined later are dropped."""
    declarator = node.child_by_field_name("declarator")
    found = _c_function_name(w.src, declarator)
    if found is None:
        return
    name, qualifier = found
    in_class = scope[1] in CLASS_LIKE
    kind = "method" if (in_class or qualifier) else "function"
    w.add(name, kind, node, scope, outer, None, parent=qualifier)
    if not in_class and w.out and w.out[-1].name == name:
        w.prototypes.add(id(w.out[-1]))  # a forward declaration; dropped if the file also defines it


def _c_record(kind: str, descend: bool) -> Callable:
    """struct/union/enum/class specifiers with a body (a bare `struct x;` reference is not a definition)."""

    def handle(w: _Walker, node: Node, scope, outer) -> None:
        body = node.child_by_field_name("body")
        name = w.src.text(node.child_by_field_name("name"))
        if body is None or not name:
            return
        w.add(name, kind, node, scope, outer, body)
        if descend:
            w.visit(body, (name, kind))

    return handle


def _c_typedef(w: _Walker, node: Node, scope, outer) -> None:
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type not in ("type_identifier", "primitive_type"):
        declarator = declarator.child_by_field_name("declarator") or (
            declarator.named_children[0] if declarator.named_children else None
        )
    name = w.src.text(declarator)
    typ = node.child_by_field_name("type")
    kind = "type"
    if typ is not None and typ.child_by_field_name("body") is not None:
        kind = {"struct_specifier": "struct", "union_specifier": "struct", "enum_specifier": "enum"}.get(
            typ.type, kind
        )
    w.add(name, kind, node, scope, outer, None)


def _cpp_namespace(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    if name:
        w.add(name, "namespace", node, scope, outer, body)
        w.visit(body, (name, "namespace"))
    else:
        w.visit(body, scope)  # anonymous namespace


C = {
    "function_definition": _c_function,
    "declaration": _c_prototype,
    "struct_specifier": _c_record("struct", False),
    "union_specifier": _c_record("struct", False),
    "enum_specifier": _c_record("enum", False),
    "type_definition": _c_typedef,
}
C_TRANSPARENT = frozenset(
    {"preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "preproc_elifdef", "linkage_specification",
     "declaration_list"}
)  # fmt: skip
CPP = {
    **C,
    "field_declaration": _c_prototype,
    "class_specifier": _c_record("class", True),
    "struct_specifier": _c_record("struct", True),
    "union_specifier": _c_record("struct", True),
    "namespace_definition": _cpp_namespace,
    "template_declaration": _wrapper(),
    "alias_declaration": _def("type", body_field="type"),
}


# --- C# ------------------------------------------------------------------------------------------------------------


def _cs_namespace(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    w.add(name, "namespace", node, scope, outer, body)
    if body is not None:
        w.visit(body, (name, "namespace"))


CSHARP = {
    "namespace_declaration": _cs_namespace,
    "file_scoped_namespace_declaration": _cs_namespace,
    "class_declaration": _def("class", descend=True),
    "record_declaration": _def("class", descend=True),
    "interface_declaration": _def("interface", descend=True),
    "struct_declaration": _def("struct", descend=True),
    "record_struct_declaration": _def("struct", descend=True),
    "enum_declaration": _def("enum"),
    "method_declaration": _def("method"),
    "constructor_declaration": _def("method"),
    "delegate_declaration": _def("type", body_field=None),
}


# --- Kotlin --------------------------------------------------------------------------------------------------------


def _first(node: Node, types: tuple[str, ...]) -> Node | None:
    return next((c for c in node.named_children if c.type in types), None)


def _kt_class(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(_first(node, ("type_identifier", "simple_identifier")))
    body = _first(node, ("class_body", "enum_class_body"))
    keywords = {c.type for c in node.children if not c.is_named}
    modifiers = w.src.text(_first(node, ("modifiers",)))
    if node.type == "object_declaration":
        kind = "class"
    elif "interface" in keywords:
        kind = "interface"
    elif "enum" in modifiers.split() or (body is not None and body.type == "enum_class_body"):
        kind = "enum"
    else:
        kind = "class"
    w.add(name, kind, node, scope, outer, body)
    w.visit(body, (name, kind))


def _kt_function(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(_first(node, ("simple_identifier",)))
    kind = "method" if scope[1] in CLASS_LIKE else "function"
    w.add(name, kind, node, scope, outer, _first(node, ("function_body",)))


def _kt_companion(w: _Walker, node: Node, scope, outer) -> None:
    w.visit(_first(node, ("class_body",)), scope)  # members belong to the enclosing class


def _kt_package(w: _Walker, node: Node, scope, outer) -> None:
    w.add(w.src.text(_first(node, ("identifier",))), "package", node, scope, outer, None)


def _kt_alias(w: _Walker, node: Node, scope, outer) -> None:
    w.add(w.src.text(_first(node, ("type_identifier",))), "type", node, scope, outer, None)


KOTLIN = {
    "package_header": _kt_package,
    "class_declaration": _kt_class,
    "object_declaration": _kt_class,
    "companion_object": _kt_companion,
    "function_declaration": _kt_function,
    "type_alias": _kt_alias,
}


# --- Ruby ----------------------------------------------------------------------------------------------------------


def _rb_container(kind: str) -> Callable:
    def handle(w: _Walker, node: Node, scope, outer) -> None:
        name = w.src.text(node.child_by_field_name("name"))
        body = node.child_by_field_name("body") or _first(node, ("body_statement",))
        w.add(name, kind, node, scope, outer, body, signature=_first_line(w.src, node))
        w.visit(body, (name, kind))

    return handle


def _first_line(src: Source, node: Node) -> str:
    return src.text(node).split("\n", 1)[0].split(";", 1)[0].strip()


def _rb_method(w: _Walker, node: Node, scope, outer) -> None:
    kind = "method" if scope[1] in ("class", "module") else "function"
    body = node.child_by_field_name("body")
    w.add(
        w.src.text(node.child_by_field_name("name")),
        kind,
        node,
        scope,
        outer,
        body,
        signature=_first_line(w.src, node),
    )


def _rb_singleton_class(w: _Walker, node: Node, scope, outer) -> None:
    w.visit(node.child_by_field_name("body") or _first(node, ("body_statement",)), scope)


RUBY = {
    "module": _rb_container("module"),
    "class": _rb_container("class"),
    "singleton_class": _rb_singleton_class,
    "method": _rb_method,
    "singleton_method": _rb_method,
}
RUBY_TRANSPARENT = frozenset({"body_statement"})


# --- PHP -----------------------------------------------------------------------------------------------------------


def _php_namespace(w: _Walker, node: Node, scope, outer) -> None:
    name = w.src.text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    w.add(name, "namespace", node, scope, outer, body)
    if body is not None:
        w.visit(body, (name, "namespace"))


PHP = {
    "namespace_definition": _php_namespace,
    "class_declaration": _def("class", descend=True),
    "interface_declaration": _def("interface", descend=True),
    "trait_declaration": _def("trait", descend=True),
    "enum_declaration": _def("enum", descend=True),
    "function_definition": _def("function"),
    "method_declaration": _def("method"),
}


# --- COBOL ---------------------------------------------------------------------------------------------------------


def _cobol_header_name(src: Source, node: Node) -> str:
    text = src.text(node).strip().rstrip(".").strip()
    return text.split()[0] if text else ""


def _cobol_program(w: _Walker, node: Node, scope, outer) -> None:
    ident = _first(node, ("identification_division",))
    name = w.src.text(_first(ident, ("program_name",))) if ident is not None else ""
    w.add(name, "program", node, scope, outer, None, signature=f"PROGRAM-ID. {name}")
    program_scope = (name, "program")
    for division in node.named_children:
        if division.type == "data_division":
            for section in division.named_children:
                for item in section.named_children:
                    if item.type != "data_description":
                        continue
                    level = w.src.text(_first(item, ("level_number",))).strip()
                    if level in ("01", "1", "77"):
                        entry = w.src.text(_first(item, ("entry_name",)))
                        w.add(entry, "data", item, program_scope, None, None)
        elif division.type == "procedure_division":
            _cobol_procedure(w, division, program_scope)
        elif division.type == "program_definition":
            _cobol_program(w, division, program_scope, None)


def _cobol_procedure(w: _Walker, division: Node, program_scope: tuple[str | None, str | None]) -> None:
    """Sections and paragraphs are flat headers; each runs until the next header or the division's end."""
    headers = [c for c in division.named_children if c.type in ("section_header", "paragraph_header")]
    division_end = Source.end_line(division)
    section: str | None = None
    for i, header in enumerate(headers):
        start = Source.start_line(header)
        name = _cobol_header_name(w.src, header)
        next_start = Source.start_line(headers[i + 1]) if i + 1 < len(headers) else division_end + 1
        doc = w.src.comment_above(start - 1, "cobol")
        signature = w.src.text(header).strip()
        if header.type == "section_header":
            following = [h for h in headers[i + 1 :] if h.type == "section_header"]
            end = (Source.start_line(following[0]) - 1) if following else division_end
            section = name
            w.out.append(Symbol(name, "section", start, max(start, end), program_scope[0], signature, doc))
        else:
            parent = section if section is not None else program_scope[0]
            w.out.append(Symbol(name, "paragraph", start, max(start, next_start - 1), parent, signature, doc))


COBOL = {"program_definition": _cobol_program}


# --- Markdown ------------------------------------------------------------------------------------------------------


def _md_section(w: _Walker, node: Node, scope, outer) -> None:
    heading = _first(node, ("atx_heading", "setext_heading"))
    if heading is None:
        w.visit(node, scope)
        return
    name = w.src.text(heading.child_by_field_name("heading_content")).strip()
    w.add(name, "section", node, scope, outer, None, signature=w.src.text(heading).strip().split("\n")[0])
    w.visit(node, (name, "section"))


MARKDOWN = {"section": _md_section}


# --- registry ------------------------------------------------------------------------------------------------------

# language -> (handlers, transparent node types, doc-comment style)
SPECS: dict[str, tuple[dict[str, Callable], frozenset[str], str]] = {
    "python": (PYTHON, PYTHON_TRANSPARENT, "hash"),
    "typescript": (TYPESCRIPT, JS_TRANSPARENT, "c"),
    "tsx": (TYPESCRIPT, JS_TRANSPARENT, "c"),
    "javascript": (JAVASCRIPT, JS_TRANSPARENT, "c"),
    "go": (GO, GO_TRANSPARENT, "c"),
    "java": (JAVA, JAVA_TRANSPARENT, "c"),
    "rust": (RUST, frozenset(), "c"),
    "c": (C, C_TRANSPARENT, "c"),
    "cpp": (CPP, C_TRANSPARENT, "c"),
    "csharp": (CSHARP, frozenset(), "c"),
    "kotlin": (KOTLIN, frozenset(), "c"),
    "ruby": (RUBY, RUBY_TRANSPARENT, "hash"),
    "php": (PHP, frozenset(), "c"),
    "cobol": (COBOL, frozenset(), "cobol"),
    "markdown": (MARKDOWN, frozenset(), "none"),
}


def extract_symbols(root: Node, src: Source, language: str) -> list[Symbol]:
    """All declaration-level symbols of a parsed file, in source order (see the module docstring)."""
    spec = SPECS.get(language)
    if spec is None:
        return []
    walker = _Walker(src, spec[0], spec[1], spec[2])
    walker.visit(root, (None, None))
    symbols = walker.out
    if walker.prototypes:
        symbols = _drop_redundant_prototypes(symbols, walker.prototypes)
    symbols.sort(key=lambda s: (s.start_line, -s.end_line))
    return symbols


def _drop_redundant_prototypes(symbols: list[Symbol], prototypes: set[int]) -> list[Symbol]:
    """A namespace-level prototype is dropped when the same file defines the function (in-class member
    declarations stay: they are the class's interface even when the body is defined out of line)."""
    defined = {(s.name, s.parent) for s in symbols if id(s) not in prototypes}
    return [s for s in symbols if id(s) not in prototypes or (s.name, s.parent) not in defined]
