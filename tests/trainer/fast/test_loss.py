"""Chunked cross-entropy equals the full-logits cross-entropy, in value and in gradients."""

from __future__ import annotations

import pytest
import torch

from wikigym.trainer.fast.loss import causal_lm_loss, chunked_cross_entropy


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunked_ce_matches_full_ce_and_grads(chunk: int) -> None:
    g = torch.Generator().manual_seed(chunk)
    h = torch.randn(50, 16, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(301, 16, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 301, (50,), generator=g)
    y[::5] = -100
    ref = torch.nn.functional.cross_entropy(h @ w.t(), y, ignore_index=-100)
    gh_ref, gw_ref = torch.autograd.grad(ref, (h, w))
    out = chunked_cross_entropy(h, w, y, chunk=chunk)
    gh, gw = torch.autograd.grad(out * 1.0, (h, w))
    assert abs(float(out) - float(ref)) < 1e-10
    assert torch.allclose(gh, gh_ref, atol=1e-10) and torch.allclose(gw, gw_ref, atol=1e-10)


def test_num_items_in_batch_and_upstream_grad_scale() -> None:
    h = torch.randn(12, 8, dtype=torch.float64, requires_grad=True)
    w = torch.randn(20, 8, dtype=torch.float64)
    y = torch.randint(0, 20, (12,))
    ref = torch.nn.functional.cross_entropy(h @ w.t(), y, reduction="sum") / 30
    out = chunked_cross_entropy(h, w, y, chunk=5, num_items_in_batch=30)
    (g_ref,) = torch.autograd.grad(3 * ref, h)
    (g,) = torch.autograd.grad(3 * out, h)
    assert abs(float(out) - float(ref)) < 1e-12 and torch.allclose(g, g_ref, atol=1e-12)


def test_causal_lm_loss_shifts_like_transformers() -> None:
    from transformers.loss.loss_utils import ForCausalLMLoss

    h = torch.randn(2, 9, 8, dtype=torch.float64)
    w = torch.randn(30, 8, dtype=torch.float64)
    labels = torch.randint(0, 30, (2, 9))
    labels[0, :3] = -100
    ref = ForCausalLMLoss(h @ w.t(), labels, vocab_size=30)
    assert abs(float(causal_lm_loss(h, w, labels, chunk=4)) - float(ref)) < 1e-5  # transformers computes in float32


def test_bad_shapes_are_one_clear_error() -> None:
    with pytest.raises(ValueError, match="hidden \\[N, H\\]"):
        chunked_cross_entropy(torch.randn(2, 3, 4), torch.randn(5, 4), torch.zeros(6, dtype=torch.long))
