"""A GGUF model run in-process through llama-cpp-python as a policy (the `llamacpp` extra).

For trying a trained student (e.g. the exported gpt-oss GGUF) without a server. `act` calls
`Llama.create_chat_completion(messages, tools, ...)`, which applies the GGUF's chat template (Harmony for gpt-oss
when the template carries it) and returns an OpenAI-shaped response; conversion both ways is shared with the
OpenAI-compatible policy, so malformed calls are kept the same way.

Errors are one line: llama-cpp-python missing (`pip install 'wikigym[llamacpp]'`; it builds from source), or a model
file that does not exist.

What it deliberately does not do: reproduce SemanticWiki's node-llama-cpp provider (which sends only the last user
message and cannot run a multi-turn tool loop, spec §2.3); this policy runs the real multi-turn loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError, WikigymError
from wikigym.simulator.policies.common import CostMeter
from wikigym.simulator.policies.openai_compat import finish_turn, to_openai_messages, to_openai_tools
from wikigym.simulator.policy import AssistantTurn
from wikigym.trajectories.schema import PolicySpec


class LlamaCppPolicy:
    """A local GGUF through llama-cpp-python.

    Args:
        spec: temperature, top_p, max_tokens (default 8192), seed; `model` is recorded (defaults to the file name).
        model_path: the .gguf file.
        n_ctx: context size (SemanticWiki's default is 32768); n_gpu_layers: -1 offloads all layers.
        chat_format: override the GGUF's own template (e.g. "chatml-function-calling").
        llm: an already-loaded `llama_cpp.Llama` (reused across episodes of a run).
    """

    def __init__(self, spec: PolicySpec, model_path: str | None = None, n_ctx: int = 32768, n_gpu_layers: int = -1,
                 chat_format: str | None = None, llm: Any = None, cost_meter: CostMeter | None = None,
                 n_threads: int | None = None):
        if llm is None:
            if not model_path:
                raise ConfigError("the llamacpp policy needs a GGUF file; pass --model-path path/to/model.gguf")
            path = Path(model_path).expanduser()
            if not path.is_file():
                raise ConfigError(f"GGUF file {path} does not exist; pass an existing --model-path")
            try:
                import llama_cpp
            except ImportError:
                raise WikigymError("the llamacpp policy needs llama-cpp-python; install it with "
                                   "pip install 'wikigym[llamacpp]' (it compiles llama.cpp, ~10 min)") from None
            llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_gpu_layers=n_gpu_layers,
                                  chat_format=chat_format, n_threads=n_threads, verbose=False)
            if spec.model is None:
                spec = spec.model_copy(update={"model": path.name})
        if spec.max_tokens is None:
            spec = spec.model_copy(update={"max_tokens": 8192})
        self.spec = spec
        self.llm = llm
        self.cost_meter = cost_meter

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        spec = self.spec
        kwargs: dict[str, Any] = {"messages": to_openai_messages(messages, system), "max_tokens": spec.max_tokens}
        if tools:
            kwargs["tools"] = to_openai_tools(tools)
            kwargs["tool_choice"] = "auto"
        for key in ("temperature", "top_p", "seed"):
            value = getattr(spec, key)
            if value is not None:
                kwargs[key] = value
        data = self.llm.create_chat_completion(**kwargs)
        return finish_turn(dict(data), {t["name"] for t in tools}, None, self.cost_meter)
