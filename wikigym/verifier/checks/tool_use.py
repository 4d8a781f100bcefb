"""tool_use: how well a trajectory used SemanticWiki's tools (only when a trajectory is given).

- validity: share of calls that are valid: a known tool name for the episode's mode, arguments that parse and satisfy
  the tool's JSON schema, and a result that is not an error (`is_error`, or SemanticWiki's error strings such as
  `Error executing ...`, `MCP error ...`, `Error: Unknown tool`);
- coverage: share of the plan's expected tools used at least once (search_codebase, read_file,
  analyze_code_structure, write_wiki_page, verify_wiki_completeness; server prefixes ignored);
- efficiency: 1 while calls per written page stay at or under `max_calls_per_page` (20), then target / actual;
- repeats: 1 - share of calls identical to an earlier call with no page written in between.
Score = weighted mean of the four (`parts` in the config). Turns and tokens are reported in stats.
"""

from __future__ import annotations

import json
import re
from typing import Any

from wikigym.verifier.model import CheckResult, Finding, r6

EXPECTED_TOOLS = ("search_codebase", "read_file", "analyze_code_structure", "write_wiki_page",
                  "verify_wiki_completeness")
ERROR_RE = re.compile(r"^(?:Error(?: executing \w+)?:|Error:|MCP error -?\d+|Failed to write wiki page:|Search error:|"
                      r"Analysis error:|Verification error:|Error listing pages:|File not found:|Access denied - |"
                      r"Parent directory does not exist:)")
DEFAULTS = {"max_calls_per_page": 20, "parts": {"validity": 0.4, "coverage": 0.3, "efficiency": 0.15,
                                                "repeats": 0.15}}
_TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool, "object": dict, "array": list,
          "null": type(None)}


def bare_name(name: str) -> str:
    """`mcp__semanticwiki__search_codebase` -> `search_codebase`."""
    return re.sub(r"^mcp__[^_]+(?:_[^_]+)*?__", "", name)


def schema_errors(value: Any, schema: dict, where: str = "arguments") -> list[str]:
    """A small JSON-Schema validator for the keywords SemanticWiki's tool schemas use.

    >>> s = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
    >>> schema_errors({"path": 3}, s), schema_errors({}, s), schema_errors({"path": "a"}, s)
    (['arguments.path: expected string'], ['arguments: missing required path'], [])
    """
    errs: list[str] = []
    t = schema.get("type")
    if t:
        types = t if isinstance(t, list) else [t]
        ok = any(isinstance(value, _TYPES.get(x, object)) and not (x in ("number", "integer")
                                                                   and isinstance(value, bool)) for x in types)
        if not ok:
            return [f"{where}: expected {'/'.join(types)}"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{where}: not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{where}: below minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{where}: above maximum {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errs.append(f"{where}: missing required {key}")
        for key, v in value.items():
            if key in props:
                errs.extend(schema_errors(v, props[key], f"{where}.{key}"))
            elif schema.get("additionalProperties") is False:
                errs.append(f"{where}: unexpected property {key}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append(f"{where}: fewer than {schema['minItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, v in enumerate(value):
                errs.extend(schema_errors(v, schema["items"], f"{where}[{i}]"))
    return errs


def _schemas(episode: Any) -> dict[str, dict]:
    tools = list(getattr(episode, "tools", None) or [])
    if not tools:
        from wikigym.tools.toolset import tool_schemas

        tools = tool_schemas(getattr(episode, "mode", "direct") or "direct")
    out = {}
    for t in tools:
        schema = t.get("input_schema") or t.get("inputSchema") or t.get("parameters") or {}
        out[t["name"]] = schema
    return out


def check_tool_use(episode: Any, cfg: dict | None = None) -> CheckResult:
    """Validity, expected-tool coverage, calls per page and repeats of a trajectory's tool calls."""
    cfg = {**DEFAULTS, **(cfg or {})}
    if episode is None:
        return CheckResult("tool_use", 0.0, [], {"reason": "no trajectory given"}, applicable=False)
    schemas = _schemas(episode)
    findings: list[Finding] = []
    total = valid = repeats = 0
    used: set[str] = set()
    seen: dict[str, int] = {}
    writes = 0
    pages: set[str] = set()
    for step in episode.steps:
        results = {r.tool_use_id: r for r in step.tool_results}
        for call in step.tool_calls:
            total += 1
            where = f"step {step.index}"
            name = call.name
            used.add(bare_name(name))
            problem = None
            # Most specific first: a call to a tool that was not offered is recorded as invalid too, and "unknown
            # tool X" tells the reader more than "the call was recorded as malformed".
            if call.arguments is None:
                problem = ("malformed call", f"arguments did not parse: {(call.raw_arguments or '')[:120]!r}")
            elif name not in schemas:
                problem = (f"unknown tool {name}", f"not a tool of the episode's {episode.mode} mode")
            elif not call.valid:
                problem = ("malformed call", "the call was recorded as malformed")
            else:
                errs = schema_errors(call.arguments, schemas[name])
                if errs:
                    problem = (f"invalid arguments to {name}", "; ".join(errs[:3]))
            res = results.get(call.id)
            if problem is None and res is not None and (res.is_error or ERROR_RE.match(res.output or "")):
                problem = (f"{name} returned an error", (res.output or "").splitlines()[0][:200] if res.output else "")
            if problem is None:
                valid += 1
            else:
                findings.append(Finding(where, None, *problem))
            key = name + json.dumps(call.arguments, sort_keys=True, ensure_ascii=False, default=str)
            if key in seen and seen[key] == writes:
                repeats += 1
                findings.append(Finding(where, None, f"repeated call {name}",
                                        "identical to an earlier call with no page written in between"))
            seen[key] = writes
            if bare_name(name) == "write_wiki_page" and problem is None:
                writes += 1
                if isinstance(call.arguments, dict) and "pagePath" in call.arguments:
                    pages.add(str(call.arguments["pagePath"]))
    n_pages = len(pages) or len(getattr(episode, "wiki", {}) or {})
    covered = [t for t in EXPECTED_TOOLS if t in used]
    for t in EXPECTED_TOOLS:
        if t not in used:
            findings.append(Finding("", None, f"never called {t}", "one of the plan's expected wiki tools"))
    cpp = total / n_pages if n_pages else float(total)
    target = float(cfg["max_calls_per_page"])
    parts = {
        "validity": valid / total if total else 0.0,
        "coverage": len(covered) / len(EXPECTED_TOOLS),
        "efficiency": (1.0 if cpp <= target else target / cpp) if n_pages else 0.0,
        "repeats": 1 - repeats / total if total else 0.0,
    }
    if n_pages and cpp > target:
        findings.append(Finding("", None, f"{cpp:.1f} calls per page", f"over the target of {target:g}"))
    w = cfg["parts"]
    score = sum(w[k] * v for k, v in parts.items()) / sum(w[k] for k in parts)
    usage = getattr(episode, "usage", None)
    in_tok = sum(s.usage.input_tokens for s in episode.steps) or (usage.input_tokens if usage else 0)
    out_tok = sum(s.usage.output_tokens for s in episode.steps) or (usage.output_tokens if usage else 0)
    stats = {"calls": total, "valid_calls": valid, "validity": r6(parts["validity"]), "expected_tools_used": covered,
             "pages_written": n_pages, "calls_per_page": r6(cpp), "repeated_calls": repeats,
             "turns": len(episode.steps), "input_tokens": in_tok, "output_tokens": out_tok,
             "parts": {k: r6(v) for k, v in parts.items()}}
    return CheckResult("tool_use", score, findings, stats)
