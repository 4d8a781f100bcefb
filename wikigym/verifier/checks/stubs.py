"""stubs: pages that are not really written: under a word floor, placeholders, truncation markers.

A page is a stub when its prose (frontmatter and code fences excluded) has fewer words than the floor (`min_words`;
`hub_min_words` for README.md), or its prose holds a placeholder (TODO, TBD, FIXME, "lorem ipsum", "coming soon",
a line that is only "..." / "…" / "[...]"), or its text anywhere holds a truncation marker ("... truncated",
"[truncated]", "(truncated)", "<truncated"). SemanticWiki's own compact search cuts snippets with
`// ... truncated`, so a page that pastes such a snippet is flagged too. Score = 1 - stub pages / pages.
"""

from __future__ import annotations

import re

from wikigym.verifier.model import CheckResult, Finding
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.wiki import Wiki

PLACEHOLDER_RE = re.compile(r"\b(TODO|TBD|FIXME|XXX)\b|lorem ipsum|coming soon|to be (?:written|documented|added)",
                            re.IGNORECASE)
ELLIPSIS_LINE_RE = re.compile(r"^\s*(?:[-*|]\s*)?(?:\.\.\.|…|\[\.\.\.\]|\(\.\.\.\))\s*\|?\s*$")
TRUNCATED_RE = re.compile(r"(?:\.\.\.|…)\s*\[?\(?truncated|\[truncated|\(truncated|<truncated|truncated\s*(?:\.\.\.|…)",
                          re.IGNORECASE)
DEFAULTS = {"min_words": 150, "hub_min_words": 40}


def check_stubs(wiki: Wiki, repo: RepoIndex | None = None, cfg: dict | None = None) -> CheckResult:
    """Share of pages that are fully written.

    >>> w = Wiki.from_files({"a.md": "word " * 200, "b.md": "TODO: write this", "c.md": ("word " * 200) + "\\n..."})
    >>> res = check_stubs(w)
    >>> res.score, sorted({f.page for f in res.findings})
    (0.333333, ['b.md', 'c.md'])
    """
    cfg = {**DEFAULTS, **(cfg or {})}
    findings: list[Finding] = []
    stub_pages = 0
    for p in wiki.pages:
        reasons: list[Finding] = []
        floor = int(cfg["hub_min_words"] if p.path == "README.md" else cfg["min_words"])
        if p.words < floor:
            reasons.append(Finding(p.path, None, f"stub: {p.words} words",
                                   f"under the floor of {floor} words of prose"))
        prose_hit = PLACEHOLDER_RE.search(p.body_text) or "..." in p.body_text or "…" in p.body_text
        for n, text in (p.prose if prose_hit else ()):
            m = PLACEHOLDER_RE.search(text)
            if m:
                reasons.append(Finding(p.path, n, f"placeholder {m.group(0)!r}", "unfinished content left in the page"))
            elif ELLIPSIS_LINE_RE.match(text):
                reasons.append(Finding(p.path, n, "placeholder '...'", "a line that only says '...' is elided content"))
        lines = p.lines[p.body_start - 1:] if TRUNCATED_RE.search(p.body_text) else []
        for i, line in enumerate(lines, start=p.body_start):
            m = TRUNCATED_RE.search(line)
            if m:
                reasons.append(Finding(p.path, i, f"truncation marker {m.group(0)!r}",
                                       "the page (or a snippet pasted into it) was cut off"))
        if reasons:
            stub_pages += 1
            findings.extend(reasons)
    n = len(wiki.pages)
    score = 1 - stub_pages / n if n else 0.0
    return CheckResult("stubs", score, findings, {"pages": n, "stub_pages": stub_pages,
                                                  "min_words": cfg["min_words"]})
