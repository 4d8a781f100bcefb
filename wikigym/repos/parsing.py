"""Parse a source file with tree-sitter into symbols, imports and identifiers, with a content-addressed cache.

`parse_file(text, language)` returns a `ParsedFile`; `parse_path(path)` picks the language from the extension and
returns None for files it does not parse. Results are cached by sha256 of the text (plus language and extractor
version) in memory and on disk under `<cache root>/parse/`, so re-indexing a repository re-parses only changed files.
The cache root is `$WIKIGYM_CACHE` or `~/.cache/wikigym`; set `WIKIGYM_PARSE_CACHE=0` to keep it in memory only.

Grammars: `tree-sitter==0.26.1` + `tree-sitter-language-pack==0.13.0` (bundled; 1.x downloads at run time).
Speed: parsing runs at ~300k lines/s; symbol extraction visits only declaration-level nodes and identifiers come
from one compiled query, so a file costs little more than its parse.

What it deliberately does not do: chunk files for search (SemanticWiki's chunker is regex-based and lives with the
search tools) or resolve imports to files (see `snapshot.py`).

Example:
    >>> pf = parse_file("class A:\\n    def f(self):\\n        pass\\n", "python")
    >>> [(s.name, s.kind, s.start_line, s.end_line, s.parent) for s in pf.symbols]
    [('A', 'class', 1, 3, None), ('f', 'method', 2, 3, 'A')]
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wikigym.repos.cobol import cobol_outline, with_program_docs
from wikigym.repos.imports import extract_imports, import_query, python_imports
from wikigym.repos.languages import SUPPORTED_LANGUAGES, language_for_path
from wikigym.repos.symbols import Symbol, extract_symbols
from wikigym.repos.syntax import Source, captures, existing_node_types, parser

__all__ = ["ParseCache", "ParsedFile", "Symbol", "default_cache", "default_cache_root", "parse_file", "parse_path"]

# Bump when extraction output changes: it is part of every cache key.
EXTRACTOR_VERSION = "7"

# Node types whose text is a name, per language (filtered to those the grammar has; see identifier_query()).
_IDENTIFIER_TYPES: dict[str, tuple[str, ...]] = {
    "python": ("identifier",),
    "typescript": ("identifier", "type_identifier", "property_identifier", "shorthand_property_identifier",
                   "shorthand_property_identifier_pattern", "private_property_identifier"),
    "javascript": ("identifier", "property_identifier", "shorthand_property_identifier",
                   "shorthand_property_identifier_pattern", "private_property_identifier"),
    "go": ("identifier", "type_identifier", "field_identifier", "package_identifier"),
    "java": ("identifier", "type_identifier"),
    "rust": ("identifier", "type_identifier", "field_identifier", "shorthand_field_identifier"),
    "c": ("identifier", "type_identifier", "field_identifier"),
    "cpp": ("identifier", "type_identifier", "field_identifier", "namespace_identifier"),
    "csharp": ("identifier",),
    "kotlin": ("simple_identifier", "type_identifier"),
    "ruby": ("identifier", "constant", "simple_symbol"),
    "php": ("name",),
    "cobol": ("WORD", "entry_name", "program_name"),
    "toml": ("bare_key", "quoted_key"),
}  # fmt: skip
_IDENTIFIER_TYPES["tsx"] = _IDENTIFIER_TYPES["typescript"]
# Data formats: mapping keys are the names a wiki may cite (`retry_limit`, `scripts.build`).
_KEY_QUERIES = {
    "yaml": "(block_mapping_pair key: (_) @id) (flow_pair key: (_) @id)",
    "json": "(pair key: (_) @id)",
}


@dataclass(frozen=True)
class ParsedFile:
    """What the repo layer knows about one source file.

    Attributes:
        language: tree-sitter language name.
        line_count: `len(text.split('\\n'))`, as SemanticWiki's metrics count lines.
        symbols: definitions in source order (parents before their members).
        imports: imported module specifiers as written (see `imports.py`).
        identifiers: every identifier-like name in the file (code identifiers, COBOL words, data-file keys).
        has_error: the parse tree contains syntax errors (symbols may be incomplete).
        import_names: Python only: for `from X import a, b`, `{"X": ["a", "b"]}` (lets the import graph tell
            `from pkg import submodule` from `from pkg import function`).
    """

    language: str
    line_count: int
    symbols: list[Symbol] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    identifiers: frozenset[str] = frozenset()
    has_error: bool = False
    import_names: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data["identifiers"] = sorted(self.identifiers)
        return data

    @classmethod
    def from_json(cls, data: dict) -> ParsedFile:
        return cls(
            language=data["language"],
            line_count=data["line_count"],
            symbols=[Symbol(**s) for s in data["symbols"]],
            imports=list(data["imports"]),
            identifiers=frozenset(data["identifiers"]),
            has_error=bool(data.get("has_error", False)),
            import_names={k: list(v) for k, v in data.get("import_names", {}).items()},
        )


def identifier_query(language: str) -> str | None:
    """The query source capturing a language's identifier nodes as `@id`, or None."""
    if language in _KEY_QUERIES:
        return _KEY_QUERIES[language]
    types = existing_node_types(language, _IDENTIFIER_TYPES.get(language, ()))
    if not types:
        return None
    return "[" + " ".join(f"({t})" for t in types) + "] @id"


def _identifiers(nodes: list, src: Source, language: str) -> frozenset[str]:
    data = src.data
    raw = {data[n.start_byte : n.end_byte] for n in nodes}
    names: set[str] = set()
    strip_quotes = language in ("yaml", "json", "toml")
    for item in raw:
        text = item.decode("utf-8", "replace").strip()
        if language == "ruby" and text.startswith(":"):
            text = text[1:]
        if strip_quotes:
            text = text.strip("'\"")
        if text:
            names.add(text)
    return frozenset(names)


def _parse_uncached(text: str, language: str) -> ParsedFile:
    data = text.encode("utf-8", "surrogatepass")
    lines = text.split("\n")
    tree = parser(language).parse(data)
    root = tree.root_node
    src = Source(data, lines)
    # One query pass for identifiers and imports: each pass costs about as much as visiting every node.
    patterns = " ".join(p for p in (identifier_query(language), import_query(language)) if p)
    caps = captures(language, patterns, root) if patterns else {}
    symbols = extract_symbols(root, src, language)
    imports = extract_imports(caps, src, language)
    if language == "cobol" and root.has_error:
        # The grammar stops at dialect features and copybook fragments; the line-based outline does not.
        symbols, imports = cobol_outline(src)
    if language == "cobol":
        symbols = with_program_docs(symbols, src)
    return ParsedFile(
        language=language,
        line_count=len(lines),
        symbols=symbols,
        imports=imports,
        identifiers=_identifiers(caps.get("id", []), src, language),
        has_error=root.has_error,
        import_names=python_imports(caps, src)[1] if language == "python" else {},
    )


# --- cache ---------------------------------------------------------------------------------------------------------


def default_cache_root() -> Path:
    """`$WIKIGYM_CACHE` if set, else `~/.cache/wikigym` (clones live in `repos/`, parse results in `parse/`)."""
    env = os.environ.get("WIKIGYM_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "wikigym"


class ParseCache:
    """Content-addressed parse results: an LRU in memory and, optionally, one JSON file per entry on disk.

    Args:
        disk_dir: directory for on-disk entries, or None for memory only. Disk errors (read-only home, full disk)
            silently fall back to memory: the cache is an optimisation, never a reason to fail.
        max_entries: in-memory LRU bound.
    """

    def __init__(self, disk_dir: Path | None, max_entries: int = 20_000):
        self.disk_dir = Path(disk_dir) if disk_dir is not None else None
        self.max_entries = max_entries
        self._memory: collections.OrderedDict[str, ParsedFile] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.disk_hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str, language: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{language}-{EXTRACTOR_VERSION}-{digest}"

    def _disk_path(self, key: str) -> Path | None:
        if self.disk_dir is None:
            return None
        digest = key.rsplit("-", 1)[-1]
        return self.disk_dir / digest[:2] / f"{key}.json"

    def get_or_parse(self, text: str, language: str) -> ParsedFile:
        key = self.key(text, language)
        with self._lock:
            cached = self._memory.get(key)
            if cached is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return cached
        result = self._load(key)
        if result is not None:
            self.disk_hits += 1
        else:
            self.misses += 1
            result = _parse_uncached(text, language)
            self._store(key, result)
        with self._lock:
            self._memory[key] = result
            if len(self._memory) > self.max_entries:
                self._memory.popitem(last=False)
        return result

    def _load(self, key: str) -> ParsedFile | None:
        path = self._disk_path(key)
        if path is None:
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                return ParsedFile.from_json(json.load(handle))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, key: str, result: ParsedFile) -> None:
        path = self._disk_path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(result.to_json(), handle, separators=(",", ":"))
            os.replace(tmp, path)  # atomic: concurrent readers see the old or the new file, never half of one
        except OSError:
            return

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()


_DEFAULT: dict[tuple[str | None, str | None], ParseCache] = {}


def default_cache() -> ParseCache:
    """The process-wide cache for the current `$WIKIGYM_CACHE` / `$WIKIGYM_PARSE_CACHE` settings."""
    env = (os.environ.get("WIKIGYM_CACHE"), os.environ.get("WIKIGYM_PARSE_CACHE"))
    cache = _DEFAULT.get(env)
    if cache is None:
        disk = None if env[1] == "0" else default_cache_root() / "parse"
        cache = _DEFAULT[env] = ParseCache(disk)
    return cache


# --- API -----------------------------------------------------------------------------------------------------------


def parse_file(text: str, language: str, cache: ParseCache | None = None) -> ParsedFile:
    """Parse source text.

    Args:
        text: the file's text.
        language: a name from `SUPPORTED_LANGUAGES` (`python`, `typescript`, `tsx`, `javascript`, `go`, `java`,
            `rust`, `c`, `cpp`, `csharp`, `kotlin`, `ruby`, `php`, `cobol`, `markdown`, `json`, `yaml`, `toml`).
        cache: the cache to use; None means `default_cache()`.

    Returns:
        The `ParsedFile` (shared with the cache: do not mutate its lists).

    Raises:
        ValueError: for an unsupported language.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"language {language!r} is not supported; use one of {', '.join(SUPPORTED_LANGUAGES)}")
    return (cache or default_cache()).get_or_parse(text, language)


def parse_path(path: str | Path, cache: ParseCache | None = None) -> ParsedFile | None:
    """Parse a file by its extension; None when the extension is not parsed or the file cannot be read.

    The file is decoded as UTF-8 with replacement characters, as Node's `readFileSync(p, 'utf-8')` does.
    """
    if language_for_path(path) is None:
        return None
    try:
        text = Path(path).read_bytes().decode("utf-8", "replace")
    except OSError:
        return None
    language = language_for_path(path, text)
    assert language is not None
    return parse_file(text, language, cache)
