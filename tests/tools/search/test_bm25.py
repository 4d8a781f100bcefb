"""SemanticWiki's tokenizer and BM25 formula."""

from __future__ import annotations

import math

from wikigym.tools.search.bm25 import BM25Index, tokenize


def test_tokenizer_splits_code_identifiers() -> None:
    assert tokenize("getHTTPResponse parse_file x.y-z a 𝒳") == ["get", "http", "response", "parse", "file", "𝒳"]


def test_scores_follow_the_formula_and_count_repeated_query_tokens() -> None:
    docs = [{"content": "user user login", "filePath": "a"}, {"content": "order", "filePath": "b"}]
    idx = BM25Index.build(docs)
    n, avg = 2, (4 + 2) / 2  # tokens: user user login a / order b -> "a"/"b" dropped (< 2 chars)
    assert idx.doc_lengths == [3, 1]
    avg = 2.0
    idf = math.log((n - 1 + 0.5) / (1 + 0.5) + 1)
    tf = (2 * 2.2) / (2 + 1.2 * (1 - 0.75 + 0.75 * 3 / avg))
    assert idx.scores(["user"]) == {0: idf * tf}
    assert idx.scores(["user", "user"]) == {0: idf * tf + idf * tf}
    assert idx.scores(["nothing"]) == {}
