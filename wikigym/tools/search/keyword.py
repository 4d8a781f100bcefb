"""The "vector" half of SemanticWiki's hybrid search when FAISS is not installed: regex match counts.

Without `faiss-node`, `RAGSystem.searchVector` scores every stored chunk by
`sum over query.toLowerCase().split(/\\s+/) of (content.toLowerCase().match(new RegExp(term, 'g')) || []).length`,
keeps chunks with a positive count, sorts by count (stable, so ties stay in document-id order) and returns the top
`3 x maxResults`. The RegExp is built per chunk, after the test/fileTypes filters, so an invalid term such as `c++`
throws V8's SyntaxError as soon as one chunk passes the filters (and never when none does).

Speed without changing a count: a plain word (no regex syntax, no whitespace or punctuation, 3+ characters) can only
occur inside a "run" of a chunk (a maximal stretch without whitespace/punctuation), and occurrences never straddle
runs, so its count in a chunk is the sum over the chunk's runs of `run.count(word) x multiplicity`. The scorer keeps
each chunk's distinct runs once and answers such words from the runs that contain them; every other term (regexes,
short or punctuated words, the empty term) is counted over the full text exactly as before.

What it deliberately does not do: embeddings (see `embeddings.py` for the optional sentence-transformers backend).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Sequence

from wikigym.tools.search.domains import RUN_SEPARATORS
from wikigym.tools.search.jsregex import CompiledTerm, compile_js_regex, count_matches
from wikigym.tools.search.jsstr import js_split_ws, to_utf16_units

_RUN = re.compile(f"[^{RUN_SEPARATORS}]+")
_SEPARATOR_CHARS = re.compile(f"[{RUN_SEPARATORS}]")


def run_counts(text_lower: str) -> dict[str, int]:
    """The distinct runs of a lowercased chunk with their multiplicities."""
    return dict(Counter(_RUN.findall(text_lower)))


class KeywordScorer:
    """Lowercased chunk contents and their runs, kept once, scored per query."""

    def __init__(self, contents: Sequence[str], runs: Sequence[dict[str, int]] | None = None):
        self.lower = [c.lower() for c in contents]
        self._units: dict[int, str] = {}
        vocab: dict[str, int] = {}
        postings: list[list[tuple[int, int]]] = []
        if runs is None:
            runs = [run_counts(text) for text in self.lower]
        for doc_id, doc_runs in enumerate(runs):
            for run, mult in doc_runs.items():
                rid = vocab.get(run)
                if rid is None:
                    rid = vocab[run] = len(postings)
                    postings.append([])
                postings[rid].append((doc_id, mult))
        self._vocab = list(vocab)
        self._postings = postings
        self._joined: str | None = None
        self._starts: list[int] = []

    def _units_of(self, doc_id: int) -> str:
        u = self._units.get(doc_id)
        if u is None:
            u = self._units[doc_id] = to_utf16_units(self.lower[doc_id])
        return u

    def _runs_containing(self, word: str) -> list[int]:
        if self._joined is None:
            starts, pos = [], 0
            for run in self._vocab:
                starts.append(pos)
                pos += len(run) + 1
            self._starts = starts
            self._joined = " ".join(self._vocab)  # space never occurs inside a run
        joined, starts = self._joined, self._starts
        out: list[int] = []
        last = -1
        i = joined.find(word)
        while i >= 0:
            rid = bisect.bisect_right(starts, i) - 1
            if rid != last:
                out.append(rid)
                last = rid
            i = joined.find(word, starts[rid + 1] if rid + 1 < len(starts) else len(joined))
        return out

    def _term_counts(self, term: CompiledTerm, allowed: Callable[[int], bool] | None) -> dict[int, int]:
        word = term.literal
        if word is not None and len(word) >= 3 and not _SEPARATOR_CHARS.search(word):
            counts: dict[int, int] = {}
            for rid in self._runs_containing(word):
                c = self._vocab[rid].count(word)
                for doc_id, mult in self._postings[rid]:
                    counts[doc_id] = counts.get(doc_id, 0) + c * mult
            return counts
        counts = {}
        for doc_id, text in enumerate(self.lower):
            if allowed is not None and not allowed(doc_id):
                continue
            if word is not None:
                n = text.count(word)
            elif term.source == "" or text.isascii():
                n = count_matches(term, text, text)
            else:
                n = count_matches(term, text, self._units_of(doc_id))
            if n:
                counts[doc_id] = n
        return counts

    def top(self, query: str, allowed: Callable[[int], bool] | None, limit: int) -> list[tuple[int, int]]:
        """`(doc_id, match_count)` best first, at most `limit` (Python slice semantics); raises `JSRegexError`."""
        if allowed is None:
            if not self.lower:
                return []
        elif not any(allowed(d) for d in range(len(self.lower))):
            return []  # SemanticWiki builds the RegExp inside the loop: no chunk passes, nothing is compiled
        terms = [compile_js_regex(t) for t in js_split_ws(query.lower())]
        total: dict[int, int] = {}
        for term in terms:
            for doc_id, n in self._term_counts(term, allowed).items():
                total[doc_id] = total.get(doc_id, 0) + n
        scored = [(d, s) for d, s in total.items() if s > 0 and (allowed is None or allowed(d))]
        scored.sort(key=lambda t: (-t[1], t[0]))
        return scored[:limit]
