"""gray-matter 4.0.3 `matter.stringify` with js-yaml 3.14 `safeDump`, as SemanticWiki's `write_wiki_page` calls it.

SemanticWiki writes every page as `matter.stringify(content, {title, generated, ...})`. The bytes on disk therefore
follow js-yaml 3's dumper: strings that another YAML 1.1 resolver would read as null/bool/int/float/timestamp/merge
are single-quoted (`'yes'`, `'null'`, `'123'`, `'2026-01-02T03:04:05.678Z'`), `: ` and ` #` force quotes, strings
with a non-printable UTF-16 code unit (tabs, emoji, which are surrogate pairs) are double-quoted with escapes,
multi-line strings become `|-` blocks and single lines longer than the width become folded `>-` blocks, empty lists
are `[]`. gray-matter first parses any frontmatter already at the start of `content` (its keys come first, the
tool's override them), caches that parse per process (keyed by the content), and throws Node's TypeErrors for a
missing content. All of that is reproduced here, operating on UTF-16 code units where JavaScript does. Front matter
already in `content` is read by `yaml_load.py`, a port of js-yaml's own loader, so malformed blocks fail (or pass)
exactly where js-yaml's do, with its messages and positions.

What it deliberately does not do:
- run the `javascript` front-matter engine (it `eval`s the block): such a block is taken as empty.

Usage: `matter_stringify(content, {"title": t, "generated": ctx.now_iso(), ...}, cache=ctx.extra[...])`.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from typing import Any

from wikigym.tools import yaml_load
from wikigym.tools.context import NodeError
from wikigym.tools.jsjson import json_parse
from wikigym.tools.node_fs import MISSING, js_number_to_string
from wikigym.tools.search.jsstr import JS_WHITESPACE, js_trim
from wikigym.tools.yaml_load import Schema, YamlType, js_stack

# ---------------------------------------------------------------------------------------------------------------
# JavaScript values that JSON has no word for.

TAG = "tag:yaml.org,2002:"
# Properties every plain JavaScript object inherits: a lookup by one of these names finds something.
OBJECT_PROTOTYPE_NAMES = frozenset({
    "constructor", "__defineGetter__", "__defineSetter__", "hasOwnProperty", "__lookupGetter__", "__lookupSetter__",
    "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf", "__proto__", "toLocaleString"})


@dataclass(eq=False)
class JsDate:
    """A JavaScript `Date` (js-yaml builds one for `2024-01-15`), as milliseconds since the epoch."""

    ms: int

    def iso(self) -> str:
        """`Date.prototype.toISOString`."""
        days, rem = divmod(self.ms, 86_400_000)
        y, m, d = _civil_from_days(days)
        hh, rem = divmod(rem, 3_600_000)
        mm, rem = divmod(rem, 60_000)
        ss, ms = divmod(rem, 1000)
        year = f"{y:04d}" if 0 <= y <= 9999 else ("+" if y > 0 else "-") + f"{abs(y):06d}"
        return f"{year}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{ms:03d}Z"

    def to_string(self) -> str:
        """`Date.prototype.toString` in a process running in UTC (what `String(date)` gives a mapping key)."""
        days, rem = divmod(self.ms, 86_400_000)
        y, m, d = _civil_from_days(days)
        weekday = ("Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed")[days % 7]
        month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[m - 1]
        hh, rem = divmod(rem, 3_600_000)
        mm, rem = divmod(rem, 60_000)
        ss = rem // 1000
        year = f"{y:04d}" if y >= 0 else f"-{abs(y):06d}"
        return f"{weekday} {month} {d:02d} {year} {hh:02d}:{mm:02d}:{ss:02d} GMT+0000 (Coordinated Universal Time)"


class JsFunction:
    """A JavaScript function value (js-yaml refuses to dump one: `[object Function]`)."""


@dataclass(eq=False)
class JsBuffer:
    """A Node `Buffer` (js-yaml builds one for `!!binary`)."""

    data: bytes = b""


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return y + (m <= 2), m, d


def date_utc(year: int, month: int, day: int, h: int = 0, mi: int = 0, s: int = 0, ms: int = 0) -> int:
    """`Date.UTC` (month 0-based, overflowing fields roll over, years 0-99 mean 1900-1999)."""
    if 0 <= year <= 99:
        year += 1900
    ym = year + month // 12
    mn = month % 12
    days = _days_from_civil(ym, mn + 1, 1) + day - 1
    return days * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms


def to_utf16(s: str) -> str:
    """The same text with astral characters split into surrogate pairs: one Python char per JS code unit."""
    if all(ord(c) <= 0xFFFF for c in s):
        return s
    out = []
    for c in s:
        o = ord(c)
        if o > 0xFFFF:
            o -= 0x10000
            out.append(chr(0xD800 + (o >> 10)))
            out.append(chr(0xDC00 + (o & 0x3FF)))
        else:
            out.append(c)
    return "".join(out)


def from_utf16(s: str) -> str:
    """Join surrogate pairs back into characters (lone surrogates stay as they are)."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        return s
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def js_keys(obj: dict) -> list[str]:
    """`Object.keys` order: array-index keys ascending first, then the other keys in insertion order."""
    idx = []
    rest = []
    for k in obj:
        if _ARRAY_INDEX.fullmatch(k) and int(k) < 2**32 - 1:
            idx.append(k)
        else:
            rest.append(k)
    if not idx:
        return rest
    return sorted(idx, key=int) + rest


def js_type_error_read(value: Any, prop: str) -> NodeError:
    """`Cannot read properties of undefined (reading 'content')` for a property read on null/undefined."""
    what = "undefined" if value is MISSING else "null"
    return NodeError(f"Cannot read properties of {what} (reading '{prop}')")


def _to_js_number(v: int | float) -> int | float:
    """Integers beyond 2**53 are doubles in JavaScript."""
    if isinstance(v, int) and abs(v) > 2**53:
        try:
            return float(v)
        except OverflowError:
            return math.inf if v > 0 else -math.inf
    return v


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---------------------------------------------------------------------------------------------------------------
# js-yaml 3.14 implicit resolvers (DEFAULT_SAFE_SCHEMA order: null, bool, int, float, timestamp, merge).

_FLOAT_RE = re.compile(r"(?:[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
                       r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
                       r"|[-+]?\.(?:inf|Inf|INF)"
                       r"|\.(?:nan|NaN|NAN))")
_DATE_RE = re.compile(r"([0-9][0-9][0-9][0-9])-([0-9][0-9])-([0-9][0-9])")
_TIMESTAMP_RE = re.compile(r"([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \t]+)([0-9][0-9]?)"
                           r":([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?"
                           r"(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?")
_SEXAGESIMAL_TAIL = re.compile(r"(:[0-5]?[0-9])+")


def _resolve_null(data: str | None) -> bool:
    return data is None or data in ("~", "null", "Null", "NULL")


def _resolve_bool(data: str | None) -> bool:
    return data in ("true", "True", "TRUE", "false", "False", "FALSE")


def _resolve_int(data: str | None) -> bool:  # noqa: C901 - a line-by-line port of js-yaml's resolveYamlInteger
    if data is None or not data:
        return False
    mx = len(data)
    i = 0
    ch: str | None = data[0]
    if ch in ("-", "+"):
        i += 1
        ch = data[i] if i < mx else None
    if ch == "0":
        if i + 1 == mx:
            return True
        i += 1
        ch = data[i]
        if ch in ("b", "x"):
            allowed = "01" if ch == "b" else "0123456789ABCDEFabcdef"
            has_digits = False
            for c in data[i + 1:]:
                ch = c
                if c == "_":
                    continue
                if c not in allowed:
                    return False
                has_digits = True
            return has_digits and ch != "_"
        has_digits = False
        for c in data[i:]:
            ch = c
            if c == "_":
                continue
            if c not in "01234567":
                return False
            has_digits = True
        return has_digits and ch != "_"
    if ch == "_":
        return False
    has_digits = False
    j = i
    while j < mx:
        ch = data[j]
        if ch == "_":
            j += 1
            continue
        if ch == ":":
            break
        if ch not in "0123456789":
            return False
        has_digits = True
        j += 1
    if not has_digits or ch == "_":
        return False
    if ch != ":":
        return True
    return _SEXAGESIMAL_TAIL.fullmatch(data[j:]) is not None


def _construct_int(data: str) -> int | float:
    value = data.replace("_", "")
    sign = 1
    ch = value[0]
    if ch in "-+":
        if ch == "-":
            sign = -1
        value = value[1:]
        ch = value[0] if value else ""
    if value == "0":
        return 0
    if ch == "0":
        if value[1:2] == "b":
            return _to_js_number(sign * int(value[2:], 2))
        if value[1:2] == "x":
            return _to_js_number(sign * int(value[2:], 16))
        return _to_js_number(sign * int(value, 8))
    if ":" in value:
        total = 0
        base = 1
        for d in reversed(value.split(":")):
            total += int(d) * base
            base *= 60
        return _to_js_number(sign * total)
    return _to_js_number(sign * int(value))


def _resolve_float(data: str | None) -> bool:
    return data is not None and _FLOAT_RE.fullmatch(data) is not None and not data.endswith("_")


def _construct_float(data: str) -> float:
    value = data.replace("_", "").lower()
    sign = -1.0 if value[0] == "-" else 1.0
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return math.inf * sign
    if value == ".nan":
        return math.nan
    if ":" in value:
        total = 0.0
        base = 1.0
        for d in reversed(value.split(":")):
            total += float(d) * base
            base *= 60
        return sign * total
    return sign * float(value)


def _resolve_timestamp(data: str | None) -> bool:
    return data is not None and (_DATE_RE.fullmatch(data) is not None or _TIMESTAMP_RE.fullmatch(data) is not None)


def _construct_timestamp(data: str) -> JsDate:
    m = _DATE_RE.fullmatch(data)
    if m is not None:
        return JsDate(date_utc(int(m[1]), int(m[2]) - 1, int(m[3])))
    m = _TIMESTAMP_RE.fullmatch(data)
    assert m is not None
    fraction = 0
    if m[7]:
        fraction = int((m[7][:3] + "000")[:3])
    ms = date_utc(int(m[1]), int(m[2]) - 1, int(m[3]), int(m[4]), int(m[5]), int(m[6]), fraction)
    if m[9]:
        delta = (int(m[10]) * 60 + int(m[11] or 0)) * 60000
        ms -= -delta if m[9] == "-" else delta
    return JsDate(ms)


def _resolve_merge(data: str | None) -> bool:
    return data is None or data == "<<"


def resolves_implicitly(s: str) -> bool:
    """True when js-yaml 3 would read the plain scalar `s` as something other than a string (so it dumps quoted)."""
    return (_resolve_null(s) or _resolve_bool(s) or _resolve_int(s) or _resolve_float(s) or _resolve_timestamp(s)
            or _resolve_merge(s))


# ---------------------------------------------------------------------------------------------------------------
# js-yaml 3.14 dumper (safeDump with default options: indent 2, lineWidth 80, refs on, block styles).

_DEPRECATED_BOOLEANS = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
                                  "n", "N", "no", "No", "NO", "off", "Off", "OFF"})
_ESCAPES = {0x00: "\\0", 0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f",
            0x0D: "\\r", 0x1B: "\\e", 0x22: '\\"', 0x5C: "\\\\", 0x85: "\\N", 0xA0: "\\_", 0x2028: "\\L",
            0x2029: "\\P"}
_STYLE_PLAIN, _STYLE_SINGLE, _STYLE_LITERAL, _STYLE_FOLDED, _STYLE_DOUBLE = 1, 2, 3, 4, 5
_INDENT = 2
_LINE_WIDTH = 80


def _is_printable(c: int) -> bool:
    return (0x20 <= c <= 0x7E or (0xA1 <= c <= 0xD7FF and c not in (0x2028, 0x2029))
            or (0xE000 <= c <= 0xFFFD and c != 0xFEFF) or 0x10000 <= c <= 0x10FFFF)


def _is_whitespace(c: int) -> bool:
    return c in (0x20, 0x09)


def _is_ns_char(c: int) -> bool:
    return _is_printable(c) and not _is_whitespace(c) and c not in (0xFEFF, 0x0D, 0x0A)


_NOT_PLAIN = frozenset(map(ord, ",[]{}:"))
_NOT_PLAIN_FIRST = frozenset(map(ord, "-?:,[]{}#&*!|=>'\"%@`"))


def _is_plain_safe(c: int, prev: int | None) -> bool:
    return (_is_printable(c) and c != 0xFEFF and c not in _NOT_PLAIN
            and (c != 0x23 or (prev is not None and prev != 0 and _is_ns_char(prev))))


def _is_plain_safe_first(c: int) -> bool:
    return _is_printable(c) and c != 0xFEFF and not _is_whitespace(c) and c not in _NOT_PLAIN_FIRST


_LEADING_SPACE = re.compile(r"\n* ")


def _choose_scalar_style(s: str, single_line_only: bool, line_width: int) -> int:
    """js-yaml's chooseScalarStyle; `s` is in UTF-16 code units."""
    has_line_break = False
    has_foldable_line = False
    previous_line_break = -1
    plain = _is_plain_safe_first(ord(s[0])) and not _is_whitespace(ord(s[-1]))
    i = 0
    n = len(s)
    for i in range(n):
        c = ord(s[i])
        if not single_line_only and c == 0x0A:
            has_line_break = True
            has_foldable_line = has_foldable_line or (
                i - previous_line_break - 1 > line_width and s[previous_line_break + 1] != " ")
            previous_line_break = i
        elif not _is_printable(c):
            return _STYLE_DOUBLE
        prev = ord(s[i - 1]) if i > 0 else None
        plain = plain and _is_plain_safe(c, prev)
    if not single_line_only:
        i = n
        has_foldable_line = has_foldable_line or (
            i - previous_line_break - 1 > line_width and s[previous_line_break + 1:previous_line_break + 2] != " ")
    if not has_line_break and not has_foldable_line:
        return _STYLE_PLAIN if plain and not resolves_implicitly(from_utf16(s)) else _STYLE_SINGLE
    return _STYLE_FOLDED if has_foldable_line else _STYLE_LITERAL


def _indent_string(s: str, spaces: int) -> str:
    ind = " " * spaces
    out = []
    pos = 0
    n = len(s)
    while pos < n:
        nxt = s.find("\n", pos)
        if nxt == -1:
            line = s[pos:]
            pos = n
        else:
            line = s[pos:nxt + 1]
            pos = nxt + 1
        if line and line != "\n":
            out.append(ind)
        out.append(line)
    return "".join(out)


def _block_header(s: str) -> str:
    indicator = str(_INDENT) if _LEADING_SPACE.match(s) else ""
    clip = s[-1:] == "\n"
    keep = clip and (s[-2:-1] == "\n" or s == "\n")
    chomp = "+" if keep else ("" if clip else "-")
    return indicator + chomp + "\n"


def _drop_ending_newline(s: str) -> str:
    return s[:-1] if s.endswith("\n") else s


_BREAK_RE = re.compile(r" [^ ]")
_LINE_RE = re.compile(r"(\n+)([^\n]*)")


def _fold_line(line: str, width: int) -> str:
    if line == "" or line[0] == " ":
        return line
    start = 0
    curr = 0
    out = ""
    for m in _BREAK_RE.finditer(line):
        nxt = m.start()
        if nxt - start > width:
            end = curr if curr > start else nxt
            out += "\n" + line[start:end]
            start = end + 1
        curr = nxt
    out += "\n"
    if len(line) - start > width and curr > start:
        out += line[start:curr] + "\n" + line[curr + 1:]
    else:
        out += line[start:]
    return out[1:]


def _fold_string(s: str, width: int) -> str:
    next_lf = s.find("\n")
    if next_lf == -1:
        next_lf = len(s)
    result = _fold_line(s[:next_lf], width)
    prev_more_indented = s[:1] in ("\n", " ")
    for m in _LINE_RE.finditer(s, next_lf):
        prefix, line = m[1], m[2]
        more_indented = line[:1] == " "
        result += prefix + ("\n" if not prev_more_indented and not more_indented and line != "" else "") \
            + _fold_line(line, width)
        prev_more_indented = more_indented
    return result


def _encode_hex(c: int) -> str:
    if c <= 0xFF:
        return "\\x" + f"{c:02X}"
    if c <= 0xFFFF:
        return "\\u" + f"{c:04X}"
    return "\\U" + f"{c:08X}"


def _escape_string(s: str) -> str:
    out = []
    i = 0
    n = len(s)
    while i < n:
        c = ord(s[i])
        if 0xD800 <= c <= 0xDBFF and i + 1 < n and 0xDC00 <= ord(s[i + 1]) <= 0xDFFF:
            out.append(_encode_hex((c - 0xD800) * 0x400 + ord(s[i + 1]) - 0xDC00 + 0x10000))
            i += 2
            continue
        esc = _ESCAPES.get(c)
        out.append(s[i] if esc is None and _is_printable(c) else (esc or _encode_hex(c)))
        i += 1
    return "".join(out)


def _write_scalar(s: str, level: int, iskey: bool) -> str:
    """js-yaml's writeScalar; `s` in UTF-16 code units, result too."""
    if len(s) == 0:
        return "''"
    if s in _DEPRECATED_BOOLEANS:
        return "'" + s + "'"
    indent = _INDENT * max(1, level)
    line_width = max(min(_LINE_WIDTH, 40), _LINE_WIDTH - indent)
    style = _choose_scalar_style(s, iskey, line_width)
    if style == _STYLE_PLAIN:
        return s
    if style == _STYLE_SINGLE:
        return "'" + s.replace("'", "''") + "'"
    if style == _STYLE_LITERAL:
        return "|" + _block_header(s) + _drop_ending_newline(_indent_string(s, indent))
    if style == _STYLE_FOLDED:
        return ">" + _block_header(s) + _drop_ending_newline(_indent_string(_fold_string(s, line_width), indent))
    return '"' + _escape_string(s) + '"'


def _js_class(v: Any) -> str:
    """`Object.prototype.toString.call(v)` for the values a dump can meet."""
    if v is MISSING:
        return "[object Undefined]"
    if v is None:
        return "[object Null]"
    if isinstance(v, bool):
        return "[object Boolean]"
    if _is_number(v):
        return "[object Number]"
    if isinstance(v, str):
        return "[object String]"
    if isinstance(v, list):
        return "[object Array]"
    if isinstance(v, JsDate):
        return "[object Date]"
    if isinstance(v, JsBuffer):
        return "[object Uint8Array]"
    if isinstance(v, JsFunction):
        return "[object Function]"
    return "[object Object]"


def _represent_number(v: int | float) -> str:
    v = _to_js_number(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        if v == 0 and math.copysign(1.0, v) < 0:
            return "-0.0"
        if not v.is_integer():
            res = js_number_to_string(v)
            return res.replace("e", ".e", 1) if re.match(r"[-+]?[0-9]+e", res) else res
    return js_number_to_string(v)


class _Dumper:
    """State of one js-yaml `dump` call (duplicate references and the node being written)."""

    def __init__(self, root: Any):
        self.tag: str | None = None
        self.dump: Any = None
        self.duplicates: list[Any] = []
        objects: list[Any] = []
        dup_indexes: list[int] = []
        self._inspect(root, objects, dup_indexes)
        self.duplicates = [objects[i] for i in dup_indexes]
        self.used = [False] * len(self.duplicates)

    def _inspect(self, obj: Any, objects: list[Any], dup_indexes: list[int]) -> None:
        if not isinstance(obj, (dict, list, JsDate, JsBuffer)):
            return
        for i, o in enumerate(objects):
            if o is obj:
                if i not in dup_indexes:
                    dup_indexes.append(i)
                return
        objects.append(obj)
        if isinstance(obj, list):
            for item in obj:
                self._inspect(item, objects, dup_indexes)
        elif isinstance(obj, dict):
            for k in js_keys(obj):
                self._inspect(obj[k], objects, dup_indexes)

    def _dup_index(self, obj: Any) -> int:
        for i, o in enumerate(self.duplicates):
            if o is obj:
                return i
        return -1

    def _detect_type(self, obj: Any) -> None:
        """Implicit types (null, bool, int, float, timestamp) and then the explicit binary type."""
        if obj is None:
            self.tag, self.dump = "?", "null"
        elif isinstance(obj, bool):
            self.tag, self.dump = "?", "true" if obj else "false"
        elif _is_number(obj):
            self.tag, self.dump = "?", _represent_number(obj)
        elif isinstance(obj, JsDate):
            self.tag, self.dump = "?", obj.iso()
        elif isinstance(obj, JsBuffer):
            self.tag, self.dump = TAG + "binary", base64.b64encode(obj.data).decode("ascii")

    def write_node(self, level: int, obj: Any, block: bool, compact: bool, iskey: bool = False) -> None:
        self.tag = None
        self.dump = obj
        self._detect_type(obj)
        kind = "[object String]" if self.tag is not None else _js_class(obj)
        object_or_array = kind in ("[object Object]", "[object Array]")
        dup = self._dup_index(obj) if object_or_array else -1
        duplicate = dup != -1
        if (self.tag is not None and self.tag != "?") or duplicate:
            compact = False
        if duplicate and self.used[dup]:
            self.dump = f"*ref_{dup}"
            return
        if duplicate:
            self.used[dup] = True
        if kind == "[object Object]":
            if block and len(obj) != 0:
                self._block_mapping(level, obj, compact)
                if duplicate:
                    self.dump = f"&ref_{dup}" + self.dump
            else:
                self._flow_mapping(level, obj)
                if duplicate:
                    self.dump = f"&ref_{dup} " + self.dump
        elif kind == "[object Array]":
            if block and len(obj) != 0:
                self._block_sequence(level, obj, compact)
                if duplicate:
                    self.dump = f"&ref_{dup}" + self.dump
            else:
                self._flow_sequence(level, obj)
                if duplicate:
                    self.dump = f"&ref_{dup} " + self.dump
        elif kind == "[object String]":
            if self.tag != "?":
                self.dump = _write_scalar(to_utf16(self.dump), level, iskey)
        else:
            raise NodeError(f"unacceptable kind of an object to dump {kind}")
        if self.tag is not None and self.tag != "?":
            self.dump = f"!<{self.tag}> " + self.dump

    def _flow_sequence(self, level: int, obj: list) -> None:
        tag = self.tag
        parts = []
        for i, item in enumerate(obj):
            self.write_node(level, item, False, False)
            parts.append(("," + " " if i != 0 else "") + self.dump)
        self.tag = tag
        self.dump = "[" + "".join(parts) + "]"

    def _block_sequence(self, level: int, obj: list, compact: bool) -> None:
        tag = self.tag
        out = ""
        for i, item in enumerate(obj):
            self.write_node(level + 1, item, True, True)
            if not compact or i != 0:
                out += "\n" + " " * (_INDENT * level)
            out += "-" if self.dump[:1] == "\n" else "- "
            out += self.dump
        self.tag = tag
        self.dump = out or "[]"

    def _flow_mapping(self, level: int, obj: dict) -> None:
        tag = self.tag
        out = ""
        for i, key in enumerate(js_keys(obj)):
            buf = ", " if i != 0 else ""
            self.write_node(level, key, False, False)
            if len(self.dump) > 1024:
                buf += "? "
            buf += self.dump + ": "
            self.write_node(level, obj[key], False, False)
            out += buf + self.dump
        self.tag = tag
        self.dump = "{" + out + "}"

    def _block_mapping(self, level: int, obj: dict, compact: bool) -> None:
        tag = self.tag
        out = ""
        for i, key in enumerate(js_keys(obj)):
            buf = ""
            if not compact or i != 0:
                buf += "\n" + " " * (_INDENT * level)
            self.write_node(level + 1, key, True, True, True)
            explicit = (self.tag is not None and self.tag != "?") or len(self.dump) > 1024
            if explicit:
                buf += "?" if self.dump[:1] == "\n" else "? "
            buf += self.dump
            if explicit:
                buf += "\n" + " " * (_INDENT * level)
            self.write_node(level + 1, obj[key], True, explicit)
            buf += ":" if self.dump[:1] == "\n" else ": "
            buf += self.dump
            out += buf
        self.tag = tag
        self.dump = out or "{}"


def safe_dump(value: Any) -> str:
    """js-yaml 3.14 `safeDump(value)` with default options.

    Raises NodeError(`unacceptable kind of an object to dump [object Undefined]`) for a MISSING value, as js-yaml
    does for `undefined`.

    >>> safe_dump({"title": "yes", "v": 1.0, "sources": []})
    "title: 'yes'\\nv: 1\\nsources: []\\n"
    """
    with js_stack():
        d = _Dumper(value)
        d.write_node(0, value, True, True)
    return from_utf16(d.dump) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# js-yaml 3.14 safeLoad: the loader is a port of loader.js (yaml_load.py); these are its DEFAULT_SAFE_SCHEMA types.


def _js_string(v: Any) -> str:
    """`String(v)` for loaded YAML values."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if _is_number(v):
        return js_number_to_string(v)
    if isinstance(v, str):
        return v
    if isinstance(v, JsDate):
        return v.to_string()
    if isinstance(v, JsBuffer):
        return v.data.decode("utf-8", "replace")
    if isinstance(v, list):
        return ",".join("" if x is None or x is MISSING else _js_string(x) for x in v)
    return "[object Object]"


def _construct_binary(data: str | None) -> JsBuffer:
    clean = re.sub(r"[ \t\n\r=]", "", data or "")
    return JsBuffer(base64.b64decode(clean + "=" * (-len(clean) % 4)))


def _resolve_binary(data: str | None) -> bool:
    """js-yaml's resolveYamlBinary: base64 alphabet plus '=' count 6 bits each, CR/LF are skipped."""
    if data is None:
        return False
    bits = 0
    for c in data:
        if c in "\n\r":
            continue
        if c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=":
            return False
        bits += 6
    return bits % 8 == 0


def _construct_str(data: str | None) -> str:
    return "" if data is None else data


def _resolve_omap(data: Any) -> bool:
    """js-yaml's resolveYamlOmap: every item a one-key plain object, no key twice."""
    if data is None:
        return True
    seen: set[str] = set()
    for pair in data:
        if not isinstance(pair, dict) or len(pair) != 1:
            return False
        key = next(iter(pair))
        if key in seen:
            return False
        seen.add(key)
    return True


def _resolve_pairs(data: Any) -> bool:
    return data is None or all(isinstance(pair, dict) and len(pair) == 1 for pair in data)


def _construct_pairs(data: Any) -> list:
    if data is None:
        return []
    return [[js_keys(pair)[0], pair[js_keys(pair)[0]]] for pair in data]


def _resolve_set(data: Any) -> bool:
    return data is None or all(v is None for v in data.values())


def _own_entries(source: Any) -> list[tuple[str, Any]] | None:
    """`Object.keys(source)` with values for a `<<` merge source; None for what `common.isObject` rejects."""
    if isinstance(source, dict):
        return [(k, source[k]) for k in js_keys(source)]
    if isinstance(source, list):
        return [(str(i), v) for i, v in enumerate(source)]
    if isinstance(source, JsBuffer):
        return [(str(i), b) for i, b in enumerate(source.data)]
    if isinstance(source, JsDate):
        return []
    return None


def _yaml_types() -> tuple[tuple[YamlType, ...], dict[str, YamlType]]:
    def scalar(name: str, resolve: Any, construct: Any) -> YamlType:
        return YamlType(TAG + name, "scalar", resolve, construct)

    implicit = (
        scalar("null", _resolve_null, lambda d: None),
        scalar("bool", _resolve_bool, lambda d: d in ("true", "True", "TRUE")),
        scalar("int", _resolve_int, _construct_int),
        scalar("float", _resolve_float, _construct_float),
        scalar("timestamp", _resolve_timestamp, _construct_timestamp),
        scalar("merge", _resolve_merge, lambda d: d),
    )
    explicit = [
        scalar("str", lambda d: True, _construct_str),
        YamlType(TAG + "seq", "sequence", lambda d: True, lambda d: [] if d is None else d),
        YamlType(TAG + "map", "mapping", lambda d: True, lambda d: {} if d is None else d),
        *implicit,
        scalar("binary", _resolve_binary, _construct_binary),
        YamlType(TAG + "omap", "sequence", _resolve_omap, lambda d: [] if d is None else d),
        YamlType(TAG + "pairs", "sequence", _resolve_pairs, _construct_pairs),
        YamlType(TAG + "set", "mapping", _resolve_set, lambda d: {} if d is None else d),
    ]
    return implicit, {t.tag: t for t in explicit}


_IMPLICIT_TYPES, _EXPLICIT_TYPES = _yaml_types()
SAFE_SCHEMA = Schema(implicit=_IMPLICIT_TYPES, explicit=_EXPLICIT_TYPES, key_string=lambda v: _js_string(v),
                     own_entries=_own_entries)


def safe_load(text: str) -> Any:
    """js-yaml 3.14 `safeLoad(text)`: MISSING for an empty stream, else the single document's value.

    Raises YamlLoadError with js-yaml's message for malformed YAML.
    """
    return yaml_load.safe_load(text, SAFE_SCHEMA, undefined=MISSING)


# ---------------------------------------------------------------------------------------------------------------
# JSON engine (`---json` front matter): JSON.parse and JSON.stringify(obj, null, 2).


def _json_quote(s: str) -> str:
    out = ['"']
    for c in to_utf16(s) if any(ord(ch) > 0xFFFF for ch in s) else s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif o < 0x20:
            out.append(f"\\u{o:04x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append(c)  # paired surrogates are rejoined below; lone ones escaped there
        else:
            out.append(c)
    out.append('"')
    joined = "".join(out)
    # Well-formed JSON.stringify: escape lone surrogates, keep pairs.
    res = []
    i = 0
    while i < len(joined):
        o = ord(joined[i])
        if 0xD800 <= o <= 0xDBFF and i + 1 < len(joined) and 0xDC00 <= ord(joined[i + 1]) <= 0xDFFF:
            res.append(joined[i:i + 2])
            i += 2
            continue
        res.append(f"\\u{o:04x}" if 0xD800 <= o <= 0xDFFF else joined[i])
        i += 1
    return from_utf16("".join(res))


def json_stringify(value: Any, indent: str = "") -> str | None:
    """`JSON.stringify(value, null, 2)`; None where JavaScript gives undefined (an undefined value)."""
    step = "  "
    if value is MISSING:
        return None
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        v = float(_to_js_number(value)) if isinstance(value, float) else value
        if isinstance(v, float) and not math.isfinite(v):
            return "null"
        return js_number_to_string(value)
    if isinstance(value, str):
        return _json_quote(value)
    if isinstance(value, JsDate):
        return _json_quote(value.iso())
    if isinstance(value, JsBuffer):
        return json_stringify({"type": "Buffer", "data": list(value.data)}, indent)
    inner = indent + step
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [json_stringify(v, inner) or "null" for v in value]
        return "[\n" + ",\n".join(inner + it for it in items) + "\n" + indent + "]"
    parts = []
    for k in js_keys(value):
        s = json_stringify(value[k], inner)
        if s is not None:
            parts.append(inner + _json_quote(k) + ": " + s)
    if not parts:
        return "{}"
    return "{\n" + ",\n".join(parts) + "\n" + indent + "}"


# ---------------------------------------------------------------------------------------------------------------
# gray-matter 4.0.3.

_ENGINES = ("yaml", "json", "javascript")


def _engine_name(language: str) -> str:
    """gray-matter's getEngine: the engine for `language` (exact name, then the alias), or its error."""
    if language in _ENGINES or language in OBJECT_PROTOTYPE_NAMES:
        return language
    alias = {"js": "javascript", "javascript": "javascript", "yaml": "yaml", "yml": "yaml"}.get(language.lower())
    if alias is not None:
        return alias
    raise NodeError(f'gray-matter engine "{language}" is not registered')


@dataclass
class GrayMatterFile:
    """gray-matter's file object (only the fields `stringify` reads)."""

    content: Any
    data: Any = field(default_factory=dict)
    language: Any = MISSING


_COMMENT_LINES = re.compile("(?:\\A|(?<=[\n\r\u2028\u2029]))[" + JS_WHITESPACE + "]*#[^\n]+")
_NEWLINE = re.compile(r"\r?\n")


def _parse_front(language: str, block: str) -> Any:
    engine = _engine_name(language)
    if engine == "yaml":
        return safe_load(block)
    if engine == "json":
        return json_parse(block)
    if engine in OBJECT_PROTOTYPE_NAMES:
        return _prototype_engine_parse(engine, block)
    return {}  # the javascript engine `eval`s the block; see the module docstring


def _prototype_engine_parse(name: str, block: str) -> Any:
    """What `---<name>` front matter parses to when `<name>` is a property of `Object.prototype`.

    gray-matter looks engines up on a plain object, so such a name finds an inherited method; a function is wrapped
    as `{parse: fn}` and called as `engine.parse(block, opts)`. The first write with such content then fails in
    `stringify`, but gray-matter has already cached the parse, and a second write of the same content dumps it.
    """
    if name == "__proto__":  # Object.prototype itself: not a function, and it has no `parse`
        raise NodeError(f'expected "{name}.parse" to be a function')
    if name in ("__defineGetter__", "__defineSetter__"):
        raise NodeError(f"Object.prototype.{name}: Expecting function")
    if name == "constructor":
        return block  # Object(block): a String object, which Object.assign spreads like the string
    if name in ("toString", "toLocaleString"):
        return "[object Object]"
    if name == "valueOf":
        return {"parse": JsFunction()}  # the engine object itself
    if name in ("__lookupGetter__", "__lookupSetter__"):
        return MISSING
    return False  # hasOwnProperty, isPrototypeOf, propertyIsEnumerable


def _parse_matter(file: GrayMatterFile) -> None:
    """gray-matter's parseMatter (default delimiters `---`), mutating `file` as the JavaScript does."""
    s: str = file.content
    file.language = "yaml"
    if s[:3] != "---":
        return
    if s[3:4] == "-":
        return
    s = s[3:]
    m = _NEWLINE.search(s)
    raw = s[:m.start()] if m else s[:-1]
    name = js_trim(raw) if raw else ""
    if name:
        file.language = name
        s = s[len(raw):]
    close = s.find("\n---")
    matter = s if close == -1 else s[:close]
    block = js_trim(_COMMENT_LINES.sub("", matter))
    if block == "":
        file.data = {}
    else:
        file.data = _parse_front(file.language, matter)
    if close == -1:
        file.content = ""
    else:
        c = s[close + 4:]
        if c[:1] == "\r":
            c = c[1:]
        if c[:1] == "\n":
            c = c[1:]
        file.content = c


def matter(content: str, cache: dict[str, GrayMatterFile] | None) -> GrayMatterFile:
    """gray-matter's `matter(input)` with its process-wide cache (`cache` plays `matter.cache`)."""
    if content == "":
        return GrayMatterFile(content="", data={})
    text = content[1:] if content.startswith("\ufeff") else content
    if text in OBJECT_PROTOTYPE_NAMES:
        # `matter.cache[text]` finds an inherited property of the cache object: a "hit" with no own fields.
        return GrayMatterFile(content=MISSING, data=MISSING)
    if cache is not None and text in cache:
        hit = cache[text]
        return GrayMatterFile(content=hit.content, data=hit.data)  # the shallow copy drops `language`
    file = GrayMatterFile(content=text, data={}, language="")
    if cache is not None:
        cache[text] = file
    _parse_matter(file)
    return file


def _assign(target: dict[str, Any], source: Any) -> None:
    """`Object.assign(target, source)` for one source."""
    if isinstance(source, dict):
        for k in js_keys(source):
            if k != "__proto__":
                target[k] = source[k]
    elif isinstance(source, str):
        for i, unit in enumerate(to_utf16(source)):
            target[str(i)] = unit
    elif isinstance(source, list):
        for i, item in enumerate(source):
            target[str(i)] = item
    elif isinstance(source, JsBuffer):
        for i, b in enumerate(source.data):
            target[str(i)] = b


def _newline(s: Any) -> str:
    if isinstance(s, str):
        return s if s.endswith("\n") else s + "\n"
    if s is MISSING or s is None:
        raise js_type_error_read(s, "slice")
    if isinstance(s, list):
        return _js_string(s) + "\n"
    raise NodeError("str.slice is not a function")


def stringify(file: Any, data: dict[str, Any]) -> str:
    """gray-matter's `stringify(file, data)` for a file object, or for whatever non-string `content` was passed."""
    if file is MISSING or file is None:
        raise js_type_error_read(file, "content")
    excerpt: Any = MISSING
    if isinstance(file, GrayMatterFile):
        body, file_data, language = file.content, file.data, file.language
    elif isinstance(file, dict):
        body, file_data, language = file.get("content", MISSING), file.get("data", MISSING), file.get("language")
        excerpt = file.get("excerpt", MISSING)
    else:
        body, file_data, language = MISSING, MISSING, MISSING
    if isinstance(language, str) and language:
        lang = language
    elif language in (MISSING, None, False, "", 0):
        lang = "yaml"
    else:
        raise NodeError("name.toLowerCase is not a function")
    engine = _engine_name(lang)
    if engine in OBJECT_PROTOTYPE_NAMES:
        raise NodeError(f'expected "{lang}.stringify" to be a function')
    merged: dict[str, Any] = {}
    _assign(merged, file_data)
    _assign(merged, data)
    if engine == "javascript":
        raise NodeError("stringifying JavaScript is not supported")
    dumped = safe_dump(merged) if engine == "yaml" else (json_stringify(merged) or "")
    front = js_trim(dumped)
    buf = "" if front == "{}" else "---\n" + _newline(front) + "---\n"
    if isinstance(excerpt, str) and excerpt != "":
        if body is MISSING or body is None:
            raise js_type_error_read(body, "indexOf")
        if isinstance(body, str):
            found = js_trim(excerpt) in body
        elif isinstance(body, list):
            found = js_trim(excerpt) in body
        else:
            raise NodeError("str.indexOf is not a function")
        if not found:
            buf += _newline(excerpt) + "---\n"
    return buf + _newline(body)


def matter_stringify(content: Any, data: dict[str, Any], cache: dict[str, GrayMatterFile] | None = None) -> str:
    """`matter.stringify(content, data)` exactly as SemanticWiki calls it.

    Args:
        content: the page body from the tool call (any JSON value; a string is parsed for front matter first).
        data: the tool's front matter, in key order; MISSING values make js-yaml throw as `undefined` does.
        cache: gray-matter's per-process parse cache (pass the same dict for every call of one session).

    Returns:
        The file text. Raises NodeError with Node's message on the failures SemanticWiki reports.

    >>> matter_stringify("---\\nfoo: bar\\n---\\nbody", {"title": "T"})
    '---\\nfoo: bar\\ntitle: T\\n---\\nbody\\n'
    """
    file = matter(content, cache) if isinstance(content, str) else content
    return stringify(file, data)
