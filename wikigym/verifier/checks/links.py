"""links: SemanticWiki's completeness rules exactly, plus orphan pages and the README hub.

`completeness(wiki)` reproduces `verifyWikiCompleteness` (spec §3.6; `semanticwiki verify --json`) on an in-memory
wiki: `[text](target)` links, then `[[Page]]` links (+`.md`); skip `http(s)://`, `#`, `mailto:`, `github.com` and
source-extension targets followed by `:`, `L` or `#`; check only targets ending `.md` or containing `.md#`; drop the
anchor, resolve relative to the linking page, skip targets outside the wiki; dedupe broken links by resolved target,
first source kept. It must agree with the conformance golden `verify_struct.jsonl`.

Score = w_broken x (1 - broken / checked targets) + w_orphans x (1 - orphans / pages) + w_hub x (pages README.md
links / pages), over pages other than README.md. An orphan is a page no other page links to.
"""

from __future__ import annotations

import posixpath
import re

from wikigym.verifier.model import CheckResult, Finding
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.wiki import Wiki

SOURCE_EXT_RE = re.compile(r"\.(ts|js|py|go|rs|java|tsx|jsx|cbl|cob|cpy|jcl)[:L#]", re.IGNORECASE)
DEFAULTS = {"w_broken": 0.6, "w_orphans": 0.2, "w_hub": 0.2, "hub": "README.md"}


def resolve_link(source: str, target: str) -> str | None:
    """The wiki-relative page a link points to under SemanticWiki's rules, or None when the link is not checked.

    >>> resolve_link("architecture/overview.md", "../guides/start.md#install")
    'guides/start.md'
    >>> resolve_link("README.md", "../src/a.ts#L1-L5") is None, resolve_link("README.md", "../../out.md") is None
    (True, True)
    """
    if (target.startswith(("http://", "https://", "#", "mailto:")) or "github.com" in target
            or SOURCE_EXT_RE.search(target)):
        return None
    if not (target.endswith(".md") or ".md#" in target):
        return None
    clean = target.split("#")[0]
    if clean.startswith("/"):
        return None  # Node's path.resolve keeps absolute paths: outside the wiki
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), clean))
    if joined.startswith(".."):
        return None
    return joined


def completeness(wiki: Wiki) -> dict:
    """`semanticwiki verify --json` for an in-memory wiki: {totalPages, brokenLinks, missingPages, isComplete}.

    >>> w = Wiki.from_files({"README.md": "[A](./a.md) [B](b.md#x) [[c]]", "a.md": "[Home](README.md)"})
    >>> r = completeness(w)
    >>> [b["target"] for b in r["brokenLinks"]], r["missingPages"], r["isComplete"]
    (['b.md', 'c.md'], ['b.md', 'c.md'], False)
    """
    existing = set(wiki.by_path)
    broken: list[dict] = []
    referenced: dict[str, None] = {}
    seen: set[str] = set()
    for page in wiki.pages:
        for text, target in page.links:
            resolved = resolve_link(page.path, target)
            if resolved is None:
                continue
            referenced.setdefault(resolved, None)
            if resolved not in existing and resolved not in seen:
                seen.add(resolved)
                broken.append({"source": page.path, "target": target.split("#")[0], "linkText": text,
                               "resolvedTarget": resolved})
    missing = [p for p in referenced if p not in existing]
    return {"totalPages": len(existing), "brokenLinks": broken, "missingPages": missing,
            "isComplete": len(broken) == 0}


def link_graph(wiki: Wiki) -> dict[str, set[str]]:
    """page -> existing pages it links to (SemanticWiki's link rules, self-links dropped)."""
    out: dict[str, set[str]] = {}
    for page in wiki.pages:
        targets = set()
        for _, target in page.links:
            resolved = resolve_link(page.path, target)
            if resolved and resolved in wiki.by_path and resolved != page.path:
                targets.add(resolved)
        out[page.path] = targets
    return out


def _line_of_link(wiki: Wiki, source: str, target: str) -> int | None:
    page = wiki.by_path[source]
    idx = page.text.find(f"]({target}")
    if idx < 0:
        idx = page.text.find(target)
    return page.line_of(idx) if idx >= 0 else None


def check_links(wiki: Wiki, repo: RepoIndex | None = None, cfg: dict | None = None) -> CheckResult:
    """Broken internal links, orphan pages and README hub coverage.

    >>> w = Wiki.from_files({"README.md": "[A](a.md) [Gone](gone.md)", "a.md": "x", "b.md": "[A](a.md)"})
    >>> res = check_links(w)
    >>> res.score, [f.what for f in res.findings]
    (0.5, ['broken link to gone.md', 'orphan page b.md', 'README.md does not link b.md'])
    """
    cfg = {**DEFAULTS, **(cfg or {})}
    hub = cfg["hub"]
    result = completeness(wiki)
    findings: list[Finding] = []
    for b in result["brokenLinks"]:
        findings.append(Finding(b["source"], _line_of_link(wiki, b["source"], b["target"]),
                                f"broken link to {b['resolvedTarget']}",
                                f"[{b['linkText']}]({b['target']}) points to a page that does not exist"))
    checked = set()
    for page in wiki.pages:
        for _, target in page.links:
            r = resolve_link(page.path, target)
            if r is not None:
                checked.add(r)
    graph = link_graph(wiki)
    inbound = {p: 0 for p in wiki.by_path}
    for targets in graph.values():
        for t in targets:
            inbound[t] += 1
    others = [p.path for p in wiki.pages if p.path != hub]
    orphans = [p for p in others if inbound[p] == 0]
    for p in orphans:
        findings.append(Finding(p, None, f"orphan page {p}", "no other page links to it, so readers cannot reach it"))
    hub_links = graph.get(hub, set())
    if hub not in wiki.by_path:
        findings.append(Finding(hub, None, f"no {hub}", f"the wiki needs {hub} as its navigation hub"))
    unlinked = [p for p in others if p not in hub_links]
    if hub in wiki.by_path:
        for p in unlinked:
            findings.append(Finding(hub, None, f"{hub} does not link {p}", "the hub page should link every page"))
    n_broken = len(result["brokenLinks"])
    broken_score = 1.0 - n_broken / len(checked) if checked else 1.0
    orphan_score = 1.0 - len(orphans) / len(others) if others else 1.0
    hub_score = (len(others) - len(unlinked)) / len(others) if others and hub in wiki.by_path else (
        1.0 if hub in wiki.by_path else 0.0)
    score = cfg["w_broken"] * broken_score + cfg["w_orphans"] * orphan_score + cfg["w_hub"] * hub_score
    score /= cfg["w_broken"] + cfg["w_orphans"] + cfg["w_hub"]
    stats = {"total_pages": result["totalPages"], "checked_targets": len(checked), "broken_links": n_broken,
             "missing_pages": result["missingPages"], "is_complete": result["isComplete"], "orphans": len(orphans),
             "hub_links": len(hub_links), "pages_not_linked_from_hub": len(unlinked)}
    return CheckResult("links", score, findings, stats)
