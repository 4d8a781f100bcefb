"""gpt-oss experts as grouped GEMMs, with the LoRA deltas computed inside the same grouped products.

transformers' gpt-oss MLP routes each token to `k` of `E` experts; its eager path loops over experts in Python, and
PEFT's `target_parameters` LoRA adds a dense `[E, in, out]` delta to the whole expert stack on every forward. Here the
token copies are sorted by expert once, and each projection is one grouped GEMM over contiguous segments:

    y = x_e @ W_e + b_e + scaling * (x_e @ A_e) @ B_e      for every expert e at once

so no delta weight is ever formed and there is no per-expert loop. Backends:
- `grouped_mm`: `torch._grouped_mm` (CUTLASS grouped GEMM on Hopper), wrapped in an autograd function whose backward
  is again grouped GEMMs (dx = dy @ W_e^T; dW_e = x_e^T @ dy_e only for weights that train: the LoRA factors,
  and the expert weights themselves under full fine-tuning).
- `segment`: the same sort, then one padded batched matmul `[E, C, in] @ [E, in, out]` (C = the largest segment);
  plain torch ops with autograd, for CPUs and builds without `_grouped_mm`.

`experts_forward` is the pure function; `reference_experts_forward` is transformers' loop with explicit LoRA (tests).
`lora_factors` reads PEFT's `ParamWrapper` layout (`lora_A` [r*E, in], `lora_B` [out, r*E]) into `[E, in, r]` and
`[E, r, out]` factors.

FP8 experts (`quantize_experts`, for decoding only): a frozen expert stack stored as float8 e4m3 with one scale per
(expert, output column), multiplied by activations quantized per row on the fly (`torch._scaled_grouped_mm` on
Hopper; a float32 emulation of the same arithmetic elsewhere). Decoding 32 streams reads nearly every expert each step,
so the step is bound by the bytes of expert weight read: FP8 halves them. It changes the policy's numbers slightly
(measured as a KL to the bf16 policy by benchmarks/rollout_throughput.py), hence an option, not the default.

What it does not do: routing (the model's router runs unchanged) or the auxiliary load-balancing loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from wikigym.trainer.fast.compiled import fused


@dataclass
class LoraFactor:
    """`delta_W = scaling * lhs @ rhs` with lhs [E, in, r], rhs [E, r, out] (the orientation of the base weight)."""

    lhs: torch.Tensor
    rhs: torch.Tensor
    scaling: float


def grouped_mm_available(device: torch.device, dtype: torch.dtype) -> tuple[bool, str]:
    """Whether `torch._grouped_mm` runs forward and backward for `dtype` on `device`, with the reason when not."""
    if not hasattr(torch, "_grouped_mm"):
        return False, f"torch {torch.__version__} has no _grouped_mm"
    if device.type == "cuda":
        if torch.cuda.get_device_capability(device)[0] < 9 and dtype == torch.bfloat16:
            return False, "torch._grouped_mm needs sm90+ for bf16"
        return True, ""
    if dtype == torch.float32:
        return True, ""
    return False, f"torch._grouped_mm on {device.type} supports float32 only (got {dtype})"


class _GroupedMM(torch.autograd.Function):
    """`out[rows of e] = x[rows of e] @ w[e]` over sorted segments (`offs`: cumulative row ends, int32)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, offs: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, w, offs)
        return torch._grouped_mm(x, w, offs=offs)

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[Any, ...]:
        x, w, offs = ctx.saved_tensors
        dy = dy.contiguous()
        dx = torch._grouped_mm(dy, w.transpose(-2, -1), offs=offs) if ctx.needs_input_grad[0] else None
        dw = None
        if ctx.needs_input_grad[1]:
            dw = torch._grouped_mm(x.t(), dy, offs=offs)  # [E, in, out]; empty segments give zeros
        return dx, dw, None


def _segment_mm(x: torch.Tensor, w: torch.Tensor, rows_idx: tuple[torch.Tensor, torch.Tensor],
                cap: int) -> torch.Tensor:
    padded = x.new_zeros(w.shape[0], cap, x.shape[1])
    padded = padded.index_put(rows_idx, x)
    out = torch.bmm(padded, w)
    return out[rows_idx]


FP8_MAX = 448.0  # largest finite float8_e4m3fn


@dataclass
class Fp8Weight:
    """An expert stack `W` [E, K, N] as float8 e4m3 `data` (same shape, column-major per expert: the layout
    `_scaled_grouped_mm` reads) and float32 `scale` [E, N] with `W ~= data * scale[:, None, :]`."""

    data: torch.Tensor
    scale: torch.Tensor

    @property
    def shape(self) -> torch.Size:
        return self.data.shape

    def dequantize(self) -> torch.Tensor:
        return self.data.float() * self.scale[:, None, :]


def fp8_nbytes(shape: tuple[int, ...] | torch.Size) -> int:
    """Bytes of the `Fp8Weight` of an [E, K, N] stack: one byte a weight plus a float32 scale per (expert, column)."""
    e, k, n = shape
    return e * k * n + 4 * e * n


def quantize_experts(w: torch.Tensor) -> Fp8Weight:
    """`w` [E, K, N] to FP8 with one scale per (expert, output column), one expert at a time (float32 temporaries of
    a single expert, not of the whole stack)."""
    e, k, n = w.shape
    data = torch.empty(e, n, k, dtype=torch.float8_e4m3fn, device=w.device)
    scale = torch.empty(e, n, dtype=torch.float32, device=w.device)
    for i in range(e):
        wt = w[i].detach().t().float()  # [N, K]
        s = wt.abs().amax(-1).clamp(min=1e-12) / FP8_MAX
        data[i] = (wt / s[:, None]).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
        scale[i] = s
    return Fp8Weight(data.transpose(-2, -1), scale)


def quantize_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Activations [M, K] to FP8 with one float32 scale per row: `x ~= q * scale[:, None]`."""
    h = x.float()
    s = h.abs().amax(-1, keepdim=True).clamp(min=1e-12) / FP8_MAX
    return (h / s).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn), s[:, 0]


@dataclass
class _Plan:
    order: torch.Tensor  # [T*k] positions of the (token, slot) copies sorted by expert
    inverse: torch.Tensor  # [T*k] where each (token, slot) copy sits in the sorted order (order's inverse)
    expert: torch.Tensor  # [T*k] expert of each sorted copy
    offs: torch.Tensor  # [E] int32 cumulative ends
    backend: str
    rows_idx: tuple[torch.Tensor, torch.Tensor] | None = None
    cap: int = 0


class _Permute(torch.autograd.Function):
    """`x[perm]` for a permutation `perm` whose inverse is `inv`: the backward is the gather `dy[inv]`.

    Token copies move to expert order and back through permutations. Written as `x[token]` and `index_add_` (as
    before), their backwards were an atomic scatter and a gather behind autograd's generic index machinery: on an
    H100 the MoE combine's backward alone took ~3.3 ms per layer at 2,048 tokens, a quarter of the whole step.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, perm: torch.Tensor, inv: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(inv)
        return x.index_select(0, perm)

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[Any, ...]:
        (inv,) = ctx.saved_tensors
        return dy.index_select(0, inv), None, None


class _Dispatch(torch.autograd.Function):
    """Token rows `x` [T, H] to their k copies in expert order: `x[order // k]`, without forming the T*k copies first.

    `order` is a permutation of the T*k (token, slot) copies, so the backward needs no atomics either: the gather
    `dy[inverse]` puts each copy's gradient back in (token, slot) order, and the k slots of a token are summed.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, order: torch.Tensor, inverse: torch.Tensor, k: int) -> torch.Tensor:
        ctx.save_for_backward(inverse)
        ctx.k = k
        return x.index_select(0, torch.div(order, k, rounding_mode="floor"))

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[Any, ...]:
        (inv,) = ctx.saved_tensors
        dx = dy.index_select(0, inv).view(-1, ctx.k, dy.shape[-1]).sum(1)
        return dx, None, None, None


def _routing(flat: torch.Tensor, num_experts: int) -> tuple[torch.Tensor, ...]:
    """The (token, slot) copies `flat` [T*k] in expert order: (order, inverse, expert of each sorted copy, end offset
    of each expert's rows as int32, rows per expert), without a host sync. Compiled on CUDA (`fused`): eager it is
    ~10 tiny kernels per layer, a large share of a one-stream decode step."""
    order = torch.argsort(flat, stable=True)
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel(), device=order.device)
    counts = torch.zeros(num_experts, dtype=torch.int64, device=flat.device)
    counts.scatter_add_(0, flat.to(torch.int64), torch.ones_like(flat, dtype=torch.int64))
    return order, inverse, flat[order], torch.cumsum(counts, 0).to(torch.int32), counts


def _plan(router_indices: torch.Tensor, num_experts: int, backend: str) -> _Plan:
    flat = router_indices.reshape(-1)
    order, inverse, expert, offs, counts = fused(_routing, flat.is_cuda)(flat, num_experts)
    plan = _Plan(order, inverse, expert, offs, backend)
    if backend == "segment":
        starts = offs.to(torch.int64) - counts
        within = torch.arange(flat.numel(), device=flat.device) - starts[expert]
        plan.rows_idx = (expert, within)
        plan.cap = int(counts.max().item()) if flat.numel() else 0
    return plan


def _mm(plan: _Plan, x: torch.Tensor, w: torch.Tensor | Fp8Weight) -> torch.Tensor:
    if isinstance(w, Fp8Weight):
        q, s = fused(quantize_rows, x.is_cuda)(x)
        if plan.backend == "grouped_mm" and x.is_cuda:
            y = torch._scaled_grouped_mm(q, w.data, s, w.scale, offs=plan.offs, out_dtype=torch.bfloat16,
                                         use_fast_accum=True)
            return y.to(x.dtype)
        # elsewhere the same arithmetic in float32: products of the dequantised operands
        return _mm(plan, q.float() * s[:, None], w.dequantize()).to(x.dtype)
    if plan.backend == "grouped_mm":
        return _GroupedMM.apply(x, w, plan.offs)
    assert plan.rows_idx is not None
    return _segment_mm(x, w, plan.rows_idx, plan.cap)


Operands = list[tuple[torch.Tensor, torch.Tensor]]


@torch.compiler.disable
def _operands(*loras: list[LoraFactor], dtype: torch.dtype) -> list[Operands]:
    """Each projection's LoRA factor pairs as contiguous `dtype` operands of the grouped GEMMs, the scaling folded
    into the small [E, r, out] factor (not the [T*k, out] product).

    Always eager, also inside a compiled layer (one graph break there, before the MoE): PEFT's `lora_B` read as
    [E, r, out] has its expert axis innermost (strides (1, E, E*r)), and inductor (torch 2.11-2.13) lays out the
    `.contiguous()` copy of it with those strides again, which `_grouped_mm` rejects ("Invalid strides/sizes"): on an
    H100 every compiled layer failed that way.
    """
    return [[(lo.lhs.to(dtype).contiguous(), (lo.rhs * lo.scaling).to(dtype).contiguous()) for lo in group]
            for group in loras]


def _project(plan: _Plan, x: torch.Tensor, w: torch.Tensor | Fp8Weight,
             lora: Operands) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(x_e @ W_e, the LoRA delta or None) for every sorted row; the bias and the sum are left to `_epilogue`."""
    y = _mm(plan, x, w)
    delta = None
    for lhs, rhs in lora:
        d = _mm(plan, _mm(plan, x, lhs), rhs)
        delta = d if delta is None else delta + d
    return y, delta


def swiglu_interleaved(gate_up: torch.Tensor, alpha: float, limit: float) -> torch.Tensor:
    """gpt-oss's clamped SwiGLU over interleaved [gate0, up0, gate1, up1, ...] columns."""
    gate, up = gate_up[..., ::2], gate_up[..., 1::2]
    gate = gate.clamp(min=None, max=limit)
    up = up.clamp(min=-limit, max=limit)
    return (up + 1) * (gate * torch.sigmoid(gate * alpha))


def _epilogue(y: torch.Tensor, delta: torch.Tensor | None, bias: torch.Tensor | None, expert: torch.Tensor,
              alpha: float | None = None, limit: float | None = None) -> torch.Tensor:
    """y + b_e + delta, then the SwiGLU when `alpha` is given: one fused kernel each way on CUDA instead of a bias
    gather, two adds over the [T*k, out] rows and the activation."""
    if bias is not None:
        y = y + bias[expert].to(y.dtype)
    if delta is not None:
        y = y + delta
    return y if alpha is None else swiglu_interleaved(y, alpha, float(limit))


def _topk_weights(routing_weights: torch.Tensor, router_indices: torch.Tensor) -> torch.Tensor:
    """[T, k] weights whether the router gave [T, k] or (older transformers) a dense [T, E] score matrix."""
    if routing_weights.shape[-1] != router_indices.shape[-1]:
        return torch.gather(routing_weights, -1, router_indices)
    return routing_weights


def experts_forward(x: torch.Tensor, router_indices: torch.Tensor, routing_weights: torch.Tensor,
                    gate_up_proj: torch.Tensor | Fp8Weight, gate_up_bias: torch.Tensor | None,
                    down_proj: torch.Tensor | Fp8Weight, down_bias: torch.Tensor | None,
                    gate_up_lora: list[LoraFactor], down_lora: list[LoraFactor],
                    alpha: float, limit: float, backend: str = "grouped_mm") -> torch.Tensor:
    """The MoE experts of one layer for tokens `x` [T, H] routed by `router_indices` [T, k]; returns [T, H].

    Weights are transformers' gpt-oss layout: `gate_up_proj` [E, H, 2I] (interleaved gate/up), `down_proj` [E, I, H]
    (either may be an `Fp8Weight` of that shape, for inference).
    """
    num_experts = gate_up_proj.shape[0]
    t, k = router_indices.shape
    gu_lora, dn_lora = _operands(gate_up_lora, down_lora, dtype=x.dtype) if gate_up_lora or down_lora else ([], [])
    plan = _plan(router_indices, num_experts, backend)
    # dispatch: each token's k copies gathered straight into expert order
    xs = _Dispatch.apply(x, plan.order, plan.inverse, k)
    epilogue = fused(_epilogue, x.is_cuda)
    h = epilogue(*_project(plan, xs, gate_up_proj, gu_lora), gate_up_bias, plan.expert, alpha, limit)
    out = epilogue(*_project(plan, h, down_proj, dn_lora), down_bias, plan.expert)
    # combine: back to (token, slot) order, weighted sum over the k slots
    out = _Permute.apply(out, plan.inverse, plan.order).view(t, k, -1)
    return fused(_combine, x.is_cuda)(out, _topk_weights(routing_weights, router_indices)).to(x.dtype)


def _combine(out: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """sum_j weights[t, j] * out[t, j, :] in float32: one pass over the [T, k, H] copies each way on CUDA. As a
    [T, 1, k] @ [T, k, H] bmm it took ~0.55 ms per layer (forward and backward) at 2,048 tokens on an H100."""
    return (out.float() * weights.float()[..., None]).sum(1).to(out.dtype)


def reference_experts_forward(x: torch.Tensor, router_indices: torch.Tensor, routing_weights: torch.Tensor,
                              gate_up_proj: torch.Tensor, gate_up_bias: torch.Tensor, down_proj: torch.Tensor,
                              down_bias: torch.Tensor, gate_up_lora: list[LoraFactor], down_lora: list[LoraFactor],
                              alpha: float, limit: float) -> torch.Tensor:
    """transformers' per-expert loop with the LoRA delta added to each expert's weight (the test reference)."""
    w_gu, w_d = gate_up_proj, down_proj
    for lo in gate_up_lora:
        w_gu = w_gu + lo.scaling * (lo.lhs @ lo.rhs).to(w_gu.dtype)
    for lo in down_lora:
        w_d = w_d + lo.scaling * (lo.lhs @ lo.rhs).to(w_d.dtype)
    weights = _topk_weights(routing_weights, router_indices)
    out = torch.zeros_like(x)
    for e in range(w_gu.shape[0]):
        tok, slot = torch.where(router_indices == e)
        if tok.numel() == 0:
            continue
        h = swiglu_interleaved(x[tok] @ w_gu[e] + gate_up_bias[e], alpha, limit)
        y = (h @ w_d[e] + down_bias[e]) * weights[tok, slot, None]
        out.index_add_(0, tok, y.to(x.dtype))
    return out


def lora_factors(wrapper: Any) -> list[LoraFactor]:
    """The active LoRA factors of one PEFT `ParamWrapper` (none when adapters are disabled or merged)."""
    if getattr(wrapper, "disable_adapters", False) or getattr(wrapper, "merged", False):
        return []
    out = []
    for name in wrapper.active_adapters:
        if name not in wrapper.lora_A:
            continue
        e = wrapper.num_experts
        a = wrapper.lora_A[name].weight  # [r*E, in_features]
        b = wrapper.lora_B[name].weight  # [out_features, r*E]
        a = a.reshape(e, -1, a.shape[-1])  # [E, r, in]
        b = b.reshape(b.shape[0], -1, e).permute(2, 0, 1)  # [E, out, r]
        if getattr(wrapper, "_did_swap_in_out_features", False):
            lhs, rhs = b, a  # PEFT read the parameter as (E, out, in): delta = B @ A in the weight's orientation
        else:
            lhs, rhs = a.transpose(-2, -1), b.transpose(-2, -1)
        out.append(LoraFactor(lhs, rhs, float(wrapper.scaling[name])))
    return out
