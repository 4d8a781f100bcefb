"""The `harmony` student policy: gpt-oss (or a LoRA of it) generating in Harmony through transformers.

`act(messages, tools, system)` renders the loop's Anthropic-shaped conversation with
`wikigym.trajectories.harmony.render_prompt` (the same rendering the trainer used: tools in the developer message,
reasoning effort in the system message, earlier analysis kept inside a tool-calling chain), generates until
`<|call|>`/`<|return|>`, and parses the completion back into reasoning / text / tool calls. Malformed output becomes
an invalid `ToolCall` (`valid=False`, `raw_arguments` set); the loop answers it with an error.

Batching: `act_batch([(messages, tools, system), ...])` generates several episodes' turns in one left-padded
`generate`. Episodes run in threads (one `AgentLoop` each) and share one `TurnBatcher`: each `act` waits until every
live episode has asked (or `max_wait_s` passed) and the batch is generated together.

Models are loaded once per process: `register_runtime(name, model, tokenizer)` installs a loaded model under the
name that `PolicySpec.model` refers to (rollouts do that); otherwise the policy loads `spec.model` itself
(`spec.extra["adapter"]` optional). The policy remembers the reasoning it produced per turn (and the raw text of
malformed calls), because the loop sends assistant turns back without them and gpt-oss expects its chain's analysis
in context: the prompt is then token for token what training rendered from the recorded steps.

What it does not do: run tools, or serve a model over HTTP (use the `openai` policy with vLLM for large runs).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wikigym.simulator.policy import AssistantTurn
from wikigym.trajectories.harmony import (
    RAW_PREFIX,
    RenderOptions,
    decode,
    parse_completion,
    render_prompt,
    stop_token_ids,
    turn_key,
)
from wikigym.trajectories.schema import PolicySpec, Usage

Request = tuple[list[dict[str, Any]], list[dict[str, Any]], str]


@dataclass
class Runtime:
    """A loaded model shared by every policy of one name in this process."""

    model: Any
    tokenizer: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    batcher: "TurnBatcher | None" = None


_RUNTIMES: dict[str, Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def register_runtime(name: str, model: Any, tokenizer: Any, batcher: "TurnBatcher | None" = None) -> Runtime:
    """Make `model` the one every `harmony` policy with `spec.model == name` uses in this process."""
    rt = Runtime(model, tokenizer, batcher=batcher)
    with _RUNTIMES_LOCK:
        _RUNTIMES[name] = rt
    return rt


def unregister_runtime(name: str) -> None:
    with _RUNTIMES_LOCK:
        _RUNTIMES.pop(name, None)


def _runtime(spec: PolicySpec) -> Runtime:
    name = spec.model or "openai/gpt-oss-20b"
    with _RUNTIMES_LOCK:
        if name in _RUNTIMES:
            return _RUNTIMES[name]
    import torch

    from wikigym.trainer.config import ModelConfig
    from wikigym.trainer.model import load_for_inference

    adapter = spec.extra.get("adapter")
    dtype = "bfloat16" if torch.cuda.is_available() else "float32"
    model, tok = load_for_inference(ModelConfig(name=name, dtype=dtype),  # type: ignore[arg-type]
                                    Path(adapter) if adapter else None,
                                    device="cuda" if torch.cuda.is_available() else None)
    return register_runtime(name, model, tok)


class TurnBatcher:
    """Gathers `act` calls from episode threads and answers them with one batched generation.

    A batch runs when every live episode is waiting, when `batch_size` requests are pending, or after `max_wait_s`.
    """

    def __init__(self, policy: "HarmonyPolicy", batch_size: int = 8, max_wait_s: float = 5.0):
        self.policy = policy
        self.batch_size = batch_size
        self.max_wait_s = max_wait_s
        self._cv = threading.Condition()
        self._pending: list[tuple[Request, dict[str, Any]]] = []
        self._live = 0
        self._running = False

    def episode_started(self) -> None:
        with self._cv:
            self._live += 1

    def episode_finished(self) -> None:
        with self._cv:
            self._live -= 1
            self._cv.notify_all()

    def submit(self, request: Request) -> AssistantTurn:
        slot: dict[str, Any] = {}
        with self._cv:
            self._pending.append((request, slot))
            self._cv.notify_all()
            waited = 0.0
            while "turn" not in slot:
                ready = len(self._pending) >= max(1, min(self.batch_size, self._live)) or waited >= self.max_wait_s
                if ready and self._pending and not self._running:
                    batch, self._pending = self._pending[:self.batch_size], self._pending[self.batch_size:]
                    self._running = True
                    self._cv.release()
                    failure: Exception | None = None
                    try:
                        turns = self.policy.act_batch([r for r, _ in batch])
                    except Exception as e:  # every waiting episode gets the failure, not a hang
                        failure, turns = e, [None] * len(batch)
                    finally:
                        self._cv.acquire()
                        self._running = False
                    for (_, s), t in zip(batch, turns):
                        s["turn"], s["error"] = t, failure
                    self._cv.notify_all()
                    continue
                self._cv.wait(timeout=0.05)
                waited += 0.05
        if slot["error"] is not None:
            # Raised in each episode, as an unbatched or engine generation raises: the loop ends the episode as a
            # policy failure (unscored, retried by a rollout rerun), never as an answer the student gave.
            raise RuntimeError(f"generation failed: {slot['error']}") from slot["error"]
        return slot["turn"]


class HarmonyPolicy:
    """gpt-oss through transformers + Harmony (see the module docstring).

    Args:
        spec: `PolicySpec(kind="harmony", model=..., temperature, top_p, max_tokens, seed, reasoning_effort)`.
        model, tokenizer: an already loaded model (else the process runtime of `spec.model`).
        batcher: share generations with other episodes (None: generate alone).
    """

    def __init__(self, spec: PolicySpec, model: Any = None, tokenizer: Any = None,
                 batcher: TurnBatcher | None = None, render: RenderOptions | None = None):
        self.spec = spec
        if model is None:
            rt = _runtime(spec)
            model, tokenizer, batcher = rt.model, rt.tokenizer, batcher or rt.batcher
        self.model, self.tokenizer, self.batcher = model, tokenizer, batcher
        self.render = render or RenderOptions(reasoning_effort=(spec.reasoning_effort or "low"))  # type: ignore[arg-type]
        self._reasoning: dict[str, str] = {}
        self._ids = itertools.count()
        self._prefix = f"call_{spec.seed or 0}_{id(self) % 100000}"

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        if self.batcher is not None:
            turn = self.batcher.submit((messages, tools, system))
            # The batch ran on the batcher's policy: copy this turn's reasoning into our memory too.
            self._remember(turn)
            return turn
        return self.act_batch([(messages, tools, system)])[0]

    def act_batch(self, requests: list[Request]) -> list[AssistantTurn]:
        """One turn for each (messages, tools, system), generated together."""
        import torch

        prompts = [render_prompt(m, t, s, self.render, self._reasoning) for m, t, s in requests]
        pad = self.tokenizer.pad_token_id
        temperature = self.spec.temperature if self.spec.temperature is not None else 1.0
        engine = getattr(self.model, "wikigym_engine", None)
        if engine is not None:  # wikigym.trainer.fast.decode: static cache, CUDA graphs, continuous batching
            completions = engine.generate(prompts, self.spec.max_tokens or 1024, temperature=temperature,
                                          top_p=self.spec.top_p or 1.0, stop_ids=stop_token_ids(),
                                          seed=self.spec.seed)
        else:
            width = max(len(p) for p in prompts)
            device = next(self.model.parameters()).device
            ids = torch.full((len(prompts), width), pad, dtype=torch.long)
            mask = torch.zeros((len(prompts), width), dtype=torch.long)
            for i, p in enumerate(prompts):  # left padding: every prompt ends at the last column
                ids[i, width - len(p):] = torch.tensor(p)
                mask[i, width - len(p):] = 1
            gen_kwargs: dict[str, Any] = dict(max_new_tokens=self.spec.max_tokens or 1024,
                                              eos_token_id=stop_token_ids(), pad_token_id=pad,
                                              do_sample=temperature > 0)
            if temperature > 0:
                gen_kwargs.update(temperature=temperature, top_p=self.spec.top_p or 1.0, top_k=0)
            with torch.no_grad():
                out = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), **gen_kwargs)
            completions = [out[i, width:].tolist() for i in range(len(prompts))]
        stops = set(stop_token_ids())
        turns = []
        for i, p in enumerate(prompts):
            completion = completions[i]
            for j, t in enumerate(completion):
                if t in stops:
                    completion = completion[:j + 1]
                    break
            else:
                while completion and completion[-1] == pad:
                    completion.pop()
            parsed = parse_completion(completion, f"{self._prefix}_{next(self._ids)}")
            turn = AssistantTurn(text=parsed.text, reasoning=parsed.reasoning, tool_calls=parsed.tool_calls,
                                 stop_reason=parsed.stop_reason, error=None,
                                 usage=Usage(input_tokens=len(p), output_tokens=len(completion)),
                                 raw_completion=decode(completion))
            self._remember(turn)
            turns.append(turn)
        return turns

    def _remember(self, turn: AssistantTurn) -> None:
        """Keep this turn's reasoning and malformed call text: the loop sends the turn back without them."""
        blocks = ([{"type": "text", "text": turn.text}] if turn.text else []) + [
            {"type": "tool_use", "id": c.id} for c in turn.tool_calls]
        if turn.reasoning:
            self._reasoning[turn_key(blocks)] = turn.reasoning
        for c in turn.tool_calls:
            if c.arguments is None and c.raw_arguments is not None:
                self._reasoning[RAW_PREFIX + c.id] = c.raw_arguments
