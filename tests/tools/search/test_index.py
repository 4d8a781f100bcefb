"""The faithful index against SemanticWiki's stored metadata (rag_metadata.jsonl) and structured search results
(search_struct.jsonl): document order and ids, full-precision hybrid scores, BM25-only rankings, query tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.search.conftest import load, needs_goldens
from wikigym.tools.context import ToolContext
from wikigym.tools.search.index import SearchIndex, build_index, is_test_file
from wikigym.tools.search.jsregex import JSRegexError


@pytest.fixture(scope="module")
def index(small_repo: Path) -> SearchIndex:
    meta = load("rag_metadata.jsonl")[0]
    ctx = ToolContext(repo_root=small_repo, wiki_root=small_repo.parent / "wiki")
    return build_index(ctx, file_order=meta["file_order_used_for_index"])


@needs_goldens
def test_stored_metadata_in_document_order(index: SearchIndex) -> None:
    expected = load("rag_metadata.jsonl")[0]["docs"]
    got = [{"docId": i, **{k: d[k] for k in ("id", "chunkType", "name", "domainCategories", "domainContext")
                           if k in d}} for i, d in enumerate(index.docs)]
    assert got == expected


def _struct_cases() -> list[dict]:
    try:
        return load("search_struct.jsonl")
    except FileNotFoundError:
        return []


@needs_goldens
@pytest.mark.parametrize("case", _struct_cases(), ids=lambda c: repr(c["query"]))
def test_hybrid_scores_full_precision(case: dict, index: SearchIndex) -> None:
    opts = case["options"]
    max_results = opts.get("maxResults", 10)
    assert index.query_tokens(case["query"]) == case["query_tokens"]
    if isinstance(case["hybrid"], dict):
        with pytest.raises(JSRegexError) as err:
            index.search(case["query"], max_results=max_results)
        assert err.value.message == case["hybrid"]["error"]
    else:
        got = [{k: r[k] for k in ("id", "score", "vectorScore", "bm25Score") if k in r}
               for r in index.search(case["query"], max_results=max_results)]
        assert got == case["hybrid"]
    bm25 = [{"id": r["id"], "score": r["score"]}
            for r in index.search(case["query"], max_results=max_results, mode="keyword")]
    assert bm25 == case["keyword_bm25"]


def test_test_file_patterns() -> None:
    assert is_test_file("tests/app.ts") and is_test_file("a/b.spec.js") and is_test_file("x/test_a.py")
    assert not is_test_file("src/contest.ts") and not is_test_file("lib/testing.py")


def test_ties_follow_document_order_and_duplicate_ids_merge() -> None:
    docs = [{"id": f"f{i}.py:1-1", "filePath": f"f{i}.py", "startLine": 1, "endLine": 1, "content": "alpha beta",
             "language": "python"} for i in range(3)]
    docs.append(dict(docs[0]))  # a second chunk with the same id maps to the first one, as getDocIdFromResult does
    idx = SearchIndex(docs)
    res = idx.search("alpha", max_results=10)
    assert [r["id"] for r in res] == ["f0.py:1-1", "f1.py:1-1", "f2.py:1-1"]
    assert res[0]["score"] > res[1]["score"]


def test_filters_apply_before_ranking() -> None:
    docs = [{"id": "tests/a.py:1-1", "filePath": "tests/a.py", "startLine": 1, "endLine": 1, "content": "server",
             "language": "python"},
            {"id": "src/b.ts:1-1", "filePath": "src/b.ts", "startLine": 1, "endLine": 1, "content": "server",
             "language": "typescript"}]
    idx = SearchIndex(docs)
    assert [r["id"] for r in idx.search("server", exclude_tests=True)] == ["src/b.ts:1-1"]
    assert [r["id"] for r in idx.search("server", file_types=[".py"])] == ["tests/a.py:1-1"]
    assert idx.search("c++", file_types=[".rs"]) == []  # no chunk passes the filters: no RegExp is ever built
    with pytest.raises(JSRegexError):
        idx.search("c++")


def test_disk_cache_round_trip(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("def login(user):\n    return user\n")
    ctx = ToolContext(repo_root=repo, wiki_root=tmp_path / "w", extra={"search_cache_dir": str(tmp_path / "c")})
    first = build_index(ctx)
    assert len(list((tmp_path / "c").glob("*.pkl"))) == 1
    again = build_index(ctx)
    assert [d["id"] for d in again.docs] == [d["id"] for d in first.docs]
    (repo / "a.py").write_text("def logout(user):\n    return None\n")
    changed = build_index(ctx)
    assert "logout" in changed.docs[0]["content"]
    assert len(list((tmp_path / "c").glob("*.pkl"))) == 2
