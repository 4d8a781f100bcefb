"""A wiki held in memory and parsed once: pages, frontmatter, fences, Mermaid blocks, inline code, links, words.

Every check reads these parsed pages instead of re-scanning the text, which keeps full verification fast enough to
score thousands of rollouts. A wiki comes from a directory (`Wiki.from_dir`: every `*.md` file, dot-directories
skipped, like SemanticWiki's own scan) or from a dict of files (`Wiki.from_files`: a trajectory's `wiki` field).
Page order is SemanticWiki's: depth-first, entries in byte order. Paths that would leave the wiki (absolute, `..`)
are kept aside in `Wiki.outside` for the reward's gate, never read as pages.

What it does not do: judge anything (the checks do), or follow symlinks: a symlinked page or directory that leads
out of the wiki directory is not read but listed in `Wiki.outside` (its content lives outside the wiki, so the gate
applies); one that stays inside is skipped (the real file is read once, under its own path).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from wikigym.errors import WikiDirError
from wikigym.tools.search.jsstr import JS_WHITESPACE  # String.prototype.trim's set, not str.strip's

try:  # the C loader is ~10x faster; fall back where libyaml is missing
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader

FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
INLINE_CODE_RE = re.compile(r"`([^`\n]+)`")
WORD_RE = re.compile(r"\S+")
H1_RE = re.compile(r"^# \S")
# SemanticWiki's link regexes (verifyWikiCompleteness): [text](target) and [[Page]] / [[path|Label]].
MD_LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
WIKI_LINK_RE = re.compile(r"\[\[([^\]|]+)(?:\|[^\]]+)?\]\]")


@dataclass(frozen=True)
class Block:
    """A fenced code block: `start` is the fence's 1-based line, `lang` its info word, `code` the inside."""

    start: int
    end: int | None
    lang: str
    code: str


@dataclass
class Page:
    """One wiki page, parsed lazily. `lines` holds the whole file; `body_start` is the first line after frontmatter."""

    path: str
    text: str
    lines: list[str] = field(init=False)
    frontmatter: dict[str, Any] | None = field(init=False, default=None)
    frontmatter_error: str | None = field(init=False, default=None)
    body_start: int = field(init=False, default=1)

    def __post_init__(self) -> None:
        self.lines = self.text.split("\n")
        self._parse_frontmatter()

    def _parse_frontmatter(self) -> None:
        if not self.lines or self.lines[0].rstrip("\r") != "---":
            return
        for i in range(1, len(self.lines)):
            if self.lines[i].rstrip("\r") == "---":
                raw = "\n".join(self.lines[1:i])
                self.body_start = i + 2
                try:
                    data = yaml.load(raw, Loader=_YamlLoader) if raw.strip() else {}
                except yaml.YAMLError as e:
                    self.frontmatter_error = str(e).splitlines()[0]
                    self.frontmatter = {}
                    return
                self.frontmatter = data if isinstance(data, dict) else {}
                if not isinstance(data, dict):
                    self.frontmatter_error = "frontmatter is not a mapping"
                return

    @cached_property
    def _scan(self) -> tuple[list[bool], list[Block], bool]:
        """(code mask per line index, fenced blocks, ends inside an unclosed fence)."""
        mask = [False] * len(self.lines)
        blocks: list[Block] = []
        fence: str | None = None
        start = 0
        lang = ""
        body: list[str] = []
        for i in range(self.body_start - 1, len(self.lines)):
            line = self.lines[i]
            if fence is None:
                m = FENCE_RE.match(line)
                if m:
                    fence, start, lang, body = m.group(1), i + 1, m.group(2).lower(), []
                    mask[i] = True
                continue
            mask[i] = True
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) <= {fence[0]}:
                blocks.append(Block(start, i + 1, lang, "\n".join(body)))
                fence = None
            else:
                body.append(line)
        unclosed = fence is not None
        if unclosed:
            blocks.append(Block(start, None, lang, "\n".join(body)))
        return mask, blocks, unclosed

    @property
    def blocks(self) -> list[Block]:
        return self._scan[1]

    @property
    def unclosed_fence(self) -> bool:
        return self._scan[2]

    @cached_property
    def mermaid(self) -> list[Block]:
        return [b for b in self.blocks if b.lang == "mermaid"]

    @cached_property
    def prose(self) -> list[tuple[int, str]]:
        """(1-based line number, text) of body lines outside code fences."""
        mask = self._scan[0]
        return [(i + 1, self.lines[i]) for i in range(self.body_start - 1, len(self.lines)) if not mask[i]]

    @cached_property
    def words(self) -> int:
        return sum(len(WORD_RE.findall(t)) for _, t in self.prose)

    @cached_property
    def inline_code(self) -> list[tuple[int, int, str]]:
        """(line, column, content) of every backticked span in prose."""
        out = []
        for n, t in self.prose:
            if "`" in t:
                out.extend((n, m.start(), m.group(1)) for m in INLINE_CODE_RE.finditer(t))
        return out

    @cached_property
    def h1_lines(self) -> list[int]:
        return [n for n, t in self.prose if H1_RE.match(t)]

    @cached_property
    def body_text(self) -> str:
        return "\n".join(self.lines[self.body_start - 1:])

    @cached_property
    def links(self) -> list[tuple[str, str]]:
        """(link text, target) in SemanticWiki's order: all `[t](x)` links, then all `[[x]]` links (+ `.md`).

        Like SemanticWiki this scans the raw file, fenced blocks and frontmatter included.
        """
        out = [(m.group(1), m.group(2)) for m in MD_LINK_RE.finditer(self.text)]
        for m in WIKI_LINK_RE.finditer(self.text):
            target = m.group(1).strip(JS_WHITESPACE)
            out.append((target, target if target.endswith(".md") else f"{target}.md"))
        return out

    def line_of(self, offset: int) -> int:
        """1-based line of a character offset in `text`."""
        return self.text.count("\n", 0, offset) + 1


def _page_sort_key(path: str) -> list[bytes]:
    # readdir order is byte order, and the scan is depth-first: sorting by path segments reproduces it.
    return [seg.encode("utf-8", "surrogatepass") for seg in path.split("/")]


def _is_outside(rel: str) -> bool:
    norm = rel.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:/", norm):
        return True
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    depth = 0
    for p in parts:
        depth += -1 if p == ".." else 1
        if depth < 0:
            return True
    return False


def _normalize(rel: str) -> str:
    parts: list[str] = []
    for p in rel.replace("\\", "/").split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/".join(parts)


class Wiki:
    """The pages of one wiki, in SemanticWiki's scan order. `outside` lists paths that escaped the wiki root."""

    def __init__(self, pages: list[Page], outside: list[str] | None = None, root: Path | None = None):
        self.pages = sorted(pages, key=lambda p: _page_sort_key(p.path))
        self.by_path = {p.path: p for p in self.pages}
        self.outside = list(outside or [])
        self.root = root

    @classmethod
    def from_files(cls, files: dict[str, str]) -> Wiki:
        """Pages from a mapping of wiki-relative path -> content (only `*.md` paths outside dot-directories count).

        >>> w = Wiki.from_files({"README.md": "# Home", "../x.md": "escaped", "notes.txt": "no"})
        >>> [p.path for p in w.pages], w.outside
        (['README.md'], ['../x.md'])
        """
        pages, outside = [], []
        for rel, text in files.items():
            if _is_outside(rel):
                outside.append(rel)
                continue
            norm = _normalize(rel)
            segs = norm.split("/")
            if not norm.endswith(".md") or any(s.startswith(".") for s in segs[:-1]):
                continue
            pages.append(Page(norm, text))
        return cls(pages, outside)

    @classmethod
    def from_dir(cls, root: Path) -> Wiki:
        """Read every `*.md` page under `root` (regular files only; dot-directories skipped, as SemanticWiki does)."""
        root = Path(root)
        if not root.is_dir():
            raise WikiDirError(f"wiki directory {root} does not exist or is not a directory; pass the directory "
                               f"`semanticwiki generate -o` wrote")
        pages, outside = [], []
        real_root = root.resolve()

        def leads_out(link: str) -> bool:
            target = Path(os.path.realpath(link))
            return target != real_root and real_root not in target.parents

        for dirpath, dirnames, filenames in os.walk(root):
            kept = []
            for d in dirnames:
                full = os.path.join(dirpath, d)
                if d.startswith("."):
                    continue
                if os.path.islink(full):
                    if leads_out(full):
                        outside.append(os.path.relpath(full, root).replace(os.sep, "/") + "/")
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in filenames:
                full = os.path.join(dirpath, name)
                if not name.endswith(".md"):
                    continue
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                if os.path.islink(full):
                    if leads_out(full):
                        outside.append(rel)
                    continue
                if not os.path.isfile(full):
                    continue
                with open(full, encoding="utf-8", errors="replace", newline="") as f:
                    pages.append(Page(rel, f.read()))
        return cls(pages, outside, root=root)

    def files(self) -> dict[str, str]:
        return {p.path: p.text for p in self.pages}

    @property
    def total_words(self) -> int:
        return sum(p.words for p in self.pages)
