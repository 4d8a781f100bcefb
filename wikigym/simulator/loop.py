"""SemanticWiki's direct tool loop (`generateWikiDirectApi`), turn by turn, around any `Policy`.

The rules reproduced (spec §2.2):
- the conversation starts with one user message (the task prompt); every turn sends the whole history, the system
  prompt and the tool schemas to the policy;
- the assistant message is rebuilt as an optional text block followed by one `tool_use` block per call; the tools run
  in order and all their results go back in one user message of `tool_result` blocks;
- the loop stops on `end_turn` with no tool calls, or after `max_turns` turns (stop reason `max_turns`); `max_tokens`
  does not stop it (the cut-off turn stays in the history and the next turn continues from it);
- pruning: the input tokens of every main-loop turn are summed; at >= 150k a warning is noted once; from >= 180k on,
  before every later turn, a history of more than 21 messages is cut to the first message plus the last 20
  (the counter never resets, so it prunes on every later turn);
- verification: after the main loop, up to 5 passes; each runs SemanticWiki's completeness check and, when pages are
  missing, starts a fresh conversation whose one prompt lists the missing targets as written, for at most
  min(50, max_turns - turns used) turns (no pruning, no token counting there).

Deliberate differences, all recorded in the trajectory: a policy turn with stop reason `error` is recorded and the
loop goes on as SemanticWiki does, but after `max_consecutive_errors` such turns in a row the episode stops with
`error` (SemanticWiki spins to max_turns); a tool call whose arguments did not parse gets an error result naming the
problem (native tool APIs always produce a result for every call); a policy exception (API failure after retries)
ends the episode with `error` and keeps what was recorded. A `ConfigError` from the policy (a rejected API key, an
unknown model) is not an episode outcome but a misconfiguration: it propagates to the caller.

Single-turn tasks (planner, page, index) are one policy turn without tools; a page answer of 200 characters or less
is retried once at temperature 0.1, as SemanticWiki's local mode does.

What it deliberately does not do: retry API calls (policies do that), write the trajectory (see `record.py`), or
touch the filesystem except through the sandbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wikigym.errors import ConfigError, WikigymError
from wikigym.simulator.policy import AssistantTurn, Policy
from wikigym.simulator.prompts import PromptSet, tool_name_values
from wikigym.simulator.sandbox import Sandbox
from wikigym.simulator.tasks import PAGE_MIN_CHARS, PAGE_RETRY_TEMPERATURE, Task
from wikigym.trajectories.schema import Step, ToolOutput, Usage


class LoopConfig(BaseModel):
    """The loop's limits; defaults are SemanticWiki 1.2.1's."""

    model_config = ConfigDict(extra="forbid")

    max_turns: int = Field(200, ge=1, description="Turns before the loop gives up (SemanticWiki --max-turns).")
    warn_at_tokens: int = Field(150_000, ge=0, description="Cumulative input tokens that trigger the usage warning.")
    prune_at_tokens: int = Field(180_000, ge=0, description="Cumulative input tokens from which history is pruned.")
    keep_messages: int = Field(20, ge=1, description="Messages kept after the first when pruning.")
    verify: bool = Field(True, description="Run SemanticWiki's verification passes after the main loop.")
    verification_passes: int = Field(5, ge=0, description="Maximum verification passes.")
    max_verification_turns: int = Field(50, ge=0, description="Turn cap of one verification pass.")
    max_consecutive_errors: int = Field(3, ge=1, description="Policy error turns in a row that end the episode.")
    count_cached_input: bool = Field(False, description="Count cache-read/-write tokens towards pruning (set when the "
                                                        "conversation itself is cached, so input_tokens is small).")


@dataclass
class LoopResult:
    """What one episode produced, before it is packed into an `Episode` record."""

    steps: list[Step] = field(default_factory=list)
    stop_reason: str = "end_turn"
    errors: list[str] = field(default_factory=list)
    turns: int = 0
    tool_calls: int = 0
    cumulative_input_tokens: int = 0
    verification_passes: int = 0
    final_missing: list[str] = field(default_factory=list)

    @property
    def usage(self) -> Usage:
        u = Usage()
        for s in self.steps:
            u.input_tokens += s.usage.input_tokens
            u.output_tokens += s.usage.output_tokens
            u.cache_read_tokens += s.usage.cache_read_tokens
            u.cache_write_tokens += s.usage.cache_write_tokens
            u.cost_usd += s.usage.cost_usd
        return u


class StopEpisode(Exception):
    """Raised inside the loop to end an episode with a given stop reason."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason
        self.message = message


class AgentLoop:
    """Run one task with one policy in one sandbox.

    Args:
        policy: anything implementing `Policy.act(messages, tools, system) -> AssistantTurn`.
        sandbox: the episode's tools and wiki directory.
        prompts: the prompt set (for the verification passes' prompt).
        config: loop limits.
        on_step: called with each finished `Step` (progress bars, cost tracking).
        should_stop: polled before every turn; return a stop reason (e.g. "max_cost") to end the episode cleanly.

    Example:
        >>> result = AgentLoop(policy, sandbox, prompts).run(task)  # doctest: +SKIP
        >>> result.stop_reason, len(result.steps)  # doctest: +SKIP
    """

    def __init__(self, policy: Policy, sandbox: Sandbox, prompts: PromptSet, config: LoopConfig | None = None,
                 on_step: Callable[[Step], None] | None = None,
                 should_stop: Callable[[], str | None] | None = None):
        self.policy = policy
        self.sandbox = sandbox
        self.prompts = prompts
        self.config = config or LoopConfig()
        self.on_step = on_step
        self.should_stop = should_stop
        self._consecutive_errors = 0

    # -- public ---------------------------------------------------------------------------------------------------

    def run(self, task: Task) -> LoopResult:
        """Run `task` to its end and return the steps and stop reason.

        Policy failures end the episode with `error`; only a `ConfigError` (misconfiguration) propagates."""
        result = LoopResult()
        if task.seed_wiki:
            self.sandbox.seed_wiki(task.seed_wiki)
        try:
            if task.single_turn:
                self._single_turn(task, result)
            else:
                self._main_loop(task, result)
                if self.config.verify:
                    self._verification(task, result)
        except StopEpisode as stop:
            result.stop_reason = stop.reason
            if stop.message:
                result.errors.append(stop.message)
        return result

    # -- one turn -------------------------------------------------------------------------------------------------

    def _check_stop(self) -> None:
        if self.should_stop is not None:
            reason = self.should_stop()
            if reason:
                raise StopEpisode(reason)

    def _act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> tuple[AssistantTurn,
                                                                                                        float]:
        t0 = time.perf_counter()
        try:
            turn = self.policy.act(messages, tools, system)
        except ConfigError:
            # A rejected key or an unknown model fails every turn of every episode the same way: it is the user's to
            # fix, so it leaves the loop (one error line from the CLI) instead of becoming an "error" episode.
            raise
        except WikigymError as e:
            raise StopEpisode("error", f"policy {self.policy.spec.kind}: {e}") from None
        except Exception as e:  # an API failure after the policy's retries: end the episode, keep what we have
            raise StopEpisode("error", f"policy {self.policy.spec.kind} failed: {type(e).__name__}: {e}") from None
        return turn, time.perf_counter() - t0

    def _turn(self, index: int, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str,
              result: LoopResult, events: list[str], pruned: int = 0, reset_prompt: str | None = None,
              run_tools: bool = True) -> tuple[AssistantTurn, bool]:
        """One assistant turn plus its tool calls; appends to `messages`. Returns (turn, had_tool_calls).

        With `run_tools=False` (single-turn tasks, no tools offered) calls are recorded but not run, as SemanticWiki's
        local providers drop calls to tools they were not given."""
        t0 = time.perf_counter()
        turn, policy_s = self._act(messages, tools, system)
        content: list[dict[str, Any]] = []
        if turn.text:
            content.append({"type": "text", "text": turn.text})
        outputs: list[ToolOutput] = []
        results: list[dict[str, Any]] = []
        if turn.tool_calls and not run_tools:
            events.append(f"{len(turn.tool_calls)} tool calls ignored: no tools were offered")
        for call in turn.tool_calls if run_tools else []:
            args = call.arguments if call.arguments is not None else {}
            content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": args})
            t1 = time.perf_counter()
            if call.arguments is None:
                text, is_error = (f"Error: the arguments of {call.name} are not valid JSON: "
                                  f"{(call.raw_arguments or '')[:200]}"), True
            else:
                res = self.sandbox.call(call.name, call.arguments)
                text, is_error = res.text, res.is_error
            outputs.append(ToolOutput(tool_use_id=call.id, name=call.name, output=text, is_error=is_error,
                                      duration_s=round(time.perf_counter() - t1, 6)))
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.id, "content": text}
            if is_error:
                block["is_error"] = True
            results.append(block)
        messages.append({"role": "assistant", "content": content})
        if results:
            messages.append({"role": "user", "content": results})
        if turn.stop_reason == "max_tokens":
            events.append("max_tokens: the turn was cut off; continuing")
        if turn.stop_reason == "error":
            self._consecutive_errors += 1
            events.append(f"policy error: {turn.error or 'unknown'}")
        else:
            self._consecutive_errors = 0
        step = Step(index=index, reasoning=turn.reasoning, text=turn.text, tool_calls=list(turn.tool_calls),
                    tool_results=outputs, stop_reason=turn.stop_reason, usage=turn.usage,
                    duration_s=round(time.perf_counter() - t0, 6), raw_completion=turn.raw_completion,
                    conversation_reset=reset_prompt is not None, user_message=reset_prompt,
                    policy_duration_s=round(policy_s, 6), pruned_messages=pruned, events=events)
        result.steps.append(step)
        result.turns += 1
        result.tool_calls += len(turn.tool_calls)
        if turn.error and turn.stop_reason == "error":
            result.errors.append(f"turn {index}: {turn.error}")
        if self.on_step is not None:
            self.on_step(step)
        if self._consecutive_errors >= self.config.max_consecutive_errors:
            raise StopEpisode("error", f"{self._consecutive_errors} policy error turns in a row; stopping the episode")
        return turn, bool(turn.tool_calls)

    # -- the main loop --------------------------------------------------------------------------------------------

    def _input_tokens(self, usage: Usage) -> int:
        n = usage.input_tokens
        if self.config.count_cached_input:
            n += usage.cache_read_tokens + usage.cache_write_tokens
        return n

    def _main_loop(self, task: Task, result: LoopResult) -> None:
        cfg = self.config
        tools = self.sandbox.schemas()
        messages: list[dict[str, Any]] = [{"role": "user", "content": task.prompt}]
        warned = False
        done = False
        while not done and result.turns < cfg.max_turns:
            self._check_stop()
            events: list[str] = []
            pruned = 0
            if result.cumulative_input_tokens >= cfg.prune_at_tokens and len(messages) > cfg.keep_messages + 1:
                pruned = len(messages) - (cfg.keep_messages + 1)
                messages[:] = [messages[0]] + messages[-cfg.keep_messages:]
                events.append(f"pruned {pruned} messages (cumulative input {result.cumulative_input_tokens} tokens)")
            turn, had_calls = self._turn(result.turns, messages, tools, task.system, result, events, pruned)
            result.cumulative_input_tokens += self._input_tokens(turn.usage)
            if result.cumulative_input_tokens > cfg.warn_at_tokens and not warned:
                warned = True
                result.steps[-1].events.append(
                    f"high token usage: {result.cumulative_input_tokens} cumulative input tokens")
            if turn.stop_reason == "end_turn" and not had_calls:
                done = True
        result.stop_reason = "end_turn" if done else "max_turns"
        if not done:
            result.errors.append(f"Reached maximum turns ({cfg.max_turns})")

    # -- verification passes --------------------------------------------------------------------------------------

    def _verification(self, task: Task, result: LoopResult) -> None:
        cfg = self.config
        tools = self.sandbox.schemas()
        for _ in range(cfg.verification_passes):
            broken = self.sandbox.broken_links()
            if not broken:
                result.final_missing = []
                return
            missing: list[str] = []
            for link in broken:
                if link["target"] not in missing:
                    missing.append(link["target"])
            result.verification_passes += 1
            values: dict[str, Any] = dict(tool_name_values(self.sandbox.mode))
            values.update(missing_list="\n".join(f"- {p}" for p in missing), missing_count=len(missing))
            prompt = self.prompts.render("verify_continue", values)
            messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
            limit = min(cfg.max_verification_turns, cfg.max_turns - result.turns)
            turns = 0
            first = True
            while turns < limit:
                self._check_stop()
                turns += 1
                turn, had_calls = self._turn(result.turns, messages, tools, task.system, result, [],
                                             reset_prompt=prompt if first else None)
                first = False
                if turn.stop_reason == "end_turn" and not had_calls:
                    break
        result.final_missing = [link["target"] for link in self.sandbox.broken_links()]

    # -- single-turn tasks ----------------------------------------------------------------------------------------

    def _single_turn(self, task: Task, result: LoopResult) -> None:
        self._check_stop()
        messages: list[dict[str, Any]] = [{"role": "user", "content": task.prompt}]
        turn, _ = self._turn(0, messages, [], task.system, result, [], run_tools=False)
        text = turn.text
        if task.spec.kind == "page" and len(text) <= PAGE_MIN_CHARS and hasattr(self.policy, "spec"):
            # SemanticWiki retries a short page once at a lower temperature.
            spec = self.policy.spec
            self.policy.spec = spec.model_copy(update={"temperature": PAGE_RETRY_TEMPERATURE})
            try:
                self._check_stop()
                turn, _ = self._turn(1, [{"role": "user", "content": task.prompt}], [], task.system, result,
                                     [f"page shorter than {PAGE_MIN_CHARS + 1} characters: retry at temperature "
                                      f"{PAGE_RETRY_TEMPERATURE}"], run_tools=False)
            finally:
                self.policy.spec = spec
            text = turn.text
            if len(text) <= PAGE_MIN_CHARS:
                result.errors.append(f"page {task.output_page} still too short after a retry; not written")
                text = ""
        if task.output_page and text:
            self.sandbox.write_output(task.output_page, text)
        result.stop_reason = "error" if turn.stop_reason == "error" else "end_turn"
