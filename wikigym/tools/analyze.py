"""`analyze_code_structure` in SemanticWiki's two flavours, and wikigym's tree-sitter `accurate` profile.

Faithful profile (`semanticwiki-1.2.1`): the per-line JavaScript regexes of SemanticWiki's src/wiki-agent.ts,
direct mode (`executeDirectApiTool`: one summary block, TS/JS only) and SDK mode (the in-process MCP server:
Markdown sections, arrow functions, Python). The regexes run with JavaScript semantics: `\\w` is ASCII, `\\s` is
JavaScript's Unicode whitespace set, `.` stops at `\\r`, `\\n`, U+2028 and U+2029, `^` anchors the line.

Accurate profile: functions, classes, methods, imports and exports come from tree-sitter for every language the
parser knows, with real line numbers, printed in the same two output shapes so a model sees the same format.

What it does not do: argument validation or defaults for SDK mode (the dispatcher applies zod first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wikigym.tools import node_fs
from wikigym.tools.context import NodeError, ToolContext
from wikigym.tools.files import repo_path
from wikigym.tools.node_fs import MISSING, extname
from wikigym.tools.search.jsstr import JS_S_CLASS


def js_regex(source: str) -> re.Pattern[str]:
    """Compile a JavaScript regex source (no flags) whose escapes are limited to \\s \\S \\w and `.`."""
    out = []
    i = 0
    in_class = False
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            if nxt == "s":
                out.append(JS_S_CLASS if in_class else f"[{JS_S_CLASS}]")
            elif nxt == "S":
                out.append(f"[^{JS_S_CLASS}]")
            elif nxt == "w":
                out.append("A-Za-z0-9_" if in_class else "[A-Za-z0-9_]")
            else:
                out.append(source[i:i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        elif ch == "." and not in_class:
            out.append("[^\\n\\r\\u2028\\u2029]")
            i += 1
            continue
        elif ch == "$" and not in_class:
            out.append("\\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    return re.compile("".join(out))


JS_EXTS = (".ts", ".tsx", ".js", ".jsx")

# Direct mode (executeDirectApiTool).
_D_FUNC = js_regex(r"(?:export\s+)?(?:async\s+)?function\s+(\w+)")
_D_CLASS = js_regex(r"(?:export\s+)?class\s+(\w+)")
_IMPORT = js_regex(r"""import\s+.*\s+from\s+['"]([^'"]+)['"]""")
_D_EXPORT = js_regex(r"export\s+(?:default\s+)?(?:class|function|const|let|var|interface|type)\s+(\w+)")
# SDK mode (the semanticwiki MCP server).
_S_FUNC = js_regex(r"(?:export\s+)?(?:async\s+)?function\s+(\w+)\s*(\([^)]*\))")
_S_ARROW = js_regex(r"(?:export\s+)?const\s+(\w+)\s*=\s*(?:async\s+)?\([^)]*\)\s*(?::\s*[^=]+)?\s*=>")
_S_EXPORT = js_regex(r"export\s+(?:default\s+)?(?:class|function|const|let|var|interface|type|enum)\s+(\w+)")
_PY_FUNC = js_regex(r"^(?:async\s+)?def\s+(\w+)\s*\(([^)]*)\)")
_PY_CLASS = js_regex(r"^class\s+(\w+)")
_PY_IMPORT = js_regex(r"^(?:from\s+(\S+)\s+)?import\s+(.+)")


@dataclass
class Analysis:
    """What one analysis found: (name or signature, 1-based line) pairs per kind."""

    functions: list[tuple[str, int]] = field(default_factory=list)  # (signature, line); direct mode: name
    classes: list[tuple[str, int]] = field(default_factory=list)
    imports: list[tuple[str, int]] = field(default_factory=list)
    exports: list[tuple[str, int]] = field(default_factory=list)
    line_count: int = 0
    function_signatures: list[tuple[str, int]] | None = None  # accurate profile: SDK mode prints these


def _direct_regex(lines: list[str], ext: str) -> Analysis:
    a = Analysis(line_count=len(lines))
    if ext not in JS_EXTS:
        return a
    for idx, line in enumerate(lines):
        n = idx + 1
        if m := _D_FUNC.search(line):
            a.functions.append((m.group(1), n))
        if m := _D_CLASS.search(line):
            a.classes.append((m.group(1), n))
        if m := _IMPORT.search(line):
            a.imports.append((m.group(1), n))
        if m := _D_EXPORT.search(line):
            a.exports.append((m.group(1), n))
    return a


def _sdk_regex(lines: list[str], ext: str) -> Analysis:
    a = Analysis(line_count=len(lines))
    if ext in JS_EXTS:
        for idx, line in enumerate(lines):
            n = idx + 1
            if m := _S_FUNC.search(line):
                a.functions.append((f"{m.group(1)}{m.group(2)}", n))
            if m := _S_ARROW.search(line):
                a.functions.append((m.group(1), n))
            if m := _D_CLASS.search(line):
                a.classes.append((m.group(1), n))
            if m := _IMPORT.search(line):
                a.imports.append((m.group(1), n))
            if m := _S_EXPORT.search(line):
                a.exports.append((m.group(1), n))
    if ext == ".py":
        for idx, line in enumerate(lines):
            n = idx + 1
            if m := _PY_FUNC.search(line):
                a.functions.append((f"{m.group(1)}({m.group(2)})", n))
            if m := _PY_CLASS.search(line):
                a.classes.append((m.group(1), n))
            if m := _PY_IMPORT.search(line):
                a.imports.append((m.group(1) or m.group(2), n))
    return a


def format_direct(file_path: str, a: Analysis) -> str:
    """The direct-mode block: `# Code Analysis`, `Lines:`, then one `Kind (n): ...` line per kind."""
    return (f"# Code Analysis: {file_path}\n"
            f"Lines: {a.line_count}\n\n"
            f"Functions ({len(a.functions)}): {', '.join(f'{n}:{ln}' for n, ln in a.functions)}\n"
            f"Classes ({len(a.classes)}): {', '.join(f'{n}:{ln}' for n, ln in a.classes)}\n"
            f"Imports ({len(a.imports)}): {', '.join(m for m, _ in a.imports)}\n"
            f"Exports ({len(a.exports)}): {', '.join(n for n, _ in a.exports)}")


def format_sdk(file_path: str, ext: str, a: Analysis, analysis_type: str) -> str:
    """The SDK-mode Markdown: header, `## Summary` for all/structure, then the requested non-empty sections."""
    t = analysis_type
    out = f"# Code Analysis: {file_path}\n\n"
    out += f"**Lines of Code:** {a.line_count}\n"
    out += f"**Language:** {ext[1:].upper()}\n\n"
    if t in ("all", "structure"):
        out += "## Summary\n"
        out += f"- Functions: {len(a.functions)}\n"
        out += f"- Classes: {len(a.classes)}\n"
        out += f"- Imports: {len(a.imports)}\n"
        out += f"- Exports: {len(a.exports)}\n\n"
    if t in ("all", "functions") and a.functions:
        sigs = a.function_signatures if a.function_signatures is not None else a.functions
        out += "## Functions\n" + "".join(f"- `{s}` (line {n})\n" for s, n in sigs) + "\n"
    if t in ("all", "classes") and a.classes:
        out += "## Classes\n" + "".join(f"- `{s}` (line {n})\n" for s, n in a.classes) + "\n"
    if t in ("all", "imports") and a.imports:
        out += "## Imports\n" + "".join(f"- `{s}` (line {n})\n" for s, n in a.imports) + "\n"
    if t in ("all", "exports") and a.exports:
        out += "## Exports\n" + "".join(f"- `{s}` (line {n})\n" for s, n in a.exports)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Accurate profile: tree-sitter through wikigym.repos.parsing.

_CODE_LANGUAGES = frozenset({"python", "typescript", "tsx", "javascript", "go", "java", "rust", "c", "cpp",
                             "csharp", "kotlin", "ruby", "php", "cobol"})
_FUNCTION_KINDS = frozenset({"function", "method", "macro", "paragraph"})
_CLASS_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "impl", "object", "type", "module",
                          "namespace", "program", "section"})
_JS_EXPORT_VAR = js_regex(r"^export\s+(?:declare\s+)?(?:const|let|var)\s+(\w+)")
_PY_ALL = re.compile(r"^__all__\s*(?::[^=]*)?=\s*[\[(]([^\])]*)", re.MULTILINE)


def _params(signature: str | None) -> str:
    """The parameter list of a declaration signature, from its first '(' to the matching ')', or ''."""
    if not signature or "(" not in signature:
        return ""
    start = signature.index("(")
    depth = 0
    for i in range(start, len(signature)):
        if signature[i] == "(":
            depth += 1
        elif signature[i] == ")":
            depth -= 1
            if depth == 0:
                return signature[start:i + 1]
    return signature[start:]


def _is_exported(language: str, sym: Any, line: str) -> bool:
    sig = sym.signature or ""
    if language in ("typescript", "tsx", "javascript"):
        return sym.parent is None and line.lstrip().startswith("export")
    if language == "go":
        return sym.parent is None and sym.name[:1].isupper()
    if language == "rust":
        return sig.startswith("pub")
    if language in ("java", "csharp", "php"):
        return "public" in sig.split("(")[0].split()
    if language == "kotlin":
        return not any(w in sig.split("(")[0].split() for w in ("private", "internal", "protected"))
    if language in ("c", "cpp"):
        return sym.parent is None and "static" not in sig.split("(")[0].split()
    if language == "python":
        return sym.parent is None and not sym.name.startswith("_")
    return sym.parent is None


def analyze_accurate(rel: str, content: str) -> Analysis | None:
    """Functions, classes, imports and exports from tree-sitter, or None for a language it does not parse."""
    from wikigym.repos.languages import language_for_path
    from wikigym.repos.parsing import parse_file

    language = language_for_path(rel, content)
    if language not in _CODE_LANGUAGES:
        return None
    parsed = parse_file(content, language)
    lines = content.split("\n")
    a = Analysis(line_count=len(lines), function_signatures=[])
    assert a.function_signatures is not None
    exported: dict[str, int] = {}
    for sym in parsed.symbols:
        qualified = f"{sym.parent}.{sym.name}" if sym.parent and sym.kind == "method" else sym.name
        line = lines[sym.start_line - 1] if 0 < sym.start_line <= len(lines) else ""
        if sym.kind in _FUNCTION_KINDS:
            a.functions.append((qualified, sym.start_line))
            a.function_signatures.append((f"{qualified}{_params(sym.signature)}", sym.start_line))
        elif sym.kind in _CLASS_KINDS:
            a.classes.append((qualified, sym.start_line))
        if _is_exported(language, sym, line) and (sym.kind in _FUNCTION_KINDS or sym.kind in _CLASS_KINDS):
            exported.setdefault(sym.name, sym.start_line)
    if language in ("typescript", "tsx", "javascript"):
        for i, line in enumerate(lines):
            if m := _JS_EXPORT_VAR.search(line):
                exported.setdefault(m.group(1), i + 1)
    if language == "python" and (m := _PY_ALL.search(content)):
        names = re.findall(r"[\"']([^\"']+)[\"']", m.group(1))
        exported = {n: next((s.start_line for s in parsed.symbols if s.name == n), 1) for n in names}
    a.exports = sorted(exported.items(), key=lambda kv: kv[1])
    cursor = 0
    for module in parsed.imports:
        # parsing.py gives specifiers without lines: find each in order (`from . import utils` holds `utils`).
        tail = re.split(r"[./:\\]+", module.strip("."))[-1] or module
        found = next((i for needle in (module, tail) for i in range(cursor, len(lines)) if needle in lines[i]), cursor)
        cursor = found
        a.imports.append((module, found + 1))
    return a


def _analyze(ctx: ToolContext, rel: str, full: str, content: str, sdk: bool) -> Analysis:
    lines = content.split("\n")
    ext = extname(rel)
    if ctx.profile == "accurate":
        found = analyze_accurate(rel, content)
        if found is not None:
            return found
    return _sdk_regex(lines, ext) if sdk else _direct_regex(lines, ext)


def direct_analyze_code_structure(ctx: ToolContext, args: dict) -> str:
    """Direct mode: `Error: File not found: <p>`, Node errors raised for the dispatcher, else the summary block."""
    p = args.get("filePath", MISSING)
    full, allowed = repo_path(ctx, p)
    if not allowed or not node_fs.exists(full):
        return f"Error: File not found: {p}"
    content = node_fs.read_text(full)
    return format_direct(p, _analyze(ctx, p, full, content, sdk=False))


def sdk_analyze_code_structure(ctx: ToolContext, args: dict[str, Any]) -> str:
    """SDK mode (args already validated by zod, `analysisType` defaulted to 'all')."""
    p = args["filePath"]
    try:
        full, allowed = repo_path(ctx, p)
        if not allowed or not node_fs.exists(full):
            return f"File not found: {p}"
        content = node_fs.read_text(full)
        return format_sdk(p, extname(p), _analyze(ctx, p, full, content, sdk=True), args.get("analysisType", "all"))
    except NodeError as e:
        return f"Analysis error: {e.message}"
