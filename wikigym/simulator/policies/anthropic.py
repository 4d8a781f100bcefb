"""Claude as a policy, through the official `anthropic` SDK with native tool use (the `anthropic` extra).

One `act` is one Messages API call, shaped like SemanticWiki's AnthropicProvider: the system prompt as one text
block with `cache_control: ephemeral` (prompt caching), the tools as given, the conversation in Anthropic's content-
block shape. wikigym adds what a recorder needs: retries with backoff on 429 / 5xx / 529 overloaded / dropped
connections (honouring `retry-after`), a run-wide limit on concurrent requests, token and dollar accounting per turn
(cache reads and writes included), and optional caching of the conversation prefix (`cache_conversation`).

SemanticWiki passes a temperature to its provider but its AnthropicProvider never sends it (the API default applies);
wikigym sends `spec.temperature` when set (pass `--temperature none` to reproduce SemanticWiki exactly).

Configuration errors are one line: a missing `ANTHROPIC_API_KEY`, the SDK not installed (`pip install
'wikigym[anthropic]'`), a rejected key (401/403), an unknown model (404).

What it deliberately does not do: stream, or use extended thinking unless `spec.extra["thinking_budget"]` is set.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from wikigym.errors import ConfigError, WikigymError
from wikigym.simulator.policies.common import (
    CostMeter,
    RequestLimiter,
    RetryPolicy,
    classify_sdk_error,
    cost_usd,
    price_for,
    retry_call,
)
from wikigym.simulator.policy import AssistantTurn
from wikigym.trajectories.schema import PolicySpec, ToolCall, Usage
from wikigym.trajectories.secrets import register_secret

log = logging.getLogger("wikigym.policies.anthropic")

DEFAULT_MODEL = "claude-sonnet-4-20250514"
_STOP = {"end_turn": "end_turn", "tool_use": "tool_use", "max_tokens": "max_tokens", "stop_sequence": "end_turn",
         "pause_turn": "end_turn", "refusal": "end_turn", "model_context_window_exceeded": "max_tokens"}


def _import_sdk() -> Any:
    try:
        import anthropic
    except ImportError:
        raise WikigymError("the anthropic policy needs the anthropic SDK; install it with "
                           "pip install 'wikigym[anthropic]'") from None
    return anthropic


def _clean_messages(messages: list[dict[str, Any]], cache_last: bool) -> list[dict[str, Any]]:
    """The conversation as the API accepts it: empty assistant turns dropped (SemanticWiki keeps them, the API
    rejects them) and, with `cache_last`, a cache breakpoint on the last block."""
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, list) and not content:
            continue
        out.append({"role": m["role"], "content": content})
    if cache_last and out:
        last = out[-1]
        blocks = ([{"type": "text", "text": last["content"]}] if isinstance(last["content"], str)
                  else [dict(b) for b in last["content"]])
        blocks[-1]["cache_control"] = {"type": "ephemeral"}
        out[-1] = {"role": last["role"], "content": blocks}
    return out


_UNPRICED_WARNED: set[str | None] = set()


class AnthropicPolicy:
    """Claude through the Messages API.

    Args:
        spec: model, temperature, max_tokens (default 8192), top_p; `extra` may hold `cache_conversation` (bool),
            `thinking_budget` (int) and `price` ([input, output] USD per MTok for a model missing from the table).
        api_key: defaults to $ANTHROPIC_API_KEY.
        base_url: defaults to $ANTHROPIC_BASE_URL or the SDK's default (tests point it at a local server).
        limiter: run-wide concurrent-request cap; cost_meter: run-wide cost total.
        retry: retry policy; timeout: seconds per request.

    Example:
        >>> p = AnthropicPolicy(PolicySpec(kind="anthropic", model="claude-sonnet-4-20250514"))  # doctest: +SKIP
        >>> p.act([{"role": "user", "content": "hi"}], [], "You are terse.").text  # doctest: +SKIP
    """

    def __init__(self, spec: PolicySpec, api_key: str | None = None, base_url: str | None = None,
                 limiter: RequestLimiter | None = None, cost_meter: CostMeter | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 600.0, client: Any = None):
        sdk = _import_sdk()
        self._sdk = sdk
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if client is None and not key:
            raise ConfigError("ANTHROPIC_API_KEY is not set; export your Anthropic API key (or pass --api-key) to "
                              "record with --teacher anthropic")
        register_secret(key)
        if spec.model is None:
            spec = spec.model_copy(update={"model": DEFAULT_MODEL})
        if spec.max_tokens is None:
            spec = spec.model_copy(update={"max_tokens": 8192})
        self.spec = spec
        override = spec.extra.get("price")
        self.price = price_for(spec.model, tuple(override) if override else None)
        if self.price is None and spec.model not in _UNPRICED_WARNED:
            # One policy is built per episode; the warning is about the model, so it is said once per process.
            _UNPRICED_WARNED.add(spec.model)
            log.warning("no price known for model %s: its cost is counted as $0 (pass --price IN,OUT)", spec.model)
        self.limiter = limiter or RequestLimiter(4)
        self.cost_meter = cost_meter
        self.retry = retry or RetryPolicy()
        self.client = client or sdk.Anthropic(api_key=key, base_url=base_url or os.environ.get("ANTHROPIC_BASE_URL"),
                                              max_retries=0, timeout=timeout)
        self.retries = 0

    def _classify(self, exc: BaseException) -> tuple[bool, float | None]:
        return classify_sdk_error(self._sdk, exc, "Anthropic rejected the API key ({status}); check ANTHROPIC_API_KEY",
                                  f"Anthropic does not know model {self.spec.model!r} (404); pass another --model")

    def _on_retry(self, attempt: int, exc: BaseException, delay: float) -> None:
        self.retries += 1
        status = getattr(exc, "status_code", None)
        log.warning("anthropic request failed (%s); retry %d in %.1fs", status or type(exc).__name__, attempt, delay)

    def request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> dict[str, Any]:
        """The Messages API request body `act` sends."""
        spec = self.spec
        req: dict[str, Any] = {"model": spec.model, "max_tokens": spec.max_tokens,
                               "messages": _clean_messages(messages, bool(spec.extra.get("cache_conversation")))}
        if system:
            req["system"] = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
        if tools:
            req["tools"] = [{"name": t["name"], "description": t.get("description", ""),
                             "input_schema": t["input_schema"]} for t in tools]
        body: dict[str, Any] = {}
        if spec.temperature is not None:
            body["temperature"] = spec.temperature
        if spec.top_p is not None:
            body["top_p"] = spec.top_p
        if spec.extra.get("thinking_budget"):
            body["thinking"] = {"type": "enabled", "budget_tokens": int(spec.extra["thinking_budget"])}
        if body:
            req["extra_body"] = body
        return req

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        req = self.request(messages, tools, system)

        def call() -> Any:
            with self.limiter:
                return self.client.messages.create(**req)

        resp = retry_call(call, self._classify, self.retry, self._on_retry)
        return self._parse(resp)

    def _parse(self, resp: Any) -> AssistantTurn:
        text_parts: list[str] = []
        reasoning: list[str] = []
        calls: list[ToolCall] = []
        for block in resp.content:
            kind = getattr(block, "type", None)
            if kind == "text":
                text_parts.append(block.text)
            elif kind == "thinking":
                reasoning.append(getattr(block, "thinking", "") or "")
            elif kind == "tool_use":
                args = block.input
                valid = isinstance(args, dict)
                calls.append(ToolCall(id=block.id, name=block.name, arguments=args if valid else None,
                                      raw_arguments=None if valid else repr(args), valid=valid))
        u = resp.usage
        cache_read = int(getattr(u, "cache_read_input_tokens", 0) or 0)
        cache_write = int(getattr(u, "cache_creation_input_tokens", 0) or 0)
        usage = Usage(input_tokens=int(u.input_tokens or 0), output_tokens=int(u.output_tokens or 0),
                      cache_read_tokens=cache_read, cache_write_tokens=cache_write)
        usage.cost_usd = cost_usd(self.price, usage.input_tokens, usage.output_tokens, cache_read, cache_write)
        if self.cost_meter is not None:
            self.cost_meter.add(usage.cost_usd, usage.input_tokens + cache_read + cache_write, usage.output_tokens)
        stop = _STOP.get(resp.stop_reason or "end_turn", "end_turn")
        return AssistantTurn(text="".join(text_parts), reasoning="\n".join(reasoning), tool_calls=calls,
                             stop_reason=stop, usage=usage)
