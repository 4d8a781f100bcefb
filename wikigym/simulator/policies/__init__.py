"""Policy factory: `make_policy(spec, **kw)` builds any policy kind, importing its module (and SDK) only then.

| kind | class | extra | kw it uses |
|---|---|---|---|
| `scripted` | `policies.scripted:ScriptedTeacher` | - | snapshot, seed, mode |
| `anthropic` | `policies.anthropic:AnthropicPolicy` | anthropic | api_key, base_url, limiter, cost_meter, retry |
| `openai` | `policies.openai_compat:OpenAICompatPolicy` | openai | base_url, api_key, limiter, cost_meter, retry |
| `llamacpp` | `policies.llamacpp:LlamaCppPolicy` | llamacpp | model_path, n_ctx, n_gpu_layers, chat_format, llm |
| `harmony` | `policies.harmony:HarmonyPolicy` | train | passed through |

Keyword arguments a kind does not take are dropped, so the recorder can pass one set for all kinds. A missing
optional dependency raises a `WikigymError` naming the pip extra.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from wikigym.errors import ConfigError, WikigymError
from wikigym.simulator.policy import Policy
from wikigym.trajectories.schema import PolicySpec

# kind -> (module, class, pip extra or None)
POLICY_KINDS: dict[str, tuple[str, str, str | None]] = {
    "scripted": ("wikigym.simulator.policies.scripted", "ScriptedTeacher", None),
    "anthropic": ("wikigym.simulator.policies.anthropic", "AnthropicPolicy", "anthropic"),
    "openai": ("wikigym.simulator.policies.openai_compat", "OpenAICompatPolicy", "openai"),
    "llamacpp": ("wikigym.simulator.policies.llamacpp", "LlamaCppPolicy", "llamacpp"),
    "harmony": ("wikigym.simulator.policies.harmony", "HarmonyPolicy", "train"),
}
API_KINDS = ("anthropic", "openai")


def policy_class(kind: str) -> type:
    """The class implementing `kind` (imported now)."""
    if kind not in POLICY_KINDS:
        raise ConfigError(f"unknown policy kind {kind!r}; use one of {', '.join(POLICY_KINDS)}")
    module, name, extra = POLICY_KINDS[kind]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (e.name == module or module.startswith(e.name + ".")):
            raise WikigymError(f"policy {kind!r} is not available in this install ({module} is missing)") from None
        hint = f"pip install 'wikigym[{extra}]'" if extra else "reinstall wikigym"
        raise WikigymError(f"policy {kind!r} needs the Python package {e.name!r}; install it with {hint}") from None
    return getattr(mod, name)


def make_policy(spec: PolicySpec, **kw: Any) -> Policy:
    """Build the policy `spec.kind` describes.

    Example:
        >>> make_policy(PolicySpec(kind="scripted", seed=0), snapshot=snap, mode="direct")  # doctest: +SKIP
    """
    cls = policy_class(spec.kind)
    params = inspect.signature(cls.__init__).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if spec.kind == "scripted":
        kw.setdefault("seed", spec.seed if spec.seed is not None else 0)
        args = {k: v for k, v in kw.items() if takes_any or k in params}
        policy = cls(**args)
        if getattr(policy, "spec", None) is None:
            policy.spec = spec
        return policy
    args = {k: v for k, v in kw.items() if takes_any or k in params}
    return cls(spec, **args)
