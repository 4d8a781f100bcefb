"""The `search_codebase` tool handlers for SemanticWiki's two tool surfaces.

- direct mode (`--direct-api` loop): `maxResults || configured || 10`, tests included, no `fileTypes`; compact mode
  (`ctx.compact_search`, or automatic above 50,000 chunks, which also makes the default count 5) cuts each result to
  500 characters. A missing index answers `Error: RAG system not initialized`; a thrown error becomes the
  dispatcher's `Error executing search_codebase: <message>` (raised here as `NodeError`).
- SDK mode (`mcp__semanticwiki__search_codebase`, arguments already validated by zod with defaults applied):
  count = `min(maxResults || configured, configured)`, `excludeTests` (default true) and `fileTypes` honoured; errors
  are returned as `Search error: <message>`.

The index comes from `ctx.get_search_index()`: None means "not initialized"; any object with SemanticWiki's
`search(query, *, max_results, file_types, exclude_tests)` works (the conformance harness injects fixed ones).

What it deliberately does not do: build indexes (see `index.py`) or format results (see `format.py`).
"""

from __future__ import annotations

import math
from typing import Any

from wikigym.tools.context import NodeError, ToolContext
from wikigym.tools.search.format import NO_RESULTS, format_results, js_truthy
from wikigym.tools.search.index import LARGE_CODEBASE_CHUNKS

NOT_INITIALIZED_DIRECT = "Error: RAG system not initialized"
NOT_INITIALIZED_SDK = "Error: RAG system not initialized. Repository must be indexed first."


def _js_number(v: Any) -> float | None:
    """What JavaScript arithmetic makes of a `maxResults` value (None where it is NaN)."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip()) if v.strip() else 0.0
        except ValueError:
            return None
    return None


def _count(v: Any, fallback: int) -> float:
    """`v || fallback` as a number (strings such as "5" work in SemanticWiki through JS coercion)."""
    if not js_truthy(v):
        return float(fallback)
    n = _js_number(v)
    return math.nan if n is None else n


def _query(args: dict) -> str:
    q = args.get("query")
    if isinstance(q, str):
        return q
    # SemanticWiki embeds the query (`text.slice(0, 2000)`) before anything else looks at it.
    if q is None and "query" in args:
        raise NodeError("Cannot read properties of null (reading 'slice')")
    if q is None:
        raise NodeError("Cannot read properties of undefined (reading 'slice')")
    raise NodeError("text.slice is not a function")


def _document_count(index: Any) -> int:
    n = getattr(index, "document_count", 0)
    return int(n) if isinstance(n, int) else 0


def _is_empty(index: Any) -> bool:
    """An index that knows it holds no chunks: SemanticWiki returns [] before even looking at the query."""
    return isinstance(getattr(index, "document_count", None), int) and index.document_count == 0


def direct_search_codebase(ctx: ToolContext, args: dict) -> str:
    """Direct-mode `search_codebase` (raises `NodeError` for what SemanticWiki's tool throws)."""
    index = ctx.get_search_index()
    if index is None:
        return NOT_INITIALIZED_DIRECT
    large = _document_count(index) > LARGE_CODEBASE_CHUNKS
    configured = 5 if large else (ctx.max_results or 10)
    compact = bool(ctx.compact_search) or large
    count = _count(args.get("maxResults"), configured)
    try:
        results = [] if _is_empty(index) else index.search(_query(args), max_results=count)
        if not results:
            return NO_RESULTS
        return format_results(results, compact=compact)
    except NodeError:
        raise
    except Exception as e:  # SemanticWiki's catch-all turns any thrown error into its message
        raise NodeError(getattr(e, "message", None) or str(e)) from e


def sdk_search_codebase(ctx: ToolContext, args: dict) -> str:
    """SDK-mode `mcp__semanticwiki__search_codebase` (never raises for the tool's own failures)."""
    index = ctx.get_search_index()
    if index is None:
        return NOT_INITIALIZED_SDK
    configured = ctx.max_results or 10
    try:
        wanted = _count(args.get("maxResults"), configured)
        count = wanted if math.isnan(wanted) else min(wanted, configured)
        exclude = args.get("excludeTests")
        results = [] if _is_empty(index) else index.search(
            _query(args), max_results=count, file_types=args.get("fileTypes"),
            exclude_tests=True if exclude is None else bool(exclude))
        if not results:
            return NO_RESULTS
        return format_results(results)
    except NodeError as e:
        return f"Search error: {e.message}"
    except Exception as e:  # noqa: BLE001 - SemanticWiki returns any thrown error as text
        return f"Search error: {getattr(e, 'message', None) or str(e)}"
