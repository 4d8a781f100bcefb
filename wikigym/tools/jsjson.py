"""`JSON.parse` as Node 20 (V8 11.3) runs it, error messages included.

Why: gray-matter's `json` engine (`---json` front matter at the start of a page's `content`) is `JSON.parse`, and
SemanticWiki hands its exception message to the model (`Error executing write_wiki_page: <message>`). V8 picks the
message by where the parser stopped (`Expected ',' or '}' after property value in JSON at position 8`, `Bad escaped
character ...`, `Unexpected token 'x', "..." is not valid JSON` with ten characters of context either side, ...);
Python's json module stops elsewhere and words it differently. This parser follows V8's JsonParser: the same
whitespace (space, tab, CR, LF only), the same token classes, the same message per call site, positions in UTF-16
units. Values are JavaScript's: numbers are doubles (`-0` stays negative, integers beyond 2**53 are floats), an own
`__proto__` key is kept, a repeated key keeps its first position and its last value.

What it deliberately does not do: the `reviver` argument, or V8's line/column suffix (added after Node 20).
"""

from __future__ import annotations

from typing import Any

from wikigym.tools.context import NodeError
from wikigym.tools.search.jsstr import from_utf16_units, to_utf16_units
from wikigym.tools.yaml_load import js_stack

_WHITESPACE = " \t\n\r"
_SPECIAL_SOURCES = ("[object Object]", "undefined", "Infinity", "NaN")
_CONTEXT = 10  # characters of source V8 shows on either side of an unexpected token
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

# V8's message templates (src/common/message-template.h) for JSON.parse.
EXPECTED_PROP_NAME_OR_RBRACE = "Expected property name or '}' in JSON at position %d"
EXPECTED_COLON = "Expected ':' after property name in JSON at position %d"
EXPECTED_COMMA_OR_RBRACE = "Expected ',' or '}' after property value in JSON at position %d"
EXPECTED_COMMA_OR_RBRACK = "Expected ',' or ']' after array element in JSON at position %d"
EXPECTED_DOUBLE_QUOTED_NAME = "Expected double-quoted property name in JSON at position %d"
NON_WHITESPACE_AFTER = "Unexpected non-whitespace character after JSON at position %d"


class _Token:
    """The token class of a character (V8's `one_char_json_tokens`), used to word an unexpected character."""

    EOS = "eos"
    STRING = "string"
    NUMBER = "number"
    OTHER = "other"


def _token_of(c: str | None) -> str:
    if c is None:
        return _Token.EOS
    if c == '"':
        return _Token.STRING
    if c == "-" or "0" <= c <= "9":
        return _Token.NUMBER
    return _Token.OTHER


class _Parser:
    def __init__(self, source: str):
        self.src = source  # UTF-16 units
        self.pos = 0

    # -- errors ------------------------------------------------------------------------------------------------

    def fail(self, template: str, pos: int | None = None) -> NodeError:
        return NodeError(template % (self.pos if pos is None else pos))

    def unexpected(self, template: str | None = None) -> NodeError:
        """V8's `ReportUnexpectedToken(peek(), errorMessage)`: the call site's message, else one by token class."""
        if template is not None:
            return self.fail(template)
        c = self.peek()
        token = _token_of(c)
        if token == _Token.EOS:
            return NodeError("Unexpected end of JSON input")
        if token == _Token.NUMBER:
            return self.fail("Unexpected number in JSON at position %d")
        if token == _Token.STRING:
            return self.fail("Unexpected string in JSON at position %d")
        return NodeError(from_utf16_units(self._unexpected_token_text(c)))

    def _unexpected_token_text(self, c: str) -> str:
        src, pos = self.src, self.pos
        if src in _SPECIAL_SOURCES:
            return f'"{src}" is not valid JSON'
        if len(src) < 2 * _CONTEXT + 1:
            return f"Unexpected token '{c}', \"{src}\" is not valid JSON"
        if pos < _CONTEXT:
            return f"Unexpected token '{c}', \"{src[:pos + _CONTEXT]}\"... is not valid JSON"
        if pos < len(src) - _CONTEXT:
            return f"Unexpected token '{c}', ...\"{src[pos - _CONTEXT:pos + _CONTEXT]}\"... is not valid JSON"
        return f"Unexpected token '{c}', ...\"{src[pos - _CONTEXT:]}\" is not valid JSON"

    # -- scanning ----------------------------------------------------------------------------------------------

    def peek(self) -> str | None:
        return self.src[self.pos] if self.pos < len(self.src) else None

    def skip_whitespace(self) -> None:
        while self.pos < len(self.src) and self.src[self.pos] in _WHITESPACE:
            self.pos += 1

    def expect(self, char: str, template: str | None) -> None:
        """V8's `ExpectNext`: skip whitespace, then the character or the error."""
        self.skip_whitespace()
        if self.peek() != char:
            raise self.unexpected(template)
        self.pos += 1

    def check(self, char: str) -> bool:
        self.skip_whitespace()
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    # -- values ------------------------------------------------------------------------------------------------

    def parse(self) -> Any:
        value = self.value()
        self.skip_whitespace()
        if self.peek() is not None:
            raise self.unexpected(NON_WHITESPACE_AFTER)
        return value

    def value(self) -> Any:
        self.skip_whitespace()
        c = self.peek()
        if c == "{":
            return self.object()
        if c == "[":
            return self.array()
        if c == '"':
            return self.string()
        if c is not None and (c == "-" or "0" <= c <= "9"):
            return self.number()
        for literal, result in (("true", True), ("false", False), ("null", None)):
            if c == literal[0]:
                self.literal(literal)
                return result
        raise self.unexpected()

    def object(self) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        if self.check("}"):
            return result
        self.expect_key(EXPECTED_PROP_NAME_OR_RBRACE)
        key = self.string_body()
        self.expect(":", EXPECTED_COLON)
        while True:
            result[key] = self.value()
            if not self.check(","):
                self.expect("}", EXPECTED_COMMA_OR_RBRACE)
                return result
            self.expect_key(EXPECTED_DOUBLE_QUOTED_NAME)
            key = self.string_body()
            self.expect(":", None)  # V8 gives the later colons no message of their own

    def expect_key(self, template: str) -> None:
        self.skip_whitespace()
        if self.peek() != '"':
            raise self.unexpected(template)

    def array(self) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        if self.check("]"):
            return result
        while True:
            result.append(self.value())
            if not self.check(","):
                self.expect("]", EXPECTED_COMMA_OR_RBRACK)
                return result

    def literal(self, word: str) -> None:
        """V8's `ScanLiteral`: the first mismatching character is reported by its token class, or the end."""
        self.pos += 1
        for expected in word[1:]:
            c = self.peek()
            if c != expected:
                raise self.unexpected()
            self.pos += 1

    def string(self) -> str:
        return from_utf16_units(self.string_body())

    def string_body(self) -> str:
        """A string token starting at the opening quote; returns its UTF-16 units."""
        self.pos += 1
        out: list[str] = []
        src = self.src
        while True:
            if self.pos >= len(src):
                raise self.fail("Unterminated string in JSON at position %d")
            c = src[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c < " ":
                raise self.fail("Bad control character in string literal in JSON at position %d")
            if c != "\\":
                out.append(c)
                self.pos += 1
                continue
            self.pos += 1
            e = self.peek()
            if e is None:
                raise self.unexpected()
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
                self.pos += 1
            elif e == "u":
                self.pos += 1
                code = 0
                for _ in range(4):
                    h = self.peek()
                    if h is None or h not in "0123456789abcdefABCDEF":
                        raise self.fail("Bad Unicode escape in JSON at position %d")
                    code = code * 16 + int(h, 16)
                    self.pos += 1
                out.append(chr(code))
            elif e > "\xff":
                raise self.unexpected()  # V8's escape table covers Latin-1 only; beyond it the character is "unexpected"
            else:
                raise self.fail("Bad escaped character in JSON at position %d")

    def number(self) -> float | int:
        src = self.src
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
            if not self._digit():
                raise self.fail("No number after minus sign in JSON at position %d")
        if self.peek() == "0":
            self.pos += 1
            if self._digit():
                raise self.unexpected()
        else:
            self._digits()
        integral = True
        if self.peek() == ".":
            integral = False
            self.pos += 1
            if not self._digit():
                raise self.fail("Unterminated fractional number in JSON at position %d")
            self._digits()
        if self.peek() in ("e", "E"):
            integral = False
            self.pos += 1
            if self.peek() in ("+", "-"):
                self.pos += 1
            if not self._digit():
                raise self.fail("Exponent part is missing a number in JSON at position %d")
            self._digits()
        return _js_number(src[start:self.pos], integral)

    def _digit(self) -> bool:
        c = self.peek()
        return c is not None and "0" <= c <= "9"

    def _digits(self) -> None:
        while self._digit():
            self.pos += 1


def _js_number(text: str, integral: bool) -> float | int:
    """The double a JSON number denotes, as an int where that is exact and not -0 (how wikigym holds JS numbers)."""
    value = float(text)
    if value == 0 and text.startswith("-"):
        return -0.0
    if (integral or value.is_integer()) and abs(value) <= 2**53:
        return int(value)
    return value


def json_parse(text: str) -> Any:
    """`JSON.parse(text)` in Node 20; raises NodeError with V8's message.

    >>> json_parse('{"a": [1, -0, 2.5]}')
    {'a': [1, -0.0, 2.5]}
    """
    parser = _Parser(to_utf16_units(text))
    with js_stack():
        return _rejoin_keys(parser.parse())


def _rejoin_keys(value: Any) -> Any:
    """Object keys were read as UTF-16 units; join their surrogate pairs back (string values already are)."""
    if isinstance(value, list):
        return [_rejoin_keys(v) for v in value]
    if isinstance(value, dict):
        return {from_utf16_units(k): _rejoin_keys(v) for k, v in value.items()}
    return value
