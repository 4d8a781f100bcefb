"""gray-matter 4.0.3 + js-yaml 3.14 emulation (wikigym/tools/frontmatter.py).

Expected strings are what js-yaml 3.14.2 `safeDump` and gray-matter 4.0.3 `stringify` produce (checked against the
real libraries under Node while writing them; the tests themselves need no Node).
"""

from __future__ import annotations

import pytest

from wikigym.tools.context import NodeError
from wikigym.tools.frontmatter import (
    JsDate,
    date_utc,
    js_keys,
    matter_stringify,
    resolves_implicitly,
    safe_dump,
    safe_load,
)
from wikigym.tools.node_fs import MISSING

# (value, how js-yaml dumps it as a mapping value)
QUOTING_MATRIX = [
    # YAML 1.1 booleans that js-yaml 3 no longer reads as booleans are still quoted (compat mode)
    ("yes", "'yes'"), ("Yes", "'Yes'"), ("on", "'on'"), ("OFF", "'OFF'"), ("y", "'y'"), ("n", "'n'"),
    # core-schema resolvers: null, bool, int (hex, octal, underscores, base 60), float, timestamp, merge
    ("null", "'null'"), ("~", "'~'"), ("true", "'true'"), ("False", "'False'"), ("123", "'123'"), ("-1", "'-1'"),
    ("0x1F", "'0x1F'"), ("017", "'017'"), ("1_000", "'1_000'"), ("1:30", "'1:30'"), ("1.5", "'1.5'"),
    ("1e5", "'1e5'"), (".inf", "'.inf'"), (".NaN", "'.NaN'"), ("2026-01-02", "'2026-01-02'"),
    ("2026-01-02T03:04:05.678Z", "'2026-01-02T03:04:05.678Z'"), ("<<", "'<<'"),
    ("0o17", "0o17"),  # YAML 1.2 octal is not an int for js-yaml 3: stays plain
    # indicators and separators
    ("plain text", "plain text"), ("a: b", "'a: b'"), ("a:b", "'a:b'"), ("a #b", "'a #b'"), ("a#b", "a#b"),
    ("#x", "'#x'"), ("- dash", "'- dash'"), ("-dash", "'-dash'"), ("? q", "'? q'"), ("@at", "'@at'"),
    ("`tick", "'`tick'"), ("%p", "'%p'"), ("!bang", "'!bang'"), ("&amp", "'&amp'"), ("*star", "'*star'"),
    ("|pipe", "'|pipe'"), (">gt", "'>gt'"), ("=eq", "'=eq'"), ("'sq", "'''sq'"), ('"dq', "'\"dq'"),
    ("[x", "'[x'"), ("x]", "'x]'"), ("{x", "'{x'"), ("x,y", "'x,y'"), ("It's \"quoted\" #1: yes",
                                                                         "'It''s \"quoted\" #1: yes'"),
    # whitespace at the ends, non-printable characters, unicode
    (" lead", "' lead'"), ("trail ", "'trail '"), ("tab\tin", '"tab\\tin"'), ("café", "café"),
    ("ユーザー", "ユーザー"), ("Auth — «ユーザー»", "Auth — «ユーザー»"), ("😀 emoji", '"\\U0001F600 emoji"'),
    ("\u00a0nbsp", '"\\_nbsp"'), ("bom\ufeff", '"bom\\uFEFF"'), ("del\x7f", '"del\\x7F"'), ("nul\x00", '"nul\\0"'),
    ("ls\u2028x", '"ls\\Lx"'), ("", "''"),
    # block scalars
    ("line1\nline2", "|-\n  line1\n  line2"), ("trailing\n", "|\n  trailing"), ("\n\nlead", "|-\n\n\n  lead"),
    ("Multi\nline: description", "|-\n  Multi\n  line: description"),
]


@pytest.mark.parametrize("value,expected", QUOTING_MATRIX)
def test_scalar_quoting_matches_js_yaml(value: str, expected: str) -> None:
    assert safe_dump({"k": value}) == f"k: {expected}\n"


def test_long_single_line_is_folded_at_the_width() -> None:
    value = " ".join(["word"] * 20)
    assert safe_dump({"k": value}) == (
        "k: >-\n  word word word word word word word word word word word word word word word\n"
        "  word word word word word\n")


def test_numbers_collections_and_keys() -> None:
    data = {"n": [1, 1.5, -0.0, 1e21, 1e-7, 123456789012345678901, 0.1, float("nan"), float("inf"),
                  float("-inf"), None, True, False],
            "e": [], "o": {}, "nested": {"a": [{"b": 1, "c": []}]}}
    assert safe_dump(data) == (
        "'n':\n  - 1\n  - 1.5\n  - -0.0\n  - 1e+21\n  - 1.e-7\n  - 123456789012345680000\n  - 0.1\n"
        "  - .nan\n  - .inf\n  - -.inf\n  - null\n  - true\n  - false\ne: []\no: {}\nnested:\n  a:\n"
        "    - b: 1\n      c: []\n")


def test_shared_objects_get_anchors() -> None:
    shared = {"k": "v"}
    assert safe_dump({"a": shared, "b": shared}) == "a: &ref_0\n  k: v\nb: *ref_0\n"


def test_undefined_is_unacceptable() -> None:
    with pytest.raises(NodeError, match=r"^unacceptable kind of an object to dump \[object Undefined\]$"):
        safe_dump({"title": "t", "description": MISSING})


def test_js_key_order_puts_array_indexes_first() -> None:
    assert js_keys({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5}) == ["2", "10", "b", "a", "01"]


def test_implicit_resolution_helper() -> None:
    assert resolves_implicitly("0b101") and resolves_implicitly("190:20:30") and resolves_implicitly("-.INF")
    assert not resolves_implicitly("0b") and not resolves_implicitly("1__") and not resolves_implicitly("yes")


# ----------------------------------------------------------------------------------------------------------
# gray-matter


def test_stringify_orders_tool_keys_and_adds_final_newline() -> None:
    out = matter_stringify("body", {"title": "T", "generated": "2026-01-02T03:04:05.678Z", "description": "d",
                                    "sources": ["a.ts", "b.ts"]})
    assert out == ("---\ntitle: T\ngenerated: '2026-01-02T03:04:05.678Z'\ndescription: d\nsources:\n  - a.ts\n"
                   "  - b.ts\n---\nbody\n")
    assert matter_stringify("", {"title": "T"}) == "---\ntitle: T\n---\n\n"
    assert matter_stringify("a\n", {"title": "T"}) == "---\ntitle: T\n---\na\n"


def test_embedded_frontmatter_keys_first_tool_keys_override() -> None:
    content = "---\nfoo: bar\ntitle: Embedded\n---\n# Heading\n"
    assert matter_stringify(content, {"title": "Tool", "generated": "g"}) == (
        "---\nfoo: bar\ntitle: Tool\ngenerated: g\n---\n# Heading\n")


def test_embedded_frontmatter_values_are_js_yaml_values() -> None:
    content = "---\ndate: 2024-01-15\nversion: 1.0\nflag: yes\n1: one\nnull: z\nlist: [a, 'b']\n---\r\nbody"
    assert matter_stringify(content, {"title": "T"}) == (
        "---\n'1': one\ndate: 2024-01-15T00:00:00.000Z\nversion: 1\nflag: 'yes'\n'null': z\nlist:\n  - a\n  - b\n"
        "title: T\n---\nbody\n")


def test_embedded_frontmatter_without_closing_delimiter_swallows_the_body() -> None:
    assert matter_stringify("---\na: 1\nb: 2\n", {"title": "T"}) == "---\na: 1\nb: 2\ntitle: T\n---\n\n"


def test_four_dashes_and_bom_and_comment_only_blocks() -> None:
    assert matter_stringify("----\nx", {"title": "T"}) == "---\ntitle: T\n---\n----\nx\n"
    assert matter_stringify("\ufeffbody", {"title": "T"}) == "---\ntitle: T\n---\nbody\n"
    assert matter_stringify("---\n# just a comment\n---\nb", {"title": "T"}) == "---\ntitle: T\n---\nb\n"


def test_json_front_matter_is_written_back_as_json() -> None:
    out = matter_stringify('---json\n{"a": [1, 2]}\n---\nbody', {"title": "T", "d": MISSING})
    assert out == '---\n{\n  "a": [\n    1,\n    2\n  ],\n  "title": "T"\n}\n---\nbody\n'


def test_malformed_embedded_yaml_gives_js_yaml_message() -> None:
    with pytest.raises(NodeError) as e:
        matter_stringify("---\ndescription: Foo: bar\n---\nbody", {"title": "T"})
    assert e.value.message == (
        "incomplete explicit mapping pair; a key node is missed; or followed by a non-tabulated empty line "
        "at line 2, column 17:\n    description: Foo: bar\n                    ^")
    with pytest.raises(NodeError, match=r"^duplicated mapping key at line 3, column 1:\n    a: 2\n    \^$"):
        matter_stringify("---\na: 1\na: 2\n---\n", {"title": "T"})
    with pytest.raises(NodeError, match=r'^unidentified alias "bold\*" at line 2, column 14'):
        matter_stringify("---\ntitle: *bold*\n---\n", {"title": "T"})
    with pytest.raises(NodeError, match=r'^gray-matter engine "toml" is not registered$'):
        matter_stringify("---toml\na = 1\n---\n", {"title": "T"})


def test_parse_cache_is_per_process_and_drops_the_language() -> None:
    cache: dict = {}
    content = '---json\n{"a": 1}\n---\nbody'
    first = matter_stringify(content, {"title": "T"}, cache)
    second = matter_stringify(content, {"title": "T"}, cache)
    assert first.startswith('---\n{\n  "a": 1,')
    assert second == "---\na: 1\ntitle: T\n---\nbody\n"  # gray-matter's cached copy has no language: YAML
    # a failed parse is cached as it stood: the second identical call writes the block verbatim
    bad = "---\na: [1\n---\nbody"
    with pytest.raises(NodeError):
        matter_stringify(bad, {"title": "T"}, cache)
    assert matter_stringify(bad, {"title": "T"}, cache) == "---\ntitle: T\n---\n---\na: [1\n---\nbody\n"


@pytest.mark.parametrize("content,message", [
    (MISSING, "Cannot read properties of undefined (reading 'content')"),
    (None, "Cannot read properties of null (reading 'content')"),
    (5, "Cannot read properties of undefined (reading 'slice')"),
    (["a"], "Cannot read properties of undefined (reading 'slice')"),
    ("constructor", "Cannot read properties of undefined (reading 'slice')"),
])
def test_non_string_content_fails_like_gray_matter(content, message: str) -> None:
    with pytest.raises(NodeError) as e:
        matter_stringify(content, {"title": "T"})
    assert e.value.message == message


def test_object_content_is_taken_as_a_file() -> None:
    assert matter_stringify({"content": "x", "data": {"a": 1}}, {"title": "T"}) == "---\na: 1\ntitle: T\n---\nx\n"


def test_safe_load_types() -> None:
    doc = safe_load("a: 0x10\nb: 1:30\nc: ~\nd:\ne: !!str 5\nbase: &b {k: v}\nm:\n  <<: *b\n  z: 1\n")
    assert doc == {"a": 16, "b": 90, "c": None, "d": None, "e": "5", "base": {"k": "v"}, "m": {"k": "v", "z": 1}}
    assert safe_load("") is MISSING
    assert isinstance(safe_load("t: 2001-12-14t21:59:43.10-05:00")["t"], JsDate)
    assert safe_load("t: 2001-12-14t21:59:43.10-05:00")["t"].iso() == "2001-12-15T02:59:43.100Z"


def test_date_utc_rolls_over_like_javascript() -> None:
    assert JsDate(date_utc(2024, 12, 45)).iso() == "2025-02-14T00:00:00.000Z"
    assert JsDate(date_utc(99, 0, 1)).iso() == "1999-01-01T00:00:00.000Z"


def test_tabs_before_keys_follow_js_yaml() -> None:
    # js-yaml counts only spaces as indentation and skips a tab after them as separation
    out = matter_stringify("---\na:\n\tb: 1\n---\nbody", {"title": "T"})
    assert out == "---\na: null\nb: 1\ntitle: T\n---\nbody\n"
    assert matter_stringify("---\n\ta: 1\n---\nbody", {"title": "T"}) == "---\na: 1\ntitle: T\n---\nbody\n"
    with pytest.raises(NodeError) as e:
        matter_stringify("---\n\tindented: tab\nflag: yes\n---\n# Body\n", {"title": "T"})
    assert e.value.message == ("end of the stream or a document separator is expected at line 3, column 1:\n"
                               "    flag: yes\n    ^")
