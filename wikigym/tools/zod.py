"""SDK-mode argument validation with zod v4's exact issue objects.

SemanticWiki's in-process MCP server validates every call with zod before the tool runs; a bad call comes back
as `MCP error -32602: Input validation error: Invalid arguments for tool <t>: <JSON.stringify(issues, null, 2)>`.
A model trained on these trajectories sees those strings, so we reproduce them from the JSON Schemas that zod
itself exported (`data/schemas.jsonl`). Unknown keys are stripped, defaults applied, as zod's `z.object` does.

Covered: string, number (min/max), boolean, enum, arrays of those, nested objects; that is every type the
SemanticWiki server uses.
"""

from __future__ import annotations

import json
import math
from typing import Any

_MISSING = object()


def js_typeof(value: Any) -> str:
    """zod v4's name for the received type in `invalid_type` messages."""
    if value is _MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def _check(schema: dict, value: Any, path: list, issues: list) -> Any:
    """Validate one value; append issues; return the parsed value (defaults applied)."""
    if value is _MISSING and "default" in schema:
        return schema["default"]
    if "enum" in schema:
        if value in schema["enum"] and isinstance(value, str):
            return value
        values = schema["enum"]
        issues.append({
            "code": "invalid_value",
            "values": values,
            "path": path,
            "message": "Invalid option: expected one of " + "|".join(json.dumps(v) for v in values),
        })
        return value
    typ = schema.get("type")
    got = js_typeof(value)
    expected = {"string": "string", "number": "number", "integer": "number", "boolean": "boolean",
                "array": "array", "object": "object"}.get(typ, typ)
    if got != expected:
        issues.append({"expected": expected, "code": "invalid_type", "path": path,
                       "message": f"Invalid input: expected {expected}, received {got}"})
        return value
    if typ in ("number", "integer"):
        if "minimum" in schema and value < schema["minimum"]:
            m = _num(schema["minimum"])
            issues.append({"origin": "number", "code": "too_small", "minimum": m, "inclusive": True, "path": path,
                           "message": f"Too small: expected number to be >={m}"})
        if "maximum" in schema and value > schema["maximum"]:
            m = _num(schema["maximum"])
            issues.append({"origin": "number", "code": "too_big", "maximum": m, "inclusive": True, "path": path,
                           "message": f"Too big: expected number to be <={m}"})
        return value
    if typ == "array":
        item_schema = schema.get("items", {})
        return [_check(item_schema, v, path + [i], issues) for i, v in enumerate(value)]
    if typ == "object":
        return _check_object(schema, value, path, issues)
    return value


def _check_object(schema: dict, value: dict, path: list, issues: list) -> dict:
    out: dict = {}
    required = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        present = key in value
        if not present and key not in required:
            if "default" in sub:
                out[key] = sub["default"]
            continue
        parsed = _check(sub, value.get(key, _MISSING), path + [key], issues)
        if present or parsed is not _MISSING:
            out[key] = parsed
    return out


def validate(tool: str, schema: dict, args: Any) -> tuple[dict | None, str | None]:
    """Parse `args` against a zod-exported JSON Schema.

    Returns:
        (parsed_args, None) on success, (None, error_text) on failure, where error_text is the MCP error string.

    Example:
        >>> s = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
        >>> validate("t", s, {"q": "x", "zz": 1})
        ({'q': 'x'}, None)
    """
    issues: list = []
    if not isinstance(args, dict):
        parsed = _check(schema, args if args is not None else _MISSING, [], issues)
    else:
        parsed = _check_object(schema, args, [], issues)
    if issues:
        body = json.dumps(issues, indent=2, ensure_ascii=False)
        return None, f"MCP error -32602: Input validation error: Invalid arguments for tool {tool}: {body}"
    return parsed, None
