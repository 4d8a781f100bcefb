"""Decoding throughput of gpt-oss-20b-sized random weights: transformers' `generate` vs wikigym's DecodeEngine.

One process, one model (24 layers, 32 experts, top-4, random bf16 weights), greedy decoding with stops disabled so
every stream generates exactly its budget:
1. baseline: `model.generate` (DynamicCache, eager gpt-oss attention) for one stream and for `--streams` streams;
2. correctness: the engine's greedy tokens against `generate`'s for the first `--check-tokens` tokens of a few prompts
   (bf16 random weights have near-ties, so the agreement fraction is reported, not asserted), and the engine's
   prefill logits against the model's forward;
3. fast: `DecodeEngine` (static KV cache, CUDA graphs, grouped-GEMM experts) for one stream, `--streams` streams, and
   a continuous-batching mix of `2 * streams` episodes of different prompt and answer lengths;
4. with `--fp8`: the same with FP8 experts, and how far that policy is from the bf16 one (next-token KL after
   `--kl-prompts` prompts, top-1 and greedy agreement).
Tokens/s counts generated tokens over wall time including prefill (decode-only rates are reported beside).

Usage (on one GPU): `python benchmarks/rollout_throughput.py --out benchmarks/results/rollout_throughput.json`
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

import torch


def build(layers: int | None) -> Any:
    from transformers import GptOssForCausalLM

    from wikigym.trainer.model import gpt_oss_20b_config

    config = gpt_oss_20b_config()
    if layers:
        config.num_hidden_layers = layers
        config.layer_types = config.layer_types[:layers]
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            model = GptOssForCausalLM(config)
    finally:
        torch.set_default_dtype(prev)
    return model.eval()


def prompts(n: int, length: int, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(1000, 199000) for _ in range(length)] for _ in range(n)]


def hf_generate(model: Any, batch: list[list[int]], new: int) -> tuple[float, list[list[int]]]:
    ids = torch.tensor(batch, device="cuda")
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=new,
                             min_new_tokens=new, do_sample=False, eos_token_id=None, pad_token_id=0)
    torch.cuda.synchronize()
    return time.perf_counter() - t0, out[:, ids.shape[1]:].tolist()


def engine_generate(engine: Any, batch: list[list[int]], new: int | list[int]) -> tuple[float, int]:
    import threading

    news = new if isinstance(new, list) else [new] * len(batch)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    if len(set(news)) == 1:
        outs = engine.generate(batch, news[0], temperature=0)
    else:  # one thread per episode, like rollouts: requests arrive and leave independently
        outs = [None] * len(batch)

        def one(i: int) -> None:
            outs[i] = engine.generate([batch[i]], news[i], temperature=0)[0]

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(batch))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    torch.cuda.synchronize()
    return time.perf_counter() - t0, sum(len(o) for o in outs)


def measure(engine: Any, p1: list[list[int]], pb: list[list[int]], args: argparse.Namespace) -> dict[str, Any]:
    """One stream, `--streams` streams, and a continuous-batching mix of 2x as many episodes of mixed lengths."""
    engine_generate(engine, p1, 8)  # warm every graph the measured runs use (captures are one-off costs)
    engine_generate(engine, pb, 8)
    res: dict[str, Any] = {}
    s, n = engine_generate(engine, p1, args.new)
    res["single_stream_tokens_per_s"] = round(n / s, 2)
    print("single", res["single_stream_tokens_per_s"], flush=True)
    s, n = engine_generate(engine, pb, args.new)
    res["batched_tokens_per_s"] = round(n / s, 2)
    print("batched", res["batched_tokens_per_s"], flush=True)
    rng = random.Random(7)
    mix = [prompts(1, rng.choice([64, 256, 512, 1024]), 10 + i)[0] for i in range(2 * args.streams)]
    news = [rng.choice([32, 128, 256, 512]) for _ in mix]
    s, n = engine_generate(engine, mix, news)
    res["continuous_batching"] = {"episodes": len(mix), "max_batch": args.streams, "tokens": n,
                                  "tokens_per_s": round(n / s, 2), "seconds": round(s, 2)}
    print("continuous", res["continuous_batching"], flush=True)
    return res


def prefill_logprobs(engine: Any, batch: list[list[int]]) -> torch.Tensor:
    """Next-token log-probabilities [n, V] (float32, on the CPU) after each prompt, prefilled 8 at a time."""
    out, step = [], min(8, engine.max_batch)
    with torch.no_grad():
        for i in range(0, len(batch), step):
            part = batch[i:i + step]
            out.append(torch.log_softmax(engine._prefill_many(list(range(len(part))), part), -1).cpu())
    return torch.cat(out)


def greedy_agreement(ref: list[list[int]], got: list[list[int]]) -> dict[str, Any]:
    """The share of equal tokens between two sets of greedy continuations, and where each pair first differs."""
    return {"greedy_tokens_equal_fraction": round(sum(a == b for r, g in zip(ref, got) for a, b in zip(r, g))
                                                  / sum(len(r) for r in ref), 4),
            "greedy_first_divergence": [next((i for i, (a, b) in enumerate(zip(r, g)) if a != b), len(r))
                                        for r, g in zip(ref, got)]}


def policy_shift(engine: Any, batch: list[list[int]], ref_logp: torch.Tensor, ref_greedy: list[list[int]],
                 new: int) -> dict[str, Any]:
    """How far `engine`'s policy is from the reference engine's: KL(ref || engine) of the next-token distribution
    after each prompt, top-1 agreement, and the greedy continuations' agreement."""
    logp = prefill_logprobs(engine, batch)
    kl = (ref_logp.exp() * (ref_logp - logp)).sum(-1)
    greedy = engine.generate(batch[:len(ref_greedy)], new, temperature=0)
    return {"prompts": len(batch), "kl_mean": round(float(kl.mean()), 6), "kl_max": round(float(kl.max()), 6),
            "top1_agreement": round(float((logp.argmax(-1) == ref_logp.argmax(-1)).float().mean()), 4),
            **greedy_agreement(ref_greedy, greedy),
            "reference_entropy_mean": round(float(-(ref_logp.exp() * ref_logp).sum(-1).mean()), 4)}


def save(out: Path | None, res: dict[str, Any]) -> None:
    """Write what is measured so far: a run cut off by its time limit still leaves its figures."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")


def profile(engine: Any, batch: list[list[int]], out: Path) -> None:
    """Where a decode step's time goes: graph replay per step vs the engine's whole step (sampling, host work), and
    the CUDA kernels of one eager step, for 1 slot and for len(batch) slots."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from wikigym.trainer.fast.decode import _pow2, _Request

    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    for b in (1, len(batch)):
        for r in batch[:b]:  # b requests kept active (no worker thread: steps are driven from here)
            engine._waiting.append(_Request(list(r), 10_000, 0.0, 1.0, frozenset(), None))
        with torch.no_grad():
            engine.step()  # prefill + capture this batch size's graph
            engine.step()
            length = min(_pow2(max(engine._pos_host) + 1, engine.min_len_bucket), engine.max_len)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(20):
                engine._run_step(b, length)
            end.record()
            torch.cuda.synchronize()
            graph_ms = start.elapsed_time(end) / 20
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(20):
                engine.step()
            torch.cuda.synchronize()
            step_ms = (time.perf_counter() - t0) * 1000 / 20
            with torch_profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                for _ in range(2):
                    engine._step(b, length)
                torch.cuda.synchronize()
        table = prof.key_averages().table(sort_by="cuda_time_total", row_limit=30)
        (out / f"decode_b{b}.txt").write_text(table + "\n", encoding="utf-8")
        summary[f"b{b}"] = {"graph_ms_per_step": round(graph_ms, 3), "engine_step_ms": round(step_ms, 3),
                            "length_bucket": length}
        print(f"b={b}: graph {graph_ms:.2f} ms/step, engine.step {step_ms:.2f} ms", flush=True)
        print(table[:6000], flush=True)
        engine._slots, engine._pos_host = [], []
    (out / "decode_summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, default=32)
    ap.add_argument("--prompt-len", type=int, default=256)
    ap.add_argument("--baseline-new", type=int, default=32)
    ap.add_argument("--new", type=int, default=256)
    ap.add_argument("--max-len", type=int, default=8192)
    ap.add_argument("--check-tokens", type=int, default=16)
    ap.add_argument("--layers", type=int, default=0)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--fp8", action="store_true", help="also measure the engine with FP8 experts, and its KL to bf16")
    ap.add_argument("--kl-prompts", type=int, default=32, help="prompts whose next-token KL (bf16 vs FP8) is measured")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--profile", type=Path, default=None,
                    help="only profile: per-step graph time and a kernel table for 1 and --streams slots, into DIR")
    args = ap.parse_args()

    import transformers

    from wikigym.trainer.fast.decode import DecodeEngine
    from wikigym.trainer.fast.moe import fp8_nbytes

    t0 = time.time()
    model = build(args.layers or None)
    res: dict[str, Any] = {
        "device": torch.cuda.get_device_name(), "torch": torch.__version__, "transformers": transformers.__version__,
        "model": f"gpt-oss-20b architecture, random bf16 weights, {model.config.num_hidden_layers} layers",
        "prompt_len": args.prompt_len, "streams": args.streams, "new_tokens": args.new,
        "baseline_new_tokens": args.baseline_new, "greedy": True, "build_s": round(time.time() - t0, 1),
    }
    print(f"built in {res['build_s']} s on {res['device']}", flush=True)
    p1 = prompts(1, args.prompt_len, 1)
    pb = prompts(args.streams, args.prompt_len, 2)
    if args.profile:
        profile(DecodeEngine(model, max_batch=args.streams, max_len=args.max_len, fp8_experts=args.fp8), pb,
                args.profile)
        return
    if not args.skip_baseline:
        hf_generate(model, p1, 2)  # warm-up
        s, _ = hf_generate(model, p1, args.baseline_new)
        res["baseline_single_stream_tokens_per_s"] = round(args.baseline_new / s, 2)
        print("baseline single", res["baseline_single_stream_tokens_per_s"], flush=True)
        s, _ = hf_generate(model, pb, args.baseline_new)
        res["baseline_batched_tokens_per_s"] = round(args.streams * args.baseline_new / s, 2)
        print("baseline batched", res["baseline_batched_tokens_per_s"], flush=True)
        save(args.out, res)

    t0 = time.time()
    engine = DecodeEngine(model, max_batch=args.streams, max_len=args.max_len)
    res["engine"] = {"moe_backend": engine.moe_backend, "cuda_graphs": engine.use_graphs, "flex_prefill": engine.flex_ok,
                     "max_batch": args.streams, "max_len": args.max_len}
    # correctness: greedy agreement with generate and prefill logits against the model's forward
    checks = prompts(4, 64, 3)
    _, ref = hf_generate(model, checks, args.check_tokens)
    got = engine.generate(checks, args.check_tokens, temperature=0)
    with torch.no_grad():
        hf_logits = model(input_ids=torch.tensor(checks[:1], device="cuda")).logits[0, -1].float()
        ours = engine._prefill(0, checks[0])
    res["correctness"] = {
        **greedy_agreement(ref, got), "tokens_per_prompt": args.check_tokens,
        "prefill_logits_max_abs_err": round(float((hf_logits - ours).abs().max()), 5),
        "prefill_logits_rel_err": round(float((hf_logits - ours).norm() / hf_logits.norm()), 5),
        "prefill_logits_max_abs": round(float(hf_logits.abs().max()), 5),
        "prefill_argmax_equal": bool(int(hf_logits.argmax()) == int(ours.argmax())),
    }
    print("correctness", res["correctness"], flush=True)
    save(args.out, res)
    res.update(measure(engine, p1, pb, args))
    res["engine_setup_s"] = round(time.time() - t0, 1)
    save(args.out, res)
    if args.fp8:
        checks = prompts(args.kl_prompts, args.prompt_len, 5)
        ref_logp = prefill_logprobs(engine, checks)
        ref_greedy = engine.generate(checks[:4], args.check_tokens * 4, temperature=0)
        del engine
        torch.cuda.empty_cache()
        t0 = time.time()
        fp8 = DecodeEngine(model, max_batch=args.streams, max_len=args.max_len, fp8_experts=True)
        res["fp8_experts"] = {"quantize_s": round(time.time() - t0, 1),
                              "fp8_expert_gib": round(sum(fp8_nbytes(w.shape) for pair in fp8.experts for w in pair)
                                                      / 2**30, 2),
                              "policy_shift": policy_shift(fp8, checks, ref_logp, ref_greedy, args.check_tokens * 4)}
        print("fp8 policy shift", res["fp8_experts"], flush=True)
        save(args.out, res)
        res["fp8_experts"].update(measure(fp8, p1, pb, args))
        print("fp8", res["fp8_experts"], flush=True)
        save(args.out, res)
    if "baseline_single_stream_tokens_per_s" in res:
        res["single_stream_ratio"] = round(res["single_stream_tokens_per_s"] / res["baseline_single_stream_tokens_per_s"],
                                           2)
        res["batched_ratio"] = round(res["batched_tokens_per_s"] / res["baseline_batched_tokens_per_s"], 2)
    print("\n              baseline tok/s   fast tok/s   ratio")
    print(f"1 stream      {res.get('baseline_single_stream_tokens_per_s')}   {res['single_stream_tokens_per_s']}   "
          f"{res.get('single_stream_ratio')}")
    print(f"{args.streams} streams    {res.get('baseline_batched_tokens_per_s')}   {res['batched_tokens_per_s']}   "
          f"{res.get('batched_ratio')}")
    save(args.out, res)


if __name__ == "__main__":
    main()
