"""Load gpt-oss (the real checkpoint, or a random model of its architecture) and attach LoRA.

- `openai/gpt-oss-20b` (or any path): `from_pretrained` with `Mxfp4Config(dequantize=True)` so the MXFP4 experts
  become bf16 weights that LoRA can train; this is the loading code for users with the hub or a local copy. A local
  directory whose config.json has no MXFP4 `quantization_config` (a model saved by a full fine-tuning, `wikigym sft`
  with `lora: null`) loads as it was saved, with the tokenizer saved beside it.
- `tiny`: a random gpt-oss from `GptOssConfig` with `ModelConfig.tiny`'s dimensions and the real 201,088-token
  vocabulary (tests, CPU smoke runs).
- `gpt-oss-20b-random`: the 20b architecture (24 layers, 32 experts, 4 routed) with random weights, for GPU
  benchmarks without the checkpoint.

LoRA targets the attention projections (`target_modules`) and the fused expert tensors through PEFT's
`target_parameters` (gpt-oss stores each layer's experts as one `[experts, in, out]` parameter, not as Linear modules).

What it does not do: training loops (see `sft.py`, `dpo.py`) or generation (the harmony policy).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError
from wikigym.trainer.config import LoraConfig, ModelConfig

RANDOM_20B = "gpt-oss-20b-random"


def _dtype(name: str) -> Any:
    import torch

    return {"bfloat16": torch.bfloat16, "float32": torch.float32, "float16": torch.float16}[name]


def gpt_oss_20b_config() -> Any:
    """gpt-oss-20b's architecture (from its published config.json) as a `GptOssConfig`."""
    from transformers import GptOssConfig

    return GptOssConfig(
        vocab_size=201088, hidden_size=2880, intermediate_size=2880, num_hidden_layers=24, num_attention_heads=64,
        num_key_value_heads=8, head_dim=64, num_local_experts=32, num_experts_per_tok=4, sliding_window=128,
        max_position_embeddings=131072, rope_theta=150000.0, swiglu_limit=7.0, initial_context_length=4096,
        rope_scaling={"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0,
                      "truncate": False, "original_max_position_embeddings": 4096},
        layer_types=["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(24)],
        eos_token_id=200002, pad_token_id=199999, tie_word_embeddings=False, router_aux_loss_coef=0.9,
        output_router_logits=False, attention_bias=True, rms_norm_eps=1e-5,
    )


def tiny_config(cfg: ModelConfig) -> Any:
    from transformers import GptOssConfig

    t = cfg.tiny
    return GptOssConfig(
        vocab_size=201088, hidden_size=t.hidden_size, intermediate_size=t.intermediate_size,
        num_hidden_layers=t.num_hidden_layers, num_attention_heads=t.num_attention_heads,
        num_key_value_heads=t.num_key_value_heads, head_dim=t.head_dim, num_local_experts=t.num_local_experts,
        num_experts_per_tok=t.num_experts_per_tok, sliding_window=t.sliding_window,
        max_position_embeddings=t.max_position_embeddings,
        layer_types=["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(t.num_hidden_layers)],
        eos_token_id=200002, pad_token_id=199999, tie_word_embeddings=False,
    )


def is_random(cfg: ModelConfig) -> bool:
    return cfg.name in ("tiny", RANDOM_20B)


def load_model(cfg: ModelConfig, device_map: Any = None) -> Any:
    """The base model of `cfg` (random for `tiny` / `gpt-oss-20b-random`), in `cfg.dtype`.

    Example:
        >>> model = load_model(ModelConfig(name="tiny", dtype="float32"))
        >>> model.config.num_local_experts
        4
    """
    import torch
    from transformers import AutoModelForCausalLM, GptOssForCausalLM

    dtype = _dtype(cfg.dtype)
    if is_random(cfg):
        config = tiny_config(cfg) if cfg.name == "tiny" else gpt_oss_20b_config()
        config._attn_implementation = cfg.attn_implementation
        torch.manual_seed(cfg.seed)
        prev = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            if device_map is not None and not isinstance(device_map, str):
                with torch.device(device_map):
                    model = GptOssForCausalLM(config)
            elif isinstance(device_map, str) and device_map not in ("auto", "cpu"):
                with torch.device(device_map):
                    model = GptOssForCausalLM(config)
            else:
                model = GptOssForCausalLM(config)
        finally:
            torch.set_default_dtype(prev)
        return model
    kwargs: dict[str, Any] = {"dtype": dtype, "attn_implementation": cfg.attn_implementation, "use_cache": False}
    if device_map is not None:
        kwargs["device_map"] = device_map
    if cfg.dequantize and is_mxfp4_checkpoint(cfg.name):
        from transformers import Mxfp4Config

        kwargs["quantization_config"] = Mxfp4Config(dequantize=True)
    from wikigym.trajectories.tokenizer import check_model_reachable

    check_model_reachable(cfg.name)  # one line at once, not a minute of hub retries
    try:
        return AutoModelForCausalLM.from_pretrained(cfg.name, **kwargs)
    except (OSError, ValueError) as e:  # ValueError: huggingface_hub's HFValidationError for a malformed id
        raise ConfigError(f"cannot load model {cfg.name!r} ({e}); pass a local checkout with --model PATH, or "
                          "`tiny` for the random test model") from None


def is_mxfp4_checkpoint(name: str) -> bool:
    """Whether `name`'s weights are MXFP4 (so loading them for training needs `Mxfp4Config(dequantize=True)`).

    transformers treats a `quantization_config` passed to `from_pretrained` for a checkpoint without one as a request
    to quantize on the fly (pre_quantized=False): the weights load unchanged, but the model gets an MXFP4
    `hf_quantizer` and `config.quantization_config`, which a saved copy then carries as if its weights were MXFP4
    (and the Trainer checks quantized models for adapters). So it goes only to MXFP4 checkpoints. A local directory
    answers from its config.json; a hub id is assumed to be MXFP4 (the published gpt-oss checkpoints are), as
    before, without a download just to ask.
    """
    import json

    local = Path(name).expanduser()
    if not local.is_dir():
        return True
    try:
        config = json.loads((local / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # no readable config.json: from_pretrained names the problem itself
    quant = config.get("quantization_config") or {}
    return isinstance(quant, dict) and quant.get("quant_method") == "mxfp4"


def load_tokenizer_for(cfg: ModelConfig) -> Any:
    """The tokenizer of `cfg`: the offline o200k_harmony one for random models, else the checkpoint's (for a local
    directory, the tokenizer saved in it, e.g. by a full fine-tuning)."""
    from wikigym.trajectories.tokenizer import load_tokenizer

    if cfg.tokenizer:
        return load_tokenizer(cfg.tokenizer)
    local = Path(cfg.name).expanduser()
    if not is_random(cfg) and local.is_dir() and not any((local / f).is_file() for f in
                                                         ("tokenizer.json", "tokenizer_config.json")):
        raise ConfigError(f"model directory {cfg.name} holds no tokenizer (tokenizer.json); set model.tokenizer "
                          "(o200k_harmony: gpt-oss's) or save the tokenizer there")
    return load_tokenizer(None if is_random(cfg) else cfg.name)


def peft_lora_config(lora: LoraConfig) -> Any:
    """PEFT's `LoraConfig` for attention + expert weights."""
    from peft import LoraConfig as PeftLoraConfig

    return PeftLoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, bias="none",
                          task_type="CAUSAL_LM", target_modules=list(lora.target_modules),
                          target_parameters=list(lora.target_parameters) or None)


def attach_lora(model: Any, lora: LoraConfig, init_adapter: Path | None = None, trainable: bool = True) -> Any:
    """Wrap `model` with a fresh LoRA (or `init_adapter`, trainable) and return the `PeftModel`."""
    from peft import PeftModel, get_peft_model

    if init_adapter is not None:
        if not (Path(init_adapter) / "adapter_config.json").is_file():
            raise ConfigError(f"adapter {init_adapter} has no adapter_config.json; pass a directory written by "
                              "`wikigym sft` or `wikigym dpo` (its adapter/ folder)")
        return PeftModel.from_pretrained(model, str(init_adapter), is_trainable=trainable)
    return get_peft_model(model, peft_lora_config(lora))


def load_for_inference(cfg: ModelConfig, adapter: Path | None = None, device: str | None = None) -> tuple[Any, Any]:
    """(model in eval mode with `adapter` merged in, tokenizer), for rollouts and export."""
    model = load_model(cfg, device_map=device)
    if adapter is not None:
        model = attach_lora(model, LoraConfig(), adapter, trainable=False).merge_and_unload()
    model.eval()
    # TRL's trainers switch `output_router_logits` on for the MoE auxiliary loss, and a model saved after training
    # keeps it. Generating with it on computes that loss on every cached step, which fails for a batch of padded
    # prompts (transformers' load-balancing loss sizes its mask by the whole sequence): every rollout of such a
    # model failed. Inference never needs router logits.
    model.config.output_router_logits = False
    return model, load_tokenizer_for(cfg)


def enable_packed_attention(model: Any) -> Any:
    """Make packed sequences attend only within themselves under eager/sdpa attention.

    TRL's padding-free packing concatenates examples into one row and restarts `position_ids` at each example.
    Flash-attention kernels read those boundaries; gpt-oss's eager path builds its causal masks without
    `position_ids`, so packed examples would attend to each other. This pre-hook builds the block-diagonal masks
    (full and sliding) from `position_ids` with transformers' own mask functions and passes them in as the
    precomputed mask mapping gpt-oss accepts. It acts only when no attention mask and no cache is given (training).
    Returns the model.
    """
    import inspect

    import torch
    from transformers.masking_utils import create_causal_mask, create_sliding_window_causal_mask

    inner = model
    while not hasattr(inner, "layers") and hasattr(inner, "model"):
        inner = inner.model
    if getattr(inner, "_wikigym_packed_hook", False):
        return model
    config = inner.config
    # transformers 5.2x call the cache argument `cache`; earlier releases `past_key_values`.
    cache_kw = "cache" if "cache" in inspect.signature(create_causal_mask).parameters else "past_key_values"

    def hook(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        pos = kwargs.get("position_ids")
        if pos is None or kwargs.get("attention_mask") is not None or kwargs.get("past_key_values") is not None:
            return args, kwargs
        if config._attn_implementation not in ("eager", "sdpa"):
            return args, kwargs
        if pos.dim() != 2 or bool(((pos[:, 1:] - pos[:, :-1]) == 1).all()):
            return args, kwargs  # one sequence per row: the default causal mask is right
        ids = kwargs.get("input_ids", args[0] if args else None)
        embeds = kwargs.get("inputs_embeds")
        b, n = (embeds.shape[:2] if embeds is not None else ids.shape[:2])
        dtype = embeds.dtype if embeds is not None else next(module.parameters()).dtype
        dummy = torch.empty(b, n, 0, dtype=dtype, device=pos.device)
        common = {"config": config, "inputs_embeds": dummy, "attention_mask": None, cache_kw: None,
                  "position_ids": pos.expand(b, -1)}
        kwargs["attention_mask"] = {"full_attention": create_causal_mask(**common),
                                    "sliding_attention": create_sliding_window_causal_mask(**common)}
        return args, kwargs

    inner.register_forward_pre_hook(hook, with_kwargs=True)
    inner._wikigym_packed_hook = True
    return model


def count_trainable(model: Any) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total
