"""`wikigym sft` on the tiny gpt-oss: the loss falls, LoRA weights move, a rerun resumes from the checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("trl")

from wikigym.trainer.config import SFTRunConfig, load_config  # noqa: E402
from wikigym.trainer.sft import last_checkpoint, run_sft  # noqa: E402
from wikigym.trajectories.dataset import ExportConfig, export_sft  # noqa: E402

CONFIG = Path(__file__).parents[2] / "configs" / "sft-tiny.yaml"


@pytest.mark.slow
def test_sft_loss_falls_and_resumes(tmp_path, teacher_run):
    export_sft([teacher_run], tmp_path / "data", ExportConfig(validation_fraction=0.0))
    cfg = load_config(SFTRunConfig, CONFIG, {"data": str(tmp_path / "data"), "train.output_dir": str(tmp_path / "sft"),
                                             "train.max_steps": 3, "train.save_steps": 3,
                                             "train.report_to": ["tensorboard"]})
    res = run_sft(cfg)
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
