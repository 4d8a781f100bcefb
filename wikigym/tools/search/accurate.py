"""The `accurate` search profile: tree-sitter chunks for every language, a vectorised BM25, optional embeddings.

Chunks come from the repo layer's tree-sitter symbols (`wikigym.repos.parsing.parse_file`): one chunk per
definition with its real 1-based line range (decorators and doc comments included, as the repo layer reports them),
nested definitions (methods) as their own chunks with `parentName`, and a size cap: a definition longer than
`MAX_CHUNK_CHARS` is cut into its members plus line windows of its remaining lines, and a member-less one into line
windows (`name (part 2/3)`). Code outside definitions (imports, module-level statements) becomes `module` windows;
files in languages without a grammar (or data files) are windowed whole. Chunk dicts carry SemanticWiki's keys, so
`format.py` prints them unchanged.

Ranking: BM25 (k1 1.2, b 0.75, SemanticWiki's code-aware tokenizer) over content, name, parent, signature,
documentation and path, computed with numpy postings (no per-document Python loop). With an embedding model
(`search_embedding_model`), cosine similarity is the vector half and both lists are fused by RRF (k = 60), as
SemanticWiki does with FAISS.

What it deliberately does not do: reproduce SemanticWiki's chunks or scores (that is the faithful profile).
"""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

import numpy as np

from wikigym.tools.search.bm25 import tokenize
from wikigym.tools.search.domains import domain_categories, generate_domain_context, infer_domain_hints, warm_runs

MAX_CHUNK_CHARS = 2400
MIN_GAP_CHARS = 8
RRF_K = 60
K1, B = 1.2, 0.75
_KIND_TO_TYPE = {"function": "function", "method": "method", "class": "class", "interface": "interface",
                 "struct": "model", "enum": "enum", "trait": "interface", "type": "type", "macro": "function",
                 "module": "module", "namespace": "module", "package": "module", "program": "module",
                 "section": "function", "paragraph": "function", "data": "model", "impl": "class",
                 "object": "class"}
_COMMENT_PREFIXES = ("//", "/*", "*", "#", "--", "@", ";;")
_SKIPPED_KINDS = frozenset({"package"})  # a one-line `package x` clause is not worth a chunk of its own
_FENCE_LANGUAGE = {"tsx": "tsx", "typescript": "typescript", "javascript": "javascript"}


def _language(path: str, text: str) -> tuple[str | None, str]:
    """(tree-sitter language or None, label for the result fence)."""
    from wikigym.repos.languages import language_for_path

    lang = language_for_path(path, text)
    if lang is not None:
        return lang, _FENCE_LANGUAGE.get(lang, lang)
    ext = posixpath.splitext(path)[1].lstrip(".").lower()
    return None, {"yml": "yaml", "md": "markdown", "mdx": "markdown", "rs": "rust", "rb": "ruby", "py": "python",
                  "kt": "kotlin", "cs": "csharp", "sh": "bash"}.get(ext, ext or "text")


def _public(name: str, signature: str | None, lang: str | None) -> bool:
    sig = signature or ""
    if lang == "python":
        return not name.startswith("_")
    if lang == "go":
        return name[:1].isupper()
    if lang in ("typescript", "tsx", "javascript"):
        return sig.startswith("export") or "export " in sig[:20]
    if lang == "rust":
        return sig.startswith("pub")
    if lang in ("java", "csharp", "kotlin", "php", "cpp"):
        return "private" not in sig.split("(")[0] and "protected" not in sig.split("(")[0]
    return not name.startswith("_")


class _FileChunker:
    def __init__(self, path: str, text: str, lang: str | None, label: str):
        self.path = path
        self.lines = text.split("\n")
        self.lang = lang
        self.label = label
        self.out: list[dict] = []
        self.base = posixpath.basename(path)

    def text(self, a: int, b: int) -> str:
        """Lines a..b, 1-based inclusive."""
        return "\n".join(self.lines[a - 1:b])

    def emit(self, a: int, b: int, content: str, ctype: str, name: str, parent: str | None = None,
             doc: str | None = None, sig: str | None = None, public: bool | None = None) -> None:
        hints = infer_domain_hints(name, doc, [], content)
        chunk = {"id": f"{self.path}:{a}-{b}", "filePath": self.path, "startLine": a, "endLine": b,
                 "content": content, "language": self.label, "chunkType": ctype, "name": name,
                 "domainHints": hints}
        if parent:
            chunk["parentName"] = parent
        if doc:
            chunk["documentation"] = doc
        if sig:
            chunk["signature"] = sig
        if public is not None:
            chunk["isPublicApi"] = public
        chunk["domainCategories"] = domain_categories(hints)
        chunk["domainContext"] = generate_domain_context(chunk)
        del chunk["domainHints"]
        self.out.append(chunk)

    def windows(self, a: int, b: int, ctype: str, name: str, parent: str | None = None, doc: str | None = None,
                sig: str | None = None, public: bool | None = None, skip_small: bool = False) -> None:
        """Lines a..b as chunks of at most MAX_CHUNK_CHARS (a longer single line is cut by characters)."""
        if skip_small:  # a gap between definitions: drop the blank lines around it
            while a <= b and not self.lines[a - 1].strip():
                a += 1
            while b >= a and not self.lines[b - 1].strip():
                b -= 1
        pieces: list[tuple[int, int, str]] = []
        start, size, buf = a, 0, []
        for ln in range(a, b + 1):
            line = self.lines[ln - 1] if ln - 1 < len(self.lines) else ""
            if len(line) > MAX_CHUNK_CHARS:
                if buf:
                    pieces.append((start, ln - 1, "\n".join(buf)))
                    buf, size = [], 0
                for k in range(0, len(line), MAX_CHUNK_CHARS):
                    pieces.append((ln, ln, line[k:k + MAX_CHUNK_CHARS]))
                start = ln + 1
                continue
            if buf and size + len(line) + 1 > MAX_CHUNK_CHARS:
                pieces.append((start, ln - 1, "\n".join(buf)))
                buf, size, start = [], 0, ln
            buf.append(line)
            size += len(line) + 1
        if buf:
            pieces.append((start, b, "\n".join(buf)))
        if skip_small:
            pieces = [p for p in pieces if len(p[2].strip()) >= MIN_GAP_CHARS]
        n = len(pieces)
        for i, (s, e, content) in enumerate(pieces):
            label = name if n == 1 else f"{name} (part {i + 1}/{n})"
            self.emit(s, e, content, ctype, label, parent, doc if i == 0 else None, sig if i == 0 else None, public)

    def region(self, syms: list[Any], a: int, b: int, gap_type: str, gap_name: str, gap_parent: str | None) -> None:
        """Chunk lines a..b: the symbols inside (outermost first) and the gaps between them."""
        cursor = a
        i = 0
        while i < len(syms):
            s = syms[i]
            inner = []
            j = i + 1
            while j < len(syms) and syms[j].start_line <= s.end_line:
                inner.append(syms[j])
                j += 1
            start = self.leading_comment_start(s.start_line, cursor)
            if start > cursor:
                self.windows(cursor, start - 1, gap_type, gap_name, gap_parent, skip_small=True)
            self.symbol(s, inner, start)
            cursor = max(cursor, s.end_line + 1)
            i = j
        if cursor <= b:
            self.windows(cursor, b, gap_type, gap_name, gap_parent, skip_small=True)

    def leading_comment_start(self, line: int, floor: int) -> int:
        """First line of the comment/decorator block directly above `line` (no blank line between)."""
        start = line
        while start - 1 >= floor and start - 1 >= 1:
            prev = self.lines[start - 2].strip()
            if not prev or not prev.startswith(_COMMENT_PREFIXES):
                break
            start -= 1
        return start

    def symbol(self, s: Any, inner: list[Any], start: int | None = None) -> None:
        start = s.start_line if start is None else start
        ctype = "module" if self.lang in ("markdown", "yaml", "json", "toml") else _KIND_TO_TYPE.get(s.kind, "function")
        public = None if ctype == "module" and s.kind not in ("module", "namespace") else _public(
            s.name, s.signature, self.lang)
        content = self.text(start, s.end_line)
        if len(content) <= MAX_CHUNK_CHARS:
            self.emit(start, s.end_line, content, ctype, s.name, s.parent, s.docstring, s.signature, public)
            return
        if inner:
            self.region(inner, start, s.end_line, ctype, s.name, s.parent)
            return
        self.windows(start, s.end_line, ctype, s.name, s.parent, s.docstring, s.signature, public)


def _symbols(text: str, lang: str, parse_cache: Any) -> list[Any]:
    """The repo layer's definitions for one file. With no cache given, only the symbol pass runs (search needs no
    identifiers or imports, which cost as much again); with a cache, the full cached `parse_file`."""
    if parse_cache is not None:
        from wikigym.repos.parsing import parse_file

        return list(parse_file(text, lang, parse_cache).symbols)
    from wikigym.repos.symbols import extract_symbols
    from wikigym.repos.syntax import Source, parser

    data = text.encode("utf-8", "surrogatepass")
    root = parser(lang).parse(data).root_node
    return extract_symbols(root, Source(data, text.split("\n")), lang)


def chunk_file_accurate(path: str, text: str, parse_cache: Any = None) -> list[dict]:
    """Tree-sitter chunks of one file (stored-chunk dicts with SemanticWiki's keys)."""
    lang, label = _language(path, text)
    warm_runs(text.lower())
    fc = _FileChunker(path, text, lang, label)
    symbols: list[Any] = []
    if lang is not None and text.strip():
        try:
            symbols = _symbols(text, lang, parse_cache)
        except (ValueError, RecursionError):
            symbols = []
    n = len(fc.lines)
    if symbols and any(s.kind not in _SKIPPED_KINDS for s in symbols):
        symbols = [s for s in symbols if s.kind not in _SKIPPED_KINDS]
        symbols.sort(key=lambda s: (s.start_line, -s.end_line))
        fc.region(symbols, 1, n, "module", posixpath.splitext(fc.base)[0], None)
    elif text.strip():
        fc.windows(1, n, "file" if len(text) <= MAX_CHUNK_CHARS else "module", posixpath.splitext(fc.base)[0])
    seen: dict[str, int] = {}
    for c in fc.out:
        k = seen.get(c["id"], 0)
        seen[c["id"]] = k + 1
        if k:
            c["id"] = f"{c['id']}#{k + 1}"
    return fc.out


def _chunk_item(item: tuple[str, str]) -> list[tuple[dict, tuple[dict[str, int], int]]]:
    path, text = item
    chunks = chunk_file_accurate(path, text, None)
    return [(c, _term_counts(c)) for c in chunks]


def _term_counts(c: dict) -> tuple[dict[str, int], int]:
    toks = tokenize(_bm25_text(c))
    return dict(Counter(toks)), len(toks)



def _bm25_text(c: dict) -> str:
    return " ".join([c["content"], c.get("name") or "", c.get("parentName") or "", c.get("signature") or "",
                     c.get("documentation") or "", c["filePath"]])


class AccurateIndex:
    """BM25 over tree-sitter chunks, with an optional embedding half; `.search` returns SemanticWiki-style dicts."""

    profile = "accurate"

    def __init__(self, docs: list[dict], counts: list[tuple[dict[str, int], int]] | None = None,
                 embedder: Any = None):
        from wikigym.tools.search.index import is_test_file

        self.docs = docs
        self._paths = [d["filePath"] for d in docs]
        self._is_test = np.fromiter((is_test_file(p) for p in self._paths), dtype=bool, count=len(docs))
        vocab: dict[str, int] = {}
        term_ids: list[int] = []
        doc_ids: list[int] = []
        tfs: list[int] = []
        lengths = np.zeros(len(docs), dtype=np.float64)
        if counts is None:
            counts = [_term_counts(d) for d in docs]
        for d, (tf_map, length) in enumerate(counts):
            lengths[d] = length
            for t, n in tf_map.items():
                tid = vocab.get(t)
                if tid is None:
                    tid = vocab[t] = len(vocab)
                term_ids.append(tid)
                doc_ids.append(d)
                tfs.append(n)
        self.vocab = vocab
        n_docs = max(len(docs), 1)
        avg = float(lengths.mean()) if len(docs) else 1.0
        t_arr = np.asarray(term_ids, dtype=np.int64)
        d_arr = np.asarray(doc_ids, dtype=np.int32)
        tf = np.asarray(tfs, dtype=np.float64)
        order = np.argsort(t_arr, kind="stable")
        t_arr, d_arr, tf = t_arr[order], d_arr[order], tf[order]
        df = np.bincount(t_arr, minlength=len(vocab)).astype(np.float64)
        idf = np.log((n_docs - df + 0.5) / (df + 0.5) + 1)
        norm = K1 * (1 - B + B * (lengths[d_arr] / (avg or 1.0)))
        self._weights = (idf[t_arr] * tf * (K1 + 1) / (tf + norm)).astype(np.float32)
        self._docs_of = d_arr
        self._offsets = np.concatenate(([0], np.cumsum(df.astype(np.int64))))
        self.embedder = embedder
        self._vectors = None
        if embedder is not None and docs:
            self._vectors = embedder.encode_documents(docs)

    @property
    def document_count(self) -> int:
        return len(self.docs)

    @classmethod
    def build(cls, files: list[str], texts: dict[str, str], embedding_model: str | None = None,
              workers: int = 1, embedder: Any = None) -> AccurateIndex:
        """Chunk and index `files` (repo-relative paths with their texts), on `workers` processes for big repos."""
        from wikigym.tools.search.index import map_files

        docs: list[dict] = []
        counts: list[tuple[dict[str, int], int]] = []
        for file_chunks in map_files(_chunk_item, files, texts, workers):
            for chunk, tc in file_chunks:
                docs.append(chunk)
                counts.append(tc)
        if embedder is None and embedding_model:
            from wikigym.tools.search.embeddings import SentenceTransformerEmbedder

            embedder = SentenceTransformerEmbedder(embedding_model)
        return cls(docs, counts, embedder)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["embedder"] = None if self.embedder is None else getattr(self.embedder, "model_name", None)
        return state

    def __setstate__(self, state: dict) -> None:
        name = state.get("embedder")
        self.__dict__.update(state)
        if isinstance(name, str):
            from wikigym.tools.search.embeddings import SentenceTransformerEmbedder

            self.embedder = SentenceTransformerEmbedder(name)

    def _mask(self, file_types: list[str] | None, exclude_tests: bool) -> np.ndarray | None:
        if not exclude_tests and file_types is None:
            return None
        mask = np.ones(len(self.docs), dtype=bool)
        if exclude_tests:
            mask &= ~self._is_test
        if file_types is not None:
            types = tuple(file_types)
            mask &= np.fromiter((p.endswith(types) for p in self._paths), dtype=bool, count=len(self._paths))
        return mask

    def bm25_scores(self, query: str) -> np.ndarray:
        scores = np.zeros(len(self.docs), dtype=np.float32)
        for t in tokenize(query):
            tid = self.vocab.get(t)
            if tid is None:
                continue
            a, b = self._offsets[tid], self._offsets[tid + 1]
            scores[self._docs_of[a:b]] += self._weights[a:b]
        return scores

    @staticmethod
    def _top(scores: np.ndarray, mask: np.ndarray | None, k: int) -> list[tuple[int, float]]:
        s = scores if mask is None else np.where(mask, scores, 0)
        cand = np.flatnonzero(s > 0)
        if len(cand) > k:
            part = np.argpartition(-s[cand], k - 1)[:k]
            cand = cand[part]
        order = sorted(cand.tolist(), key=lambda d: (-float(s[d]), d))
        return [(d, float(s[d])) for d in order[:k]]

    def search(self, query: str, *, max_results: float = 10, file_types: list[str] | None = None,
               exclude_tests: bool = False) -> list[dict]:
        """Best chunks for `query`: BM25 alone, or BM25 + embedding cosine fused by RRF when a model is set."""
        from wikigym.tools.search.index import js_end, js_max_results

        mr = js_max_results(max_results)
        k = js_end(mr)
        if not self.docs or k <= 0:
            return []
        mask = self._mask(file_types, exclude_tests)
        bm25 = self._top(self.bm25_scores(query), mask, k * 3)
        if self._vectors is None:
            return [self._result(d, s, bm25=s) for d, s in bm25[:k]]
        q = self.embedder.encode_query(query)
        vector = self._top(self._vectors @ q + 1.0, mask, k * 3)  # shift cosine to keep only-positive scores
        vector = [(d, s - 1.0) for d, s in vector]
        fused: dict[int, float] = {}
        for ranked in (vector, bm25):
            for rank, (d, _) in enumerate(ranked):
                fused[d] = fused.get(d, 0.0) + 1 / (RRF_K + rank + 1)
        vmap, bmap = dict(vector), dict(bm25)
        ordered = sorted(fused, key=lambda d: (-fused[d], d))[:k]
        return [self._result(d, fused[d], vector=vmap.get(d), bm25=bmap.get(d)) for d in ordered]

    def _result(self, d: int, score: float, vector: float | None = None, bm25: float | None = None) -> dict:
        r = dict(self.docs[d])
        r["score"] = score
        if vector is not None:
            r["vectorScore"] = vector
        if bm25 is not None:
            r["bm25Score"] = bm25
        return r
