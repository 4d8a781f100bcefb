"""A minimal repository snapshot for the verifier, used only when `wikigym.repos.open_repo` is not available.

It implements the subset of the `RepoSnapshot` contract the verifier reads: `.root`, `.files()`, `.all_files()`,
`.read_text(rel)`, `.lines(rel)`, `.parse(rel)` (symbols with 1-based line ranges and identifiers, from tree-sitter),
`.known_names()`, `.import_graph()` and `.central_modules(k)`. Symbols are found generically: any tree-sitter node
whose type names a definition or declaration and which has a `name` field. Imports are read with per-language line
regexes and resolved to repository files by path.

What it deliberately does not do: SemanticWiki's chunking, search indexes, git pinning (that is `wikigym.repos`).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LANG_BY_EXT = {
    ".py": "python", ".pyx": "python", ".ts": "typescript", ".tsx": "tsx", ".js": "javascript", ".jsx": "javascript",
    ".mjs": "javascript", ".cjs": "javascript", ".go": "go", ".rs": "rust", ".java": "java", ".kt": "kotlin",
    ".scala": "scala", ".rb": "ruby", ".php": "php", ".c": "c", ".h": "c", ".cpp": "cpp", ".hpp": "cpp",
    ".cc": "cpp", ".cs": "csharp", ".swift": "swift",
}
CODE_EXTS = frozenset(LANG_BY_EXT)
# SemanticWiki's indexing exclusions (spec §4).
EXCLUDED_DIRS = frozenset({"node_modules", ".git", "dist", "build", ".next", "coverage", "__pycache__", "venv",
                           ".venv", "vendor"})
_DEF_WORDS = ("definition", "declaration", "function", "method", "class", "struct", "interface", "enum", "trait",
              "impl", "module", "type_spec", "type_alias", "constructor", "field", "property")
_IMPORT_RES = {
    "python": re.compile(r"^\s*(?:from\s+([.\w]+)\s+import|import\s+([\w.]+))", re.MULTILINE),
    "js": re.compile(r"""(?:import\s[^'"]*?from\s*|import\s*\(\s*|require\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]""",
                     re.MULTILINE),
    "go": re.compile(r'^\s*(?:import\s+)?(?:\w+\s+)?"([\w./-]+)"', re.MULTILINE),
    "c": re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE),
}


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str
    start_line: int
    end_line: int
    parent: str | None = None
    signature: str = ""
    docstring: str = ""


@dataclass
class ParsedFile:
    path: str
    language: str
    symbols: list[Symbol] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    identifiers: set[str] = field(default_factory=set)


@cache
def _parser(lang: str):
    try:
        from tree_sitter_language_pack import get_parser
    except ImportError:  # pragma: no cover
        return None
    try:
        return get_parser(lang)  # type: ignore[arg-type]
    except Exception:  # a grammar the pack lacks
        return None


def _walk_symbols(root, src: bytes) -> tuple[list[Symbol], set[str]]:
    symbols: list[Symbol] = []
    idents: set[str] = set()
    stack = [(root, None)]
    while stack:
        node, parent = stack.pop()
        t = node.type
        if node.child_count == 0 and ("identifier" in t or t in ("name", "constant")):
            idents.add(src[node.start_byte:node.end_byte].decode("utf-8", "replace"))
        name_node = node.child_by_field_name("name") if any(w in t for w in _DEF_WORDS) else None
        current = parent
        if name_node is not None and name_node.end_byte - name_node.start_byte < 200:
            name = src[name_node.start_byte:name_node.end_byte].decode("utf-8", "replace")
            symbols.append(Symbol(name, t, node.start_point[0] + 1, node.end_point[0] + 1, parent))
            current = name
        for child in reversed(node.children):
            stack.append((child, current))
    symbols.sort(key=lambda s: (s.start_line, s.end_line, s.name))
    return symbols, idents


class LocalRepo:
    """A read-only view of a checkout: files, line counts, tree-sitter symbols, known names and an import graph."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        all_files: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            rel_dir = os.path.relpath(dirpath, self.root)
            for name in sorted(filenames):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
                if os.path.isfile(os.path.join(dirpath, name)):
                    all_files.append(rel)
        self._all = all_files
        self._files = [f for f in all_files
                       if not any(p in EXCLUDED_DIRS or p.startswith(".") for p in f.split("/"))]
        self._text: dict[str, str] = {}
        self._parsed: dict[str, ParsedFile | None] = {}

    @classmethod
    def from_files(cls, files: dict[str, str]) -> LocalRepo:
        """A repository held in memory (tests, doctests): path -> text.

        >>> r = LocalRepo.from_files({"app.py": "def main():\\n    return 1\\n"})
        >>> [(s.name, s.start_line, s.end_line) for s in r.parse("app.py").symbols]
        [('main', 1, 2)]
        """
        self = cls.__new__(cls)
        self.root = Path("<memory>")
        self._all = sorted(files)
        self._files = [f for f in self._all if not any(p in EXCLUDED_DIRS or p.startswith(".") for p in f.split("/"))]
        self._text = dict(files)
        self._parsed = {}
        return self

    def files(self) -> list[str]:
        return list(self._files)

    def all_files(self) -> list[str]:
        return list(self._all)

    def read_text(self, rel: str) -> str:
        if rel not in self._text:
            self._text[rel] = (self.root / rel).read_bytes().decode("utf-8", "replace")
        return self._text[rel]

    def lines(self, rel: str) -> list[str]:
        return self.read_text(rel).split("\n")

    def parse(self, rel: str) -> ParsedFile | None:
        if rel in self._parsed:
            return self._parsed[rel]
        ext = os.path.splitext(rel)[1].lower()
        lang = LANG_BY_EXT.get(ext)
        result = None
        if lang:
            parser = _parser(lang)
            if parser is not None:
                src = self.read_text(rel).encode("utf-8")
                tree = parser.parse(src)
                symbols, idents = _walk_symbols(tree.root_node, src)
                result = ParsedFile(rel, lang, symbols, self._imports(rel, lang), idents)
        self._parsed[rel] = result
        return result

    def parsed(self) -> dict[str, ParsedFile]:
        out = {}
        for rel in self._files:
            p = self.parse(rel)
            if p is not None:
                out[rel] = p
        return out

    def known_names(self) -> set[str]:
        names: set[str] = set()
        for p in self.parsed().values():
            names |= p.identifiers
            names.update(s.name for s in p.symbols)
        return names

    def _imports(self, rel: str, lang: str) -> list[str]:
        key = {"python": "python", "go": "go", "c": "c", "cpp": "c"}.get(lang, "js")
        text = self.read_text(rel)
        return [next(g for g in m.groups() if g) for m in _IMPORT_RES[key].finditer(text)]

    def _resolve_import(self, rel: str, spec: str, index: dict[str, str]) -> str | None:
        base = os.path.dirname(rel)
        cands: list[str] = []
        if spec.startswith("."):
            if "/" in spec or spec in (".", ".."):  # JS relative path
                joined = os.path.normpath(os.path.join(base, spec)).replace(os.sep, "/")
                cands += [joined] + [joined + e for e in (".ts", ".tsx", ".js", ".jsx", ".mjs", "/index.ts",
                                                          "/index.js")]
            else:  # Python relative import
                dots = len(spec) - len(spec.lstrip("."))
                up = base
                for _ in range(dots - 1):
                    up = os.path.dirname(up)
                mod = spec.lstrip(".").replace(".", "/")
                joined = f"{up}/{mod}" if up else mod
                cands += [joined + ".py", joined + "/__init__.py"]
        else:
            mod = spec.replace(".", "/") if "/" not in spec else spec
            cands += [mod + ".py", mod + "/__init__.py", spec]
            # Go package paths and bare module names: match by path suffix.
            for suffix in (mod + ".py", spec + ".go", spec):
                hit = index.get(suffix)
                if hit:
                    return hit
        for c in cands:
            c = c.lstrip("./") if c.startswith("./") else c
            if c in self._files_set:
                return c
            if c in index:
                return index[c]
        return None

    @property
    def _files_set(self) -> set[str]:
        return set(self._files)

    def import_graph(self) -> dict[str, list[str]]:
        """file -> repository files it imports (resolved by path; unresolved imports are dropped)."""
        index: dict[str, str] = {}
        for f in self._files:
            stem = os.path.splitext(f)[0]
            parts = stem.split("/")
            for i in range(len(parts)):
                index.setdefault("/".join(parts[i:]), f)
                index.setdefault("/".join(f.split("/")[i:]), f)
            d = os.path.dirname(f)
            if d and f.endswith(".go"):
                dparts = d.split("/")
                for i in range(len(dparts)):
                    index.setdefault("/".join(dparts[i:]), f)
        graph: dict[str, list[str]] = {}
        for rel, p in self.parsed().items():
            targets = []
            for spec in p.imports:
                hit = self._resolve_import(rel, spec, index)
                if hit and hit != rel and hit not in targets:
                    targets.append(hit)
            graph[rel] = targets
        return graph

    def central_modules(self, k: int) -> list[str]:
        """The k most important code files: import in-degree first, then size (log lines), then path."""
        graph = self.import_graph()
        indeg = {f: 0 for f in graph}
        for targets in graph.values():
            for t in targets:
                if t in indeg:
                    indeg[t] += 1
        scored = []
        for f in graph:
            if os.path.splitext(f)[1].lower() not in CODE_EXTS:
                continue
            size = len(self.lines(f))
            scored.append((-(indeg[f] + 0.5 * math.log2(1 + size)), f))
        scored.sort()
        return [f for _, f in scored[:k]]
