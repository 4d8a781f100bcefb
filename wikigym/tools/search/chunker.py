"""A faithful port of SemanticWiki's `ASTChunker` (src/ast-chunker.ts, v1.2.1) and of `RAGSystem.chunkFile`.

Routing by extension: TS/JS/TSX/JSX through the TypeScript-compiler emulation in `tsemu.py`; Python, C#,
Java/Kotlin, Go, COBOL, JCL and SQL through SemanticWiki's line regexes (ported with JavaScript regex semantics:
ASCII `\\w`, JavaScript's `\\s`, `.` not matching `\\r`); everything else through the generic regex splitter. The
quirks are kept on purpose because the faithful profile must return SemanticWiki's chunks: no upper size limit,
Python chunks that start at accumulated decorators, small TS chunks merged into `file` chunks whose contents are
joined by a blank line, whole-file chunks for small files, `language: unknown` for JSON/YAML/Markdown.

Chunks are plain dicts with SemanticWiki's camelCase keys; a key is absent where SemanticWiki's value is
`undefined`. Lengths are JavaScript lengths (UTF-16 code units).

What it deliberately does not do: improve chunk quality (that is `accurate.py`), or read files (callers pass text).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from wikigym.tools.search import tsemu
from wikigym.tools.search.domains import domain_categories, generate_domain_context, infer_domain_hints, warm_runs
from wikigym.tools.search.jsstr import JS_S_CLASS, js_len, js_trim, js_trim_start

MAX_CHUNK_SIZE = 1500  # RAGSystem passes chunkSize 1500 as the chunker's maxChunkSize
MIN_CHUNK_SIZE = 100
CHUNK_OVERLAP = 200

S = f"[{JS_S_CLASS}]"  # JavaScript \s
DOT = "[^\\n\\r\\u2028\\u2029]"  # JavaScript .
_A = re.ASCII
_AI = re.ASCII | re.IGNORECASE  # JavaScript /i without the u flag folds ASCII letters only

_LANGUAGES = {
    ".ts": "typescript", ".tsx": "tsx", ".js": "javascript", ".jsx": "jsx", ".mjs": "javascript",
    ".cjs": "javascript", ".py": "python", ".pyx": "python", ".go": "go", ".rs": "rust", ".java": "java",
    ".kt": "kotlin", ".scala": "scala", ".rb": "ruby", ".php": "php", ".c": "c", ".cpp": "cpp", ".h": "c",
    ".hpp": "cpp", ".cs": "csharp", ".swift": "swift", ".vue": "vue", ".svelte": "svelte", ".cbl": "cobol",
    ".cob": "cobol", ".cobol": "cobol", ".cpy": "cobol", ".copy": "cobol", ".jcl": "jcl", ".pli": "pli",
    ".pl1": "pli", ".asm": "asm", ".s": "asm", ".sql": "sql", ".bms": "bms", ".prc": "jcl", ".proc": "jcl",
}
# RAGSystem.getLanguage (only used by the line-based fallback): no .mjs/.cjs/.pyx/.scala, adds json/yaml/md.
_RAG_LANGUAGES = {
    ".ts": "typescript", ".tsx": "tsx", ".js": "javascript", ".jsx": "jsx", ".py": "python", ".go": "go",
    ".rs": "rust", ".java": "java", ".kt": "kotlin", ".rb": "ruby", ".php": "php", ".c": "c", ".cpp": "cpp",
    ".h": "c", ".hpp": "cpp", ".cs": "csharp", ".swift": "swift", ".vue": "vue", ".svelte": "svelte",
    ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown", ".cbl": "cobol", ".cob": "cobol",
    ".cobol": "cobol", ".cpy": "cobol", ".copy": "cobol", ".jcl": "jcl", ".pli": "pli", ".pl1": "pli",
    ".asm": "asm", ".s": "asm", ".sql": "sql", ".bms": "bms", ".prc": "jcl", ".proc": "jcl",
}


def extname(file_path: str) -> str:
    """Node's `path.extname`."""
    base = posixpath.basename(file_path)
    i = base.rfind(".")
    return "" if i <= 0 else base[i:]


def basename_no_ext(file_path: str) -> str:
    """`path.basename(filePath, path.extname(filePath))`."""
    base = posixpath.basename(file_path)
    ext = extname(file_path)
    return base[: len(base) - len(ext)] if ext and base != ext else base


def chunker_language(file_path: str) -> str:
    return _LANGUAGES.get(extname(file_path).lower(), "unknown")


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


# ---------------------------------------------------------------------------------------------------------------
# entry points

def chunk_file(file_path: str, content: str) -> list[dict]:
    """`ASTChunker.chunkFile`: SemanticWiki's AST chunks (with `domainHints`) for one file's text."""
    language = chunker_language(file_path)
    warm_runs(content.lower())
    if language in ("typescript", "javascript", "tsx", "jsx"):
        return chunk_typescript(file_path, content, language)
    if language == "python":
        return chunk_python(file_path, content)
    if language == "csharp":
        return chunk_csharp(file_path, content)
    if language == "go":
        return chunk_go(file_path, content)
    if language in ("java", "kotlin"):
        return [{**c, "language": language} for c in chunk_csharp(file_path, content)]
    if language == "cobol":
        return chunk_cobol(file_path, content)
    if language == "jcl":
        return chunk_jcl(file_path, content)
    if language == "sql":
        return chunk_sql(file_path, content)
    return chunk_generic(file_path, content, language)


def to_code_chunk(ast_chunk: dict) -> dict:
    """RAGSystem's conversion of an AST chunk into the stored `CodeChunk` (domain categories and context added)."""
    return _drop_none({
        "id": ast_chunk["id"], "filePath": ast_chunk["filePath"], "startLine": ast_chunk["startLine"],
        "endLine": ast_chunk["endLine"], "content": ast_chunk["content"], "language": ast_chunk["language"],
        "chunkType": ast_chunk.get("chunkType"), "name": ast_chunk.get("name"),
        "parentName": ast_chunk.get("parentName"), "documentation": ast_chunk.get("documentation"),
        "domainCategories": domain_categories(ast_chunk.get("domainHints")),
        "domainContext": generate_domain_context(ast_chunk), "isPublicApi": ast_chunk.get("isPublicApi"),
        "signature": ast_chunk.get("signature"),
    })


def rag_chunk_file(file_path: str, content: str) -> list[dict]:
    """`RAGSystem.chunkFile`: AST chunks converted to stored chunks, or line chunks if the chunker throws."""
    try:
        return [to_code_chunk(c) for c in chunk_file(file_path, content)]
    except (RecursionError, ValueError, IndexError):
        return line_chunks(file_path, content)


def line_chunks(file_path: str, content: str) -> list[dict]:
    """RAGSystem's line-based fallback: ~1500-character chunks ending at a blank line or brace, 4 lines overlap."""
    lines = content.split("\n")
    language = _RAG_LANGUAGES.get(extname(file_path).lower(), "")
    chunks = []
    start = 0
    while start < len(lines):
        end, chars = start, 0
        while end < len(lines) and chars < MAX_CHUNK_SIZE:
            chars += js_len(lines[end]) + 1
            end += 1
        for i in range(end, min(end + 10, len(lines))):
            t = js_trim(lines[i])
            if t in ("", "}", "};", "end"):
                end = i + 1
                break
        text = "\n".join(lines[start:end])
        if js_len(js_trim(text)) > 50:
            chunks.append({"id": f"{file_path}:{start + 1}-{end}", "filePath": file_path, "startLine": start + 1,
                           "endLine": end, "content": text, "language": language})
        prev = start
        start = end - CHUNK_OVERLAP // 50
        if start <= prev:
            start = end
    return chunks


# ---------------------------------------------------------------------------------------------------------------
# TypeScript / JavaScript

def _whole_file_chunk(file_path: str, content: str, language: str, imports: list[str] | None = None) -> dict:
    lines = content.split("\n")
    name = basename_no_ext(file_path)
    return _drop_none({
        "id": f"{file_path}:1-{len(lines)}", "filePath": file_path, "startLine": 1, "endLine": len(lines),
        "content": content, "language": language, "chunkType": "file", "name": name, "imports": imports,
        "domainHints": infer_domain_hints(name, None, [], content),
    })


def chunk_typescript(file_path: str, content: str, language: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    nodes: list[tuple[tsemu.TsNode, int]] = []
    src, root = tsemu.walk_statements(content, language, lambda n, fs: nodes.append((n, fs)))

    imports = tsemu.import_declarations(root, src)
    if imports:
        start_line = src.line_of(imports[0][0])
        end_line = src.line_of(imports[-1][1])
        chunks.append({
            "id": f"{file_path}:{start_line + 1}-{end_line + 1}", "filePath": file_path,
            "startLine": start_line + 1, "endLine": end_line + 1,
            "content": "\n".join(lines[start_line:end_line + 1]), "language": language,
            "chunkType": "import-block", "name": "imports",
            "imports": [spec for _, _, spec in imports if spec is not None],
        })

    for node, full_start in nodes:
        chunk = _process_ts_node(node, full_start, src, lines, file_path, language, None, None)
        if chunk is None:
            continue
        chunks.append(chunk)
        if _should_chunk_nested(chunk):
            context = chunk["name"]
            for member, member_full_start in tsemu.class_member_nodes(node):
                sub = _process_ts_node(member, member_full_start, src, lines, file_path, language,
                                       chunk["name"], context)
                if sub is not None:
                    chunks.append(sub)

    if len(chunks) <= 1 and js_len(content) < MAX_CHUNK_SIZE:
        return [_whole_file_chunk(file_path, content, language, chunks[0].get("imports") if chunks else None)]
    return merge_small_chunks(chunks, file_path, language)


def _should_chunk_nested(chunk: dict) -> bool:
    return js_len(chunk["content"]) > MAX_CHUNK_SIZE * 0.7 and chunk["chunkType"] in (
        "class", "service", "controller", "component", "model")


def _process_ts_node(node: tsemu.TsNode, full_start: int, src: tsemu.SourceText, lines: list[str], file_path: str,
                     language: str, parent_name: str | None, context_path: str | None) -> dict | None:
    text = src.text
    comments = tsemu.leading_comment_ranges(text, full_start)
    documentation = text[comments[-1][0]:comments[-1][1]] if comments else None

    decorators: list[str] = []
    signature = None
    type_info: dict[str, Any] | None = None
    exports: list[str] = []
    is_public = False
    kind = node.kind
    if kind == "class":
        decorators = node.decorator_texts()
        name = node.name_text() or "AnonymousClass"
        chunk_type = _infer_class_type(name, decorators)
        is_public = node.exported
        ext, imp = node.heritage()
        type_info = {"extends": ext, "implements": imp}
        exports = tsemu.class_exports(node)
    elif kind in ("interface", "type", "enum"):
        name = node.name_text() or ""
        chunk_type = kind
        is_public = node.exported
        if kind == "interface":
            type_info = {"extends": node.interface_extends()}
    elif kind == "function":
        name = node.name_text() or ""
        params = node.parameters()
        chunk_type = _infer_function_type(name, params)
        name = name or "anonymousFunction"
        is_public = node.exported
        signature = _signature(node.name_text() or "", params, node.return_type())
        type_info = _function_type_info(node, params)
    elif kind == "method":
        name = node.name_text() or ""
        params = node.parameters()
        decorators = node.decorator_texts()
        chunk_type = _infer_method_type(name, decorators)
        is_public = not node.private
        signature = _signature(name, params, node.return_type())
        type_info = _function_type_info(node, params)
    elif kind == "constructor":
        name = "constructor"
        chunk_type = "constructor"
        params = node.parameters()
        signature = "constructor(" + ", ".join(
            p["name"] + (f": {p['type']}" if p["type"] is not None else "") for p in params) + ")"
        type_info = {"parameters": [{"name": p["name"], "type": p["type"] or "any"} for p in params]}
    elif kind == "variable":
        var_name = node.name_text()
        if var_name is None:
            return None
        name = var_name
        is_public = node.exported
        chunk_type = _infer_variable_type(name, node.variable_initializer_type())
    elif kind == "module":
        name = node.name_text() or ""
        chunk_type = "module"
        is_public = True
    else:
        return None

    start_line = src.line_of(node.outer_start)
    end_line = src.line_of(node.outer_end)
    chunk_start = start_line
    if documentation is not None and comments:
        chunk_start = src.line_of(comments[0][0])
    content = "\n".join(lines[chunk_start:end_line + 1])
    if js_len(content) < MIN_CHUNK_SIZE:
        return None
    hints = infer_domain_hints(name, documentation, decorators, content)
    return _drop_none({
        "id": f"{file_path}:{chunk_start + 1}-{end_line + 1}", "filePath": file_path,
        "startLine": chunk_start + 1, "endLine": end_line + 1, "content": content, "language": language,
        "chunkType": chunk_type, "name": name, "parentName": parent_name, "documentation": documentation,
        "exports": exports or None, "domainHints": hints or None, "contextPath": context_path,
        "signature": signature, "isPublicApi": is_public, "decorators": decorators or None,
        "typeInfo": None if type_info is None else _drop_none(type_info),
    })


def _signature(name: str, params: list[dict], return_type: str | None) -> str:
    ps = ", ".join(p["name"] + ("?" if p["optional"] else "") + (f": {p['type']}" if p["type"] is not None else "")
                   for p in params)
    return f"{name}({ps})" + (f": {return_type}" if return_type is not None else "")


def _function_type_info(node: tsemu.TsNode, params: list[dict]) -> dict:
    return {"parameters": [{"name": p["name"], "type": p["type"] or "any"} for p in params],
            "returnType": node.return_type(), "generics": node.type_parameters()}


def _infer_class_type(name: str, decorators: list[str]) -> str:
    for d in decorators:
        dn = d.split("(")[0]
        if dn == "Controller":
            return "controller"
        if dn in ("Injectable", "Service"):
            return "service"
        if dn in ("Entity", "Model"):
            return "model"
        if dn == "Component":
            return "component"
        if dn == "Middleware":
            return "middleware"
    low = name.lower()
    if low.endswith("controller"):
        return "controller"
    if low.endswith("service"):
        return "service"
    if low.endswith(("repository", "repo")):
        return "repository"
    if low.endswith(("model", "entity")):
        return "model"
    if low.endswith("middleware"):
        return "middleware"
    if low.endswith("handler"):
        return "handler"
    if low.endswith("component"):
        return "component"
    return "class"


def _infer_function_type(name: str, params: list[dict]) -> str:
    low = name.lower()
    if low.startswith("use") and js_len(low) > 3:
        return "hook"
    if low.startswith(("test", "it")) or "spec" in low:
        return "test"
    if "handler" in low or "handle" in low:
        return "handler"
    if "middleware" in low or len(params) == 3:
        names = [p["name"].lower() for p in params]
        if "req" in names and "res" in names and ("next" in names or len(names) == 3):
            return "middleware"
    return "function"


def _infer_method_type(name: str, decorators: list[str]) -> str:
    if name.lower() in ("constructor", "render"):  # the other lifecycle names in the list are never lowercase
        return "hook"
    for d in decorators:
        if d.split("(")[0] in ("Get", "Post", "Put", "Delete", "Patch", "HttpGet", "HttpPost"):
            return "handler"
    return "method"


def _infer_variable_type(name: str, initializer_type: str | None) -> str:
    if initializer_type is not None:
        if initializer_type in ("arrow_function", "function_expression", "function", "generator_function"):
            if tsemu.is_capitalized(name):
                return "component"
            if name.lower().startswith("use"):
                return "hook"
            return "function"
        if initializer_type == "object":
            low = name.lower()
            if "config" in low or "options" in low or "settings" in low:
                return "config"
    return "constant"


def merge_small_chunks(chunks: list[dict], file_path: str, language: str) -> list[dict]:
    """`mergeSmallChunks`: runs of chunks under 200 characters become one `file` chunk."""
    if len(chunks) <= 1:
        return chunks
    result: list[dict] = []
    pending: list[dict] = []
    pending_size = 0
    for chunk in chunks:
        size = js_len(chunk["content"])
        if size >= MIN_CHUNK_SIZE * 2:
            if pending:
                result.append(_merge_pending(pending, file_path, language))
                pending, pending_size = [], 0
            result.append(chunk)
        else:
            pending.append(chunk)
            pending_size += size
            if pending_size >= MIN_CHUNK_SIZE * 2:
                result.append(_merge_pending(pending, file_path, language))
                pending, pending_size = [], 0
    if pending:
        result.append(_merge_pending(pending, file_path, language))
    return result


def _merge_pending(chunks: list[dict], file_path: str, language: str) -> dict:
    if len(chunks) == 1:
        return chunks[0]
    start = min(c["startLine"] for c in chunks)
    end = max(c["endLine"] for c in chunks)
    hints = [h for c in chunks for h in (c.get("domainHints") or [])]
    return {"id": f"{file_path}:{start}-{end}", "filePath": file_path, "startLine": start, "endLine": end,
            "content": "\n\n".join(c["content"] for c in chunks), "language": language, "chunkType": "file",
            "name": ", ".join(c["name"] for c in chunks), "domainHints": hints[:3]}


# ---------------------------------------------------------------------------------------------------------------
# Python

_PY_CLASS = re.compile(rf"class{S}+(\w+){DOT}*?:", _A)
_PY_FUNC = re.compile(rf"(?:async{S}+)?def{S}+(\w+){S}*\(", _A)
_PY_DECORATOR = re.compile(r"@(\w+)", _A)
_PY_FIRST = frozenset("@cad")


def chunk_python(file_path: str, content: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    current: dict | None = None
    decorators: list[str] = []
    for i, line in enumerate(lines):
        trimmed = js_trim_start(line)
        if trimmed[:1] not in _PY_FIRST:
            continue  # no pattern can match: skip the three regexes
        indent = js_len(line) - js_len(trimmed)
        m = _PY_DECORATOR.match(trimmed)
        if m:
            decorators.append(m.group(1))
            continue
        m = _PY_CLASS.match(trimmed)
        if m:
            if current is not None:
                chunks.append(_python_chunk(current, i, lines, file_path, decorators))
            current = {"start": i - len(decorators), "name": m.group(1), "type": "class", "decorators": decorators}
            decorators = []
            continue
        m = _PY_FUNC.match(trimmed)
        if m and indent == 0:
            if current is not None:
                chunks.append(_python_chunk(current, i, lines, file_path, decorators))
            current = {"start": i - len(decorators), "name": m.group(1), "type": "function",
                       "decorators": decorators}
            decorators = []
    if current is not None:
        chunks.append(_python_chunk(current, len(lines), lines, file_path, []))
    return chunks if chunks else [_whole_file_chunk(file_path, content, "python")]


def _js_slice_lines(lines: list[str], start: int, end: int) -> list[str]:
    """`lines.slice(start, end)` including JavaScript's negative-index rules."""
    n = len(lines)
    s = max(n + start, 0) if start < 0 else min(start, n)
    e = max(n + end, 0) if end < 0 else min(end, n)
    return lines[s:e] if e > s else []


def _python_chunk(chunk: dict, end_line: int, lines: list[str], file_path: str, next_decorators: list[str]) -> dict:
    actual_end = end_line - len(next_decorators)
    content = "\n".join(_js_slice_lines(lines, chunk["start"], actual_end))
    return _drop_none({
        "id": f"{file_path}:{chunk['start'] + 1}-{actual_end}", "filePath": file_path,
        "startLine": chunk["start"] + 1, "endLine": actual_end, "content": content, "language": "python",
        "chunkType": chunk["type"], "name": chunk["name"], "decorators": chunk["decorators"] or None,
        "domainHints": infer_domain_hints(chunk["name"], None, chunk["decorators"], content),
    })


# ---------------------------------------------------------------------------------------------------------------
# C#, Java, Kotlin

_CS_NAMESPACE = re.compile(rf"{S}*namespace{S}+([\w.]+)", _A)
_CS_CLASS = re.compile(rf"{S}*(?:public|private|internal|protected)?{S}*(?:static|abstract|sealed|partial)?{S}*"
                       rf"class{S}+(\w+)", _A)
_CS_INTERFACE = re.compile(rf"{S}*(?:public|private|internal)?{S}*interface{S}+(\w+)", _A)
_CS_METHOD = re.compile(rf"{S}*(?:public|private|protected|internal)?{S}*(?:static|virtual|override|async)?{S}*"
                        rf"[\w<>\[\],{JS_S_CLASS}]+{S}+(\w+){S}*\(", _A)


_LEADING_S = re.compile(rf"{S}{{3,}}", _A)


def _cs_head(line: str) -> str:
    """The line with its leading whitespace cut to its first two characters: the same `_CS_*` matches and groups.

    Every `_CS_*` pattern starts with up to three `\\s*` runs (plus, for methods, a class containing `\\s`), so a
    failing match on a deeply indented line backtracks over every way to split the indentation between them
    (cubic or worse: an 80-space `return false;` cost 0.7 s). Two leading characters keep every split that can
    change the outcome (one for the type run, one for the `\\s+` before the name); the groups hold no whitespace.
    """
    m = _LEADING_S.match(line)
    return line[:2] + line[m.end():] if m else line


def _cs_method_match(line: str) -> re.Match[str] | None:
    """`_CS_METHOD.match(line)`, fast: the match ends at the line's first `(` (nothing before it can be one)."""
    paren = line.find("(")
    if paren < 0:
        return None
    return _CS_METHOD.match(_cs_head(line[:paren + 1]))


def chunk_csharp(file_path: str, content: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    brace_count = 0
    stack: list[dict] = []
    for i, line in enumerate(lines):
        opens = line.count("{")
        closes = line.count("}")
        head = _cs_head(line)
        m = _CS_NAMESPACE.match(head)
        if m:
            stack.append({"start": i, "name": m.group(1), "type": "module", "level": brace_count})
        m = _CS_CLASS.match(head)
        if m:
            stack.append({"start": i, "name": m.group(1), "type": "class", "level": brace_count})
        m = _CS_INTERFACE.match(head)
        if m:
            stack.append({"start": i, "name": m.group(1), "type": "interface", "level": brace_count})
        m = _cs_method_match(line)
        if m and ";" not in line:
            stack.append({"start": i, "name": m.group(1), "type": "method", "level": brace_count})
        brace_count += opens - closes
        while stack:
            top = stack[-1]
            if brace_count <= top["level"]:
                stack.pop()
                text = "\n".join(lines[top["start"]:i + 1])
                if js_len(text) >= MIN_CHUNK_SIZE:
                    chunks.append({
                        "id": f"{file_path}:{top['start'] + 1}-{i + 1}", "filePath": file_path,
                        "startLine": top["start"] + 1, "endLine": i + 1, "content": text, "language": "csharp",
                        "chunkType": top["type"], "name": top["name"],
                        "domainHints": infer_domain_hints(top["name"], None, [], text),
                    })
            else:
                break
    return chunks if chunks else [_whole_file_chunk(file_path, content, "csharp")]


# ---------------------------------------------------------------------------------------------------------------
# Go

_GO_FUNC = re.compile(rf"func{S}+(?:\([\w{JS_S_CLASS}*]+\){S}+)?(\w+){S}*\(", _A)
_GO_TYPE = re.compile(rf"type{S}+(\w+){S}+(struct|interface){S}*{{", _A)


def chunk_go(file_path: str, content: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    current: dict | None = None
    brace_count = 0
    for i, line in enumerate(lines):
        opens = line.count("{")
        closes = line.count("}")
        m = _GO_FUNC.match(line)
        if m and brace_count == 0:
            if current is not None:
                chunks.append(_go_chunk(current, i, lines, file_path))
            current = {"start": i, "name": m.group(1), "type": "function"}
        m = _GO_TYPE.match(line)
        if m and brace_count == 0:
            if current is not None:
                chunks.append(_go_chunk(current, i, lines, file_path))
            current = {"start": i, "name": m.group(1), "type": "model" if m.group(2) == "struct" else "interface"}
        brace_count += opens - closes
        if current is not None and brace_count == 0 and closes > 0:
            chunks.append(_go_chunk(current, i + 1, lines, file_path))
            current = None
    if current is not None:
        chunks.append(_go_chunk(current, len(lines), lines, file_path))
    return chunks if chunks else [_whole_file_chunk(file_path, content, "go")]


def _go_chunk(chunk: dict, end_line: int, lines: list[str], file_path: str) -> dict:
    text = "\n".join(lines[chunk["start"]:end_line])
    return {"id": f"{file_path}:{chunk['start'] + 1}-{end_line}", "filePath": file_path,
            "startLine": chunk["start"] + 1, "endLine": end_line, "content": text, "language": "go",
            "chunkType": chunk["type"], "name": chunk["name"],
            "domainHints": infer_domain_hints(chunk["name"], None, [], text)}


# ---------------------------------------------------------------------------------------------------------------
# everything else

_GENERIC = [
    re.compile(rf"(?:export{S}+)?(?:async{S}+)?function{S}+(\w+)", _A),
    re.compile(rf"(?:export{S}+)?const{S}+(\w+){S}*=", _A),
    re.compile(rf"def{S}+(\w+)", _A),
    re.compile(rf"func{S}+(\w+)", _A),
    re.compile(rf"pub{S}+fn{S}+(\w+)", _A),
    re.compile(rf"(?:public|private)?{S}*(?:static)?{S}*\w+{S}+(\w+){S}*\(", _A),
]


def chunk_generic(file_path: str, content: str, language: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    chunk_start = 0
    chunk_name = "module"
    brace_count = 0
    for i, line in enumerate(lines):
        if brace_count == 0 and line:
            for pattern in _GENERIC:
                m = pattern.match(line)
                if m:
                    if i > chunk_start:
                        text = js_trim("\n".join(lines[chunk_start:i]))
                        if js_len(text) >= MIN_CHUNK_SIZE:
                            chunks.append({
                                "id": f"{file_path}:{chunk_start + 1}-{i}", "filePath": file_path,
                                "startLine": chunk_start + 1, "endLine": i, "content": text, "language": language,
                                "chunkType": "function", "name": chunk_name,
                                "domainHints": infer_domain_hints(chunk_name, None, [], text),
                            })
                    chunk_start = i
                    chunk_name = m.group(1)
                    break
        brace_count += line.count("{")
        brace_count -= line.count("}")
    final = js_trim("\n".join(lines[chunk_start:]))
    if js_len(final) >= MIN_CHUNK_SIZE:
        chunks.append({
            "id": f"{file_path}:{chunk_start + 1}-{len(lines)}", "filePath": file_path,
            "startLine": chunk_start + 1, "endLine": len(lines), "content": final, "language": language,
            "chunkType": "function", "name": chunk_name,
            "domainHints": infer_domain_hints(chunk_name, None, [], final),
        })
    return chunks if chunks else [_whole_file_chunk(file_path, content, language)]


# ---------------------------------------------------------------------------------------------------------------
# COBOL

_CB_PREFIX = rf"{S}{{0,6}}{S}*"
_CB_DIVISION = re.compile(rf"{_CB_PREFIX}(\w+){S}+DIVISION{S}*\.?", _AI)
_CB_SECTION = re.compile(rf"{_CB_PREFIX}(\w[\w-]*){S}+SECTION{S}*\.?", _AI)
_CB_PARAGRAPH = re.compile(rf"{_CB_PREFIX}(\w[\w-]*){S}*\.{S}*\Z", _A)
_CB_COPY = re.compile(rf"{_CB_PREFIX}COPY{S}+[\"']?(\w[\w-]*)[\"']?{S}*\.?", _AI)
_CB_PROGRAM_ID = re.compile(rf"{_CB_PREFIX}PROGRAM-ID{S}*\.{S}*(\w[\w-]*)", _AI)
_CB_FD = re.compile(rf"{_CB_PREFIX}FD{S}+(\w[\w-]*)", _AI)
_CB_SD = re.compile(rf"{_CB_PREFIX}SD{S}+(\w[\w-]*)", _AI)
_CB_DATA = re.compile(rf"{_CB_PREFIX}01{S}+(\w[\w-]*)", _AI)


def chunk_cobol(file_path: str, content: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    low_path = file_path.lower()
    is_copybook = low_path.endswith((".cpy", ".copy"))
    current: dict | None = None
    program_name = basename_no_ext(file_path)
    division = ""
    copybooks: list[str] = []
    for i, line in enumerate(lines):
        m = _CB_COPY.match(line)
        if m:
            copybooks.append(m.group(1))
        m = _CB_PROGRAM_ID.match(line)
        if m:
            program_name = m.group(1)
        m = _CB_DIVISION.match(line)
        if m:
            if current is not None:
                chunks.append(_cobol_chunk(current, i, lines, file_path, division))
            division = m.group(1).upper()
            current = {"start": i, "name": f"{division} DIVISION", "type": "module"}
            continue
        m = _CB_SECTION.match(line)
        if m and division:
            if current is not None and current["type"] != "module":
                chunks.append(_cobol_chunk(current, i, lines, file_path, division))
            current = {"start": i, "name": m.group(1), "type": "function" if division == "PROCEDURE" else "module"}
            continue
        m = _CB_FD.match(line) or _CB_SD.match(line)
        if m and division == "DATA":
            if current is not None:
                chunks.append(_cobol_chunk(current, i, lines, file_path, division))
            current = {"start": i, "name": m.group(1), "type": "model"}
            continue
        m = _CB_DATA.match(line)
        if m and division == "DATA":
            if current is not None and current["type"] == "model":
                chunks.append(_cobol_chunk(current, i, lines, file_path, division))
            if current is None or current["type"] != "module":
                current = {"start": i, "name": m.group(1), "type": "model"}
            continue
        m = _CB_PARAGRAPH.match(line)
        if m and division == "PROCEDURE":
            para = m.group(1)
            if js_len(para) > 2 and not para[0].isdigit():
                if current is not None and current["type"] != "module":
                    chunks.append(_cobol_chunk(current, i, lines, file_path, division))
                current = {"start": i, "name": para, "type": _cobol_paragraph_type(para)}
    if current is not None:
        chunks.append(_cobol_chunk(current, len(lines), lines, file_path, division))
    if not chunks or is_copybook:
        whole = _whole_file_chunk(file_path, content, "cobol", copybooks)
        whole["chunkType"] = "import-block" if is_copybook else "file"
        whole["name"] = program_name
        return [whole]
    if copybooks:
        chunks[0]["imports"] = copybooks
    return merge_small_chunks(chunks, file_path, "cobol")


def _cobol_chunk(chunk: dict, end_line: int, lines: list[str], file_path: str, division: str) -> dict:
    text = "\n".join(lines[chunk["start"]:end_line])
    return {"id": f"{file_path}:{chunk['start'] + 1}-{end_line}", "filePath": file_path,
            "startLine": chunk["start"] + 1, "endLine": end_line, "content": text, "language": "cobol",
            "chunkType": chunk["type"], "name": chunk["name"],
            "contextPath": f"{division} DIVISION > {chunk['name']}" if division else chunk["name"],
            "domainHints": infer_domain_hints(chunk["name"], None, [], text)}


def _cobol_paragraph_type(name: str) -> str:
    low = name.lower()
    if "init" in low or "start" in low or "begin" in low:
        return "constructor"
    if "read" in low or "fetch" in low or "get" in low:
        return "repository"
    if "write" in low or "update" in low or "insert" in low or "delete" in low:
        return "repository"
    if "main" in low:
        # valid/check/edit, calc/compute/process, display/print/report, error/abort/exception and
        # term/end/close/final all map to 'function' before this test in SemanticWiki.
        for words in (("valid", "check", "edit"), ("calc", "compute", "process"), ("display", "print", "report"),
                      ("error", "abort", "exception"), ("term", "end", "close", "final")):
            if any(w in low for w in words):
                return "function"
        return "handler"
    return "function"


# ---------------------------------------------------------------------------------------------------------------
# JCL

_JCL_JOB = re.compile(rf"//(\w+){S}+JOB{S}", _A)
_JCL_EXEC = re.compile(rf"//(\w*){S}+EXEC{S}+(?:PGM=|PROC=)?(\w+)", _A)
_JCL_PROC = re.compile(rf"//(\w+){S}+PROC{S}", _A)


def chunk_jcl(file_path: str, content: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    current: dict | None = None
    for i, line in enumerate(lines):
        m = _JCL_JOB.match(line)
        if m:
            if current is not None:
                chunks.append(_simple_chunk(current, i, lines, file_path, "jcl"))
            current = {"start": i, "name": m.group(1), "type": "handler"}
            continue
        m = _JCL_PROC.match(line)
        if m:
            if current is not None:
                chunks.append(_simple_chunk(current, i, lines, file_path, "jcl"))
            current = {"start": i, "name": m.group(1), "type": "function"}
            continue
        m = _JCL_EXEC.match(line)
        if m:
            if current is not None and current["type"] != "handler":
                chunks.append(_simple_chunk(current, i, lines, file_path, "jcl"))
            step = m.group(1) or m.group(2)
            if current is None or current["type"] != "handler":
                current = {"start": i, "name": step, "type": "function"}
    if current is not None:
        chunks.append(_simple_chunk(current, len(lines), lines, file_path, "jcl"))
    return chunks if chunks else [_whole_file_chunk(file_path, content, "jcl")]


def _simple_chunk(chunk: dict, end_line: int, lines: list[str], file_path: str, language: str) -> dict:
    text = "\n".join(lines[chunk["start"]:end_line])
    return {"id": f"{file_path}:{chunk['start'] + 1}-{end_line}", "filePath": file_path,
            "startLine": chunk["start"] + 1, "endLine": end_line, "content": text, "language": language,
            "chunkType": chunk["type"], "name": chunk["name"],
            "domainHints": infer_domain_hints(chunk["name"], None, [], text)}


# ---------------------------------------------------------------------------------------------------------------
# SQL

_SQL_PROC = re.compile(rf"{S}*CREATE{S}+(?:OR{S}+REPLACE{S}+)?(?:PROCEDURE|PROC){S}+(\w+)", _AI)
_SQL_FUNC = re.compile(rf"{S}*CREATE{S}+(?:OR{S}+REPLACE{S}+)?FUNCTION{S}+(\w+)", _AI)
_SQL_TABLE = re.compile(rf"{S}*CREATE{S}+TABLE{S}+(?:IF{S}+NOT{S}+EXISTS{S}+)?(\w+)", _AI)
_SQL_VIEW = re.compile(rf"{S}*CREATE{S}+(?:OR{S}+REPLACE{S}+)?VIEW{S}+(\w+)", _AI)
_SQL_TRIGGER = re.compile(rf"{S}*CREATE{S}+(?:OR{S}+REPLACE{S}+)?TRIGGER{S}+(\w+)", _AI)


def chunk_sql(file_path: str, content: str) -> list[dict]:
    lines = content.split("\n")
    chunks: list[dict] = []
    current: dict | None = None
    in_block = False
    for i, line in enumerate(lines):
        trimmed = js_trim(line)
        matched = False
        for pattern, ctype, block in ((_SQL_PROC, "function", True), (_SQL_FUNC, "function", True),
                                      (_SQL_TABLE, "model", False), (_SQL_VIEW, "model", False),
                                      (_SQL_TRIGGER, "handler", True)):
            m = pattern.match(line)
            if m:
                if current is not None:
                    chunks.append(_simple_chunk(current, i, lines, file_path, "sql"))
                current = {"start": i, "name": m.group(1), "type": ctype}
                if block:
                    in_block = True
                matched = True
                break
        if matched:
            continue
        if in_block and trimmed in ("GO", "END", "END;"):
            if current is not None:
                chunks.append(_simple_chunk(current, i + 1, lines, file_path, "sql"))
                current = None
            in_block = False
    if current is not None:
        chunks.append(_simple_chunk(current, len(lines), lines, file_path, "sql"))
    return chunks if chunks else [_whole_file_chunk(file_path, content, "sql")]
