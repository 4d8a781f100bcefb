"""Gradient checkpointing sized to the GPU: the fewest decoder layers recomputed in the backward that still fit.

Why: recomputing every layer's forward in the backward costs about a third of a step (the 20b on an H100 at 2,048
tokens: 12,466 tok/s without checkpointing, 7,506 with every layer checkpointed), but without it the activations of
every layer stay in memory until the backward, ~4 MiB per token for the 20b, which 80 GB holds only for short packs.
`gradient_checkpointing: auto` (the default) therefore measures the memory left once the model is on the GPU and
checkpoints as few layers as fit: none at 2,048 tokens, some at 8,192, all at 65,536 (on 80 GB). `true` checkpoints
every layer (every `checkpoint_every`-th with that set), `false` none.

The estimate, per micro-batch of T tokens on a model of L layers and hidden size H (calibrated on an H100 with the
20b, wikigym's fast path, against peaks measured from 2,048 to 65,536 tokens):
- a layer kept in memory: T * H * 72 bytes (measured 62 with compiled blocks, 69 eagerly);
- a checkpointed layer: its input, T * H * 2 bytes; and while one layer is recomputed, its activations and their
  gradients: 1.5x a kept layer (with 1x, the 65,536-token run peaked 2.4 GiB above the estimate; with 1.5x the
  estimate is 4 GiB above it);
- fixed: what is allocated now (weights, adapters), the gradients and AdamW states of the trainable parameters
  (3x their bytes), one chunk of the chunked loss's float32 logits and gradient (chunk * vocab * 10 bytes), and a
  reserve of 8% of the GPU plus 1 GiB for the allocator, the kernels' workspaces and the lengths not measured (the
  partial plans between 4,096 and 65,536 tokens were not run on a GPU when this was written).
It holds only for the fast path's attention and experts (no score matrix, no dense expert delta): with either off,
`auto` checkpoints every layer. Off CUDA there is no device memory to size against, so `auto` does the same.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

BYTES_PER_TOKEN_HIDDEN_LAYER = 72  # activations kept by one decoder layer, per token and hidden unit (bf16, fast path)
LOSS_BYTES_PER_LOGIT = 10  # one chunk's bf16 logits, their float32 copy and the float32 gradient
RECOMPUTE_SHARE = 1.5  # a layer being recomputed and backpropagated, against one kept layer
RESERVE_SHARE, RESERVE_BYTES = 0.08, 2**30


@dataclass(frozen=True)
class CheckpointPlan:
    """Which decoder layers recompute their forward in the backward, and why."""

    layers: int
    checkpointed: tuple[int, ...]
    reason: str

    @property
    def enabled(self) -> bool:
        return bool(self.checkpointed)

    def to_dict(self) -> dict[str, Any]:
        return {"layers": self.layers, "checkpointed": len(self.checkpointed), "reason": self.reason}


def spread(layers: int, count: int) -> tuple[int, ...]:
    """`count` of `layers` indices, evenly spaced from 0 (gaps differing by at most one)."""
    count = max(0, min(count, layers))
    return tuple(sorted({j * layers // count for j in range(count)})) if count else ()


def layers_to_checkpoint(layers: int, hidden: int, tokens: int, available: int) -> int:
    """How many of `layers` must be checkpointed for a micro-batch of `tokens` to fit in `available` bytes (beyond
    the fixed memory): 0 when every layer's activations fit, else the fewest that leave room for the kept layers, the
    checkpointed layers' inputs and one layer's recomputation."""
    kept = tokens * hidden * BYTES_PER_TOKEN_HIDDEN_LAYER
    if layers * kept <= available:
        return 0
    room = available - RECOMPUTE_SHARE * kept  # one layer recomputed at a time, with its gradients
    for keep in range(layers - 1, -1, -1):
        if keep * kept + (layers - keep) * tokens * hidden * 2 <= room:
            return layers - keep
    return layers


def decoder_layers(model: Any) -> list[Any]:
    """The modules transformers checkpoints one by one (each decoder layer)."""
    from transformers.modeling_layers import GradientCheckpointingLayer

    return [m for m in model.modules() if isinstance(m, GradientCheckpointingLayer)]


def device_memory(model: Any) -> tuple[int, int] | None:
    """(free, total) bytes of the GPU holding `model`, counting memory torch has cached but not allocated as free;
    None off CUDA."""
    import torch

    device = next(model.parameters()).device
    if device.type != "cuda":
        return None
    free, total = torch.cuda.mem_get_info(device)
    return free + torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device), total


def plan_checkpointing(model: Any, setting: bool | str, every: int, tokens: int, fast: Any = None,
                       loss_chunk: int = 2048) -> CheckpointPlan:
    """The plan for `train.gradient_checkpointing` = `setting` (True, False or "auto") on `model` as it will train
    (on its device, adapters attached, `fast` = its `FastPathReport`), for micro-batches of up to `tokens` tokens;
    its reason is logged."""
    plan = _plan(model, setting, every, tokens, fast, loss_chunk)
    log.info("gradient checkpointing: %s", plan.reason)
    return plan


def _plan(model: Any, setting: bool | str, every: int, tokens: int, fast: Any, loss_chunk: int) -> CheckpointPlan:
    n = len(decoder_layers(model))
    if setting is False or n == 0:
        return CheckpointPlan(n, (), "gradient_checkpointing: false" if n else "no decoder layers")
    if setting is True:
        picked = tuple(range(0, n, every))
        return CheckpointPlan(n, picked, "gradient_checkpointing: true" + (f", every {every}" if every > 1 else ""))
    fast_ok = fast is not None and fast.attention == "flex" and not str(fast.moe).startswith("off")
    memory = device_memory(model) if fast_ok else None
    if memory is None:
        why = "not on a CUDA device" if fast_ok else "the fast path's attention or experts are off"
        return CheckpointPlan(n, spread(n, n), f"auto: every layer ({why}: activation memory unknown)")
    free, total = memory
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    trainable = sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)
    loss = min(tokens, loss_chunk) * config.vocab_size * LOSS_BYTES_PER_LOGIT
    available = free - 3 * trainable - loss - int(RESERVE_SHARE * total) - RESERVE_BYTES
    count = layers_to_checkpoint(n, config.hidden_size, tokens, available)
    gib = available / 2**30
    return CheckpointPlan(n, spread(n, count), f"auto: {count} of {n} layers for {tokens} tokens per micro-batch "
                                               f"({gib:.1f} GiB for activations)")


def apply_plan(model: Any, plan: CheckpointPlan) -> int:
    """Leave checkpointing on for the planned layers only (after transformers switched it on for all of them, which
    it does when training starts); returns how many stay checkpointed."""
    layers = decoder_layers(model)
    for i, layer in enumerate(layers):
        layer.gradient_checkpointing = bool(layer.gradient_checkpointing) and i in plan.checkpointed
    return sum(bool(layer.gradient_checkpointing) for layer in layers)


def plan_callbacks(plan: CheckpointPlan) -> list[Any]:
    """A trainer callback applying `plan` when training starts, or none when every layer or none is checkpointed
    (what `TrainingArguments.gradient_checkpointing` = `plan.enabled` does by itself)."""
    if len(plan.checkpointed) in (0, plan.layers):
        return []
    from transformers import TrainerCallback

    class CheckpointLayers(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            done = apply_plan(model, plan)
            log.info("gradient checkpointing on %d of %d decoder layers", done, plan.layers)

    return [CheckpointLayers()]


@contextlib.contextmanager
def explain_oom(plan: CheckpointPlan) -> Iterator[None]:
    """Turn a GPU out-of-memory error under an `auto` plan that left layers unchecked into one line naming the
    setting to change (the estimate is calibrated, not exact); checkpoints already written stay, and a rerun
    resumes from them."""
    import torch

    try:
        yield
    except torch.OutOfMemoryError as e:
        if not plan.reason.startswith("auto") or len(plan.checkpointed) == plan.layers:
            raise
        from wikigym.errors import ConfigError

        raise ConfigError(f"out of memory with train.gradient_checkpointing: auto, which planned {plan.reason}; set "
                          "train.gradient_checkpointing: true (every layer recomputed) or a smaller train.max_length, "
                          "and rerun (it resumes from the last checkpoint)") from e
