"""Small elementwise chains compiled once by torch.compile (fused into a few kernels), with an eager fallback.

Decoding and the MoE are bandwidth-bound chains of tiny elementwise ops around the GEMMs (RMSNorm, RoPE, the sink
softmax, clamped SwiGLU: 5-10 kernels each). On an H100 they took ~40% of a one-stream decode step even inside a CUDA
graph, and the SwiGLU's forward and backward a large share of a training step's elementwise time. `fused(fn)`
returns `fn` compiled with dynamic shapes (once per process and function), on CUDA only; where compilation is
unavailable or fails at the first call, the eager `fn` runs from then on (the same numbers, only slower).

What it does not do: compile whole attention and MoE blocks (that is the `compile_layers` option, patch.py, inside
which these functions trace as plain ops) or the decode engine's steps (the KV-cache writes and CUDA graphs there are
its own).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import torch
import torch.utils.checkpoint

log = logging.getLogger(__name__)
_CACHE: dict[Callable[..., Any], Callable[..., Any]] = {}


# Errors that are the caller's, not the compiler's: they propagate and leave the compiled function in use. Activation
# checkpointing's early stop raises `_StopRecomputationError` from its pack hook, inside whatever function saves a
# tensor once the recomputation has everything the backward needs; swallowing it (and rerunning eagerly) breaks the
# checkpoint ("Unexpected state: target_frame.early_stop is set"), and an eager rerun after out-of-memory only runs
# out again.
_CALLERS_ERRORS: tuple[type[BaseException], ...] = (torch.OutOfMemoryError,) + tuple(
    e for e in (getattr(torch.utils.checkpoint, "_StopRecomputationError", None),) if e is not None)


def with_eager_fallback(fn: Callable[..., Any], compiled: Callable[..., Any], what: str) -> Callable[..., Any]:
    """`compiled` until a call of it fails, then `fn` for good, the reason logged once as "`what` failed" (errors in
    `_CALLERS_ERRORS` propagate instead). Inside a compiled region `fn` itself runs, so that compilation traces it
    with the rest."""
    state = {"ok": True}

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if torch.compiler.is_compiling():
            return fn(*args, **kwargs)
        if state["ok"]:
            try:
                return compiled(*args, **kwargs)
            except _CALLERS_ERRORS:
                raise
            except Exception as e:  # noqa: BLE001  (no working compiler: eager is correct, only slower)
                state["ok"] = False
                log.warning("%s failed (%s: %s); it runs eagerly", what, type(e).__name__,
                            str(e).splitlines()[0] if str(e) else "")
        return fn(*args, **kwargs)

    return run


def fused(fn: Callable[..., Any], enabled: bool = True) -> Callable[..., Any]:
    """`fn` compiled (shared by every caller in the process), or `fn` itself when `enabled` is False."""
    if not enabled:
        return fn
    if fn not in _CACHE:
        _CACHE[fn] = with_eager_fallback(fn, torch.compile(fn, dynamic=True, fullgraph=True),
                                         f"torch.compile of {fn.__name__}")
    return _CACHE[fn]
