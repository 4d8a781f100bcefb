"""LlamaCppPolicy: configuration errors, and the chat-completion call it makes on a loaded model.

llama-cpp-python compiles llama.cpp from source (~10 min) and no GGUF can be downloaded here, so the loaded model is
an in-test object with `create_chat_completion` that answers like llama.cpp does (OpenAI-shaped dicts); the real
import path is exercised by the error tests.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from wikigym.errors import ConfigError, WikigymError
from wikigym.repos import example_repo_path, open_repo
from wikigym.simulator.loop import AgentLoop, LoopConfig
from wikigym.simulator.policies import make_policy
from wikigym.simulator.prompts import builtin_prompts
from wikigym.simulator.sandbox import Sandbox
from wikigym.simulator.tasks import build_generate
from wikigym.trajectories.schema import PolicySpec


class RecordedLlama:
    """Answers create_chat_completion from a list, recording the keyword arguments."""

    def __init__(self, replies: list[dict[str, Any]]):
        self.replies = replies
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(kw)
        return self.replies.pop(0)


def test_runs_the_loop_on_example_repo(tmp_path: Path) -> None:
    llm = RecordedLlama([
        {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c0", "type": "function", "function": {"name": "directory_tree", "arguments": '{"path": ""}'}}]},
            "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 900, "completion_tokens": 12}},
        {"choices": [{"message": {"role": "assistant", "content": "Finished."}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 1400, "completion_tokens": 4}},
    ])
    policy = make_policy(PolicySpec(kind="llamacpp", model="student.gguf", temperature=0.3), llm=llm)
    sandbox = Sandbox(open_repo(example_repo_path()), tmp_path / "wiki")
    task = build_generate(builtin_prompts(), "direct", "./example_repo", "./wiki")
    result = AgentLoop(policy, sandbox, builtin_prompts(), LoopConfig(verify=False)).run(task)
    assert result.stop_reason == "end_turn" and len(result.steps) == 2
    first = llm.calls[0]
    assert first["temperature"] == 0.3 and first["max_tokens"] == 8192 and first["tool_choice"] == "auto"
    assert first["messages"][0]["role"] == "system"
    assert "├── " in result.steps[0].tool_results[0].output or "└── " in result.steps[0].tool_results[0].output
    assert llm.calls[1]["messages"][-1]["role"] == "tool"
    assert result.steps[0].usage.input_tokens == 900


def test_missing_model_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        make_policy(PolicySpec(kind="llamacpp"), model_path=str(tmp_path / "nope.gguf"))
    with pytest.raises(ConfigError, match="--model-path"):
        make_policy(PolicySpec(kind="llamacpp"))


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None, reason="llama-cpp-python is installed")
def test_missing_extra_names_the_pip_extra(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    with pytest.raises(WikigymError, match=r"wikigym\[llamacpp\]"):
        make_policy(PolicySpec(kind="llamacpp"), model_path=str(gguf))
