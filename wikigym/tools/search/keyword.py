"""The "vector" half of SemanticWiki's hybrid search when FAISS is not installed: regex match counts.

Without `faiss-node`, `RAGSystem.searchVector` scores every stored chunk by
`sum over query.toLowerCase().split(/\\s+/) of (content.toLowerCase().match(new RegExp(term, 'g')) || []).length`,
keeps chunks with a positive count, sorts by count (stable, so ties stay in document-id order) and returns the top
`3 x maxResults`. The RegExp is built per chunk, after the test/fileTypes filters, so an invalid term such as `c++`
throws V8's SyntaxError as soon as one chunk passes the filters (and never when none does).

What it deliberately does not do: embeddings (see `embeddings.py` for the optional sentence-transformers backend).
"""

from __future__ import annotations

from typing import Callable, Sequence

from wikigym.tools.search.jsregex import compile_js_regex, count_matches
from wikigym.tools.search.jsstr import js_split_ws, to_utf16_units


class KeywordScorer:
    """Lowercased chunk contents, kept once, scored per query."""

    def __init__(self, contents: Sequence[str]):
        self.lower = [c.lower() for c in contents]
        self._units: dict[int, str] = {}

    def _units_of(self, doc_id: int) -> str:
        u = self._units.get(doc_id)
        if u is None:
            u = self._units[doc_id] = to_utf16_units(self.lower[doc_id])
        return u

    def top(self, query: str, allowed: Callable[[int], bool] | None, limit: int) -> list[tuple[int, int]]:
        """`(doc_id, match_count)` best first, at most `limit`; raises `JSRegexError` like V8 would."""
        raw_terms = js_split_ws(query.lower())
        compiled = None
        scored: list[tuple[int, int]] = []
        for doc_id, text in enumerate(self.lower):
            if allowed is not None and not allowed(doc_id):
                continue
            if compiled is None:
                compiled = [compile_js_regex(t) for t in raw_terms]  # first chunk past the filters: may throw
            score = 0
            for term in compiled:
                if term.literal is not None:
                    score += text.count(term.literal)
                elif term.source == "" or text.isascii():
                    score += count_matches(term, text, text)
                else:
                    score += count_matches(term, text, self._units_of(doc_id))
            if score > 0:
                scored.append((doc_id, score))
        scored.sort(key=lambda t: -t[1])
        return scored[:limit]
