"""Any OpenAI-compatible chat endpoint with tools as a policy (vLLM, Ollama, llama.cpp server, SGLang...).

For students served elsewhere: `act` converts the loop's Anthropic-shaped conversation to chat-completions messages
(system message; assistant text plus `tool_calls`; one `tool` message per tool result), offers the tools as
`{"type": "function", ...}`, and converts the reply back: `content` -> text, `reasoning_content`/`reasoning` ->
reasoning, `tool_calls` -> calls, `finish_reason` stop/tool_calls/length -> end_turn/tool_use/max_tokens.

Malformed model output is kept, not dropped: arguments that are not a JSON object become a call with
`arguments=None`, the raw text in `raw_arguments` and `valid=False` (the loop answers it with an error result); a
call to a tool that was not offered is marked `valid=False` and dispatched anyway (the sandbox answers
`Error: Unknown tool: <name>` as SemanticWiki does); a missing call id gets one made up.

Uses the `openai` SDK (the `openai` extra) with retries on 429/5xx and a run-wide request limit. The API key comes
from `api_key`, else $OPENAI_API_KEY, else a placeholder (local servers ignore it).

What it deliberately does not do: parse SemanticWiki's one-line `{"tool": ..., "args": ...}` text protocol (that is
the llama.cpp-in-process provider's, not an endpoint's).
"""

from __future__ import annotations

import json
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

log = logging.getLogger("wikigym.policies.openai")

_FINISH = {"stop": "end_turn", "tool_calls": "tool_use", "function_call": "tool_use", "length": "max_tokens",
           "content_filter": "end_turn", None: "end_turn"}


def to_openai_messages(messages: list[dict[str, Any]], system: str) -> list[dict[str, Any]]:
    """Anthropic-shaped conversation -> chat-completions messages."""
    out: list[dict[str, Any]] = []
    if system:
        out.append({"role": "system", "content": system})
    for m in messages:
        content = m["content"]
        if isinstance(content, str):
            out.append({"role": m["role"], "content": content})
            continue
        if m["role"] == "assistant":
            text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
            calls = [{"id": b["id"], "type": "function",
                      "function": {"name": b["name"], "arguments": json.dumps(b.get("input", {}), ensure_ascii=False)}}
                     for b in content if b.get("type") == "tool_use"]
            msg: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                msg["tool_calls"] = calls
            out.append(msg)
            continue
        texts = []
        for b in content:
            if b.get("type") == "tool_result":
                c = b.get("content", "")
                if isinstance(c, list):
                    c = "".join(x.get("text", "") for x in c if isinstance(x, dict))
                out.append({"role": "tool", "tool_call_id": b["tool_use_id"], "content": c})
            elif b.get("type") == "text":
                texts.append(b["text"])
        if texts:
            out.append({"role": "user", "content": "".join(texts)})
    return out


def to_openai_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic tool schemas -> chat-completions function tools."""
    return [{"type": "function", "function": {"name": t["name"], "description": t.get("description", ""),
                                              "parameters": t["input_schema"]}} for t in tools]


def parse_openai_choice(choice: dict[str, Any], offered: set[str], id_prefix: str = "call") -> AssistantTurn:
    """One chat-completions choice (as a dict) -> AssistantTurn, keeping malformed calls (see module doc)."""
    msg = choice.get("message") or {}
    calls: list[ToolCall] = []
    for i, tc in enumerate(msg.get("tool_calls") or []):
        fn = tc.get("function") or {}
        name = fn.get("name") or ""
        raw = fn.get("arguments")
        args: dict[str, Any] | None
        if isinstance(raw, dict):  # some servers (Ollama) send an object
            args, raw_text = raw, None
        else:
            raw_text = raw if isinstance(raw, str) else json.dumps(raw)
            try:
                parsed = json.loads(raw_text) if raw_text.strip() else {}
            except (json.JSONDecodeError, AttributeError):
                parsed = None
            args = parsed if isinstance(parsed, dict) else None
            if args is not None:
                raw_text = None
        valid = args is not None and name in offered
        calls.append(ToolCall(id=tc.get("id") or f"{id_prefix}_{i}", name=name, arguments=args,
                              raw_arguments=raw_text, valid=valid))
    reasoning = msg.get("reasoning_content") or msg.get("reasoning") or ""
    finish = choice.get("finish_reason")
    stop = _FINISH.get(finish, "end_turn")
    if calls and stop == "end_turn" and finish != "length":
        stop = "tool_use"  # servers that report "stop" with tool calls
    return AssistantTurn(text=msg.get("content") or "", reasoning=reasoning if isinstance(reasoning, str) else "",
                         tool_calls=calls, stop_reason=stop)


class OpenAICompatPolicy:
    """A model behind an OpenAI-compatible `/v1/chat/completions` endpoint.

    Args:
        spec: model (required), temperature, top_p, max_tokens (default 8192), seed, reasoning_effort; `extra` may
            hold `price` ([input, output] USD per MTok).
        base_url: the endpoint, e.g. http://localhost:8000/v1 (vLLM) or http://localhost:11434/v1 (Ollama); defaults
            to $OPENAI_BASE_URL.
        api_key: defaults to $OPENAI_API_KEY, else a placeholder.
    """

    def __init__(self, spec: PolicySpec, base_url: str | None = None, api_key: str | None = None,
                 limiter: RequestLimiter | None = None, cost_meter: CostMeter | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 600.0, client: Any = None):
        try:
            import openai
        except ImportError:
            raise WikigymError("the openai policy needs the openai SDK; install it with "
                               "pip install 'wikigym[openai]'") from None
        self._sdk = openai
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        if client is None and not base_url:
            raise ConfigError("the openai policy needs the endpoint's URL; pass --base-url "
                              "(e.g. http://localhost:8000/v1 for vLLM)")
        if not spec.model:
            raise ConfigError("the openai policy needs the served model's name; pass --model")
        if spec.max_tokens is None:
            spec = spec.model_copy(update={"max_tokens": 8192})
        self.spec = spec
        key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
        register_secret(key)
        override = spec.extra.get("price")
        self.price = price_for(None, tuple(override) if override else None)
        self.limiter = limiter or RequestLimiter(4)
        self.cost_meter = cost_meter
        self.retry = retry or RetryPolicy()
        self.client = client or openai.OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=timeout)
        self.retries = 0

    def _classify(self, exc: BaseException) -> tuple[bool, float | None]:
        return classify_sdk_error(
            self._sdk, exc, "the endpoint rejected the API key ({status}); check OPENAI_API_KEY",
            f"the endpoint has no model {self.spec.model!r} or no chat-completions route (404); check --model and "
            f"--base-url")

    def _on_retry(self, attempt: int, exc: BaseException, delay: float) -> None:
        self.retries += 1
        log.warning("chat request failed (%s); retry %d in %.1fs", getattr(exc, "status_code", None)
                    or type(exc).__name__, attempt, delay)

    def request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> dict[str, Any]:
        spec = self.spec
        req: dict[str, Any] = {"model": spec.model, "messages": to_openai_messages(messages, system),
                               "max_tokens": spec.max_tokens}
        if tools:
            req["tools"] = to_openai_tools(tools)
        for key in ("temperature", "top_p", "seed", "reasoning_effort"):
            value = getattr(spec, key)
            if value is not None:
                req[key] = value
        return req

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        req = self.request(messages, tools, system)

        def call() -> Any:
            with self.limiter:
                return self.client.chat.completions.create(**req)

        resp = retry_call(call, self._classify, self.retry, self._on_retry)
        data = resp.model_dump() if hasattr(resp, "model_dump") else dict(resp)
        return finish_turn(data, {t["name"] for t in tools}, self.price, self.cost_meter)


def finish_turn(data: dict[str, Any], offered: set[str], price: Any = None,
                cost_meter: CostMeter | None = None) -> AssistantTurn:
    """A chat-completions response dict -> AssistantTurn with usage and cost (shared with the llama.cpp policy)."""
    choices = data.get("choices") or []
    if not choices:
        return AssistantTurn(stop_reason="error", error="the endpoint returned no choices",
                             raw_completion=json.dumps(data)[:2000])
    turn = parse_openai_choice(choices[0], offered)
    u = data.get("usage") or {}
    turn.usage = Usage(input_tokens=int(u.get("prompt_tokens") or 0), output_tokens=int(u.get("completion_tokens") or 0))
    turn.usage.cost_usd = cost_usd(price, turn.usage.input_tokens, turn.usage.output_tokens)
    if cost_meter is not None:
        cost_meter.add(turn.usage.cost_usd, turn.usage.input_tokens, turn.usage.output_tokens)
    if any(not c.valid for c in turn.tool_calls):
        turn.raw_completion = json.dumps(choices[0].get("message") or {}, ensure_ascii=False)
    return turn
