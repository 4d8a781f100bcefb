"""The two orders SemanticWiki sorts page lists in: UTF-16 code units and JavaScript's `localeCompare`.

Direct-mode `list_wiki_pages` uses `Array.prototype.sort()` with no comparator (UTF-16 code unit order, so an emoji
sorts before U+FF5A). SDK-mode `list_wiki_pages` sorts with `a.localeCompare(b)`, i.e. ICU's root collation
(CLDR root, non-ignorable punctuation, tertiary strength): `_private.md` < `10-intro.md` < `a_b.md` < `a-b.md` <
`API.md` < `readme.md` < `Readme.md`.

How `locale_sort` gets ICU's order, best first:
1. Printable-ASCII names (nearly all wiki paths): an exact built-in table of ICU root primary weights for
   U+0020..U+007E (punctuation, symbols, digits, letters; case only at the tertiary level), checked against
   Node's Intl.Collator.
2. Anything else: one Node.js subprocess per call sorts the whole batch with `Intl.Collator('en-US')` (what
   `localeCompare` uses in an en-US process) and returns the permutation.
3. Without Node: PyICU's root collator if it is installed.
4. Otherwise an approximation (NFKD, accents and case as lower levels, other symbols before digits, other letters
   after Latin). It agrees with ICU on common names but is not guaranteed; install Node for exactness.

What it deliberately does not do: locale tailorings other than root, numeric collation, or caching across calls.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import unicodedata
from typing import Callable, Sequence

# ICU root primary order of printable ASCII; characters in one group differ only in case (tertiary level).
_ASCII_PRIMARY_GROUPS = [" ", "_", "-", ",", ";", ":", "!", "?", ".", "'", '"', "(", ")", "[", "]", "{", "}", "@",
                         "*", "/", "\\", "&", "#", "%", "`", "^", "+", "<", "=", ">", "|", "~", "$", "0", "1", "2",
                         "3", "4", "5", "6", "7", "8", "9", "aA", "bB", "cC", "dD", "eE", "fF", "gG", "hH", "iI", "jJ",
                         "kK", "lL", "mM", "nN", "oO", "pP", "qQ", "rR", "sS", "tT", "uU", "vV", "wW", "xX", "yY",
                         "zZ"]
_PRIMARY = {c: i + 1 for i, group in enumerate(_ASCII_PRIMARY_GROUPS) for c in group}
_TERTIARY = {c: (1 if c.isupper() else 0) for c in _PRIMARY}

_NODE_SORT = r"""
let d = ''; process.stdin.setEncoding('utf8');
process.stdin.on('data', c => d += c);
process.stdin.on('end', () => {
  const a = JSON.parse(d), col = new Intl.Collator('en-US');
  const idx = a.map((_, i) => i);
  idx.sort((i, j) => col.compare(a[i], a[j]));
  process.stdout.write(JSON.stringify(idx));
});
"""


def utf16_key(s: str) -> bytes:
    """Sort key for JavaScript's default `sort()`: UTF-16 code units, compared as unsigned 16-bit numbers."""
    return s.encode("utf-16-be", "surrogatepass")


def utf16_sort(strings: Sequence[str]) -> list[str]:
    """`[...strings].sort()` in JavaScript.

    >>> utf16_sort(["ｚ.md", "😀.md", "a.md", "B.md"])
    ['B.md', 'a.md', '😀.md', 'ｚ.md']
    """
    return sorted(strings, key=utf16_key)


def _is_simple(s: str) -> bool:
    return all(c in _PRIMARY for c in s)


def ascii_key(s: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """ICU root sort key of a printable-ASCII string: primary weights, then case (secondary weights are all equal)."""
    return tuple(_PRIMARY[c] for c in s), tuple(_TERTIARY[c] for c in s)


@functools.lru_cache(maxsize=1)
def _node() -> str | None:
    return shutil.which("node")


def _node_sort(strings: Sequence[str], node: str) -> list[str] | None:
    try:
        proc = subprocess.run([node, "-e", _NODE_SORT], input=json.dumps(list(strings)), capture_output=True,
                              text=True, timeout=60, encoding="utf-8", errors="surrogatepass")
        order = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if not isinstance(order, list) or sorted(order) != list(range(len(strings))):
        return None
    return [strings[i] for i in order]


def _icu_key() -> Callable[[str], bytes] | None:
    try:
        import icu  # type: ignore[import-not-found]
    except ImportError:
        return None
    collator = icu.Collator.createInstance(icu.Locale("en_US"))
    return collator.getSortKey


def approximate_key(s: str) -> tuple:
    """A pure-Python stand-in for ICU root collation (exact for printable ASCII; see the module docstring)."""
    primaries: list[tuple[int, int]] = []
    secondaries: list[int] = []
    tertiaries: list[int] = []
    for ch in s:
        decomposed = unicodedata.normalize("NFKD", ch)
        base = decomposed[:1] or ch
        marks = [c for c in decomposed[1:] if unicodedata.combining(c)]
        if base in _PRIMARY:
            primaries.append((_PRIMARY[base], 0))
            # Lower case before upper case; a compatibility form (fullwidth) after its plain form.
            tertiaries.append(_TERTIARY[base] * 2 + (0 if decomposed == ch or marks else 1))
        elif unicodedata.combining(base):
            secondaries.append(ord(base))
            continue
        elif unicodedata.category(base)[0] in "SP":
            primaries.append((_PRIMARY["$"], 1 + ord(base)))  # other symbols: after '$', before the digits
            tertiaries.append(0)
        else:
            primaries.append((len(_ASCII_PRIMARY_GROUPS) + 1, ord(base)))  # other scripts: after Latin
            tertiaries.append(0)
        secondaries.append(sum(ord(m) for m in marks))
    return tuple(primaries), tuple(secondaries), tuple(tertiaries)


def locale_sort(strings: Sequence[str]) -> list[str]:
    """`[...strings].sort((a, b) => a.localeCompare(b))` in an en-US Node.js process (stable, like V8's sort).

    >>> locale_sort(["README.md", "a.md", "_x.md", "10.md", "API.md", "api-v2.md"])
    ['_x.md', '10.md', 'a.md', 'api-v2.md', 'API.md', 'README.md']
    """
    items = list(strings)
    if all(_is_simple(s) for s in items):
        return sorted(items, key=ascii_key)
    node = _node()
    if node is not None:
        out = _node_sort(items, node)
        if out is not None:
            return out
    icu_key = _icu_key()
    if icu_key is not None:
        return sorted(items, key=icu_key)
    return sorted(items, key=approximate_key)
