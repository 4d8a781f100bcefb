"""AgentLoop: SemanticWiki's stop rules, tool ordering, pruning, max_tokens continuation, errors, single-turn tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.simulator.conftest import PlaybackPolicy, call, turn
from wikigym.repos import open_repo
from wikigym.simulator.loop import AgentLoop, LoopConfig
from wikigym.simulator.policy import AssistantTurn
from wikigym.simulator.prompts import builtin_prompts
from wikigym.simulator.sandbox import Sandbox, SandboxConfig
from wikigym.simulator.tasks import build_generate, build_page, pattern_plan
from wikigym.trajectories.schema import ToolCall

NO_VERIFY = LoopConfig(verify=False)


@pytest.fixture
def sandbox(small_repo: Path, tmp_path: Path) -> Sandbox:
    return Sandbox(open_repo(small_repo), tmp_path / "wiki", SandboxConfig(mode="direct"))


def _task():
    return build_generate(builtin_prompts(), "direct", "./small", "./wiki")


def test_stops_on_end_turn_without_tool_calls(sandbox: Sandbox) -> None:
    policy = PlaybackPolicy([turn(call("read_file", path="app/util.py"), text="Reading."), turn(text="Done.")])
    result = AgentLoop(policy, sandbox, builtin_prompts(), NO_VERIFY).run(_task())
    assert result.stop_reason == "end_turn"
    assert [s.index for s in result.steps] == [0, 1]
    first, second = policy.seen
    assert len(first) == 1 and first[0]["role"] == "user"
    assert second[1] == {"role": "assistant", "content": [
        {"type": "text", "text": "Reading."},
        {"type": "tool_use", "id": "toolu_read_file_0", "name": "read_file", "input": {"path": "app/util.py"}}]}
    assert second[2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_read_file_0",
                                                      "content": "def helper(x):\n    return x * 2\n"}]}
    assert result.steps[0].tool_results[0].duration_s >= 0


def test_end_turn_with_tool_calls_does_not_stop(sandbox: Sandbox) -> None:
    policy = PlaybackPolicy([turn(call("list_directory", path=""), stop="end_turn"), turn(text="ok")])
    result = AgentLoop(policy, sandbox, builtin_prompts(), NO_VERIFY).run(_task())
    assert len(result.steps) == 2 and result.stop_reason == "end_turn"


def test_tools_run_in_order_and_results_share_one_message(sandbox: Sandbox) -> None:
    calls = [call("read_file", 0, path="app/core.py"), call("nope", 1), call("read_file", 2, path="missing.py")]
    policy = PlaybackPolicy([turn(*calls), turn(text="fin")])
    AgentLoop(policy, sandbox, builtin_prompts(), NO_VERIFY).run(_task())
    results = policy.seen[1][2]["content"]
    assert [r["tool_use_id"] for r in results] == ["toolu_read_file_0", "toolu_nope_1", "toolu_read_file_2"]
    assert results[1]["content"] == "Error: Unknown tool: nope"
    assert results[2]["content"] == "Error: File not found: missing.py"


def test_max_turns_stops_and_says_so(sandbox: Sandbox) -> None:
    policy = PlaybackPolicy([turn(call("list_directory", path=""))], repeat_last=True)
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(max_turns=4, verify=False)).run(_task())
    assert result.stop_reason == "max_turns"
    assert len(result.steps) == 4
    assert "Reached maximum turns (4)" in result.errors


def test_max_tokens_continues_with_the_cut_turn_as_prefill(sandbox: Sandbox) -> None:
    policy = PlaybackPolicy([turn(text="Half a thou", stop="max_tokens"), turn(text="ght.")])
    result = AgentLoop(policy, sandbox, builtin_prompts(), NO_VERIFY).run(_task())
    assert result.stop_reason == "end_turn" and len(result.steps) == 2
    assert policy.seen[1][-1] == {"role": "assistant", "content": [{"type": "text", "text": "Half a thou"}]}
    assert any("max_tokens" in e for e in result.steps[0].events)


def test_pruning_follows_semanticwiki(sandbox: Sandbox) -> None:
    # 100k input tokens a turn: cumulative passes 150k after turn 2 (warning) and 180k after turn 2 (pruning from
    # the first turn whose history exceeds 21 messages, and on every turn after it).
    policy = PlaybackPolicy([turn(call("list_directory", path=""), input_tokens=100_000)], repeat_last=True)
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(max_turns=14, verify=False)).run(_task())
    lengths = [len(m) for m in policy.seen]
    assert lengths[:11] == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert lengths[11:] == [21, 21, 21]  # 23 -> first + last 20
    assert [s.pruned_messages for s in result.steps] == [0] * 11 + [2, 2, 2]
    for seen in policy.seen[11:]:
        assert seen[0]["role"] == "user" and isinstance(seen[0]["content"], str)
        assert seen[1]["role"] == "assistant"
    assert any("high token usage" in e for e in result.steps[1].events)
    assert sum("high token usage" in e for s in result.steps for e in s.events) == 1


def test_no_pruning_below_threshold(sandbox: Sandbox) -> None:
    policy = PlaybackPolicy([turn(call("list_directory", path=""), input_tokens=179_999 // 14)], repeat_last=True)
    AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(max_turns=14, verify=False)).run(_task())
    assert [len(m) for m in policy.seen] == list(range(1, 28, 2))


def test_malformed_arguments_get_an_error_result(sandbox: Sandbox) -> None:
    bad = ToolCall(id="c1", name="read_file", arguments=None, raw_arguments='{"path": "app/', valid=False)
    policy = PlaybackPolicy([AssistantTurn(tool_calls=[bad], stop_reason="tool_use"), turn(text="sorry")])
    result = AgentLoop(policy, sandbox, builtin_prompts(), NO_VERIFY).run(_task())
    block = policy.seen[1][2]["content"][0]
    assert block["is_error"] is True and "not valid JSON" in block["content"]
    assert policy.seen[1][1]["content"][0]["input"] == {}
    assert result.steps[0].tool_calls[0].valid is False


def test_policy_exception_ends_episode_with_error(sandbox: Sandbox) -> None:
    def boom(_messages):
        raise RuntimeError("connection reset")

    policy = PlaybackPolicy([turn(call("list_directory", path="")), boom])
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig()).run(_task())
    assert result.stop_reason == "error"
    assert len(result.steps) == 1
    assert "connection reset" in result.errors[-1]


def test_misconfiguration_leaves_the_loop(sandbox: Sandbox) -> None:
    # An unknown model or a rejected key fails every episode the same way: the caller must see it, not an episode.
    from wikigym.errors import ConfigError

    def unknown_model(_messages):
        raise ConfigError("the endpoint has no model 'x' (404); check --model")

    policy = PlaybackPolicy([turn(call("list_directory", path="")), unknown_model])
    with pytest.raises(ConfigError, match="no model 'x'"):
        AgentLoop(policy, sandbox, builtin_prompts(), NO_VERIFY).run(_task())


def test_repeated_error_turns_stop_the_episode(sandbox: Sandbox) -> None:
    err = AssistantTurn(stop_reason="error", error="bad completion")
    policy = PlaybackPolicy([err], repeat_last=True)
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(max_consecutive_errors=3)).run(_task())
    assert result.stop_reason == "error" and len(result.steps) == 3


def test_should_stop_ends_before_the_next_turn(sandbox: Sandbox) -> None:
    calls = {"n": 0}

    def stop():
        calls["n"] += 1
        return "max_cost" if calls["n"] > 2 else None

    policy = PlaybackPolicy([turn(call("list_directory", path=""))], repeat_last=True)
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(), should_stop=stop).run(_task())
    assert result.stop_reason == "max_cost" and len(result.steps) == 2


def test_page_task_retries_short_answer_at_lower_temperature(small_repo: Path, tmp_path: Path) -> None:
    snap = open_repo(small_repo)
    sandbox = Sandbox(snap, tmp_path / "wiki")
    pages = pattern_plan(small_repo)
    task = build_page(builtin_prompts(), small_repo, pages[0], pages)
    long_text = "# Architecture Overview\n\n" + "The app runs an engine. " * 20
    policy = PlaybackPolicy([turn(text="too short"), turn(text=long_text)])
    result = AgentLoop(policy, sandbox, builtin_prompts()).run(task)
    assert policy.temperatures == [0.7, 0.1]
    assert policy.spec.temperature == 0.7
    assert policy.tools == [[], []]
    assert (tmp_path / "wiki" / pages[0]["filename"]).read_text() == long_text
    assert result.stop_reason == "end_turn" and len(result.steps) == 2


def test_sdk_mode_offers_prefixed_tools(small_repo: Path, tmp_path: Path) -> None:
    sandbox = Sandbox(open_repo(small_repo), tmp_path / "wiki", SandboxConfig(mode="sdk"))
    task = build_generate(builtin_prompts(), "sdk", "./small", "./wiki")
    policy = PlaybackPolicy([turn(call("mcp__filesystem__read_file", path="app/util.py")), turn(text="ok")])
    AgentLoop(policy, sandbox, builtin_prompts(), NO_VERIFY).run(task)
    assert "mcp__semanticwiki__write_wiki_page" in policy.tools[0]
    assert "mcp__semanticwiki__verify_wiki_completeness" in policy.systems[0]
    assert policy.seen[1][2]["content"][0]["content"] == "def helper(x):\n    return x * 2\n"


def test_verification_pass_is_a_fresh_conversation_listing_missing_pages(sandbox: Sandbox) -> None:
    sandbox.seed_wiki({"README.md": "See [A](components/a.md)."})
    write = call("write_wiki_page", pagePath="components/a.md", title="A", content="About A.",
                 description="A page.", sources=["app/core.py"])
    policy = PlaybackPolicy([turn(text="Main loop done."), turn(write), turn(text="Wrote it.")])
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig()).run(_task())
    assert result.verification_passes == 1 and result.final_missing == []
    fresh = policy.seen[1]
    assert len(fresh) == 1 and "- components/a.md" in fresh[0]["content"] and "all 1 missing" in fresh[0]["content"]
    assert result.steps[1].conversation_reset and result.steps[1].user_message == fresh[0]["content"]
    assert not result.steps[2].conversation_reset
    assert (sandbox.wiki_dir / "components" / "a.md").exists()
    assert result.stop_reason == "end_turn"


def test_at_most_five_verification_passes_within_the_turn_budget(sandbox: Sandbox) -> None:
    sandbox.seed_wiki({"README.md": "See [A](a.md)."})
    policy = PlaybackPolicy([turn(text="never writes")], repeat_last=True)
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig()).run(_task())
    assert result.verification_passes == 5 and result.final_missing == ["a.md"]
    assert sum(s.conversation_reset for s in result.steps) == 5
    # With only 3 turns in all, the passes get min(50, 3 - used) turns: 2, then none.
    policy = PlaybackPolicy([turn(text="never writes")], repeat_last=True)
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(max_turns=3)).run(_task())
    assert len(result.steps) == 3 and result.verification_passes == 5


def test_single_turn_tasks_do_not_run_tool_calls(small_repo: Path, tmp_path: Path) -> None:
    sandbox = Sandbox(open_repo(small_repo), tmp_path / "wiki")
    pages = pattern_plan(small_repo)
    from wikigym.simulator.tasks import build_index

    task = build_index(builtin_prompts(), "small", pages)
    policy = PlaybackPolicy([turn(call("write_wiki_page", pagePath="x.md", title="x", content="x"),
                                 text="# Index\n\n- [App](./app.md)")])
    result = AgentLoop(policy, sandbox, builtin_prompts()).run(task)
    assert result.steps[0].tool_results == [] and "ignored" in result.steps[0].events[0]
    assert sandbox.wiki_files() == {"index.md": "# Index\n\n- [App](./app.md)"}
