"""Parsers for SemanticWiki's local page-by-page prompts (planner, page, index), in both wordings.

`--full-local` (SemanticWiki's `generateWikiLocalPageByPage`, spec §3.3-3.4) asks three kinds of single-turn
questions without tools. wikigym renders them from its own prompt set (`wikigym.yaml`) or from SemanticWiki's text
(`--prompts-from`); the two wordings differ but carry the same data, which these parsers read:

- planner: the `path (ext, small|medium|large)` file list and the required page range;
- page: the title (`# ...: "<title>"`), the page type, the pasted source blocks (`### File: path`,
  `### <kind>: <name> (path:start)` or `### path:start-end`, each followed by a fence) and the related-page links;
- index: the project name and the `- [Title](./file.md) - type` page list.

`detect_local_task` says which of the three a prompt is, from its structure (a page prompt may paste code that
mentions "projectType", so the checks look at the prompt's own frame, not at any substring).

What it deliberately does not do: read files or decide what to write (see `local_plan`, `local_page`,
`local_index`).

Example:
    >>> parse_plan_prompt("- **Pages required: 6-16** (from the size)\\n\\nsrc/a.py (.py, small)\\n").min_pages
    6
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The planner's file list: `path (ext, size)`; the path may contain spaces or parentheses.
_FILE_LINE = re.compile(r"^(?P<path>\S.*) \((?P<ext>\.[^,()\s]*), (?P<size>small|medium|large)\)$")
_PAGE_RANGE = re.compile(r"(?:Pages required|Required pages):\s*(\d+)\s*-\s*(\d+)", re.IGNORECASE)
_PLAN_OF = re.compile(r"\b(?:plan of|plan with)\s+(\d+)\s*-\s*(\d+)\s+pages", re.IGNORECASE)
_AT_LEAST = re.compile(r"\b(?:at least|minimum)\s+(\d+)\s+pages", re.IGNORECASE)

# Page prompt: the source blocks' headers (SemanticWiki's RAG chunks and its file fallback).
_HDR_FILE = re.compile(r"^### File: (?P<path>\S.*?)\s*$")
_HDR_NAMED = re.compile(r"^### (?P<kind>[^:\n]{1,40}): (?P<name>.+) \((?P<path>[^()\n]+):(?P<start>\d+)\)\s*$")
_HDR_RANGE = re.compile(r"^### (?P<path>[^\s:][^:\n]*):(?P<start>\d+)-(?P<end>\d+)\s*$")
_TITLE_LINE = re.compile(r'^#\s+[^"\n]*"(?P<title>.*)"\s*$')
_TITLE_START = re.compile(r"(?:Start|Begin) with `#\s+(?P<title>[^`\n]+)`")
_PAGE_TYPE = re.compile(r"(?:Document this|documenting an?|You are documenting an?)\s+(?P<type>[A-Za-z-]+)\b")
_LINK_LINE = re.compile(r"^-\s+\[(?P<title>[^\]\n]+)\]\((?P<target>[^)\s]+)\)\s*$")
_SOURCE_STARTS = ("## Source code", "## Source Code Context", "## Source Code")
_REQUIREMENT_HEADS = ("\n## What the page must contain", "\n## Documentation Requirements")

# Index prompt.
_PROJECT = re.compile(r"^Project:\s*(?P<name>.+?)\s*$", re.MULTILINE)
_INDEX_LINK = re.compile(r"^-\s+\[(?P<title>[^\]\n]+)\]\((?:\./)?(?P<file>[^)\s]+)\)\s+-\s+(?P<type>[\w-]+)\s*$",
                         re.MULTILINE)


@dataclass(frozen=True)
class ListedFile:
    path: str
    ext: str
    size: str  # small | medium | large


@dataclass
class PlanPrompt:
    files: list[ListedFile]
    min_pages: int
    max_pages: int


@dataclass
class SourceBlock:
    """One pasted block: its header's path and first line, and the prompt lines after its opening fence.

    `lines` runs to the next header or the end of the source section, so it also holds the closing fence and any
    truncation marker; the page writer keeps only the lines that match the file.
    """

    path: str
    start: int
    lines: list[str]
    name: str = ""
    kind: str = ""
    end: int | None = None


@dataclass
class PagePrompt:
    title: str
    page_type: str
    blocks: list[SourceBlock] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)  # (title, target as written)
    related_heading: str = "Related Documentation"


@dataclass
class IndexPrompt:
    project: str
    pages: list[tuple[str, str, str]]  # (title, filename, type)


def parse_plan_prompt(prompt: str) -> PlanPrompt:
    """The planner prompt's file list and page range (5-15 when the prompt states none)."""
    files = []
    seen: set[str] = set()
    for line in prompt.split("\n"):
        m = _FILE_LINE.match(line.rstrip("\r"))
        if m and m.group("path") not in seen:
            seen.add(m.group("path"))
            files.append(ListedFile(m.group("path"), m.group("ext"), m.group("size")))
    m = _PAGE_RANGE.search(prompt) or _PLAN_OF.search(prompt)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
    else:
        least = _AT_LEAST.search(prompt)
        lo = int(least.group(1)) if least else 5
        hi = lo + 10
    return PlanPrompt(files=files, min_pages=lo, max_pages=max(lo, hi))


def _header(line: str) -> tuple[str, int, str, str, int | None] | None:
    m = _HDR_FILE.match(line)
    if m:
        return m.group("path"), 1, "", "", None
    m = _HDR_RANGE.match(line)
    if m:
        return m.group("path").strip(), int(m.group("start")), "", "", int(m.group("end"))
    m = _HDR_NAMED.match(line)
    if m:
        return m.group("path").strip(), int(m.group("start")), m.group("name").strip(), m.group("kind").strip(), None
    return None


def _source_section(prompt: str) -> str:
    start = min((i for i in (prompt.find(s) for s in _SOURCE_STARTS) if i >= 0), default=0)
    ends = [prompt.rfind(h) for h in _REQUIREMENT_HEADS]
    end = max(ends)
    if end <= start:
        end = prompt.rfind("\n### 1.")
    if end <= start:
        end = len(prompt)
    return prompt[start:end]


def parse_source_blocks(section: str) -> list[SourceBlock]:
    """Every pasted block in a page prompt's source section, in prompt order."""
    lines = [ln.rstrip("\r") for ln in section.split("\n")]
    heads = [(i, h) for i, ln in enumerate(lines) if ln.startswith("### ") and (h := _header(ln)) is not None]
    blocks = []
    for k, (i, (path, start, name, kind, end)) in enumerate(heads):
        stop = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        # The opening fence follows the header after optional **Documentation:** / **Signature:** lines.
        fence = next((j for j in range(i + 1, min(stop, i + 12)) if lines[j].startswith("```")), None)
        if fence is None:
            continue
        blocks.append(SourceBlock(path=path, start=start, lines=lines[fence + 1:stop], name=name, kind=kind, end=end))
    return blocks


def parse_page_prompt(prompt: str) -> PagePrompt:
    """Title, page type, source blocks and related links of a page prompt (either wording)."""
    first = prompt.lstrip().split("\n", 1)[0]
    m = _TITLE_LINE.match(first)
    title = m.group("title") if m else ""
    if not title:
        m2 = _TITLE_START.search(prompt)
        title = m2.group("title").strip() if m2 else "Documentation"
    head = prompt[:600]
    mt = _PAGE_TYPE.search(head)
    page_type = mt.group("type").lower() if mt else "module"
    blocks = parse_source_blocks(_source_section(prompt))
    related: list[tuple[str, str]] = []
    heading = "Related Documentation"
    at = prompt.rfind("### 4.")
    if at >= 0:
        tail = prompt[at:]
        mh = re.match(r"### 4\.\s*(?P<h>[^\n(]+)", tail)
        if mh:
            heading = mh.group("h").strip()
        for line in tail.split("\n")[1:]:
            ml = _LINK_LINE.match(line.strip())
            if ml:
                related.append((ml.group("title"), ml.group("target")))
            elif line.startswith("## "):
                break
    return PagePrompt(title=title, page_type=page_type, blocks=blocks, related=related, related_heading=heading)


def parse_index_prompt(prompt: str) -> IndexPrompt:
    m = _PROJECT.search(prompt)
    pages = [(mm.group("title"), mm.group("file"), mm.group("type").lower()) for mm in _INDEX_LINK.finditer(prompt)]
    return IndexPrompt(project=m.group("name") if m else "Project", pages=pages)


def detect_local_task(prompt: str) -> str | None:
    """`plan`, `page`, `index`, or None for any other prompt.

    Example:
        >>> detect_local_task('# Documentation Task: "Auth"\\n... 📄 [a.ts:1](../a.ts#L1)')
        'page'
    """
    text = prompt.lstrip()
    first = text.split("\n", 1)[0]
    if _TITLE_LINE.match(first) and "📄" in text:
        return "page"
    opening = " ".join(text.split("\n", 3)[:3]).lower()
    if "index page" in opening and _INDEX_LINK.search(text):
        return "index"
    if '"projectType"' in text and '"pages"' in text:
        return "plan"
    return None
