"""The fused RMSNorm equals transformers' GptOssRMSNorm, forward and backward (input and weight gradients)."""

from __future__ import annotations

import pytest
import torch

from wikigym.trainer.fast.norm import is_rms_norm, norm_forward


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.bfloat16, 2e-2)])
def test_fused_rms_norm_matches_transformers(dtype: torch.dtype, tol: float) -> None:
    from transformers.models.gpt_oss.modeling_gpt_oss import GptOssRMSNorm

    g = torch.Generator().manual_seed(0)
    ref = GptOssRMSNorm(48, eps=1e-5).to(dtype)
    with torch.no_grad():
        ref.weight.copy_((1 + 0.3 * torch.randn(48, generator=g)).to(dtype))
    assert is_rms_norm(ref)
    x = (3 * torch.randn(2, 7, 48, generator=g)).to(dtype).requires_grad_()
    up = torch.randn(2, 7, 48, generator=g).to(dtype)
    want = ref(x)
    dx_want, dw_want = torch.autograd.grad((want * up).sum(), [x, ref.weight])
    got = norm_forward(ref, x)
    dx_got, dw_got = torch.autograd.grad((got * up).sum(), [x, ref.weight])
    assert got.dtype == want.dtype
    for a, b in ((got, want), (dx_got, dx_want), (dw_got, dw_want)):
        assert float((a.float() - b.float()).abs().max()) <= tol * max(float(b.float().abs().max()), 1.0)


def test_frozen_weight_gets_no_gradient() -> None:
    from transformers.models.gpt_oss.modeling_gpt_oss import GptOssRMSNorm

    norm = GptOssRMSNorm(16).requires_grad_(False)
    x = torch.randn(5, 16, requires_grad=True)
    norm_forward(norm, x).sum().backward()
    assert x.grad is not None and norm.weight.grad is None
