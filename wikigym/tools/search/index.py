"""Build and query the search index behind `search_codebase`.

`build_index(ctx)` picks the profile:
- `semanticwiki-1.2.1` (faithful): SemanticWiki's file inventory, its chunker (`chunker.py`), its BM25 and, as the
  "vector" half, its no-FAISS regex match counts, fused by reciprocal-rank fusion (k = 60). `SearchIndex.search`
  returns what `RAGSystem.search` returns, dict for dict, including full-precision scores and tie order.
- `accurate`: tree-sitter chunks for every language and a vectorised BM25 (`accurate.py`), optionally fused with
  sentence-transformers embeddings; same result dicts, so the same formatter prints them.

Indexes are cached on disk when a cache directory is configured (`ctx.extra["search_cache_dir"]` or the
`WIKIGYM_SEARCH_CACHE` environment variable): the key is a hash of the profile, the wikigym chunker version and every
indexed file's path and content, so an edited file rebuilds the index and an unchanged repo loads it.

What it deliberately does not do: SemanticWiki's FAISS path with its transformers.js models (no model is bundled;
`embeddings.py` is the opt-in stand-in), reranking, or incremental git-diff updates.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing as mp
import os
import pickle
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from wikigym.tools.node_fs import js_to_number, js_truthy
from wikigym.tools.search.bm25 import BM25Index, term_counts, tokenize
from wikigym.tools.search.chunker import rag_chunk_file
from wikigym.tools.search.inventory import discover_files, read_text
from wikigym.tools.search.jsstr import js_len
from wikigym.tools.search.keyword import KeywordScorer, run_counts

INDEX_FORMAT_VERSION = 1
RRF_K = 60
LARGE_CODEBASE_CHUNKS = 50_000
_TEST_PATTERNS = re.compile(r"\.test\.|\.spec\.|_test\.|test_|__tests__|tests/|\.stories\.|__mocks__")


def is_test_file(file_path: str) -> bool:
    """SemanticWiki's `isTestFile` (substring patterns anywhere in the path)."""
    return _TEST_PATTERNS.search(file_path) is not None


# Keys a stored chunk carries (SemanticWiki's StoredMetadata), in its order.
META_KEYS = ("id", "filePath", "startLine", "endLine", "content", "language", "chunkType", "name", "parentName",
             "documentation", "domainCategories", "domainContext", "isPublicApi", "signature")


class SearchIndex:
    """SemanticWiki's `RAGSystem` in keyword-fallback mode (no FAISS), over stored chunks in document-id order.

    Example:
        >>> idx = SearchIndex([{"id": "a.py:1-2", "filePath": "a.py", "startLine": 1, "endLine": 2,
        ...                     "content": "def user_login(): pass", "language": "python"}])
        >>> [r["id"] for r in idx.search("login", max_results=5)]
        ['a.py:1-2']
    """

    profile = "semanticwiki-1.2.1"

    def __init__(self, docs: list[dict], files: list[str] | None = None,
                 prepared: list[tuple[tuple[dict[str, int], int], dict[str, int]]] | None = None):
        self.docs = [{k: d[k] for k in META_KEYS if k in d and d[k] is not None} for d in docs]
        self.files = files or []
        if prepared is None:
            prepared = [_prepare_doc(d) for d in self.docs]
        self.bm25 = BM25Index.from_counts([p[0] for p in prepared])
        self.keyword = KeywordScorer([d["content"] for d in self.docs], [p[1] for p in prepared])
        self._is_test = [is_test_file(d["filePath"]) for d in self.docs]
        first: dict[str, int] = {}
        for i, d in enumerate(self.docs):
            first.setdefault(d["id"], i)
        self._first_doc = [first[d["id"]] for d in self.docs]  # getDocIdFromResult: first doc with that id

    @property
    def document_count(self) -> int:
        return len(self.docs)

    def _filter(self, file_types: list[str] | None, exclude_tests: bool):
        if not exclude_tests and file_types is None:
            return None
        types = tuple(file_types) if file_types is not None else None
        docs, tests = self.docs, self._is_test

        def allowed(doc_id: int) -> bool:
            if exclude_tests and tests[doc_id]:
                return False
            return types is None or docs[doc_id]["filePath"].endswith(types)

        return allowed

    def query_tokens(self, query: str) -> list[str]:
        return tokenize(query)

    def vector_top(self, query: str, limit: int, file_types: list[str] | None = None,
                   exclude_tests: bool = False) -> list[tuple[int, float]]:
        """`searchVector` without FAISS: `(doc_id, match count)` best first."""
        return [(d, float(s)) for d, s in self.keyword.top(query, self._filter(file_types, exclude_tests), limit)]

    def bm25_top(self, query: str, limit: int, file_types: list[str] | None = None,
                 exclude_tests: bool = False) -> list[tuple[int, float]]:
        """`searchBM25`: `(doc_id, score)` best first (ties in document-id order)."""
        allowed = self._filter(file_types, exclude_tests)
        scores = self.bm25.scores(tokenize(query))
        ranked = sorted(((d, s) for d, s in scores.items() if s > 0 and (allowed is None or allowed(d))),
                        key=lambda t: (-t[1], t[0]))
        return ranked[:limit]

    def search(self, query: str, *, max_results: Any = 10, file_types: list[str] | None = None,
               exclude_tests: bool = False, mode: str = "hybrid") -> list[dict]:
        """`RAGSystem.search(query, {maxResults, fileTypes, excludeTests, mode})` without reranking.

        `max_results` may be any JSON value, as a direct-mode model can send one (see `js_max_results`).

        Returns result dicts: the stored chunk's keys plus `score`, and `vectorScore` / `bm25Score` where the
        hybrid lists had the chunk. Raises `JSRegexError` for query words V8 rejects as regexes.
        """
        mr = js_max_results(max_results)
        if not self.docs:
            return []
        if mode == "keyword":
            return [self._result(d, s, bm25=s) for d, s in
                    self.bm25_top(query, js_end(mr * 2), file_types, exclude_tests)][:js_end(mr)]
        if mode == "vector":
            return [self._result(d, s, vector=s) for d, s in
                    self.vector_top(query, js_end(mr * 2), file_types, exclude_tests)][:js_end(mr)]
        vector = self.vector_top(query, js_end(mr * 3), file_types, exclude_tests)
        bm25 = self.bm25_top(query, js_end(mr * 3), file_types, exclude_tests)
        return self._fuse(vector, bm25, mr, file_types, exclude_tests)

    def _fuse(self, vector: list[tuple[int, float]], bm25: list[tuple[int, float]], max_results: float,
              file_types: list[str] | None, exclude_tests: bool) -> list[dict]:
        first = self._first_doc
        fused: dict[int, float] = {}
        order: dict[int, None] = {}
        for ranked in (vector, bm25):
            for rank, (doc_id, _) in enumerate(ranked):
                d = first[doc_id]
                fused[d] = fused.get(d, 0) + 1 / (RRF_K + rank + 1)
        vmap = {first[d]: s for d, s in vector}
        bmap = {first[d]: s for d, s in bm25}
        for doc_id, _ in vector:
            order.setdefault(first[doc_id], None)
        for doc_id, _ in bm25:
            order.setdefault(first[doc_id], None)
        allowed = self._filter(file_types, exclude_tests)
        results = [self._result(d, fused.get(d, 0), vector=vmap.get(d), bm25=bmap.get(d))
                   for d in order if allowed is None or allowed(d)]
        results.sort(key=lambda r: -r["score"])  # stable: ties keep first-seen order
        return results[:js_end(max_results * 2)][:js_end(max_results)]

    def _result(self, doc_id: int, score: float, vector: float | None = None, bm25: float | None = None) -> dict:
        r = dict(self.docs[doc_id])
        r["score"] = _num(score)
        if vector is not None:
            r["vectorScore"] = _num(vector)
        if bm25 is not None:
            r["bm25Score"] = _num(bm25)
        return r


def js_max_results(value: Any) -> float:
    """`options.maxResults || 10` as the number `RAGSystem.search`'s arithmetic (`maxResults * 3`, `slice`) sees.

    Direct mode passes the model's `maxResults` through unchecked, so a truthy non-number reaches the arithmetic:
    `"5"` and `[5]` become 5, `[]` becomes 0 and `"abc"` or `{}` NaN; both of the latter slice every list to nothing
    (while the search itself still runs, so its errors are still thrown). Falsy values (0, "", null, NaN) mean 10.
    """
    return js_to_number(value) if js_truthy(value) else 10.0


def js_end(x: float) -> int:
    """The end index `Array.prototype.slice(0, x)` uses (truncated; negative counts from the end, as in Python)."""
    if math.isnan(x):
        return 0
    if x in (math.inf, -math.inf):
        return 2**62 if x > 0 else -(2**62)
    return math.trunc(x)


def _num(x: float) -> float | int:
    """Integral match counts print as JavaScript prints them (`31`, not `31.0`) in JSON."""
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**53 else x


# ---------------------------------------------------------------------------------------------------------------
# building

def _default_workers() -> int:
    """Two worker processes at most (the target machine has two cores), fewer when fewer CPUs are usable."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, usable))


def _prepare_doc(doc: dict) -> tuple[tuple[dict[str, int], int], dict[str, int]]:
    """Everything per chunk that the index needs: BM25 term counts and keyword runs."""
    return term_counts(doc), run_counts(doc["content"].lower())


def _prepare_file(item: tuple[str, str]) -> list[tuple[dict, Any]]:
    path, text = item
    return [(c, _prepare_doc(c)) for c in rag_chunk_file(path, text)]


_PARALLEL_MIN_CHARS = 1_000_000


def map_files(fn: Callable[[tuple[str, str]], Any], files: list[str], texts: dict[str, str], workers: int) -> list:
    """`[fn((path, text)) for path in files]`, on `workers` forked processes when the repo is big enough to pay."""
    items = [(f, texts[f]) for f in files]
    total = sum(len(t) for t in texts.values())
    if workers <= 1 or total < _PARALLEL_MIN_CHARS or "fork" not in mp.get_all_start_methods():
        return [fn(it) for it in items]
    # Big files first so the two workers finish together; results are put back in file order.
    order = sorted(range(len(items)), key=lambda i: -len(items[i][1]))
    with mp.get_context("fork").Pool(workers) as pool:
        out = pool.map(fn, [items[i] for i in order], chunksize=max(1, len(items) // (workers * 8)))
    result: list = [None] * len(items)
    for i, r in zip(order, out):
        result[i] = r
    return result


def _cache_dir(ctx: Any) -> Path | None:
    value = (getattr(ctx, "extra", None) or {}).get("search_cache_dir") or os.environ.get("WIKIGYM_SEARCH_CACHE")
    return Path(value) if value else None


def _content_key(profile: str, files: Iterable[str], texts: dict[str, str], extra: str) -> str:
    h = hashlib.sha256(f"{INDEX_FORMAT_VERSION}\0{profile}\0{extra}\0".encode())
    for f in files:
        h.update(f.encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(texts[f].encode("utf-8", "surrogatepass")).digest())
    return h.hexdigest()


def build_index(ctx: Any, file_order: list[str] | None = None) -> Any:
    """Index `ctx.repo_root` for `ctx.profile`.

    Args:
        ctx: the tool context (`repo_root`, `profile`, `allow_escape`, `extra`: `max_chunks`, `search_cache_dir`,
            `search_embedding_model`).
        file_order: repo-relative paths in the order to index them (a recorded discovery order reproduces
            SemanticWiki's tie-breaking exactly); None discovers files with `inventory.discover_files`.

    Returns:
        A `SearchIndex` (faithful profile) or an `accurate.AccurateIndex`; both have
        `.search(query, *, max_results, file_types=None, exclude_tests=False) -> list[dict]`.
    """
    repo = Path(ctx.repo_root)
    extra = getattr(ctx, "extra", None) or {}
    files = list(file_order) if file_order is not None else discover_files(repo, getattr(ctx, "allow_escape", False))
    texts: dict[str, str] = {}
    for f in files:
        t = read_text(repo, f)
        if t is not None:
            texts[f] = t
    files = [f for f in files if f in texts]
    profile = getattr(ctx, "profile", SearchIndex.profile)
    cache = _cache_dir(ctx)
    key = None
    settings = json.dumps({"max_chunks": extra.get("max_chunks"), "model": extra.get("search_embedding_model")},
                          sort_keys=True)
    if cache is not None:
        key = _content_key(profile, files, texts, settings)
        path = cache / f"{key}.pkl"
        if path.exists():
            try:
                with open(path, "rb") as fh:
                    return pickle.load(fh)
            except Exception:  # noqa: BLE001, S110 - a stale or truncated cache file is rebuilt, never trusted
                pass
    workers = int(extra.get("search_workers") or _default_workers())
    if profile == "accurate":
        from wikigym.tools.search.accurate import AccurateIndex

        index: Any = AccurateIndex.build(files, texts, embedding_model=extra.get("search_embedding_model"),
                                         workers=workers)
    else:
        chunks: list[dict] = []
        prepared: list[Any] = []
        for file_chunks in map_files(_prepare_file, files, texts, workers):
            for chunk, prep in file_chunks:
                chunks.append(chunk)
                prepared.append(prep)
        max_chunks = extra.get("max_chunks")
        if max_chunks and len(chunks) > max_chunks:
            chunks = prioritize_chunks(chunks, int(max_chunks))
            prepared = None
        index = SearchIndex(chunks, files, prepared)
    if cache is not None and key is not None:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f"{key}.pkl.tmp{os.getpid()}"
        with open(tmp, "wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache / f"{key}.pkl")
    return index


def prioritize_chunks(chunks: list[dict], max_chunks: int) -> list[dict]:
    """SemanticWiki's `prioritizeChunks` for `--max-chunks`: best-scored first (stable), then the first `max_chunks`.

    The kept chunks come out in score order, not file order, exactly as SemanticWiki stores them.
    """
    scored = []
    for c in chunks:
        fp = c["filePath"].lower()
        score = 0
        if fp.startswith(("src/", "lib/", "app/")):
            score += 100
        if "index." in fp or "main." in fp or "app." in fp:
            score += 50
        if "config" in fp or fp.endswith((".json", ".yaml")):
            score += 30
        if is_test_file(c["filePath"]):
            score -= 50
        if "vendor/" in fp or "generated/" in fp or ".min." in fp:
            score -= 100
        n = js_len(c["content"])
        if n < 1000:
            score += 20
        elif n > 3000:
            score -= 10
        scored.append((score, c))
    scored.sort(key=lambda t: -t[0])
    return [c for _, c in scored[:max_chunks]]
