"""gpt-oss's RMSNorm for training as one fused forward and one fused backward, instead of a chain of float32 kernels.

transformers' `GptOssRMSNorm` casts to float32, squares, averages, takes rsqrt, multiplies twice and casts back: about
eight kernels over the [tokens, hidden] activations, and autograd keeps several float32 intermediates of each for the
backward (the 20b runs 49 norms per forward; at 4,096 tokens without checkpointing each float32 copy is 47 MB). Here
the same arithmetic is one `fused()` forward and one `fused()` backward (torch.compile on CUDA; eager elsewhere or if
compilation fails) inside an autograd Function that saves only the input and the per-row inverse RMS.

Forward (as transformers): n = x * rsqrt(mean(x^2) + eps) in float32, y = (w * n) cast to x's dtype.
Backward: g = dy * w; dx = r * (g - n * mean(g * n)); dw = sum over rows of dy * n (only when the weight trains).

What it does not do: other norms (gpt-oss has only this one).
"""

from __future__ import annotations

from typing import Any

import torch

from wikigym.trainer.fast.compiled import fused


def rms_norm_values(x: torch.Tensor, w: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(y, r): the norm of `x` as transformers computes it, and the per-row inverse RMS r (float32, [..., 1])."""
    h = x.float()
    r = torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return (w * (h * r)).to(x.dtype), r


def _backward(dy: torch.Tensor, x: torch.Tensor, w: torch.Tensor, r: torch.Tensor,
              weight_grad: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    n = x.float() * r
    d = dy.float()
    g = d * w.float()
    dx = r * (g - n * (g * n).mean(-1, keepdim=True))
    dw = (d * n).reshape(-1, n.shape[-1]).sum(0) if weight_grad else None
    return dx.to(x.dtype), dw


class _RMSNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
        y, r = fused(rms_norm_values, x.is_cuda)(x, w, eps)
        ctx.save_for_backward(x, w, r)
        return y

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[Any, ...]:
        x, w, r = ctx.saved_tensors
        dx, dw = fused(_backward, dy.is_cuda)(dy.contiguous(), x, w, r, bool(ctx.needs_input_grad[1]))
        return dx, (dw.to(w.dtype) if dw is not None else None), None


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """`GptOssRMSNorm(weight, eps)(x)`, differentiable in `x` and `weight`."""
    return _RMSNorm.apply(x, weight, eps)


def norm_forward(self: Any, hidden_states: torch.Tensor) -> torch.Tensor:
    """A drop-in `forward` for a `GptOssRMSNorm` instance (bound by `apply_fast_path`)."""
    return rms_norm(hidden_states, self.weight, float(self.variance_epsilon))


def is_rms_norm(module: Any) -> bool:
    """Whether `module` is a gpt-oss RMSNorm (by its class name and fields, as transformers versions move it)."""
    return type(module).__name__.endswith("RMSNorm") and hasattr(module, "weight") and \
        hasattr(module, "variance_epsilon")
