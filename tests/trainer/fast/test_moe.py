"""Grouped MoE (both backends) equals transformers' per-expert loop with LoRA, forward and backward."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from wikigym.trainer.fast.moe import LoraFactor, experts_forward, lora_factors, reference_experts_forward

from .conftest import needs_cpu_bf16_grouped_mm, needs_cuda


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


def _fp8_case(device: str, dtype: torch.dtype):
    from wikigym.trainer.fast.moe import quantize_experts

    x, idx, w, p, _, _ = _case(device, dtype, h=64, i=32)
    q = {name: quantize_experts(p[name]) for name in ("gate_up_proj", "down_proj")}
    return x.detach(), idx, w, p, q


def test_fp8_experts_quantize_each_output_column_and_stay_close_to_bf16() -> None:
    """Per (expert, column) scales: every dequantised weight is within e4m3's half-ulp (2^-4 relative to the
    column's largest) and the MoE output within a few percent of the exact one -- but not equal to it."""
    x, idx, w, p, q = _fp8_case("cpu", torch.float32)
    for name, fw in q.items():
        assert fw.data.dtype == torch.float8_e4m3fn and fw.data.shape == p[name].shape
        assert fw.data.transpose(-2, -1).is_contiguous()  # column-major per expert, as _scaled_grouped_mm reads it
        col_max = p[name].abs().amax(1, keepdim=True)
        assert bool(((fw.dequantize() - p[name]).abs() <= col_max * 2.0 ** -4 + 1e-12).all())
    args = (p["gate_up_bias"], p["down_bias"])
    ref = experts_forward(x, idx, w, p["gate_up_proj"], args[0], p["down_proj"], args[1], [], [], 1.702, 7.0,
                          "segment")
    out = experts_forward(x, idx, w, q["gate_up_proj"], args[0], q["down_proj"], args[1], [], [], 1.702, 7.0,
                          "segment")
    rel = float((out - ref).norm() / ref.norm())
    assert 1e-4 < rel < 0.1  # two GEMMs, each operand rounded to 3 mantissa bits: ~3-4% rms per GEMM


def test_fp8_experts_handle_an_expert_no_token_routes_to() -> None:
    x, idx, w, p, q = _fp8_case("cpu", torch.float32)
    idx = torch.where(idx == 3, torch.zeros_like(idx), idx)  # expert 3: an empty segment
    idx[:, 1] = torch.where(idx[:, 0] == idx[:, 1], (idx[:, 0] + 1) % 3, idx[:, 1])
    ref = reference_experts_forward(x, idx, w, p["gate_up_proj"], p["gate_up_bias"], p["down_proj"],
                                    p["down_bias"], [], [], 1.702, 7.0)
    out = experts_forward(x, idx, w, q["gate_up_proj"], p["gate_up_bias"], q["down_proj"], p["down_bias"], [], [],
                          1.702, 7.0, "segment")
    assert float((out - ref).norm() / ref.norm()) < 0.1


@needs_cuda
def test_fp8_scaled_grouped_mm_equals_its_float32_emulation_cuda() -> None:
    """The Hopper kernel computes what the CPU emulation computes (products of the dequantised operands)."""
    if torch.cuda.get_device_capability()[0] < 9:
        pytest.skip("FP8 grouped GEMM needs sm90+")
    x, idx, w, p, q = _fp8_case("cuda", torch.bfloat16)
    args = (q["gate_up_proj"], p["gate_up_bias"], q["down_proj"], p["down_bias"], [], [], 1.702, 7.0)
    kernel = experts_forward(x, idx, w, *args, "grouped_mm")
    emulated = experts_forward(x, idx, w, *args, "segment")
    assert float((kernel.float() - emulated.float()).norm() / emulated.float().norm()) < 1e-2


@needs_cpu_bf16_grouped_mm
def test_compiled_experts_take_peft_lora_layout_cpu_bf16() -> None:
    """Regression (H100, torch 2.11): inside a compiled layer, inductor laid out the contiguous copy of PEFT's
    `lora_B` (expert axis innermost) with its input's strides, and every `_grouped_mm` on it failed. The factors are
    now prepared eagerly; the compiled experts run and equal the eager ones in bf16."""
    e, h, i, r, t, k = 4, 32, 16, 8, 24, 2
    g = torch.Generator().manual_seed(0)
    mk = lambda *s: (torch.randn(*s, generator=g) * 0.2).to(torch.bfloat16)
    p = [mk(e, h, 2 * i), mk(e, 2 * i), mk(e, i, h), mk(e, h)]
    # PEFT ParamWrapper parameters: lora_A [r*E, in], lora_B [out, r*E]
    peft = [mk(r * e, h).requires_grad_(), mk(2 * i, r * e).requires_grad_(), mk(r * e, i).requires_grad_(),
            mk(h, r * e).requires_grad_()]
    x = mk(t, h).requires_grad_()
    idx = torch.stack([torch.randperm(e, generator=g)[:k] for _ in range(t)])
    w = torch.softmax(torch.randn(t, k, generator=g), -1).to(torch.bfloat16)

    def factor(a: torch.Tensor, b: torch.Tensor) -> list[LoraFactor]:  # read as from a PEFT ParamWrapper
        return lora_factors(SimpleNamespace(active_adapters=["default"], num_experts=e, scaling={"default": 2.0},
                                            lora_A={"default": SimpleNamespace(weight=a)},
                                            lora_B={"default": SimpleNamespace(weight=b)}))

    def run(x: torch.Tensor) -> torch.Tensor:
        return experts_forward(x, idx, w, *p[:2], *p[2:], factor(*peft[:2]), factor(*peft[2:]), 1.702, 7.0,
                               "grouped_mm")

    outs, grads = [], []
    for fn in (run, torch.compile(run, backend="inductor")):
        y = fn(x)
        outs.append(y.float())
        grads.append([gr.float() for gr in torch.autograd.grad(y.float().square().sum(), [x, *peft])])
    assert torch.allclose(outs[0], outs[1], atol=2e-2, rtol=2e-2)
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=5e-2 * b.abs().max().item() + 1e-3)


def test_compiled_combine_inside_checkpointed_layer_keeps_checkpoint_early_stop(caplog) -> None:
    """Non-reentrant checkpointing stops its recomputation by raising from the pack hook of the first tensor saved
    after the ones the backward needs, which can be inside a compiled function (the MoE combine ends each layer). The
    eager fallback must let that through: swallowing it broke every checkpointed step on the H100 ("Unexpected state:
    target_frame.early_stop is set"). Compiled on CPU here; the gradients equal the eager combine's."""
    from torch.utils.checkpoint import checkpoint

    from wikigym.trainer.fast.compiled import fused
    from wikigym.trainer.fast.moe import _combine

    torch.manual_seed(0)
    lin = torch.nn.Linear(16, 64)
    w = torch.randn(32, 4)
    x = torch.randn(32, 16)

    def layer(x, combine):
        return combine(lin(x).view(32, 4, 16), w.softmax(-1)) + x

    grads = []
    for combine in (_combine, fused(_combine, True)):
        for _ in range(2):  # the first call compiles, the second runs the compiled function
            lin.zero_grad()
            xi = x.clone().requires_grad_()
            checkpoint(layer, xi, combine, use_reentrant=False).square().sum().backward()
        grads.append((xi.grad, lin.weight.grad.clone()))
    assert "failed" not in caplog.text
    for eager, compiled in zip(*grads):
        assert torch.allclose(eager, compiled, atol=1e-5)


@pytest.mark.parametrize("tokens", [1, 3, 37])
def test_compiled_routing_plan_equals_eager(tokens: int) -> None:
    """The routing plan is compiled on CUDA (`fused`; eager it is ~10 tiny kernels per layer of a decode step): the
    compiled one (here on CPU) gives the eager one's permutation, inverse, sorted experts and offsets, with experts no
    token picks and one token per step as in decoding."""
    from wikigym.trainer.fast.compiled import fused
    from wikigym.trainer.fast.moe import _routing

    g = torch.Generator().manual_seed(tokens)
    idx = torch.stack([torch.randperm(32, generator=g)[:4] for _ in range(tokens)])
    for num_experts in (32, 40):
        eager = _routing(idx.reshape(-1), num_experts)
        compiled = fused(_routing, True)(idx.reshape(-1), num_experts)
        for a, b in zip(eager, compiled):
            assert a.dtype == b.dtype and torch.equal(a, b)
        order, inverse, _, offs, _ = eager
        assert torch.equal(order[inverse], torch.arange(tokens * 4)) and int(offs[-1]) == tokens * 4
