"""AnthropicPolicy against a local server speaking the Messages API: request shape, tool use, retries, cost."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("anthropic")

from tests.simulator.conftest import PlaybackPolicy  # noqa: F401 - fixtures
from tests.simulator.policies.servers import ScriptedServer, anthropic_error, anthropic_message
from wikigym.errors import ConfigError
from wikigym.repos import example_repo_path, open_repo
from wikigym.simulator.loop import AgentLoop, LoopConfig
from wikigym.simulator.policies import make_policy
from wikigym.simulator.policies.common import CostMeter, RetryPolicy
from wikigym.simulator.prompts import builtin_prompts
from wikigym.simulator.sandbox import Sandbox
from wikigym.simulator.tasks import build_generate
from wikigym.trajectories.schema import PolicySpec

FAST = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05)
SPEC = PolicySpec(kind="anthropic", model="claude-sonnet-4-20250514", temperature=0.7, max_tokens=8192)


def _policy(server: ScriptedServer, **kw):
    return make_policy(SPEC, api_key="sk-ant-test-key-000000", base_url=server.url, retry=FAST, **kw)


def test_tool_loop_on_example_repo_with_retry_and_cache_cost(tmp_path: Path) -> None:
    with ScriptedServer("/v1/messages") as server:
        server.replies = [
            (429, anthropic_error(429, "rate_limit_error", "slow down"), {"retry-after": "0"}),
            (200, anthropic_message([{"type": "text", "text": "Let me look."},
                                     {"type": "tool_use", "id": "toolu_01", "name": "read_file",
                                      "input": {"path": "README.md"}}], "tool_use", input_tokens=1000,
                                    cache_write=3000), {}),
            (529, anthropic_error(529, "overloaded_error", "Overloaded"), {}),
            (200, anthropic_message([{"type": "text", "text": "All done."}], input_tokens=1200, output_tokens=30,
                                    cache_read=3000), {}),
        ]
        meter = CostMeter()
        policy = _policy(server, cost_meter=meter)
        snap = open_repo(example_repo_path())
        sandbox = Sandbox(snap, tmp_path / "wiki")
        task = build_generate(builtin_prompts(), "direct", "./example_repo", "./wiki")
        result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(verify=False)).run(task)

    assert result.stop_reason == "end_turn" and len(result.steps) == 2
    assert policy.retries == 2
    assert len(server.requests) == 4
    first = server.requests[1]
    assert first["model"] == "claude-sonnet-4-20250514" and first["max_tokens"] == 8192
    assert first["temperature"] == 0.7
    assert first["system"] == [{"type": "text", "text": task.system, "cache_control": {"type": "ephemeral"}}]
    assert {t["name"] for t in first["tools"]} >= {"read_file", "write_wiki_page", "search_codebase"}
    sent_key = server.headers[1].get("x-api-key") or server.headers[1].get("authorization", "")
    assert sent_key.endswith("sk-ant-test-key-000000")
    second = server.requests[3]["messages"]
    assert second[1]["content"][1] == {"type": "tool_use", "id": "toolu_01", "name": "read_file",
                                       "input": {"path": "README.md"}}
    readme = (example_repo_path() / "README.md").read_text()
    assert second[2]["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_01", "content": readme}
    s0, s1 = result.steps
    assert s0.tool_calls[0].name == "read_file" and s0.tool_results[0].output == readme
    assert (s0.usage.input_tokens, s0.usage.cache_write_tokens) == (1000, 3000)
    # sonnet-4: $3 in, $15 out, cache write 3.75, cache read 0.30 per MTok
    assert s0.usage.cost_usd == pytest.approx((1000 * 3 + 20 * 15 + 3000 * 3.75) / 1e6)
    assert s1.usage.cost_usd == pytest.approx((1200 * 3 + 30 * 15 + 3000 * 0.3) / 1e6)
    assert meter.total == pytest.approx(s0.usage.cost_usd + s1.usage.cost_usd)


def test_gives_up_after_retries(tmp_path: Path) -> None:
    with ScriptedServer("/v1/messages") as server:
        server.replies = [(503, anthropic_error(503, "api_error", "down"), {})] * 10
        policy = _policy(server)
        with pytest.raises(Exception, match="down"):
            policy.act([{"role": "user", "content": "hi"}], [], "sys")
    assert len(server.requests) == FAST.max_retries + 1


def test_bad_key_is_one_config_error_without_retry() -> None:
    with ScriptedServer("/v1/messages") as server:
        server.replies = [(401, anthropic_error(401, "authentication_error", "invalid x-api-key"), {})]
        policy = _policy(server)
        with pytest.raises(ConfigError, match="rejected the API key"):
            policy.act([{"role": "user", "content": "hi"}], [], "sys")
    assert len(server.requests) == 1


def test_missing_key_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY is not set") as e:
        make_policy(SPEC)
    assert "\n" not in str(e.value)


def test_empty_assistant_turns_are_not_sent_and_conversation_cache_marks_last_block() -> None:
    with ScriptedServer("/v1/messages") as server:
        server.replies = [(200, anthropic_message([{"type": "text", "text": "x"}]), {})]
        spec = SPEC.model_copy(update={"extra": {"cache_conversation": True}, "temperature": None})
        policy = make_policy(spec, api_key="sk-ant-test-key-000000", base_url=server.url, retry=FAST)
        msgs = [{"role": "user", "content": "go"}, {"role": "assistant", "content": []},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "r"}]}]
        policy.act(msgs, [], "sys")
    sent = server.requests[0]
    assert "temperature" not in sent
    assert [m["role"] for m in sent["messages"]] == ["user", "user"]
    assert sent["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}


def test_thinking_blocks_become_reasoning_and_max_tokens_maps() -> None:
    with ScriptedServer("/v1/messages") as server:
        server.replies = [(200, anthropic_message([{"type": "thinking", "thinking": "plan it", "signature": "s"},
                                                   {"type": "text", "text": "part"}], "max_tokens"), {})]
        turn = _policy(server).act([{"role": "user", "content": "go"}], [], "sys")
    assert (turn.reasoning, turn.text, turn.stop_reason) == ("plan it", "part", "max_tokens")


def test_unpriced_model_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    # record builds one policy per episode: with --episodes 4 the warning was printed four times.
    spec = SPEC.model_copy(update={"model": "claude-unpriced-test-model"})
    with caplog.at_level("WARNING"):
        for _ in range(3):
            make_policy(spec, api_key="sk-ant-test-key-000000", base_url="http://127.0.0.1:1")
    assert caplog.text.count("no price known for model claude-unpriced-test-model") == 1
