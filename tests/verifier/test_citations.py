"""Tests for wikigym/verifier/checks/citations.py on the bundled example repo."""

from __future__ import annotations

from wikigym.verifier.checks.citations import check_citations, extract_citations
from wikigym.verifier.wiki import Page, Wiki


def _page(body: str) -> str:
    return body + "\n" + "filler words " * 60


def test_three_citation_forms_counted_once() -> None:
    p = Page("components/x/index.md", "**Source:** [`inventory/service.py:24-97`](../../inventory/service.py#L24-L97)\n"
                                      "📄 [inventory/models.py:1](../inventory/models.py#L1) and "
                                      "`worker/main.go:18-59`\n```\n`inventory/api.py:1-2` in a fence\n```\n")
    cites = extract_citations(p)
    assert [(c.path, c.start, c.end, c.kind) for c in cites] == [
        ("inventory/service.py", 24, 97, "source"), ("inventory/models.py", 1, 1, "emoji"),
        ("worker/main.go", 18, 59, "backtick")]


def test_valid_out_of_range_missing_and_misattributed(repo_index, snapshot) -> None:
    n = len(snapshot.lines("inventory/service.py"))
    w = Wiki.from_files({"a.md": _page(
        "### `InventoryService`\n\n**Source:** [`inventory/service.py:24-97`](../inventory/service.py#L24-L97)\n\n"
        f"`reserve` is at `inventory/service.py:49-67`; past the end `inventory/service.py:{n}-{n + 3}`;\n"
        "`inventory/nope.py:1-2` does not exist; `reserve` at `inventory/service.py:1-10` is misattributed.\n")})
    res = check_citations(w, repo_index)
    assert res.stats["total"] == 5 and res.stats["valid"] == 2 and res.stats["misattributed"] == 1
    whats = sorted(f.what for f in res.findings)
    assert any("out of range" in x for x in whats)
    assert "cited file inventory/nope.py does not exist" in whats
    assert "`reserve` misattributed to inventory/service.py:1-10" in whats
    assert 0 < res.score < 1


def test_no_citations_scores_zero(repo_index) -> None:
    res = check_citations(Wiki.from_files({"a.md": "no references at all"}), repo_index)
    assert res.score == 0.0 and res.findings[0].what == "no source citations"


def test_density_lowers_score(repo_index) -> None:
    dense = Wiki.from_files({"a.md": "`inventory/models.py:1-3` " + "word " * 50})
    sparse = Wiki.from_files({"a.md": "`inventory/models.py:1-3` " + "word " * 500})
    a, b = check_citations(dense, repo_index), check_citations(sparse, repo_index)
    assert a.score == 1.0 and b.score < 1.0 and b.stats["per_1000_words"] < 10
