"""Gradient checkpointing sized to the GPU (`wikigym.trainer.checkpointing`): which layers a plan recomputes, and the
memory model behind `gradient_checkpointing: auto` against the figures measured on an H100."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from wikigym.trainer import checkpointing as ckpt
from wikigym.trainer.checkpointing import apply_plan, layers_to_checkpoint, plan_callbacks, plan_checkpointing, spread

GIB = 2**30
FLEX = SimpleNamespace(attention="flex", moe="grouped_mm")  # a FastPathReport with the fast attention and experts


@pytest.fixture()
def tiny():
    from wikigym.trainer.config import ModelConfig, TinyModelConfig
    from wikigym.trainer.model import load_model

    return load_model(ModelConfig(name="tiny", dtype="float32", tiny=TinyModelConfig(num_hidden_layers=6)))


def test_spread_picks_evenly() -> None:
    for layers in (1, 2, 6, 24, 36):
        for count in range(1, layers + 1):
            picked = spread(layers, count)
            gaps = {b - a for a, b in zip(picked, picked[1:] + (picked[0] + layers,))}
            assert len(picked) == count and picked[0] == 0 and max(gaps) - min(gaps) <= 1
    assert spread(24, 12) == tuple(range(0, 24, 2))
    assert spread(24, 0) == () and spread(24, 99) == tuple(range(24))
    assert len(spread(24, 7)) == 7 and len(set(spread(24, 7))) == 7


def test_20b_on_an_h100_checkpoints_nothing_at_2048_and_everything_at_65536() -> None:
    """The 20b (24 layers, hidden 2880) with ~24 GiB left for activations, as on an 80 GB H100 once the weights,
    the LoRA's optimizer state, the loss chunk and the reserve are counted: measured there, 2,048 and 4,096 tokens ran
    without checkpointing (54 and 62 GiB peaks), 65,536 needed every layer checkpointed (69 GiB)."""
    counts = {t: layers_to_checkpoint(24, 2880, t, 24 * GIB) for t in (2048, 4096, 8192, 16384, 32768, 65536)}
    assert counts[2048] == counts[4096] == 0
    assert 0 < counts[8192] < counts[16384] < counts[32768] <= 24 and counts[65536] == 24
    assert layers_to_checkpoint(24, 2880, 2048, -GIB) == 24  # nothing left: every layer


def test_partial_plan_fits_what_it_promised() -> None:
    """Whatever it picks, the kept layers, the checkpointed layers' inputs and one recomputed layer fit."""
    for tokens in (3000, 8192, 12000, 20000, 32768):
        for gib in (6, 14, 28, 60):
            n = layers_to_checkpoint(24, 2880, tokens, gib * GIB)
            per = tokens * 2880 * ckpt.BYTES_PER_TOKEN_HIDDEN_LAYER
            if 0 < n < 24:
                recompute = ckpt.RECOMPUTE_SHARE * per
                assert (24 - n) * per + n * tokens * 2880 * 2 + recompute <= gib * GIB
                assert (24 - n + 1) * per + (n - 1) * tokens * 2880 * 2 + recompute > gib * GIB  # one fewer: no fit


def test_true_false_and_every(tiny) -> None:
    assert plan_checkpointing(tiny, True, 1, 2048).checkpointed == tuple(range(6))
    assert plan_checkpointing(tiny, True, 2, 2048).checkpointed == (0, 2, 4)
    off = plan_checkpointing(tiny, False, 1, 2048)
    assert not off.enabled and off.checkpointed == ()


def test_auto_checkpoints_every_layer_off_cuda_or_without_the_fast_path(tiny, monkeypatch) -> None:
    cpu = plan_checkpointing(tiny, "auto", 1, 2048, FLEX)
    assert cpu.checkpointed == tuple(range(6)) and "not on a CUDA device" in cpu.reason
    monkeypatch.setattr(ckpt, "device_memory", lambda model: (80 * GIB, 80 * GIB))
    eager = plan_checkpointing(tiny, "auto", 1, 2048, SimpleNamespace(attention="off: CUDA only", moe="grouped_mm"))
    assert eager.checkpointed == tuple(range(6)) and "attention or experts are off" in eager.reason


def test_auto_sizes_to_the_free_memory(tiny, monkeypatch) -> None:
    hidden, vocab = tiny.config.hidden_size, tiny.config.vocab_size
    tokens = 4096
    per_layer = tokens * hidden * ckpt.BYTES_PER_TOKEN_HIDDEN_LAYER
    trainable = sum(p.numel() * p.element_size() for p in tiny.parameters() if p.requires_grad)
    reserve = int(ckpt.RESERVE_SHARE * 80 * GIB) + ckpt.RESERVE_BYTES
    fixed = 3 * trainable + 2048 * vocab * ckpt.LOSS_BYTES_PER_LOGIT + reserve

    def plan(free: int):
        monkeypatch.setattr(ckpt, "device_memory", lambda model: (free, 80 * GIB))
        return plan_checkpointing(tiny, "auto", 1, tokens, FLEX, loss_chunk=2048)

    assert plan(fixed + 6 * per_layer).checkpointed == ()  # every layer's activations fit
    partial = plan(fixed + 4 * per_layer)
    assert 0 < len(partial.checkpointed) < 6 and "auto:" in partial.reason
    assert plan(fixed).checkpointed == tuple(range(6))
    assert partial.to_dict() == {"layers": 6, "checkpointed": len(partial.checkpointed), "reason": partial.reason}


def test_plan_applies_after_transformers_enables_every_layer(tiny) -> None:
    plan = plan_checkpointing(tiny, True, 3, 2048)
    assert apply_plan(tiny, plan) == 0  # checkpointing off stays off
    tiny.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    (callback,) = plan_callbacks(plan)
    callback.on_train_begin(None, None, None, model=tiny)
    assert [layer.gradient_checkpointing for layer in tiny.model.layers] == [True, False, False, True, False, False]
    assert plan_callbacks(plan_checkpointing(tiny, True, 1, 2048)) == []  # all layers: the trainer does it alone
    assert plan_callbacks(plan_checkpointing(tiny, False, 1, 2048)) == []


@pytest.mark.parametrize("value,expected", [("auto", "auto"), (True, True), ("false", False), ("true", True)])
def test_config_accepts_auto_and_booleans(value, expected) -> None:
    from wikigym.trainer.config import TrainConfig

    assert TrainConfig().gradient_checkpointing == "auto"
    assert TrainConfig(gradient_checkpointing=value).gradient_checkpointing == expected


def test_out_of_memory_under_a_partial_auto_plan_names_the_setting() -> None:
    import torch

    from wikigym.errors import ConfigError
    from wikigym.trainer.checkpointing import CheckpointPlan, explain_oom

    partial = CheckpointPlan(24, tuple(range(0, 24, 2)), "auto: 12 of 24 layers for 8192 tokens per micro-batch")
    with pytest.raises(ConfigError, match="gradient_checkpointing: true"), explain_oom(partial):
        raise torch.OutOfMemoryError("CUDA out of memory")
    for plan in (CheckpointPlan(24, tuple(range(24)), "auto: 24 of 24 layers"), CheckpointPlan(24, (), "false")):
        with pytest.raises(torch.OutOfMemoryError), explain_oom(plan):  # nothing to change: the error as it was
            raise torch.OutOfMemoryError("CUDA out of memory")
