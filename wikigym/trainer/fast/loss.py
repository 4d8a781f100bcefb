"""Chunked cross-entropy over gpt-oss's 201k vocabulary: the loss from hidden states and the LM head, no full logits.

At 32,768 tokens the float32 logits alone would be 26 GB (and their gradient as much again). `chunked_cross_entropy`
walks the tokens in chunks: for each chunk it forms the logits in float32, takes log-sum-exp and the target logit, and
computes the gradient with respect to the hidden states (`(softmax - onehot) @ W`) right away, keeping only that
([N, H]) for backward. Peak extra memory is one chunk of logits. The LM head's weight gets its gradient too when it
requires one (full fine-tuning); with LoRA it is frozen and skipped.

What it does not do: label smoothing, z-loss, or logits for metrics (TRL's fused LM head covers its trainers).
"""

from __future__ import annotations

from typing import Any

import torch

IGNORE_INDEX = -100


class _ChunkedCE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, chunk: int,
                denom: float) -> torch.Tensor:
        n = hidden.shape[0]
        acc = torch.promote_types(hidden.dtype, torch.float32)  # float32 logits, float64 when given float64
        total = torch.zeros((), dtype=acc, device=hidden.device)
        grad_h = torch.empty_like(hidden) if hidden.requires_grad else None
        grad_w = torch.zeros_like(weight, dtype=acc) if weight.requires_grad else None
        for start in range(0, n, chunk):
            h = hidden[start:start + chunk]
            y = labels[start:start + chunk]
            valid = y != IGNORE_INDEX
            safe = torch.where(valid, y, torch.zeros_like(y))
            logits = (h @ weight.t()).to(acc)
            lse = torch.logsumexp(logits, dim=-1)
            target = logits.gather(1, safe[:, None]).squeeze(1)
            total += ((lse - target) * valid).sum()
            if grad_h is None and grad_w is None:
                continue
            probs = torch.exp(logits - lse[:, None])
            probs.scatter_add_(1, safe[:, None], -torch.ones_like(probs[:, :1]))
            probs *= (valid.to(acc) / denom)[:, None]
            if grad_h is not None:
                grad_h[start:start + chunk] = (probs.to(weight.dtype) @ weight).to(hidden.dtype)
            if grad_w is not None:
                grad_w += probs.t() @ h.to(acc)
            del logits, probs
        ctx.save_for_backward(grad_h if grad_h is not None else torch.empty(0),
                              grad_w if grad_w is not None else torch.empty(0))
        ctx.has = (grad_h is not None, grad_w is not None)
        ctx.weight_dtype = weight.dtype
        return total / denom

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:
        grad_h, grad_w = ctx.saved_tensors
        gh = grad_h * grad_out.to(grad_h.dtype) if ctx.has[0] else None
        gw = (grad_w * grad_out).to(ctx.weight_dtype) if ctx.has[1] else None
        return gh, gw, None, None, None


def chunked_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, chunk: int = 2048,
                          num_items_in_batch: int | torch.Tensor | None = None) -> torch.Tensor:
    """Mean token cross-entropy of `hidden @ weight.T` against `labels` (-100 ignored), without full logits.

    hidden: [N, H] (already aligned with `labels`: shift before calling); weight: [V, H]; labels: [N].
    `num_items_in_batch` (transformers' gradient-accumulation normaliser) replaces the count of valid labels.

    Example:
        >>> h, w = torch.randn(5, 8), torch.randn(11, 8)
        >>> y = torch.tensor([1, 2, -100, 4, 5])
        >>> ref = torch.nn.functional.cross_entropy(h @ w.t(), y)
        >>> bool(torch.allclose(chunked_cross_entropy(h, w, y, chunk=2), ref, atol=1e-6))
        True
    """
    if hidden.dim() != 2 or labels.dim() != 1 or hidden.shape[0] != labels.shape[0]:
        raise ValueError(f"chunked_cross_entropy wants hidden [N, H] and labels [N]; got {tuple(hidden.shape)} "
                         f"and {tuple(labels.shape)}")
    if num_items_in_batch is None:
        denom = float(max(int((labels != IGNORE_INDEX).sum()), 1))
    else:
        denom = float(num_items_in_batch.item() if torch.is_tensor(num_items_in_batch) else num_items_in_batch)
    return _ChunkedCE.apply(hidden, weight, labels, chunk, denom)


def causal_lm_loss(hidden: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, chunk: int = 2048,
                   num_items_in_batch: int | torch.Tensor | None = None) -> torch.Tensor:
    """transformers' causal-LM loss (labels shifted left by one, -100 ignored) from hidden states [B, S, H]."""
    b, s, h = hidden.shape
    shifted = torch.nn.functional.pad(labels, (0, 1), value=IGNORE_INDEX)[:, 1:]
    return chunked_cross_entropy(hidden.reshape(b * s, h), weight, shifted.reshape(-1).to(hidden.device), chunk,
                                 num_items_in_batch)
