"""coverage: the share of the repository's important modules that some page cites.

Important modules are the repo's `top_k` code files ranked by import-graph centrality and size
(`RepoSnapshot.central_modules`). A module counts as covered when any citation on any page names that file, whatever
its line range (wrong ranges are the citations check's business, so one fault never moves two checks).
"""

from __future__ import annotations

from wikigym.verifier.checks.citations import extract_citations
from wikigym.verifier.model import CheckResult, Finding
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.wiki import Wiki

DEFAULTS = {"top_k": 20}


def check_coverage(wiki: Wiki, repo: RepoIndex, cfg: dict | None = None) -> CheckResult:
    """Share of the top-k important modules cited somewhere.

    >>> from wikigym.verifier.checks._doctest import tiny_repo
    >>> repo = tiny_repo({"a.py": "import b\\n", "b.py": "def f():\\n    pass\\n"})
    >>> res = check_coverage(Wiki.from_files({"x.md": "`b.py:1-2`"}), repo)
    >>> res.score, [f.what for f in res.findings]
    (0.5, ['important module a.py is never cited'])
    """
    cfg = {**DEFAULTS, **(cfg or {})}
    important = repo.important_modules(int(cfg["top_k"]))
    cited = {c.path for p in wiki.pages for c in extract_citations(p) if repo.exists(c.path)}
    missing = [m for m in important if m not in cited]
    findings = [Finding("", None, f"important module {m} is never cited",
                        f"ranked #{important.index(m) + 1} of {len(important)} by import centrality and size")
                for m in missing]
    score = (len(important) - len(missing)) / len(important) if important else 1.0
    return CheckResult("coverage", score, findings, {"important": len(important), "cited_important":
                                                      len(important) - len(missing), "cited_files": len(cited)})
