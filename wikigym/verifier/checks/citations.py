"""citations: are the wiki's `path:start-end` references real, in range, attributed to the right symbol, and dense?

Three citation forms are read from prose (never from inside code fences):
- backticked `` `path:start(-end)` `` (the fine-tuning plan's traceability regex);
- SemanticWiki's `**Source:** [`path:a-b`](../../path#La-Lb)` links, whose target carries a `#L` anchor;
- local mode's `📄 [path:n](../path#Ln)` links (no backticks).
A link is counted once even when its text is also a backticked citation.

A citation is valid when the file exists in the repo and 1 <= start <= end <= the file's line count
(`len(text.split('\\n'))`, SemanticWiki's rule). It is misattributed when a backticked identifier on the same line (or
the nearest heading above) names a symbol that the cited file defines, and no definition of that name overlaps the
cited range. Score = (1 - d) x correct/total + d x min(1, density / target), density = citations per 1,000 prose
words, d = `density_share`. No citations at all scores 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from wikigym.verifier.model import CheckResult, Finding, r6
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.wiki import MD_LINK_RE, Page, Wiki

BACKTICK_CITE_RE = re.compile(r"`([A-Za-z0-9/_.-]+):(\d+)(?:-(\d+))?`")
TEXT_CITE_RE = re.compile(r"^`?([A-Za-z0-9/_. -]+?):(\d+)(?:-L?(\d+))?`?$")
ANCHOR_RE = re.compile(r"#L(\d+)(?:-L?(\d+))?$")
IDENT_RE = re.compile(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|#)[A-Za-z_$][\w$]*)*(?:\(\))?$")
HEADING_RE = re.compile(r"^#{1,6}\s")

DEFAULTS = {"density_target": 10.0, "density_share": 0.2}


@dataclass(frozen=True)
class Citation:
    page: str
    line: int
    path: str
    start: int
    end: int
    kind: str  # backtick | source | emoji | link
    raw: str
    hints: tuple[str, ...] = ()


def link_path(target: str) -> str:
    """The repository path a source link names: anchor and leading `../`/`./` dropped (the wiki sits inside the repo)."""
    path = ANCHOR_RE.sub("", target.strip().strip("<>")).split("#", 1)[0]
    path = unquote(path)
    while path.startswith(("../", "./")):
        path = path[3:] if path.startswith("../") else path[2:]
    return path.lstrip("/")


def _hints(page: Page, line_no: int, text: str, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    names = []
    for m in re.finditer(r"`([^`\n]+)`", text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        tok = m.group(1).strip()
        if IDENT_RE.match(tok) and ":" not in tok.replace("::", ""):
            names.append(re.split(r"\.|::|#", tok.removesuffix("()"))[-1])
    if not names:  # SemanticWiki puts `**Source:**` under a heading that names the symbol
        for n, t in reversed([(n, t) for n, t in page.prose if line_no - 4 <= n < line_no]):
            if HEADING_RE.match(t):
                for m in re.finditer(r"`([^`\n]+)`", t):
                    tok = m.group(1).strip()
                    if IDENT_RE.match(tok):
                        names.append(re.split(r"\.|::|#", tok.removesuffix("()"))[-1])
                break
    return tuple(names)


def extract_citations(page: Page) -> list[Citation]:
    """Every citation on a page, in reading order.

    >>> p = Page("a.md", "See `src/app.py:3-9` and 📄 [lib/x.ts:4](../lib/x.ts#L4).")
    >>> [(c.path, c.start, c.end, c.kind) for c in extract_citations(p)]
    [('src/app.py', 3, 9, 'backtick'), ('lib/x.ts', 4, 4, 'emoji')]
    """
    cached = page.__dict__.get("_citations")
    if cached is not None:
        return cached
    out: list[Citation] = []
    for n, text in page.prose:
        if "`" not in text and "#L" not in text and ":" not in text:
            continue
        spans: list[tuple[int, int]] = []
        found: list[tuple[int, Citation]] = []
        for m in MD_LINK_RE.finditer(text):
            label, target = m.group(1), m.group(2)
            anchor = ANCHOR_RE.search(target.strip().strip("<>"))
            tc = TEXT_CITE_RE.match(label.strip())
            if target.split("#", 1)[0].endswith(".md") or target.startswith(("http://", "https://", "mailto:")):
                continue
            if not anchor and not tc:
                continue
            if tc:
                path, a, b = tc.group(1).strip(), int(tc.group(2)), int(tc.group(3) or tc.group(2))
            else:
                assert anchor is not None
                path, a, b = link_path(target), int(anchor.group(1)), int(anchor.group(2) or anchor.group(1))
            prefix = text[:m.start()]
            kind = "emoji" if "📄" in prefix[-4:] else "source" if "Source:" in prefix else "link"
            spans.append((m.start(), m.end()))
            found.append((m.start(), Citation(page.path, n, path.lstrip("./") if path.startswith("./") else path,
                                              a, b, kind, m.group(0))))
        for m in BACKTICK_CITE_RE.finditer(text):
            if any(a <= m.start() < b for a, b in spans):
                continue
            a = int(m.group(2))
            found.append((m.start(), Citation(page.path, n, m.group(1), a, int(m.group(3) or a), "backtick",
                                              m.group(0))))
            spans.append((m.start(), m.end()))
        if found:
            hints = _hints(page, n, text, spans)
            found.sort(key=lambda x: x[0])
            out.extend(Citation(c.page, c.line, c.path, c.start, c.end, c.kind, c.raw, hints) for _, c in found)
    page.__dict__["_citations"] = out
    return out


def judge_citation(c: Citation, repo: RepoIndex) -> tuple[str, str] | None:
    """None when the citation is correct, else (what, why)."""
    if not repo.exists(c.path):
        return f"cited file {c.path} does not exist", f"{c.raw} names a path that is not in the repository"
    n = repo.line_count(c.path)
    if c.start < 1 or c.end < c.start or c.end > n:
        return (f"lines {c.start}-{c.end} out of range in {c.path}",
                f"{c.path} has {n} lines (start must be >= 1 and end between start and {n})")
    for name in c.hints:
        defs = [s for s in repo.symbols(c.path) if s[0] == name]
        if defs and not any(s[2] <= c.end and s[3] >= c.start for s in defs):
            where = ", ".join(f"{s[2]}-{s[3]}" for s in defs[:3])
            return (f"`{name}` misattributed to {c.path}:{c.start}-{c.end}",
                    f"{name} is defined at lines {where} of {c.path}, outside the cited range")
    return None


def check_citations(wiki: Wiki, repo: RepoIndex, cfg: dict | None = None) -> CheckResult:
    """Traceability of the wiki's source references.

    >>> from wikigym.verifier.checks._doctest import tiny_repo
    >>> w = Wiki.from_files({"a.md": "`app.py:1-2` is " + "word " * 97 + "and `app.py:1-40` is not."})
    >>> res = check_citations(w, tiny_repo({"app.py": "x = 1\\ny = 2\\n"}))
    >>> res.score, res.stats["valid"], res.stats["total"], res.findings[0].what
    (0.6, 1, 2, 'lines 1-40 out of range in app.py')
    """
    cfg = {**DEFAULTS, **(cfg or {})}
    findings: list[Finding] = []
    total = valid = exists = misattributed = 0
    kinds: dict[str, int] = {}
    pages_without = 0
    for page in wiki.pages:
        cites = extract_citations(page)
        if not cites and page.path not in ("README.md", "glossary.md"):
            pages_without += 1
        for c in cites:
            total += 1
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
            verdict = judge_citation(c, repo)
            if repo.exists(c.path):
                exists += 1
            if verdict is None:
                valid += 1
                continue
            if "misattributed" in verdict[0]:
                misattributed += 1
            findings.append(Finding(page.path, c.line, *verdict))
    words = wiki.total_words
    density = total * 1000.0 / words if words else 0.0
    if total == 0:
        findings.insert(0, Finding("", None, "no source citations",
                                   "no `path:start-end` reference anywhere; every concept must cite its source"))
        score = 0.0
    else:
        share = float(cfg["density_share"])
        score = (1 - share) * valid / total + share * min(1.0, density / float(cfg["density_target"]))
        if density < float(cfg["density_target"]):
            findings.append(Finding("", None, f"citation density {density:.1f} per 1,000 words",
                                    f"below the target of {cfg['density_target']:g} references per 1,000 words"))
    stats = {"total": total, "valid": valid, "accuracy": r6(valid / total) if total else 0.0,
             "file_existence": r6(exists / total) if total else 0.0, "misattributed": misattributed,
             "per_1000_words": r6(density), "words": words, "by_kind": dict(sorted(kinds.items())),
             "pages_without_citations": pages_without}
    return CheckResult("citations", score, findings, stats)
