"""Dispatch a tool call by name in one of SemanticWiki's three name sets, with its exact schemas.

Name sets (modes):
- `direct`: the bare names of SemanticWiki's `--direct-api` loop (`read_file`, `search_codebase`, ...). Unknown names
  return `Error: Unknown tool: <name>`; a thrown error becomes `Error executing <name>: <message>`.
- `sdk`: the Claude-Agent-SDK mode. `mcp__semanticwiki__*` tools are validated by zod first (exact MCP error
  strings), `mcp__filesystem__*` go to the filesystem server. Bare names are taken as semanticwiki-server tools.
- `fs-mcp`: the filesystem MCP server alone (bare or `mcp__filesystem__` names).

The handlers live beside their tool family; this module only routes, validates and wraps errors.
"""

from __future__ import annotations

import importlib
import json
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

from wikigym.errors import UnknownMode
from wikigym.tools.context import NodeError, ToolContext, ToolResult
from wikigym.tools.zod import validate

MODES = ("direct", "sdk", "fs-mcp")
SW_PREFIX = "mcp__semanticwiki__"
FS_PREFIX = "mcp__filesystem__"

# name -> "module:function"; handlers take (ctx, args) and return the output string.
_DIRECT = {
    "read_file": "wikigym.tools.files:direct_read_file",
    "list_directory": "wikigym.tools.files:direct_list_directory",
    "directory_tree": "wikigym.tools.files:direct_directory_tree",
    "search_codebase": "wikigym.tools.search.tool:direct_search_codebase",
    "write_wiki_page": "wikigym.tools.wiki_pages:direct_write_wiki_page",
    "analyze_code_structure": "wikigym.tools.analyze:direct_analyze_code_structure",
    "verify_wiki_completeness": "wikigym.tools.completeness:direct_verify_wiki_completeness",
    "list_wiki_pages": "wikigym.tools.wiki_pages:direct_list_wiki_pages",
}
_SDK = {
    "search_codebase": "wikigym.tools.search.tool:sdk_search_codebase",
    "write_wiki_page": "wikigym.tools.wiki_pages:sdk_write_wiki_page",
    "analyze_code_structure": "wikigym.tools.analyze:sdk_analyze_code_structure",
    "verify_wiki_completeness": "wikigym.tools.completeness:sdk_verify_wiki_completeness",
    "list_wiki_pages": "wikigym.tools.wiki_pages:sdk_list_wiki_pages",
}


@lru_cache(maxsize=None)
def _handler(spec: str) -> Callable[[ToolContext, Any], str]:
    module, func = spec.split(":")
    return getattr(importlib.import_module(module), func)


@lru_cache(maxsize=1)
def _raw_schemas() -> dict[str, list[dict]]:
    text = resources.files("wikigym.tools").joinpath("data/schemas.jsonl").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        if line.strip():
            rec = json.loads(line)
            out[rec["mode"]] = rec["tools"]
    return out


def tool_schemas(mode: str) -> list[dict]:
    """The tools a model is offered in `mode`, as Anthropic-style `{name, description, input_schema}` records.

    In `sdk` mode the names carry their server prefix, as Claude sees them.
    """
    check_mode(mode)
    raw = _raw_schemas()
    if mode == "direct":
        return [dict(t) for t in raw["direct"]]
    fs = [{"name": FS_PREFIX + t["name"], "description": t.get("description", ""), "input_schema": t["inputSchema"]}
          for t in raw["fs-mcp"]]
    if mode == "fs-mcp":
        return fs
    sw = [{"name": SW_PREFIX + t["name"], "description": t.get("description", ""), "input_schema": t["inputSchema"]}
          for t in raw["sdk"]]
    return sw + fs


def raw_schemas(mode: str) -> list[dict]:
    """The schemas exactly as SemanticWiki lists them for `mode` (`tools/list` for the MCP servers)."""
    check_mode(mode)
    return _raw_schemas()[mode]


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise UnknownMode(f"unknown tool mode {mode!r}; use one of {', '.join(MODES)}")


def _sdk_schema(name: str) -> dict | None:
    for t in _raw_schemas()["sdk"]:
        if t["name"] == name:
            return t["inputSchema"]
    return None


class ToolSet:
    """SemanticWiki's tools in one name set, bound to a context.

    Example:
        >>> ts = ToolSet(ToolContext(repo_root="/repo", wiki_root="/wiki"), mode="direct")  # doctest: +SKIP
        >>> ts.call("read_file", {"path": "README.md"}).text  # doctest: +SKIP
    """

    def __init__(self, ctx: ToolContext, mode: str = "direct"):
        check_mode(mode)
        self.ctx = ctx
        self.mode = mode

    def names(self) -> list[str]:
        return [t["name"] for t in tool_schemas(self.mode)]

    def schemas(self) -> list[dict]:
        return tool_schemas(self.mode)

    def call(self, name: str, args: Any) -> ToolResult:
        """Run one tool call and return SemanticWiki's output for it (never raises for a tool's own failure)."""
        if self.mode == "direct":
            return ToolResult(self._direct(name, args))
        if self.mode == "fs-mcp":
            return self._fs(name[len(FS_PREFIX):] if name.startswith(FS_PREFIX) else name, args)
        if name.startswith(FS_PREFIX):
            return self._fs(name[len(FS_PREFIX):], args)
        if name.startswith(SW_PREFIX):
            return self._sdk(name[len(SW_PREFIX):], args)
        if "__" in name and name.startswith("mcp__"):
            # A server SemanticWiki configures nowhere (e.g. mcp__mermaid__*): Claude Code reports it missing.
            return ToolResult(f"<tool_use_error>Error: No such tool available: {name}</tool_use_error>", True)
        return self._sdk(name, args)

    def _direct(self, name: str, args: Any) -> str:
        spec = _DIRECT.get(name)
        if spec is None:
            return f"Error: Unknown tool: {name}"
        try:
            return _handler(spec)(self.ctx, args if isinstance(args, dict) else {})
        except NodeError as e:
            return f"Error executing {name}: {e.message}"

    def _sdk(self, name: str, args: Any) -> ToolResult:
        spec = _SDK.get(name)
        schema = _sdk_schema(name)
        if spec is None or schema is None:
            return ToolResult(f"MCP error -32602: Tool {name} not found", True)
        parsed, err = validate(name, schema, args if args is not None else {})
        if err is not None:
            return ToolResult(err, True)
        return ToolResult(_handler(spec)(self.ctx, parsed))

    def _fs(self, name: str, args: Any) -> ToolResult:
        from wikigym.tools.fs_server import call as fs_call

        return fs_call(self.ctx, name, args if args is not None else {})
