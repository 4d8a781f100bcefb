"""`JSON.parse` as Node 20 runs it (wikigym/tools/jsjson.py): gray-matter's `---json` front matter engine.

Expected messages were recorded from Node 20.20 (V8 11.3), the runtime SemanticWiki 1.2.1 was checked under; the
earlier emulation printed Node 19's wording (`Unexpected token 'a', "..." is not valid JSON`) for every failure.
"""

from __future__ import annotations

import math

import pytest

from wikigym.tools.context import NodeError
from wikigym.tools.frontmatter import matter_stringify
from wikigym.tools.jsjson import json_parse

MESSAGES = [
    ("", "Unexpected end of JSON input"),
    ("{", "Expected property name or '}' in JSON at position 1"),
    ("[", "Unexpected end of JSON input"),
    ('{"a"', "Expected ':' after property name in JSON at position 4"),
    ('{"a":1', "Expected ',' or '}' after property value in JSON at position 6"),
    ("[1", "Expected ',' or ']' after array element in JSON at position 2"),
    ('"abc', "Unterminated string in JSON at position 4"),
    ("trux", "Unexpected token 'x', \"trux\" is not valid JSON"),
    ("tr1e", "Unexpected number in JSON at position 2"),
    ('t"x"', "Unexpected string in JSON at position 1"),
    ("-a", "No number after minus sign in JSON at position 1"),
    ("01", "Unexpected number in JSON at position 1"),
    ("1.e5", "Unterminated fractional number in JSON at position 2"),
    ("1e+", "Exponent part is missing a number in JSON at position 3"),
    ('{"a":1,}', "Expected double-quoted property name in JSON at position 7"),
    ('{"a":"x" ,"b" }', "Unexpected token '}', \"{\"a\":\"x\" ,\"b\" }\" is not valid JSON"),  # later colons: no message
    ('"\\u12G4"', "Bad Unicode escape in JSON at position 5"),
    ('"\\q"', "Bad escaped character in JSON at position 2"),
    ('"\\€"', "Unexpected token '€', \"\"\\€\"\" is not valid JSON"),  # beyond Latin-1: not an escape at all
    ('"a\u0001"', "Bad control character in string literal in JSON at position 2"),
    ("[1]x", "Unexpected non-whitespace character after JSON at position 3"),
    ("NaN", '"NaN" is not valid JSON'),
    ("\u00a0{}", "Unexpected token '\u00a0', \"\u00a0{}\" is not valid JSON"),  # only space, tab, CR, LF are whitespace
    ('{"aaaaaaaaaaaaaaaaaaaaaaaaaaa": tru}', "Unexpected token '}', ...\"aaaa\": tru}\" is not valid JSON"),
    ("x" * 47, "Unexpected token 'x', \"xxxxxxxxxx\"... is not valid JSON"),
    ("[1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,x]", "Unexpected token 'x', ...\"1,2,3,4,5,x]\" is not valid JSON"),
]


@pytest.mark.parametrize(("text", "message"), MESSAGES)
def test_v8_messages(text: str, message: str) -> None:
    with pytest.raises(NodeError) as err:
        json_parse(text)
    assert err.value.message == message


def test_values_are_javascript_values() -> None:
    value = json_parse('{"a": 1, "__proto__": {"x": 1}, "a": 2, "n": [-0, 1.0, 1e400, 12345678901234567890]}')
    assert list(value) == ["a", "__proto__", "n"] and value["a"] == 2
    neg_zero, one, inf, big = value["n"]
    assert math.copysign(1, neg_zero) == -1 and one == 1 and inf == math.inf and isinstance(big, float)
    assert json_parse('"\\ud83d\\ude00 \\ud83d"') == "😀 \ud83d"


def test_json_front_matter_in_write_wiki_page() -> None:
    """What SemanticWiki writes (or reports) for `---json` front matter at the start of a page."""
    cache: dict = {}
    content = '---json\n{"a": -0}\n---\nbody'
    assert matter_stringify(content, {"title": "T"}, cache) == '---\n{\n  "a": 0,\n  "title": "T"\n}\n---\nbody\n'
    # The cached parse loses its language, so the second write dumps YAML, where -0 keeps its sign.
    assert matter_stringify(content, {"title": "T"}, cache) == "---\na: -0.0\ntitle: T\n---\nbody\n"
    with pytest.raises(NodeError) as err:
        matter_stringify('---json\n{a: 1}\n---\nbody', {"title": "T"})
    assert err.value.message == "Expected property name or '}' in JSON at position 2"


PROTOTYPE_ENGINES = [
    # (engine name, second write of the same content), recorded with gray-matter 4.0.3 under Node 20
    ("constructor", "---\n'0': |+\n\n'1': a\n'2': ':'\n'3': ' '\n'4': '1'\ntitle: T\n---\nbody\n"),
    ("toString", ("---\n'0': '['\n'1': o\n'2': b\n'3': j\n'4': e\n'5': c\n'6': t\n'7': ' '\n'8': O\n'9': b\n'10': j\n"
                 "'11': e\n'12': c\n'13': t\n'14': ']'\ntitle: T\n---\nbody\n")),
    ("hasOwnProperty", "---\ntitle: T\n---\nbody\n"),
    ("__lookupGetter__", "---\ntitle: T\n---\nbody\n"),
    ("__defineGetter__", "---\ntitle: T\n---\n---__defineGetter__\na: 1\n---\nbody\n"),
]


@pytest.mark.parametrize(("name", "second"), PROTOTYPE_ENGINES)
def test_engine_named_like_an_object_prototype_method(name: str, second: str) -> None:
    """`---constructor` finds Object.prototype.constructor as gray-matter's engine: the first write fails, the cached
    parse shows on the second."""
    content = f"---{name}\na: 1\n---\nbody"
    cache: dict = {}
    with pytest.raises(NodeError) as err:
        matter_stringify(content, {"title": "T"}, cache)
    first = ("Object.prototype.__defineGetter__: Expecting function" if name == "__defineGetter__"
             else f'expected "{name}.stringify" to be a function')
    assert err.value.message == first
    assert matter_stringify(content, {"title": "T"}, cache) == second


def test_value_of_engine_dumps_a_function() -> None:
    cache: dict = {}
    with pytest.raises(NodeError):
        matter_stringify("---valueOf\na: 1\n---\nbody", {"title": "T"}, cache)
    with pytest.raises(NodeError) as err:
        matter_stringify("---valueOf\na: 1\n---\nbody", {"title": "T"}, cache)
    assert err.value.message == "unacceptable kind of an object to dump [object Function]"
