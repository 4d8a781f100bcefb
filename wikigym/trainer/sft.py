"""`wikigym sft`: supervised fine-tuning of gpt-oss with TRL's SFTTrainer and a PEFT LoRA (or every parameter).

Input is a dataset written by `wikigym export sft` (`input_ids` + `assistant_masks`, already rendered in Harmony), so
TRL tokenizes nothing: it turns the masks into labels (loss on assistant tokens only) and, with `packing`, packs
examples best-fit-decreasing into `max_length` rows with `position_ids` restarting per example. Flash-attention kernels
honour those boundaries; under eager/sdpa attention `model.enable_packed_attention` builds block-diagonal masks, so
packed examples never attend to each other.

Output (`train.output_dir`): `checkpoint-*/` (resumable: a rerun continues from the newest), `adapter/` (the final
LoRA, written last), `logs/` (TensorBoard; W&B when `report_to` lists it), `sft_result.json`.

Full fine-tuning (`lora: null`): no PEFT wrapper, every parameter trains (the way to train a model from random
init, where a low-rank delta on random weights learns little). The final model and its tokenizer are written with
`save_pretrained` to `model/` instead of `adapter/`, and `sft_result.json` says `"model": <that dir>, "adapter": null`;
`ModelConfig(name=<that dir>)` loads it back (rollouts, DPO, `wikigym refine`).

Multi-GPU: run the same command under `accelerate launch --config_file configs/accelerate-fsdp.yaml -m wikigym.cli
sft --config ...`; nothing here is single-device specific.

What it does not do: export data (`wikigym export sft`) or merge the adapter (`wikigym export gguf`).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError, check_output_dir
from wikigym.trainer.checkpointing import CheckpointPlan, explain_oom, plan_callbacks, plan_checkpointing
from wikigym.trainer.config import SFTRunConfig, TrainConfig


def last_checkpoint(output_dir: Path) -> str | None:
    """The newest complete `checkpoint-N` directory under `output_dir`, if any.

    A run killed while saving leaves a `checkpoint-N` without `trainer_state.json` (the Trainer writes it after
    the weights, optimizer and RNG state). Resuming from it failed with transformers' "Can't find a valid
    checkpoint" traceback, so incomplete ones are skipped (with a warning) and the previous one is used.
    """
    ckpts = sorted((p for p in Path(output_dir).glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
                   key=lambda p: int(p.name.split("-")[-1]))
    for ckpt in reversed(ckpts):
        if (ckpt / "trainer_state.json").is_file():
            return str(ckpt)
        logging.getLogger(__name__).warning("%s is incomplete (no trainer_state.json: the run was killed while "
                                            "saving); resuming from an earlier checkpoint", ckpt)
    return None


def use_bf16(train: TrainConfig) -> bool:
    """bf16 mixed precision when asked and supported (CUDA with bf16, or CPU, which torch runs in bf16 autocast)."""
    import torch

    if not train.bf16:
        return False
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return False  # CPU autocast in bf16 is slower than fp32 on most CPUs; tests and smoke runs stay in fp32


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def model_device() -> str | None:
    """Where this process builds its model: its own GPU (`LOCAL_RANK`, set by `accelerate launch`/torchrun), else CPU.

    The model is built before the trainer initialises the distributed state, so a plain "cuda" would be cuda:0 in
    every process: N processes would each put a full copy of the weights on the first GPU."""
    import os

    return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if _cuda() else None


def _check_loggers(report: list[str]) -> None:
    """Fail before the model loads (not mid-run inside transformers) when a configured logger is not installed."""
    import importlib.util

    needs = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",)}
    for name in report:
        mods = needs.get(name)
        if mods and not any(importlib.util.find_spec(m) for m in mods):
            raise ConfigError(f"train.report_to lists {name!r} but it is not installed: `pip install {mods[0]}` "
                              f"(or drop it from report_to)")


def training_arguments(train: TrainConfig, checkpointing: CheckpointPlan, **extra: Any) -> dict[str, Any]:
    """TrainingArguments fields shared by SFT and DPO (`checkpointing`: the plan for `train.gradient_checkpointing`;
    its callbacks pick the layers when only some are checkpointed)."""
    import os

    report = [r for r in train.report_to if r != "none"]
    _check_loggers(report)
    # transformers 5 reads the TensorBoard directory from the environment (TrainingArguments.logging_dir is gone).
    os.environ["TENSORBOARD_LOGGING_DIR"] = str(Path(train.output_dir) / "logs")
    return dict(
        output_dir=str(train.output_dir), max_steps=train.max_steps, num_train_epochs=train.num_train_epochs,
        learning_rate=train.learning_rate, lr_scheduler_type=train.lr_scheduler_type, warmup_steps=train.warmup_ratio,
        per_device_train_batch_size=train.per_device_train_batch_size,
        gradient_accumulation_steps=train.gradient_accumulation_steps,
        gradient_checkpointing=checkpointing.enabled,
        gradient_checkpointing_kwargs={"use_reentrant": False}, bf16=use_bf16(train), logging_steps=train.logging_steps,
        save_steps=train.save_steps, save_total_limit=train.save_total_limit, report_to=report or "none",
        seed=train.seed, optim=train.optim,
        max_grad_norm=train.max_grad_norm, remove_unused_columns=False, dataloader_num_workers=0,
        dataloader_pin_memory=_cuda(),
        disable_tqdm=True, save_only_model=False, **extra)


def time_budget(train: TrainConfig) -> list[Any]:
    """A callback that ends training (saving a checkpoint) once `train.max_minutes` have passed, or none.

    Why: a learning run or a benchmark gets a fixed GPU time, not a known step count (throughput differs per GPU and
    per sequence mix). The clock starts when training starts (after loading), and again on a resumed run.
    """
    if not train.max_minutes:
        return []
    from transformers import TrainerCallback

    budget = float(train.max_minutes) * 60.0

    class TimeBudget(TrainerCallback):
        started = 0.0
        stopped = False

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.started = time.time()

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if time.time() - self.started >= budget:
                self.stopped = True
                control.should_training_stop = True
                control.should_save = True

    return [TimeBudget()]


def _finish(trainer: Any, output_dir: Path, started: float, kind: str, extra: dict[str, Any],
            full: bool = False) -> dict[str, Any]:
    """Save the result (the adapter, or with `full` the whole model in `model/`) and write `<kind>_result.json`.

    `trainer.save_model` (not `model.save_pretrained`) so sharded (FSDP) weights are gathered and only the main
    process writes; it saves the trainer's tokenizer (`processing_class`) beside the weights, which a full model
    needs to load back on its own."""
    if full:
        target = output_dir / "model"
        model = getattr(trainer, "model", None)
        if model is not None and getattr(model, "config", None) is not None:
            model.config.output_router_logits = False  # set by TRL for the aux loss; a saved model must not keep it
        trainer.save_model(str(target))
        saved = {"model": str(target), "adapter": None}
    else:
        target = output_dir / "adapter"
        trainer.save_model(str(target))
        saved = {"adapter": str(target)}
    history = [h for h in trainer.state.log_history if "loss" in h]
    result = {
        "kind": kind, **saved, "steps": trainer.state.global_step,
        "losses": [round(float(h["loss"]), 6) for h in history],
        "seconds": round(time.time() - started, 2), **extra,
    }
    (output_dir / f"{kind}_result.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def run_sft(cfg: SFTRunConfig) -> dict[str, Any]:
    """Train the LoRA of `cfg` (every parameter when `cfg.lora` is None); returns {adapter, steps, losses, seconds,
    ...}, plus `model` for a full fine-tuning (also written as sft_result.json).

    Example:
        >>> cfg = load_config(SFTRunConfig, Path("configs/sft-tiny.yaml"), ["train.max_steps=3"])
        >>> run_sft(cfg)["losses"]
    """
    from trl import SFTConfig, SFTTrainer

    from wikigym.trainer.model import (
        attach_lora,
        count_trainable,
        enable_packed_attention,
        load_model,
        load_tokenizer_for,
    )
    from wikigym.trajectories.dataset import load_sft_dataset

    # Checked before the data and the model are loaded: a bad output path is one error line, not a traceback
    # from deep in the trainer (or datasets) after the slow part.
    check_output_dir(cfg.train.output_dir, "train.output_dir (--output-dir)")
    full = cfg.lora is None
    if full and cfg.init_adapter is not None:
        raise ConfigError(f"init_adapter {cfg.init_adapter} continues a LoRA, but lora is null (full fine-tuning); "
                          "drop init_adapter, or set lora to continue the adapter")
    started = time.time()
    data = load_sft_dataset(cfg.data)
    train_ds = data["train"].select_columns(["input_ids", "assistant_masks"])
    eval_ds = data["validation"].select_columns(["input_ids", "assistant_masks"]) if "validation" in data else None
    if len(train_ds) == 0:
        raise ConfigError(f"dataset {cfg.data} has no train examples; export more episodes")
    tok = load_tokenizer_for(cfg.model)
    model = load_model(cfg.model, device_map=model_device())
    model.config.use_cache = False
    if full:
        model.requires_grad_(True)  # every parameter trains; no PEFT wrapper
    else:
        model = attach_lora(model, cfg.lora, cfg.init_adapter, trainable=True)
    enable_packed_attention(model)
    from wikigym.trainer.fast.patch import apply_fast_path, options_from_config

    fast = apply_fast_path(model, options_from_config(cfg.fast))  # falls back per part, with the reason
    trainable, total = count_trainable(model)
    out = Path(cfg.train.output_dir)
    checkpointing = plan_checkpointing(model, cfg.train.gradient_checkpointing, cfg.train.checkpoint_every,
                                       cfg.train.per_device_train_batch_size * cfg.train.max_length, fast,
                                       cfg.fast.loss_chunk_size)
    args = SFTConfig(**training_arguments(
        cfg.train, checkpointing, max_length=cfg.train.max_length, packing=cfg.packing,
        packing_strategy="bfd", padding_free=cfg.packing, assistant_only_loss=False,
        completion_only_loss=False, dataset_num_proc=None, shuffle_dataset=True,
        eval_strategy="steps" if (eval_ds is not None and cfg.train.eval_steps) else "no",
        eval_steps=cfg.train.eval_steps,
    ))
    budget = time_budget(cfg.train)
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                         processing_class=tok, callbacks=budget + plan_callbacks(checkpointing))
    resume = last_checkpoint(out) if cfg.train.resume else None
    with explain_oom(checkpointing):
        trainer.train(resume_from_checkpoint=resume)
    return _finish(trainer, out, started, "sft", {
        "resumed_from": resume, "trainable_parameters": trainable, "total_parameters": total,
        "train_examples": len(train_ds), "fast_path": fast.to_dict(),
        "stopped_by_time_budget": bool(budget and budget[0].stopped),
        "gradient_checkpointing": checkpointing.to_dict(),
    }, full=full)
