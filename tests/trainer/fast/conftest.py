"""Shared fixtures: the tiny gpt-oss (hidden 64, 2 layers, 4 experts) with a LoRA whose B factors are non-zero."""

from __future__ import annotations

import pytest
import torch

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="GPU path: needs CUDA (flex_attention backward, bf16 grouped GEMM, graphs)")


def _cpu_bf16_grouped_mm() -> str:
    """Why this torch build cannot run bf16 `_grouped_mm` on the CPU, or "" (compiled-layer checks need it there)."""
    try:
        torch._grouped_mm(torch.ones(16, 16, dtype=torch.bfloat16), torch.ones(1, 16, 16, dtype=torch.bfloat16),
                          offs=torch.tensor([16], dtype=torch.int32))
    except (RuntimeError, AttributeError) as e:
        return f"no bf16 _grouped_mm on this CPU build: {e}"
    return ""


_NO_CPU_BF16_GROUPED_MM = _cpu_bf16_grouped_mm()
needs_cpu_bf16_grouped_mm = pytest.mark.skipif(bool(_NO_CPU_BF16_GROUPED_MM), reason=_NO_CPU_BF16_GROUPED_MM or "-")


def compile_fused_on_cpu(monkeypatch, *modules):
    """Make `compiled.fused` compile on CPU too for `modules` (they call `fused(fn, x.is_cuda)`), as it does on CUDA,
    with an empty cache; returns the `compiled` module, whose `_CACHE` then holds what was compiled."""
    from wikigym.trainer.fast import compiled

    monkeypatch.setattr(compiled, "_CACHE", {})
    for module in modules:
        monkeypatch.setattr(module, "fused", lambda fn, enabled=True: compiled.fused(fn, True))
    return compiled


def tiny_lora_model(dtype: str = "float32", device: str | None = None, sliding_window: int = 8, seed: int = 0):
    from wikigym.trainer.config import LoraConfig, ModelConfig, TinyModelConfig
    from wikigym.trainer.model import attach_lora, load_model

    model = load_model(ModelConfig(name="tiny", dtype=dtype, seed=seed, tiny=TinyModelConfig(sliding_window=sliding_window)),
                       device_map=device)
    model = attach_lora(model, LoraConfig())
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:  # a fresh LoRA is zero: make the deltas real so the tests see them
                p.copy_((torch.randn(p.shape, generator=g) * 0.05).to(p.dtype))
    return model


@pytest.fixture(scope="module")
def tiny_lora():
    return tiny_lora_model()
