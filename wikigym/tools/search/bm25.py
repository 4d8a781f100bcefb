"""SemanticWiki's BM25: its code-aware tokenizer and Okapi scoring with k1 = 1.2, b = 0.75.

Documents are `content + name + documentation + domainContext + filePath` joined by spaces. The tokenizer splits
camelCase and acronyms before lowercasing, turns `_` into spaces, splits on whitespace and punctuation, and drops
tokens shorter than two UTF-16 code units. Scores are summed in query-token order (a repeated query token counts
twice), exactly as SemanticWiki does, so full-precision scores match. `idf = ln((N - df + 0.5) / (df + 0.5) + 1)`.

Scoring uses an inverted index instead of SemanticWiki's loop over every document, which gives the same floats
(each document's terms are still added in query order) at a fraction of the cost.

What it deliberately does not do: stemming, stop words, or any change to the formula.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from wikigym.tools.search.jsstr import JS_S_CLASS

_CAMEL = re.compile(r"([a-z])([A-Z])")
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_SPLIT = re.compile(f"[{JS_S_CLASS}" + r"\.\,\;\:\!\?\(\)\[\]\{\}\<\>\=\+\-\*\/\&\|\^\~\`\"\'\#\@\$\%\\]+")
K1 = 1.2
B = 0.75


def tokenize(text: str) -> list[str]:
    """SemanticWiki's `tokenize`.

    Example:
        >>> tokenize("XMLParser parse_file getUserById a")
        ['xml', 'parser', 'parse', 'file', 'get', 'user', 'by', 'id']
    """
    with_spaces = _ACRONYM.sub(r"\1 \2", _CAMEL.sub(r"\1 \2", text))
    lower = with_spaces.lower().replace("_", " ")
    return [t for t in _SPLIT.split(lower) if len(t) >= 2 or (len(t) == 1 and ord(t) > 0xFFFF)]


def document_text(meta: dict) -> str:
    """The text SemanticWiki indexes for one stored chunk."""
    return " ".join([meta.get("content") or "", meta.get("name") or "", meta.get("documentation") or "",
                     meta.get("domainContext") or "", meta.get("filePath") or ""])


def term_counts(meta: dict) -> tuple[dict[str, int], int]:
    """One stored chunk's BM25 term frequencies and token count."""
    tokens = tokenize(document_text(meta))
    return dict(Counter(tokens)), len(tokens)


@dataclass
class BM25Index:
    """Document frequencies, per-document term counts and lengths, plus postings for fast scoring."""

    df: dict[str, int] = field(default_factory=dict)
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # term -> [(doc_id, tf)] by doc_id
    doc_lengths: list[int] = field(default_factory=list)
    avg_doc_length: float = 0.0
    doc_count: int = 0

    @classmethod
    def build(cls, docs: list[dict]) -> BM25Index:
        """`buildBM25Index` over stored chunk metadata in document-id order."""
        return cls.from_counts([term_counts(meta) for meta in docs])

    @classmethod
    def from_counts(cls, counts: list[tuple[dict[str, int], int]]) -> BM25Index:
        """The index from per-document `(term frequencies, token count)` (see `term_counts`), in id order."""
        idx = cls()
        postings: dict[str, list[tuple[int, int]]] = {}
        total = 0
        for doc_id, (tf, length) in enumerate(counts):
            for t, n in tf.items():
                p = postings.get(t)
                if p is None:
                    postings[t] = [(doc_id, n)]
                else:
                    p.append((doc_id, n))
            idx.doc_lengths.append(length)
            total += length
        idx.postings = postings
        idx.df = {t: len(p) for t, p in postings.items()}
        idx.doc_count = len(counts)
        idx.avg_doc_length = total / len(counts) if counts else 0.0
        return idx

    def scores(self, query_tokens: list[str]) -> dict[int, float]:
        """`calculateBM25Score` for every document with a non-zero score, keyed by document id."""
        out: dict[int, float] = {}
        n, avg, lengths = self.doc_count, self.avg_doc_length, self.doc_lengths
        for term in query_tokens:
            plist = self.postings.get(term)
            if not plist:
                continue
            df = self.df[term]
            idf = math.log((n - df + 0.5) / (df + 0.5) + 1)
            for doc_id, tf in plist:
                tf_norm = (tf * (K1 + 1)) / (tf + K1 * (1 - B + B * (lengths[doc_id] / avg)))
                out[doc_id] = out.get(doc_id, 0) + idf * tf_norm
        return out
