"""JavaScript regex semantics for the keyword half: V8's error messages and match counts (expected values were
taken from Node 20 / V8 11.3 running `new RegExp(p, 'g')` and `s.match(re).length`)."""

from __future__ import annotations

import pytest

from wikigym.tools.search.jsregex import JSRegexError, compile_js_regex, count_matches

V8_ERRORS = {
    "c++": "Nothing to repeat",
    "a/(": "Unterminated group",
    "(?<a": "Invalid capture group name",
    "(?<a>x)\\k<b>": "Invalid named capture referenced",
    "[z-a]": "Range out of order in character class",
    "a{2,1}": "numbers out of order in {} quantifier",
    "x{1}{2}": "Nothing to repeat",
    "{1}": "Nothing to repeat",
    "(?i:a)": "Invalid group",
    "\\": "\\ at end of pattern",
    "[a": "Unterminated character class",
    "a)": "Unmatched ')'",
    "(?<=a)*": "Invalid quantifier",
    "\\b*": "Nothing to repeat",
    "^*": "Nothing to repeat",
    "a**": "Nothing to repeat",
    "B(?": "Invalid group",
    "*.ts": "Nothing to repeat",
}


@pytest.mark.parametrize("pattern,reason", sorted(V8_ERRORS.items()))
def test_v8_error_messages(pattern: str, reason: str) -> None:
    with pytest.raises(JSRegexError) as err:
        compile_js_regex(pattern)
    assert err.value.message == f"Invalid regular expression: /{pattern}/g: {reason}"


TEXTS = ["abc a.b a-b c++ x{ {1} 12 \n\r\u2028 é😀 aaab ba", "", "a", "😀😀.", "ab\nab\r\nx8 \\ "]
COUNTS = {
    "a.b": [3, 0, 0, 0, 0],
    "x{": [1, 0, 0, 0, 0],
    "a??": [42, 1, 2, 6, 13],
    "(?=a)*": [42, 1, 2, 6, 13],
    "\\B": [20, 1, 0, 6, 7],
    "\\1(a)": [7, 0, 1, 0, 2],
    "[^]": [41, 0, 1, 5, 12],
    "[]": [0, 0, 0, 0, 0],
    ".": [38, 0, 1, 5, 9],
    "\\8": [0, 0, 0, 0, 1],
    "\\d+": [2, 0, 0, 0, 1],
    "": [42, 1, 2, 6, 13],
    "\\s": [13, 0, 0, 0, 5],
    "a$": [1, 0, 1, 0, 0],
    "(?<n>a)\\k<n>": [1, 0, 0, 0, 0],
}


@pytest.mark.parametrize("pattern,expected", sorted(COUNTS.items()))
def test_match_counts_like_string_match_g(pattern: str, expected: list[int]) -> None:
    term = compile_js_regex(pattern)
    assert [count_matches(term, t) for t in TEXTS] == expected


def test_plain_words_take_the_literal_path() -> None:
    term = compile_js_regex("user")
    assert term.literal == "user" and count_matches(term, "useruser user") == 3


@pytest.mark.parametrize(("source", "reason"), [
    # V8 registers a group name when the group closes: errors inside or before that come first.
    ("(?<a>(?<a>y)**)", "Nothing to repeat"),
    ("(?<a>x)(?<a>", "Unterminated group"),
    ("(?<a>(?<a>x))", "Duplicate capture group name"),
    ("(?<a>x)(?<a>y)*+", "Duplicate capture group name"),
    # With a named group in the pattern, `\k` inside a class is no identity escape.
    ("(?<a>x)[\\k]", "Invalid escape"),
    ("(?<a>x)[a-\\k]", "Invalid escape"),
])
def test_v8_error_order(source: str, reason: str) -> None:
    """Found by fuzzing query words against Node 20's `new RegExp(word, 'g')`."""
    with pytest.raises(JSRegexError) as err:
        compile_js_regex(source)
    assert err.value.message == f"Invalid regular expression: /{source}/g: {reason}"


def test_named_reference_to_an_unclosed_group_matches_empty() -> None:
    """`\\k<a>` inside group `a` has captured nothing yet, so it matches the empty string (Node: 1 match)."""
    assert count_matches(compile_js_regex("(?<a>\\k<a>)]"), "x [a] y") == 1
    assert count_matches(compile_js_regex("[\\k]"), "k<a>") == 1


def test_variable_width_lookbehind_matches_as_in_v8() -> None:
    """`re` has no variable-width lookbehind; such words used to match nothing (counts from Node 20)."""
    assert count_matches(compile_js_regex("^(?<!..*)"), "abc") == 1
    assert count_matches(compile_js_regex("(?<=a.*)b"), "xab b") == 2
    assert count_matches(compile_js_regex("(?<!x+)y"), "xy y") == 1


@pytest.mark.parametrize(("source", "reason"), [
    ("(?<=a){2,1}", "numbers out of order in {} quantifier"),  # V8 reads the quantifier before refusing it
    ("(?<=a){2}", "Invalid quantifier"),
])
def test_quantified_lookbehind(source: str, reason: str) -> None:
    with pytest.raises(JSRegexError) as err:
        compile_js_regex(source)
    assert err.value.message == f"Invalid regular expression: /{source}/g: {reason}"
