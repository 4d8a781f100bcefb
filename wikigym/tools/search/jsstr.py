"""JavaScript string semantics that SemanticWiki's search code depends on, for Python strings.

SemanticWiki measures, slices and trims strings in UTF-16 code units (`s.length`, `s.slice(0, 300)`), trims with
JavaScript's whitespace set (which differs from `str.strip()`), and prints scores with `Number.prototype.toFixed`
(round-half-up on the exact binary value). These helpers reproduce those rules so chunk sizes, merge decisions,
documentation cut-offs and score strings come out byte for byte.

What it deliberately does not do: general JS emulation; only the operations the search tool uses.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

# ECMAScript WhiteSpace + LineTerminator (what `\s`, `trim()` and `split(/\s+/)` use).
JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
                "\u2028\u2029\u202f\u205f\u3000\ufeff"
# A regex character-class body equivalent to JavaScript's `\s`.
JS_S_CLASS = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_WS_SPLIT = re.compile(f"[{JS_S_CLASS}]+")


def js_len(s: str) -> int:
    """`s.length`: UTF-16 code units (astral characters count twice)."""
    if s.isascii():
        return len(s)
    return len(s) + len(_ASTRAL.findall(s))


def to_utf16_units(s: str) -> str:
    """The string as JavaScript sees it: every astral character replaced by its surrogate pair (lone surrogates)."""
    if s.isascii() or not _ASTRAL.search(s):
        return s

    def pair(m: re.Match) -> str:
        c = ord(m.group()) - 0x10000
        return chr(0xD800 + (c >> 10)) + chr(0xDC00 + (c & 0x3FF))

    return _ASTRAL.sub(pair, s)


def from_utf16_units(s: str) -> str:
    """Join well-formed surrogate pairs back into astral characters (lone surrogates stay, as in a JS string)."""
    if s.isascii():
        return s
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def js_slice(s: str, start: int, end: int | None = None) -> str:
    """`s.slice(start, end)` with non-negative indexes counted in UTF-16 code units."""
    if s.isascii() or not _ASTRAL.search(s):
        return s[start:end]
    return from_utf16_units(to_utf16_units(s)[start:end])


def js_trim(s: str) -> str:
    """`s.trim()`."""
    return s.strip(JS_WHITESPACE)


def js_trim_start(s: str) -> str:
    """`s.trimStart()`."""
    return s.lstrip(JS_WHITESPACE)


def js_split_ws(s: str) -> list[str]:
    """`s.split(/\\s+/)`."""
    return _WS_SPLIT.split(s)


def js_lower(s: str) -> str:
    """`s.toLowerCase()` (Python's full Unicode lowercase, final sigma included, matches it)."""
    return s.lower()


def to_fixed(x: float, digits: int) -> str:
    """`Number.prototype.toFixed(digits)`: round half up on the exact binary value; NaN/Infinity as JS prints them.

    Example:
        >>> to_fixed(0.0625, 3), to_fixed(1.0005, 3), to_fixed(12, 3)
        ('0.063', '1.000', '12.000')
    """
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if abs(x) >= 1e21:
        return js_number_str(x)
    if x == 0:
        x = 0.0  # (-0).toFixed(3) is "0.000"
    q = Decimal(x).copy_abs().quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    return ("-" if x < 0 else "") + text


def js_number_str(x: float) -> str:
    """`String(x)` for the numbers the tools print (integers and shortest round-trip floats)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    r = repr(x)
    if "e" in r:
        mant, exp = r.split("e")
        e = int(exp)
        return f"{mant}e{'+' if e > 0 else '-'}{abs(e)}"
    return r
