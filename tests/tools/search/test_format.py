"""Result text details: toFixed rounding, JavaScript truthiness, UTF-16 cut-offs."""

from __future__ import annotations

from wikigym.tools.search.format import format_result, format_results, js_truthy
from wikigym.tools.search.jsstr import js_len, js_slice, js_trim, to_fixed


def test_to_fixed_rounds_half_up_on_exact_binary_value() -> None:
    assert [to_fixed(x, 3) for x in (0.0625, 1.0005, 0.0005, 12, -0.0, 0.03278688524590164)] == [
        "0.063", "1.000", "0.001", "12.000", "0.000", "0.033"]


def test_js_string_helpers() -> None:
    assert js_len("a😀") == 3 and js_slice("😀abc", 0, 2) == "😀" and js_trim("\ufeff x \x85") == "x \x85"
    assert js_truthy([]) and js_truthy("0") and not js_truthy("") and not js_truthy(0) and not js_truthy(None)


def test_block_layout_and_documentation_cut() -> None:
    r = {"filePath": "a.ts", "startLine": 3, "endLine": 9, "content": "x", "language": "typescript",
         "score": 0.5, "chunkType": "method", "name": "m", "parentName": "C", "domainCategories": ["search"],
         "signature": "m(): void", "isPublicApi": True, "documentation": "d" * 301}
    text = format_result(r, 0)
    assert text == ("### Result 1 (score: 0.500)\n**Source:** `a.ts:3-9`\n\n**Domain Context:**\n- Type: method\n"
                    "- Name: m\n- Parent: C\n- Business Domains: search\n- Signature: `m(): void`\n"
                    "- Public API: yes\n\n**Documentation:**\n```\n" + "d" * 300 + "...\n```\n\n```typescript\nx\n```")
    bare = format_results([{"filePath": "c.json", "startLine": 1, "endLine": 1, "content": "{}", "language": "",
                            "score": 12, "domainCategories": []}])
    assert bare == "Found 1 relevant code snippets:\n\n### Result 1 (score: 12.000)\n**Source:** `c.json:1-1`\n\n```\n{}\n```"
