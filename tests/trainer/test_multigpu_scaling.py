"""`benchmarks/multigpu_scaling.py`: 2 CPU processes reproduce the losses of 1 process with gradient accumulation;
the loss-matching and efficiency arithmetic on a recorded worker log."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("accelerate")

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "multigpu_scaling.py"


def _module():
    spec = importlib.util.spec_from_file_location("multigpu_scaling", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _log(nprocs: int, losses: list[float], seconds: list[float]) -> dict:
    """A worker log as `worker` writes it (the fields the driver reads)."""
    steps = [{"step": i + 1, "loss": loss, "grad_norm": 0.2, "seconds": s}
             for i, (loss, s) in enumerate(zip(losses, seconds))]
    return {"kind": "sft", "nprocs": nprocs, "steps": steps, "parallelism": {"world_size": nprocs}}


def test_loss_match_and_efficiency_arithmetic():
    mod = _module()
    args = argparse.Namespace(warmup=1, tol=1e-3, grad_tol=1e-3, cpu=False)
    one = _log(1, [12.0, 11.5, 11.0], [9.0, 2.0, 2.2])  # first step is warm-up; median of 2.0 and 2.2 is 2.1
    two = _log(2, [12.0, 11.5005, 11.0], [5.0, 1.2, 1.2])
    s = mod.summarize("sft", one, two, tokens_per_step=4200, args=args)
    assert s["throughput_1"]["step_s"] == 2.1 and s["tokens_per_s_per_gpu_1"] == 2000.0
    assert s["tokens_per_s_per_gpu_2"] == 1750.0  # 4200 / 1.2 / 2
    assert s["efficiency"] == 0.875 and s["meets_target"] is True
    assert s["max_loss_diff"] == pytest.approx(5e-4) and s["loss_match"] and s["match"]
    assert s["losses_1"] == [12.0, 11.5, 11.0] and s["losses_2"] == [12.0, 11.5005, 11.0]
    off = mod.compare(one, _log(2, [12.0, 11.6, 11.0], [1, 1, 1]), tol=1e-3, grad_tol=1e-3)  # another batch
    assert not off["loss_match"] and not off["match"] and off["max_rel_loss_diff"] == pytest.approx(0.1 / 11.5)
    grads = _log(2, [12.0, 11.5, 11.0], [1, 1, 1])
    grads["steps"][1]["grad_norm"] = 0.25
    off = mod.compare(one, grads, tol=1e-3, grad_tol=1e-3)  # same loss, different gradient
    assert off["loss_match"] and not off["grad_norm_match"] and not off["match"]
    assert not mod.compare(one, _log(2, [12.0], [1]), tol=1e-3, grad_tol=1e-3)["match"]  # a run that stopped early


def test_two_cpu_processes_reproduce_one(tmp_path):
    """The real launch: `accelerate launch` of 1 and 2 CPU processes (DDP over gloo), tiny gpt-oss, 2 SFT steps."""
    out = tmp_path / "scaling.json"
    cmd = [sys.executable, str(SCRIPT), "--cpu", "--model", "tiny", "--seq-len", "64", "--nprocs", "2", "--steps", "2",
           "--configs", "sft", "--workdir", str(tmp_path / "work"), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads(out.read_text())
    sft = res["configs"]["sft"]
    assert res["num_processes"] == 2 and res["unit"] == "CPU process"
    assert sft["runs"]["2"]["parallelism"]["world_size"] == 2
    assert sft["runs"]["2"]["parallelism"]["distributed_type"] == "MULTI_CPU"
    assert len(sft["losses_1"]) == len(sft["losses_2"]) == 2
    assert sft["match"] and sft["max_rel_loss_diff"] <= 1e-5, (sft["losses_1"], sft["losses_2"])
    assert sft["max_rel_grad_norm_diff"] <= 1e-5, (sft["grad_norms_1"], sft["grad_norms_2"])
    assert sft["grad_norms_1"][0] != sft["grad_norms_1"][1]  # batches differ, so a shifted data order would show
    assert sft["tokens_per_s_per_gpu_1"] > 0 and sft["tokens_per_s_per_gpu_2"] > 0 and sft["efficiency"] > 0
