"""js-yaml 3.14 loader port (wikigym/tools/yaml_load.py), through gray-matter's `stringify` as write_wiki_page uses it.

Every expected string below is what gray-matter 4.0.3 + js-yaml 3.14.2 (SemanticWiki 1.2.1's versions) return for
`matter.stringify(content, {title: 'T'})`, recorded under Node while writing the port; the tests need no Node.
The earlier PyYAML-based reader disagreed with js-yaml on each marked case.
"""

from __future__ import annotations

import pytest

from wikigym.tools.context import NodeError
from wikigym.tools.frontmatter import matter_stringify, safe_load
from wikigym.tools.node_fs import MISSING

ACCEPTED = [
    # A plain scalar may hold `{`, `#` after a non-space and a tab: the document is the string "c{#\tc", which
    # Object.assign spreads into index keys (PyYAML refused the document).
    ("---\nc{#\tc\n---\nbody", "---\n'0': c\n'1': '{'\n'2': '#'\n'3': \"\\t\"\n'4': c\ntitle: T\n---\nbody\n"),
    # Control characters inside a comment are never captured, so never checked (PyYAML refused them).
    ("---\n# note \u0007 bell in a comment\nkey: value\n---\nbody", "---\nkey: value\ntitle: T\n---\nbody\n"),
    # A merge source that is an array merges its indexes (PyYAML-based reader: "cannot merge mappings").
    ("---\nbase: &b {x: 1}\nitem:\n  <<: [*b, [9, 8]]\n  y: 2\n---\nbody",
     "---\nbase:\n  x: 1\nitem:\n  '0': 9\n  '1': 8\n  x: 1\n  'y': 2\ntitle: T\n---\nbody\n"),
    # A tab after the indentation is separation space.
    ("---\na: 1\n\tb: 2\n---\nbody", "---\na: 1\nb: 2\ntitle: T\n---\nbody\n"),
]

REJECTED = [
    ("---\ntitle: Auth: login flow\n---\nbody",
     ("incomplete explicit mapping pair; a key node is missed; or followed by a non-tabulated empty line "
     "at line 2, column 12:\n    title: Auth: login flow\n               ^")),
    ("---\ntitle: *Note* this\n---\nbody",
     'unidentified alias "Note*" at line 2, column 14:\n    title: *Note* this\n                 ^'),
    # Columns count UTF-16 units (each emoji is two) and point at the offending character, not at the start.
    ("---\ndescription: 😀😀 \u0001\n---\nbody",
     ("the stream contains non-printable characters at line 2, column 20:\n    description: 😀😀 \u0001\n"
     "                       ^")),
    # js-yaml reports a NUL with a mark on "line 1" at its offset, the snippet stopping at the NUL.
    ("---\nk: x\u0000y\n---\nbody", "null byte is not allowed in input at line 1, column 6:\n    k: x\n        ^"),
    ("---\nsources: [src/a.ts, \n---\nbody",
     "unexpected end of the stream within a flow collection at line 3, column 1:\n    \n    ^"),
]


@pytest.mark.parametrize(("content", "expected"), ACCEPTED)
def test_front_matter_js_yaml_accepts(content: str, expected: str) -> None:
    assert matter_stringify(content, {"title": "T"}) == expected


@pytest.mark.parametrize(("content", "message"), REJECTED)
def test_front_matter_js_yaml_rejects(content: str, message: str) -> None:
    with pytest.raises(NodeError) as err:
        matter_stringify(content, {"title": "T"})
    assert err.value.message == message


def test_safe_load_values_and_documents() -> None:
    assert safe_load("") is MISSING
    assert safe_load("# only a comment\n") is None
    assert safe_load('x: "\\U0001F600"') == {"x": "😀"}  # the escape's surrogate pair is joined back
    loop = safe_load("&a [*a]")
    assert loop[0] is loop  # anchors are shared references, as in JavaScript
    with pytest.raises(NodeError) as err:
        safe_load("a: 1\n---\nb: 2\n")
    assert err.value.message == "expected a single document in the stream, but found more"
    with pytest.raises(NodeError) as err:
        safe_load("k: &__proto__ v\nj: *__proto__\n")
    assert err.value.message == 'unidentified alias "__proto__" at line 2, column 14:\n    j: *__proto__\n                 ^'


def test_deep_nesting_loads_as_in_node() -> None:
    """Node reads 1,000 nested block sequences; Python's default recursion limit would not."""
    value = safe_load("- " * 1000 + "x")
    for _ in range(999):
        value = value[0]
    assert value == ["x"]
