"""SemanticWiki's TypeScript/JavaScript chunking, emulated over tree-sitter instead of the TypeScript compiler API.

SemanticWiki parses TS/JS with `ts.createSourceFile` (`.js` as TS, `.jsx`/`.tsx` as TSX), then chunks the top-level
statements the compiler reports: one import block, classes, interfaces, type aliases, enums, functions, variable
statements and modules, each with its leading comments (`ts.getLeadingCommentRanges` from the node's full start)
as documentation. Large class-like chunks also get method and constructor chunks. This module reproduces what the
compiler API returns for those calls from a tree-sitter tree:

- statement boundaries: `getStart` (first token, decorators included) and `end` (last token) of the node SemanticWiki
  sees, unwrapping tree-sitter's `export_statement` / `ambient_declaration` / `expression_statement(namespace)`;
- `getFullStart`: the end of the previous token (previous statement or the class body's `{`);
- leading comments with TypeScript's scanner rules (comments on the previous token's line are trailing comments,
  a shebang at position 0 is skipped, TypeScript's whitespace and line-break sets);
- line numbers with TypeScript's line breaks (`\\r\\n`, `\\r`, `\\n`, U+2028, U+2029), slicing `content.split('\\n')`;
- names, modifiers, decorators, parameters (`p.name` without `...`), return types, heritage clauses.

What it deliberately does not do: emulate TypeScript's error recovery on invalid code (tree-sitter's differs) or its
stack overflow on pathologically deep nesting.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from functools import cache
from typing import Any, ClassVar

from wikigym.tools.search.jsstr import js_len

_TS_LINE_BREAK = re.compile("\r\n|[\r\n\u2028\u2029]")
_TS_WS_SINGLE = set(" \t\v\f\u00a0\u0085\u1680\u202f\u205f\u3000\ufeff") | {chr(c) for c in range(0x2000, 0x200C)}
_LINE_BREAKS = set("\n\r\u2028\u2029")


@cache
def ts_parser(language: str) -> Any:
    """The tree-sitter parser SemanticWiki's ScriptKind maps to: TSX for `.tsx`/`.jsx`, TS otherwise."""
    from tree_sitter_language_pack import get_parser

    return get_parser("tsx" if language in ("tsx", "jsx") else "typescript")


class SourceText:
    """The file as TypeScript sees it: text, byte-to-character offsets, TypeScript line starts."""

    def __init__(self, content: str):
        self.text = content
        self.data = content.encode("utf-8", "surrogatepass")
        self.ascii = len(self.data) == len(content)
        self._cum = None
        if not self.ascii:
            import numpy as np

            arr = np.frombuffer(self.data, dtype=np.uint8)
            lead = (arr & 0xC0) != 0x80
            self._cum = np.concatenate(([0], np.cumsum(lead, dtype=np.int64)))
        self.line_starts = [0] + [m.end() for m in _TS_LINE_BREAK.finditer(content)]

    def char(self, byte_offset: int) -> int:
        return byte_offset if self._cum is None else int(self._cum[byte_offset])

    def line_of(self, char_pos: int) -> int:
        """0-based TypeScript line of a character position (`getLineAndCharacterOfPosition(pos).line`)."""
        return bisect.bisect_right(self.line_starts, char_pos) - 1

    def node_text(self, node: Any) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")


def leading_comment_ranges(text: str, pos: int) -> list[tuple[int, int]]:
    """`ts.getLeadingCommentRanges(text, pos)` as (start, end) character ranges."""
    n = len(text)
    collecting = False
    if pos == 0:
        collecting = True
        if text.startswith("#!"):
            m = _TS_LINE_BREAK.search(text)
            pos = m.start() if m else n
    out: list[tuple[int, int]] = []
    while 0 <= pos < n:
        ch = text[pos]
        if ch == "\r" or ch == "\n":
            if ch == "\r" and pos + 1 < n and text[pos + 1] == "\n":
                pos += 1
            pos += 1
            collecting = True
            continue
        if ch in " \t\v\f":
            pos += 1
            continue
        if ch == "/" and pos + 1 < n and text[pos + 1] in "/*":
            start = pos
            if text[pos + 1] == "/":
                pos += 2
                while pos < n and text[pos] not in _LINE_BREAKS:
                    pos += 1
            else:
                end = text.find("*/", pos + 2)
                pos = n if end < 0 else end + 2
            if collecting:
                out.append((start, pos))
            continue
        if ord(ch) > 127 and (ch in _TS_WS_SINGLE or ch in _LINE_BREAKS):
            pos += 1  # U+2028/U+2029 are skipped like spaces here: only \r and \n start collecting
            continue
        break
    return out


# ---------------------------------------------------------------------------------------------------------------
# What the TypeScript compiler API reports for one statement or class member.

_CLASS = {"class_declaration", "abstract_class_declaration", "class"}
_FUNCTION = {"function_declaration", "generator_function_declaration", "function_signature", "function_expression",
             "generator_function", "function"}
_VARIABLE = {"lexical_declaration", "variable_declaration"}
_MODULE = {"module", "internal_module"}


class TsNode:
    """One declaration as SemanticWiki's `processTypeScriptNode` sees it."""

    __slots__ = ("decorators", "exported", "kind", "node", "outer_end", "outer_start", "private", "src")

    def __init__(self, kind: str, node: Any, outer_start: int, outer_end: int, src: SourceText,
                 exported: bool = False, decorators: list[Any] | None = None, private: bool = False):
        self.kind = kind  # class | interface | type | enum | function | method | constructor | variable | module
        self.node = node
        self.outer_start = outer_start  # char offset of getStart()
        self.outer_end = outer_end  # char offset of getEnd()
        self.exported = exported
        self.decorators = decorators or []
        self.private = private
        self.src = src

    def text(self, n: Any) -> str:
        return self.src.node_text(n)

    def decorator_texts(self) -> list[str]:
        out = []
        for d in self.decorators:
            expr = next((c for c in d.named_children if c.type != "comment"), None)
            out.append(self.text(expr) if expr is not None else "")
        return out

    def name_text(self) -> str | None:
        node = self.node
        if self.kind == "module":
            if node.type == "global_scope":
                return "global"
            name = node.child_by_field_name("name")
            if name is None:
                return None
            if name.type == "nested_identifier":
                first = name.named_children[0] if name.named_children else name
                while first.type == "nested_identifier" and first.named_children:
                    first = first.named_children[0]
                return self.text(first)
            return self.text(name)
        if self.kind == "variable":
            decl = next((c for c in node.named_children if c.type == "variable_declarator"), None)
            if decl is None:
                return None
            name = decl.child_by_field_name("name")
            if name is None or name.type != "identifier":
                return None
            return self.text(name)
        name = node.child_by_field_name("name")
        return self.text(name) if name is not None else None

    def variable_initializer_type(self) -> str | None:
        decl = next((c for c in self.node.named_children if c.type == "variable_declarator"), None)
        value = decl.child_by_field_name("value") if decl is not None else None
        return value.type if value is not None else None

    def parameters(self) -> list[dict]:
        params = self.node.child_by_field_name("parameters")
        out = []
        if params is None:
            return out
        for p in params.named_children:
            if p.type not in ("required_parameter", "optional_parameter"):
                continue
            name_node = p.child_by_field_name("pattern")
            if name_node is None:
                name_node = next((c for c in p.named_children if c.type in ("this", "identifier")), None)
            if name_node is not None and name_node.type == "rest_pattern":
                inner = [c for c in name_node.named_children if c.type != "comment"]
                name_node = inner[0] if inner else name_node
            type_node = p.child_by_field_name("type")
            type_text = None
            if type_node is not None:
                inner = [c for c in type_node.named_children if c.type != "comment"]
                type_text = self.text(inner[0]) if inner else None
            out.append({"name": self.text(name_node) if name_node is not None else "", "type": type_text,
                        "optional": p.type == "optional_parameter"})
        return out

    def return_type(self) -> str | None:
        rt = self.node.child_by_field_name("return_type")
        if rt is None:
            return None
        inner = [c for c in rt.named_children if c.type != "comment"]
        return self.text(inner[0]) if inner else None

    def type_parameters(self) -> list[str] | None:
        tp = self.node.child_by_field_name("type_parameters")
        if tp is None:
            return None
        return [self.text(c) for c in tp.named_children if c.type == "type_parameter"]

    def heritage(self) -> tuple[list[str] | None, list[str] | None]:
        """(extends, implements) of a class as `getText()` of each ExpressionWithTypeArguments; None = no clause."""
        her = next((c for c in self.node.named_children if c.type == "class_heritage"), None)
        if her is None:
            return None, None
        ext: list[str] = []
        imp: list[str] = []
        for clause in her.named_children:
            if clause.type == "extends_clause":
                ext += self._comma_items(clause)
            elif clause.type == "implements_clause":
                imp += self._comma_items(clause)
        return ext, imp

    def interface_extends(self) -> list[str] | None:
        clause = next((c for c in self.node.named_children if c.type == "extends_type_clause"), None)
        return None if clause is None else self._comma_items(clause)

    def _comma_items(self, clause: Any) -> list[str]:
        items: list[str] = []
        start = end = None
        for c in clause.children:
            if c.type == "comment" or (not c.is_named and c.type in ("extends", "implements")):
                continue
            if not c.is_named and c.type == ",":
                if start is not None:
                    items.append(self.src.data[start:end].decode("utf-8", "replace"))
                start = end = None
                continue
            if start is None:
                start = c.start_byte
            end = c.end_byte
        if start is not None:
            items.append(self.src.data[start:end].decode("utf-8", "replace"))
        return items

    def class_members(self) -> list[Any]:
        body = self.node.child_by_field_name("body")
        return list(body.children) if body is not None else []


def _is_accessor(method: Any) -> bool:
    for c in method.children:
        if c.type in ("get", "set") and not c.is_named:
            return True
        if c.is_named and c.type not in ("accessibility_modifier", "override_modifier", "decorator", "comment"):
            return False
    return False


def _has_private(node: Any, src: SourceText) -> bool:
    for c in node.children:
        if c.type == "accessibility_modifier":
            return src.node_text(c) == "private"
    return False


def classify_statement(stmt: Any, src: SourceText) -> TsNode | None:
    """The declaration TypeScript reports for one top-level tree-sitter statement, or None for other statements."""
    start = src.char(stmt.start_byte)
    end = src.char(stmt.end_byte)
    exported = False
    decorators: list[Any] = []
    node = stmt
    while True:
        t = node.type
        if t == "export_statement":
            exported = True
            decorators += [c for c in node.children if c.type == "decorator"]
            inner = node.child_by_field_name("declaration")
            if inner is None:
                value = node.child_by_field_name("value")
                is_default = any(c.type == "default" and not c.is_named for c in node.children)
                if value is not None and is_default and value.type in _CLASS | _FUNCTION:
                    inner = value
            if inner is None:
                return None
            node = inner
            continue
        if t == "ambient_declaration":
            inner = next((c for c in node.named_children if c.type not in ("comment",)), None)
            if inner is not None and inner.type == "statement_block" and any(
                    c.type == "global" for c in node.children):
                return TsNode("module", _GlobalScope(), start, end, src, exported, decorators)
            if inner is None:
                return None
            node = inner
            continue
        if t == "expression_statement":
            named = [c for c in node.named_children if c.type != "comment"]
            if len(named) == 1 and named[0].type == "internal_module":
                node = named[0]
                continue
            return None
        break
    t = node.type
    if t in _CLASS:
        decorators += [c for c in node.children if c.type == "decorator"]
        return TsNode("class", node, start, end, src, exported, decorators)
    if t == "interface_declaration":
        return TsNode("interface", node, start, end, src, exported)
    if t == "type_alias_declaration":
        return TsNode("type", node, start, end, src, exported)
    if t == "enum_declaration":
        return TsNode("enum", node, start, end, src, exported)
    if t in _FUNCTION:
        return TsNode("function", node, start, end, src, exported)
    if t in _VARIABLE:
        return TsNode("variable", node, start, end, src, exported)
    if t in _MODULE:
        return TsNode("module", node, start, end, src, exported)
    return None


class _GlobalScope:
    """Stands for `declare global { }` (a ModuleDeclaration named `global`)."""

    type = "global_scope"
    named_children: ClassVar[list] = []
    children: ClassVar[list] = []

    def child_by_field_name(self, name: str) -> None:
        return None


def class_member_nodes(cls: TsNode) -> list[tuple[TsNode, int]]:
    """The methods and constructors of a class, each with its full start (end of the previous member or `{`)."""
    src = cls.src
    body = cls.node.child_by_field_name("body")
    if body is None:
        return []
    children = list(body.children)
    out: list[tuple[TsNode, int]] = []
    prev_end = None
    pending_decorators: list[Any] = []
    pending_full_start = None
    for i, c in enumerate(children):
        if c.type == "comment":
            continue
        if c.type == "{" and prev_end is None:
            prev_end = src.char(c.end_byte)
            continue
        if c.type == "}" and i == len(children) - 1:
            break
        if c.type == "decorator":
            if not pending_decorators:
                pending_full_start = prev_end
            pending_decorators.append(c)
            prev_end = src.char(c.end_byte)
            continue
        full_start = pending_full_start if pending_decorators else prev_end
        start_node = pending_decorators[0] if pending_decorators else c
        start = src.char(start_node.start_byte)
        end = src.char(c.end_byte)
        member: TsNode | None = None
        if c.type == "method_definition" and not _is_accessor(c):
            name = c.child_by_field_name("name")
            is_ctor = name is not None and name.type == "property_identifier" and src.node_text(name) == "constructor"
            kind = "constructor" if is_ctor else "method"
            member = TsNode(kind, c, start, end, src, decorators=list(pending_decorators),
                            private=_has_private(c, src))
        elif c.type in ("method_signature", "abstract_method_signature"):
            nxt = children[i + 1] if i + 1 < len(children) else None
            if nxt is not None and nxt.type == ";":
                end = src.char(nxt.end_byte)  # a body-less MethodDeclaration ends after its ';'
            member = TsNode("method", c, start, end, src, decorators=list(pending_decorators),
                            private=_has_private(c, src))
        if member is not None:
            out.append((member, full_start if full_start is not None else 0))
        pending_decorators = []
        prev_end = src.char(c.end_byte)
    return out


def class_exports(cls: TsNode) -> list[str]:
    """`getClassExports`: names of non-private methods and properties."""
    src = cls.src
    out = []
    for c in cls.class_members():
        if c.type in ("method_definition", "method_signature", "abstract_method_signature",
                      "public_field_definition"):
            if c.type == "method_definition":
                if _is_accessor(c):
                    continue
                name = c.child_by_field_name("name")
                if name is not None and name.type == "property_identifier" and src.node_text(name) == "constructor":
                    continue
            if _has_private(c, src):
                continue
            name = c.child_by_field_name("name")
            if name is not None:
                out.append(src.node_text(name))
    return out


def import_declarations(root: Any, src: SourceText) -> list[tuple[int, int, str | None]]:
    """Top-level ImportDeclarations as (start char, end char, module specifier text)."""
    out = []
    for c in root.children:
        if c.type != "import_statement":
            continue
        if any(k.type in ("import_require_clause",) for k in c.named_children):
            continue
        source = c.child_by_field_name("source")
        spec = None
        if source is not None and source.type == "string":
            spec = _string_value(src.node_text(source))
        out.append((src.char(c.start_byte), src.char(c.end_byte), spec))
    return out


_ESC = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _string_value(lit: str) -> str:
    body = lit[1:-1] if len(lit) >= 2 else ""
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nx = body[i + 1]
            if nx == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6] or ""):
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            if nx == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2:i + 4] or ""):
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
                continue
            if nx in "\r\n":
                i += 2
                continue
            out.append(_ESC.get(nx, nx))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def top_level_statements(root: Any) -> list[Any]:
    """Program children that are statements (comments and a shebang are trivia to TypeScript)."""
    return [c for c in root.children if c.type not in ("comment", "hash_bang_line")]


def walk_statements(content: str, language: str,
                    on_node: Callable[[TsNode, int], None]) -> tuple[SourceText, Any]:
    """Parse and call `on_node(ts_node, full_start)` for every top-level declaration, in source order."""
    src = SourceText(content)
    tree = ts_parser(language).parse(src.data)
    root = tree.root_node
    prev_end = 0
    for stmt in top_level_statements(root):
        ts_node = classify_statement(stmt, src)
        if ts_node is not None:
            on_node(ts_node, prev_end)
        prev_end = src.char(stmt.end_byte)
    return src, root


def is_capitalized(name: str) -> bool:
    """`name[0] === name[0].toUpperCase() && name.length > 1`."""
    if not name:
        return False
    first = name[0]
    return first == first.upper() and js_len(name) > 1
