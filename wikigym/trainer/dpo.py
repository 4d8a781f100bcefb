"""`wikigym dpo`: TRL's DPOTrainer on Harmony preference pairs, with LoRA.

Pairs come pre-tokenized from `wikigym pairs` (`prompt_ids`, `chosen_ids`, `rejected_ids` and per-token
`chosen_mask`/`rejected_mask`), so the log-probabilities cover exactly SFT's loss tokens: the assistant's own tokens,
never tool outputs inside a whole-episode completion. TRL's collator would mark every completion token, so
`MaskedPreferenceCollator` uses the masks instead, and `HarmonyDPOTrainer` skips TRL's text tokenization.

Reference model, without a second copy of the base weights: TRL (>= 1.x with peft >= 0.20) copies the starting
adapter into a frozen `ref` adapter and evaluates the reference through it. A fresh LoRA starts at zero, so the
reference is then the base model (the adapter disabled); from `init_adapter` (SFT, or the previous round) each round is
anchored at the policy that sampled its rollouts. `precompute_ref_log_probs` computes the reference log-probs once
before training (saves a forward per step and the `ref` adapter's memory).

What it does not do: build pairs (`pairs.py`) or sample (`rollout.py`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from wikigym.errors import check_output_dir
from wikigym.trainer.checkpointing import explain_oom, plan_callbacks, plan_checkpointing
from wikigym.trainer.config import DPORunConfig
from wikigym.trainer.sft import (
    _finish,
    last_checkpoint,
    model_device,
    time_budget,
    training_arguments,
)


def _collator_class() -> Any:
    import torch
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    class MaskedPreferenceCollator(DataCollatorForPreference):
        """TRL's preference collator with the pairs' own loss masks as `completion_mask`."""

        def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
            out = super().torch_call(examples)
            if "chosen_mask" not in examples[0]:
                return out
            masks = [[0] * len(e["prompt_ids"]) + list(e["chosen_mask"]) for e in examples] + \
                    [[0] * len(e["prompt_ids"]) + list(e["rejected_mask"]) for e in examples]
            width = out["completion_mask"].shape[1]
            cm = torch.zeros_like(out["completion_mask"])
            for i, m in enumerate(masks):
                m = m[:width]
                cm[i, :len(m)] = torch.tensor(m, dtype=cm.dtype)
            out["completion_mask"] = cm
            return out

    return MaskedPreferenceCollator


def _trainer_class() -> Any:
    from trl import DPOTrainer

    class HarmonyDPOTrainer(DPOTrainer):
        """DPOTrainer that takes already-rendered Harmony pairs as they are."""

        def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str) -> Any:
            if "prompt_ids" in dataset.column_names:
                return dataset
            return super()._prepare_dataset(dataset, processing_class, args, dataset_name)

        def _set_signature_columns_if_needed(self) -> None:
            super()._set_signature_columns_if_needed()
            self._signature_columns = list(self._signature_columns or []) + ["chosen_mask", "rejected_mask"]

    return HarmonyDPOTrainer


def run_dpo(cfg: DPORunConfig) -> dict[str, Any]:
    """Train with DPO; returns {adapter, steps, losses, rewards/margins, ...} (also dpo_result.json)."""
    from trl import DPOConfig

    from wikigym.trainer.model import attach_lora, count_trainable, load_model, load_tokenizer_for
    from wikigym.trainer.pairs import load_pairs

    # Checked before the data and the model are loaded: a bad output path is one error line, not a traceback
    # from deep in the trainer (or datasets) after the slow part.
    check_output_dir(cfg.train.output_dir, "train.output_dir (--output-dir)")
    started = time.time()
    ds = load_pairs(cfg.pairs)
    keep = ["prompt_ids", "chosen_ids", "rejected_ids", "chosen_mask", "rejected_mask"]
    ds = ds.select_columns(keep)
    tok = load_tokenizer_for(cfg.model)
    model = load_model(cfg.model, device_map=model_device())
    model.config.use_cache = False
    model = attach_lora(model, cfg.lora, cfg.init_adapter, trainable=True)
    from wikigym.trainer.fast.patch import apply_fast_path, options_from_config

    fast = apply_fast_path(model, options_from_config(cfg.fast))  # falls back per part, with the reason
    trainable, total = count_trainable(model)
    out = Path(cfg.train.output_dir)
    # TRL concatenates each pair's chosen and rejected rows into one forward: twice the tokens per micro-batch
    checkpointing = plan_checkpointing(model, cfg.train.gradient_checkpointing, cfg.train.checkpoint_every,
                                       2 * cfg.train.per_device_train_batch_size * cfg.train.max_length, fast,
                                       cfg.fast.loss_chunk_size)
    args = DPOConfig(**training_arguments(
        cfg.train, checkpointing, max_length=cfg.train.max_length, beta=cfg.beta, loss_type=[cfg.loss_type],
        precompute_ref_log_probs=cfg.precompute_ref_log_probs, dataset_num_proc=None,
    ))
    collator = _collator_class()(pad_token_id=tok.pad_token_id, max_length=cfg.train.max_length)
    budget = time_budget(cfg.train)
    trainer = _trainer_class()(model=model, args=args, train_dataset=ds, processing_class=tok,
                               data_collator=collator, callbacks=budget + plan_callbacks(checkpointing))
    resume = last_checkpoint(out) if cfg.train.resume else None
    with explain_oom(checkpointing):
        trainer.train(resume_from_checkpoint=resume)
    logs = [h for h in trainer.state.log_history if "loss" in h]
    if "ref" in getattr(model, "peft_config", {}):
        model.delete_adapter("ref")
    return _finish(trainer, out, started, "dpo", {
        "resumed_from": resume, "trainable_parameters": trainable, "total_parameters": total, "pairs": len(ds),
        "fast_path": fast.to_dict(), "stopped_by_time_budget": bool(budget and budget[0].stopped),
        "gradient_checkpointing": checkpointing.to_dict(),
        "margins": [round(float(h.get("rewards/margins", float("nan"))), 6) for h in logs],
        "accuracies": [round(float(h.get("rewards/accuracies", float("nan"))), 6) for h in logs],
    })
