"""SemanticWiki's direct-mode file tools: `read_file`, `list_directory`, `directory_tree`.

They reproduce `executeDirectApiTool` in SemanticWiki's src/wiki-agent.ts byte for byte: `path.join(repoPath, p)`
(so `/etc/passwd` is re-rooted under the repo), `Error: File not found: <p>` when `fs.existsSync` fails, Node's
thrown errors (EISDIR, ENOTDIR, the TypeError for a non-string path) left to the dispatcher to wrap as
`Error executing <tool>: <message>`, readdir in byte order, and the tree drawing of `buildDirectoryTree`.

Containment: SemanticWiki has none. By default (`ctx.allow_escape` False) a path that leaves the repo, lexically
or through a symlink, or that holds a NUL byte, touches nothing and gets the answer SemanticWiki gives for a missing
path. With `allow_escape` the uncontained join is reproduced exactly (conformance tests only).

What it does not do: the filesystem MCP server's tools (see `fs_server.py`) or any size cap (SemanticWiki has none).
"""

from __future__ import annotations

import os
from typing import Any

from wikigym.tools import node_fs
from wikigym.tools.context import ToolContext
from wikigym.tools.node_fs import MISSING, js_ge, js_string, js_truthy, require_string
from wikigym.tools.paths import has_nul, is_within, node_join, node_resolve


def repo_path(ctx: ToolContext, p: Any) -> tuple[str, bool]:
    """`path.join(repoPath, p)` and whether the tool may touch it.

    Raises NodeError (Node's TypeError text) when `p` is not a string, exactly as `path.join` does, in both modes.
    The second value is False when containment refuses the path (never with `allow_escape`).
    """
    root = node_resolve(os.getcwd(), str(ctx.repo_root))  # SemanticWiki's repoPath is absolute (path.resolve)
    joined = node_join(root, require_string(p))
    if ctx.allow_escape:
        return joined, True
    if has_nul(p):
        return joined, False
    return joined, is_within(root, joined)


def direct_read_file(ctx: ToolContext, args: dict) -> str:
    """`read_file {path}`: the file's text (UTF-8, invalid bytes as U+FFFD) or `Error: File not found: <path>`."""
    p = args.get("path", MISSING)
    full, allowed = repo_path(ctx, p)
    if not allowed or not node_fs.exists(full):
        return f"Error: File not found: {p}"
    return node_fs.read_text(full)


def direct_list_directory(ctx: ToolContext, args: dict) -> str:
    """`list_directory {path}`: `[DIR] name` / `[FILE] name` lines in byte order (a symlink is a FILE)."""
    raw = args.get("path", MISSING)
    p = raw if js_truthy(raw) else ""
    full, allowed = repo_path(ctx, p)
    if not allowed or not node_fs.exists(full):
        return f"Error: Directory not found: {js_string(raw)}"
    return "\n".join(f"{'[DIR]' if e.is_dir else '[FILE]'} {e.name}" for e in node_fs.readdir(full))


def direct_directory_tree(ctx: ToolContext, args: dict) -> str:
    """`directory_tree {path, depth}`: box-drawing tree without a root line, skipping dot-entries and node_modules.

    `depth || 3` is compared loosely as JavaScript does: 0 or missing means 3, -1 gives '', "2" works as 2, and a
    value that is not a number (NaN) never stops the descent. Symlinked directories are listed, not expanded.
    """
    raw = args.get("path", MISSING)
    p = raw if js_truthy(raw) else ""
    full, allowed = repo_path(ctx, p)
    depth = args.get("depth", MISSING)
    max_depth = depth if js_truthy(depth) else 3
    if not allowed:
        return ""
    return _build_tree(full, max_depth, 0, "")


def _build_tree(dir_path: str, max_depth: Any, current: int, prefix: str) -> str:
    if js_ge(current, max_depth) or not node_fs.exists(dir_path):
        return ""
    entries = [e for e in node_fs.readdir(dir_path) if not e.name.startswith(".") and e.name != "node_modules"]
    out = []
    for i, entry in enumerate(entries):
        last = i == len(entries) - 1
        out.append(f"{prefix}{'└── ' if last else '├── '}{entry.name}\n")
        if entry.is_dir:
            child = node_join(dir_path, entry.name)
            out.append(_build_tree(child, max_depth, current + 1, prefix + ("    " if last else "│   ")))
    return "".join(out)
