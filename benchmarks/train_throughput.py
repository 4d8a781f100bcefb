"""LoRA training throughput of gpt-oss-20b-sized random weights: plain transformers + PEFT vs wikigym's fast path.

One process, one model (24 layers, 32 experts, top-4, random bf16 weights, LoRA r=16 on q/k/v/o and both expert
tensors, gradient checkpointing), one optimizer (fused AdamW on the LoRA parameters, the trainer's default):
1. baseline: the model as transformers + PEFT build it, at `--baseline-seq` tokens (and a probe of `--baseline-probe`
   tokens, which recorded out-of-memory on the issue's H100);
2. correctness: `compare_with_eager` on a packed batch (hidden states, loss, every LoRA gradient, fast vs eager);
3. fast path, as `wikigym sft` trains by default: `apply_fast_path` (flex attention with sinks, grouped-GEMM MoE with
   LoRA inside, chunked CE, compiled attention and MoE blocks) and `gradient_checkpointing: auto` (as few layers
   checkpointed as fit this GPU's memory at that length) at each `--seq-lens` length until one runs out of memory.
Tokens/s = tokens per optimizer step / median step time (forward + backward + AdamW step, synchronised).

Usage (on one GPU): `python benchmarks/train_throughput.py --out benchmarks/results/train_throughput.json`
Prints a table and the fast/baseline ratio; writes the JSON (device, torch/transformers versions, every timing).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch


def build(layers: int | None) -> Any:
    from transformers import GptOssForCausalLM

    from wikigym.trainer.config import LoraConfig
    from wikigym.trainer.model import attach_lora, gpt_oss_20b_config

    config = gpt_oss_20b_config()
    if layers:
        config.num_hidden_layers = layers
        config.layer_types = config.layer_types[:layers]
    config._attn_implementation = "eager"
    config.use_cache = False
    torch.manual_seed(0)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            model = GptOssForCausalLM(config)
    finally:
        torch.set_default_dtype(prev)
    model = attach_lora(model, LoraConfig(r=16, alpha=32))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    return model


def _batch(seq: int, packed: bool = False, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 200000, (1, seq), generator=g)
    batch = {"input_ids": ids.cuda(), "labels": ids.clone().cuda()}
    if packed:  # three packed examples, positions restarting as TRL packs them
        a, b = seq // 3, seq // 2
        batch["position_ids"] = torch.cat([torch.arange(a), torch.arange(b - a), torch.arange(seq - b)])[None].cuda()
    return batch


def time_steps(model: Any, opt: Any, seq: int, steps: int, warmup: int) -> dict[str, Any]:
    """Median seconds per optimizer step at `seq` tokens, or {'oom': True}."""
    times = []
    torch.cuda.reset_peak_memory_stats()
    try:
        for i in range(warmup + steps):
            batch = _batch(seq, seed=i)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            loss = model(**batch).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            torch.cuda.synchronize()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
            del loss, batch
    except torch.OutOfMemoryError as e:
        opt.zero_grad(set_to_none=True)
        gc.collect()
        torch.cuda.empty_cache()
        return {"seq_len": seq, "oom": True, "error": str(e).splitlines()[0][:200]}
    med = statistics.median(times)
    return {"seq_len": seq, "oom": False, "step_s": round(med, 4), "steps_s": [round(t, 4) for t in times],
            "tokens_per_s": round(seq / med, 1), "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)}


def use_plan(model: Any, plan: Any) -> int:
    """Checkpoint the layers `plan` names (as the trainer does when training starts); returns how many."""
    from wikigym.trainer.checkpointing import apply_plan

    if not plan.enabled:
        model.gradient_checkpointing_disable()
        return 0
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return apply_plan(model, plan)


def no_checkpointing(model: Any, opt: Any, args: argparse.Namespace, seqs: list[int], res: dict[str, Any]) -> None:
    """Both paths again without gradient checkpointing (no forward recomputed in the backward), where memory allows;
    with `--checkpoint-every N` the fast path first checkpointing every Nth layer only; then every layer.

    Checkpointing costs about a third of a step; at short sequences the 20b's activations fit without it. The
    baseline is rebuilt as transformers + PEFT (fast path undone) so both ratios compare like with like. Each run is
    saved into `res` (and `--out`) as it ends: a run cut off by its time limit keeps what it measured.
    """
    from wikigym.trainer.checkpointing import plan_checkpointing
    from wikigym.trainer.fast.patch import remove_fast_path

    for every in sorted({args.checkpoint_every, 0} - {1}, reverse=True) + [1]:  # every Nth layer, none, all
        key = {0: "fast_runs_no_checkpointing", 1: "fast_runs_checkpointed"}.get(every,
                                                                                 f"fast_runs_checkpoint_every_{every}")
        done = use_plan(model, plan_checkpointing(model, every > 0, max(every, 1), seqs[0]))
        res[key.replace("fast_runs", "checkpointed_layers")] = done
        res[key] = []
        for seq in seqs[:1] if every == 1 else seqs:
            r = time_steps(model, opt, seq, args.steps if seq < 16384 else args.long_steps, 1)
            res[key].append(r)
            print(key, r, flush=True)
            save(args.out, res)
            if r["oom"]:
                break
        if not every and args.profile and res[key] and not res[key][0]["oom"]:
            profile_step(model, opt, seqs[0], args.profile.with_suffix(".no_checkpointing.txt"))
    if not args.skip_baseline:
        remove_fast_path(model)
        base = time_steps(model, opt, args.baseline_seq, args.steps, 1)
        res["baseline_runs_no_checkpointing"] = [base]
        print("baseline, no checkpointing", base, flush=True)
        save(args.out, res)
    if args.eager_blocks:
        eager_blocks(model, opt, args, seqs, res)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def eager_blocks(model: Any, opt: Any, args: argparse.Namespace, seqs: list[int], res: dict[str, Any]) -> None:
    """The fast path with `compile_layers` off (the attention and MoE blocks eager, only the small fused functions
    compiled), without checkpointing and then with it: what compiling the blocks buys. A failure is recorded, not
    raised; the default fast path is put back afterwards."""
    from wikigym.trainer.fast.patch import FastPathOptions, apply_fast_path

    key = "fast_runs_eager_blocks_no_checkpointing"
    res[key] = []
    t0 = time.time()
    try:
        model.gradient_checkpointing_disable()
        res["fast_path_eager_blocks"] = apply_fast_path(model, FastPathOptions(compile_layers=False)).to_dict()
        for seq in seqs:
            r = time_steps(model, opt, seq, args.steps, 2)
            res[key].append(r)
            print(key, r, flush=True)
            save(args.out, res)
            if r["oom"]:
                break
        if args.profile and res[key] and not res[key][0]["oom"]:
            profile_step(model, opt, seqs[0], args.profile.with_suffix(".eager_blocks.txt"))
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        r = time_steps(model, opt, seqs[0], args.steps, 1)
        res["fast_runs_eager_blocks_checkpointed"] = [r]
        print("fast_runs_eager_blocks_checkpointed", r, flush=True)
    except Exception as e:  # noqa: BLE001  (an experiment: its failure is a result)
        res[key].append({"error": f"{type(e).__name__}: {e}"[:800]})
        print(key, res[key][-1], flush=True)
    finally:
        res[key + "_wall_s"] = round(time.time() - t0, 1)
        apply_fast_path(model)
        torch.cuda.empty_cache()
        save(args.out, res)


def profile_step(model: Any, opt: Any, seq: int, out: Path) -> None:
    """A torch.profiler table of one step at `seq` tokens (top 30 ops by their own CUDA time), printed and written to
    `out`, headed by the step's wall time against the GPU's busy time and the number of kernels launched: a GPU busy
    for much less than the wall time means the step is bound by launching kernels, not by running them."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        r = time_steps(model, opt, seq, 1, 0)
    kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
    busy_ms = sum(e.time_range.elapsed_us() for e in kernels) / 1e3
    wall_ms = r.get("step_s", 0) * 1e3
    head = (f"step at {seq} tokens: wall {wall_ms:.1f} ms (under the profiler), GPU kernels {busy_ms:.1f} ms "
            f"({busy_ms / max(wall_ms, 1e-9):.0%} busy), {len(kernels)} kernels\n")
    table = prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=30)
    print(head + table, flush=True)
    out.write_text(head + table, encoding="utf-8")


def save(out: Path | None, result: dict[str, Any]) -> None:
    """Write what is measured so far: a run cut off by its time limit still leaves its figures."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seq-lens", default="2048,8192,32768,65536")
    ap.add_argument("--baseline-seq", type=int, default=2048)
    ap.add_argument("--baseline-probe", type=int, default=8192, help="0: skip the baseline's long-sequence probe")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--long-steps", type=int, default=2, help="timed steps at 16k tokens and longer")
    ap.add_argument("--check-seq", type=int, default=1024, help="tokens of the fast-vs-eager check (0: skip)")
    ap.add_argument("--layers", type=int, default=0, help="fewer layers (quick runs); 0: all 24")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--profile", type=Path, default=None, help="write a torch.profiler table of one fast step here")
    ap.add_argument("--no-checkpointing-seqs", default="",
                    help="also time both paths without gradient checkpointing at these lengths (the baseline at "
                         "--baseline-seq only), after the runs with it")
    ap.add_argument("--checkpoint-every", type=int, default=0,
                    help="with --no-checkpointing-seqs: first time the fast path checkpointing every Nth layer only "
                         "(train.checkpoint_every)")
    ap.add_argument("--eager-blocks", action="store_true",
                    help="with --no-checkpointing-seqs: also time the fast path with compile_layers off")
    args = ap.parse_args()

    import transformers

    from wikigym.trainer.checkpointing import plan_checkpointing
    from wikigym.trainer.fast.patch import apply_fast_path, compare_with_eager

    t0 = time.time()
    model = build(args.layers or None)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5, fused=True)  # the trainer's default optim, adamw_torch_fused
    active = 3.6e9 if not args.layers else None
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(), "torch": torch.__version__, "transformers": transformers.__version__,
        "model": f"gpt-oss-20b architecture, random bf16 weights, {model.config.num_hidden_layers} layers",
        "lora": "r=16 alpha=32 on q/k/v/o_proj and mlp.experts.gate_up_proj/down_proj (PEFT target_parameters)",
        "trainable_parameters": sum(p.numel() for p in params),
        "gradient_checkpointing": "baseline: every layer; fast path: auto (fast_runs[].checkpointing)",
        "baseline": "transformers + PEFT as built (attn eager, experts_implementation "
                    f"{getattr(model.config, '_experts_implementation', None)!r}, full logits + transformers' loss)",
        "build_s": round(time.time() - t0, 1),
    }
    print(f"built in {result['build_s']} s on {result['device']}", flush=True)
    base = None
    if not args.skip_baseline:
        base = time_steps(model, opt, args.baseline_seq, args.steps, 1)
        result["baseline_runs"] = [base]
        print("baseline", base, flush=True)
        save(args.out, result)
        if args.baseline_probe:
            probe = time_steps(model, opt, args.baseline_probe, 1, 0)
            result["baseline_runs"].append(probe)
            print("baseline probe", probe, flush=True)
            save(args.out, result)
    if args.check_seq:
        try:
            check = compare_with_eager(model, _batch(args.check_seq, packed=True, seed=99))
        except Exception as e:  # recorded, not hidden: the timings below still mean something
            check = {"error": f"{type(e).__name__}: {e}"[:500]}
        result["correctness"] = check
        print("correctness", {k: v for k, v in check.items() if k != "fast_path"}, flush=True)
        save(args.out, result)
    report = apply_fast_path(model)
    result["fast_path"] = report.to_dict()
    print("fast path", report.to_dict(), flush=True)
    runs, plans = [], {}
    for seq in [int(s) for s in args.seq_lens.split(",") if s]:
        steps = args.steps if seq < 16384 else args.long_steps
        plans[seq] = plan_checkpointing(model, "auto", 1, seq, report)
        use_plan(model, plans[seq])
        print("checkpointing", seq, plans[seq].reason, flush=True)
        r = {**time_steps(model, opt, seq, steps, 2 if seq < 16384 else 1), "checkpointing": plans[seq].to_dict()}
        runs.append(r)
        result["fast_runs"] = runs
        print("fast", r, flush=True)
        save(args.out, result)
        if r["oom"]:
            break
    result["fast_runs"] = runs
    if args.profile and runs and not runs[0]["oom"]:
        use_plan(model, plans[runs[0]["seq_len"]])
        profile_step(model, opt, runs[0]["seq_len"], args.profile)
    if args.no_checkpointing_seqs:
        no_checkpointing(model, opt, args, [int(s) for s in args.no_checkpointing_seqs.split(",") if s], result)
    ok = [r for r in runs if not r["oom"]]
    at = next((r for r in ok if base and r["seq_len"] == base["seq_len"]), ok[0] if ok else None)
    result["seq_len"] = at["seq_len"] if at else args.baseline_seq
    result["tokens_per_s"] = at["tokens_per_s"] if at else None
    result["baseline_tokens_per_s"] = base["tokens_per_s"] if base and not base["oom"] else None
    result["ratio"] = round(result["tokens_per_s"] / result["baseline_tokens_per_s"], 2) \
        if result["tokens_per_s"] and result["baseline_tokens_per_s"] else None
    result["max_seq_len_without_oom"] = max((r["seq_len"] for r in ok), default=0)
    result["baseline_max_seq_len_without_oom"] = max((r["seq_len"] for r in result.get("baseline_runs", [])
                                                      if not r["oom"]), default=0)
    if active and at:
        result["mfu_estimate"] = round(at["tokens_per_s"] * 6 * active / 989e12, 3)
    print("\nseq_len  baseline tok/s  fast tok/s  ratio")
    print(f"{result['seq_len']:>7}  {result['baseline_tokens_per_s']}  {result['tokens_per_s']}  {result['ratio']}")
    for r in ok:
        print(f"fast {r['seq_len']:>6}: {r['tokens_per_s']} tok/s, peak {r['peak_gib']} GiB, "
              f"{r['checkpointing']['checkpointed']} of {r['checkpointing']['layers']} layers checkpointed")
    print(f"max_seq_len_without_oom: {result['max_seq_len_without_oom']}")
    save(args.out, result)


if __name__ == "__main__":
    main()
