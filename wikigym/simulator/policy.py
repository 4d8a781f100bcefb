"""The one interface every policy implements: conversation in, one assistant turn out.

Teachers (Claude, the scripted teacher), students (gpt-oss through Harmony, an OpenAI-compatible server, llama.cpp)
and replay all implement `Policy.act`. The loop owns the conversation and the sandbox; a policy never touches the
filesystem or runs tools itself. Messages use Anthropic's content-block shape because that is what SemanticWiki's
loop builds (text + tool_use blocks from the assistant, one user message of tool_result blocks per turn).

Message shapes:
    {"role": "user", "content": "prompt text"}
    {"role": "assistant", "content": [{"type": "text", "text": "..."},
                                       {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {...}}]}
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "..."}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from wikigym.trajectories.schema import PolicySpec, ToolCall, Usage


@dataclass
class AssistantTurn:
    """What a policy returns for one turn.

    `stop_reason` follows Anthropic's words: `end_turn` (done, no calls), `tool_use` (calls to run), `max_tokens`
    (cut off; the loop continues), `error` (the policy failed this turn; `error` says why).
    """

    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop_reason: str = "end_turn"
    usage: Usage = field(default_factory=Usage)
    raw_completion: str | None = None
    error: str | None = None


@runtime_checkable
class Policy(Protocol):
    spec: PolicySpec

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        """Return the next assistant turn for `messages` (Anthropic shape) given the offered `tools`."""
        ...
