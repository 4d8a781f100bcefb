"""The `accurate` profile: tree-sitter chunks with real line ranges, a size cap, numpy BM25, optional embeddings."""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import numpy as np
import pytest

from wikigym.repos.parsing import ParseCache
from wikigym.tools.context import ToolContext
from wikigym.tools.search.accurate import MAX_CHUNK_CHARS, AccurateIndex, chunk_file_accurate
from wikigym.tools.search.bm25 import tokenize
from wikigym.tools.search.tool import direct_search_codebase, sdk_search_codebase

PY = '''import os


def small(a):
    """Adds one."""
    return a + 1


class Store:
    # the store
    def get(self, key):
        return key

{methods}
'''


def _chunks(text: str, path: str = "pkg/store.py") -> list[dict]:
    return chunk_file_accurate(path, text, ParseCache(None))


def test_definitions_keep_real_line_ranges_and_comments() -> None:
    chunks = {c["name"]: c for c in _chunks(PY.format(methods=""))}
    assert (chunks["small"]["startLine"], chunks["small"]["endLine"]) == (4, 6)
    assert chunks["small"]["documentation"] == "Adds one." and chunks["small"]["chunkType"] == "function"
    assert chunks["Store"]["startLine"] == 9 and chunks["Store"]["isPublicApi"] is True
    assert chunks["store"]["chunkType"] == "module" and chunks["store"]["content"] == "import os"


def test_size_cap_splits_big_classes_into_members() -> None:
    methods = "\n".join(f"    def m{i}(self):\n        return '{'x' * 150}'\n" for i in range(40))
    chunks = _chunks(PY.format(methods=methods))
    assert all(len(c["content"]) <= MAX_CHUNK_CHARS for c in chunks)
    m7 = next(c for c in chunks if c["name"] == "m7")
    assert (m7["chunkType"], m7["parentName"]) == ("method", "Store")
    text = PY.format(methods=methods).split("\n")
    assert "\n".join(text[m7["startLine"] - 1:m7["endLine"]]) == m7["content"]


def test_huge_function_is_windowed() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(600))
    chunks = _chunks(f"def huge():\n{body}\n")
    parts = [c for c in chunks if c["name"].startswith("huge")]
    assert len(parts) > 1 and parts[0]["name"] == f"huge (part 1/{len(parts)})"
    assert parts[0]["startLine"] == 1 and parts[-1]["endLine"] == 601
    assert all(a["endLine"] + 1 == b["startLine"] for a, b in itertools.pairwise(parts))


def _index(tmp_path: Path) -> ToolContext:
    (tmp_path / "src").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "src" / "auth.ts").write_text(
        "/** Checks a password. */\nexport function verifyPassword(user: string, hash: string): boolean {\n"
        "  return hash.length > 0 && user !== '';\n}\n")
    (tmp_path / "src" / "cart.py").write_text("def add_item(cart, item):\n    cart.append(item)\n")
    (tmp_path / "tests" / "test_auth.py").write_text("def test_verify_password():\n    assert True\n")
    return ToolContext(repo_root=tmp_path, wiki_root=tmp_path / "wiki", profile="accurate",
                       extra={"search_workers": 1})


def test_search_ranks_and_filters(tmp_path: Path) -> None:
    ctx = _index(tmp_path)
    out = direct_search_codebase(ctx, {"query": "verify password"})
    assert out.startswith("Found 2 relevant code snippets:")
    assert "**Source:** `src/auth.ts:1-4`" in out and "- Name: verifyPassword" in out
    sdk = sdk_search_codebase(ctx, {"query": "verify password", "excludeTests": True})
    assert sdk.startswith("Found 1 ") and "tests/" not in sdk
    assert sdk_search_codebase(ctx, {"query": "c++ templates", "excludeTests": True}) == \
        "No relevant code found for this query."  # no regex half: punctuation is harmless here


class _BagOfWordsEmbedder:
    """A deterministic stand-in for a sentence-transformers model: hashed token counts, L2-normalised."""

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(64, dtype=np.float32)
        for t in tokenize(text):
            v[zlib.crc32(t.encode()) % 64] += 1  # not hash(): salted per process, so collisions varied by run
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_documents(self, docs: list[dict]) -> np.ndarray:
        return np.stack([self._vec(d["content"]) for d in docs])

    def encode_query(self, query: str) -> np.ndarray:
        return self._vec(query)


def test_embedding_half_is_fused_by_rrf(tmp_path: Path) -> None:
    _index(tmp_path)
    texts = {p: (tmp_path / p).read_text() for p in ("src/auth.ts", "src/cart.py", "tests/test_auth.py")}
    idx = AccurateIndex.build(list(texts), texts, embedder=_BagOfWordsEmbedder())
    res = idx.search("add item to cart", max_results=3)
    assert res[0]["filePath"] == "src/cart.py"
    assert res[0]["score"] == pytest.approx(2 / 61) and "vectorScore" in res[0] and "bm25Score" in res[0]
