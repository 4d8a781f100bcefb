"""What the scripted teacher knows about a repository: files, symbols, import edges, call sites, entry points.

`RepoFacts` is a read-only view over a `wikigym.repos.RepoSnapshot` shaped for page planning and writing: symbols with
1-based inclusive line ranges, a file-level import graph restricted to the repository, "who imports whom" in reverse,
module docstrings, and call sites between top-level definitions (a name followed by `(` inside a definition's lines,
resolved to a definition in the same file or in a file it imports). Everything is computed once and lazily, with
sorted iteration everywhere so that a seed alone decides an episode.

What it deliberately does not do: read the wiki, run tools, or decide what to cite. Line ranges here come from the
snapshot; the writer re-checks every cited range against the text a `read_file` call actually returned.

Example:
    >>> from wikigym.repos import open_repo, example_repo_path  # doctest: +SKIP
    >>> facts = RepoFacts(open_repo(example_repo_path()))  # doctest: +SKIP
    >>> facts.code_files()[:2]  # doctest: +SKIP
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

# Extension -> fenced-block language tag (what SemanticWiki's prompt asks for: "correct language identifier").
FENCE_LANGUAGE: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx", ".js": "javascript", ".jsx": "jsx", ".mjs": "javascript", ".cjs": "javascript", ".go": "go",
    ".rs": "rust", ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".rb": "ruby",
    ".php": "php", ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".hpp": "cpp", ".cs": "csharp",
    ".swift": "swift", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".sh": "bash",
    ".sql": "sql", ".vue": "vue", ".svelte": "svelte", ".cbl": "cobol", ".cob": "cobol", ".cpy": "cobol",
    ".md": "markdown",
}  # fmt: skip
LANGUAGE_NAME: dict[str, str] = {
    "python": "Python", "typescript": "TypeScript", "tsx": "TypeScript (TSX)", "javascript": "JavaScript",
    "jsx": "JavaScript (JSX)", "go": "Go", "rust": "Rust", "java": "Java", "kotlin": "Kotlin", "scala": "Scala",
    "ruby": "Ruby", "php": "PHP", "c": "C", "cpp": "C++", "csharp": "C#", "swift": "Swift", "cobol": "COBOL",
    "vue": "Vue", "svelte": "Svelte", "sql": "SQL", "bash": "Shell",
}  # fmt: skip
CODE_TAGS = frozenset(LANGUAGE_NAME)

# The verifier's traceability regex only matches paths made of these characters: cite nothing else.
CITABLE_PATH = re.compile(r"^[A-Za-z0-9/_.-]+$")
# What the verifier (and a reader) takes for a cut-off page; quoted text must not look like that.
TRUNCATION_MARK = re.compile(
    r"(?:\.\.\.|…)\s*\[?\(?truncated|\[truncated|\(truncated|<truncated|truncated\s*(?:\.\.\.|…)", re.IGNORECASE)
_TEST_PART = re.compile(r"^(tests?|__tests__|spec|specs|testing|e2e|__mocks__|fixtures?)$")
_TEST_NAME = re.compile(r"(^test_.*\.(py|rb|c|cc|cpp)$|_test\.(py|go|c|cc|cpp|rb)$|\.(test|spec)\.[jt]sx?$|^conftest\.py$|"
                        r"Tests?\.(java|kt|cs|php)$|_spec\.rb$|^tests?\.(c|cc|cpp|go|rs|py|js|ts|rb)$)")
_NON_SOURCE_PART = re.compile(r"^(docs?|examples?|samples?|benchmarks?|scripts?|tools?-?scripts|site|website|fuzz|"
                              r"fuzzing)$")
_PEER_LANGUAGES = frozenset({"go", "java", "kotlin", "csharp", "php", "ruby"})
_PACKAGE_IMPORT_LANGUAGES = frozenset({"go", "java", "kotlin", "csharp"})
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENTRY_STEMS = ("__main__", "main", "cli", "app", "index", "server", "run", "cmd")
_COMMON_CALLEES = frozenset(
    [
        "print", "len", "str", "int", "dict", "list", "set", "tuple", "range", "open", "super", "isinstance",
        "getattr", "setattr", "hasattr", "type", "format", "sorted", "map", "filter", "zip", "enumerate", "min", "max",
        "sum", "any", "all", "repr", "bool", "float", "iter", "next", "append", "extend", "get", "items", "keys",
        "values", "join", "split", "strip", "replace", "require", "console", "log", "error", "push", "new", "return",
        "if", "for", "while", "switch", "catch", "make", "panic", "fmt", "string", "Println", "Printf", "Sprintf",
        "Errorf"
    ]
)


@dataclass(frozen=True)
class Sym:
    """One definition, 1-based inclusive lines, normalised kind (class, interface, type, function, method, other)."""

    name: str
    kind: str
    path: str
    start: int
    end: int
    parent: str | None = None
    signature: str = ""
    doc: str = ""

    @property
    def span(self) -> int:
        return self.end - self.start + 1

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.path, self.start, self.name)


@dataclass(frozen=True)
class CallSite:
    """`caller` calls `callee` on `line` of the caller's file."""

    caller: Sym
    callee: Sym
    line: int


@dataclass
class FileFacts:
    path: str
    tag: str  # fenced-block language tag, "" when unknown
    n_lines: int
    symbols: list[Sym] = field(default_factory=list)
    doc: str = ""


# COBOL's units keep their own kinds: a paragraph or section is PERFORMed (a callable), a program is CALLed.
COBOL_KINDS = {"program": "program", "paragraph": "paragraph", "section": "section", "data": "data",
               "constant": "constant"}
CALLABLE_KINDS = ("function", "method", "paragraph", "section")
_COBOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_PERFORM = re.compile(r"\bPERFORM\s+([A-Za-z0-9][A-Za-z0-9_-]*)(?:\s+(?:THRU|THROUGH)\s+([A-Za-z0-9][A-Za-z0-9_-]*))?",
                      re.IGNORECASE)
_COBOL_CALL = re.compile(r"\bCALL\s+[\"']([A-Za-z0-9][A-Za-z0-9_-]*)[\"']", re.IGNORECASE)
_PERFORM_NOT_NAMES = frozenset({"UNTIL", "VARYING", "WITH", "TEST", "FOREVER", "TIMES"})


def normalise_kind(kind: str, parent: str | None, language: str = "") -> str:
    k = (kind or "").lower()
    if language == "cobol":
        return COBOL_KINDS.get(k, "other")
    if language == "ruby" and k == "module":  # a Ruby module holds methods and constants, like a class
        return "module"
    if language == "rust" and k == "macro":  # `macro_rules!`: public API of many crates (anyhow!, bail!)
        return "macro"
    for word, norm in (("interface", "interface"), ("class", "class"), ("struct", "type"), ("enum", "type"),
                       ("trait", "interface"), ("type", "type"), ("method", "method"), ("constructor", "method"),
                       ("func", "function"), ("def", "function"), ("arrow", "function")):
        if word in k:
            return "method" if norm == "function" and parent else norm
    return "other"


_FENCE_BY_NAME = {"go.mod": "go", "go.sum": "text", "makefile": "makefile", "dockerfile": "dockerfile",
                  "gemfile": "ruby", "rakefile": "ruby", "cmakelists.txt": "cmake"}


def fence_tag(path: str) -> str:
    """The fenced-block language of a file; `text` when nothing better is known (a fence always carries a tag)."""
    p = PurePosixPath(path)
    return _FENCE_BY_NAME.get(p.name.lower()) or FENCE_LANGUAGE.get(p.suffix.lower(), "text")


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    return any(_TEST_PART.match(p) for p in parts[:-1]) or bool(_TEST_NAME.search(parts[-1]))


def is_auxiliary_path(path: str) -> bool:
    """Docs, examples, benchmarks and scripts: real code, but not what component pages are about."""
    return any(_NON_SOURCE_PART.match(p) for p in path.split("/")[:-1])


# A paragraph of a header comment that is a copyright or licence notice, not a description of the code.
LICENSE_TEXT = re.compile(
    r"\bcopyright\b|\(c\)\s*(?:\d{4}|[A-Z])|spdx-license-identifier|all rights reserved|this file is part of|"
    r"permission is hereby granted|licensed under|under the terms of|\bgnu (?:lesser |affero )?general public|"
    r"\bapache license|\bmit licen[cs]ed?\b|\bbsd-style licen[cs]e|\blicen[cs]e: |without (?:any )?warranty",
    re.IGNORECASE)
# Comment lines that are tool directives or generator stamps (`//go:build`, `# frozen_string_literal: true`).
_DIRECTIVE = re.compile(r"^(?:go:build|\+build|nolint|eslint|jshint|global |prettier-ignore|istanbul |c8 |@ts-|"
                        r"type: ?ignore|noqa|pylint|code generated|auto-?generated|-\*-|vim?:|frozen_string_literal|"
                        r"encoding:|coding[:=]|@flow|@format|@jsx|@preserve|@license)", re.IGNORECASE)
# Markdown that carries no prose: badges, images, link reference definitions, html tags, headings, rules.
# Developer notes and placeholders: quoted in a wiki they read as unfinished text (and are not descriptions).
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|HACK)\b|lorem ipsum|coming soon|to be (?:written|documented|added)",
                         re.IGNORECASE)
# Authorship and contact lines ('AUTHOR: blink <blinketje@gmail.com>', 'Original definitions by: ...').
_AUTHORSHIP = re.compile(r"^(?:authors?|maintainers?|contributors?|(?:original )?definitions by|created by|written by)\b"
                         r"|[\w.+-]+@[\w-]+\.[\w.]+", re.IGNORECASE)
_MARKUP_LINE = re.compile(r"^(?:\[!\[.*|!\[.*|\[[^\]]+\]:\s*\S+.*|<[^>]*>|#{1,6}\s.*|[-=*_]{3,})$")
_COMMENT_MARK = re.compile(r"^(/\*\*?!?|\*/|\*|//[/!]?|#+|\"\"\"|\'\'\')\s?")


def _doc_paragraphs(text: str) -> list[str]:
    """The paragraphs of a doc comment with comment markers removed, up to the first tag line (`@param`)."""
    paras: list[str] = []
    lines: list[str] = []
    for raw in str(text).splitlines():
        line = raw.strip()
        line = _COMMENT_MARK.sub("", line).strip()
        line = re.sub(r"(\*/|\"\"\"|\'\'\')$", "", line).strip()
        line = re.sub(r"^(?:>\s?)+", "", line)  # markdown block quotes
        if line.startswith(("@", ":param")) or line.lower().startswith(("args:", "returns:")):
            break
        if not line or _MARKUP_LINE.match(line) or _DIRECTIVE.match(line) or _AUTHORSHIP.search(line):
            if lines:
                paras.append(" ".join(lines))
                lines = []
            continue
        lines.append(line)
    if lines:
        paras.append(" ".join(lines))
    return paras


def link_safe(text: str) -> str:
    """Brackets stay (`[]byte`, `map[string]int`) unless they would form a link: `[a](b)` and `[[a]]` are split."""
    text = text.replace("](", "] (")
    while "[[" in text or "]]" in text:
        text = text.replace("[[", "[ [").replace("]]", "] ]")
    return text


def clean_doc(text: str | None) -> str:
    """First sentence of a docstring or doc comment, as plain one-line markdown-safe text (no links, no backticks).

    Copyright and licence notices, tool directives and markup-only paragraphs (badges, headings) are skipped: the
    first paragraph of prose is the description.
    """
    if not text:
        return ""
    paras = _doc_paragraphs(text)
    prose = [p for p in paras if not LICENSE_TEXT.search(p) and re.search(r"[A-Za-z]{2}", p)
             and not re.match(r"(?:TODO|TBD|FIXME|XXX|HACK|NOTE)\b", p, re.IGNORECASE) and not _AUTHORSHIP.search(p)]
    # A one-word paragraph (`/* cJSON */`) names the file rather than describing it, when more follows.
    para = next((p for p in prose if len(p.split()) > 1), prose[0] if len(paras) == 1 and prose else "")
    # markdown reference links: [text][ref] -> text (not code such as `m[key][0]`)
    para = re.sub(r"\[([^\]]*)\]\[([^\]]*[A-Za-z][^\]]*)\]", r"\1", para)
    para = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", para)  # inline links: [text](url) -> text
    para = re.sub(r":[a-z]+:`~?!?([^`]+)`", r"\1", para)  # reST roles: :class:`Option` -> Option
    para = re.sub(r"``([^`]+)``", r"\1", para).replace("\\s", "s")
    para = re.sub(r"\{@link(?:plain)?\s+([^}\s]+)(?:\s+[^}]*)?\}", r"\1", para)  # JSDoc/Javadoc {@link X label}
    para = re.sub(r"\{@(?:code|literal)\s+([^}]+)\}", r"\1", para)  # Javadoc {@code x}
    # C# XML documentation: <see cref="T:X.JToken"/> -> JToken, <paramref name="x"/> -> x, <c>x</c> -> x.
    para = re.sub(r'<(?:see|seealso)\s+(?:cref|langword|href)="(?:[A-Z]:)?([^"]+)"\s*/?>(?:</see>)?',
                  lambda m: m.group(1).split(".")[-1].split("{")[0] if "(" not in m.group(1) else m.group(1), para)
    para = re.sub(r'<(?:typeparamref|paramref)\s+name="([^"]+)"\s*/?>', r"\1", para)
    para = re.sub(r"</?(?:c|code|b|i|em|strong|para|summary|remarks|returns|value|tt)>", "", para)
    m = re.match(r"(.+?[.!?])(\s|$)", para)
    sentence = (m.group(1) if m else para).strip()
    sentence = link_safe(sentence.replace("`", "'").replace("|", "/"))
    sentence = sentence.replace("<", "&lt;").replace(">", "&gt;").replace("**", "")
    sentence = re.sub(r"(?<![\w*])\*(\w[^*]*?\w|\w)\*(?![\w*])", r"\1", sentence).replace("*", "\\*")  # *emphasis*
    if len(sentence) > 220:
        sentence = sentence[:217].rsplit(" ", 1)[0] + "..."
    if sentence and not sentence.endswith((".", "!", "?", "...")):
        sentence += "."
    if TRUNCATION_MARK.search(sentence) or PLACEHOLDER.search(sentence):
        return ""  # "(truncated; ...)" or "TODO" in a quoted docstring reads as a cut-off or unfinished page
    return sentence


def _attr(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    return default


_PREAMBLE = re.compile(r"^(?:#!|<\?php|<\?=|\?>$)")


def _header_comments(text: str) -> str:
    """The comment blocks before a file's first line of code (shebang and `<?php` skipped), blank-line separated.

    Block comments (`/* */`, `/** */`, `/*! */`), line comments (`//`, `///`, `//!`) and `#` comments; a Go
    package comment sits here, after the licence header, right above `package`.
    """
    out: list[str] = []
    lines = text.split("\n")[:400]
    i = 0
    while i < len(lines):
        s = lines[i].strip()
        if not s or _PREAMBLE.match(s):
            out.append("")
            i += 1
        elif s.startswith("/*"):
            block = []
            while i < len(lines):
                block.append(lines[i])
                if "*/" in lines[i] and not (len(block) == 1 and lines[i].strip().endswith("/*")):
                    i += 1
                    break
                i += 1
            out += block + [""]
        elif s.startswith(("//", "#")) and not s.startswith(("#include", "#define", "#if", "#import", "#pragma",
                                                                "#[", "#!")):
            out.append(lines[i])
            i += 1
        else:
            break
    return "\n".join(out)


def _module_doc(path: str, text: str) -> str:
    """The module docstring (Python) or the first prose paragraph of the header comments (other languages), first
    sentence; licence headers are not descriptions (see `clean_doc`)."""
    if path.endswith(".py"):
        try:
            return clean_doc(ast.get_docstring(ast.parse(text)) or "")
        except (SyntaxError, ValueError, RecursionError):
            return ""
    if fence_tag(path) == "cobol":
        return ""
    return clean_doc(_header_comments(text))


def _reverse(graph: dict[str, list[str]], nodes: Iterable[str]) -> dict[str, list[str]]:
    """Node -> the sorted sources with an edge to it (every node present, sinks with an empty list)."""
    rev: dict[str, set[str]] = {p: set() for p in nodes}
    for src, dsts in graph.items():
        for d in dsts:
            rev[d].add(src)
    return {p: sorted(v) for p, v in rev.items()}


class RepoFacts:
    """Planning facts over a snapshot (see the module docstring).

    Args:
        snapshot: a `wikigym.repos.RepoSnapshot` (`root`, `name`, `files()`, `read_text`, `parse`, `import_graph`).
    """

    def __init__(self, snapshot: Any):
        self.snapshot = snapshot
        self.name: str = str(_attr(snapshot, "name", default="") or PurePosixPath(str(snapshot.root)).name)
        self._text: dict[str, str | None] = {}
        self._calls: dict[tuple[str, int, str], list[CallSite]] = {}

    # -- files ------------------------------------------------------------------------------------------------
    @cached_property
    def inventory(self) -> list[str]:
        """SemanticWiki's indexed files (repo-relative posix paths), sorted."""
        out = []
        for f in self.snapshot.files():
            p = f if isinstance(f, str) else _attr(f, "path", "rel", "rel_path", default=str(f))
            out.append(str(p))
        return sorted(set(out))

    def text(self, path: str) -> str | None:
        if path not in self._text:
            try:
                self._text[path] = self.snapshot.read_text(path)
            except (OSError, UnicodeDecodeError, ValueError, KeyError):
                self._text[path] = None
        return self._text[path]

    def exists(self, path: str) -> bool:
        return path in set(self.inventory) or self.text(path) is not None

    @cached_property
    def files(self) -> dict[str, FileFacts]:
        """Facts for every parsed code file (those with a fence language and a parse result or text)."""
        out: dict[str, FileFacts] = {}
        for path in self.inventory:
            tag = fence_tag(path)
            if tag not in CODE_TAGS:
                continue
            text = self.text(path)
            if text is None:
                continue
            n_lines = len(text.split("\n"))
            syms: list[Sym] = []
            try:
                parsed = self.snapshot.parse(path)
            except Exception:  # noqa: BLE001 - a grammar failure on one file must not stop an episode
                parsed = None
            raw_syms = list(_attr(parsed, "symbols", default=None) or []) if parsed is not None else []
            # A C#/C++/TS namespace or a package is a scope, not a container a reader looks into: what it holds
            # is top level (JObject in `namespace Newtonsoft.Json.Linq` was '0 top-level definitions').
            scopes = {str(_attr(x, "name", default="")) for x in raw_syms
                      if str(_attr(x, "kind", default="")) in ("namespace", "package")}
            for s in raw_syms:
                name = str(_attr(s, "name", default="") or "")
                start = int(_attr(s, "start_line", "start", default=0) or 0)
                end = int(_attr(s, "end_line", "end", default=start) or start)
                ok_name = _COBOL_NAME.match(name) if tag == "cobol" else re.match(r"^[A-Za-z_$][A-Za-z0-9_$]*$", name)
                if not name or not ok_name or not 1 <= start <= end <= n_lines:
                    continue
                parent = _attr(s, "parent", default=None)
                parent = str(parent) if parent and str(parent) not in scopes else None
                syms.append(Sym(name=name, kind=normalise_kind(str(_attr(s, "kind", default="")), parent, tag), path=path,
                                start=start, end=end, parent=parent,
                                signature=str(_attr(s, "signature", default="") or ""),
                                doc=clean_doc(_attr(s, "docstring", "doc", default=""))))
            syms.sort(key=lambda s: (s.start, s.end, s.name))
            out[path] = FileFacts(path=path, tag=tag, n_lines=n_lines, symbols=syms, doc=_module_doc(path, text))
        return out

    def code_files(self) -> list[str]:
        return sorted(self.files)

    def source_files(self) -> list[str]:
        """Code files that component pages describe: not tests, docs, examples or benchmarks."""
        return [p for p in self.code_files() if not is_test_path(p) and not is_auxiliary_path(p)]

    def test_files(self) -> list[str]:
        return [p for p in self.code_files() if is_test_path(p)]

    # -- imports ----------------------------------------------------------------------------------------------
    @cached_property
    def imports(self) -> dict[str, list[str]]:
        """File -> repository files it imports (sorted, no self-edges)."""
        try:
            graph = self.snapshot.import_graph() or {}
        except Exception:  # noqa: BLE001 - a planning fact is optional; the episode goes on without it
            graph = {}
        known = set(self.files)
        out: dict[str, list[str]] = {p: [] for p in known}
        for src, dsts in graph.items():
            src = str(src)
            if src in known:
                out[src] = sorted({str(d) for d in dsts if str(d) in known and str(d) != src})
        # A Go package import, a Java/Kotlin `pkg.*` or a C# `using Namespace` resolves to every file of the
        # package: keep the files whose definitions the importer actually names (kotlinx.coroutines' channels
        # 'built on 83 files' through one wildcard).
        for src in sorted(out):
            if out[src] and self.files[src].tag in _PACKAGE_IMPORT_LANGUAGES:
                idents = self._identifiers(src)
                out[src] = [d for d in out[src] if self._names(d) & idents]
        return out

    def _identifiers(self, path: str) -> frozenset[str]:
        try:
            parsed = self.snapshot.parse(path)
        except Exception:  # noqa: BLE001 - a planning fact is optional; the episode goes on without it
            return frozenset()
        return frozenset(_attr(parsed, "identifiers", default=None) or ()) if parsed is not None else frozenset()

    def _names(self, path: str) -> set[str]:
        """Every name `path` defines (methods included), as the parser reports them."""
        try:
            parsed = self.snapshot.parse(path)
        except Exception:  # noqa: BLE001 - a planning fact is optional; the episode goes on without it
            return set()
        return {str(_attr(x, "name", default="")) for x in (_attr(parsed, "symbols", default=None) or [])
                if _attr(x, "kind", default="") not in ("package", "namespace")} if parsed is not None else set()

    @cached_property
    def imported_by(self) -> dict[str, list[str]]:
        return _reverse(self.imports, self.files)

    # -- same-package references ------------------------------------------------------------------------------
    @cached_property
    def _use_graph(self) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
        """(file -> files whose definitions it names without an import, (src, dst) -> the first such name).

        Go files of one package, Java/Kotlin files of one package, C# and PHP files of one namespace and the Ruby
        files of a repository see each other's top-level definitions without an import statement, so the import
        graph has no edge between them (a flat Go package has none at all). An edge here means: `src` is not a
        test, names (as a code identifier, not in a comment or string) a top-level definition that exactly one
        other file of its group defines, and does not define that name itself.
        """
        groups: dict[tuple[str, ...], list[str]] = {}
        defs: dict[str, set[str]] = {}
        own: dict[str, set[str]] = {}  # every name a file defines (methods included)
        idents: dict[str, frozenset[str]] = {}
        for path in sorted(self.files):
            try:
                parsed = self.snapshot.parse(path)
            except Exception:  # noqa: BLE001 - a planning fact is optional; the episode goes on without it
                parsed = None
            lang = str(_attr(parsed, "language", default="") or "") if parsed is not None else ""
            if lang not in _PEER_LANGUAGES:
                continue
            raw = list(_attr(parsed, "symbols", default=None) or [])
            pkg = next((str(_attr(x, "name", default="")) for x in raw
                        if _attr(x, "kind", default="") in ("package", "namespace")), "")
            if lang == "go":
                key: tuple[str, ...] = ("go", posixpath.dirname(path), pkg)
            elif lang in ("java", "kotlin"):
                key = ("jvm", pkg or posixpath.dirname(path))
            elif lang == "ruby":
                key = ("ruby",)
            else:
                key = (lang, pkg)
            groups.setdefault(key, []).append(path)
            names = set()
            for x in raw:
                name, kind = str(_attr(x, "name", default="")), str(_attr(x, "kind", default=""))
                parent = _attr(x, "parent", default=None)
                if kind in ("package", "namespace", "method", "constructor", "field", "property") or len(name) < 3:
                    continue
                if lang == "ruby":
                    top = kind in ("class", "module")
                else:
                    top = parent in (None, "", pkg)
                if top and re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name):
                    names.add(name)
            defs[path] = names
            own[path] = {str(_attr(x, "name", default="")) for x in raw}
            idents[path] = frozenset(_attr(parsed, "identifiers", default=None) or ())
        out: dict[str, list[str]] = {p: [] for p in self.files}
        names_of: dict[tuple[str, str], str] = {}
        for members in groups.values():
            if len(members) < 2:
                continue
            owner: dict[str, str | None] = {}
            for m in members:
                for n in defs[m]:
                    owner[n] = m if n not in owner else None
            for a in members:
                if is_test_path(a):
                    continue
                found: dict[str, str] = {}
                for n in sorted(idents[a] & owner.keys()):
                    b = owner[n]
                    # `x.String()` names a method, not the package's `String` function: the use must be unqualified.
                    if b and b != a and n not in own[a] and b not in found and self._use_line(a, n) is not None:
                        found[b] = n
                imported = set(self.imports.get(a, []))
                out[a] = sorted(b for b in found if b not in imported)
                for b in out[a]:
                    names_of[(a, b)] = found[b]
        return out, names_of

    @property
    def uses(self) -> dict[str, list[str]]:
        """File -> files of its own package it depends on without importing them (see `_use_graph`)."""
        return self._use_graph[0]

    def used_name(self, src: str, dst: str) -> str | None:
        """The first definition of `dst` that `src` names (for a `uses` edge), else None."""
        return self._use_graph[1].get((src, dst))

    @cached_property
    def deps(self) -> dict[str, list[str]]:
        """File -> files it depends on: its imports, plus same-package files whose definitions it uses."""
        uses = self.uses
        return {p: sorted(set(self.imports.get(p, [])) | set(uses.get(p, []))) for p in self.files}

    @cached_property
    def dependents(self) -> dict[str, list[str]]:
        return _reverse(self.deps, self.files)

    @cached_property
    def has_uses(self) -> bool:
        return any(self.uses.values())

    def edge_kind(self, src: str, dst: str) -> str:
        """`imports` when `src` has an import statement for `dst`, else `uses`."""
        return "imports" if dst in self.imports.get(src, []) else "uses"

    def edge_verb(self, src: str, dst: str) -> str:
        """How `src` depends on `dst`, in a word: `imports`, `uses` (same package), or for COBOL `calls` (a
        program) and `copies` (a copybook)."""
        kind = self.edge_kind(src, dst)
        if kind == "imports" and self.files.get(src) is not None and self.files[src].tag == "cobol":
            return "calls" if any(s.kind == "program" for s in self.files[dst].symbols) else "copies"
        return kind

    @cached_property
    def has_cobol_edges(self) -> bool:
        return any(self.imports.get(p) for p, ff in self.files.items() if ff.tag == "cobol")

    def dep_line(self, src: str, dst: str) -> int | None:
        """The line of `src` that creates the dependency on `dst`: its import statement, or the first code line
        naming the definition it uses."""
        if self.edge_kind(src, dst) == "imports":
            return self.import_line(src, dst)
        name = self.used_name(src, dst)
        return self._use_line(src, name) if name else None

    def _use_line(self, path: str, name: str) -> int | None:
        """The first code line of `path` naming `name` unqualified (not after `.` or `->`; Ruby's `::` is fine),
        outside comments and string literals; None when there is none."""
        text = self.text(path)
        if text is None:
            return None
        ruby = path.endswith(".rb")
        pat = re.compile(r"(^|[^A-Za-z0-9_$.>:])" + re.escape(name) + r"([^A-Za-z0-9_$]|$)" if not ruby else
                         r"(^|[^A-Za-z0-9_$.>])" + re.escape(name) + r"([^A-Za-z0-9_$]|$)")
        for i, line in enumerate(text.split("\n"), 1):
            s = line.strip()
            if not s or name not in s or s.startswith(("//", "#", "*", "/*")):
                continue
            code = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', s)
            code = code.split("//")[0] if not ruby else code.split(" #")[0]
            if pat.search(code):
                return i
        return None

    def external_imports(self, path: str) -> list[str]:
        """Modules `path` imports from outside the repository (standard library, third-party packages)."""
        try:
            parsed = self.snapshot.parse(path)
        except Exception:  # noqa: BLE001 - a planning fact is optional; the episode goes on without it
            return []
        raw = [str(i) for i in (_attr(parsed, "imports", default=None) or [])] if parsed is not None else []
        tops = {p.split("/")[0] for p in self.inventory} | {PurePosixPath(p).stem for p in self.inventory}
        internal = self.imports.get(path, [])
        out = []
        for imp in raw:
            first = re.split(r"[./:\\]", imp.lstrip("@"))[0] if not imp.startswith(".") else ""
            last = re.split(r"[./:\\]", imp)[-1]
            if not first or first in tops or any(last and last in PurePosixPath(d).parts[-1] for d in internal):
                continue
            if re.fullmatch(r"[A-Za-z0-9_@./-]+", imp) and imp not in out:
                out.append(imp)
        return out

    def import_line(self, src: str, dst: str) -> int | None:
        """The first line of `src` whose import statement names `dst` (by module stem or directory), or None."""
        text = self.text(src)
        if text is None:
            return None
        stem = PurePosixPath(dst).stem
        if stem in ("__init__", "index", "mod"):
            stem = PurePosixPath(dst).parent.name
        if not stem:
            return None
        pat = re.compile(r"(^|[^A-Za-z0-9_])" + re.escape(stem) + r"([^A-Za-z0-9_]|$)")
        # The imported name itself ends the path (`use Twig\Node\Node;`, `from .node import x` is loose): such a
        # line is preferred over one where the stem is only a namespace segment (`use Twig\Node\Expression\X;`).
        last = re.compile(r"(^|[^A-Za-z0-9_])" + re.escape(stem) + r"(\.[A-Za-z]{1,4})?(?=[\"'`;,)}\s>]|$| as )")
        if self.files.get(src) is not None and self.files[src].tag == "cobol":  # COPY book / CALL 'PROG'
            cobol = re.compile(r"\b(?:COPY\s+[\"']?|CALL\s+[\"'])" + re.escape(stem) + r"(?![A-Za-z0-9_-])",
                               re.IGNORECASE)
            for i, line in enumerate(text.split("\n"), 1):
                if not ((len(line) > 6 and line[6] in "*/") or line.lstrip().startswith("*>")) \
                        and cobol.search(line.split("*>")[0]):
                    return i
            return None
        loose: int | None = None
        for i, line in enumerate(text.split("\n"), 1):
            s = line.strip()
            if s.startswith(("import ", "from ", "#include", "use ", "require", "using ", "mod ", "pub mod ",
                             "pub(crate) mod ", "pub use ", "pub(crate) use ", "include", "require_once")) \
                    or "require(" in s or (
                s.startswith(("export ", "} from")) and " from " in s
            ) or (s.startswith('"') and "/" in s):  # Go import blocks: one quoted path a line
                if last.search(s):
                    return i
                if loose is None and pat.search(s):
                    loose = i
        return loose

    # -- symbols ----------------------------------------------------------------------------------------------
    @cached_property
    def symbols_by_name(self) -> dict[str, list[Sym]]:
        out: dict[str, list[Sym]] = {}
        for ff in self.files.values():
            for s in ff.symbols:
                out.setdefault(s.name, []).append(s)
        return out

    @cached_property
    def words_by_file(self) -> dict[str, frozenset[str]]:
        return {p: frozenset(_WORD.findall(self.text(p) or "")) for p in self.files}

    @cached_property
    def fan_in(self) -> dict[str, int]:
        """Definition name -> number of other code files mentioning it (a cheap usage count)."""
        counts: dict[str, int] = {}
        names = set(self.symbols_by_name)
        for p, words in self.words_by_file.items():
            own = {s.name for s in self.files[p].symbols}
            for w in words & names:
                if w not in own:
                    counts[w] = counts.get(w, 0) + 1
        return counts

    def top_symbols(self, path: str, k: int = 6) -> list[Sym]:
        """The file's most important top-level definitions: used elsewhere, documented, then large."""
        ff = self.files.get(path)
        if not ff:
            return []
        tops = [s for s in ff.symbols if s.parent is None and s.kind != "other"] or [
            s for s in ff.symbols if s.kind != "other"]
        if ff.tag == "cobol":  # a program spans its file: its paragraphs and records are what a reader looks up
            tops = [s for s in ff.symbols if s.kind != "other"]
        tops.sort(key=lambda s: (-(self.fan_in.get(s.name, 0) * 3 + (2 if s.doc else 0) + min(s.span, 60) / 20),
                                 s.start))
        seen: set[str] = set()
        unique = []
        for s in tops:  # overloads (`Add` five times in JObject.cs) are one name to a reader
            if s.name not in seen:
                seen.add(s.name)
                unique.append(s)
        return unique[:k]

    def visibility(self, sym: Sym) -> tuple[bool, str] | None:
        """(is the definition public, the rule that says so) in its language's own terms, or None when the
        language has no such notion here (COBOL, data files)."""
        tag = self.files[sym.path].tag if sym.path in self.files else ""
        if tag in ("python", "ruby"):
            return not sym.name.startswith("_"), "no leading underscore"
        if tag == "go":
            return sym.name[:1].isupper(), "exported: the name starts with a capital letter"
        lines = (self.text(sym.path) or "").split("\n")
        head = ""
        for ln in range(sym.start, min(sym.end, sym.start + 8) + 1):  # the declaration line, after attributes
            line = lines[ln - 1].strip() if ln <= len(lines) else ""
            if line and not line.startswith(("#[", "@", "//", "/*", "*", "[")):
                head = line
                break
        words = set(re.findall(r"[A-Za-z_()]+", head.split("(")[0] if tag not in ("rust",) else head))
        if tag == "rust":
            return head.startswith("pub ") or head.startswith("pub(crate)"), "declared `pub`"
        if tag in ("typescript", "tsx", "javascript"):
            return head.startswith("export"), "exported"
        if tag == "php" and sym.parent is None:
            return True, "PHP classes and functions are always public"
        if tag in ("java", "csharp", "php"):
            return "public" in words, "declared `public`"
        if tag == "kotlin":
            return not (words & {"private", "internal", "protected"}), "not `private`, `internal` or `protected`"
        if tag in ("c", "cpp"):
            return "static" not in words and not sym.name.startswith("_"), "not `static` (visible to other files)"
        return None

    def methods_of(self, cls: Sym) -> list[Sym]:
        ff = self.files.get(cls.path)
        if not ff:
            return []
        # Go methods and Rust impl items live outside the type's own lines: match by parent name in the same file.
        inside = [s for s in ff.symbols if s.parent == cls.name and cls.start <= s.start <= cls.end
                  and s.kind in ("method", "function", "paragraph", "section")]
        if inside:
            return inside
        return [s for s in ff.symbols if s.parent == cls.name and s.kind in ("method", "function")]

    def bases_of(self, cls: Sym) -> list[str]:
        """Base classes named on the class's own header line that are classes of this repository."""
        text = self.text(cls.path) or ""
        lines = text.split("\n")
        header = " ".join(lines[cls.start - 1: min(cls.end, cls.start + 2)])
        names: list[str] = []
        m = re.search(r"class\s+" + re.escape(cls.name) + r"\s*(?:\[[^\]]*\])?\s*\(([^)]*)\)", header)
        if m:
            names = [b.strip().split(".")[-1].split("[")[0] for b in m.group(1).split(",")]
        m = re.search(r"class\s+" + re.escape(cls.name) + r"\b[^{]*?\bextends\s+([A-Za-z0-9_$.]+)", header)
        if m:
            names.append(m.group(1).split(".")[-1])
        m = re.search(r"class\s+" + re.escape(cls.name) + r"\b[^{]*?\bimplements\s+([A-Za-z0-9_$., ]+)", header)
        if m:
            names += [b.strip().split(".")[-1] for b in m.group(1).split(",")]
        classes = {s.name for ss in self.symbols_by_name.values() for s in ss if s.kind in ("class", "interface")}
        return sorted({n for n in names if n in classes and n != cls.name})

    # -- calls ------------------------------------------------------------------------------------------------
    def calls_from(self, caller: Sym) -> list[CallSite]:
        """Definitions `caller` calls, each with the first line it does so (same file or an imported file).

        Only functions and methods call (a class's span holds its methods' calls, which belong to the methods);
        exception classes are not callees (raising one is not a step of the data flow).
        """
        if caller.kind not in CALLABLE_KINDS:
            return []
        cached = self._calls.get(caller.key)
        if cached is not None:
            return cached
        self._calls[caller.key] = out = self._find_calls(caller)
        return out

    def _find_calls(self, caller: Sym) -> list[CallSite]:
        text = self.text(caller.path)
        if text is None:
            return []
        if self.files[caller.path].tag == "cobol":
            return self._cobol_calls(caller, text)
        reachable = {caller.path, *self.deps.get(caller.path, [])}
        lines = text.split("\n")
        out: list[CallSite] = []
        seen: set[tuple[str, int, str]] = set()
        for ln in range(caller.start + 1, caller.end + 1):
            line = lines[ln - 1]
            if line.lstrip().startswith(("#", "//", "*")):
                continue
            for m in _CALL.finditer(line):
                name = m.group(1)
                if name == caller.name or name in _COMMON_CALLEES:
                    continue
                if re.search(r"(Error|Exception|Exc|Warning)$", name):
                    continue
                cands = [s for s in self.symbols_by_name.get(name, [])
                         if s.path in reachable and s.kind in ("function", "method", "class") and s != caller]
                if len(cands) != 1:
                    continue  # ambiguous or unknown: a wrong edge is worse than a missing one
                callee = self._definition_of(cands[0])
                if callee.key in seen or (callee.path == caller.path and callee.start <= ln <= callee.end):
                    continue
                seen.add(callee.key)
                out.append(CallSite(caller=caller, callee=callee, line=ln))
        return out

    def _definition_of(self, sym: Sym) -> Sym:
        """A C/C++ prototype in a header stands for the function defined in a source file: that definition when
        exactly one source file defines the name (libyaml's api.c calls through yaml_private.h into parser.c)."""
        if PurePosixPath(sym.path).suffix not in (".h", ".hh", ".hpp", ".hxx") or sym.kind != "function":
            return sym
        defs = [s for s in self.symbols_by_name.get(sym.name, []) if s.kind == "function" and s.span > 1
                and PurePosixPath(s.path).suffix in (".c", ".cc", ".cpp", ".cxx")]
        return defs[0] if len(defs) == 1 else sym

    def _cobol_calls(self, caller: Sym, text: str) -> list[CallSite]:
        """`PERFORM name [THRU name]` (a paragraph or section of the same program) and `CALL 'PROG'` (a program
        of this or an imported file) inside a paragraph or section, outside comments."""
        reachable = {caller.path, *self.deps.get(caller.path, [])}
        lines = text.split("\n")
        program = next((s for s in self.files[caller.path].symbols if s.kind == "program"
                        and s.start <= caller.start <= s.end), None)
        out: list[CallSite] = []
        seen: set[tuple[str, int, str]] = set()
        for ln in range(caller.start + 1, caller.end + 1):
            line = lines[ln - 1]
            if (len(line) > 6 and line[6] in "*/") or line.lstrip().startswith("*>"):
                continue
            code = line.split("*>")[0]
            found: list[Sym] = []
            for m in _PERFORM.finditer(code):
                name = m.group(1)
                if name.upper() in _PERFORM_NOT_NAMES or not re.search(r"[A-Za-z]", name):
                    continue
                found += [s for s in self.files[caller.path].symbols if s.name.upper() == name.upper()
                          and s.kind in ("paragraph", "section")
                          and (program is None or program.start <= s.start <= program.end)][:1]
            for m in _COBOL_CALL.finditer(code):
                found += [s for s in self.symbols_by_name.get(m.group(1), []) + self.symbols_by_name.get(
                    m.group(1).upper(), []) if s.kind == "program" and s.path in reachable][:1]
            for callee in found:
                if callee.key in seen or callee == caller:
                    continue
                seen.add(callee.key)
                out.append(CallSite(caller=caller, callee=callee, line=ln))
        return out

    def entry_paragraph(self, program: Sym) -> Sym | None:
        """The first paragraph or section of a COBOL program (where a CALL enters it)."""
        return next((s for s in self.files[program.path].symbols if s.kind in ("paragraph", "section")
                     and program.start <= s.start <= program.end), None)

    def call_chains(self, starts: list[Sym], depth: int = 5, limit: int = 400) -> list[list[CallSite]]:
        """Maximal call chains (up to `depth` calls, three branches a step) from each of `starts`, at most `limit`.

        A constructor call continues in the constructor; a chain ends where nothing further is called.
        """
        chains: list[list[CallSite]] = []

        def walk(sym: Sym, chain: list[CallSite], visited: set[tuple[str, int, str]]) -> None:
            if len(chains) >= limit:
                return
            if sym.kind == "program":  # a CALLed COBOL program continues in its first paragraph
                entry = self.entry_paragraph(sym)
                if entry is None or entry.key in visited:
                    if chain:
                        chains.append(chain)
                    return
                sym = entry
            if sym.kind == "class":  # a constructor call continues in the constructor
                ctor = next((m for m in self.methods_of(sym) if m.name in ("__init__", "constructor", "new")), None)
                if ctor is None:
                    if chain:
                        chains.append(chain)
                    return
                sym = ctor
            calls = [c for c in self.calls_from(sym) if c.callee.key not in visited]
            calls.sort(key=lambda c: (c.callee.path == sym.path, c.callee.name.startswith("_"), c.line))
            extended = False
            for c in calls[:3]:
                if len(chain) + 1 > depth:
                    break
                extended = True
                walk(c.callee, chain + [c], visited | {c.callee.key})
            if not extended and chain:
                chains.append(chain)

        for s in starts:
            walk(s, [], {s.key})
        return chains

    # -- roles --------------------------------------------------------------------------------------------------
    def entry_points(self) -> list[str]:
        """Source files that start the program: `__main__`/`main`/`cli` files, `if __name__`, Go `func main`."""
        out = []
        for p in self.source_files():
            stem = PurePosixPath(p).stem
            text = self.text(p) or ""
            cobol_main = (self.files[p].tag == "cobol" and re.search(r"\bSTOP\s+RUN\b", text, re.IGNORECASE)
                          and not self.dependents.get(p))
            if cobol_main or (stem in _ENTRY_STEMS and not self.imported_by.get(p)) \
                    or "if __name__ == \"__main__\"" in text \
                    or "if __name__ == '__main__'" in text or re.search(r"^func main\(\)", text, re.MULTILINE) \
                    or stem in ("__main__", "main", "cli"):
                out.append(p)
        return out

    def centrality(self) -> list[str]:
        """Source files ranked by importers, then by size (what a reader should see first)."""
        central = self.important_modules(10)
        src = self.source_files()
        bonus = {p: 10 - i for i, p in enumerate(central) if p in self.files}
        return sorted(src, key=lambda p: (-(len(self.dependents.get(p, [])) * 4 + bonus.get(p, 0)
                                            + min(self.files[p].n_lines, 400) / 100), p))

    def important_modules(self, k: int = 20) -> list[str]:
        """The snapshot's `central_modules(k)` (what the verifier's coverage check asks to see cited)."""
        try:
            central = self.snapshot.central_modules(k) or []
        except Exception:  # noqa: BLE001 - a planning fact is optional; the episode goes on without it
            central = []
        out = []
        for item in central:
            item = item[0] if isinstance(item, (tuple, list)) else item
            p = str(_attr(item, "path", default=item))
            if p in self.files:
                out.append(p)
        return out

    def package_doc(self) -> str:
        """The docstring of the shallowest package entry file (`__init__.py`, `index.ts`, `lib.rs`, `doc.go`...)."""
        cands = [p for p in self.source_files() if PurePosixPath(p).stem in ("__init__", "index", "lib", "mod", "doc")
                 and self.files[p].doc]
        cands.sort(key=lambda p: (p.count("/"), p))
        return self.files[cands[0]].doc if cands else ""

    def manifests(self) -> list[str]:
        names = ("pyproject.toml", "setup.py", "setup.cfg", "package.json", "go.mod", "Cargo.toml", "pom.xml",
                 "build.gradle", "Gemfile", "composer.json", "Makefile", "requirements.txt", "tsconfig.json")
        out = []
        for n in names:
            if self.text(n) is not None:
                out.append(n)
        return out

    def readme(self) -> str | None:
        for n in ("README.md", "readme.md", "Readme.md", "README.rst", "README.txt", "README"):
            if self.text(n) is not None:
                return n
        return None

    def language_stats(self) -> list[tuple[str, int, int]]:
        """(language, files, lines) for code files, most lines first."""
        agg: dict[str, list[int]] = {}
        for ff in self.files.values():
            a = agg.setdefault(LANGUAGE_NAME.get(ff.tag, ff.tag), [0, 0])
            a[0] += 1
            a[1] += ff.n_lines
        return sorted(((k, v[0], v[1]) for k, v in agg.items()), key=lambda t: (-t[2], t[0]))
