"""Tool names, argument shapes and output parsers for SemanticWiki's two name sets, as the teacher uses them.

`direct` mode offers bare names (`read_file`, `write_wiki_page` with top-level `description`/`sources`);
`sdk` mode offers `mcp__semanticwiki__*` (write takes `frontmatter: {description, sources, related}`) and
`mcp__filesystem__*` (read/list/tree of the repository). The parsers read the exact strings SemanticWiki's tools
return (see the conformance goldens): search results, completeness reports in both variants, page listings, tree
listings, and which outputs are errors.

What it deliberately does not do: run tools or decide what to call.

Example:
    >>> ToolNames("sdk").write
    'mcp__semanticwiki__write_wiki_page'
    >>> parse_search("**Source:** `src/a.ts:1-12`\\n")
    [('src/a.ts', 1, 12)]
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any

SW, FS = "mcp__semanticwiki__", "mcp__filesystem__"
_TREE_EXCLUDES = ["node_modules", ".git", "dist", "build", "__pycache__", ".venv", "venv", "coverage"]


@dataclass(frozen=True)
class ToolNames:
    mode: str

    def _sw(self, name: str) -> str:
        return SW + name if self.mode == "sdk" else name

    def _fs(self, name: str) -> str:
        return FS + name if self.mode == "sdk" else name

    @property
    def read(self) -> str:
        return self._fs("read_file")

    @property
    def list_dir(self) -> str:
        return self._fs("list_directory")

    @property
    def tree(self) -> str:
        return self._fs("directory_tree")

    @property
    def search(self) -> str:
        return self._sw("search_codebase")

    @property
    def analyze(self) -> str:
        return self._sw("analyze_code_structure")

    @property
    def write(self) -> str:
        return self._sw("write_wiki_page")

    @property
    def verify(self) -> str:
        return self._sw("verify_wiki_completeness")

    @property
    def list_pages(self) -> str:
        return self._sw("list_wiki_pages")

    # -- argument shapes -----------------------------------------------------------------------------------------
    def tree_args(self, depth: int = 3) -> dict[str, Any]:
        if self.mode == "sdk":
            return {"path": ".", "excludePatterns": list(_TREE_EXCLUDES)}
        return {"path": "", "depth": depth}

    def list_args(self, path: str) -> dict[str, Any]:
        return {"path": path or ("." if self.mode == "sdk" else "")}

    def read_args(self, path: str) -> dict[str, Any]:
        return {"path": path}

    def search_args(self, query: str, k: int) -> dict[str, Any]:
        return {"query": query, "maxResults": k}

    def analyze_args(self, path: str) -> dict[str, Any]:
        return {"filePath": path}

    def write_args(self, page: str, title: str, content: str, description: str, sources: list[str],
                   related: list[str]) -> dict[str, Any]:
        # Direct mode: always pass description and sources (SemanticWiki's direct write fails without them).
        if self.mode == "sdk":
            fm: dict[str, Any] = {"description": description, "sources": list(sources)}
            if related:
                fm["related"] = list(related)
            return {"pagePath": page, "title": title, "content": content, "frontmatter": fm}
        return {"pagePath": page, "title": title, "content": content, "description": description,
                "sources": list(sources)}

    def matches(self, offered: list[str]) -> bool:
        """Whether the offered tool names contain this name set's write tool."""
        return self.write in offered


_ERROR_PREFIXES = ("Error:", "Error executing", "MCP error", "File not found", "Failed to", "Access denied",
                   "Analysis error", "Search error", "Verification error", "Error listing", "<tool_use_error>",
                   "Parent directory does not exist")


def is_error(text: str, flagged: bool = False) -> bool:
    return flagged or text.lstrip().startswith(_ERROR_PREFIXES)


def result_text(content: Any) -> str:
    """The text of a tool_result block's content (a string or a list of text blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return "" if content is None else str(content)


_SOURCE = re.compile(r"\*\*Source:\*\* `([^`]+?):(\d+)-(\d+)`")


def parse_search(text: str) -> list[tuple[str, int, int]]:
    """`(path, start, end)` per search result, in rank order."""
    return [(m.group(1), int(m.group(2)), int(m.group(3))) for m in _SOURCE.finditer(text)]


def parse_verify(text: str) -> tuple[int | None, list[tuple[str, str]]]:
    """(broken link count, [(target as written, source page)]) from either completeness report variant."""
    m = re.search(r"Broken links:\*?\*?\s*(\d+)", text)
    count = int(m.group(1)) if m else None
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():  # direct: "- <target> (referenced from <source>)"
        d = re.match(r"^- (.+) \(referenced from (.+)\)$", line)
        if d:
            pairs.append((d.group(1), d.group(2)))
    target = None
    for line in text.splitlines():  # sdk: "### <target>" then "- `<source>` (link text: ...)"
        h = re.match(r"^### (.+)$", line)
        if h:
            target = h.group(1)
            continue
        s = re.match(r"^- `([^`]+)` \(link text:", line)
        if s and target is not None:
            pairs.append((target, s.group(1)))
    return count, pairs


def parse_page_list(text: str) -> list[str]:
    """Page paths from `list_wiki_pages` (direct `- path`, sdk ``- `path` - title``)."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^- `([^`]+)` - ", line) or re.match(r"^- (\S.*\.md)$", line)
        if m:
            out.append(m.group(1))
    return out


def parse_tree(text: str) -> list[tuple[str, bool]]:
    """(path, is_dir) entries from a directory tree (direct ASCII connectors or the filesystem server's JSON)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except ValueError:
            return []
        out: list[tuple[str, bool]] = []

        def walk(items: list[dict[str, Any]], prefix: str) -> None:
            for it in items:
                path = f"{prefix}{it.get('name', '')}"
                is_dir = it.get("type") == "directory"
                out.append((path, is_dir))
                if is_dir:
                    walk(it.get("children") or [], path + "/")

        walk(data, "")
        return out
    out = []
    stack: list[str] = []
    entries = [line for line in text.split("\n") if line.strip()]
    for i, line in enumerate(entries):
        m = re.match(r"^((?:│   |    )*)(?:├── |└── )(.*)$", line)
        if not m:
            continue
        depth = len(m.group(1)) // 4
        stack = stack[:depth] + [m.group(2)]
        nxt = entries[i + 1] if i + 1 < len(entries) else ""
        nm = re.match(r"^((?:│   |    )*)(?:├── |└── )", nxt)
        is_dir = bool(nm) and len(nm.group(1)) // 4 > depth
        out.append(("/".join(stack), is_dir))
    return out


def parse_list_dir(text: str) -> list[tuple[str, bool]]:
    out = []
    for line in text.splitlines():
        m = re.match(r"^\[(DIR|FILE)\] (.+)$", line)
        if m:
            out.append((m.group(2), m.group(1) == "DIR"))
    return out


def parse_missing_prompt(prompt: str) -> list[str]:
    """Pages a continuation prompt asks for (`- <page>` bullet lines ending in .md)."""
    return [m.group(1).strip() for m in re.finditer(r"^- (\S[^\n]*?\.md)\s*$", prompt, re.MULTILINE)]


def parse_update_prompt(prompt: str) -> tuple[list[str], list[str]] | None:
    """(pages to update, pages to create) from an update-wiki prompt, or None when `prompt` is not one.

    Both SemanticWiki's and wikigym's prompts list them under `### Wiki Pages to Update` and
    `### New Wiki Pages to Create`.
    """
    sections: dict[str, list[str]] = {}
    current = None
    for line in prompt.splitlines():
        h = re.match(r"^#{2,4}\s+(.*\S)\s*$", line)
        if h:
            current = h.group(1).lower()
            sections.setdefault(current, [])
            continue
        b = re.match(r"^- `?([^`]+?\.md)`?\s*$", line)
        if b and current is not None:
            sections[current].append(b.group(1))
    update = next((v for k, v in sections.items() if "pages to update" in k), None)
    create = next((v for k, v in sections.items() if "pages to create" in k), None)
    if update is None and create is None:
        return None
    return update or [], create or []


def resolve(source_page: str, target: str) -> str:
    """A link target as written on `source_page`, as a wiki-root-relative path."""
    target = target.split("#")[0]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_page), target)).lstrip("/")
