"""js-yaml 3.14 `safeLoad`, ported function by function from its lib/js-yaml/loader.js.

Why a port and not PyYAML: SemanticWiki's `write_wiki_page` runs `matter.stringify(content, ...)`, and gray-matter
first parses any `---` front matter at the start of `content` with js-yaml. Whether the page is written at all, the
keys it gets, and the exact error text the model reads (`<reason> at line L, column C:` plus a snippet) all depend
on js-yaml's own parser. PyYAML accepts and rejects different documents (a `{` or a tab inside a plain scalar, a
comment holding control characters, a key after a tab) and reports other positions, so any wrapper around it drifts
on model-written front matter. This module follows loader.js line by line instead: the same state machine
(`composeNode`, `readBlockMapping`, `readPlainScalar`, ...), the same checks in the same order, the same messages.

It works on UTF-16 code units, as JavaScript strings do: positions, columns and snippets count an emoji as two units,
and the non-printable check sees lone surrogates. Strings are joined back into Python text at the end.

The types (null, bool, int, float, timestamp, merge, binary, omap, pairs, set, str, seq, map) are not defined here:
the caller passes a `Schema` holding js-yaml's resolvers and constructors, and the JavaScript value rules the loader
needs (`String(key)`, what `Object.keys` yields for a merge source). See `frontmatter.py`.

What it deliberately does not do: warnings (js-yaml's `onWarning` is unset in gray-matter), the `listener` hook,
`json` mode, or the full (unsafe) schema with `!!js/*` types.

Derived from js-yaml 3.14 (https://github.com/nodeca/js-yaml), Copyright (C) 2011-2015 by Vitaly Puzrin, MIT
License; the port keeps its structure and messages so that outputs match byte for byte.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wikigym.tools.context import NodeError
from wikigym.tools.search.jsstr import from_utf16_units, to_utf16_units

CONTEXT_FLOW_IN = 1
CONTEXT_FLOW_OUT = 2
CONTEXT_BLOCK_IN = 3
CONTEXT_BLOCK_OUT = 4

CHOMPING_CLIP = 1
CHOMPING_STRIP = 2
CHOMPING_KEEP = 3

MERGE_TAG = "tag:yaml.org,2002:merge"
# V8 runs out of stack somewhere between 2,000 and 5,000 nested collections (it depends on the node kind); Python's
# default limit of 1,000 frames would stop at about 400. Loading raises it to this for the call, so documents that
# js-yaml reads load here too, and deeper ones fail with V8's message (the exact depth differs).
_RECURSION_LIMIT = 8000

# The patterns of loader.js, written out without re.IGNORECASE: Python's case folding lets [a-z] match 'ſ' and the
# Kelvin sign, JavaScript's non-unicode /i does not.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]"
                            "|[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]")
_FLOW_INDICATORS = re.compile(r"[,\[\]{}]")
_TAG_HANDLE = re.compile(r"!|!!|![a-zA-Z\-]+!")
_TAG_URI = re.compile(r"(?:!|[^,\[\]{}])(?:%[0-9a-fA-F]{2}|[0-9a-zA-Z\-#;/?:@&=+$,_.!~*'()\[\]])*")
_YAML_VERSION = re.compile(r"([0-9]+)\.([0-9]+)")
_SNIPPET_BREAKS = "\x00\r\n\x85\u2028\u2029"

_SIMPLE_ESCAPES = {
    0x30: "\x00", 0x61: "\x07", 0x62: "\x08", 0x74: "\x09", 0x09: "\x09", 0x6E: "\x0a", 0x76: "\x0b", 0x66: "\x0c",
    0x72: "\x0d", 0x65: "\x1b", 0x20: " ", 0x22: '"', 0x2F: "/", 0x5C: "\\", 0x4E: "\x85", 0x5F: "\xa0",
    0x4C: "\u2028", 0x50: "\u2029",
}


class YamlLoadError(NodeError):
    """js-yaml's YAMLException: `message` is `reason` plus ` at line L, column C:` and the snippet."""


@dataclass(frozen=True)
class YamlType:
    """One js-yaml type: its tag, node kind and the resolve/construct pair (called with the raw node value)."""

    tag: str
    kind: str
    resolve: Callable[[Any], bool]
    construct: Callable[[Any], Any]


@dataclass(frozen=True)
class Schema:
    """What the loader needs to know about values.

    Args:
        implicit: the types tried in order on plain scalars (DEFAULT_SAFE_SCHEMA: null, bool, int, float,
            timestamp, merge).
        explicit: every type by tag, for `!!tag` nodes.
        key_string: JavaScript's `String(key)` for a mapping key (after the array/object rules of
            `storeMappingPair`, which the loader applies itself).
        own_entries: for a `<<` merge source, `Object.keys(source)` with the values, or None when the source is not a
            JavaScript object (`common.isObject`).
    """

    implicit: tuple[YamlType, ...]
    explicit: dict[str, YamlType]
    key_string: Callable[[Any], str]
    own_entries: Callable[[Any], list[tuple[str, Any]] | None]

    def type_for(self, kind: str | None, tag: str) -> YamlType | None:
        """`state.typeMap[state.kind || 'fallback'][state.tag]`: fallback holds every type."""
        t = self.explicit.get(tag)
        if t is None or (kind is not None and t.kind != kind):
            return None
        return t


@contextmanager
def js_stack() -> Iterator[None]:
    """Recurse about as deep as V8 does, and fail as V8 does beyond that (`Maximum call stack size exceeded`).

    js-yaml's loader and dumper recurse once or twice per nesting level; Python's default limit would stop at a few
    hundred levels where Node goes on to a few thousand.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        yield
    except RecursionError:
        raise NodeError("Maximum call stack size exceeded") from None
    finally:
        sys.setrecursionlimit(limit)


def snippet(buffer: str, position: int, indent: int = 4, max_length: int = 75) -> str:
    """js-yaml's `Mark.getSnippet(4, 75)`: the line around `position` (shortened with ` ... `) and a caret."""
    head = ""
    start = position
    while start > 0 and buffer[start - 1] not in _SNIPPET_BREAKS:
        start -= 1
        if position - start > (max_length / 2 - 1):
            head = " ... "
            start += 5
            break
    tail = ""
    end = position
    while end < len(buffer) and buffer[end] not in _SNIPPET_BREAKS:
        end += 1
        if end - position > (max_length / 2 - 1):
            tail = " ... "
            end -= 5
            break
    return " " * indent + head + buffer[start:end] + tail + "\n" + " " * (indent + position - start + len(head)) + "^"


def _is_eol(c: int) -> bool:
    return c == 0x0A or c == 0x0D


def _is_white_space(c: int) -> bool:
    return c == 0x09 or c == 0x20


def _is_ws_or_eol(c: int) -> bool:
    return c == 0x09 or c == 0x20 or c == 0x0A or c == 0x0D


def _is_flow_indicator(c: int) -> bool:
    return c in (0x2C, 0x5B, 0x5D, 0x7B, 0x7D)


def _from_hex_code(c: int) -> int:
    if 0x30 <= c <= 0x39:
        return c - 0x30
    lc = c | 0x20
    if 0x61 <= lc <= 0x66:
        return lc - 0x61 + 10
    return -1


def _escaped_hex_len(c: int) -> int:
    return {0x78: 2, 0x75: 4, 0x55: 8}.get(c, 0)


def _char_from_codepoint(c: int) -> str:
    """loader.js `charFromCodepoint`: a UTF-16 unit, or a surrogate pair above U+FFFF (no range check)."""
    if c <= 0xFFFF:
        return chr(c)
    return chr(((c - 0x10000) >> 10) + 0xD800) + chr(((c - 0x10000) & 0x3FF) + 0xDC00)


class _Loader:
    """loader.js's `State` plus the functions that take it as first argument, as methods.

    `input` is the UTF-16 text with js-yaml's terminating NUL appended; `code(i)` is `charCodeAt(i)` (-1 plays NaN
    beyond the end, comparing unequal to everything).
    """

    def __init__(self, text: str, schema: Schema):
        self.schema = schema
        self.input = text
        self.length = len(text)
        self.codes = [ord(c) for c in text]
        self.position = 0
        self.line = 0
        self.line_start = 0
        self.line_indent = 0
        self.documents: list[Any] = []
        self.version: str | None = None
        self.check_line_breaks = False
        self.tag_map: dict[str, str] = {}
        self.anchor_map: dict[str, Any] = {}
        self.tag: str | None = None
        self.anchor: str | None = None
        self.kind: str | None = None
        self.result: Any = None

    def terminate(self) -> None:
        """`state.input += '\\0'` (the length stays the one before it)."""
        self.input += "\x00"
        self.codes.append(0)

    def code(self, i: int) -> int:
        return self.codes[i] if 0 <= i < len(self.codes) else -1

    # -- errors ----------------------------------------------------------------------------------------------

    def error(self, message: str) -> YamlLoadError:
        """`generateError`: the reason with the current mark (`line + 1`, `position - lineStart + 1`, snippet)."""
        column = self.position - self.line_start
        where = f"at line {self.line + 1}, column {column + 1}"
        text = f"{message} {where}:\n{snippet(self.input, self.position)}" if self.input else f"{message} {where}"
        return YamlLoadError(from_utf16_units(text))

    # -- directives ------------------------------------------------------------------------------------------

    def handle_yaml_directive(self, args: list[str]) -> None:
        if self.version is not None:
            raise self.error("duplication of %YAML directive")
        if len(args) != 1:
            raise self.error("YAML directive accepts exactly one argument")
        m = _YAML_VERSION.fullmatch(args[0])
        if m is None:
            raise self.error("ill-formed argument of the YAML directive")
        if int(m[1]) != 1:
            raise self.error("unacceptable YAML version of the document")
        self.version = args[0]
        self.check_line_breaks = int(m[2]) < 2

    def handle_tag_directive(self, args: list[str]) -> None:
        if len(args) != 2:
            raise self.error("TAG directive accepts exactly two arguments")
        handle, prefix = args
        if not _TAG_HANDLE.fullmatch(handle):
            raise self.error("ill-formed tag handle (first argument) of the TAG directive")
        if handle in self.tag_map:
            raise self.error(f'there is a previously declared suffix for "{handle}" tag handle')
        if not _TAG_URI.fullmatch(prefix):
            raise self.error("ill-formed tag prefix (second argument) of the TAG directive")
        self.tag_map[handle] = prefix

    # -- scalars and mappings --------------------------------------------------------------------------------

    def capture_segment(self, start: int, end: int, check_json: bool) -> None:
        if start < end:
            segment = self.input[start:end]
            if check_json:
                for ch in segment:
                    c = ord(ch)
                    if not (c == 0x09 or 0x20 <= c <= 0x10FFFF):
                        raise self.error("expected valid JSON character")
            elif _NON_PRINTABLE.search(segment):
                raise self.error("the stream contains non-printable characters")
            self.result += segment

    def merge_mappings(self, destination: dict, source: Any, overridable: set[str]) -> None:
        entries = self.schema.own_entries(source)
        if entries is None:
            raise self.error("cannot merge mappings; the provided source object is unacceptable")
        for key, value in entries:
            if key not in destination:
                destination[key] = value
                if key != "__proto__":  # `overridableKeys[key] = true` sets the prototype of a plain object
                    overridable.add(key)

    def store_mapping_pair(self, result: dict | None, overridable: set[str], key_tag: str | None, key_node: Any,
                           value_node: Any, start_line: int | None = None, start_pos: int | None = None) -> dict:
        if isinstance(key_node, list):
            key_node = list(key_node)
            for i, item in enumerate(key_node):
                if isinstance(item, list):
                    raise self.error("nested arrays are not supported inside keys")
                if isinstance(item, dict):
                    key_node[i] = "[object Object]"
        if isinstance(key_node, dict):
            key_node = "[object Object]"
        key = self.schema.key_string(key_node)
        if result is None:
            result = {}
        if key_tag == MERGE_TAG:
            if isinstance(value_node, list):
                for item in value_node:
                    self.merge_mappings(result, item, overridable)
            else:
                self.merge_mappings(result, value_node, overridable)
        else:
            if key not in overridable and key in result:
                self.line = start_line or self.line
                self.position = start_pos or self.position
                raise self.error("duplicated mapping key")
            result[key] = value_node
            overridable.discard(key)
        return result

    def read_line_break(self) -> None:
        ch = self.code(self.position)
        if ch == 0x0A:
            self.position += 1
        elif ch == 0x0D:
            self.position += 1
            if self.code(self.position) == 0x0A:
                self.position += 1
        else:
            raise self.error("a line break is expected")
        self.line += 1
        self.line_start = self.position

    def skip_separation_space(self, allow_comments: bool, check_indent: int) -> int:
        line_breaks = 0
        ch = self.code(self.position)
        while ch != 0:
            while _is_white_space(ch):
                self.position += 1
                ch = self.code(self.position)
            if allow_comments and ch == 0x23:
                while True:
                    self.position += 1
                    ch = self.code(self.position)
                    if ch in (0x0A, 0x0D, 0):
                        break
            if _is_eol(ch):
                self.read_line_break()
                ch = self.code(self.position)
                line_breaks += 1
                self.line_indent = 0
                while ch == 0x20:
                    self.line_indent += 1
                    self.position += 1
                    ch = self.code(self.position)
            else:
                break
        return line_breaks

    def test_document_separator(self) -> bool:
        pos = self.position
        ch = self.code(pos)
        if ch in (0x2D, 0x2E) and ch == self.code(pos + 1) and ch == self.code(pos + 2):
            ch = self.code(pos + 3)
            if ch == 0 or _is_ws_or_eol(ch):
                return True
        return False

    def write_folded_lines(self, count: int) -> None:
        if count == 1:
            self.result += " "
        elif count > 1:
            self.result += "\n" * (count - 1)

    def read_plain_scalar(self, node_indent: int, within_flow: bool) -> bool:
        kind, result = self.kind, self.result
        ch = self.code(self.position)
        if (_is_ws_or_eol(ch) or _is_flow_indicator(ch)
                or ch in (0x23, 0x26, 0x2A, 0x21, 0x7C, 0x3E, 0x27, 0x22, 0x25, 0x40, 0x60)):
            return False
        if ch in (0x3F, 0x2D):
            following = self.code(self.position + 1)
            if _is_ws_or_eol(following) or (within_flow and _is_flow_indicator(following)):
                return False
        self.kind = "scalar"
        self.result = ""
        capture_start = capture_end = self.position
        has_pending = False
        saved = (self.line, self.line_start, self.line_indent)
        while ch != 0:
            if ch == 0x3A:
                following = self.code(self.position + 1)
                if _is_ws_or_eol(following) or (within_flow and _is_flow_indicator(following)):
                    break
            elif ch == 0x23:
                if _is_ws_or_eol(self.code(self.position - 1)):
                    break
            elif ((self.position == self.line_start and self.test_document_separator())
                  or (within_flow and _is_flow_indicator(ch))):
                break
            elif _is_eol(ch):
                saved = (self.line, self.line_start, self.line_indent)
                self.skip_separation_space(False, -1)
                if self.line_indent >= node_indent:
                    has_pending = True
                    ch = self.code(self.position)
                    continue
                self.position = capture_end
                self.line, self.line_start, self.line_indent = saved
                break
            if has_pending:
                self.capture_segment(capture_start, capture_end, False)
                self.write_folded_lines(self.line - saved[0])
                capture_start = capture_end = self.position
                has_pending = False
            if not _is_white_space(ch):
                capture_end = self.position + 1
            self.position += 1
            ch = self.code(self.position)
        self.capture_segment(capture_start, capture_end, False)
        if self.result:
            return True
        self.kind, self.result = kind, result
        return False

    def read_single_quoted_scalar(self, node_indent: int) -> bool:
        if self.code(self.position) != 0x27:
            return False
        self.kind = "scalar"
        self.result = ""
        self.position += 1
        capture_start = capture_end = self.position
        while (ch := self.code(self.position)) != 0:
            if ch == 0x27:
                self.capture_segment(capture_start, self.position, True)
                self.position += 1
                if self.code(self.position) == 0x27:
                    capture_start = self.position
                    self.position += 1
                    capture_end = self.position
                else:
                    return True
            elif _is_eol(ch):
                self.capture_segment(capture_start, capture_end, True)
                self.write_folded_lines(self.skip_separation_space(False, node_indent))
                capture_start = capture_end = self.position
            elif self.position == self.line_start and self.test_document_separator():
                raise self.error("unexpected end of the document within a single quoted scalar")
            else:
                self.position += 1
                capture_end = self.position
        raise self.error("unexpected end of the stream within a single quoted scalar")

    def read_double_quoted_scalar(self, node_indent: int) -> bool:
        if self.code(self.position) != 0x22:
            return False
        self.kind = "scalar"
        self.result = ""
        self.position += 1
        capture_start = capture_end = self.position
        while (ch := self.code(self.position)) != 0:
            if ch == 0x22:
                self.capture_segment(capture_start, self.position, True)
                self.position += 1
                return True
            if ch == 0x5C:
                self.capture_segment(capture_start, self.position, True)
                self.position += 1
                ch = self.code(self.position)
                if _is_eol(ch):
                    self.skip_separation_space(False, node_indent)
                elif ch in _SIMPLE_ESCAPES:
                    self.result += _SIMPLE_ESCAPES[ch]
                    self.position += 1
                elif (hex_length := _escaped_hex_len(ch)) > 0:
                    value = 0
                    for _ in range(hex_length):
                        self.position += 1
                        digit = _from_hex_code(self.code(self.position))
                        if digit < 0:
                            raise self.error("expected hexadecimal character")
                        value = (value << 4) + digit
                    self.result += _char_from_codepoint(value)
                    self.position += 1
                else:
                    raise self.error("unknown escape sequence")
                capture_start = capture_end = self.position
            elif _is_eol(ch):
                self.capture_segment(capture_start, capture_end, True)
                self.write_folded_lines(self.skip_separation_space(False, node_indent))
                capture_start = capture_end = self.position
            elif self.position == self.line_start and self.test_document_separator():
                raise self.error("unexpected end of the document within a double quoted scalar")
            else:
                self.position += 1
                capture_end = self.position
        raise self.error("unexpected end of the stream within a double quoted scalar")

    def read_flow_collection(self, node_indent: int) -> bool:
        tag, anchor = self.tag, self.anchor
        ch = self.code(self.position)
        if ch == 0x5B:
            terminator, is_mapping, result = 0x5D, False, []
        elif ch == 0x7B:
            terminator, is_mapping, result = 0x7D, True, {}
        else:
            return False
        self.remember_anchor(result)
        read_next = True
        overridable: set[str] = set()
        self.position += 1
        ch = self.code(self.position)
        while ch != 0:
            self.skip_separation_space(True, node_indent)
            ch = self.code(self.position)
            if ch == terminator:
                self.position += 1
                self.tag, self.anchor = tag, anchor
                self.kind = "mapping" if is_mapping else "sequence"
                self.result = result
                return True
            if not read_next:
                raise self.error("missed comma between flow collection entries")
            key_tag = key_node = value_node = None
            is_pair = is_explicit_pair = False
            if ch == 0x3F and _is_ws_or_eol(self.code(self.position + 1)):
                is_pair = is_explicit_pair = True
                self.position += 1
                self.skip_separation_space(True, node_indent)
            line = self.line
            self.compose_node(node_indent, CONTEXT_FLOW_IN, False, True)
            key_tag = self.tag
            key_node = self.result
            self.skip_separation_space(True, node_indent)
            ch = self.code(self.position)
            if (is_explicit_pair or self.line == line) and ch == 0x3A:
                is_pair = True
                self.position += 1
                self.skip_separation_space(True, node_indent)
                self.compose_node(node_indent, CONTEXT_FLOW_IN, False, True)
                value_node = self.result
            if is_mapping:
                self.store_mapping_pair(result, overridable, key_tag, key_node, value_node)
            elif is_pair:
                result.append(self.store_mapping_pair(None, overridable, key_tag, key_node, value_node))
            else:
                result.append(key_node)
            self.skip_separation_space(True, node_indent)
            ch = self.code(self.position)
            if ch == 0x2C:
                read_next = True
                self.position += 1
                ch = self.code(self.position)
            else:
                read_next = False
        raise self.error("unexpected end of the stream within a flow collection")

    def read_block_scalar(self, node_indent: int) -> bool:
        ch = self.code(self.position)
        if ch == 0x7C:
            folding = False
        elif ch == 0x3E:
            folding = True
        else:
            return False
        chomping = CHOMPING_CLIP
        did_read_content = detected_indent = at_more_indented = False
        text_indent = node_indent
        empty_lines = 0
        self.kind = "scalar"
        self.result = ""
        while ch != 0:
            self.position += 1
            ch = self.code(self.position)
            if ch in (0x2B, 0x2D):
                if chomping != CHOMPING_CLIP:
                    raise self.error("repeat of a chomping mode identifier")
                chomping = CHOMPING_KEEP if ch == 0x2B else CHOMPING_STRIP
            elif 0x30 <= ch <= 0x39:
                if ch == 0x30:
                    raise self.error("bad explicit indentation width of a block scalar; it cannot be less than one")
                if detected_indent:
                    raise self.error("repeat of an indentation width identifier")
                text_indent = node_indent + (ch - 0x30) - 1
                detected_indent = True
            else:
                break
        if _is_white_space(ch):
            while True:
                self.position += 1
                ch = self.code(self.position)
                if not _is_white_space(ch):
                    break
            if ch == 0x23:
                while True:
                    self.position += 1
                    ch = self.code(self.position)
                    if _is_eol(ch) or ch == 0:
                        break
        while ch != 0:
            self.read_line_break()
            self.line_indent = 0
            ch = self.code(self.position)
            while (not detected_indent or self.line_indent < text_indent) and ch == 0x20:
                self.line_indent += 1
                self.position += 1
                ch = self.code(self.position)
            if not detected_indent and self.line_indent > text_indent:
                text_indent = self.line_indent
            if _is_eol(ch):
                empty_lines += 1
                continue
            if self.line_indent < text_indent:
                if chomping == CHOMPING_KEEP:
                    self.result += "\n" * (1 + empty_lines if did_read_content else empty_lines)
                elif chomping == CHOMPING_CLIP and did_read_content:
                    self.result += "\n"
                break
            if folding:
                if _is_white_space(ch):
                    at_more_indented = True
                    self.result += "\n" * (1 + empty_lines if did_read_content else empty_lines)
                elif at_more_indented:
                    at_more_indented = False
                    self.result += "\n" * (empty_lines + 1)
                elif empty_lines == 0:
                    if did_read_content:
                        self.result += " "
                else:
                    self.result += "\n" * empty_lines
            else:
                self.result += "\n" * (1 + empty_lines if did_read_content else empty_lines)
            did_read_content = detected_indent = True
            empty_lines = 0
            capture_start = self.position
            while not _is_eol(ch) and ch != 0:
                self.position += 1
                ch = self.code(self.position)
            self.capture_segment(capture_start, self.position, False)
        return True

    def read_block_sequence(self, node_indent: int) -> bool:
        tag, anchor = self.tag, self.anchor
        result: list[Any] = []
        self.remember_anchor(result)
        detected = False
        ch = self.code(self.position)
        while ch != 0:
            if ch != 0x2D or not _is_ws_or_eol(self.code(self.position + 1)):
                break
            detected = True
            self.position += 1
            if self.skip_separation_space(True, -1) and self.line_indent <= node_indent:
                result.append(None)
                ch = self.code(self.position)
                continue
            line = self.line
            self.compose_node(node_indent, CONTEXT_BLOCK_IN, False, True)
            result.append(self.result)
            self.skip_separation_space(True, -1)
            ch = self.code(self.position)
            if (self.line == line or self.line_indent > node_indent) and ch != 0:
                raise self.error("bad indentation of a sequence entry")
            if self.line_indent < node_indent:
                break
        if detected:
            self.tag, self.anchor = tag, anchor
            self.kind = "sequence"
            self.result = result
            return True
        return False

    def read_block_mapping(self, node_indent: int, flow_indent: int) -> bool:
        tag, anchor = self.tag, self.anchor
        result: dict[str, Any] = {}
        self.remember_anchor(result)
        overridable: set[str] = set()
        key_tag = key_node = value_node = None
        at_explicit_key = detected = allow_compact = False
        ch = self.code(self.position)
        while ch != 0:
            following = self.code(self.position + 1)
            line = self.line
            pos = self.position
            if ch in (0x3F, 0x3A) and _is_ws_or_eol(following):
                if ch == 0x3F:
                    if at_explicit_key:
                        self.store_mapping_pair(result, overridable, key_tag, key_node, None)
                        key_tag = key_node = value_node = None
                    detected = at_explicit_key = allow_compact = True
                elif at_explicit_key:
                    at_explicit_key = False
                    allow_compact = True
                else:
                    raise self.error("incomplete explicit mapping pair; a key node is missed; "
                                     "or followed by a non-tabulated empty line")
                self.position += 1
                ch = following
            elif self.compose_node(flow_indent, CONTEXT_FLOW_OUT, False, True):
                if self.line == line:
                    ch = self.code(self.position)
                    while _is_white_space(ch):
                        self.position += 1
                        ch = self.code(self.position)
                    if ch == 0x3A:
                        self.position += 1
                        ch = self.code(self.position)
                        if not _is_ws_or_eol(ch):
                            raise self.error("a whitespace character is expected after the key-value separator "
                                             "within a block mapping")
                        if at_explicit_key:
                            self.store_mapping_pair(result, overridable, key_tag, key_node, None)
                            key_tag = key_node = value_node = None
                        detected = True
                        at_explicit_key = allow_compact = False
                        key_tag = self.tag
                        key_node = self.result
                    elif detected:
                        raise self.error("can not read an implicit mapping pair; a colon is missed")
                    else:
                        self.tag, self.anchor = tag, anchor
                        return True  # keep the result of composeNode
                elif detected:
                    raise self.error("can not read a block mapping entry; a multiline key may not be an implicit key")
                else:
                    self.tag, self.anchor = tag, anchor
                    return True
            else:
                break
            if self.line == line or self.line_indent > node_indent:
                if self.compose_node(node_indent, CONTEXT_BLOCK_OUT, True, allow_compact):
                    if at_explicit_key:
                        key_node = self.result
                    else:
                        value_node = self.result
                if not at_explicit_key:
                    self.store_mapping_pair(result, overridable, key_tag, key_node, value_node, line, pos)
                    key_tag = key_node = value_node = None
                self.skip_separation_space(True, -1)
                ch = self.code(self.position)
            if self.line_indent > node_indent and ch != 0:
                raise self.error("bad indentation of a mapping entry")
            if self.line_indent < node_indent:
                break
        if at_explicit_key:
            self.store_mapping_pair(result, overridable, key_tag, key_node, None)
        if detected:
            self.tag, self.anchor = tag, anchor
            self.kind = "mapping"
            self.result = result
        return detected

    # -- node properties -------------------------------------------------------------------------------------

    def read_tag_property(self) -> bool:
        if self.code(self.position) != 0x21:
            return False
        if self.tag is not None:
            raise self.error("duplication of a tag property")
        is_verbatim = is_named = False
        self.position += 1
        ch = self.code(self.position)
        if ch == 0x3C:
            is_verbatim = True
            self.position += 1
            ch = self.code(self.position)
            handle = ""
        elif ch == 0x21:
            is_named = True
            handle = "!!"
            self.position += 1
            ch = self.code(self.position)
        else:
            handle = "!"
        start = self.position
        if is_verbatim:
            while True:
                self.position += 1
                ch = self.code(self.position)
                if ch == 0 or ch == 0x3E:
                    break
            if self.position < self.length:
                name = self.input[start:self.position]
                self.position += 1
            else:
                raise self.error("unexpected end of the stream within a verbatim tag")
        else:
            while ch != 0 and not _is_ws_or_eol(ch):
                if ch == 0x21:
                    if is_named:
                        raise self.error("tag suffix cannot contain exclamation marks")
                    handle = self.input[start - 1:self.position + 1]
                    if not _TAG_HANDLE.fullmatch(handle):
                        raise self.error("named tag handle cannot contain such characters")
                    is_named = True
                    start = self.position + 1
                self.position += 1
                ch = self.code(self.position)
            name = self.input[start:self.position]
            if _FLOW_INDICATORS.search(name):
                raise self.error("tag suffix cannot contain flow indicator characters")
        if name and not _TAG_URI.fullmatch(name):
            raise self.error(f"tag name cannot contain such characters: {name}")
        if is_verbatim:
            self.tag = name
        elif handle in self.tag_map:
            self.tag = self.tag_map[handle] + name
        elif handle == "!":
            self.tag = "!" + name
        elif handle == "!!":
            self.tag = "tag:yaml.org,2002:" + name
        else:
            raise self.error(f'undeclared tag handle "{handle}"')
        return True

    def read_anchor_property(self) -> bool:
        if self.code(self.position) != 0x26:
            return False
        if self.anchor is not None:
            raise self.error("duplication of an anchor property")
        self.position += 1
        start = self.position
        ch = self.code(self.position)
        while ch != 0 and not _is_ws_or_eol(ch) and not _is_flow_indicator(ch):
            self.position += 1
            ch = self.code(self.position)
        if self.position == start:
            raise self.error("name of an anchor node must contain at least one character")
        self.anchor = self.input[start:self.position]
        return True

    def read_alias(self) -> bool:
        if self.code(self.position) != 0x2A:
            return False
        self.position += 1
        start = self.position
        ch = self.code(self.position)
        while ch != 0 and not _is_ws_or_eol(ch) and not _is_flow_indicator(ch):
            self.position += 1
            ch = self.code(self.position)
        if self.position == start:
            raise self.error("name of an alias node must contain at least one character")
        alias = self.input[start:self.position]
        if alias not in self.anchor_map:
            raise self.error(f'unidentified alias "{alias}"')
        self.result = self.anchor_map[alias]
        self.skip_separation_space(True, -1)
        return True

    def remember_anchor(self, value: Any) -> None:
        """`state.anchorMap[state.anchor] = value`; `__proto__` would set the map's prototype, not an own key."""
        if self.anchor is not None and self.anchor != "__proto__":
            self.anchor_map[self.anchor] = value

    # -- nodes and documents ---------------------------------------------------------------------------------

    def _indent_status(self, parent_indent: int) -> int:
        if self.line_indent > parent_indent:
            return 1
        if self.line_indent == parent_indent:
            return 0
        return -1

    def compose_node(self, parent_indent: int, node_context: int, allow_to_seek: bool,
                     allow_compact: bool) -> bool:
        indent_status = 1
        at_new_line = has_content = False
        self.tag = self.anchor = self.kind = self.result = None
        allow_block_styles = allow_block_scalars = allow_block_collections = \
            node_context in (CONTEXT_BLOCK_OUT, CONTEXT_BLOCK_IN)
        if allow_to_seek and self.skip_separation_space(True, -1):
            at_new_line = True
            indent_status = self._indent_status(parent_indent)
        if indent_status == 1:
            while self.read_tag_property() or self.read_anchor_property():
                if self.skip_separation_space(True, -1):
                    at_new_line = True
                    allow_block_collections = allow_block_styles
                    indent_status = self._indent_status(parent_indent)
                else:
                    allow_block_collections = False
        if allow_block_collections:
            allow_block_collections = at_new_line or allow_compact
        if indent_status == 1 or node_context == CONTEXT_BLOCK_OUT:
            flow_indent = parent_indent if node_context in (CONTEXT_FLOW_IN, CONTEXT_FLOW_OUT) else parent_indent + 1
            block_indent = self.position - self.line_start
            if indent_status == 1:
                if ((allow_block_collections and (self.read_block_sequence(block_indent)
                                                  or self.read_block_mapping(block_indent, flow_indent)))
                        or self.read_flow_collection(flow_indent)):
                    has_content = True
                else:
                    if ((allow_block_scalars and self.read_block_scalar(flow_indent))
                            or self.read_single_quoted_scalar(flow_indent)
                            or self.read_double_quoted_scalar(flow_indent)):
                        has_content = True
                    elif self.read_alias():
                        has_content = True
                        if self.tag is not None or self.anchor is not None:
                            raise self.error("alias node should not have any properties")
                    elif self.read_plain_scalar(flow_indent, node_context == CONTEXT_FLOW_IN):
                        has_content = True
                        if self.tag is None:
                            self.tag = "?"
                    self.remember_anchor(self.result)
            elif indent_status == 0:
                # Block sequences may sit at their parent's indentation.
                has_content = allow_block_collections and self.read_block_sequence(block_indent)
        if self.tag is not None and self.tag != "!":
            self.resolve_tag()
        return self.tag is not None or self.anchor is not None or has_content

    def resolve_tag(self) -> None:
        """The tail of `composeNode`: implicit types for `?`, the explicit type for any other tag."""
        if self.tag == "?":
            if self.result is not None and self.kind != "scalar":
                raise self.error(f'unacceptable node kind for !<?> tag; it should be "scalar", not "{self.kind}"')
            for t in self.schema.implicit:
                if t.resolve(self.result):
                    self.result = t.construct(self.result)
                    self.tag = t.tag
                    self.remember_anchor(self.result)
                    break
            return
        t = self.schema.type_for(self.kind, self.tag)
        if t is None:
            raise self.error(f"unknown tag !<{self.tag}>")
        if self.result is not None and t.kind != self.kind:
            raise self.error(f'unacceptable node kind for !<{self.tag}> tag; it should be "{t.kind}", '
                             f'not "{self.kind}"')
        if not t.resolve(self.result):
            raise self.error(f"cannot resolve a node with !<{self.tag}> explicit tag")
        self.result = t.construct(self.result)
        self.remember_anchor(self.result)

    def read_document(self) -> None:
        has_directives = False
        self.version = None
        self.check_line_breaks = False
        self.tag_map = {}
        self.anchor_map = {}
        while self.code(self.position) != 0:
            self.skip_separation_space(True, -1)
            ch = self.code(self.position)
            if self.line_indent > 0 or ch != 0x25:
                break
            has_directives = True
            self.position += 1
            ch = self.code(self.position)
            start = self.position
            while ch != 0 and not _is_ws_or_eol(ch):
                self.position += 1
                ch = self.code(self.position)
            name = self.input[start:self.position]
            args: list[str] = []
            if len(name) < 1:
                raise self.error("directive name must not be less than one character in length")
            while ch != 0:
                while _is_white_space(ch):
                    self.position += 1
                    ch = self.code(self.position)
                if ch == 0x23:
                    while True:
                        self.position += 1
                        ch = self.code(self.position)
                        if ch == 0 or _is_eol(ch):
                            break
                    break
                if _is_eol(ch):
                    break
                start = self.position
                while ch != 0 and not _is_ws_or_eol(ch):
                    self.position += 1
                    ch = self.code(self.position)
                args.append(self.input[start:self.position])
            if ch != 0:
                self.read_line_break()
            if name == "YAML":
                self.handle_yaml_directive(args)
            elif name == "TAG":
                self.handle_tag_directive(args)
        self.skip_separation_space(True, -1)
        if (self.line_indent == 0 and self.code(self.position) == 0x2D and self.code(self.position + 1) == 0x2D
                and self.code(self.position + 2) == 0x2D):
            self.position += 3
            self.skip_separation_space(True, -1)
        elif has_directives:
            raise self.error("directives end mark is expected")
        self.compose_node(self.line_indent - 1, CONTEXT_BLOCK_OUT, False, True)
        self.skip_separation_space(True, -1)
        self.documents.append(self.result)
        if self.position == self.line_start and self.test_document_separator():
            if self.code(self.position) == 0x2E:
                self.position += 3
                self.skip_separation_space(True, -1)
            return
        if self.position < self.length - 1:
            raise self.error("end of the stream or a document separator is expected")


def load_documents(text: str, schema: Schema) -> list[Any]:
    """loader.js `loadDocuments`: every document of `text` (UTF-16 units in Python text), values not yet rejoined."""
    if text:
        if text[-1] not in "\n\r":
            text += "\n"
        if text[0] == "\ufeff":
            text = text[1:]
    state = _Loader(text, schema)
    nul = text.find("\x00")
    if nul != -1:
        state.position = nul
        raise state.error("null byte is not allowed in input")
    state.terminate()
    while state.code(state.position) == 0x20:
        state.line_indent += 1
        state.position += 1
    with js_stack():
        while state.position < state.length - 1:
            state.read_document()
    return state.documents


def safe_load(text: str, schema: Schema, undefined: Any = None) -> Any:
    """js-yaml `safeLoad(text)`: the single document's value, `undefined` for an empty stream.

    Raises YamlLoadError with js-yaml's message (`<reason> at line L, column C:\\n<snippet>`).
    """
    documents = load_documents(to_utf16_units(text), schema)
    if not documents:
        return undefined
    if len(documents) > 1:
        raise YamlLoadError("expected a single document in the stream, but found more")
    with js_stack():
        return _rejoin(documents[0], {})  # also joins the surrogate pairs that `\U` escapes produce


def _rejoin(value: Any, seen: dict[int, Any]) -> Any:
    """Turn the UTF-16 unit strings of a loaded value back into Python text, in place (aliases stay shared)."""
    if isinstance(value, str):
        return from_utf16_units(value)
    if isinstance(value, list):
        if id(value) not in seen:
            seen[id(value)] = value
            value[:] = [_rejoin(v, seen) for v in value]
        return value
    if isinstance(value, dict):
        if id(value) not in seen:
            seen[id(value)] = value
            items = [(from_utf16_units(k), _rejoin(v, seen)) for k, v in value.items()]
            value.clear()
            value.update(items)
        return value
    return value
