"""apply_fast_path on the tiny gpt-oss + PEFT LoRA (and without PEFT, for full fine-tuning): same outputs and
gradients as the unpatched model."""

from __future__ import annotations

import pytest
import torch

from wikigym.trainer.fast.patch import (
    FastPathOptions,
    apply_fast_path,
    causal_lm,
    compare_with_eager,
    fast_path_report,
    remove_fast_path,
)

from .conftest import compile_fused_on_cpu, needs_cpu_bf16_grouped_mm, needs_cuda, tiny_lora_model


def _batch(device: str = "cpu", packed: bool = True) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(0, 5000, (2, 48), generator=g)
    labels = ids.clone()
    labels[:, :6] = -100
    batch = {"input_ids": ids, "labels": labels}
    if packed:
        batch["position_ids"] = torch.cat([torch.arange(20), torch.arange(28)])[None].repeat(2, 1)
    return {k: v.to(device) for k, v in batch.items()}


def _checkpointed(model, on: bool):
    """`model` in training mode with transformers' non-reentrant gradient checkpointing, as the trainer runs it."""
    if on:
        model.train()
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model


def test_patched_equals_eager_cpu(tiny_lora) -> None:
    for backend in ("segment", "grouped_mm"):
        r = compare_with_eager(tiny_lora, _batch(packed=backend == "segment"), FastPathOptions(moe_backend=backend))
        assert r["fast_path"]["moe"] == backend and r["fast_path"]["loss"] == "chunked"
        assert r["fast_path"]["norm"] == "fused"
        assert r["fast_path"]["attention"].startswith("off: flex_attention has no backward on cpu")
        assert r["hidden_max_abs_err"] < 1e-4 and r["loss_abs_err"] < 1e-5
        assert r["grad_rel_err"] < 1e-5 and r["grads_compared"] == 24 and not r["grads_missing"]

def test_patched_equals_eager_under_checkpointing_cpu() -> None:
    """The trainer's configuration: transformers' non-reentrant gradient checkpointing around every patched layer."""
    model = _checkpointed(tiny_lora_model(), True)
    r = compare_with_eager(model, _batch(packed=True), FastPathOptions(moe_backend="segment"))
    assert r["loss_abs_err"] < 1e-5 and r["grad_rel_err"] < 1e-5 and r["grads_compared"] == 24

def test_fused_functions_compiled_under_checkpointing_cpu(monkeypatch, caplog) -> None:
    """The fast path as it runs on CUDA, where the small elementwise chains (`compiled.fused`: the experts' epilogue and
    k-slot combine, RMSNorm's forward and backward) are compiled, here compiled on CPU, under the trainer's
    checkpointing: equal to eager, and nothing falls back. The recomputation's early stop raises inside whichever
    compiled function saves a tensor last; when the fallback swallowed it, every checkpointed step failed on the
    H100."""
    import logging

    from wikigym.trainer.fast import attention, moe, norm

    compiled = compile_fused_on_cpu(monkeypatch, attention, moe, norm)
    model = _checkpointed(tiny_lora_model(), True)
    with caplog.at_level(logging.WARNING):
        r = compare_with_eager(model, _batch(packed=True), FastPathOptions(moe_backend="segment"))
    assert "failed" not in caplog.text and len(compiled._CACHE) >= 3
    assert r["loss_abs_err"] < 1e-5 and r["grad_rel_err"] < 1e-5 and r["grads_compared"] == 24


def test_full_finetuning_without_peft_cpu() -> None:
    """`lora: null` SFT patches the bare causal LM: the grouped experts return the base expert weights' gradients
    (and every other parameter's), equal to eager's, and on CPU attention falls back as with LoRA."""
    from wikigym.trainer.config import ModelConfig, TinyModelConfig
    from wikigym.trainer.model import load_model

    model = load_model(ModelConfig(name="tiny", dtype="float32", tiny=TinyModelConfig(sliding_window=8)))
    model.requires_grad_(True)
    n_params = len(list(model.parameters()))
    for backend in ("segment", "grouped_mm"):
        r = compare_with_eager(model, _batch(packed=backend == "segment"), FastPathOptions(moe_backend=backend))
        assert r["fast_path"]["moe"] == backend and r["fast_path"]["loss"] == "chunked"
        assert r["fast_path"]["attention"].startswith("off: flex_attention has no backward on cpu")
        assert r["loss_abs_err"] < 1e-5 and r["grad_rel_err"] < 1e-5
        assert r["grads_compared"] == n_params and not r["grads_missing"]  # expert weights, biases, lm_head included
        assert r["fast_path"]["norm"] == "fused"  # so the norm weights' gradients above came from the fused backward
    assert fast_path_report(model) is None


def test_disabled_adapter_and_remove(tiny_lora) -> None:
    batch = _batch(packed=False)
    with torch.no_grad():
        plain = tiny_lora(**batch).loss
        with tiny_lora.disable_adapter():
            base = tiny_lora(**batch).loss
        apply_fast_path(tiny_lora, FastPathOptions(moe_backend="segment"))
        assert fast_path_report(tiny_lora) is not None
        fast = tiny_lora(**batch).loss
        with tiny_lora.disable_adapter():  # DPO's reference: LoRA off inside the grouped experts too
            fast_base = tiny_lora(**batch).loss
        remove_fast_path(tiny_lora)
        assert fast_path_report(tiny_lora) is None
        assert not any("forward" in m.__dict__ for m in tiny_lora.modules())  # experts and norms restored
        again = tiny_lora(**batch)
    assert abs(float(plain) - float(base)) > 1e-4  # the LoRA matters, so the next check can fail
    assert abs(float(fast) - float(plain)) < 1e-5 and abs(float(fast_base) - float(base)) < 1e-5
    assert again.logits is not None and abs(float(again.loss) - float(plain)) < 1e-6


def test_adapter_state_dict_unchanged(tiny_lora) -> None:
    from peft import get_peft_model_state_dict

    before = set(get_peft_model_state_dict(tiny_lora))
    apply_fast_path(tiny_lora)
    after = set(get_peft_model_state_dict(tiny_lora))
    remove_fast_path(tiny_lora)
    assert before == after and any("experts" in k for k in before)


def test_non_gpt_oss_is_left_alone() -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    m = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                     num_attention_heads=2, num_key_value_heads=1))
    report = apply_fast_path(m)
    assert report.moe == "off" and "not gpt_oss" in report.notes[0]


@needs_cuda
@pytest.mark.parametrize("checkpointing", [False, True])
def test_patched_equals_eager_cuda_bf16_packed(checkpointing: bool) -> None:
    """With checkpointing too: the recomputation's early stop raises inside the compiled fused functions (it broke
    every checkpointed step on the H100 once the MoE combine was one)."""
    model = _checkpointed(tiny_lora_model(dtype="bfloat16", device="cuda", sliding_window=16), checkpointing)
    r = compare_with_eager(model, _batch("cuda", packed=True))
    assert r["fast_path"]["attention"] == "flex" and r["fast_path"]["moe"] == "grouped_mm"
    assert r["loss_abs_err"] < 2e-2 and r["grad_rel_err"] < 5e-2


@needs_cuda
@pytest.mark.parametrize("checkpointing", [False, True])
def test_compiled_layers_equal_eager_cuda_bf16_packed(checkpointing: bool) -> None:
    model = _checkpointed(tiny_lora_model(dtype="bfloat16", device="cuda", sliding_window=16), checkpointing)
    r = compare_with_eager(model, _batch("cuda", packed=True), FastPathOptions(compile_layers=True))
    assert r["fast_path"]["compile"] == "compiled"
    assert r["loss_abs_err"] < 2e-2 and r["grad_rel_err"] < 5e-2


@pytest.mark.parametrize("checkpointing", [False, True])
@pytest.mark.parametrize("dtype,backend", [pytest.param("bfloat16", "grouped_mm", marks=needs_cpu_bf16_grouped_mm),
                                           ("float32", "segment")])
def test_compiled_blocks_with_peft_lora_cpu(caplog, checkpointing: bool, dtype: str, backend: str) -> None:
    """Two H100 failures, on CPU. Every compiled layer fell back to eager on the LoRA operands' layout: here each
    attention and MoE block is under inductor, grouped-GEMM experts with PEFT's LoRA inside, without a fallback. And a
    compiled decoder layer ran eagerly under transformers' gradient checkpointing (dynamo does not enter
    `torch.utils.checkpoint`): here the blocks compile inside the checkpointed layer too (dynamo captured graphs).
    The loss and LoRA gradients are the eager fast path's: to float32 rounding in float32; in bf16 only the loss is
    compared, as the tiny random router's near-ties flip experts under any change of rounding (up to ~15% on one
    layer's expert LoRA gradients, where float32 agrees to 1e-6)."""
    import logging

    from torch._dynamo.utils import counters

    from wikigym.trainer.fast.patch import _compiled_call, compiled_blocks

    model = _checkpointed(tiny_lora_model(dtype=dtype), checkpointing)
    blocks = compiled_blocks(causal_lm(model))
    params = [p for n, p in model.named_parameters() if p.requires_grad]
    batch = _batch(packed=False)
    assert apply_fast_path(model, FastPathOptions(moe_backend=backend)).moe == backend
    runs = []
    torch._dynamo.reset()
    counters.clear()
    try:
        for compiled in (False, True):
            for block in blocks:
                block._compiled_call_impl = _compiled_call(block) if compiled else None
            with caplog.at_level(logging.WARNING):
                loss = model(**batch, use_cache=False).loss
                runs.append((loss.detach().float(), torch.autograd.grad(loss, params)))
    finally:
        for block in blocks:
            block._compiled_call_impl = None
        remove_fast_path(model)
    assert "failed" not in caplog.text
    assert counters["stats"]["unique_graphs"] >= 2  # the attention block and the MoE block, at least
    (eager_loss, eager_grads), (loss, grads) = runs
    assert abs(loss - eager_loss) < (2e-2 if dtype == "bfloat16" else 1e-5)
    if dtype == "float32":
        for a, b in zip(grads, eager_grads):
            assert (a - b).abs().max() <= 1e-4 * b.abs().max() + 1e-7


def _lengths_batch(length: int, device: str = "cpu", packed: bool = False) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(length)
    ids = torch.randint(0, 5000, (1, length), generator=g)
    batch = {"input_ids": ids, "labels": ids.clone()}
    if packed:  # two packed examples, as TRL's padding-free packing makes them
        batch["position_ids"] = torch.cat([torch.arange(length // 3), torch.arange(length - length // 3)])[None]
    return {k: v.to(device) for k, v in batch.items()}


def _losses_by_length(model, lengths, device: str, packed: bool, compile_blocks: bool) -> list[float]:
    """Forward + backward of `model` at each length (compiled blocks set by hand: on CPU `apply_fast_path` leaves
    them off), returning the losses."""
    from wikigym.trainer.fast.patch import _compiled_call, compiled_blocks

    blocks = compiled_blocks(causal_lm(model))
    for block in blocks:
        block._compiled_call_impl = _compiled_call(block) if compile_blocks else None
    try:
        losses = []
        for length in lengths:
            loss = model(**_lengths_batch(length, device, packed), use_cache=False).loss
            loss.backward()
            losses.append(float(loss.detach()))
        return losses
    finally:
        for block in blocks:
            block._compiled_call_impl = None


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=needs_cuda)])
def test_compiled_blocks_follow_changing_sequence_lengths(caplog, device: str) -> None:
    """`compile_layers` is on by default, and a trainer's packs change length every step: the compiled blocks must
    neither fall back nor recompile per length (dynamo turns the length dynamic at the second one), and keep the
    eager fast path's losses."""
    import logging

    from torch._dynamo.utils import counters

    dtype = "bfloat16" if device == "cuda" else "float32"
    model = _checkpointed(tiny_lora_model(dtype=dtype, device=device if device == "cuda" else None,
                                          sliding_window=16), True)
    apply_fast_path(model, FastPathOptions(moe_backend="grouped_mm" if device == "cuda" else "segment"))
    lengths = [64, 96, 150, 77, 203, 128]
    torch._dynamo.reset()
    counters.clear()
    try:
        eager = _losses_by_length(model, lengths, device, device == "cuda", compile_blocks=False)
        with caplog.at_level(logging.WARNING):
            first = _losses_by_length(model, lengths[:3], device, device == "cuda", compile_blocks=True)
            graphs = counters["stats"]["unique_graphs"]
            rest = _losses_by_length(model, lengths[3:], device, device == "cuda", compile_blocks=True)
    finally:
        remove_fast_path(model)
    assert "failed" not in caplog.text and "recompile_limit" not in caplog.text
    assert graphs >= 2 and counters["stats"]["unique_graphs"] == graphs  # three more lengths, no new graph
    tol = 2e-2 if dtype == "bfloat16" else 1e-5
    assert all(abs(a - b) < tol for a, b in zip(first + rest, eager)), (first + rest, eager)


def test_compile_layers_is_cuda_only(tiny_lora) -> None:
    report = apply_fast_path(tiny_lora, FastPathOptions(compile_layers=True))
    try:
        assert report.compile == "off: CUDA only"
        assert all(module._compiled_call_impl is None for module in causal_lm(tiny_lora).modules())
    finally:
        remove_fast_path(tiny_lora)


def test_compiled_block_falls_back_to_eager_once_and_lets_oom_through(monkeypatch, caplog) -> None:
    from wikigym.trainer.fast.patch import _compiled_call

    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("no compiler here\nlong trace")

    layer = torch.nn.Linear(3, 2)
    x = torch.randn(4, 3)
    monkeypatch.setattr(torch, "compile", lambda fn, **kw: broken)
    call = _compiled_call(layer)
    assert torch.equal(call(x), layer._call_impl(x)) and torch.equal(call(x), layer._call_impl(x))
    assert len(calls) == 1 and "compiling Linear failed (RuntimeError: no compiler here)" in caplog.text

    def oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(torch, "compile", lambda fn, **kw: oom)
    with pytest.raises(torch.OutOfMemoryError):
        _compiled_call(layer)(x)
