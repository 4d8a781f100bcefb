"""structure: the fine-tuning plan's seven completeness booleans, SemanticWiki's page tree, and markdown sanity.

Parts (each in [0, 1], averaged with the weights in the config):
- `completeness`: mean of the plan's 7 booleans over the whole wiki: a path contains "architecture"; a path contains
  "component"; content has "data" and "flow"; content has "getting started" or "quickstart"; a ```mermaid fence; a
  backticked `path:digits`; a `.md` link whose target starts with `../`.
- `tree`: share of SemanticWiki's expected pages present (README.md, architecture/overview.md,
  architecture/data-flow.md, components/*/index.md, guides/getting-started.md, glossary.md).
- `frontmatter`: share of pages whose frontmatter parses and has the required fields (README.md exempt from all but
  `title`).
- `h1`: share of pages without a duplicate H1 (two or more `# ` headings outside fences).
- `fences`: share of pages without an unclosed code fence.
- `duplicates`: share of pages that are not a near-copy (5-word-shingle Jaccard >= threshold) of an earlier page.
"""

from __future__ import annotations

import math
import re

from wikigym.verifier.model import CheckResult, Finding
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.wiki import Wiki

EXPECTED = ("README.md", "architecture/overview.md", "architecture/data-flow.md", "components/*/index.md",
            "guides/getting-started.md", "glossary.md")
CITE_RE = re.compile(r"`[A-Za-z0-9/_.-]+:\d+")
UP_LINK_RE = re.compile(r"\]\(\.\./[^)]*\.md")
TOKEN_RE = re.compile(r"\w+")
DEFAULTS = {"required_frontmatter": ["title", "description"], "duplicate_jaccard": 0.8, "shingle": 5,
            "parts": {"completeness": 1, "tree": 1, "frontmatter": 1, "h1": 1, "fences": 1, "duplicates": 1}}


def completeness_booleans(wiki: Wiki) -> dict[str, bool]:
    """The fine-tuning plan's seven booleans (spec §6).

    >>> completeness_booleans(Wiki.from_files({"architecture/x.md": "data flow"}))["path_architecture"]
    True
    """
    paths = [p.path.lower() for p in wiki.pages]
    texts = [p.text.lower() for p in wiki.pages]
    return {
        "path_architecture": any("architecture" in p for p in paths),
        "path_component": any("component" in p for p in paths),
        "data_flow": any("data" in t and "flow" in t for t in texts),
        "getting_started": any("getting started" in t or "quickstart" in t for t in texts),
        "mermaid": any(p.mermaid for p in wiki.pages),
        "file_line_ref": any(CITE_RE.search(p.text) for p in wiki.pages),
        "up_link": any(UP_LINK_RE.search(p.text) for p in wiki.pages),
    }


def _expected_present(wiki: Wiki) -> dict[str, bool]:
    out = {}
    for e in EXPECTED:
        if "*" in e:
            out[e] = any(re.fullmatch(r"components/[^/]+/index\.md", p) for p in wiki.by_path)
        else:
            out[e] = e in wiki.by_path
    return out


def _shingle_sets(wiki: Wiki, k: int) -> list[tuple[str, frozenset[int]]]:
    # Tokens become small ints (first-appearance order), shingles hashes of int tuples: exact and deterministic
    # (int and tuple hashing do not depend on PYTHONHASHSEED), and much cheaper than hashing strings.
    ids: dict[str, int] = {}
    out = []
    for p in wiki.pages:
        toks = [ids.setdefault(t, len(ids)) for t in TOKEN_RE.findall(p.body_text.lower())]
        if len(toks) < k:
            sh = frozenset([hash(tuple(toks))]) if toks else frozenset()
        else:
            sh = frozenset(hash(tuple(toks[i:i + k])) for i in range(len(toks) - k + 1))
        out.append((p.path, sh))
    return out


def near_duplicates(wiki: Wiki, threshold: float, k: int = 5) -> list[tuple[str, str, float]]:
    """(page, earlier page it copies, Jaccard) for pages whose shingle sets overlap an earlier page's >= threshold.

    Exact, with prefix filtering: order each set's shingles rarest first; two sets with Jaccard >= t must share one
    of the first |A| - ceil(t |A|) + 1 shingles of A, so only pages sharing a prefix shingle are compared.
    """
    sets = _shingle_sets(wiki, k)
    freq: dict[int, int] = {}
    for _, sh in sets:
        for h in sh:
            freq[h] = freq.get(h, 0) + 1
    index: dict[int, list[int]] = {}
    out = []
    for i, (path, sh) in enumerate(sets):
        if not sh:
            continue
        n = len(sh)
        prefix = sorted(sh, key=lambda h: (freq[h], h))[:n - math.ceil(threshold * n) + 1]
        cands: set[int] = set()
        for h in prefix:
            cands.update(index.get(h, ()))
        best = None
        for j in sorted(cands):
            other = sets[j][1]
            if min(n, len(other)) < threshold * max(n, len(other)):
                continue
            inter = len(sh & other)
            jac = inter / (n + len(other) - inter)
            if jac >= threshold and (best is None or jac > best[1]):
                best = (j, jac)
        if best is not None:
            out.append((path, sets[best[0]][0], best[1]))
        for h in prefix:
            index.setdefault(h, []).append(i)
    return out


def check_structure(wiki: Wiki, repo: RepoIndex | None = None, cfg: dict | None = None) -> CheckResult:
    """Completeness booleans, expected tree, frontmatter, duplicate H1, unclosed fences, duplicate pages.

    >>> w = Wiki.from_files({"README.md": "---\\ntitle: Home\\n---\\nHi", "glossary.md": "# A\\n# B\\n```\\nx"})
    >>> res = check_structure(w)
    >>> sorted({f.what.split(" ")[0] for f in res.findings})
    ['completeness:', 'duplicate', 'missing', 'no', 'unclosed']
    """
    cfg = {**DEFAULTS, **(cfg or {})}
    findings: list[Finding] = []
    n = len(wiki.pages)
    booleans = completeness_booleans(wiki)
    for name, ok in booleans.items():
        if not ok:
            findings.append(Finding("", None, f"completeness: {name} is false",
                                    "one of the fine-tuning plan's seven completeness criteria is not met"))
    expected = _expected_present(wiki)
    for page, ok in expected.items():
        if not ok:
            findings.append(Finding(page, None, f"missing expected page {page}",
                                    "SemanticWiki's wiki structure asks for this page"))
    required = list(cfg["required_frontmatter"])
    fm_ok = 0
    for p in wiki.pages:
        need = ["title"] if p.path == "README.md" else required
        if p.frontmatter is None:
            findings.append(Finding(p.path, 1, "no frontmatter", f"pages need YAML frontmatter with {', '.join(need)}"))
        elif p.frontmatter_error:
            findings.append(Finding(p.path, 1, "frontmatter does not parse", p.frontmatter_error))
        else:
            lacking = [k for k in need if not p.frontmatter.get(k)]
            if lacking:
                findings.append(Finding(p.path, 1, f"frontmatter lacks {', '.join(lacking)}",
                                        "SemanticWiki pages carry these fields"))
            else:
                fm_ok += 1
    dup_h1 = 0
    unclosed = 0
    for p in wiki.pages:
        if len(p.h1_lines) > 1:
            dup_h1 += 1
            findings.append(Finding(p.path, p.h1_lines[1], f"duplicate H1 ({len(p.h1_lines)} `# ` headings)",
                                    "a page has one title"))
        if p.unclosed_fence:
            unclosed += 1
            start = p.blocks[-1].start if p.blocks else None
            findings.append(Finding(p.path, start, "unclosed code fence",
                                    "the fence opened here never closes, so the rest of the page renders as code"))
    dups = near_duplicates(wiki, float(cfg["duplicate_jaccard"]), int(cfg["shingle"]))
    for path, other, jac in dups:
        findings.append(Finding(path, None, f"duplicate of {other}", f"{jac:.0%} of its 5-word shingles repeat {other}"))
    parts = {
        "completeness": sum(booleans.values()) / len(booleans),
        "tree": sum(expected.values()) / len(expected),
        "frontmatter": fm_ok / n if n else 0.0,
        "h1": 1 - dup_h1 / n if n else 0.0,
        "fences": 1 - unclosed / n if n else 0.0,
        "duplicates": 1 - len(dups) / n if n else 0.0,
    }
    weights = cfg["parts"]
    score = sum(weights[k] * v for k, v in parts.items()) / sum(weights[k] for k in parts)
    stats = {"pages": n, "booleans": booleans, "expected_pages": expected,
             "parts": {k: round(v, 6) for k, v in parts.items()}, "duplicate_pages": len(dups)}
    return CheckResult("structure", score, findings, stats)
