"""gpt-oss attention (learned sinks, 128-token sliding window on alternating layers) without the score matrix.

gpt-oss adds one learned logit per head (the "sink") to every softmax row and drops its column after the softmax, so
`out = softmax([s, sink]) @ [V; 0]`. With FlashAttention-style kernels, which return the row's log-sum-exp `lse` of
the real scores, that is exactly `out_plain * sigmoid(lse - sink)`: the sink only rescales each row. We run PyTorch's
`flex_attention` (compiled Triton kernels, forward and backward, block-sparse masks) and fold the sink in through the
log-sum-exp in float32; autograd differentiates through `lse`, so gradients reach q, k and the sinks.

Masks are block masks built once per forward from `position_ids` (a new document starts wherever a position does not
follow its predecessor, the way TRL packs examples) and the padding mask (left or right padding): causal, same
document, and for sliding layers `q - k < window`. Nothing of size seq x seq is ever materialised.

`eager_sink_attention` is the reference (the materialised softmax of transformers' eager path, with the same masks);
tests and `patch.compare_with_eager` check the flex path against it.

What it does not do: attention with a KV cache (generation uses `decode.py`), dropout (gpt-oss trains without it).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

import torch

from wikigym.trainer.fast.compiled import fused

log = logging.getLogger(__name__)

_BLOCK = 128


def document_ids(position_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """[B, S] int32 document index per token (-1 on padding): a document starts where positions stop incrementing.

    Example:
        >>> document_ids(torch.tensor([[0, 1, 2, 0, 1, 0]])).tolist()
        [[0, 0, 0, 1, 1, 2]]
    """
    pos = position_ids
    start = torch.ones_like(pos, dtype=torch.bool)
    start[:, 1:] = pos[:, 1:] != pos[:, :-1] + 1
    doc = torch.cumsum(start.to(torch.int32), dim=1, dtype=torch.int32) - 1
    if attention_mask is not None:
        doc = torch.where(attention_mask.to(torch.bool), doc, torch.full_like(doc, -1))
    return doc


def eager_sink_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, sinks: torch.Tensor, scaling: float,
                         sliding_window: int | None, doc: torch.Tensor) -> torch.Tensor:
    """Reference: materialised scores, gpt-oss's sink column, the same masks. Returns [B, S, Hq, D] in q's dtype.

    q: [B, Hq, S, D]; k, v: [B, Hkv, S, D]; sinks: [Hq]; doc: [B, S] from `document_ids`.
    """
    b, hq, s, _ = q.shape
    rep = hq // k.shape[1]
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    scores = torch.matmul(q, k.transpose(2, 3)) * scaling
    qi = torch.arange(s, device=q.device)[:, None]
    ki = torch.arange(s, device=q.device)[None, :]
    allowed = (qi >= ki)[None] & (doc[:, :, None] == doc[:, None, :])
    if sliding_window:
        allowed = allowed & (qi - ki < sliding_window)[None]
    scores = scores.masked_fill(~allowed[:, None], torch.finfo(scores.dtype).min)
    sink = sinks.to(scores.dtype).reshape(1, -1, 1, 1).expand(b, -1, s, 1)
    logits = torch.cat([scores, sink], dim=-1)
    logits = logits - logits.max(dim=-1, keepdim=True).values
    probs = torch.softmax(logits, dim=-1)[..., :-1].to(v.dtype)
    return torch.matmul(probs, v).transpose(1, 2).contiguous()


@dataclass
class FlexMasks:
    """What the model's pre-forward hook hands every attention layer instead of a 4-D mask (one per forward)."""

    doc: torch.Tensor
    sliding_window: int
    padded_len: int
    _masks: dict[int | None, Any] = field(default_factory=dict)

    def block_mask(self, window: int | None) -> Any:
        """The (cached) BlockMask of this forward: causal and same-document, plus `q - k < window` if given."""
        if window not in self._masks:
            self._masks[window] = _make_block_mask(self.doc, window, self.padded_len)
        return self._masks[window]


def _make_block_mask(doc: torch.Tensor, window: int | None, padded_len: int) -> Any:
    from torch.nn.attention.flex_attention import create_block_mask

    b, s = doc.shape
    if padded_len > s:  # padding rows/cols: their own document, never seen by real tokens
        doc = torch.nn.functional.pad(doc, (0, padded_len - s), value=-2)

    def mask_mod(bi: Any, hi: Any, qi: Any, ki: Any) -> Any:
        keep = (qi >= ki) & (doc[bi, qi] == doc[bi, ki])
        if window:
            keep = keep & (qi - ki < window)
        return keep

    return create_block_mask(mask_mod, b, None, padded_len, padded_len, device=doc.device,
                             _compile=doc.device.type == "cuda")


@functools.lru_cache(maxsize=2)
def _flex(compiled: bool) -> Any:
    """flex_attention compiled (CUDA), or plain: the forward-only reference elsewhere, and the op a compiled region
    traces (it compiles the kernel with the rest of the region).

    The compiled kernel is specialised per grad mode, sequence length and window; DPO alone (reference forward
    without grad, policy with grad, chosen/rejected lengths, both layer kinds) passed dynamo's default limit of 8
    recompiles on an H100, after which flex_attention runs uncompiled (materialising scores). The limit is raised
    to 64 for the process."""
    from torch.nn.attention.flex_attention import flex_attention

    if not compiled:
        return flex_attention
    import torch._dynamo.config as dynamo_config

    for name in ("recompile_limit", "cache_size_limit"):  # the name changed across torch releases
        if hasattr(dynamo_config, name):
            setattr(dynamo_config, name, max(64, getattr(dynamo_config, name)))
    return torch.compile(flex_attention)


def flex_available(device: torch.device) -> tuple[bool, str]:
    """Whether the flex kernels can run on `device` (forward and backward), with the reason when not."""
    if device.type != "cuda":
        return False, f"flex_attention has no backward on {device.type} (torch {torch.__version__}); eager attention"
    try:
        from torch.nn.attention.flex_attention import AuxRequest, flex_attention  # noqa: F401
    except ImportError:
        return False, f"torch {torch.__version__} has no flex_attention AuxRequest (needs >= 2.9); eager attention"
    if torch.cuda.get_device_capability(device)[0] < 8:
        return False, "flex_attention needs an sm80+ GPU; eager attention"
    return True, ""


def padded_length(s: int) -> int:
    return -(-s // _BLOCK) * _BLOCK


def flex_sink_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, sinks: torch.Tensor, scaling: float,
                        block_mask: Any) -> torch.Tensor:
    """Flex attention with gpt-oss sinks folded in through the log-sum-exp. Returns [B, S, Hq, D].

    q: [B, Hq, S, D]; k, v: [B, Hkv, S, D]; `block_mask` built for the padded length (`padded_length(S)`).
    """
    from torch.nn.attention.flex_attention import AuxRequest

    s = q.shape[2]
    sp = padded_length(s)
    if sp != s:
        pad = (0, 0, 0, sp - s)
        q, k, v = (torch.nn.functional.pad(t, pad) for t in (q, k, v))
    flex = _flex(q.is_cuda and not torch.compiler.is_compiling())
    out, aux = flex(q, k, v, block_mask=block_mask, scale=scaling, enable_gqa=q.shape[1] != k.shape[1],
                    return_aux=AuxRequest(lse=True))
    return fused(_apply_sinks, q.is_cuda)(out, aux.lse, sinks, s)


def _apply_sinks(out: torch.Tensor, lse: torch.Tensor, sinks: torch.Tensor, s: int) -> torch.Tensor:
    """out * sigmoid(lse - sink) per row (lse: [B, Hq, Sp] float32, natural log), the first `s` rows, as
    [B, S, Hq, D]: one fused kernel each way on CUDA. Rows with no allowed key (padding) have lse = -inf: their
    factor is 0, never NaN."""
    factor = torch.sigmoid(lse - sinks.float().reshape(1, -1, 1))
    out = (out.float() * factor[..., None]).to(out.dtype)
    return out[:, :, :s].transpose(1, 2).contiguous()


def rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """gpt-oss's rotary embedding (transformers' `_apply_rotary_emb`: halves, not interleaved pairs); `cos`/`sin`
    broadcast against `x`'s leading dimensions and cover half its last one."""
    a, b = torch.chunk(x, 2, dim=-1)
    return torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)


def _rope_qk(q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor,
             sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return rope(q, cos, sin), rope(k, cos, sin)


def module_forward(self: Any, hidden_states: torch.Tensor, position_embeddings: tuple[torch.Tensor, torch.Tensor],
                   attention_mask: Any, cache: Any = None, **kwargs: Any) -> tuple[torch.Tensor, None]:
    """A drop-in `forward` for a `GptOssAttention` instance (bound by `apply_fast_path` with the flex kernels).

    transformers' forward runs the rotary embedding on q and k as ~7 small kernels each way per tensor; here both
    are one fused kernel each way, between the (PEFT-wrapped) projections and the flex kernels. Calls with a KV cache
    or without `FlexMasks` (cached generation) run transformers' own forward.
    """
    if cache is not None or kwargs.get("past_key_values") is not None or not isinstance(attention_mask, FlexMasks):
        return type(self).forward(self, hidden_states, position_embeddings, attention_mask, cache=cache, **kwargs)
    lead = hidden_states.shape[:-1]
    shape = (*lead, -1, self.head_dim)
    cos, sin = position_embeddings  # [B, S, D/2]
    q, k = fused(_rope_qk, hidden_states.is_cuda)(self.q_proj(hidden_states).view(shape),
                                                  self.k_proj(hidden_states).view(shape), cos[:, :, None],
                                                  sin[:, :, None])
    v = self.v_proj(hidden_states).view(shape)
    out = flex_sink_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), self.sinks, self.scaling,
                              attention_mask.block_mask(self.sliding_window))
    return self.o_proj(out.reshape(*lead, -1)), None


def attention_forward(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      attention_mask: Any, scaling: float, dropout: float = 0.0, **kwargs: Any) -> tuple[Any, None]:
    """transformers attention-interface function (registered as `wikigym_flex`).

    A `FlexMasks` mask (set by the model's pre-forward hook, training and scoring forwards without a cache) runs the
    flex kernels; anything else (a 4-D mask of a cached generation) goes to transformers' eager gpt-oss attention.
    """
    if isinstance(attention_mask, FlexMasks):
        window = getattr(module, "sliding_window", None) or kwargs.get("sliding_window")
        sinks = getattr(module, "sinks", None)
        if sinks is None:
            sinks = kwargs["s_aux"]
        out = flex_sink_attention(query, key, value, sinks, scaling, attention_mask.block_mask(window))
        return out, None
    from transformers.models.gpt_oss.modeling_gpt_oss import eager_attention_forward

    return eager_attention_forward(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout,
                                   **kwargs)


IMPLEMENTATION = "wikigym_flex"


def register() -> None:
    """Register `wikigym_flex` with transformers' attention and mask interfaces (eager masks for cached calls)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface

    AttentionInterface.register(IMPLEMENTATION, attention_forward)
    AttentionMaskInterface.register(IMPLEMENTATION, ALL_MASK_ATTENTION_FUNCTIONS["eager"])
