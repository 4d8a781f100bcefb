"""Tiny gpt-oss builder, LoRA on attention + experts, packed sequences without cross-contamination."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from wikigym.trainer.config import LoraConfig, ModelConfig  # noqa: E402
from wikigym.trainer.model import attach_lora, count_trainable, enable_packed_attention, load_model  # noqa: E402


@pytest.fixture(scope="module")
def lora_model():
    model = load_model(ModelConfig(name="tiny", dtype="float32"))
    return enable_packed_attention(attach_lora(model, LoraConfig(r=4, alpha=8)))


def test_lora_targets_attention_and_experts(lora_model):
    names = [n for n, p in lora_model.named_parameters() if p.requires_grad]
    for target in ("q_proj", "k_proj", "v_proj", "o_proj", "mlp.experts"):
        assert any(target in n and "lora_" in n for n in names), target
    trainable, total = count_trainable(lora_model)
    assert 0 < trainable < total / 100
    assert lora_model.config.vocab_size == 201088 and lora_model.config.num_local_experts == 4


def test_packed_sequences_do_not_attend_to_each_other(lora_model):
    g = torch.Generator().manual_seed(0)
    a, b = torch.randint(0, 5000, (1, 9), generator=g), torch.randint(0, 5000, (1, 6), generator=g)
    lora_model.eval()
    with torch.no_grad():
        la = lora_model(input_ids=a, use_cache=False).logits
        lb = lora_model(input_ids=b, use_cache=False).logits
        pos = torch.cat([torch.arange(9), torch.arange(6)])[None]
        packed = lora_model(input_ids=torch.cat([a, b], 1), position_ids=pos, use_cache=False).logits
    assert torch.allclose(packed[:, :9], la, atol=1e-4)
    assert torch.allclose(packed[:, 9:], lb, atol=1e-4)  # fails without enable_packed_attention


def test_local_checkpoint_dequantizes_only_mxfp4_and_needs_its_tokenizer(tmp_path):
    """Mxfp4Config goes only to MXFP4 checkpoints (for an unquantized local model transformers would quantize on the
    fly); a local model without a saved tokenizer is one error line naming the fix."""
    import json

    from wikigym.errors import ConfigError
    from wikigym.trainer.model import is_mxfp4_checkpoint, load_tokenizer_for

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt_oss"}))
    assert not is_mxfp4_checkpoint(str(tmp_path)) and is_mxfp4_checkpoint("openai/gpt-oss-20b")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt_oss",
                                                      "quantization_config": {"quant_method": "mxfp4"}}))
    assert is_mxfp4_checkpoint(str(tmp_path))
    with pytest.raises(ConfigError, match="holds no tokenizer.*model.tokenizer"):
        load_tokenizer_for(ModelConfig(name=str(tmp_path)))
    assert load_tokenizer_for(ModelConfig(name=str(tmp_path), tokenizer="o200k_harmony")).pad_token == "<|endoftext|>"


def test_a_model_saved_by_a_trainer_generates_padded_batches(tmp_path):
    """TRL leaves `output_router_logits` on in a trained model's config; generating a padded batch with it on
    failed in transformers' load-balancing loss, so every rollout of a full-FT model failed."""
    import torch

    from wikigym.trainer.config import ModelConfig
    from wikigym.trainer.model import load_for_inference, load_model
    from wikigym.trajectories.tokenizer import hf_tokenizer

    model = load_model(ModelConfig(name="tiny", dtype="float32"))
    model.config.output_router_logits = True
    model.save_pretrained(tmp_path / "m")
    hf_tokenizer().save_pretrained(tmp_path / "m")
    loaded, _ = load_for_inference(ModelConfig(name=str(tmp_path / "m"), dtype="float32"))
    ids = torch.tensor([[199999, 199999, 5, 6, 7], [8, 9, 10, 11, 12]])
    out = loaded.generate(input_ids=ids, attention_mask=(ids != 199999).long(), max_new_tokens=3, do_sample=False,
                          pad_token_id=199999, eos_token_id=None)
    assert out.shape == (2, 8)
