"""Multi-GPU scaling of `wikigym sft` / `wikigym dpo`: 1 vs N processes, same global batch, same losses.

Why: a run on N GPUs is only worth having if (1) it computes the same thing as one GPU (a data-parallel or sharding
bug shows up as a different loss, not as a crash) and (2) it is faster. So this script trains one SFT and one DPO
configuration of the gpt-oss-20b architecture (random bf16 weights, `gpt-oss-20b-random`; LoRA on q/k/v/o and on the
fused expert tensors; 8,192-token sequences) twice through `accelerate launch` with the shipped FSDP config
(`configs/accelerate-fsdp.yaml`):

- 1 process with gradient accumulation N (global batch N sequences, or N preference pairs);
- N processes with gradient accumulation 1 each (the same global batch, split over the GPUs).

Same seed, same synthetic data in the same order, so the per-step losses must agree within `--tol` and the grad
norms within `--grad-tol` (relative: bf16 sharded reductions differ in the last bits; random data gives every batch
nearly the same loss, the grad norm tells batches apart better). It prints tokens/s per GPU of both runs and the
scaling efficiency (tokens/s per GPU on N over that on 1; target >= 85% from 1 to 2 GPUs) and writes a JSON (`--out`).

Each run is the project's own code path: a worker (this file with `--worker SPEC`) calls `run_sft` / `run_dpo` on a
synthetic dataset written in the on-disk formats of `wikigym export sft` and `wikigym pairs`. `run_sft` takes no
callbacks, so the worker adds its step recorder (synchronised wall time per optimizer step, logged loss and grad norm)
to transformers' default callbacks; rank 0 writes the log the driver reads. Tokens/s = tokens of one optimizer step
(global batch x sequence length; x2 for DPO's chosen + rejected) / median step time after `--warmup` steps.

CPU check (`--cpu`, e.g. `--cpu --model tiny --seq-len 256 --nprocs 2`): the same launch (torchrun) with
`ACCELERATE_USE_CPU=true` and `--mixed_precision no`. accelerate builds FSDP only on accelerators, so on CPU it runs
MULTI_CPU, i.e. DDP over gloo, fp32 (and `accelerate launch --cpu` would start a single process unless MPI is
installed); each process gets cores // N threads. That checks the loss matching and the plumbing; its efficiency,
measured on shared CPU cores, says nothing about GPUs.

Usage:
    python benchmarks/multigpu_scaling.py --nprocs 2                      # GPUs: 20b, 8,192 tokens, SFT + DPO
    python benchmarks/multigpu_scaling.py --cpu --model tiny --seq-len 256 --nprocs 2 --steps 4 \\
        --out benchmarks/results/multigpu_scaling-cpu.json
Exit status 1 when the losses or grad norms of the two runs differ by more than the tolerances, or a run failed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FSDP_CONFIG = ROOT / "configs" / "accelerate-fsdp.yaml"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "multigpu_scaling.json"
MODELS = {"20b": "gpt-oss-20b-random", "tiny": "tiny"}
BASE_CONFIGS = {("sft", "20b"): "sft-20b.yaml", ("dpo", "20b"): "dpo-20b.yaml",
                ("sft", "tiny"): "sft-tiny.yaml", ("dpo", "tiny"): "dpo-tiny.yaml"}
TARGET_EFFICIENCY = 0.85
EXAMPLES_PER_ROW = 4  # SFT examples packed into one row: packing and its block-diagonal masks are exercised
TOKEN_LIMIT = 199998  # random ids stay below the Harmony special tokens


# ---------------------------------------------------------------------------------------------- synthetic data

def _rng(seed: int) -> Any:
    import numpy as np

    return np.random.default_rng(seed)


def sft_examples(n_rows: int, seq_len: int, seed: int = 0) -> list[dict[str, list[int]]]:
    """`EXAMPLES_PER_ROW` examples per packed row of exactly `seq_len` tokens; the loss covers each second half.

    Each example draws its tokens from its own vocabulary window, so examples (and hence batches) differ in loss."""
    rng, n = _rng(seed), seq_len // EXAMPLES_PER_ROW
    out = []
    for _ in range(n_rows * EXAMPLES_PER_ROW):
        width = int(rng.choice([64, 1024, 16384, TOKEN_LIMIT]))
        start = int(rng.integers(0, TOKEN_LIMIT - width + 1))
        ids = rng.integers(start, start + width, n).tolist()
        out.append({"input_ids": ids, "assistant_masks": [0] * (n // 2) + [1] * (n - n // 2)})
    return out


def dpo_pairs(n_pairs: int, seq_len: int, seed: int = 0) -> list[dict[str, list[int]]]:
    """Pairs whose prompt + completion is `seq_len` tokens (completion: an eighth), every completion token scored."""
    rng = _rng(seed)
    completion = max(seq_len // 8, 8)
    prompt = seq_len - completion
    out = []
    for _ in range(n_pairs):
        out.append({"prompt_ids": rng.integers(0, TOKEN_LIMIT, prompt).tolist(),
                    "chosen_ids": rng.integers(0, TOKEN_LIMIT, completion).tolist(),
                    "rejected_ids": rng.integers(0, TOKEN_LIMIT, completion).tolist(),
                    "chosen_mask": [1] * completion, "rejected_mask": [1] * completion})
    return out


def write_sft_dataset(path: Path, rows: list[dict[str, list[int]]]) -> Path:
    """`rows` as `wikigym export sft` writes a dataset (train split + manifest), so `run_sft` reads it as is."""
    from datasets import Dataset, DatasetDict

    from wikigym.trajectories.dataset import DATASET_SCHEMA

    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(str(path))
    (path / "manifest.json").write_text(json.dumps({"schema_version": DATASET_SCHEMA, "synthetic": True}) + "\n")
    return path


def write_pairs_dataset(path: Path, rows: list[dict[str, list[int]]]) -> Path:
    """`rows` as `wikigym pairs` writes them (data/ + manifest), so `run_dpo` reads them as is."""
    from datasets import Dataset

    from wikigym.trainer.pairs import PAIRS_SCHEMA

    path.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows).save_to_disk(str(path / "data"))
    (path / "manifest.json").write_text(json.dumps({"schema_version": PAIRS_SCHEMA, "pairs": len(rows),
                                                    "synthetic": True}) + "\n")
    return path


# ---------------------------------------------------------------------------------------------- run configs

def run_config(kind: str, args: argparse.Namespace, data: Path, out_dir: Path, nprocs: int) -> dict[str, Any]:
    """The shipped `configs/{sft,dpo}-{20b,tiny}.yaml` with this benchmark's model, data, length and batch split.

    The global batch is fixed; `nprocs` processes each accumulate `global_batch / nprocs` micro-batches of one."""
    from wikigym.trainer.config import DPORunConfig, SFTRunConfig, load_config

    model_cls = SFTRunConfig if kind == "sft" else DPORunConfig
    overrides = {
        "sft": {"data": str(data), "packing": True},
        "dpo": {"pairs": str(data)},
    }[kind] | {
        "model.name": MODELS[args.model], "model.dtype": "float32" if args.cpu else "bfloat16",
        "train.output_dir": str(out_dir), "train.max_steps": args.steps, "train.max_length": args.seq_len,
        "train.per_device_train_batch_size": 1, "train.gradient_accumulation_steps": args.global_batch // nprocs,
        "train.lr_scheduler_type": "constant", "train.warmup_ratio": 0.0, "train.logging_steps": 1,
        "train.save_steps": 10**6, "train.report_to": ["none"], "train.resume": False, "train.seed": 0,
        "train.bf16": not args.cpu, "train.gradient_checkpointing": not args.cpu,
    }
    items = [f"{k}={json.dumps(v)}" for k, v in overrides.items()] + list(args.set)  # JSON values are YAML
    cfg = load_config(model_cls, ROOT / "configs" / BASE_CONFIGS[(kind, args.model)], items)
    if kind == "dpo":
        cfg = cfg.model_copy(update={"init_adapter": None})  # a fresh LoRA; the reference is the adapter disabled
    return cfg.model_dump(mode="json")


# ---------------------------------------------------------------------------------------------- worker

def _now() -> float:
    """Wall time after the device has finished its queued work."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter()


def _parallelism(model: Any) -> dict[str, Any]:
    """How accelerate ran this process: distributed type, world size, whether FSDP2 sharded the parameters."""
    from accelerate.state import AcceleratorState
    from torch.distributed.tensor import DTensor

    state = AcceleratorState()
    return {"distributed_type": str(state.distributed_type).split(".")[-1], "world_size": state.num_processes,
            "backend": state.backend, "device": str(state.device),
            "fsdp2_sharded": any(isinstance(p, DTensor) for p in model.parameters()) if model is not None else None}


def step_recorder() -> Any:
    """A TrainerCallback recording each optimizer step's wall time and the trainer's logged loss and grad norm."""
    from transformers import TrainerCallback

    class StepRecorder(TrainerCallback):
        def __init__(self) -> None:
            self.started = 0.0
            self.ends: list[float] = []
            self.logs: list[dict[str, float]] = []
            self.parallelism: dict[str, Any] = {}

        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
            self.parallelism = _parallelism(model)
            self.started = _now()

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.ends.append(_now())

        def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any) -> None:
            if logs and "loss" in logs:
                keep = ("loss", "grad_norm", "rewards/margins")
                self.logs.append({"step": state.global_step, **{k: float(logs[k]) for k in keep if k in logs}})

        def steps(self) -> list[dict[str, float]]:
            marks = [self.started, *self.ends]
            seconds = [round(b - a, 4) for a, b in itertools.pairwise(marks)]
            return [{**log, "seconds": seconds[log["step"] - 1]} for log in self.logs if log["step"] <= len(seconds)]

    return StepRecorder()


def _train(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    from wikigym.trainer.config import DPORunConfig, SFTRunConfig

    if kind == "sft":
        from wikigym.trainer.sft import run_sft

        return run_sft(SFTRunConfig.model_validate(config))
    from wikigym.trainer.dpo import run_dpo

    return run_dpo(DPORunConfig.model_validate(config))


def worker(spec_path: Path) -> None:
    """Run one training job of the driver's spec through `run_sft`/`run_dpo`; rank 0 writes the step log.

    The log is written even when the job fails after training (saving the adapter, say), with the error."""
    import torch
    import transformers.trainer

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    recorder = step_recorder()
    transformers.trainer.DEFAULT_CALLBACKS.append(recorder)  # every Trainer built in this process gets it
    result: dict[str, Any] = {}
    error = None
    try:
        result = _train(spec["kind"], spec["config"])
    except BaseException as e:
        error = f"{type(e).__name__}: {e}"[:1000]
        raise
    finally:
        if int(os.environ.get("RANK", "0")) == 0:
            log = {"kind": spec["kind"], "nprocs": spec["nprocs"], "parallelism": recorder.parallelism,
                   "torch_threads": torch.get_num_threads(), "steps": recorder.steps(), "error": error,
                   "result": {k: result.get(k) for k in ("steps", "losses", "seconds", "trainable_parameters",
                                                         "total_parameters", "fast_path")}}
            Path(spec["log"]).write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------- driver

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_command(nprocs: int, spec: Path, cpu: bool, threads: int) -> tuple[list[str], dict[str, str]]:
    """`accelerate launch --config_file configs/accelerate-fsdp.yaml` of the worker (torchrun, N processes).

    On CPU the same launch with ACCELERATE_USE_CPU=true: accelerate then runs MULTI_CPU, i.e. DDP over gloo (it
    ignores the FSDP settings off accelerators), in fp32 with `threads` threads per process."""
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(FSDP_CONFIG),
           "--num_processes", str(nprocs), "--main_process_port", str(_free_port())]
    env = dict(os.environ)
    if cpu:
        cmd += ["--mixed_precision", "no", "--num_cpu_threads_per_process", str(threads)]
        env["ACCELERATE_USE_CPU"] = "true"
    return cmd + [str(Path(__file__).resolve()), "--worker", str(spec)], env


class LaunchFailed(RuntimeError):
    pass


def launch(kind: str, nprocs: int, config: dict[str, Any], work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Train `config` on `nprocs` processes; returns the worker's step log.

    Raises:
        LaunchFailed: the job failed before finishing its steps (a failure after them is kept in `exit_status`)."""
    spec = work / f"{kind}-{nprocs}.spec.json"
    log_path = work / f"{kind}-{nprocs}.log.json"
    log_path.unlink(missing_ok=True)
    spec.write_text(json.dumps({"kind": kind, "nprocs": nprocs, "config": config, "log": str(log_path)}) + "\n")
    cmd, env = launch_command(nprocs, spec, args.cpu, max(1, (os.cpu_count() or 1) // args.nprocs))
    print(f"\n== {kind} on {nprocs} process(es): {' '.join(cmd)}", flush=True)
    t0 = time.time()
    rc = subprocess.run(cmd, env=env, cwd=ROOT, check=False).returncode
    log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else {"steps": []}
    if rc != 0 and len(log["steps"]) < args.steps:
        raise LaunchFailed(f"{kind} on {nprocs} process(es) failed (exit status {rc}) after {len(log['steps'])} "
                           f"of {args.steps} steps: {log.get('error') or 'see the output above'}")
    return {**log, "exit_status": rc, "wall_s": round(time.time() - t0, 1)}


def throughput(log: dict[str, Any], tokens_per_step: int, warmup: int) -> dict[str, Any]:
    """Median step time after `warmup` steps -> tokens/s in all and per process (GPU)."""
    times = [s["seconds"] for s in log["steps"]][warmup:] or [s["seconds"] for s in log["steps"]][-1:]
    med = statistics.median(times)
    total = tokens_per_step / med
    return {"step_s": round(med, 4), "timed_steps": len(times), "tokens_per_s": round(total, 1),
            "tokens_per_s_per_gpu": round(total / log["nprocs"], 1)}


def _max_diff(a: list[float], b: list[float]) -> tuple[float | None, float | None]:
    """(max absolute, max relative) difference of two equally long series; None when they cannot be compared."""
    if not a or len(a) != len(b):
        return None, None
    absolute = [abs(x - y) for x, y in zip(a, b)]
    relative = [d / max(abs(x), 1e-12) for d, x in zip(absolute, a)]
    return max(absolute), max(relative)


def compare(one: dict[str, Any], many: dict[str, Any], tol: float, grad_tol: float) -> dict[str, Any]:
    """Per-step loss and grad norm of the 1-process run against the N-process run.

    Random data on a random model gives nearly the same loss for every batch, so a shifted data order can hide
    inside the loss tolerance; the grad norm varies more from batch to batch and is checked too."""
    n = many["nprocs"]
    losses_1, losses_n = [s["loss"] for s in one["steps"]], [s["loss"] for s in many["steps"]]
    grads_1, grads_n = [s.get("grad_norm") for s in one["steps"]], [s.get("grad_norm") for s in many["steps"]]
    loss_abs, loss_rel = _max_diff(losses_1, losses_n)
    _, grad_rel = _max_diff(grads_1, grads_n) if None not in grads_1 + grads_n else (None, None)
    loss_match = loss_rel is not None and loss_rel <= tol
    grad_match = grad_rel is not None and grad_rel <= grad_tol
    return {"losses_1": losses_1, f"losses_{n}": losses_n, "max_loss_diff": loss_abs, "max_rel_loss_diff": loss_rel,
            "loss_tolerance_rel": tol, "loss_match": loss_match, "grad_norms_1": grads_1, f"grad_norms_{n}": grads_n,
            "max_rel_grad_norm_diff": grad_rel, "grad_norm_tolerance_rel": grad_tol, "grad_norm_match": grad_match,
            "match": loss_match and grad_match}


def summarize(kind: str, one: dict[str, Any], many: dict[str, Any], tokens_per_step: int,
              args: argparse.Namespace) -> dict[str, Any]:
    """Losses, throughput of both runs and the scaling efficiency of one configuration."""
    t1, tn = throughput(one, tokens_per_step, args.warmup), throughput(many, tokens_per_step, args.warmup)
    eff = tn["tokens_per_s_per_gpu"] / t1["tokens_per_s_per_gpu"]
    n = many["nprocs"]
    return {"kind": kind, "tokens_per_step": tokens_per_step, **compare(one, many, args.tol, args.grad_tol),
            "throughput_1": t1, f"throughput_{n}": tn, "tokens_per_s_per_gpu_1": t1["tokens_per_s_per_gpu"],
            f"tokens_per_s_per_gpu_{n}": tn["tokens_per_s_per_gpu"], "efficiency": round(eff, 4),
            "meets_target": None if args.cpu else eff >= TARGET_EFFICIENCY, "runs": {"1": one, str(n): many}}


def build_data(kind: str, args: argparse.Namespace, work: Path) -> tuple[Path, int]:
    """Write the synthetic dataset of `kind`; returns (path, tokens of one optimizer step)."""
    n = args.steps * args.global_batch
    if kind == "sft":
        return (write_sft_dataset(work / "sft-data", sft_examples(n, args.seq_len, args.seed)),
                args.global_batch * args.seq_len)
    return write_pairs_dataset(work / "pairs", dpo_pairs(n, args.seq_len, args.seed)), 2 * args.global_batch * \
        args.seq_len


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=False)
    except OSError:
        return None
    return out.stdout.strip() or None


def machine(args: argparse.Namespace) -> dict[str, Any]:
    import accelerate
    import peft
    import torch
    import transformers
    import trl

    gpu = None if args.cpu or not torch.cuda.is_available() else torch.cuda.get_device_name()
    return {"machine": socket.gethostname(), "platform": platform.platform(), "cpu_cores": os.cpu_count(),
            "device": gpu or "cpu", "num_gpus": None if args.cpu else args.nprocs,
            "num_processes": args.nprocs, "unit": "CPU process" if args.cpu else "GPU",
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__,
                         "peft": peft.__version__, "accelerate": accelerate.__version__}}


def notes(args: argparse.Namespace) -> list[str]:
    if not args.cpu:
        return [f"GPU runs: accelerate launch --config_file {FSDP_CONFIG.relative_to(ROOT)} (FSDP2, bf16)."]
    how = ("CPU check: launched like the GPU runs (accelerate launch --config_file configs/accelerate-fsdp.yaml, "
           "torchrun) with ACCELERATE_USE_CPU=true and --mixed_precision no. accelerate builds FSDP only on "
           "accelerators, so on CPU it runs MULTI_CPU: DDP over gloo, fp32, no sharding (`accelerate launch --cpu` "
           "would start a single process without MPI). The GPU path shards with FSDP2.")
    meaning = (f"Efficiency on {os.cpu_count()} shared CPU cores (each process pinned to cores // nprocs threads) is "
               "meaningless as a GPU figure; the loss match is what this CPU run checks.")
    return [how, meaning]


def report_line(s: dict[str, Any], n: int, unit: str) -> str:
    if "error" in s:
        return f"{s['kind']}: FAILED: {s['error']}"
    return (f"{s['kind']}: tokens/s per {unit}: 1 -> {s['tokens_per_s_per_gpu_1']}, {n} -> "
            f"{s[f'tokens_per_s_per_gpu_{n}']}; efficiency {s['efficiency']:.1%} (target {TARGET_EFFICIENCY:.0%}); "
            f"max loss diff {s['max_loss_diff']} (relative {s['max_rel_loss_diff']}, tolerance "
            f"{s['loss_tolerance_rel']}), grad norm relative {s['max_rel_grad_norm_diff']} (tolerance "
            f"{s['grad_norm_tolerance_rel']}) -> {'match' if s['match'] else 'MISMATCH'}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--nprocs", type=int, default=2, help="GPUs (or CPU processes) of the multi-process run")
    ap.add_argument("--model", choices=sorted(MODELS), default="20b", help="20b: gpt-oss-20b-random; tiny: CPU")
    ap.add_argument("--seq-len", type=int, default=8192, help="tokens per sequence (SFT row, DPO prompt+completion)")
    ap.add_argument("--steps", type=int, default=6, help="optimizer steps per run")
    ap.add_argument("--warmup", type=int, default=1, help="first steps left out of the timing")
    ap.add_argument("--global-batch", type=int, default=0, help="sequences (pairs) per optimizer step; 0: nprocs")
    ap.add_argument("--configs", default="sft,dpo", help="comma-separated: sft, dpo")
    ap.add_argument("--tol", type=float, default=None, help="relative loss tolerance (default 1e-5 CPU, 1e-2 GPU)")
    ap.add_argument("--grad-tol", type=float, default=None,
                    help="relative grad-norm tolerance (default 1e-5 CPU, 5e-2 GPU)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="extra config override for both runs, e.g. fast.moe=false (repeatable)")
    ap.add_argument("--cpu", action="store_true", help="CPU processes (DDP over gloo) instead of GPUs")
    ap.add_argument("--workdir", type=Path, default=None, help="keep data, specs and logs here (default: a tmp dir)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.global_batch = args.global_batch or args.nprocs
    # fp32 on CPU reproduces the 1-process run to rounding; bf16 FSDP reductions on GPU differ in the last bits
    # (GPU defaults are first guesses, not yet calibrated on a GPU run).
    args.tol = args.tol if args.tol is not None else (1e-5 if args.cpu else 1e-2)
    args.grad_tol = args.grad_tol if args.grad_tol is not None else (1e-5 if args.cpu else 5e-2)
    if args.global_batch % args.nprocs:
        ap.error(f"--global-batch {args.global_batch} must be a multiple of --nprocs {args.nprocs}")
    if args.seq_len % (2 * EXAMPLES_PER_ROW):
        ap.error(f"--seq-len must be a multiple of {2 * EXAMPLES_PER_ROW}")
    return args


def run_kind(kind: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """One configuration on 1 and on N processes, compared."""
    data, tokens_per_step = build_data(kind, args, work)
    logs = {n: launch(kind, n, run_config(kind, args, data, work / f"{kind}-out-{n}", n), work, args)
            for n in (1, args.nprocs)}
    return summarize(kind, logs[1], logs[args.nprocs], tokens_per_step, args)


def run_benchmark(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from wikigym.trainer.config import ModelConfig
    from wikigym.trainer.model import load_tokenizer_for

    load_tokenizer_for(ModelConfig(name=MODELS[args.model]))  # build the tokenizer cache once, not in N workers
    result: dict[str, Any] = {
        "benchmark": "multigpu_scaling", "command": " ".join(["python", "benchmarks/multigpu_scaling.py",
                                                               *sys.argv[1:]]),
        "commit": _commit(), **machine(args), "model": MODELS[args.model], "seq_len": args.seq_len,
        "global_batch": args.global_batch, "steps": args.steps, "warmup_steps": args.warmup,
        "target_efficiency": TARGET_EFFICIENCY, "overrides": args.set, "notes": notes(args), "configs": {},
    }
    for kind in [k.strip() for k in args.configs.split(",") if k.strip()]:
        try:
            summary = run_kind(kind, args, work)
        except LaunchFailed as e:  # recorded; the next configuration still runs
            summary = {"kind": kind, "error": str(e), "loss_match": False, "match": False}
        result["configs"][kind] = summary
        save(args.out, result)  # a run cut off later still leaves this configuration's figures
        print(report_line(summary, args.nprocs, result["unit"]), flush=True)
    return result


def save(out: Path, result: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        result = run_benchmark(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="wikigym-multigpu-") as tmp:
            result = run_benchmark(args, Path(tmp))
    print(f"\nwrote {args.out}")
    return 0 if all(c["match"] for c in result["configs"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
