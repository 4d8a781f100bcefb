"""`wikigym sft` on the tiny gpt-oss: the loss falls, LoRA weights move, a rerun resumes from the checkpoint."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

pytest.importorskip("trl")

from wikigym.trainer.config import SFTRunConfig, load_config  # noqa: E402
from wikigym.trainer.sft import last_checkpoint, run_sft  # noqa: E402
from wikigym.trajectories.dataset import ExportConfig, export_sft  # noqa: E402

CONFIG = Path(__file__).parents[2] / "configs" / "sft-tiny.yaml"


@pytest.mark.slow
def test_sft_loss_falls_and_resumes(tmp_path, teacher_run, caplog):
    export_sft([teacher_run], tmp_path / "data", ExportConfig(validation_fraction=0.0))
    cfg = load_config(SFTRunConfig, CONFIG, {"data": str(tmp_path / "data"), "train.output_dir": str(tmp_path / "sft"),
                                             "train.max_steps": 3, "train.save_steps": 3,
                                             "train.report_to": ["tensorboard"], "train.gradient_checkpointing": True,
                                             "train.checkpoint_every": 2})
    with caplog.at_level(logging.INFO, logger="wikigym.trainer.checkpointing"):
        res = run_sft(cfg)
    assert res["gradient_checkpointing"]["checkpointed"] == 1  # of the tiny model's 2 decoder layers
    assert "gradient checkpointing on 1 of 2 decoder layers" in caplog.text  # applied when training started
    losses = res["losses"]
    assert len(losses) == 3 and losses[-1] < losses[0] - 0.1, losses
    assert (tmp_path / "sft" / "adapter" / "adapter_config.json").is_file()
    assert list((tmp_path / "sft" / "logs").glob("events.out.tfevents.*"))  # TensorBoard
    from safetensors.torch import load_file

    weights = load_file(str(tmp_path / "sft" / "adapter" / "adapter_model.safetensors"))
    assert any("experts" in k for k in weights) and any("q_proj" in k for k in weights)
    assert any(float(v.abs().max()) > 0 for k, v in weights.items() if "lora_B" in k)  # B starts at zero
    # Resume: one more step continues from checkpoint-3 instead of starting over.
    assert last_checkpoint(tmp_path / "sft").endswith("checkpoint-3")
    cfg2 = cfg.model_copy(update={"train": cfg.train.model_copy(update={"max_steps": 4})})
    res2 = run_sft(cfg2)
    assert res2["resumed_from"].endswith("checkpoint-3") and res2["steps"] == 4
    assert res2["losses"][:3] == losses and len(res2["losses"]) == 4  # the restored history plus one new step
    assert json.loads((tmp_path / "sft" / "sft_result.json").read_text())["steps"] == 4


def test_last_checkpoint_skips_one_half_written_by_a_kill(tmp_path):
    """A kill during save leaves checkpoint-N without trainer_state.json; resuming from it was a traceback."""
    from wikigym.trainer.sft import last_checkpoint

    for n, complete in ((3, True), (6, False)):
        ckpt = tmp_path / f"checkpoint-{n}"
        ckpt.mkdir()
        (ckpt / "adapter_config.json").write_text("{}")
        if complete:
            (ckpt / "trainer_state.json").write_text("{}")
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-3")
    (tmp_path / "checkpoint-3" / "trainer_state.json").unlink()
    assert last_checkpoint(tmp_path) is None


@pytest.mark.slow
def test_full_finetuning_trains_base_weights_saves_a_loadable_model_and_resumes(tmp_path, teacher_run):
    """`lora: null`: no PEFT wrapper, the experts and lm_head move, model/ (weights + tokenizer) loads back by path."""
    import torch

    from wikigym.trainer.config import ModelConfig
    from wikigym.trainer.model import load_model, load_tokenizer_for
    from wikigym.trajectories.tokenizer import hf_tokenizer

    export_sft([teacher_run], tmp_path / "data", ExportConfig(validation_fraction=0.0))
    cfg = load_config(SFTRunConfig, CONFIG, [f"data={tmp_path / 'data'}", f"train.output_dir={tmp_path / 'sft'}",
                                             "train.max_steps=3", "train.save_steps=3", "train.report_to=[none]",
                                             "lora=null"])  # an explicit null override is not "not given"
    assert cfg.lora is None
    res = run_sft(cfg)
    losses = res["losses"]
    assert len(losses) == 3 and losses[-1] < losses[0] - 0.1, losses
    assert res["adapter"] is None and res["trainable_parameters"] == res["total_parameters"]
    model_dir = tmp_path / "sft" / "model"
    assert res["model"] == str(model_dir) and not (tmp_path / "sft" / "adapter").exists()
    assert json.loads((tmp_path / "sft" / "sft_result.json").read_text())["model"] == str(model_dir)
    assert (model_dir / "config.json").is_file() and not (model_dir / "adapter_config.json").exists()
    assert "quantization_config" not in json.loads((model_dir / "config.json").read_text())

    start = load_model(cfg.model)  # the same seed: the random init the run started from
    trained = load_model(ModelConfig(name=str(model_dir), dtype="float32"))
    assert type(trained).__name__ == "GptOssForCausalLM" and trained.config.num_local_experts == 4
    for name in ("model.layers.0.mlp.experts.gate_up_proj", "model.layers.1.mlp.experts.down_proj", "lm_head.weight",
                 "model.layers.0.self_attn.q_proj.weight"):
        before, after = start.get_parameter(name), trained.get_parameter(name)
        assert after.dtype == torch.float32 and not torch.equal(before, after), name
    tok = load_tokenizer_for(ModelConfig(name=str(model_dir)))  # the tokenizer saved there, not a download
    text = "<|start|>assistant<|channel|>final<|message|>Hello wiki<|return|>"
    assert tok(text)["input_ids"] == hf_tokenizer()(text)["input_ids"] and tok.pad_token == "<|endoftext|>"

    # Resume: one more step continues from checkpoint-3 (full weights and optimizer state) instead of starting over.
    assert last_checkpoint(tmp_path / "sft").endswith("checkpoint-3")
    res2 = run_sft(cfg.model_copy(update={"train": cfg.train.model_copy(update={"max_steps": 4})}))
    assert res2["resumed_from"].endswith("checkpoint-3") and res2["steps"] == 4
    assert res2["losses"][:3] == losses and len(res2["losses"]) == 4 and res2["model"] == str(model_dir)


def test_full_finetuning_refuses_an_init_adapter(tmp_path):
    """`lora: null` with `init_adapter` asks for two things at once: one error line before any data or model load."""
    from wikigym.errors import ConfigError

    cfg = load_config(SFTRunConfig, CONFIG, {"data": str(tmp_path / "none"), "train.output_dir": str(tmp_path / "o"),
                                             "init_adapter": str(tmp_path / "adapter")})
    cfg = cfg.model_copy(update={"lora": None})
    with pytest.raises(ConfigError, match="lora is null"):
        run_sft(cfg)


def test_time_budget_stops_and_saves_once_spent():
    """`train.max_minutes`: training ends (with a checkpoint) when the budget is spent, not before."""
    import time

    from transformers import TrainerControl

    from wikigym.trainer.config import TrainConfig
    from wikigym.trainer.sft import time_budget

    assert time_budget(TrainConfig()) == []
    (cb,) = time_budget(TrainConfig(max_minutes=0.002))  # 0.12 s
    control = TrainerControl()
    cb.on_train_begin(None, None, control)
    cb.on_step_end(None, None, control)
    assert not control.should_training_stop and not cb.stopped
    time.sleep(0.15)
    cb.on_step_end(None, None, control)
    assert control.should_training_stop and control.should_save and cb.stopped
