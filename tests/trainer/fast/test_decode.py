"""DecodeEngine: greedy tokens equal transformers' generate; continuous batching across threads and lengths."""

from __future__ import annotations

import threading

import pytest
import torch

from .conftest import compile_fused_on_cpu, needs_cuda


@pytest.fixture(scope="module")
def tiny_plain():
    from wikigym.trainer.config import ModelConfig, TinyModelConfig
    from wikigym.trainer.model import load_model

    return load_model(ModelConfig(name="tiny", dtype="float32", tiny=TinyModelConfig(sliding_window=8))).eval()


def _hf_greedy(model, prompt: list[int], n: int) -> list[int]:
    device = next(model.parameters()).device
    out = model.generate(torch.tensor([prompt], device=device), max_new_tokens=n, min_new_tokens=n,
                         do_sample=False, eos_token_id=None, pad_token_id=0)
    return out[0, len(prompt):].tolist()


PROMPTS = [list(range(5, 25)), [9] * 3, list(range(7, 50)), list(range(300, 330)), [1, 2, 3, 4, 5, 6, 7]]


def test_greedy_equals_transformers_generate_with_more_prompts_than_slots(tiny_plain) -> None:
    from wikigym.trainer.fast.decode import DecodeEngine

    engine = DecodeEngine(tiny_plain, max_batch=2, max_len=96, min_len_bucket=16)
    out = engine.generate(PROMPTS, max_new_tokens=12, temperature=0)
    assert out == [_hf_greedy(tiny_plain, p, 12) for p in PROMPTS]


def test_greedy_equals_generate_with_every_fused_function_compiled(tiny_plain, monkeypatch, caplog) -> None:
    """The engine as it runs on CUDA, where its own fused pieces (RMSNorm, RoPE, the sink softmax) and the MoE's
    (routing plan, projection epilogues, k-slot combine) are compiled: here all of them compiled on CPU, and the
    greedy tokens still equal transformers' generate, with nothing falling back."""
    import logging

    from wikigym.trainer.fast import moe
    from wikigym.trainer.fast.decode import DecodeEngine

    compiled = compile_fused_on_cpu(monkeypatch, moe)
    with caplog.at_level(logging.WARNING):
        engine = DecodeEngine(tiny_plain, max_batch=2, max_len=96, min_len_bucket=16, compile=True)
        out = engine.generate(PROMPTS[:3], max_new_tokens=8, temperature=0)
    assert "failed" not in caplog.text and len(compiled._CACHE) >= 6
    assert out == [_hf_greedy(tiny_plain, p, 8) for p in PROMPTS[:3]]


def test_prefill_together_with_one_request_done_at_once(tiny_plain) -> None:
    """All prompts are prefilled in one forward; one stops on its first token, so the later ones' caches move down a
    slot, and every answer still equals generate's (cut at the stop token)."""
    from wikigym.trainer.fast.decode import DecodeEngine

    refs = [_hf_greedy(tiny_plain, p, 10) for p in PROMPTS]
    stop = refs[1][0]
    want = [r[:r.index(stop) + 1] if stop in r else r for r in refs]
    engine = DecodeEngine(tiny_plain, max_batch=len(PROMPTS), max_len=96, min_len_bucket=16)
    assert engine.generate(PROMPTS, max_new_tokens=10, temperature=0, stop_ids=[stop]) == want
    assert want[1] == [stop]


def test_continuous_batching_from_threads_with_stops(tiny_plain) -> None:
    from wikigym.trainer.fast.decode import DecodeEngine

    engine = DecodeEngine(tiny_plain, max_batch=3, max_len=96, min_len_bucket=16)
    refs = [_hf_greedy(tiny_plain, p, 4 + 3 * i) for i, p in enumerate(PROMPTS)]
    results: dict[int, list[int]] = {}

    def one(i: int) -> None:
        stop = [refs[i][2]] if i == 1 else []  # episode 1 stops early on its third token
        results[i] = engine.generate([PROMPTS[i]], max_new_tokens=4 + 3 * i, temperature=0, stop_ids=stop)[0]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(PROMPTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results[1] == refs[1][:3]
    assert all(results[i] == refs[i] for i in range(len(PROMPTS)) if i != 1)


def test_sampling_is_seeded_and_top_p_one_token(tiny_plain) -> None:
    from wikigym.trainer.fast.decode import DecodeEngine

    engine = DecodeEngine(tiny_plain, max_batch=2, max_len=64, min_len_bucket=16)
    a = engine.generate(PROMPTS[:2], max_new_tokens=6, temperature=1.0, seed=5)
    b = engine.generate(PROMPTS[:2], max_new_tokens=6, temperature=1.0, seed=5)
    assert a == b
    # top_p so small that only the most likely token survives: sampling becomes greedy
    assert engine.generate(PROMPTS[:1], 6, temperature=1.0, top_p=1e-9, seed=1) == \
        engine.generate(PROMPTS[:1], 6, temperature=0)


def test_rejects_unmerged_lora() -> None:
    from wikigym.trainer.fast.decode import DecodeEngine

    from .conftest import tiny_lora_model

    with pytest.raises(ValueError, match="merge the LoRA"):
        DecodeEngine(tiny_lora_model())


@needs_cuda
def test_cuda_graph_decode_matches_eager_engine() -> None:
    from wikigym.trainer.config import ModelConfig, TinyModelConfig
    from wikigym.trainer.fast.decode import DecodeEngine
    from wikigym.trainer.model import load_model

    model = load_model(ModelConfig(name="tiny", dtype="bfloat16", tiny=TinyModelConfig(sliding_window=8)),
                       device_map="cuda").eval()
    graphs = DecodeEngine(model, max_batch=4, max_len=256, min_len_bucket=16)
    eager = DecodeEngine(model, max_batch=4, max_len=256, min_len_bucket=16, use_cuda_graph=False)
    a = graphs.generate(PROMPTS, max_new_tokens=20, temperature=0)
    b = eager.generate(PROMPTS, max_new_tokens=20, temperature=0)
    assert graphs.use_graphs and graphs._graphs
    same = sum(x == y for ra, rb in zip(a, b) for x, y in zip(ra, rb))
    assert same >= 0.9 * sum(len(r) for r in b)  # bf16: graph replay may flip a rare near-tie


def test_fused_falls_back_to_eager_when_compilation_fails(monkeypatch) -> None:
    """A machine without a working compiler still decodes (eagerly), with the same numbers."""
    from wikigym.trainer.fast import compiled

    def broken(fn, **kw):
        def run(*a, **k):
            raise RuntimeError("no C compiler")
        return run

    def double(x):
        return x * 2

    monkeypatch.setattr(torch, "compile", broken)
    monkeypatch.setattr(compiled, "_CACHE", {})
    f = compiled.fused(double)
    assert torch.equal(f(torch.ones(3)), torch.full((3,), 2.0))
    assert torch.equal(f(torch.ones(2)), torch.full((2,), 2.0))
    assert compiled.fused(double, enabled=False) is double


def test_batched_sampling_follows_the_softmax_and_top_p() -> None:
    """Gumbel-max over all rows at once samples exactly softmax(logits / T), restricted to the top-p nucleus."""
    import math

    from wikigym.trainer.fast.decode import DecodeEngine, _Request

    torch.manual_seed(0)
    n = 6000
    logits = torch.tensor([[0.0, math.log(2.0), math.log(3.0)]]).expand(n, 3).contiguous()

    def freqs(**kw) -> list[float]:
        reqs = [_Request([1], 1, stop_ids=frozenset(), generator=None, **kw) for _ in range(n)]
        out = DecodeEngine._sample(logits, reqs)
        return [out.count(t) / n for t in range(3)]

    for got, want in zip(freqs(temperature=1.0, top_p=1.0), [1 / 6, 2 / 6, 3 / 6]):
        assert abs(got - want) < 0.03
    for got, want in zip(freqs(temperature=1.0, top_p=0.6), [0.0, 0.4, 0.6]):
        assert abs(got - want) < 0.03
    assert freqs(temperature=0.0, top_p=1.0) == [0.0, 0.0, 1.0]


def test_fp8_experts_decode_close_to_the_full_precision_engine(tiny_plain) -> None:
    """FP8 experts change the numbers a little, not the model: the prefill distribution's KL to the bf16 engine's is
    small and positive, and most greedy tokens agree."""
    from wikigym.trainer.fast.decode import DecodeEngine

    full = DecodeEngine(tiny_plain, max_batch=2, max_len=96, min_len_bucket=16)
    fp8 = DecodeEngine(tiny_plain, max_batch=2, max_len=96, min_len_bucket=16, fp8_experts=True)
    assert fp8.experts[0][0].data.dtype == torch.float8_e4m3fn
    with torch.no_grad():
        a = torch.log_softmax(full._prefill_many([0, 1], PROMPTS[:2]), -1)
        b = torch.log_softmax(fp8._prefill_many([0, 1], PROMPTS[:2]), -1)
    kl = float((a.exp() * (a - b)).sum(-1).max())
    assert 0 < kl < 0.05
    x = full.generate(PROMPTS, max_new_tokens=8, temperature=0)
    y = fp8.generate(PROMPTS, max_new_tokens=8, temperature=0)
    assert sum(s == t for rx, ry in zip(x, y) for s, t in zip(rx, ry)) >= 0.7 * sum(len(r) for r in x)


def test_engine_that_cannot_fit_names_the_settings_to_lower(tiny_plain, monkeypatch) -> None:
    from wikigym.trainer.fast.decode import DecodeEngine

    engine = DecodeEngine(tiny_plain, max_batch=2, max_len=96, min_len_bucket=16, fp8_experts=True)
    engine.device, engine.max_len = torch.device("cuda"), 1 << 30  # the check runs for CUDA engines only
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (2 << 30, 80 << 30))
    with pytest.raises(ValueError, match=r"KV cache .* 2 slots x 1073741824 tokens, FP8 experts .* 2\.0 GiB of GPU "
                                         r"memory are free: lower fast.decode_max_len or sampling.batch_size or set "
                                         r"fast.decode_fp8_experts: false"):
        engine._check_memory()
    engine.max_len = 96
    engine._check_memory()  # fits


def test_fp8_engine_that_releases_the_bf16_experts_generates_the_same(tiny_plain) -> None:
    """Freeing each layer's bf16 experts once quantized changes nothing the engine computes; the model itself then
    refuses to run its experts with a message naming why."""
    import copy

    from wikigym.trainer.fast.decode import DecodeEngine

    kept = DecodeEngine(tiny_plain, max_batch=2, max_len=96, min_len_bucket=16, fp8_experts=True)
    model = copy.deepcopy(tiny_plain)
    released = DecodeEngine(model, max_batch=2, max_len=96, min_len_bucket=16, fp8_experts=True,
                            release_experts=True)
    assert all(layer.mlp.experts.gate_up_proj.numel() == 0 for layer in model.model.layers)
    assert released.generate(PROMPTS, 6, temperature=0) == kept.generate(PROMPTS, 6, temperature=0)
    with pytest.raises(RuntimeError, match="freed for the FP8 decode engine"):
        model(torch.tensor([PROMPTS[0]]))
    with pytest.raises(ValueError, match="needs fp8_experts"):
        DecodeEngine(tiny_plain, release_experts=True)
