"""Import specifiers per language, as written in the source (resolution to repo files is `resolve.py`'s job).

One string per imported module, in source order, de-duplicated:
- Python: `os.path`, `.models`, `..storage.db`; `from . import models` gives `.models` (the submodule or a name
  of the package: the resolver tries both); `from __future__` is skipped.
- TypeScript/JavaScript: the module specifier of `import`/`export ... from`, `import x = require()`, `require()`
  and `import()` calls with a string literal.
- Go: the import path. Java/Kotlin: the dotted name (`com.x.Item`, `com.x.model.*`; static imports keep the member).
- Rust: each `use` path with use-lists expanded (`crate::models::{Item, Store as S}` gives `crate::models::Item`
  and `crate::models::Store`); `mod foo;` gives `self::foo` (the module's file); `extern crate serde` gives `serde`.
- C/C++: the `#include` path without quotes or angle brackets. C#: the `using` namespace or aliased type.
- Ruby: `require 'x'` gives `x`; `require_relative 'x'` gives `./x`. PHP: `use` names (group uses expanded), and
  `require`/`include` string paths (`__DIR__ . '/x.php'` gives `./x.php`).
- COBOL: `COPY <book>` gives the copybook name; `CALL 'PROG'` gives the program name.

What it deliberately does not do: evaluate dynamic imports with non-literal arguments.
"""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from wikigym.repos.syntax import Source

Captures = dict[str, list[Node]]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in "'\"`<" and text[-1] in "'\"`>":
        return text[1:-1]
    return text


def python_imports(caps: Captures, src: Source) -> tuple[list[str], dict[str, list[str]]]:
    """Python specifiers plus, for `from X import a, b`, the imported names per module (`{"X": ["a", "b"]}`):
    the resolver needs them to tell `from pkg import submodule` from `from pkg import function`."""
    out: list[str] = []
    names_by_module: dict[str, list[str]] = {}
    for node in sorted(caps.get("i", []), key=lambda n: n.start_byte):
        if node.type == "import_statement":
            for name in node.children_by_field_name("name"):
                target = name.child_by_field_name("name") if name.type == "aliased_import" else name
                out.append(src.text(target))
            continue
        module = node.child_by_field_name("module_name")
        module_text = src.text(module).replace(" ", "")
        imported = []
        for name in node.children_by_field_name("name"):
            target = name.child_by_field_name("name") if name.type == "aliased_import" else name
            imported.append(src.text(target))
        if module is not None and module.type == "relative_import" and module_text.strip(".") == "":
            if not imported:
                out.append(module_text)  # `from . import *`
            out.extend(module_text + name for name in imported)
        elif module_text:
            out.append(module_text)
            if imported:
                names_by_module.setdefault(module_text, []).extend(
                    n for n in imported if n not in names_by_module.get(module_text, [])
                )
    return out, names_by_module


def _python(caps: Captures, src: Source) -> list[str]:
    return python_imports(caps, src)[0]


def _javascript(caps: Captures, src: Source) -> list[str]:
    found: list[tuple[int, str]] = [(n.start_byte, _unquote(src.text(n))) for n in caps.get("s", [])]
    for node in caps.get("c", []):
        call = node.parent.parent if node.parent is not None else None
        function = call.child_by_field_name("function") if call is not None else None
        if function is not None and src.text(function) in ("require", "import"):
            text = _unquote(src.text(node))
            if "${" not in text:
                found.append((node.start_byte, text))
    return [text for _, text in sorted(found)]


def _go(caps: Captures, src: Source) -> list[str]:
    nodes = caps.get("p", [])
    return [_unquote(src.text(n)) for n in sorted(nodes, key=lambda n: n.start_byte)]


def _java(caps: Captures, src: Source) -> list[str]:
    out = []
    for node in sorted(caps.get("i", []), key=lambda n: n.start_byte):
        name = next((src.text(c) for c in node.named_children if c.type in ("scoped_identifier", "identifier")), "")
        if any(c.type == "asterisk" for c in node.named_children):
            name += ".*"
        out.append(name)
    return out


def _kotlin(caps: Captures, src: Source) -> list[str]:
    out = []
    for node in sorted(caps.get("i", []), key=lambda n: n.start_byte):
        name = next((src.text(c) for c in node.named_children if c.type == "identifier"), "")
        if any(c.type == "wildcard_import" for c in node.named_children):
            name += ".*"
        out.append(name)
    return out


def _rust_use_paths(src: Source, node: Node | None, prefix: str) -> list[str]:
    """Expand a `use` argument into full paths."""
    if node is None:
        return []
    join = lambda tail: f"{prefix}::{tail}" if prefix else tail
    kind = node.type
    if kind == "scoped_use_list":
        path = src.text(node.child_by_field_name("path"))
        return _rust_use_paths(src, node.child_by_field_name("list"), join(path) if path else prefix)
    if kind == "use_list":
        out: list[str] = []
        for child in node.named_children:
            out.extend(_rust_use_paths(src, child, prefix))
        return out
    if kind == "use_as_clause":
        return _rust_use_paths(src, node.child_by_field_name("path"), prefix)
    if kind == "use_wildcard":
        inner = src.text(node).rstrip("*").rstrip(":")
        return [join(inner + "::*" if inner else "*")]
    if kind == "self":
        return [prefix] if prefix else ["self"]
    return [join(src.text(node))]


def _rust(caps: Captures, src: Source) -> list[str]:
    found: list[tuple[int, str]] = []
    for node in caps.get("u", []):
        found.extend((node.start_byte, p) for p in _rust_use_paths(src, node, ""))
    for node in caps.get("m", []):
        if node.child_by_field_name("body") is None:
            found.append((node.start_byte, "self::" + src.text(node.child_by_field_name("name"))))
    for node in caps.get("c", []):
        found.append((node.start_byte, src.text(node)))
    return [p for _, p in sorted(found, key=lambda item: item[0])]


def _c_family(caps: Captures, src: Source) -> list[str]:
    return [_unquote(src.text(n)) for n in sorted(caps.get("p", []), key=lambda n: n.start_byte)]


def _csharp(caps: Captures, src: Source) -> list[str]:
    out = []
    for node in sorted(caps.get("u", []), key=lambda n: n.start_byte):
        alias = node.child_by_field_name("name")
        names = [c for c in node.named_children if c.type in ("qualified_name", "identifier") and c != alias]
        if names:
            out.append(src.text(names[-1]))
    return out


def _ruby(caps: Captures, src: Source) -> list[str]:
    out = []
    for node in sorted(caps.get("s", []), key=lambda n: n.start_byte):
        call = node.parent.parent
        method = src.text(call.child_by_field_name("method"))
        if method not in ("require", "require_relative", "load", "autoload"):
            continue
        path = _unquote(src.text(node))
        if method == "require_relative" and not path.startswith("."):
            path = "./" + path
        out.append(path)
    return out


def _php(caps: Captures, src: Source) -> list[str]:
    found: list[tuple[int, str]] = []
    for node in caps.get("u", []):
        group = node.child_by_field_name("body")
        prefix = next((src.text(c) for c in node.named_children if c.type == "namespace_name"), "")
        clauses = group.named_children if group is not None else node.named_children
        for clause in clauses:
            if clause.type != "namespace_use_clause":
                continue
            alias = clause.child_by_field_name("alias")
            name = next((src.text(c) for c in clause.named_children if c != alias), "")
            full = f"{prefix}\\{name}" if prefix and group is not None else name
            found.append((clause.start_byte, full.lstrip("\\")))
    for node in caps.get("r", []):
        text = src.text(node)
        strings = [c for c in _descendants(node) if c.type in ("string", "encapsed_string")]
        if not strings:
            continue
        path = _unquote(src.text(strings[-1]))
        if "__DIR__" in text or "dirname(__FILE__)" in text:
            path = "./" + path.lstrip("/")
        found.append((node.start_byte, path))
    return [p for _, p in sorted(found, key=lambda item: item[0])]


def _descendants(node: Node) -> list[Node]:
    """Named descendants of a small expression node (an include argument), breadth first."""
    out, queue = [], list(node.named_children)
    while queue:
        current = queue.pop(0)
        out.append(current)
        queue.extend(current.named_children)
    return out


def _cobol(caps: Captures, src: Source) -> list[str]:
    found = [(n.start_byte, _unquote(src.text(n).strip().strip("."))) for n in caps.get("b", [])]
    found += [(n.start_byte, _unquote(src.text(n))) for n in caps.get("c", [])]
    return [p for _, p in sorted(found, key=lambda item: item[0])]


_JS_CALLS = (
    "(call_expression function: [(identifier) (import)] @f arguments: (arguments . [(string) (template_string)] @c))"
)
_TS_QUERY = (
    "(import_statement source: (string) @s) (export_statement source: (string) @s) "
    "(import_require_clause source: (string) @s) " + _JS_CALLS
)
_PHP_QUERY = (
    "(namespace_use_declaration) @u (require_expression) @r (require_once_expression) @r "
    "(include_expression) @r (include_once_expression) @r"
)
_JS_QUERY = "(import_statement source: (string) @s) (export_statement source: (string) @s) " + _JS_CALLS

# language -> (query patterns, extractor over their captures). The patterns are run together with the identifier
# pattern in one pass over the tree (see parsing.py): each query pass costs about as much as walking every node.
EXTRACTORS: dict[str, tuple[str, Callable[[Captures, Source], list[str]]]] = {
    "python": ("(import_statement) @i (import_from_statement) @i", _python),
    "typescript": (_TS_QUERY, _javascript),
    "tsx": (_TS_QUERY, _javascript),
    "javascript": (_JS_QUERY, _javascript),
    "go": ("(import_spec path: (_) @p)", _go),
    "java": ("(import_declaration) @i", _java),
    "kotlin": ("(import_header) @i", _kotlin),
    "rust": (
        "(use_declaration argument: (_) @u) (mod_item) @m (extern_crate_declaration name: (identifier) @c)",
        _rust,
    ),
    "c": ("(preproc_include path: (_) @p)", _c_family),
    "cpp": ("(preproc_include path: (_) @p)", _c_family),
    "csharp": ("(using_directive) @u", _csharp),
    "ruby": ("(call method: (identifier) @m arguments: (argument_list . (string) @s))", _ruby),
    "php": (_PHP_QUERY, _php),
    "cobol": ("(copy_statement book: (_) @b) (call_statement x: (string) @c)", _cobol),
}


def import_query(language: str) -> str:
    """The query patterns whose captures `extract_imports` needs ('' for languages without imports)."""
    entry = EXTRACTORS.get(language)
    return entry[0] if entry else ""


def extract_imports(caps: Captures, src: Source, language: str) -> list[str]:
    """Imported module specifiers in source order, de-duplicated (see the module docstring).

    Args:
        caps: captures of `import_query(language)` over the file's tree (possibly merged with other patterns).
        src: the file's source.
        language: tree-sitter language name.
    """
    entry = EXTRACTORS.get(language)
    if entry is None:
        return []
    seen: set[str] = set()
    out: list[str] = []
    for spec in entry[1](caps, src):
        if spec and spec not in seen and spec != "__future__":
            seen.add(spec)
            out.append(spec)
    return out
