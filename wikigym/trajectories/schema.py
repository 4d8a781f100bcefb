"""The trajectory record: one JSON line per episode, versioned and self-describing.

Every stage after the simulator reads this (verifier, Harmony rendering, replay, the trainer), so it is the one
contract between them. A line is written only when its episode is finished, so a line's presence means the episode is
complete; `RUN_DIR/trajectories.jsonl` is append-only. Readers refuse an unknown `schema_version` in one line.

What it deliberately does not hold: API keys, tokens, or credentials in URLs (the recorder strips them first).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "wikigym.trajectory/1"

TaskKind = Literal["generate", "continue", "update", "plan", "page", "index"]
# SemanticWiki's local page-by-page prompts: one answer, no tools, scored by their own checks (verifier.local_tasks).
SINGLE_TURN_KINDS = ("plan", "page", "index")
StopReason = Literal["end_turn", "max_turns", "max_cost", "error", "interrupted", "max_tokens"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepoRef(_Model):
    """Where the episode's repository came from. `url` never carries credentials."""

    url: str | None = Field(None, description="Clone URL with any user:token@ removed; None for a local path.")
    path: str = Field(..., description="Local checkout the sandbox read.")
    commit: str | None = Field(None, description="Commit SHA the sandbox was pinned to (None if not a git repo).")
    dirty: bool = Field(False, description="True when the working tree had uncommitted changes.")
    name: str = Field("", description="Short repository name (directory or URL basename).")


class TaskSpec(_Model):
    kind: TaskKind = "generate"
    prompt: str = Field("", description="The user message that starts the episode.")
    base_commit: str | None = Field(None, description="For `update`: the commit the wiki was written at.")
    missing_pages: list[str] = Field(default_factory=list, description="For `continue`: pages to create.")
    page: dict[str, Any] | None = Field(None, description="For single-turn local tasks: the page spec.")
    plan: list[dict[str, Any]] | None = Field(None, description="For `page`/`index`: the wiki's page plan "
                                                                "({title, filename, type} per page), which the "
                                                                "verifier checks links against.")
    seed_wiki: dict[str, str] = Field(default_factory=dict, description="For `continue`/`update`: the wiki the "
                                                                        "episode starts from (path -> content).")


class PolicySpec(_Model):
    kind: str = Field(..., description="anthropic | scripted | harmony | openai | llamacpp | replay")
    model: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    reasoning_effort: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class ToolCall(_Model):
    id: str
    name: str
    arguments: dict[str, Any] | None = Field(None, description="Parsed arguments; None when they did not parse.")
    raw_arguments: str | None = Field(None, description="The model's raw argument text when it was not valid JSON.")
    valid: bool = Field(True, description="False when the call was malformed (unparseable or not a known tool).")


class ToolOutput(_Model):
    tool_use_id: str
    name: str
    output: str
    is_error: bool = False
    duration_s: float = 0.0


class Usage(_Model):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0


class Step(_Model):
    """One assistant turn and the tool results it produced."""

    index: int
    reasoning: str = Field("", description="The model's reasoning (Harmony `analysis`) if any.")
    text: str = Field("", description="Visible assistant text of the turn.")
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_results: list[ToolOutput] = Field(default_factory=list)
    stop_reason: str = "end_turn"
    usage: Usage = Field(default_factory=Usage)
    duration_s: float = 0.0
    raw_completion: str | None = Field(None, description="Raw model text for students whose output was parsed.")
    conversation_reset: bool = Field(False, description="True when this step starts a fresh conversation "
                                                        "(SemanticWiki's verification pass).")
    user_message: str | None = Field(None, description="The user message that opened a fresh conversation.")
    policy_duration_s: float = Field(0.0, description="Wall-clock seconds the policy took to produce this turn.")
    pruned_messages: int = Field(0, description="Messages the loop's pruning dropped just before this turn.")
    events: list[str] = Field(default_factory=list, description="Loop notes for this turn (pruning, token "
                                                                 "warning, max_tokens continuation, retries).")


class Episode(_Model):
    schema_version: str = SCHEMA_VERSION
    wikigym_version: str
    episode_id: str
    parent: dict[str, Any] | None = Field(None, description="{episode_id, step} when forked from another episode.")
    repo: RepoRef
    task: TaskSpec
    policy: PolicySpec
    mode: Literal["direct", "sdk"] = "direct"
    profile: str = "semanticwiki-1.2.1"
    system_prompt: str = ""
    prompt_sha256: str = ""
    prompt_source: str = Field("wikigym", description="wikigym | a SemanticWiki checkout path (--prompts-from).")
    tools: list[dict[str, Any]] = Field(default_factory=list, description="Tool schemas offered to the model.")
    steps: list[Step] = Field(default_factory=list)
    stop_reason: StopReason = "end_turn"
    errors: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    started_at: str = ""
    duration_s: float = 0.0
    wiki: dict[str, str] = Field(default_factory=dict, description="Final wiki files: relative path -> content.")
    score: dict[str, Any] | None = Field(None, description="Verifier output, when scored.")
    config: dict[str, Any] = Field(default_factory=dict, description="The run config that re-creates the episode.")
