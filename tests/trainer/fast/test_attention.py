"""Flex attention with sinks (packed documents, sliding window) against the materialised eager reference."""

from __future__ import annotations

import pytest
import torch

from wikigym.trainer.fast.attention import (
    FlexMasks,
    document_ids,
    eager_sink_attention,
    flex_sink_attention,
    padded_length,
)

from .conftest import needs_cuda


def _case(device: str, dtype: torch.dtype, s: int = 150, hq: int = 4, hkv: int = 2, d: int = 16, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(2, h, s, d, generator=g).to(device, dtype) for h in (hq, hkv, hkv))
    sinks = torch.randn(hq, generator=g).to(device, dtype)
    cut = s // 3
    pos = torch.cat([torch.arange(cut), torch.arange(s - cut)])[None].repeat(2, 1)  # row 0: two packed documents
    pos[1] = torch.arange(s)
    mask = torch.ones(2, s, dtype=torch.long)
    mask[1, -7:] = 0  # row 1: right padding
    return q, k, v, sinks, document_ids(pos.to(device), mask.to(device)), mask.to(device)


def test_document_ids_from_positions_and_padding() -> None:
    pos = torch.tensor([[0, 1, 2, 0, 1, 2, 3, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 0]])
    assert document_ids(pos, mask).tolist() == [[0, 0, 0, 1, 1, 1, 1, -1]]


def test_eager_reference_is_transformers_eager_on_one_sequence() -> None:
    from types import SimpleNamespace

    from transformers.models.gpt_oss.modeling_gpt_oss import eager_attention_forward

    q, k, v, sinks, _, _ = _case("cpu", torch.float64, s=20)
    doc = torch.zeros(2, 20, dtype=torch.int32)
    causal = torch.full((20, 20), float("-inf"), dtype=torch.float64).triu(1)[None, None]
    module = SimpleNamespace(num_key_value_groups=2, sinks=sinks, training=False)
    ref, _ = eager_attention_forward(module, q, k, v, causal, scaling=0.25)
    ours = eager_sink_attention(q, k, v, sinks, 0.25, None, doc)
    assert torch.allclose(ours, ref, atol=1e-12)


@pytest.mark.parametrize("window", [None, 16])
def test_flex_forward_matches_eager_cpu(window: int | None) -> None:
    q, k, v, sinks, doc, mask = _case("cpu", torch.float32)
    fm = FlexMasks(doc, 16, padded_length(q.shape[2]))
    out = flex_sink_attention(q, k, v, sinks, 0.25, fm.block_mask(window))
    ref = eager_sink_attention(q, k, v, sinks, 0.25, window, doc)
    valid = mask.bool()
    assert float((out - ref)[valid].abs().max()) < 1e-5


@needs_cuda
@pytest.mark.parametrize("window", [None, 128])
def test_flex_forward_backward_matches_eager_cuda(window: int | None) -> None:
    q, k, v, sinks, doc, mask = _case("cuda", torch.bfloat16, s=700, hq=8, hkv=2, d=64)
    leaves = [t.detach().float().requires_grad_() for t in (q, k, v, sinks)]
    fm = FlexMasks(doc, 128, padded_length(q.shape[2]))
    out = flex_sink_attention(*[t.to(torch.bfloat16) for t in leaves], 0.125, fm.block_mask(window)).float()
    ref = eager_sink_attention(*leaves, 0.125, window, doc)
    valid = mask.bool()
    up = torch.randn_like(ref) * valid[:, :, None, None]
    g_out = torch.autograd.grad((out * up).sum(), leaves)
    g_ref = torch.autograd.grad((ref * up).sum(), leaves)
    assert float((out - ref)[valid].norm() / ref[valid].norm()) < 2e-2
    for a, b in zip(g_out, g_ref):
        assert float((a - b).norm() / b.norm()) < 3e-2


def test_fused_rope_module_forward_equals_transformers_forward_cpu() -> None:
    """The attention module's forward with the fused rotary embedding gives transformers' forward (through the same
    flex kernels), and hands cached calls to transformers' forward."""
    from wikigym.trainer.fast.attention import IMPLEMENTATION, FlexMasks, module_forward, register
    from wikigym.trainer.fast.patch import causal_lm

    from .conftest import tiny_lora_model

    lm = causal_lm(tiny_lora_model(dtype="float32", device="cpu", sliding_window=16))
    register()
    lm.config._attn_implementation = IMPLEMENTATION
    attn = lm.model.layers[0].self_attn
    torch.manual_seed(0)
    x = torch.randn(1, 40, lm.config.hidden_size)
    pos = torch.cat([torch.arange(25), torch.arange(15)])[None]
    cos_sin = lm.model.rotary_emb(x, pos)
    fm = FlexMasks(document_ids(pos), 16, padded_length(40))
    with torch.no_grad():  # flex attention has no backward on CPU
        ref, _ = type(attn).forward(attn, x, cos_sin, fm)
        out, _ = module_forward(attn, x, cos_sin, fm)
        plain = module_forward(attn, x, cos_sin, None)[0], type(attn).forward(attn, x, cos_sin, None)[0]
    assert torch.allclose(out, ref, atol=1e-5, rtol=1e-5)
    assert torch.equal(*plain) and not torch.allclose(plain[0], out, atol=1e-3)  # unmasked: transformers' path
