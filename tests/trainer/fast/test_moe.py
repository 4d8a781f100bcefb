"""Grouped MoE (both backends) equals transformers' per-expert loop with LoRA, forward and backward."""

from __future__ import annotations

import pytest
import torch

from wikigym.trainer.fast.moe import LoraFactor, experts_forward, reference_experts_forward

from .conftest import needs_cuda


def _case(device: str, dtype: torch.dtype, t: int = 37, e: int = 4, h: int = 32, i: int = 16, k: int = 2, r: int = 8):
    g = torch.Generator().manual_seed(t * 31 + e)
    mk = lambda *s, std=0.2: (torch.randn(*s, generator=g) * std).to(device, dtype)
    x = mk(t, h, std=1.0).requires_grad_()
    logits = torch.randn(t, e, generator=g)
    top, idx = torch.topk(logits, k, dim=-1)
    w = torch.softmax(top, dim=-1).to(device, dtype)
    params = {"gate_up_proj": mk(e, h, 2 * i), "gate_up_bias": mk(e, 2 * i), "down_proj": mk(e, i, h),
              "down_bias": mk(e, h)}
    lo_gu = LoraFactor(mk(e, h, r).requires_grad_(), mk(e, r, 2 * i).requires_grad_(), 2.0)
    lo_d = LoraFactor(mk(e, i, r).requires_grad_(), mk(e, r, h).requires_grad_(), 2.0)
    return x, idx.to(device), w, params, lo_gu, lo_d


def _grads(out: torch.Tensor, tensors: list[torch.Tensor], seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    upstream = torch.randn(out.shape, generator=g).to(out.device, out.dtype)
    return list(torch.autograd.grad((out * upstream).sum(), tensors))


def _check(device: str, dtype: torch.dtype, backend: str, tol: float) -> None:
    x, idx, w, p, lo_gu, lo_d = _case(device, dtype)
    for name in p:  # full fine-tuning trains the expert weights and biases too
        p[name].requires_grad_()
    leaves = [x, lo_gu.lhs, lo_gu.rhs, lo_d.lhs, lo_d.rhs, *p.values()]
    ref = reference_experts_forward(x, idx, w, p["gate_up_proj"], p["gate_up_bias"], p["down_proj"],
                                    p["down_bias"], [lo_gu], [lo_d], 1.702, 7.0)
    out = experts_forward(x, idx, w, p["gate_up_proj"], p["gate_up_bias"], p["down_proj"], p["down_bias"],
                          [lo_gu], [lo_d], 1.702, 7.0, backend)
    scale = float(ref.abs().max())
    assert float((out - ref).abs().max()) <= tol * scale
    for a, b in zip(_grads(out, leaves), _grads(ref, leaves)):
        assert float((a - b).abs().max()) <= tol * max(float(b.abs().max()), 1e-6)


@pytest.mark.parametrize("backend", ["segment", "grouped_mm"])
def test_grouped_moe_matches_reference_loop_cpu(backend: str) -> None:
    _check("cpu", torch.float32, backend, 1e-5)


def test_unused_experts_and_dense_router_scores() -> None:
    x, idx, w, p, lo_gu, lo_d = _case("cpu", torch.float32)
    logits = torch.randn(x.shape[0], 4)
    logits[:, 3] = float("-inf")  # expert 3 never routed: an empty segment
    top, idx = torch.topk(logits, 2, dim=-1)
    w = torch.softmax(top, dim=-1)
    dense = torch.zeros(idx.shape[0], 4).scatter(1, idx, w)  # older transformers pass [T, E] scores
    args = (p["gate_up_proj"], p["gate_up_bias"], p["down_proj"], p["down_bias"], [lo_gu], [lo_d], 1.702, 7.0)
    ref = reference_experts_forward(x, idx, w, *args)
    for backend in ("segment", "grouped_mm"):
        out = experts_forward(x, idx, dense, *args, backend)
        assert float((out - ref).abs().max()) < 1e-5


@needs_cuda
@pytest.mark.parametrize("backend", ["segment", "grouped_mm"])
def test_grouped_moe_matches_reference_loop_cuda_bf16(backend: str) -> None:
    _check("cuda", torch.bfloat16, backend, 3e-2)
