"""Tests for wikigym/verifier/checks/tool_use.py with real trajectory records."""

from __future__ import annotations

from wikigym.trajectories.schema import Episode, PolicySpec, RepoRef, Step, TaskSpec, ToolCall, ToolOutput
from wikigym.verifier.checks.tool_use import bare_name, check_tool_use


def _episode(calls: list[tuple[str, dict | None, str, bool]], mode: str = "direct") -> Episode:
    steps = []
    for i, (name, args, output, valid) in enumerate(calls):
        steps.append(Step(index=i, tool_calls=[ToolCall(id=f"c{i}", name=name, arguments=args, valid=valid,
                                                        raw_arguments=None if args is not None else "{bad")],
                          tool_results=[ToolOutput(tool_use_id=f"c{i}", name=name, output=output)]))
    return Episode(wikigym_version="0", episode_id="e1", repo=RepoRef(path="/r"), task=TaskSpec(),
                   policy=PolicySpec(kind="scripted"), mode=mode, steps=steps)


GOOD = [
    ("search_codebase", {"query": "inventory"}, "Found 1 relevant code snippets:", True),
    ("read_file", {"path": "inventory/service.py"}, "class X: ...", True),
    ("analyze_code_structure", {"filePath": "sdk/src/client.ts"}, "# Code Analysis: sdk/src/client.ts", True),
    ("write_wiki_page", {"pagePath": "README.md", "title": "Home", "content": "x", "description": "d",
                         "sources": []}, "Successfully wrote wiki page: README.md", True),
    ("verify_wiki_completeness", {}, "# Wiki Completeness Report", True),
]


def test_perfect_trajectory() -> None:
    res = check_tool_use(_episode(GOOD))
    assert res.score == 1.0 and res.findings == []
    assert res.stats["calls"] == 5 and res.stats["turns"] == 5 and res.stats["calls_per_page"] == 5.0


def test_invalid_calls_are_found() -> None:
    bad = GOOD + [
        ("read_file", {}, "", True),                                        # schema: missing path
        ("mcp__semanticwiki__read_file", {"path": "x"}, "", True),           # unknown in direct mode
        ("read_file", None, "", False),                                     # unparseable arguments
        ("read_file", {"path": "nope"}, "Error: File not found: nope", True),  # error string back
        ("verify_wiki_completeness", {}, "# Wiki Completeness Report", True),  # repeat without a write between
    ]
    res = check_tool_use(_episode(bad))
    whats = [f.what for f in res.findings]
    assert "invalid arguments to read_file" in whats and "unknown tool mcp__semanticwiki__read_file" in whats
    assert "malformed call" in whats and "read_file returned an error" in whats
    assert "repeated call verify_wiki_completeness" in whats
    assert res.stats["valid_calls"] == 6 and res.score < 1.0


def test_sdk_names_and_coverage() -> None:
    res = check_tool_use(_episode([("mcp__semanticwiki__search_codebase", {"query": "q"}, "Found", True)], "sdk"))
    assert res.stats["valid_calls"] == 1 and res.stats["expected_tools_used"] == ["search_codebase"]
    assert bare_name("mcp__filesystem__read_file") == "read_file"


def test_no_trajectory_is_not_applicable() -> None:
    assert not check_tool_use(None).applicable


def test_a_call_to_a_tool_not_offered_is_named_as_such() -> None:
    # API policies mark such a call valid=False; the finding must still say which tool, not "malformed call".
    res = check_tool_use(_episode(GOOD + [("delete_everything", {}, "Error: Unknown tool: delete_everything", False)]))
    assert [f.what for f in res.findings if f.page == f"step {len(GOOD)}"] == ["unknown tool delete_everything"]
