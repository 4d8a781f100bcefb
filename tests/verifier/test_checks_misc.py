"""Tests for the structure, stubs, coverage and hallucination checks on the example repo's reference wiki."""

from __future__ import annotations

from wikigym.verifier.checks.coverage import check_coverage
from wikigym.verifier.checks.hallucination import check_hallucination
from wikigym.verifier.checks.structure import check_structure, completeness_booleans
from wikigym.verifier.checks.stubs import check_stubs
from wikigym.verifier.wiki import Wiki


def test_reference_wiki_is_perfect(good_wiki, repo_index) -> None:
    w = Wiki.from_files(good_wiki)
    for check in (check_structure, check_stubs, check_coverage, check_hallucination):
        res = check(w, repo_index)
        assert res.score == 1.0, (res.name, res.findings[:3])
    assert all(completeness_booleans(w).values())


def test_structure_missing_tree_frontmatter_h1(good_wiki, repo_index) -> None:
    files = {k: v for k, v in good_wiki.items() if k != "glossary.md"}
    files["architecture/overview.md"] = "# One\n\n# Two\n" + good_wiki["architecture/overview.md"].split("---\n", 2)[2]
    res = check_structure(Wiki.from_files(files), repo_index)
    whats = [f.what for f in res.findings]
    assert "missing expected page glossary.md" in whats
    assert "no frontmatter" in whats and any(w.startswith("duplicate H1") for w in whats)
    assert res.stats["parts"]["tree"] < 1 and res.stats["parts"]["frontmatter"] < 1 and res.score < 1


def test_stub_markers() -> None:
    long = "word " * 200
    w = Wiki.from_files({"a.md": long + "\n// ... truncated\n", "b.md": long + "\nTBD\n", "c.md": long,
                         "d.md": long + "\n```\n# TODO in code is fine\n```\n"})
    res = check_stubs(w)
    assert sorted({f.page for f in res.findings}) == ["a.md", "b.md"] and res.score == 0.5


def test_coverage_counts_uncited_modules(good_wiki, repo_index) -> None:
    w = Wiki.from_files({"a.md": "`inventory/models.py:1-3`"})
    res = check_coverage(w, repo_index)
    assert res.stats["cited_important"] == 1 and res.score < 0.2
    assert all("never cited" in f.what for f in res.findings)


def test_hallucinated_names_and_paths(repo_index) -> None:
    w = Wiki.from_files({"a.md": "`InventoryService` in `inventory/service.py` and `inventory/` use `reserve()`; "
                                 "`MagicWarehouse.teleport` lives in `inventory/magic.py`; `npm run x` is a command; "
                                 "`README.md` and `self.items` exist; `config/inventory.yaml` is config."})
    res = check_hallucination(w, repo_index)
    assert sorted(f.what for f in res.findings) == ["invented identifier `MagicWarehouse.teleport`",
                                                    "invented path `inventory/magic.py`"]
    assert res.stats["judged"] == 9  # everything but the command
