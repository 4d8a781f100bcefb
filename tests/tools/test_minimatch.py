"""minimatch port: cases checked against npm minimatch 10.2.6 with {dot: true}."""

from __future__ import annotations

import pytest

from wikigym.tools.minimatch import brace_expand, minimatch

# (path, pattern, expected) as npm minimatch answers with {dot: true}.
CASES = [
    ("lib/models.py", "**/*.py", True), ("x.py", "**/*.py", True), ("src/index.ts", "*.ts", False),
    (".github", ".git*", True), (".env", ".git*", False), ("a/b/c", "a/**", True), ("a", "a/**", False),
    ("a/b/c", "a/**/c", True), ("a/c", "a/**/c", True), ("a/b", "**/b", True), (".a/b", "**/b", True),
    ("a/b", "*/*", True), ("a/b/", "a/*", True), ("abc", "a?c", True), ("abc", "[ab]*", True),
    ("abc", "[!a]*", False), ("b", "[^a]*", True), ("abc", "!*.ts", True), ("x.ts", "!*.ts", False),
    ("a", "!(a)", True), ("b", "!(a)", True), ("ab", "+(a|b)", True), ("", "*(a|b)", True),
    ("ab", "a{b,c}", True), ("ac", "a{b,c}", True), ("2", "{1..3}", True), ("x", "#x", False),
    ("x.ts", "*.{ts,js}", True), ("a|b", "a\\|b", True), ("a*b", "a\\*b", True), ("aXb", "a\\*b", False),
    ("a1", "[[:alpha:]][[:digit:]]", True), ("x.js", "*.[tj]s", True), ("src/a.ts", "src/!(index).ts", True),
    ("src/index.ts", "src/!(index).ts", False), ("node_modules/x/y.js", "**/node_modules/**", True),
    ("a/b", "a/../b", False), ("-x", "[-a]*", True), ("z", "[z-a]*", False), ("a.b.c", "*.*", True),
    ("abc", "???", True), ("ab", "???", False), ("a]", "*]", True), ("]", "[]]", True), ("a", "[!]]", True),
]


@pytest.mark.parametrize("path, pattern, expected", CASES)
def test_matches_like_npm_minimatch(path: str, pattern: str, expected: bool) -> None:
    assert minimatch(path, pattern, dot=True) is expected


def test_dot_option() -> None:
    assert minimatch(".env", "*", dot=False) is False
    assert minimatch(".env", "*", dot=True) is True
    assert minimatch("a/.b/c", "**/c", dot=False) is False
    assert minimatch("a/.b/c", "**/c", dot=True) is True
    assert minimatch("..", "*", dot=True) is False


def test_brace_expand() -> None:
    assert brace_expand("a{b,c}d") == ["abd", "acd"]
    assert brace_expand("a{1..3}") == ["a1", "a2", "a3"]
    assert brace_expand("{a,b}{c,d}") == ["ac", "ad", "bc", "bd"]
    assert brace_expand("a{b}c") == ["a{b}c"]
    assert brace_expand("x{01..03}") == ["x01", "x02", "x03"]
    assert brace_expand("a{,b}") == ["a", "ab"]
