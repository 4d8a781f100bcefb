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

from typing import Any

from wikigym.tools.context import NodeError, ToolContext
from wikigym.tools.search.format import NO_RESULTS, format_results, js_truthy
from wikigym.tools.search.index import LARGE_CODEBASE_CHUNKS

NOT_INITIALIZED_DIRECT = "Error: RAG system not initialized"
NOT_INITIALIZED_SDK = "Error: RAG system not initialized. Repository must be indexed first."


def _count(v: Any, fallback: int) -> Any:
    """`v || fallback`, left as the JavaScript value SemanticWiki hands to `RAGSystem.search`.

    The value is not converted here: `search` applies its own `|| 10` and then JavaScript arithmetic, so a truthy
    non-number behaves as in SemanticWiki (`"5"` and `[5]` count as 5, `"abc"` and `{}` as NaN and `[]` as 0, both
    giving no results), which a conversion to a Python number would lose.
    """
    return v if js_truthy(v) else fallback


def _query(args: dict) -> str:
    q = args.get("query")
    if isinstance(q, str):
        return q
    # SemanticWiki embeds the query (`text.slice(0, 2000)`) before anything else looks at it.
    if q is None and "query" in args:
        raise NodeError("Cannot read properties of null (reading 'slice')")
    if q is None:
        raise NodeError("Cannot read properties of undefined (reading 'slice')")
    if isinstance(q, list):
        # An array has `slice`, so it gets past the embedding; the keyword half then lowercases the query.
        raise NodeError("query.toLowerCase is not a function")
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
        count = min(_count(args.get("maxResults"), configured), configured)  # zod made maxResults a number
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
