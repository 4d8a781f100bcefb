"""Small elementwise chains compiled once by torch.compile (fused into a few kernels), with an eager fallback.

Decoding and the MoE are bandwidth-bound chains of tiny elementwise ops around the GEMMs (RMSNorm, RoPE, the sink
softmax, clamped SwiGLU: 5-10 kernels each). On an H100 they took ~40% of a one-stream decode step even inside a CUDA
graph, and the SwiGLU's forward and backward a large share of a training step's elementwise time. `fused(fn)`
returns `fn` compiled with dynamic shapes (once per process and function), on CUDA only; where compilation is
unavailable or fails at the first call, the eager `fn` runs from then on (the same numbers, only slower).

What it does not do: compile whole layers (that is the `compile_layers` option, patch.py, inside which these
functions trace as plain ops) or the decode engine's steps (the KV-cache writes and CUDA graphs there are its own).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import torch

log = logging.getLogger(__name__)
_CACHE: dict[Callable[..., Any], Callable[..., Any]] = {}


def fused(fn: Callable[..., Any], enabled: bool = True) -> Callable[..., Any]:
    """`fn` compiled (shared by every caller in the process), or `fn` itself when `enabled` is False."""
    if not enabled:
        return fn
    if fn not in _CACHE:
        compiled = torch.compile(fn, dynamic=True, fullgraph=True)
        state = {"ok": True}

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            if torch.compiler.is_compiling():  # inside a compiled region: let that compilation fuse `fn` with the rest
                return fn(*args, **kwargs)
            if state["ok"]:
                try:
                    return compiled(*args, **kwargs)
                except Exception as e:  # noqa: BLE001  (no working compiler: eager is correct, only slower)
                    state["ok"] = False
                    log.warning("torch.compile of %s failed (%s: %s); running it eagerly", fn.__name__,
                                type(e).__name__, str(e).splitlines()[0] if str(e) else "")
            return fn(*args, **kwargs)

        _CACHE[fn] = run
    return _CACHE[fn]
