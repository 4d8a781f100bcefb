"""mermaid: every ```mermaid block parsed by the real Mermaid parser; diagram count and types.

Score = valid / total x min(1, total / `min_diagrams`) (the plan targets more than 3 diagrams per wiki); a wiki with
no diagram scores 0. When Node or the `mermaid` package is missing the check cannot judge: it scores 0 and says so in
an error finding (never a silent pass), and `CheckResult.error` carries the install hint.
"""

from __future__ import annotations

from collections import Counter

from wikigym.verifier.mermaid import MermaidValidator, ParseResult
from wikigym.verifier.model import CheckResult, Finding
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.wiki import Wiki

DEFAULTS = {"min_diagrams": 3}


def diagram_codes(wiki: Wiki) -> list[tuple[str, int, str]]:
    """(page, fence line, code) of every Mermaid block, in page order."""
    return [(p.path, b.start, b.code) for p in wiki.pages for b in p.mermaid]


def declared_type(code: str) -> str:
    """The diagram keyword on the first non-comment line (`flowchart`, `sequenceDiagram`, ...)."""
    for line in code.splitlines():
        s = line.strip()
        if s and not s.startswith("%%") and s != "---":
            return s.split()[0].rstrip(";:")
    return ""


def check_mermaid(wiki: Wiki, repo: RepoIndex | None = None, cfg: dict | None = None,
                  results: list[ParseResult] | None = None, validator: MermaidValidator | None = None,
                  error: str | None = None) -> CheckResult:
    """Validity and count of the wiki's Mermaid diagrams.

    `results` are the parser's verdicts for `diagram_codes(wiki)` in order (the verifier submits them to Node early
    and collects them here) and `error` the validator's reason for being unavailable; without results `validator`
    (or a new `MermaidValidator`) parses the diagrams now.

    >>> from wikigym.verifier.mermaid import ParseResult
    >>> w = Wiki.from_files({"a.md": "```mermaid\\ngraph TD\\n A-->B\\n```\\n```mermaid\\ngraph TD\\n A[-->B\\n```"})
    >>> res = check_mermaid(w, results=[ParseResult(True, "flowchart-v2"), ParseResult(False, "", "Parse error")])
    >>> res.score, res.findings[0].line, res.stats["types"]
    (0.333333, 5, {'flowchart-v2': 1, 'graph': 1})
    """
    cfg = {**DEFAULTS, **(cfg or {})}
    codes = diagram_codes(wiki)
    findings: list[Finding] = []
    if codes and results is None:
        v = validator or MermaidValidator()
        error = v.error
        results = v.validate([c for _, _, c in codes])
    results = results or []
    if error and codes:
        findings.append(Finding("", None, "mermaid diagrams could not be validated", error))
        return CheckResult("mermaid", 0.0, findings, {"diagrams": len(codes), "valid": None}, error=error)
    valid = 0
    types: Counter[str] = Counter()
    for (page, line, code), r in zip(codes, results):
        if r.ok:
            valid += 1
            types[r.type or declared_type(code)] += 1
        else:
            types[declared_type(code) or "unknown"] += 1
            first = r.error.splitlines()[0] if r.error else "rejected by the parser"
            findings.append(Finding(page, line, "invalid mermaid diagram", first if len(r.error.splitlines()) < 2
                                    else f"{first} {' '.join(r.error.splitlines()[1:])}"[:400]))
    total = len(codes)
    min_d = int(cfg["min_diagrams"])
    if total < min_d:
        findings.append(Finding("", None, f"{total} diagrams", f"fewer than the {min_d} diagrams a wiki should have"))
    score = (valid / total) * min(1.0, total / min_d) if total else 0.0
    return CheckResult("mermaid", score, findings, {"diagrams": total, "valid": valid,
                                                    "types": dict(sorted(types.items()))})
