"""The two `search_codebase` handlers: counts, filters, compact mode, and error wording per mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikigym.tools.context import NodeError, ToolContext
from wikigym.tools.search.index import SearchIndex
from wikigym.tools.search.tool import direct_search_codebase, sdk_search_codebase


def _docs(n: int, path: str = "src/m{}.ts", content: str = "function handler() { return server; }") -> list[dict]:
    return [{"id": f"{path.format(i)}:1-1", "filePath": path.format(i), "startLine": 1, "endLine": 1,
             "content": content + " " * i, "language": "typescript"} for i in range(n)]


def _ctx(tmp_path: Path, index: object, **kw: object) -> ToolContext:
    return ToolContext(repo_root=tmp_path, wiki_root=tmp_path / "wiki", search_index=index, **kw)


def test_direct_counts_and_includes_tests(tmp_path: Path) -> None:
    idx = SearchIndex(_docs(15) + _docs(3, "tests/t{}.ts"))
    out = direct_search_codebase(_ctx(tmp_path, idx), {"query": "server"})
    assert out.startswith("Found 10 relevant code snippets:")
    out = direct_search_codebase(_ctx(tmp_path, idx), {"query": "server", "maxResults": 25})
    assert out.startswith("Found 18 relevant code snippets:") and "tests/t0.ts" in out
    out = direct_search_codebase(_ctx(tmp_path, idx, max_results=4), {"query": "server"})
    assert out.startswith("Found 4 ")


def test_sdk_caps_by_configured_count_and_excludes_tests(tmp_path: Path) -> None:
    idx = SearchIndex(_docs(3, "tests/t{}.ts") + _docs(15))
    ctx = _ctx(tmp_path, idx, max_results=5)
    out = sdk_search_codebase(ctx, {"query": "server", "maxResults": 20, "excludeTests": True})
    assert out.startswith("Found 5 ") and "tests/" not in out
    out = sdk_search_codebase(ctx, {"query": "server", "maxResults": 20, "excludeTests": False})
    assert "tests/t0.ts" in out
    assert sdk_search_codebase(ctx, {"query": "server", "fileTypes": [".py"], "excludeTests": True}) == \
        "No relevant code found for this query."


def test_compact_mode_truncates_long_content(tmp_path: Path) -> None:
    idx = SearchIndex(_docs(1, content="server " + "x" * 600))
    out = direct_search_codebase(_ctx(tmp_path, idx, compact_search=True), {"query": "server"})
    assert "\n// ... truncated\n```" in out and "x" * 493 in out and "x" * 494 not in out
    full = direct_search_codebase(_ctx(tmp_path, idx), {"query": "server"})
    assert "x" * 600 in full


def test_errors_per_mode(tmp_path: Path) -> None:
    idx = SearchIndex(_docs(2))
    with pytest.raises(NodeError) as err:
        direct_search_codebase(_ctx(tmp_path, idx), {"query": "c++ templates"})
    assert err.value.message == "Invalid regular expression: /c++/g: Nothing to repeat"
    assert sdk_search_codebase(_ctx(tmp_path, idx), {"query": "c++", "excludeTests": True}) == \
        "Search error: Invalid regular expression: /c++/g: Nothing to repeat"
    assert direct_search_codebase(_ctx(tmp_path, None), {"query": "x"}) == "Error: RAG system not initialized"
    assert sdk_search_codebase(_ctx(tmp_path, None), {"query": "x"}) == \
        "Error: RAG system not initialized. Repository must be indexed first."
    with pytest.raises(NodeError):
        direct_search_codebase(_ctx(tmp_path, idx), {})
    assert direct_search_codebase(_ctx(tmp_path, SearchIndex([])), {}) == "No relevant code found for this query."


@pytest.mark.parametrize(("max_results", "expected"), [
    ("abc", "No relevant code found for this query."),  # "abc" * 3 is NaN: every slice is empty
    ({}, "No relevant code found for this query."),
    ([], "No relevant code found for this query."),     # [] is truthy, [] * 3 is 0
    ([1, 2], "No relevant code found for this query."),
    ([3], "Found 3 "),                                   # [3] * 3 is 9, slice(0, [3]) keeps 3
    (["2"], "Found 2 "),
    ("0x2", "Found 2 "),
    (" 4 ", "Found 4 "),
    ("", "Found 10 "),                                   # falsy: the default count
    (0, "Found 10 "),
])
def test_direct_max_results_follow_javascript_arithmetic(tmp_path: Path, max_results: object, expected: str) -> None:
    """Direct mode passes the model's maxResults to RAGSystem.search unchecked (checked against SemanticWiki 1.2.1)."""
    idx = SearchIndex(_docs(15))
    out = direct_search_codebase(_ctx(tmp_path, idx), {"query": "server", "maxResults": max_results})
    assert out.startswith(expected)


def test_direct_empty_slice_still_runs_the_search(tmp_path: Path) -> None:
    """With `maxResults: []` nothing is returned, but the keyword half still builds its RegExp and throws."""
    with pytest.raises(NodeError) as err:
        direct_search_codebase(_ctx(tmp_path, SearchIndex(_docs(2))), {"query": "c++", "maxResults": []})
    assert err.value.message == "Invalid regular expression: /c++/g: Nothing to repeat"


def test_direct_non_string_query_errors(tmp_path: Path) -> None:
    """An array has `slice`, so it passes the embedding and fails at `query.toLowerCase`; other values fail first."""
    idx = SearchIndex(_docs(2))
    with pytest.raises(NodeError) as err:
        direct_search_codebase(_ctx(tmp_path, idx), {"query": ["server"]})
    assert err.value.message == "query.toLowerCase is not a function"
    with pytest.raises(NodeError) as err:
        direct_search_codebase(_ctx(tmp_path, idx), {"query": 5})
    assert err.value.message == "text.slice is not a function"
