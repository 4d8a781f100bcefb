"""OpenAICompatPolicy against a local chat-completions server: conversion both ways, malformed calls, retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("openai")

from tests.simulator.policies.servers import ScriptedServer, chat_completion
from wikigym.errors import ConfigError
from wikigym.repos import example_repo_path, open_repo
from wikigym.simulator.loop import AgentLoop, LoopConfig
from wikigym.simulator.policies import make_policy
from wikigym.simulator.policies.common import RetryPolicy
from wikigym.simulator.policies.openai_compat import parse_openai_choice, to_openai_messages
from wikigym.simulator.prompts import builtin_prompts
from wikigym.simulator.sandbox import Sandbox
from wikigym.simulator.tasks import build_generate
from wikigym.trajectories.schema import PolicySpec

FAST = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05)
SPEC = PolicySpec(kind="openai", model="student", temperature=0.7, max_tokens=512, seed=3)


def _tc(i: int, name: str, arguments: str) -> dict:
    return {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": arguments}}


def test_tool_loop_on_example_repo(tmp_path: Path) -> None:
    with ScriptedServer("/v1/chat/completions") as server:
        server.replies = [
            (502, {"error": {"message": "bad gateway"}}, {}),
            (200, chat_completion({"content": None, "reasoning_content": "look first",
                                   "tool_calls": [_tc(0, "list_directory", '{"path": ""}'),
                                                  _tc(1, "read_file", '{"path": "README.md"')]},
                                  "tool_calls"), {}),
            (200, chat_completion({"content": "Done."}), {}),
        ]
        policy = make_policy(SPEC, base_url=server.url + "/v1", retry=FAST)
        sandbox = Sandbox(open_repo(example_repo_path()), tmp_path / "wiki")
        task = build_generate(builtin_prompts(), "direct", "./example_repo", "./wiki")
        result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(verify=False)).run(task)
    assert result.stop_reason == "end_turn" and len(result.steps) == 2
    req = server.requests[1]
    assert req["model"] == "student" and req["temperature"] == 0.7 and req["seed"] == 3 and req["max_tokens"] == 512
    assert req["messages"][0] == {"role": "system", "content": task.system}
    assert req["tools"][0]["type"] == "function" and "parameters" in req["tools"][0]["function"]
    s0 = result.steps[0]
    assert s0.reasoning == "look first"
    assert [c.valid for c in s0.tool_calls] == [True, False]
    assert s0.tool_calls[1].raw_arguments == '{"path": "README.md"'
    assert s0.tool_results[0].output.startswith("[")  # list_directory ran
    assert "not valid JSON" in s0.tool_results[1].output and s0.tool_results[1].is_error
    assert s0.raw_completion is not None
    follow = server.requests[2]["messages"]
    assert follow[2]["role"] == "assistant" and len(follow[2]["tool_calls"]) == 2
    assert [m["role"] for m in follow[3:]] == ["tool", "tool"]
    assert follow[3]["tool_call_id"] == "call_0"
    assert (s0.usage.input_tokens, s0.usage.output_tokens) == (50, 10)


def test_conversion_round_trip_shapes() -> None:
    msgs = [{"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "text", "text": "hm"},
                                              {"type": "tool_use", "id": "a", "name": "read_file",
                                               "input": {"path": "x"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "X"}]}]
    out = to_openai_messages(msgs, "")
    assert out[1] == {"role": "assistant", "content": "hm", "tool_calls": [
        {"id": "a", "type": "function", "function": {"name": "read_file", "arguments": json.dumps({"path": "x"})}}]}
    assert out[2] == {"role": "tool", "tool_call_id": "a", "content": "X"}


@pytest.mark.parametrize("arguments,valid,args", [
    ('{"path": "a"}', True, {"path": "a"}),
    ({"path": "a"}, True, {"path": "a"}),  # Ollama sends an object
    ("[1, 2]", False, None),  # JSON but not an object
    ("not json", False, None),
    ("", True, {}),
])
def test_malformed_arguments(arguments, valid: bool, args) -> None:
    choice = {"message": {"content": "", "tool_calls": [{"function": {"name": "read_file", "arguments": arguments}}]},
              "finish_reason": "stop"}
    turn = parse_openai_choice(choice, {"read_file"})
    c = turn.tool_calls[0]
    assert (c.valid, c.arguments) == (valid, args)
    assert c.id == "call_0" and turn.stop_reason == "tool_use"


def test_unknown_tool_is_marked_invalid_but_kept() -> None:
    choice = {"message": {"tool_calls": [{"id": "z", "function": {"name": "rm_rf", "arguments": "{}"}}]},
              "finish_reason": "tool_calls"}
    c = parse_openai_choice(choice, {"read_file"}).tool_calls[0]
    assert c.name == "rm_rf" and c.valid is False and c.arguments == {}


def test_length_maps_to_max_tokens_and_missing_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_openai_choice({"message": {"content": "x"}, "finish_reason": "length"}, set()).stop_reason == \
        "max_tokens"
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="--base-url"):
        make_policy(SPEC)
