"""Small tree-sitter helpers shared by the symbol and import extractors: cached parsers and queries, node text,
1-based line ranges, doc comments.

Parsers come from `tree_sitter_language_pack` 0.13 (grammars bundled in the wheel; 1.x downloads them at run
time and is not used). A `Source` wraps one file's bytes and lines so extractors slice text without decoding the
whole file per node.

What it deliberately does not do: know any language's node types (see `symbols.py`, `imports.py`).
"""

from __future__ import annotations

import functools
import re

from tree_sitter import Language, Node, Parser, Query, QueryCursor
from tree_sitter_language_pack import get_language, get_parser

_WS = re.compile(r"\s+")
SIGNATURE_MAX = 300
DOC_MAX = 2000


@functools.cache
def language(name: str) -> Language:
    """The tree-sitter `Language` for a language-pack name."""
    return get_language(name)  # type: ignore[arg-type]


@functools.cache
def parser(name: str) -> Parser:
    """A cached parser for a language-pack name (parsers are reused: creating one costs more than a small parse)."""
    return get_parser(name)  # type: ignore[arg-type]


@functools.cache
def query(lang: str, source: str) -> Query:
    """A compiled, cached query."""
    return Query(language(lang), source)


def captures(lang: str, source: str, node: Node) -> dict[str, list[Node]]:
    """Run a cached query over `node` and return its captures by name."""
    return QueryCursor(query(lang, source)).captures(node)


def existing_node_types(lang: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The subset of named node types that exist in a grammar (a query naming a missing type fails to compile)."""
    grammar = language(lang)
    return tuple(n for n in names if grammar.id_for_node_kind(n, True) is not None)


class Source:
    """One file's bytes and `split('\\n')` lines, with helpers that turn nodes into text and 1-based line ranges."""

    __slots__ = ("data", "lines")

    def __init__(self, data: bytes, lines: list[str]):
        self.data = data
        self.lines = lines

    def text(self, node: Node | None) -> str:
        """The node's source text ('' for None)."""
        if node is None:
            return ""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def text_between(self, start_byte: int, end_byte: int) -> str:
        return self.data[start_byte:end_byte].decode("utf-8", "replace")

    @staticmethod
    def start_line(node: Node) -> int:
        """1-based first line of a node."""
        return node.start_point.row + 1

    @staticmethod
    def end_line(node: Node) -> int:
        """1-based last line of a node; a node ending at column 0 ends on the previous line (its trailing newline)."""
        row, column = node.end_point
        if column == 0 and row > node.start_point.row:
            return row
        return row + 1

    def signature(self, node: Node, body: Node | None, start_byte: int | None = None) -> str:
        """Declaration text up to the body, whitespace collapsed, trailing `{`, `:` or `=` dropped.

        `start_byte` lets a wrapper's keyword (`export`, `declare`) start the signature."""
        start = node.start_byte if start_byte is None else start_byte
        end = body.start_byte if body is not None and body.start_byte > start else node.end_byte
        text = _WS.sub(" ", self.text_between(start, end)).strip()
        text = text.rstrip("{:=").rstrip()
        if len(text) > SIGNATURE_MAX:
            text = text[: SIGNATURE_MAX - 3] + "..."
        return text

    def comment_above(self, row: int, style: str) -> str | None:
        """The comment block directly above 0-based line `row` (no blank line between), markers stripped.

        Args:
            row: 0-based line of the declaration's first line.
            style: "c" (`//`, `/* */`, `///`), "hash" (`#`), "cobol" (`*` in column 7 or `*>`).
        """
        lines = self.lines
        i = row - 1
        collected: list[str] = []
        while i >= 0:
            raw = lines[i]
            stripped = raw.strip()
            if style == "c":
                if stripped.startswith("#[") or (stripped.startswith("@") and not collected):
                    i -= 1  # Rust/PHP attributes, stray annotations between a comment and the declaration
                    continue
                if stripped.startswith("//"):
                    collected.append(stripped)
                    i -= 1
                    continue
                if stripped.endswith("*/"):
                    while i >= 0:
                        collected.append(lines[i].strip())
                        if "/*" in lines[i]:
                            break
                        i -= 1
                    i -= 1
                    continue
                break
            if style == "hash":
                if stripped.startswith("#") and not stripped.startswith("#!"):
                    collected.append(stripped)
                    i -= 1
                    continue
                break
            if style == "cobol":
                if (len(raw) > 6 and raw[6] in "*/") or stripped.startswith("*>"):
                    text = raw[7:] if len(raw) > 6 and raw[6] in "*/" else stripped[2:]
                    collected.append(text[1:] if raw[6:8] == "*>" else text)  # `*>` in column 7
                    i -= 1
                    continue
                break
            break
        if not collected:
            return None
        return clean_comment(list(reversed(collected)))


_MARKERS = re.compile(r"^(?:/\*\*?|\*/|///?!?|\*|#+|\*>)\s?")


def clean_comment(lines: list[str]) -> str | None:
    """Strip comment markers from comment lines and join them; None when nothing is left."""
    out: list[str] = []
    for line in lines:
        text = line.strip()
        if text.endswith("*/"):
            text = text[:-2].rstrip()
        text = _MARKERS.sub("", text, count=1).rstrip()
        out.append(text)
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    if not out:
        return None
    doc = "\n".join(out)
    return doc[:DOC_MAX]
