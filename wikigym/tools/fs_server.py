"""The filesystem MCP server (`@modelcontextprotocol/server-filesystem` 2025.12.18) that SemanticWiki's SDK mode uses.

All 14 tools (`read_file`, `read_text_file`, `read_media_file`, `read_multiple_files`, `write_file`, `edit_file`,
`create_directory`, `list_directory`, `list_directory_with_sizes`, `directory_tree`, `move_file`, `search_files`,
`get_file_info`, `list_allowed_directories`) with the server's own behaviour: zod argument errors as the MCP SDK
reports them, `validatePath` (relative paths resolved against the server's cwd, `~` expanded, symlinks resolved,
`Access denied - path outside allowed directories: <abs> not in <dirs>`, `Parent directory does not exist: <dir>`),
the 1 KB chunked head/tail readers, JSON `directory_tree` with minimatch exclusions, `search_files` globbing, and
`edit_file`'s jsdiff patch. The allowed directory is the repo root; the server always contains paths, whatever
`ctx.allow_escape` says, because that is its real behaviour.

What it does not do: MCP roots negotiation or images in the text channel (`read_media_file` returns its blocks as
non-text content, so the joined text is empty, as the conformance recorder writes it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import math
import os
import posixpath
import re
import secrets
import stat as _stat
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from wikigym.tools import node_fs
from wikigym.tools.collation import locale_sort
from wikigym.tools.context import NodeError, ToolContext, ToolResult
from wikigym.tools.minimatch import minimatch
from wikigym.tools.node_fs import js_truthy, utf16_len
from wikigym.tools.paths import node_join, node_normalize, node_resolve
from wikigym.tools.search.jsstr import JS_WHITESPACE
from wikigym.tools.unified_diff import create_two_files_patch
from wikigym.tools.zod import validate

_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
         ".webp": "image/webp", ".bmp": "image/bmp", ".svg": "image/svg+xml", ".mp3": "audio/mpeg",
         ".wav": "audio/wav", ".ogg": "audio/ogg", ".flac": "audio/flac"}


class FsError(Exception):
    """An `Error` the server throws; its message becomes the tool result text with `isError: true`."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def call(ctx: ToolContext, name: str, args: Any) -> ToolResult:
    """Run one filesystem-server tool call and return what the MCP client sees (text, isError)."""
    from wikigym.tools.toolset import raw_schemas

    schema = next((t["inputSchema"] for t in raw_schemas("fs-mcp") if t["name"] == name), None)
    handler = _TOOLS.get(name)
    if schema is None or handler is None:
        return ToolResult(f"MCP error -32602: Tool {name} not found", True)
    parsed, err = validate(name, schema, args)
    issues: list[dict] = []
    if err is not None:
        issues = json.loads(err[err.index(": [") + 2:])
    elif name == "read_multiple_files" and parsed is not None and len(parsed["paths"]) < 1:
        issues = [{"path": ["paths"], "message": "Too small: expected array to have >=1 items"}]
    if issues:
        return ToolResult(_validation_error(name, issues), True)
    server = _Server(ctx)
    try:
        return ToolResult(handler(server, parsed or {}))
    except _ClientRejected as e:
        return ToolResult(e.message, True)
    except (FsError, NodeError) as e:
        return ToolResult(e.message, True)


def _dot_path(path: list) -> str:
    out = ""
    for i, seg in enumerate(path):
        if i == 0:
            out = str(seg)
        elif isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += f".{seg}"
    return out


def _validation_error(tool: str, issues: list[dict]) -> str:
    """The MCP TypeScript SDK's (1.32) argument error: one `<zod message> at <dot.path>` line per issue."""
    lines = [i["message"] if not i.get("path") else f"{i['message']} at {_dot_path(i['path'])}" for i in issues]
    return f"MCP error -32602: Input validation error: Invalid arguments for tool {tool}: " + "\n".join(lines)


class _ClientRejected(Exception):
    """A result the MCP client refuses to parse (a `blob` content block); its message is what the caller sees."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _blob_rejection() -> str:
    """What the MCP TypeScript SDK client throws for a content block of type `blob` (read_media_file fallback)."""
    def bad_type(v: str) -> dict:
        return {"code": "invalid_value", "values": [v], "path": ["type"], "message": f'Invalid input: expected "{v}"'}

    def missing(key: str, typ: str = "string") -> dict:
        return {"expected": typ, "code": "invalid_type", "path": [key] if key else [],
                "message": f"Invalid input: expected {typ}, received undefined"}

    issue = {
        "code": "invalid_union",
        "errors": [
            [bad_type("text"), missing("text")],
            [bad_type("image")],
            [bad_type("audio")],
            [missing("name"), missing("uri"), bad_type("resource_link")],
            [bad_type("resource"), {"code": "invalid_union",
                                    "errors": [[missing("", "object")], [missing("", "object")]],
                                    "path": ["resource"], "message": "Invalid input"}],
        ],
        "path": ["content", 0],
        "message": "Invalid input",
    }
    body = json.dumps([issue], indent=2, ensure_ascii=False)
    return f"MCP error -32602: MCP error -32602: Invalid tools/call result: {body}"


# ---------------------------------------------------------------------------------------------------------------
# Path validation (lib.ts validatePath, path-utils.ts normalizePath, path-validation.ts).


def normalize_path(p: str) -> str:
    """path-utils.ts `normalizePath` on a POSIX host."""
    p = p.strip(JS_WHITESPACE)
    p = re.sub(r"^[\"']|[\"']$", "", p)
    if p.startswith("/"):
        return re.sub(r"/+$", "", re.sub(r"/+", "/", p))
    if re.match(r"^[a-zA-Z]:", p):
        p = p.replace("/", "\\")
    p = p.replace("\\\\", "\\")
    return node_normalize(p)


class _Server:
    def __init__(self, ctx: ToolContext):
        self.ctx = ctx
        self.cwd = str(ctx.server_cwd or ctx.repo_root)
        root = node_resolve(self.cwd, str(ctx.repo_root))
        try:
            root = node_fs.realpath(root)
        except NodeError:
            pass
        self.allowed = [normalize_path(root)]

    # -- validation ------------------------------------------------------------------------------------------------

    def within(self, p: str) -> bool:
        if not p or not self.allowed or "\x00" in p:
            return False
        norm = node_resolve(self.cwd, node_normalize(p))
        for d in self.allowed:
            if not d or "\x00" in d:
                continue
            nd = node_resolve(self.cwd, node_normalize(d))
            if norm == nd:
                return True
            if nd == "/":
                return norm.startswith("/")
            if norm.startswith(nd + "/"):
                return True
        return False

    def expand_home(self, p: str) -> str:
        if p.startswith("~/") or p == "~":
            return node_join(os.path.expanduser("~"), p[1:])
        return p

    def validate(self, requested: str) -> str:
        absolute = node_resolve(self.cwd, self.expand_home(requested))
        dirs = ", ".join(self.allowed)
        if not self.within(normalize_path(absolute)):
            raise FsError(f"Access denied - path outside allowed directories: {absolute} not in {dirs}")
        try:
            real = node_fs.realpath(absolute)
        except NodeError as e:
            if e.code != "ENOENT":
                raise
            parent = posixpath.dirname(absolute)
            try:
                real_parent = node_fs.realpath(parent)
            except NodeError:
                raise FsError(f"Parent directory does not exist: {parent}") from None
            if not self.within(normalize_path(real_parent)):
                # The server throws "Access denied" here but its own catch turns it into this message.
                raise FsError(f"Parent directory does not exist: {parent}") from None
            return absolute
        if not self.within(normalize_path(real)):
            raise FsError(f"Access denied - symlink target outside allowed directories: {real} not in {dirs}")
        return real


# ---------------------------------------------------------------------------------------------------------------
# File helpers (lib.ts).


def _open(path: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise node_fs.node_error(e, "open", path) from None


def _pread(fd: int, size: int, position: int) -> bytes:
    try:
        return os.pread(fd, size, position)
    except OSError as e:
        raise node_fs.node_error(e, "read") from None


def head_file(path: str, num_lines: float) -> str:
    """lib.ts `headFile`: 1 KB chunks, each decoded on its own (a split character becomes U+FFFD)."""
    fd = _open(path)
    try:
        lines: list[str] = []
        buffer = ""
        pos = 0
        while len(lines) < num_lines:
            chunk = _pread(fd, 1024, pos)
            if not chunk:
                break
            pos += len(chunk)
            buffer += node_fs.decode_utf8(chunk)
            idx = buffer.rfind("\n")
            if idx != -1:
                complete = buffer[:idx].split("\n")
                buffer = buffer[idx + 1:]
                for line in complete:
                    lines.append(line)
                    if len(lines) >= num_lines:
                        break
        if buffer and len(lines) < num_lines:
            lines.append(buffer)
        return "\n".join(lines)
    finally:
        os.close(fd)


def tail_file(path: str, num_lines: float) -> str:
    """lib.ts `tailFile`: 1 KB chunks from the end, CRLF normalised per chunk, a final '' counted as a line."""
    try:
        size = os.stat(path).st_size
    except OSError as e:
        raise node_fs.node_error(e, "stat", path) from None
    if size == 0:
        return ""
    fd = _open(path)
    try:
        lines: list[str] = []
        position = size
        found = 0
        remaining = ""
        while position > 0 and found < num_lines:
            n = min(1024, position)
            position -= n
            data = _pread(fd, n, position)
            if not data:
                break
            text = node_fs.decode_utf8(data) + remaining
            chunk_lines = text.replace("\r\n", "\n").split("\n")
            if position > 0:
                remaining = chunk_lines.pop(0)
            for i in range(len(chunk_lines) - 1, -1, -1):
                if found >= num_lines:
                    break
                lines.insert(0, chunk_lines[i])
                found += 1
        return "\n".join(lines)
    finally:
        os.close(fd)


def _atomic_replace(path: str, data: bytes) -> None:
    tmp = f"{path}.{secrets.token_hex(16)}.tmp"
    try:
        node_fs.write_bytes(tmp, data, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            os.rename(tmp, path)
        except OSError as e:
            raise node_fs.node_error(e, "rename", tmp, path) from None
    except NodeError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_file_content(path: str, content: str) -> None:
    """lib.ts `writeFileContent`: exclusive create, else write a temp file and rename it over the target."""
    data = node_fs.js_utf8(content)
    try:
        node_fs.write_bytes(path, data, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except NodeError as e:
        if e.code != "EEXIST":
            raise
        _atomic_replace(path, data)


def js_replace_first(s: str, old: str, new: str) -> str:
    """`String.prototype.replace(string, string)`: first occurrence, with `$$ $& $\\` $'` substitutions."""
    i = s.find(old)
    if i < 0:
        return s
    out = []
    j = 0
    while j < len(new):
        c = new[j]
        if c == "$" and j + 1 < len(new):
            n = new[j + 1]
            if n == "$":
                out.append("$")
                j += 2
                continue
            if n == "&":
                out.append(old)
                j += 2
                continue
            if n == "`":
                out.append(s[:i])
                j += 2
                continue
            if n == "'":
                out.append(s[i + len(old):])
                j += 2
                continue
        out.append(c)
        j += 1
    return s[:i] + "".join(out) + s[i + len(old):]


def _leading_ws(s: str) -> str:
    return s[:len(s) - len(s.lstrip(JS_WHITESPACE))]


def apply_file_edits(path: str, edits: list[dict], dry_run: bool) -> str:
    """lib.ts `applyFileEdits`: exact replace, else whitespace-tolerant line match; returns the fenced diff."""
    content = node_fs.read_text(path).replace("\r\n", "\n")
    modified = content
    for edit in edits:
        old = edit["oldText"].replace("\r\n", "\n")
        new = edit["newText"].replace("\r\n", "\n")
        if old in modified:
            modified = js_replace_first(modified, old, new)
            continue
        old_lines = old.split("\n")
        content_lines = modified.split("\n")
        found = False
        for i in range(len(content_lines) - len(old_lines) + 1):
            window = content_lines[i:i + len(old_lines)]
            if all(o.strip(JS_WHITESPACE) == c.strip(JS_WHITESPACE) for o, c in zip(old_lines, window)):
                indent = _leading_ws(content_lines[i])
                new_lines = []
                for j, line in enumerate(new.split("\n")):
                    if j == 0:
                        new_lines.append(indent + line.lstrip(JS_WHITESPACE))
                        continue
                    old_indent = _leading_ws(old_lines[j]) if j < len(old_lines) else ""
                    new_indent = _leading_ws(line)
                    if old_indent and new_indent:
                        rel = len(new_indent) - len(old_indent)
                        new_lines.append(indent + " " * max(0, rel) + line.lstrip(JS_WHITESPACE))
                    else:
                        new_lines.append(line)
                content_lines[i:i + len(old_lines)] = new_lines
                modified = "\n".join(content_lines)
                found = True
                break
        if not found:
            raise FsError(f"Could not find exact match for edit:\n{edit['oldText']}")
    diff = create_two_files_patch(path, path, content, modified, "original", "modified")
    ticks = 3
    while "`" * ticks in diff:
        ticks += 1
    formatted = f"{'`' * ticks}diff\n{diff}{'`' * ticks}\n\n"
    if not dry_run:
        _atomic_replace(path, node_fs.js_utf8(modified))
    return formatted


def format_size(n: int) -> str:
    """lib.ts `formatSize` (JavaScript `toFixed(2)`: round half up on the exact binary value)."""
    units = ["B", "KB", "MB", "GB", "TB"]
    if n == 0:
        return "0 B"
    i = math.floor(math.log(n) / math.log(1024))
    if i <= 0:
        return f"{n} {units[0]}"
    u = min(i, len(units) - 1)
    value = Decimal(n / (1024 ** u)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value} {units[u]}"


def _pad_end(s: str, width: int) -> str:
    return s + " " * max(0, width - utf16_len(s))


def _pad_start(s: str, width: int) -> str:
    return " " * max(0, width - utf16_len(s)) + s


def _js_date_string(seconds: int) -> str:
    """`Date.prototype.toString()` in the process's time zone, e.g. `Thu Jan 01 1970 00:00:00 GMT+0000 (...)`."""
    t = time.localtime(seconds)
    off = t.tm_gmtoff or 0
    sign = "+" if off >= 0 else "-"
    off = abs(off)
    zone = t.tm_zone or "UTC"
    name = "Coordinated Universal Time" if zone in ("UTC", "GMT") and t.tm_gmtoff == 0 else zone
    return (time.strftime("%a %b %d %Y %H:%M:%S", t)
            + f" GMT{sign}{off // 3600:02d}{(off % 3600) // 60:02d} ({name})")


_statx_fn: Any = None


def _birthtime(path: str) -> int:
    """Birth time in whole seconds as libuv's statx reports it (0 where the filesystem has none)."""
    global _statx_fn
    try:
        if _statx_fn is None:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            _statx_fn = libc.statx
            _statx_fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
        buf = ctypes.create_string_buffer(256)
        if _statx_fn(-100, os.fsencode(path), 0, 0xFFF, buf) != 0:
            return 0
        sec = int.from_bytes(buf.raw[80:88], "little", signed=True)
        return sec
    except (AttributeError, OSError):
        return 0


# ---------------------------------------------------------------------------------------------------------------
# Tools.


def _read_text_file(s: _Server, a: dict) -> str:
    path = s.validate(a["path"])
    head, tail = a.get("head"), a.get("tail")
    if js_truthy(head) and js_truthy(tail):
        raise FsError("Cannot specify both head and tail parameters simultaneously")
    if js_truthy(tail):
        return tail_file(path, tail)
    if js_truthy(head):
        return head_file(path, head)
    return node_fs.read_text(path)


def _read_media_file(s: _Server, a: dict) -> str:
    """The file travels base64-encoded in an image or audio block (no text: ''); other types are a `blob` block,
    which the MCP client rejects."""
    path = s.validate(a["path"])
    mime = _MIME.get(node_fs.extname(path).lower(), "application/octet-stream")
    fd = _open(path)
    try:
        pos = 0
        while block := _pread(fd, 1 << 16, pos):
            pos += len(block)
    finally:
        os.close(fd)
    if not mime.startswith(("image/", "audio/")):
        raise _ClientRejected(_blob_rejection())
    return ""


def _read_multiple_files(s: _Server, a: dict) -> str:
    results = []
    for p in a["paths"]:
        try:
            results.append(f"{p}:\n{node_fs.read_text(s.validate(p))}\n")
        except (FsError, NodeError) as e:
            results.append(f"{p}: Error - {e.message}")
    return "\n---\n".join(results)


def _write_file(s: _Server, a: dict) -> str:
    write_file_content(s.validate(a["path"]), a["content"])
    return f"Successfully wrote to {a['path']}"


def _edit_file(s: _Server, a: dict) -> str:
    return apply_file_edits(s.validate(a["path"]), a["edits"], bool(a.get("dryRun", False)))


def _create_directory(s: _Server, a: dict) -> str:
    path = s.validate(a["path"])
    if os.path.lexists(path) and not os.path.isdir(path):
        raise NodeError(node_fs.uv_message("EEXIST", "mkdir", path), "EEXIST")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise node_fs.node_error(e, "mkdir", path) from None
    return f"Successfully created directory {a['path']}"


def _list_directory(s: _Server, a: dict) -> str:
    path = s.validate(a["path"])
    return "\n".join(f"{'[DIR]' if e.is_dir else '[FILE]'} {e.name}" for e in node_fs.readdir(path))


def _list_directory_with_sizes(s: _Server, a: dict) -> str:
    path = s.validate(a["path"])
    detailed = []
    for e in node_fs.readdir(path):
        try:
            size = os.stat(node_join(path, e.name)).st_size
        except (OSError, ValueError):
            size = 0
        detailed.append((e.name, e.is_dir, size))
    if a.get("sortBy", "name") == "size":
        ordered = sorted(detailed, key=lambda d: -d[2])
    else:
        by_name = {d[0]: d for d in detailed}  # readdir names are unique
        ordered = [by_name[n] for n in locale_sort(list(by_name))]  # `a.name.localeCompare(b.name)`
    lines = [f"{'[DIR]' if d else '[FILE]'} {_pad_end(n, 30)} {'' if d else _pad_start(format_size(sz), 10)}"
             for n, d, sz in ordered]
    files = sum(1 for d in detailed if not d[1])
    dirs = sum(1 for d in detailed if d[1])
    total = sum(d[2] for d in detailed if not d[1])
    return "\n".join(lines + ["", f"Total: {files} files, {dirs} directories", f"Combined size: {format_size(total)}"])


def node_relative(cwd: str, frm: str, to: str) -> str:
    """Node's `path.posix.relative` (both ends resolved against `cwd`)."""
    if frm == to:
        return ""
    frm = node_resolve(cwd, frm)
    to = node_resolve(cwd, to)
    if frm == to:
        return ""
    from_len = len(frm) - 1
    to_len = len(to) - 1
    length = min(from_len, to_len)
    last_sep = -1
    i = 0
    while i < length:
        fc = frm[1 + i]
        if fc != to[1 + i]:
            break
        if fc == "/":
            last_sep = i
        i += 1
    if i == length:
        if to_len > length:
            if to[1 + i] == "/":
                return to[1 + i + 1:]
            if i == 0:
                return to[1 + i:]
        elif from_len > length:
            if frm[1 + i] == "/":
                last_sep = i
            elif i == 0:
                last_sep = 0
    out = ""
    for k in range(1 + last_sep + 1, len(frm) + 1):
        if k == len(frm) or frm[k] == "/":
            out += ".." if not out else "/.."
    return out + to[1 + last_sep:]


def _excluded(rel: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if "*" in pattern:
            if minimatch(rel, pattern, dot=True):
                return True
        elif (minimatch(rel, pattern, dot=True) or minimatch(rel, f"**/{pattern}", dot=True)
              or minimatch(rel, f"**/{pattern}/**", dot=True)):
            return True
    return False


def _directory_tree(s: _Server, a: dict) -> str:
    root = a["path"]
    excludes = a.get("excludePatterns", [])

    def build(current: str) -> list[dict]:
        valid = s.validate(current)
        result = []
        for e in node_fs.readdir(valid):
            rel = node_relative(s.cwd, root, node_join(current, e.name))
            if _excluded(rel, excludes):
                continue
            entry: dict[str, Any] = {"name": e.name, "type": "directory" if e.is_dir else "file"}
            if e.is_dir:
                entry["children"] = build(node_join(current, e.name))
            result.append(entry)
        return result

    return json.dumps(build(root), indent=2, ensure_ascii=False)


def _move_file(s: _Server, a: dict) -> str:
    src = s.validate(a["source"])
    dst = s.validate(a["destination"])
    try:
        os.rename(src, dst)
    except OSError as e:
        raise node_fs.node_error(e, "rename", src, dst) from None
    return f"Successfully moved {a['source']} to {a['destination']}"


def _search_files(s: _Server, a: dict) -> str:
    root = s.validate(a["path"])
    pattern = a["pattern"]
    excludes = a.get("excludePatterns", [])
    results: list[str] = []

    def search(current: str) -> None:
        for e in node_fs.readdir(current):
            full = node_join(current, e.name)
            try:
                s.validate(full)
                rel = node_relative(s.cwd, root, full)
                if any(minimatch(rel, x, dot=True) for x in excludes):
                    continue
                if minimatch(rel, pattern, dot=True):
                    results.append(full)
                if e.is_dir:
                    search(full)
            except (FsError, NodeError):
                continue

    search(root)
    return "\n".join(results) if results else "No matches found"


def _get_file_info(s: _Server, a: dict) -> str:
    path = s.validate(a["path"])
    try:
        st = os.stat(path)
    except OSError as e:
        raise node_fs.node_error(e, "stat", path) from None
    info = [
        ("size", str(st.st_size)),
        ("created", _js_date_string(_birthtime(path))),
        ("modified", _js_date_string(st.st_mtime_ns // 1_000_000_000)),
        ("accessed", _js_date_string(st.st_atime_ns // 1_000_000_000)),
        ("isDirectory", "true" if _stat.S_ISDIR(st.st_mode) else "false"),
        ("isFile", "true" if _stat.S_ISREG(st.st_mode) else "false"),
        ("permissions", format(st.st_mode, "o")[-3:]),
    ]
    return "\n".join(f"{k}: {v}" for k, v in info)


def _list_allowed_directories(s: _Server, a: dict) -> str:
    return "Allowed directories:\n" + "\n".join(s.allowed)


_TOOLS: dict[str, Callable[[_Server, dict], str]] = {
    "read_file": _read_text_file,
    "read_text_file": _read_text_file,
    "read_media_file": _read_media_file,
    "read_multiple_files": _read_multiple_files,
    "write_file": _write_file,
    "edit_file": _edit_file,
    "create_directory": _create_directory,
    "list_directory": _list_directory,
    "list_directory_with_sizes": _list_directory_with_sizes,
    "directory_tree": _directory_tree,
    "move_file": _move_file,
    "search_files": _search_files,
    "get_file_info": _get_file_info,
    "list_allowed_directories": _list_allowed_directories,
}
