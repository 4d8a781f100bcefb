"""SemanticWiki's `search_codebase` result text (spec §1.3), identical in direct and SDK mode.

    Found <n> relevant code snippets:

    ### Result <i> (score: <toFixed(3)>)
    **Source:** `<filePath>:<startLine>-<endLine>`
    [blank, **Domain Context:**, bullets Type/Name/Parent/Business Domains/Signature/Public API]
    [blank, **Documentation:**, plain fence with the first 300 UTF-16 units (+ "..." when cut)]
    blank, fence tagged with the chunk language, the content (compact mode: 500 units + "// ... truncated")

Values are printed with JavaScript's truthiness and `String()` rules, so results from any backend (including the
conformance harness's fixed dicts) print as SemanticWiki prints them.

What it deliberately does not do: choose results (see `index.py`) or decide compact mode (see `tool.py`).
"""

from __future__ import annotations

import math
from typing import Any

from wikigym.tools.context import NodeError
from wikigym.tools.search.jsstr import js_len, js_number_str, js_slice, to_fixed

NO_RESULTS = "No relevant code found for this query."


def js_truthy(v: Any) -> bool:
    """JavaScript truthiness (`[]` and `{}` are truthy, `0`, `""`, `NaN`, null and undefined are not)."""
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return not math.isnan(v) and v != 0
    if isinstance(v, str):
        return v != ""
    return True


def js_str(v: Any) -> str:
    """`String(v)` / template-literal interpolation."""
    if v is None:
        return "undefined"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return js_number_str(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, list):
        return ",".join("" if x is None else js_str(x) for x in v)
    if isinstance(v, dict):
        return "[object Object]"
    return str(v)


def _score_text(score: Any) -> str:
    if score is None:
        raise NodeError("Cannot read properties of undefined (reading 'toFixed')")
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        raise NodeError("r.score.toFixed is not a function")
    return to_fixed(score, 3)


def format_result(r: dict, i: int, compact: bool = False) -> str:
    """One `### Result` block."""
    domain = ""
    cats = r.get("domainCategories")
    if js_truthy(r.get("chunkType")) or js_truthy(r.get("name")) or (isinstance(cats, list) and len(cats) > 0):
        domain = "\n**Domain Context:**\n"
        if js_truthy(r.get("chunkType")):
            domain += f"- Type: {js_str(r['chunkType'])}\n"
        if js_truthy(r.get("name")):
            domain += f"- Name: {js_str(r['name'])}\n"
        if js_truthy(r.get("parentName")):
            domain += f"- Parent: {js_str(r['parentName'])}\n"
        if isinstance(cats, list) and len(cats) > 0:
            domain += f"- Business Domains: {', '.join(js_str(c) for c in cats)}\n"
        if js_truthy(r.get("signature")):
            domain += f"- Signature: `{js_str(r['signature'])}`\n"
        if js_truthy(r.get("isPublicApi")):
            domain += "- Public API: yes\n"
    doc = ""
    documentation = r.get("documentation")
    if js_truthy(documentation):
        documentation = js_str(documentation)
        snippet = js_slice(documentation, 0, 300)
        more = "..." if js_len(snippet) < js_len(documentation) else ""
        doc = f"\n**Documentation:**\n```\n{snippet}{more}\n```\n"
    content = js_str(r.get("content"))
    if compact and js_len(content) > 500:
        content = js_slice(content, 0, 500) + "\n// ... truncated"
    language = js_str(r.get("language")) if js_truthy(r.get("language")) else ""
    return (f"### Result {i + 1} (score: {_score_text(r.get('score'))})\n"
            f"**Source:** `{js_str(r.get('filePath'))}:{js_str(r.get('startLine'))}-{js_str(r.get('endLine'))}`\n"
            f"{domain}{doc}\n```{language}\n{content}\n```")


def format_results(results: list[dict], compact: bool = False) -> str:
    """The whole tool output for a non-empty result list."""
    body = "\n\n".join(format_result(r, i, compact) for i, r in enumerate(results))
    return f"Found {len(results)} relevant code snippets:\n\n{body}"
