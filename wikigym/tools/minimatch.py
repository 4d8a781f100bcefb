"""A port of npm `minimatch` 10 (`minimatch(path, pattern, {dot})`), the glob matcher of the filesystem MCP server.

The filesystem server filters `directory_tree` and `search_files` with minimatch, so which files a model sees
depends on its exact rules: brace expansion first (`{a,b}`, `{1..3}`), a leading `!` negates, a leading `#` is a
comment that matches nothing, `**` alone in a segment crosses directories (never `.` or `..` segments), `*` and `?`
stay inside a segment, `[...]` classes (with POSIX classes), extglobs `@(..)`, `!(..)`, `?(..)`, `*(..)`, `+(..)`,
backslash escapes, and the "fast tests" minimatch swaps in for `*`, `*.ext`, `???` style segments.

What it deliberately does not do: Windows paths, `nocase`, `matchBase`, `partial` or `makeRe` (the server uses
none of them). Extglob flattening, an optimisation in minimatch, is left out: it does not change what matches.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from functools import lru_cache

from wikigym.tools.node_fs import utf16_len

GLOBSTAR = object()
_EXT_TYPES = set("!?+*@")
_START_NO_TRAVERSAL = r"(?!(?:^|/)\.\.?(?:\Z|/))"
_START_NO_DOT = r"(?!\.)"
_ADD_PATTERN_START = {"[", "."}
_JUST_DOTS = {"..", "."}
_RE_SPECIALS = set("().*{}+?[]^$\\!")
_QMARK = "[^/]"
_STAR = _QMARK + "*?"
_STAR_NO_EMPTY = _QMARK + "+?"
_JS_DOT = "[^\\n\\r\\u2028\\u2029]"


def _re_escape(s: str) -> str:
    return re.sub(r"[-\[\]{}()*+?.,\\^$|#\s]", lambda m: "\\" + m.group(0), s)


def _brace_escape(s: str) -> str:
    return re.sub(r"[\[\]\\-]", lambda m: "\\" + m.group(0), s)


def unescape(s: str) -> str:
    """minimatch's `unescape` (magicalBraces): `[x]` -> `x` and `\\x` -> `x`."""
    s = re.sub(r"((?!\\)" + _JS_DOT + r"|^)\[([^/\\])\]", r"\1\2", s)
    return re.sub(r"\\([^/])", r"\1", s)


# --------------------------------------------------------------------------------------------------------------
# Brace expansion (npm brace-expansion).

_ESC = {"\\\\": "\x00SLASH\x00", "\\{": "\x00OPEN\x00", "\\}": "\x00CLOSE\x00", "\\,": "\x00COMMA\x00",
        "\\.": "\x00PERIOD\x00"}
_UNESC = {"\x00SLASH\x00": "\\", "\x00OPEN\x00": "{", "\x00CLOSE\x00": "}", "\x00COMMA\x00": ",",
          "\x00PERIOD\x00": "."}
_EXPANSION_MAX = 100_000


def _balanced_range(s: str) -> tuple[int, int] | None:
    ai = s.find("{")
    bi = s.find("}", ai + 1)
    i = ai
    result = None
    if ai >= 0 and bi > 0:
        begs: list[int] = []
        left = len(s)
        right = None
        while i >= 0 and result is None:
            if i == ai:
                begs.append(i)
                ai = s.find("{", i + 1)
            elif len(begs) == 1:
                result = (begs.pop(), bi)
            else:
                beg = begs.pop()
                if beg < left:
                    left = beg
                    right = bi
                bi = s.find("}", i + 1)
            i = ai if (ai < bi and ai >= 0) else bi
        if begs and right is not None:
            result = (left, right)
    return result


def _balanced(s: str) -> tuple[str, str, str] | None:
    r = _balanced_range(s)
    if r is None:
        return None
    return s[:r[0]], s[r[0] + 1:r[1]], s[r[1] + 1:]


def _comma_parts(s: str) -> list[str]:
    if not s:
        return [""]
    m = _balanced(s)
    if m is None:
        return s.split(",")
    pre, body, post = m
    p = pre.split(",")
    p[-1] += "{" + body + "}"
    post_parts = _comma_parts(post)
    if post:
        p[-1] += post_parts.pop(0)
        p.extend(post_parts)
    return p


def _numeric(s: str) -> int:
    try:
        return int(s, 10)
    except ValueError:
        return ord(s[0]) if s else 0


def _expand(s: str, is_top: bool) -> list[str]:
    m = _balanced(s)
    if m is None:
        return [s]
    pre, body, post_s = m
    post = _expand(post_s, False) if post_s else [""]
    if pre.endswith("$"):
        return [pre + "{" + body + "}" + p for p in post]
    is_num = re.fullmatch(r"-?\d+\.\.-?\d+(?:\.\.-?\d+)?", body) is not None
    is_alpha = re.fullmatch(r"[a-zA-Z]\.\.[a-zA-Z](?:\.\.-?\d+)?", body) is not None
    is_seq = is_num or is_alpha
    if not is_seq and "," not in body:
        if re.search(r",(?!,)" + _JS_DOT + r"*\}", post_s):
            return _expand(pre + "{" + body + "\x00CLOSE\x00" + post_s, False)
        return [s]
    values: list[str] = []
    if is_seq:
        n = body.split("..")
        x, y = _numeric(n[0]), _numeric(n[1])
        width = max(len(n[0]), len(n[1]))
        incr = max(abs(_numeric(n[2])), 1) if len(n) == 3 else 1
        reverse = y < x
        if reverse:
            incr = -incr
        pad = any(re.match(r"-?0\d", e) for e in n)
        i = x
        while (i >= y if reverse else i <= y) and len(values) < _EXPANSION_MAX:
            if is_alpha:
                c = chr(i)
                if c == "\\":
                    c = ""
            else:
                c = str(i)
                if pad and width - len(c) > 0:
                    z = "0" * (width - len(c))
                    c = "-" + z + c[1:] if i < 0 else z + c
            values.append(c)
            i += incr
    else:
        parts = _comma_parts(body)
        if len(parts) == 1:
            parts = ["{" + e + "}" for e in _expand(parts[0], False)]
            if len(parts) == 1:
                return [pre + parts[0] + p for p in post]
        for part in parts:
            values.extend(_expand(part, False))
    out = []
    for v in values:
        for p in post:
            e = pre + v + p
            if not is_top or is_seq or e:
                out.append(e)
            if len(out) >= _EXPANSION_MAX:
                return out
    return out


def brace_expand(pattern: str) -> list[str]:
    """minimatch's `braceExpand`: expand only when the pattern holds a `{...}` group."""
    if not re.search(r"\{(?:(?!\{)" + _JS_DOT + r")*\}", pattern):
        return [pattern]
    if not pattern:
        return []
    if pattern.startswith("{}"):
        pattern = "\\{\\}" + pattern[2:]
    for k, v in _ESC.items():
        pattern = pattern.replace(k, v)
    out = _expand(pattern, True)
    res = []
    for e in out:
        for k, v in _UNESC.items():
            e = e.replace(k, v)
        res.append(e)
    return res


# --------------------------------------------------------------------------------------------------------------
# Character classes.

_POSIX = {
    "[:alnum:]": (r"\p{L}\p{Nl}\p{Nd}", True, False),
    "[:alpha:]": (r"\p{L}\p{Nl}", True, False),
    "[:ascii:]": (r"\x00-\x7f", False, False),
    "[:blank:]": (r"\p{Zs}\t", True, False),
    "[:cntrl:]": (r"\p{Cc}", True, False),
    "[:digit:]": (r"\p{Nd}", True, False),
    "[:graph:]": (r"\p{Z}\p{C}", True, True),
    "[:lower:]": (r"\p{Ll}", True, False),
    "[:print:]": (r"\p{C}", True, False),
    "[:punct:]": (r"\p{P}", True, False),
    "[:space:]": (r"\p{Z}\t\r\n\v\f", True, False),
    "[:upper:]": (r"\p{Lu}", True, False),
    "[:word:]": (r"\p{L}\p{Nl}\p{Nd}\p{Pc}", True, False),
    "[:xdigit:]": (r"A-Fa-f0-9", False, False),
}


def _parse_class(glob: str, pos: int) -> tuple[str, bool, int, bool]:
    """(regex source, needs unicode properties, characters consumed, magic) for a `[...]` at `pos`."""
    ranges: list[str] = []
    negs: list[str] = []
    i = pos + 1
    saw_start = uflag = escaping = negate = False
    end_pos = pos
    range_start = ""
    while i < len(glob):
        c = glob[i]
        if c in "!^" and i == pos + 1:
            negate = True
            i += 1
            continue
        if c == "]" and saw_start and not escaping:
            end_pos = i + 1
            break
        saw_start = True
        if c == "\\" and not escaping:
            escaping = True
            i += 1
            continue
        if c == "[" and not escaping:
            hit = False
            for cls, (unip, u, neg) in _POSIX.items():
                if glob.startswith(cls, i):
                    if range_start:
                        return "\\Z.", False, len(glob) - pos, True
                    i += len(cls)
                    (negs if neg else ranges).append(unip)
                    uflag = uflag or u
                    hit = True
                    break
            if hit:
                continue
        escaping = False
        if range_start:
            if utf16_key(c) > utf16_key(range_start):
                ranges.append(_brace_escape(range_start) + "-" + _brace_escape(c))
            elif c == range_start:
                ranges.append(_brace_escape(c))
            range_start = ""
            i += 1
            continue
        if glob.startswith("-]", i + 1):
            ranges.append(_brace_escape(c + "-"))
            i += 2
            continue
        if glob.startswith("-", i + 1):
            range_start = c
            i += 2
            continue
        ranges.append(_brace_escape(c))
        i += 1
    if end_pos < i:
        return "", False, 0, False
    if not ranges and not negs:
        return "\\Z.", False, len(glob) - pos, True
    if not negs and len(ranges) == 1 and re.fullmatch(r"\\?" + "(?s:.)", ranges[0]) and not negate:
        r = ranges[0][-1] if len(ranges[0]) == 2 else ranges[0]
        return _re_escape(r), False, end_pos - pos, False
    sranges = "[" + ("^" if negate else "") + "".join(ranges) + "]"
    snegs = "[" + ("" if negate else "^") + "".join(negs) + "]"
    comb = f"({sranges}|{snegs})" if ranges and negs else sranges if ranges else snegs
    return comb, uflag, end_pos - pos, True


def utf16_key(c: str) -> int:
    """JavaScript compares single characters by their first UTF-16 code unit."""
    o = ord(c)
    return 0xD800 + ((o - 0x10000) >> 10) if o > 0xFFFF else o


def _parse_glob(glob: str, has_magic: bool, no_empty: bool) -> tuple[str, str, bool, bool]:
    escaping = False
    out = []
    uflag = False
    in_star = False
    i = 0
    while i < len(glob):
        c = glob[i]
        if escaping:
            escaping = False
            out.append(("\\" if c in _RE_SPECIALS else "") + c)
            i += 1
            continue
        if c == "*":
            if not in_star:
                in_star = True
                out.append(_STAR_NO_EMPTY if no_empty and re.fullmatch(r"\*+", glob) else _STAR)
                has_magic = True
            i += 1
            continue
        in_star = False
        if c == "\\":
            if i == len(glob) - 1:
                out.append("\\\\")
            else:
                escaping = True
            i += 1
            continue
        if c == "[":
            src, need_u, consumed, magic = _parse_class(glob, i)
            if consumed:
                out.append(src)
                uflag = uflag or need_u
                i += consumed
                has_magic = has_magic or magic
                continue
        if c == "?":
            out.append(_QMARK)
            has_magic = True
            i += 1
            continue
        out.append(_re_escape(c))
        i += 1
    return "".join(out), unescape(glob), has_magic, uflag


# --------------------------------------------------------------------------------------------------------------
# Extglob AST (minimatch's ast.ts, without the flattening optimisation).


class _AST:
    def __init__(self, typ: str | None, parent: _AST | None, dot: bool = False):
        self.type = typ
        self.has_magic: bool | None = True if typ else None
        self.uflag = False
        self.parts: list[str | _AST] = []
        self.parent = parent
        self.root: _AST = parent.root if parent else self
        self.dot = dot if self.root is self else self.root.dot
        self.negs: list[_AST] = [] if self.root is self else self.root.negs
        self.filled_negs = False
        self.empty_ext = False
        if typ == "!" and not self.root.filled_negs:
            self.negs.append(self)
        self.parent_index = len(parent.parts) if parent else 0

    def push(self, *parts: str | _AST) -> None:
        for p in parts:
            if p == "":
                continue
            self.parts.append(p)

    def to_string(self) -> str:
        if not self.type:
            return "".join(p if isinstance(p, str) else p.to_string() for p in self.parts)
        return self.type + "(" + "|".join(p if isinstance(p, str) else p.to_string() for p in self.parts) + ")"

    def is_start(self) -> bool:
        if self.root is self:
            return True
        if not self.parent or not self.parent.is_start():
            return False
        if self.parent_index == 0:
            return True
        for i in range(self.parent_index):
            pp = self.parent.parts[i]
            if not (isinstance(pp, _AST) and pp.type == "!"):
                return False
        return True

    def is_end(self) -> bool:
        if self.root is self:
            return True
        if self.parent is not None and self.parent.type == "!":
            return True
        if not self.parent or not self.parent.is_end():
            return False
        if not self.type:
            return self.parent.is_end()
        return self.parent_index == len(self.parent.parts) - 1

    def copy_in(self, part: str | _AST) -> None:
        self.push(part if isinstance(part, str) else part.clone(self))

    def clone(self, parent: _AST) -> _AST:
        c = _AST(self.type, parent)
        for p in self.parts:
            c.copy_in(p)
        return c

    def fill_negs(self) -> None:
        if self.filled_negs:
            return
        self.filled_negs = True
        while self.negs:
            n = self.negs.pop()
            if n.type != "!":
                continue
            p: _AST = n
            pp = p.parent
            while pp is not None:
                i = p.parent_index + 1
                while not pp.type and i < len(pp.parts):
                    for part in n.parts:
                        assert isinstance(part, _AST)
                        part.copy_in(pp.parts[i])
                    i += 1
                p = pp
                pp = p.parent

    @staticmethod
    def parse(s: str, ast: _AST, pos: int, ext_depth: int) -> int:
        max_depth = 2
        escaping = in_brace = brace_neg = False
        brace_start = -1
        if ast.type is None:
            i = pos
            acc = ""
            while i < len(s):
                c = s[i]
                i += 1
                if escaping or c == "\\":
                    escaping = not escaping
                    acc += c
                    continue
                if in_brace:
                    if i == brace_start + 1:
                        if c in "^!":
                            brace_neg = True
                    elif c == "]" and not (i == brace_start + 2 and brace_neg):
                        in_brace = False
                    acc += c
                    continue
                if c == "[":
                    in_brace = True
                    brace_start = i
                    brace_neg = False
                    acc += c
                    continue
                if c in _EXT_TYPES and s[i:i + 1] == "(" and ext_depth <= max_depth:
                    ast.push(acc)
                    acc = ""
                    ext = _AST(c, ast)
                    i = _AST.parse(s, ext, i, ext_depth + 1)
                    ast.push(ext)
                    continue
                acc += c
            ast.push(acc)
            return i
        i = pos + 1
        part = _AST(None, ast)
        parts: list[_AST] = []
        acc = ""
        while i < len(s):
            c = s[i]
            i += 1
            if escaping or c == "\\":
                escaping = not escaping
                acc += c
                continue
            if in_brace:
                if i == brace_start + 1:
                    if c in "^!":
                        brace_neg = True
                elif c == "]" and not (i == brace_start + 2 and brace_neg):
                    in_brace = False
                acc += c
                continue
            if c == "[":
                in_brace = True
                brace_start = i
                brace_neg = False
                acc += c
                continue
            if c in _EXT_TYPES and s[i:i + 1] == "(" and ext_depth <= max_depth:
                part.push(acc)
                acc = ""
                ext = _AST(c, part)
                part.push(ext)
                i = _AST.parse(s, ext, i, ext_depth + 1)
                continue
            if c == "|":
                part.push(acc)
                acc = ""
                parts.append(part)
                part = _AST(None, ast)
                continue
            if c == ")":
                if acc == "" and len(ast.parts) == 0:
                    ast.empty_ext = True
                part.push(acc)
                acc = ""
                ast.push(*parts, part)
                return i
            acc += c
        ast.type = None
        ast.has_magic = None
        ast.parts = [s[pos - 1:]]
        return i

    def to_regex_source(self, allow_dot: bool | None = None) -> tuple[str, str, bool, bool]:
        dot = allow_dot if allow_dot is not None else self.dot
        if self.root is self:
            self.to_string()
            self.fill_negs()
        if self.type not in _EXT_TYPES:
            no_empty = self.is_start() and self.is_end() and not any(not isinstance(p, str) for p in self.parts)
            srcs = []
            for p in self.parts:
                if isinstance(p, str):
                    r, _, magic, u = _parse_glob(p, bool(self.has_magic), no_empty)
                else:
                    r, _, magic, u = p.to_regex_source(allow_dot)
                self.has_magic = bool(self.has_magic) or magic
                self.uflag = self.uflag or u
                srcs.append(r)
            src = "".join(srcs)
            start = ""
            if self.is_start() and self.parts and isinstance(self.parts[0], str):
                dot_trav_allowed = len(self.parts) == 1 and self.parts[0] in _JUST_DOTS
                if not dot_trav_allowed:
                    aps = _ADD_PATTERN_START
                    need_no_trav = ((dot and src[:1] in aps and src[:1] != "")
                                    or (src.startswith("\\.") and src[2:3] in aps and src[2:3] != "")
                                    or (src.startswith("\\.\\.") and src[4:5] in aps and src[4:5] != ""))
                    need_no_dot = not dot and not allow_dot and src[:1] in aps and src[:1] != ""
                    start = _START_NO_TRAVERSAL if need_no_trav else _START_NO_DOT if need_no_dot else ""
            end = ""
            if self.is_end() and self.root.filled_negs and self.parent is not None and self.parent.type == "!":
                end = r"(?:\Z|/)"
            self.has_magic = bool(self.has_magic)
            return start + src + end, unescape(src), self.has_magic, self.uflag
        repeated = self.type in ("*", "+")
        start = "(?:(?!(?:" if self.type == "!" else "(?:"
        body = self._parts_to_regex(dot)
        if self.is_start() and self.is_end() and not body and self.type != "!":
            s = self.to_string()
            self.parts = [s]
            self.type = None
            self.has_magic = None
            return s, unescape(s), False, False
        body_dot_allowed = "" if (not repeated or allow_dot or dot) else self._parts_to_regex(True)
        if body_dot_allowed == body:
            body_dot_allowed = ""
        if body_dot_allowed:
            body = f"(?:{body})(?:{body_dot_allowed})*?"
        if self.type == "!" and self.empty_ext:
            final = (_START_NO_DOT if self.is_start() and not dot else "") + _STAR_NO_EMPTY
        else:
            if self.type == "!":
                close = "))" + (_START_NO_DOT if self.is_start() and not dot and not allow_dot else "") + _STAR + ")"
            elif self.type == "@":
                close = ")"
            elif self.type == "?":
                close = ")?"
            elif self.type == "+" and body_dot_allowed:
                close = ")"
            elif self.type == "*" and body_dot_allowed:
                close = ")?"
            else:
                close = ")" + str(self.type)
            final = start + body + close
        self.has_magic = bool(self.has_magic)
        return final, unescape(body), self.has_magic, self.uflag

    def _parts_to_regex(self, dot: bool) -> str:
        out = []
        for p in self.parts:
            assert isinstance(p, _AST)
            r, _, _, u = p.to_regex_source(dot)
            self.uflag = self.uflag or u
            out.append(r)
        if self.is_start() and self.is_end():
            out = [r for r in out if r]
        return "|".join(out)


# --------------------------------------------------------------------------------------------------------------
# Segment patterns and matching.

Part = str | object | Callable[[str], bool]


def _compile(src: str, uflag: bool) -> Callable[[str], bool]:
    """`new RegExp('^' + src + '$')`: unwrapped, so a stray `|` splits the anchors exactly as in JavaScript."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if uflag:  # POSIX classes became \p{..} properties, which only the `regex` module knows
            import regex as _regex

            try:
                rx = _regex.compile(f"^{src}\\Z", _regex.V0)
            except _regex.error:
                return lambda f: False
            return lambda f: rx.search(f) is not None
        try:
            rx2 = re.compile(f"^{src}\\Z")
        except re.error:
            return lambda f: False
        return lambda f: rx2.search(f) is not None


def _fast_test(pattern: str, dot: bool) -> Callable[[str], bool] | None:
    if re.fullmatch(r"\*+", pattern):
        return (lambda f: len(f) != 0 and f not in (".", "..")) if dot else (lambda f: f != "" and f[0] != ".")
    m = re.fullmatch(r"\*+([^+@!?*\[(]*)", pattern)
    if m:
        ext = m.group(1)
        return (lambda f: f.endswith(ext)) if dot else (lambda f: not f.startswith(".") and f.endswith(ext))
    m = re.fullmatch(r"\?+([^+@!?*\[(]*)?", pattern)
    if m:
        n = utf16_len(m.group(0))
        ext = m.group(1) or ""
        if dot:
            return lambda f: utf16_len(f) == n and f not in (".", "..") and (not ext or f.endswith(ext))
        return lambda f: utf16_len(f) == n and not f.startswith(".") and (not ext or f.endswith(ext))
    if re.fullmatch(r"\*+\.\*+", pattern):
        return (lambda f: f not in (".", "..") and "." in f) if dot else (lambda f: not f.startswith(".") and "." in f)
    if re.fullmatch(r"\.\*+", pattern):
        return lambda f: f not in (".", "..") and f.startswith(".")
    return None


def _parse_segment(pattern: str, dot: bool) -> Part:
    if pattern == "**":
        return GLOBSTAR
    if pattern == "":
        return ""
    ast = _AST(None, None, dot)
    _AST.parse(pattern, ast, 0, 0)
    src, body, magic, uflag = ast.to_regex_source()
    if not (magic or ast.has_magic):
        return body
    return _fast_test(pattern, dot) or _compile(src, uflag)


class Minimatch:
    """One compiled pattern; `match(path)` answers as `minimatch(path, pattern, {dot})` would."""

    def __init__(self, pattern: str, dot: bool = False):
        self.pattern = pattern
        self.dot = dot
        self.negate = False
        self.comment = pattern.startswith("#")
        self.empty = pattern == ""
        self.set: list[list[Part]] = []
        if self.comment or self.empty:
            return
        neg = 0
        while neg < len(pattern) and pattern[neg] == "!":
            neg += 1
        self.negate = neg % 2 == 1
        pattern = pattern[neg:]
        seen: dict[str, None] = {}
        for g in brace_expand(pattern):
            seen.setdefault(g, None)
        glob_parts = [self._level_one(re.split("/+", g)) for g in seen]
        self.set = [[_parse_segment(s, dot) for s in parts] for parts in glob_parts]

    @staticmethod
    def _level_one(parts: list[str]) -> list[str]:
        out: list[str] = []
        for part in parts:
            prev = out[-1] if out else None
            if part == "**" and prev == "**":
                continue
            if part == ".." and prev and prev not in ("..", ".", "**"):
                out.pop()
                continue
            out.append(part)
        return out or [""]

    def match(self, f: str) -> bool:
        if self.comment:
            return False
        if self.empty:
            return f == ""
        ff = re.split("/+", f)
        for pattern in self.set:
            if self._match_one(ff, pattern):
                return not self.negate
        return self.negate

    # -- matching ------------------------------------------------------------------------------------------------

    def _bad_dot(self, f: str) -> bool:
        return f in (".", "..") or (not self.dot and f.startswith("."))

    def _match_one(self, file: list[str], pattern: list[Part]) -> bool:
        if any(p is GLOBSTAR for p in pattern):
            return self._match_globstar(file, pattern)
        return self._match_plain(file, pattern, 0, 0)

    @staticmethod
    def _hit(p: Part, f: str) -> bool:
        if isinstance(p, str):
            return f == p
        return bool(p(f))  # type: ignore[operator]

    def _match_plain(self, file: list[str], pattern: list[Part], fi: int, pi: int) -> bool:
        fl, pl = len(file), len(pattern)
        while fi < fl and pi < pl:
            p = pattern[pi]
            if p is GLOBSTAR or not self._hit(p, file[fi]):
                return False
            fi += 1
            pi += 1
        if fi == fl and pi == pl:
            return True
        if fi == fl:
            return False
        if pi == pl:
            return fi == fl - 1 and file[fi] == ""
        return False

    def _match_globstar(self, file: list[str], pattern: list[Part]) -> bool:
        fi = 0
        firstgs = next(i for i, p in enumerate(pattern) if p is GLOBSTAR)
        lastgs = max(i for i, p in enumerate(pattern) if p is GLOBSTAR)
        head, body, tail = pattern[:firstgs], pattern[firstgs + 1:lastgs], pattern[lastgs + 1:]
        if head:
            if not self._match_plain(file[:len(head)], head, 0, 0):
                return False
            fi += len(head)
        tail_match = 0
        if tail:
            if len(tail) + fi > len(file):
                return False
            tail_start = len(file) - len(tail)
            if self._match_plain(file, tail, tail_start, 0):
                tail_match = len(tail)
            else:
                if file[-1] != "" or fi + len(tail) == len(file):
                    return False
                tail_start -= 1
                if not self._match_plain(file, tail, tail_start, 0):
                    return False
                tail_match = len(tail) + 1
        if not body:
            saw_some = bool(tail_match)
            for i in range(fi, len(file) - tail_match):
                saw_some = True
                if self._bad_dot(str(file[i])):
                    return False
            return saw_some
        segments: list[list] = [[[], 0]]
        current = segments[0]
        non_gs = 0
        sums = [0]
        for b in body:
            if b is GLOBSTAR:
                sums.append(non_gs)
                current = [[], 0]
                segments.append(current)
            else:
                current[0].append(b)
                non_gs += 1
        i = len(segments) - 1
        file_len = len(file) - tail_match
        for seg in segments:
            seg[1] = file_len - (sums[i] + len(seg[0]))
            i -= 1
        return bool(self._match_sections(file, segments, fi, 0, 0, bool(tail_match)))

    def _match_sections(self, file: list[str], segs: list[list], fi: int, bi: int, depth: int,
                        saw_tail: bool) -> bool | None:
        if bi >= len(segs):
            for i in range(fi, len(file)):
                saw_tail = True
                if self._bad_dot(file[i]):
                    return False
            return saw_tail
        body, after = segs[bi]
        while fi <= after:
            m = self._match_plain(file[:fi + len(body)], body, fi, 0)
            if m and depth < 200:
                sub = self._match_sections(file, segs, fi + len(body), bi + 1, depth + 1, saw_tail)
                if sub is not False:
                    return sub
            if fi < len(file) and self._bad_dot(file[fi]):
                return False
            fi += 1
        return None


@lru_cache(maxsize=512)
def _compiled(pattern: str, dot: bool) -> Minimatch:
    return Minimatch(pattern, dot)


def minimatch(path: str, pattern: str, dot: bool = False) -> bool:
    """`minimatch(path, pattern, {dot})`.

    >>> minimatch("lib/models.py", "**/*.py", dot=True)
    True
    >>> minimatch("src/index.ts", "*.ts", dot=True)
    False
    """
    if pattern.startswith("#"):
        return False
    return _compiled(pattern, dot).match(path)
