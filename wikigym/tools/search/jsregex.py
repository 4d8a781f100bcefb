"""Compile a JavaScript regular expression (no flags but `g`, non-unicode, Annex B) into a Python `re` pattern.

SemanticWiki's keyword fallback runs `new RegExp(term, 'g')` on every query word, so a word like `c++` makes V8 throw
`Invalid regular expression: /c++/g: Nothing to repeat`, and a word like `a.b` matches `a-b`. This module parses the
pattern with V8's grammar for non-unicode regexes (Annex B: lone `]`, `{`, `}` are literals, `\\8` is "8", octal
escapes, quantifiable lookaheads) and raises `JSRegexError` with V8's exact message for the syntax errors a query
word can contain. Valid patterns become Python regexes over UTF-16 code units with JavaScript's meanings of `.`,
`\\s`, `\\w`, `\\d`, `\\b`, `^` and `$`; `count_matches` counts matches the way `String.prototype.match(/…/g)` does.

What it deliberately does not do: flags other than `g` or unicode mode. Variable-width lookbehind, which `re` lacks,
is matched with the `regex` package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from wikigym.tools.search.jsstr import JS_S_CLASS, JS_WHITESPACE, js_len, to_utf16_units

_MAX_INT = 2**31 - 1
_HEX = "0123456789abcdefABCDEF"
_SYNTAX = set("^$\\.*+?()[]{}|/")


class JSRegexError(Exception):
    """A pattern V8 rejects; `message` is V8's `err.message`."""

    def __init__(self, source: str, reason: str, flags: str = "g"):
        self.message = f"Invalid regular expression: /{source}/{flags}: {reason}"
        super().__init__(self.message)


def _u(code: int) -> str:
    return f"\\u{code:04x}"


def _complement(ranges: list[tuple[int, int]]) -> str:
    out, prev = [], 0
    for lo, hi in sorted(ranges):
        if lo > prev:
            out.append(f"{_u(prev)}-{_u(lo - 1)}")
        prev = max(prev, hi + 1)
    if prev <= 0xFFFF:
        out.append(f"{_u(prev)}-{_u(0xFFFF)}")
    return "".join(out)


def _ws_ranges() -> list[tuple[int, int]]:
    return [(ord(c), ord(c)) for c in JS_WHITESPACE]


_D = "0-9"
_W = "A-Za-z0-9_"
_S = JS_S_CLASS
_ND = _complement([(0x30, 0x39)])
_NW = _complement([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
_NS = _complement(_ws_ranges())
_CLASS_BODY = {"d": _D, "D": _ND, "w": _W, "W": _NW, "s": _S, "S": _NS}
_CONTROL = {"f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}


@dataclass
class _Group:
    kind: str  # capture | noncapture | lookahead | lookbehind


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.s = to_utf16_units(source)
        self.n = len(self.s)
        self.i = 0
        self.capture_count = 0
        self.names: dict[str, int] = {}
        self.named_refs: list[str] = []
        self.total_captures, self.has_named = self._scan_captures()
        self.closed: set[int] = set()
        self.closed_names: set[str] = set()

    def error(self, reason: str) -> JSRegexError:
        return JSRegexError(self.source, reason)

    def _scan_captures(self) -> tuple[int, bool]:
        s, n, i, count, named, in_class = self.s, self.n, 0, 0, False, False
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if in_class:
                if c == "]":
                    in_class = False
            elif c == "[":
                in_class = True
            elif c == "(":
                if i + 1 < n and s[i + 1] == "?":
                    if i + 2 < n and s[i + 2] == "<" and i + 3 < n and s[i + 3] not in "=!":
                        count += 1
                        named = True
                else:
                    count += 1
            i += 1
        return count, named

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < self.n else ""

    # --- structure -------------------------------------------------------------------------------------------
    def parse(self) -> str:
        out = self.disjunction()
        if self.i < self.n:  # only a ')' stops a top-level disjunction
            raise self.error("Unmatched ')'")
        for name in self.named_refs:
            if name not in self.names:
                raise self.error("Invalid named capture referenced")
        return out

    def disjunction(self) -> str:
        alts = [self.alternative()]
        while self.peek() == "|":
            self.i += 1
            alts.append(self.alternative())
        return "|".join(alts)

    def alternative(self) -> str:
        parts = []
        while self.i < self.n and self.peek() not in "|)":
            parts.append(self.term())
        return "".join(parts)

    def term(self) -> str:
        c = self.peek()
        if c == "^":
            self.i += 1
            return r"\A"
        if c == "$":
            self.i += 1
            return r"\Z"
        if c in "*+?":
            raise self.error("Nothing to repeat")
        if c == "{":
            if self._braced_quantifier_at(self.i) is not None:
                raise self.error("Nothing to repeat")
            self.i += 1
            return self.quantified(re.escape("{"))
        if c == "(":
            atom, kind = self.group()
            if kind == "lookbehind":
                braced = self._braced_quantifier_at(self.i) if self.peek() == "{" else None
                if braced is not None and braced[1] != -1 and braced[0] > braced[1]:
                    raise self.error("numbers out of order in {} quantifier")  # V8 reads the quantifier first
                if self.peek() in ("*", "+", "?") or braced is not None:
                    raise self.error("Invalid quantifier")
                return atom
            return self.quantified(atom)
        if c == "[":
            return self.quantified(self.char_class())
        if c == ".":
            self.i += 1
            return self.quantified("[^\\n\\r\\u2028\\u2029]")
        if c == "\\":
            atom, quantifiable = self.atom_escape()
            if not quantifiable:
                return atom
            return self.quantified(atom)
        self.i += 1
        return self.quantified(_lit(c))

    def _braced_quantifier_at(self, j: int) -> tuple[int, int] | None:
        s, n = self.s, self.n
        if j >= n or s[j] != "{":
            return None
        k = j + 1
        start = k
        while k < n and s[k].isdigit() and s[k].isascii():
            k += 1
        if k == start:
            return None
        lo = min(int(s[start:k]), _MAX_INT)
        hi = lo
        if k < n and s[k] == ",":
            k += 1
            start2 = k
            while k < n and s[k].isdigit() and s[k].isascii():
                k += 1
            hi = min(int(s[start2:k]), _MAX_INT) if k > start2 else -1
        if k < n and s[k] == "}":
            self._brace_end = k + 1
            return lo, hi
        return None

    def quantified(self, atom: str) -> str:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.i += 1
            q = c
        elif c == "{":
            found = self._braced_quantifier_at(self.i)
            if found is None:
                return atom
            lo, hi = found
            self.i = self._brace_end
            if hi != -1 and lo > hi:
                raise self.error("numbers out of order in {} quantifier")
            q = f"{{{lo}}}" if hi == lo else (f"{{{lo},}}" if hi == -1 else f"{{{lo},{hi}}}")
        else:
            return atom
        if self.peek() == "?":
            self.i += 1
            q += "?"
        return f"(?:{atom}){q}"

    def group(self) -> tuple[str, str]:
        self.i += 1  # (
        kind = "capture"
        prefix = "("
        number = 0
        name: str | None = None
        if self.peek() == "?":
            nxt = self.peek(1)
            if nxt == ":":
                kind, prefix = "noncapture", "(?:"
                self.i += 2
            elif nxt in ("=", "!"):
                kind, prefix = "lookahead", f"(?{nxt}"
                self.i += 2
            elif nxt == "<" and self.peek(2) in ("=", "!") and self.peek(2) != "":
                kind, prefix = "lookbehind", f"(?<{self.peek(2)}"
                self.i += 3
            elif nxt == "<":
                self.i += 2
                name = self._group_name()
                if name is None:
                    raise self.error("Invalid capture group name")
                self.capture_count += 1
                number = self.capture_count
                self.names.setdefault(name, number)
            else:
                raise self.error("Invalid group")
        else:
            self.capture_count += 1
            number = self.capture_count
        body = self.disjunction()
        if self.peek() != ")":
            raise self.error("Unterminated group")
        self.i += 1
        if name is not None:
            # V8 registers a group's name when the group closes, so a duplicate is reported there: after any
            # error inside the second group, before any error in what follows it.
            if name in self.closed_names:
                raise self.error("Duplicate capture group name")
            self.closed_names.add(name)
        if number:
            self.closed.add(number)
        return f"{prefix}{body})", kind

    def _group_name(self) -> str | None:
        start = self.i
        while self.i < self.n and self.s[self.i] != ">":
            c = self.s[self.i]
            ok = c == "$" or c == "_" or c.isalpha() or (self.i > start and c.isdigit())
            if not ok:
                return None
            self.i += 1
        if self.i >= self.n or self.i == start:
            return None
        name = self.s[start:self.i]
        self.i += 1
        return name

    # --- escapes ---------------------------------------------------------------------------------------------
    def atom_escape(self) -> tuple[str, bool]:
        self.i += 1
        if self.i >= self.n:
            raise self.error("\\ at end of pattern")
        c = self.s[self.i]
        if c == "b":
            self.i += 1
            return r"\b", False
        if c == "B":
            self.i += 1
            # Python's \B never matches in an empty string; JavaScript's does.
            return "(?:(?<=[A-Za-z0-9_])(?=[A-Za-z0-9_])|(?<![A-Za-z0-9_])(?![A-Za-z0-9_]))", False
        if c in _CLASS_BODY:
            self.i += 1
            return f"[{_CLASS_BODY[c]}]", True
        if c in "123456789":
            j = self.i
            while j < self.n and self.s[j].isascii() and self.s[j].isdigit():
                j += 1
            num = int(self.s[self.i:j])
            if num <= self.total_captures:
                self.i = j
                if num not in self.closed:
                    return "(?:)", True  # a group not closed yet has captured nothing: matches empty in JS
                return f"(?({num})\\{num})", True
            if c in "89":
                self.i += 1
                return _lit(c), True
            return _lit(chr(self._octal())), True
        if c == "0":
            if self.peek(1).isascii() and self.peek(1).isdigit():
                return _lit(chr(self._octal())), True
            self.i += 1
            return _u(0), True
        if c == "k" and self.has_named:
            self.i += 1
            if self.peek() != "<":
                raise self.error("Invalid named reference")
            self.i += 1
            name = self._group_name()
            if name is None:
                raise self.error("Invalid named reference")
            self.named_refs.append(name)
            if name not in self.closed_names:
                return "(?:)", True  # a group not closed yet (enclosing or later) has captured nothing: matches empty
            return f"\x00ref:{name}\x00", True
        code = self._char_escape(in_class=False)
        return _lit(chr(code)), True

    def _octal(self) -> int:
        # Legacy octal escape: up to three octal digits, value <= 0o377.
        value = 0
        digits = 0
        while digits < 3 and self.i < self.n and self.s[self.i] in "01234567":
            nv = value * 8 + int(self.s[self.i])
            if nv > 0o377:
                break
            value = nv
            digits += 1
            self.i += 1
        return value

    def _char_escape(self, in_class: bool) -> int:
        """Escapes that stand for one character; on return `self.i` is past them."""
        c = self.s[self.i]
        if c in _CONTROL:
            self.i += 1
            return _CONTROL[c]
        if c == "c":
            nxt = self.peek(1)
            if nxt and nxt.isascii() and (nxt.isalpha() or (in_class and (nxt.isdigit() or nxt == "_"))):
                self.i += 2
                return ord(nxt) % 32
            # "\c" not followed by a control letter is a literal backslash; the "c" is parsed next.
            return ord("\\")
        if c == "x":
            h = self.s[self.i + 1:self.i + 3]
            if len(h) == 2 and all(ch in _HEX for ch in h):
                self.i += 3
                return int(h, 16)
            self.i += 1
            return ord("x")
        if c == "u":
            h = self.s[self.i + 1:self.i + 5]
            if len(h) == 4 and all(ch in _HEX for ch in h):
                self.i += 5
                return int(h, 16)
            self.i += 1
            return ord("u")
        self.i += 1
        return ord(c)

    # --- classes ---------------------------------------------------------------------------------------------
    def char_class(self) -> str:
        self.i += 1  # [
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        parts: list[str] = []
        while True:
            if self.i >= self.n:
                raise self.error("Unterminated character class")
            if self.s[self.i] == "]":
                self.i += 1
                break
            first = self._class_atom()
            if self.peek() == "-":
                self.i += 1
                if self.i >= self.n:
                    raise self.error("Unterminated character class")
                if self.s[self.i] == "]":
                    parts += [_class_part(first), _u(ord("-"))]
                    continue
                second = self._class_atom()
                if isinstance(first, str) or isinstance(second, str):
                    parts += [_class_part(first), _u(ord("-")), _class_part(second)]  # Annex B: no range
                    continue
                if first > second:
                    raise self.error("Range out of order in character class")
                parts.append(f"{_u(first)}-{_u(second)}")
            else:
                parts.append(_class_part(first))
        body = "".join(parts)
        if not body:
            return r"[\s\S]" if negated else "(?!)"
        return f"[{'^' if negated else ''}{body}]"

    def _class_atom(self) -> int | str:
        c = self.s[self.i]
        if c != "\\":
            self.i += 1
            return ord(c)
        self.i += 1
        if self.i >= self.n:
            raise self.error("\\ at end of pattern")
        c = self.s[self.i]
        if c in _CLASS_BODY:
            self.i += 1
            return _CLASS_BODY[c]
        if c == "b":
            self.i += 1
            return 0x08
        if c == "-":
            self.i += 1
            return ord("-")
        if c.isascii() and c.isdigit():
            if c in "89":
                self.i += 1
                return ord(c)
            return self._octal()
        if c == "c":
            code = self._char_escape(in_class=True)
            return code
        if c == "k" and self.has_named:
            raise self.error("Invalid escape")  # V8: `\k` is an identity escape only without named groups
        return self._char_escape(in_class=True)


def _named_ref(p: _Parser, name: str) -> str:
    num = p.names[name]
    return f"(?({num})\\{num})"


def _lit(c: str) -> str:
    return _u(ord(c)) if not c.isascii() or c in _SYNTAX or not c.isprintable() else re.escape(c)


def _class_part(item: int | str) -> str:
    return item if isinstance(item, str) else _u(item)


@dataclass(frozen=True)
class CompiledTerm:
    """A query word compiled once: a literal (fast `str.count`) or a Python regex with JS semantics."""

    source: str
    literal: str | None
    regex: re.Pattern | None


@lru_cache(maxsize=4096)
def compile_js_regex(source: str) -> CompiledTerm:
    """Parse `source` as `new RegExp(source, 'g')` would; raise `JSRegexError` where V8 throws.

    Example:
        >>> compile_js_regex("c++")
        Traceback (most recent call last):
        ...
        wikigym.tools.search.jsregex.JSRegexError: Invalid regular expression: /c++/g: Nothing to repeat
    """
    if source and not any(ch in _SYNTAX for ch in source):
        return CompiledTerm(source, source, None)
    p = _Parser(source)
    body = p.parse()
    if "\x00ref:" in body:
        body = re.sub("\x00ref:([^\x00]*)\x00", lambda m: _named_ref(p, m.group(1)), body)
    try:
        rx = re.compile(body, re.ASCII)
    except (re.error, OverflowError, RecursionError):
        rx = _compile_beyond_re(body)
    return CompiledTerm(source, None, rx)


def _compile_beyond_re(body: str) -> Any:
    """Valid JavaScript that `re` cannot express, chiefly variable-width lookbehind (`(?<!..*)`).

    The `regex` package matches lookbehind of any width, as V8 does; if even it refuses, V8's acceptance is kept
    and the word matches nothing.
    """
    import regex

    try:
        return regex.compile(body, regex.ASCII | regex.V0)
    except (regex.error, OverflowError, RecursionError):
        return re.compile("(?!)")


def count_matches(term: CompiledTerm, text: str, text_units: str | None = None) -> int:
    """`(text.match(new RegExp(term, 'g')) || []).length`.

    Args:
        term: the compiled query word.
        text: the string searched.
        text_units: `text` as UTF-16 code units when the caller has it cached (see `to_utf16_units`).
    """
    if term.literal is not None:
        return text.count(term.literal)
    if term.source == "":
        return js_len(text) + 1
    units = text_units if text_units is not None else to_utf16_units(text)
    rx = term.regex
    assert rx is not None
    count, pos, end = 0, 0, len(units)
    search = rx.search
    while pos <= end:
        m = search(units, pos)
        if m is None:
            break
        count += 1
        e = m.end()
        pos = e + 1 if e == m.start() else e  # an empty match advances lastIndex by one code unit
    return count
