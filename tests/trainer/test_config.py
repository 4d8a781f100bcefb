"""Trainer configs: YAML + overrides, unknown keys refused with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikigym.errors import ConfigError
from wikigym.trainer.config import DPORunConfig, RefineConfig, SFTRunConfig, load_config, parse_overrides

CONFIGS = Path(__file__).parents[2] / "configs"


@pytest.mark.parametrize("name,model", [("sft-tiny.yaml", SFTRunConfig), ("dpo-tiny.yaml", DPORunConfig),
                                        ("refine-tiny.yaml", RefineConfig), ("sft-20b.yaml", SFTRunConfig),
                                        ("dpo-20b.yaml", DPORunConfig), ("refine-20b.yaml", RefineConfig),
                                        ("refine-tiny-full.yaml", RefineConfig)])
def test_shipped_configs_validate(name, model):
    cfg = load_config(model, CONFIGS / name)
    assert cfg.model_dump()


def test_overrides_apply_and_unknown_keys_fail(tmp_path):
    cfg = load_config(SFTRunConfig, CONFIGS / "sft-tiny.yaml", parse_overrides(["train.max_steps=2", "lora.r=4"]))
    assert cfg.train.max_steps == 2 and cfg.lora.r == 4 and cfg.model.name == "tiny"
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  max_stepz: 3\n")
    with pytest.raises(ConfigError, match=r"train\.max_stepz"):
        load_config(SFTRunConfig, bad)
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_overrides(["nonsense"])


def test_typo_key_names_the_fix(tmp_path):
    """A misspelt key said only 'Extra inputs are not permitted'; it now suggests the field meant, nested too."""
    from wikigym.errors import ConfigError
    from wikigym.trainer.config import SFTRunConfig, load_config

    bad = tmp_path / "typo.yaml"
    bad.write_text("data: d\ntrain: {max_stpes: 1}\n")
    with pytest.raises(ConfigError, match=r"train\.max_stpes: .*did you mean 'max_steps'\?"):
        load_config(SFTRunConfig, bad)


def test_yaml_syntax_error_is_one_line(tmp_path):
    """Broken YAML used to escape as PyYAML's multi-line ParserError traceback."""
    from wikigym.errors import ConfigError
    from wikigym.trainer.config import SFTRunConfig, load_config

    bad = tmp_path / "broken.yaml"
    bad.write_text("data: [1, 2\nmodel: {name: tiny}\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line 2") as info:
        load_config(SFTRunConfig, bad)
    assert "\n" not in str(info.value)


def test_explicit_null_override_sets_none_and_unset_options_do_not(tmp_path):
    """`--set lora=null` (full fine-tuning) used to be dropped like an option not given (both were None)."""
    cfg = load_config(SFTRunConfig, CONFIGS / "sft-tiny.yaml", {"data": None, **parse_overrides(["lora=null"])})
    assert cfg.lora is None and str(cfg.data) == "runs/tiny/sft-data"
    assert load_config(SFTRunConfig, CONFIGS / "sft-tiny.yaml", ["lora=null"]).lora is None
    assert load_config(SFTRunConfig, CONFIGS / "sft-tiny.yaml").lora.r == 8
    full = load_config(RefineConfig, CONFIGS / "refine-tiny-full.yaml")
    assert full.sft is not None and full.sft.lora is None and full.dpo.lora is not None


def test_held_out_evaluation_can_sample_like_semanticwiki():
    """Rollouts explore (temperature 1.0); the held-out score uses `eval_sampling` when set, else the rollouts'."""
    from pathlib import Path

    from wikigym.trainer.config import ModelConfig, RefineConfig, load_config
    from wikigym.trainer.refine import _eval_config

    cfg = load_config(RefineConfig, Path(__file__).parents[2] / "configs" / "refine-learning.yaml")
    ev = _eval_config(cfg, ModelConfig(name="tiny"), None, 1)
    assert ev.sampling.temperature == 0.3 and cfg.rollout.sampling.temperature == 1.0
    assert ev.tasks == cfg.eval_tasks and ev.k == cfg.eval_k
    plain = cfg.model_copy(update={"eval_sampling": None})
    assert _eval_config(plain, ModelConfig(name="tiny"), None, 1).sampling == cfg.rollout.sampling
