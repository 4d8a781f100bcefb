"""GPU evidence for the trainer: gpt-oss-20b-shaped SFT and DPO steps, and a small learning run.

Part A (`--part a`): the real gpt-oss-20b architecture (24 layers, 32 experts, 4 routed, 201,088-token vocabulary)
with random bf16 weights, LoRA (r=16) on q/k/v/o and on the fused expert weights (`target_parameters`), gradient
checkpointing, one sequence of 4,096 tokens:
- SFT step: forward with labels on half the tokens (assistant-only loss), backward, AdamW step;
- DPO step: chosen and rejected of 4,096 tokens each (3,584 prompt + 512 completion), reference log-probs with the
  adapter disabled (what `wikigym dpo` does for a fresh LoRA), sigmoid DPO loss (beta 0.1), backward, AdamW step.
Reports seconds per step (after one warm-up step), tokens/s and peak GPU memory. The loss code is TRL's in substance;
TRL and datasets are not installed on the device, so the steps are written out here with the same model, LoRA and
masks (`wikigym.trainer.model`).

Part B (`--part b`): a small gpt-oss-shaped model (full o200k vocabulary, 6 layers, 8 experts) trained from random
init for `--minutes` on Harmony-rendered scripted-teacher trajectories of several repositories (pre-tokenized by
`wikigym.trajectories.harmony`, loss on assistant tokens only, one repository held out), full-parameter AdamW.
Reports the train loss curve and the held-out repository's loss and next-token accuracy on assistant tokens before
and after. The learning run through the product's own path (full-FT SFT, rollouts scored by the verifier, DPO rounds,
held-out reward per round) is `benchmarks/learning_run.py`, which takes Node and the verifier to the device with
`benchmarks/device/pack.sh`.

Prints a table, then one JSON line last. Usage: `python benchmarks/gpu_trainer.py --data .bench-data/teacher.npz`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

DEV = "cuda" if torch.cuda.is_available() else "cpu"


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _peak_gib() -> float:
    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else 0.0


def part_a(seq: int = 4096, steps: int = 2, name: str = "gpt-oss-20b-random") -> dict:
    import torch.nn.functional as F

    from wikigym.trainer.config import LoraConfig, ModelConfig
    from wikigym.trainer.model import attach_lora, count_trainable, load_model

    t0 = time.time()
    model = load_model(ModelConfig(name=name, dtype="bfloat16" if DEV == "cuda" else "float32",
                                   attn_implementation="eager"), device_map=DEV)
    model.config.use_cache = False
    model = attach_lora(model, LoraConfig(r=16, alpha=32))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    model.train()
    trainable, total = count_trainable(model)
    build_s = time.time() - t0
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    g = torch.Generator(device="cpu").manual_seed(0)
    ids = torch.randint(0, 199000, (1, seq), generator=g).to(DEV)
    labels = ids.clone()
    labels[:, : seq // 2] = -100  # prompt half out of the loss, as assistant masks do

    def sft_step() -> float:
        out = model(input_ids=ids, labels=labels)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(out.loss.detach())

    res = {"trainable_parameters": trainable, "total_parameters": total, "build_seconds": round(build_s, 1)}
    if DEV == "cuda":
        torch.cuda.reset_peak_memory_stats()
    sft_step()
    _sync()
    t = time.time()
    for _ in range(steps):
        loss = sft_step()
    _sync()
    dt = (time.time() - t) / steps
    res["sft"] = {"seq_len": seq, "seconds_per_step": round(dt, 3), "tokens_per_s": round(seq / dt, 1),
                  "peak_gib": _peak_gib(), "loss": round(loss, 4)}

    comp = min(512, seq // 4)
    prompt_len = seq - comp
    pc = torch.randint(0, 199000, (2, seq), generator=g).to(DEV)
    pc[1, :prompt_len] = pc[0, :prompt_len]
    if DEV == "cuda":  # chosen and rejected share the prompt
        torch.cuda.empty_cache()
    mask = torch.zeros_like(pc)
    mask[:, prompt_len:] = 1

    def logps(m) -> torch.Tensor:
        logits = m(input_ids=pc).logits[:, :-1]
        lp = -F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), pc[:, 1:].reshape(-1),
                              reduction="none").view(pc.shape[0], -1)
        return (lp * mask[:, 1:]).sum(-1)

    def dpo_step() -> float:
        with torch.no_grad(), model.disable_adapter():
            ref = logps(model)
        pol = logps(model)
        margin = (pol[0] - ref[0]) - (pol[1] - ref[1])
        loss = -F.logsigmoid(0.1 * margin)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss)

    if DEV == "cuda":
        torch.cuda.reset_peak_memory_stats()
    dpo_step()
    _sync()
    t = time.time()
    for _ in range(steps):
        loss = dpo_step()
    _sync()
    dt = (time.time() - t) / steps
    res["dpo"] = {"seq_len_each": seq, "completion_tokens": comp, "seconds_per_step": round(dt, 3),
                  "tokens_per_s": round(2 * seq / dt, 1), "peak_gib": _peak_gib(), "loss": round(loss, 4)}
    return res  # the model is freed when this frame goes


def part_b(data: Path, minutes: float, held_out: str) -> dict:
    import numpy as np
    import torch.nn.functional as F

    from wikigym.trainer.config import ModelConfig, TinyModelConfig
    from wikigym.trainer.model import count_trainable, enable_packed_attention, load_model

    z = np.load(data)
    ids, masks, offs, repos = z["ids"], z["masks"], z["offs"], [str(r) for r in z["repos"]]
    examples = [(torch.from_numpy(ids[offs[i]:offs[i + 1]].astype(np.int64)),
                 torch.from_numpy(masks[offs[i]:offs[i + 1]].astype(np.int64)), repos[i]) for i in range(len(repos))]
    train = [e for e in examples if e[2] != held_out]
    held = [e for e in examples if e[2] == held_out]
    tiny = TinyModelConfig(hidden_size=512, intermediate_size=512, num_hidden_layers=6, num_local_experts=8,
                           num_experts_per_tok=2, num_attention_heads=8, num_key_value_heads=2, head_dim=64)
    model = load_model(ModelConfig(name="tiny", dtype="bfloat16" if DEV == "cuda" else "float32", tiny=tiny, seed=0),
                       device_map=DEV)
    model.config.use_cache = False
    enable_packed_attention(model)
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    trainable, total = count_trainable(model)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.0, betas=(0.9, 0.95))

    def evaluate() -> dict:
        model.eval()
        tot, n, correct = 0.0, 0, 0
        with torch.no_grad():
            for x, m, _ in held:
                x, m = x.to(DEV)[None], m.to(DEV)[None]
                logits = model(input_ids=x).logits[:, :-1].float()
                tgt, mm = x[:, 1:], m[:, 1:].bool()
                tot += float(F.cross_entropy(logits[mm], tgt[mm], reduction="sum"))
                correct += int((logits.argmax(-1)[mm] == tgt[mm]).sum())
                n += int(mm.sum())
        model.train()
        return {"loss": round(tot / max(n, 1), 4), "accuracy": round(correct / max(n, 1), 4), "tokens": n}

    before = evaluate()
    curve, step, tokens = [], 0, 0
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    model.train()
    while time.time() - t0 < minutes * 60:
        x, m, _ = train[int(torch.randint(len(train), (1,), generator=g))]
        x, m = x.to(DEV)[None], m.to(DEV)[None]
        labels = x.masked_fill(m == 0, -100)
        loss = model(input_ids=x, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens += x.shape[1]
        if step % 20 == 0 or step == 1:
            curve.append((step, round(float(loss), 4), round(time.time() - t0, 1)))
    _sync()
    secs = time.time() - t0
    after = evaluate()
    return {"model": tiny.model_dump(), "trainable_parameters": trainable, "total_parameters": total,
            "train_examples": len(train), "held_out_repo": held_out, "held_out_examples": len(held),
            "steps": step, "seconds": round(secs, 1), "tokens_per_s": round(tokens / secs, 1),
            "loss_curve": curve, "held_out_before": before, "held_out_after": after, "peak_gib": _peak_gib(),
            "not_run": "two DPO rounds with held-out verifier reward: rollouts need the simulator and verifier "
                       "(tree-sitter, Node/mermaid) on the device, which has neither; not measured"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", default="ab")
    ap.add_argument("--data", type=Path, default=Path(".bench-data/teacher.npz"))
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--held-out", default="yaml")
    ap.add_argument("--smoke", action="store_true", help="CPU check of the code path with the tiny model.")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "."))/"gpu_trainer.json")
    args = ap.parse_args()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    result = {"benchmark": "gpu_trainer", "device": gpu, "torch": torch.__version__}
    try:
        import peft
        import transformers

        result.update(transformers=transformers.__version__, peft=peft.__version__)
        result["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                          text=True).stdout.strip() or None
    except Exception:
        pass
    if "a" in args.part:
        result["gpt_oss_20b_random"] = part_a(64, 1, "tiny") if args.smoke else part_a()
        a = result["gpt_oss_20b_random"]
        print(f"{'step':<6}{'seq':>6}{'s/step':>9}{'tok/s':>10}{'peak GiB':>10}")
        for k in ("sft", "dpo"):
            print(f"{k:<6}{4096:>6}{a[k]['seconds_per_step']:>9}{a[k]['tokens_per_s']:>10}{a[k]['peak_gib']:>10}",
                  flush=True)
        args.out.write_text(json.dumps(result, indent=2))
    if "b" in args.part:
        result["learning_run"] = part_b(args.data, args.minutes, args.held_out)
        b = result["learning_run"]
        print(f"learning run: {b['steps']} steps in {b['seconds']} s, held-out loss {b['held_out_before']['loss']} -> "
              f"{b['held_out_after']['loss']}, accuracy {b['held_out_before']['accuracy']} -> "
              f"{b['held_out_after']['accuracy']}", flush=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
