"""Typed configs of every trainer verb (`sft`, `rollout`, `pairs`, `dpo`, `refine`), loaded from YAML.

One pydantic model per runnable thing, `extra="forbid"` so a typo in a YAML key is one clear error, every field with a
default and a description (the CLI help). `load_config(Model, path, overrides)` reads YAML, applies `a.b=value`
overrides from the command line, and names the file and the bad field when validation fails.

What it does not do: build models or trainers (see `model.py`, `sft.py`, `dpo.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wikigym.errors import ConfigError


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class TinyModelConfig(_Config):
    """Dimensions of the tiny gpt-oss built from `GptOssConfig` (tests, CPU smoke runs, the learning benchmark)."""

    hidden_size: int = Field(64, description="Hidden size.")
    intermediate_size: int = Field(64, description="Expert MLP size.")
    num_hidden_layers: int = Field(2, description="Layers (alternating sliding/full attention like gpt-oss).")
    num_local_experts: int = Field(4, description="Experts per MoE layer.")
    num_experts_per_tok: int = Field(2, description="Experts routed per token.")
    num_attention_heads: int = Field(4, description="Query heads.")
    num_key_value_heads: int = Field(2, description="Key/value heads.")
    head_dim: int = Field(16, description="Head dimension.")
    sliding_window: int = Field(128, description="Sliding-window size of the sliding layers.")
    max_position_embeddings: int = Field(131072, description="Longest position (yarn scaling as gpt-oss).")


class ModelConfig(_Config):
    """Which model to load and how."""

    name: str = Field("openai/gpt-oss-20b", description="Hub id or local path (e.g. a full fine-tuning's model/); "
                                                        "`tiny` builds a random tiny gpt-oss; `gpt-oss-20b-random` "
                                                        "builds the 20b architecture randomly.")
    dtype: Literal["bfloat16", "float32", "float16"] = Field("bfloat16", description="Weights dtype.")
    dequantize: bool = Field(True, description="Load MXFP4 checkpoints with Mxfp4Config(dequantize=True) (training "
                                               "needs bf16 weights); a local model whose config.json is not MXFP4 "
                                               "loads as saved.")
    attn_implementation: str = Field("eager", description="eager (gpt-oss sinks), sdpa, or a kernels-hub flash "
                                                          "attention id such as kernels-community/vllm-flash-attn3.")
    tokenizer: str | None = Field(None, description="Tokenizer id/path; None: the model's, or the offline "
                                                    "o200k_harmony tokenizer for tiny/random models.")
    seed: int = Field(0, description="Seed of random initialisation (tiny/random models).")
    tiny: TinyModelConfig = Field(default_factory=TinyModelConfig, description="Tiny model dimensions.")


class LoraConfig(_Config):
    """PEFT LoRA on attention (q/k/v/o) and, through `target_parameters`, on the fused MoE expert weights."""

    r: int = Field(16, description="LoRA rank.")
    alpha: int = Field(32, description="LoRA alpha.")
    dropout: float = Field(0.0, description="LoRA dropout.")
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"],
                                      description="Linear modules to adapt.")
    target_parameters: list[str] = Field(
        default_factory=lambda: ["mlp.experts.gate_up_proj", "mlp.experts.down_proj"],
        description="nn.Parameter names to adapt (gpt-oss's fused expert weights).")


class FastConfig(_Config):
    """wikigym's GPU fast path (`wikigym.trainer.fast`); each part falls back, with a logged reason, where it is
    unavailable (CPU, old torch), so the defaults are safe everywhere."""

    attention: bool = Field(True, description="Flex attention with gpt-oss sinks and sliding window, no score "
                                              "matrix (CUDA, torch >= 2.9).")
    moe: bool = Field(True, description="Experts as grouped GEMMs with the LoRA deltas inside (no dense delta, no "
                                        "per-expert loop).")
    norm: bool = Field(True, description="RMSNorm as one fused forward and one fused backward kernel (torch.compile "
                                         "on CUDA), saving only its input for the backward.")
    compile_layers: bool = Field(True, description="Each decoder layer's attention and MoE blocks under "
                                                    "torch.compile (CUDA; graphs shared by the layers, also inside "
                                                    "gradient checkpointing): fuses the elementwise work between the "
                                                    "kernels above (1.3x a step on an H100); the first steps pay "
                                                    "the compilation (~20 s per new shape).")
    chunked_loss: bool = Field(True, description="Chunked cross-entropy when the model is called with labels (TRL's "
                                                 "trainers use their own fused LM head).")
    loss_chunk_size: int = Field(2048, description="Tokens per chunk of the chunked cross-entropy.")
    decode: bool = Field(True, description="rollout: static KV cache + CUDA-graph decoding with continuous batching "
                                           "(CUDA only; transformers' generate otherwise).")
    decode_max_len: int = Field(32768, description="rollout: longest prompt + answer the decode engine's KV cache "
                                                   "holds.")
    decode_fp8_experts: bool = Field(False, description="rollout: the decode engine multiplies FP8 copies of the "
                                                        "experts (Hopper; 1.6x at 32 streams, the bf16 experts freed: "
                                                        "~20 GB less for the 20b) at the price of a different policy: "
                                                        "see README 'Speed on the GPU'.")


class TrainConfig(_Config):
    """Optimisation settings shared by SFT and DPO."""

    output_dir: Path = Field(Path("runs/train"), description="Checkpoints, the final adapter (adapter/; model/ for a "
                                                              "full fine-tuning), logs (logs/).")
    max_steps: int = Field(-1, description="Optimizer steps; -1 runs num_train_epochs.")
    num_train_epochs: float = Field(1.0, description="Epochs when max_steps is -1.")
    max_minutes: float | None = Field(None, description="Stop (and save) after this many minutes of this run's "
                                                        "training, even before max_steps/epochs: a fixed time budget. "
                                                        "The schedule still follows max_steps.")
    learning_rate: float = Field(2e-4, description="Peak learning rate.")
    lr_scheduler_type: str = Field("cosine", description="Scheduler (transformers names).")
    warmup_ratio: float = Field(0.03, description="Warm-up share of the steps.")
    per_device_train_batch_size: int = Field(1, description="Sequences (or packs) per device and step.")
    gradient_accumulation_steps: int = Field(8, description="Micro-batches per optimizer step.")
    max_length: int = Field(16384, description="Longest sequence (and pack) in tokens.")
    gradient_checkpointing: bool | Literal["auto"] = Field(
        "auto", description="Recompute decoder layers' activations in the backward to save memory. auto: as few "
                            "layers as fit the GPU's memory at max_length tokens per micro-batch (none for short "
                            "packs: ~1.6x faster; all off CUDA); true: every layer (see checkpoint_every); false: "
                            "none. See wikigym/trainer/checkpointing.py.")
    checkpoint_every: int = Field(1, ge=1, description="With gradient_checkpointing: true, recompute only every Nth "
                                                       "decoder layer (1: all; 2: half of them).")
    bf16: bool = Field(True, description="bf16 mixed precision (off automatically where the device lacks it).")
    logging_steps: int = Field(1, description="Log every N steps.")
    save_steps: int = Field(50, description="Checkpoint every N steps (resumable).")
    save_total_limit: int = Field(2, description="Checkpoints kept.")
    eval_steps: int | None = Field(None, description="Evaluate every N steps when a validation split exists.")
    report_to: list[str] = Field(default_factory=lambda: ["tensorboard"], description="tensorboard and/or wandb.")
    resume: bool = Field(True, description="Resume from the newest checkpoint in output_dir when one exists.")
    seed: int = Field(0, description="Training seed.")
    optim: str = Field("adamw_torch_fused", description="Optimizer (transformers names). The fused AdamW is one "
                                                        "kernel over all LoRA tensors: on an H100 the multi-tensor "
                                                        "'adamw_torch' took 6 ms of a 218 ms step.")
    max_grad_norm: float = Field(1.0, description="Gradient clipping.")


class SFTRunConfig(_Config):
    """`wikigym sft`: supervised fine-tuning on an exported dataset."""

    data: Path = Field(Path("data/sft"), description="Dataset written by `wikigym export sft`.")
    model: ModelConfig = Field(default_factory=ModelConfig)
    lora: LoraConfig | None = Field(default_factory=LoraConfig,
                                    description="LoRA to train; null (`lora: null`, `--set lora=null`): full "
                                                "fine-tuning, every parameter trains and train.output_dir/model/ gets "
                                                "the whole model and its tokenizer (e.g. a model from random init).")
    train: TrainConfig = Field(default_factory=TrainConfig)
    packing: bool = Field(True, description="Pack examples (best-fit decreasing) into max_length sequences; "
                                            "position ids restart per example so attention never crosses them.")
    init_adapter: Path | None = Field(None, description="Continue training this adapter instead of a fresh LoRA.")
    fast: FastConfig = Field(default_factory=FastConfig, description="GPU fast path (kernels, chunked loss).")


class SamplingConfig(_Config):
    temperature: float = Field(1.0, description="Sampling temperature (0: greedy).")
    top_p: float = Field(1.0, description="Nucleus sampling.")
    max_new_tokens: int = Field(1024, description="Tokens per assistant turn.")
    reasoning_effort: Literal["low", "medium", "high"] = Field("low", description="Harmony reasoning effort.")
    batch_size: int = Field(8, description="Episodes generated together (harmony policy).")


class RolloutConfig(_Config):
    """`wikigym rollout`: K student episodes per task, scored by the verifier."""

    model: ModelConfig = Field(default_factory=ModelConfig)
    adapter: Path | None = Field(None, description="LoRA adapter to apply (None: the base model).")
    policy: Literal["harmony", "openai"] = Field("harmony", description="harmony: transformers in process; openai: "
                                                                       "an OpenAI-compatible server (vLLM).")
    base_url: str = Field("http://127.0.0.1:8000/v1", description="Server of the openai policy.")
    tasks: Path = Field(Path("runs/teacher"), description="Tasks: a RUN_DIR (each episode's repo and task) or a "
                                                          "tasks .jsonl of {repo, task, system_prompt, tools, mode}.")
    k: int = Field(4, description="Episodes per task.")
    max_turns: int = Field(30, description="Assistant turns per episode before it stops (max_turns).")
    verification_passes: int = Field(0, description="SemanticWiki's verification passes after the main loop.")
    mode: Literal["direct", "sdk"] = Field("direct", description="Tool name set.")
    concurrency: int = Field(4, description="Episodes at once for the openai policy.")
    forks_per_task: int = Field(0, description="Fork points per task (step-level pairs); 0: no forks.")
    fork_k: int = Field(2, description="Continuations sampled at each fork point.")
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    seed: int = Field(0, description="Sampling seed.")
    fast: FastConfig = Field(default_factory=FastConfig, description="GPU fast path (decode engine).")


class PairsConfig(_Config):
    """`wikigym pairs`: preference pairs from scored rollouts."""

    min_margin: float = Field(0.05, description="Pair two episodes only when their rewards differ by this much.")
    episode_pairs: bool = Field(True, description="Best vs worst episode of each task.")
    step_pairs: bool = Field(True, description="Pair the diverging next actions of forks of one prefix.")
    teacher_pairs: bool = Field(False, description="refine: also pair the teacher episode of a task (chosen) with "
                                                   "its worst rollout when the margin allows.")
    max_length: int = Field(16384, description="Drop pairs whose prompt + longer answer exceeds this.")


class DPORunConfig(_Config):
    """`wikigym dpo`: DPO on preference pairs, LoRA, reference = the adapter disabled (or precomputed)."""

    pairs: Path = Field(Path("runs/pairs"), description="Directory written by `wikigym pairs`.")
    model: ModelConfig = Field(default_factory=ModelConfig)
    lora: LoraConfig = Field(default_factory=LoraConfig)
    train: TrainConfig = Field(default_factory=lambda: TrainConfig(learning_rate=5e-6))
    init_adapter: Path | None = Field(None, description="Start from this (SFT or previous round's) adapter; it is "
                                                        "also the frozen reference.")
    beta: float = Field(0.1, description="DPO beta.")
    loss_type: str = Field("sigmoid", description="TRL loss type.")
    precompute_ref_log_probs: bool = Field(False, description="Compute reference log-probs once before training "
                                                              "(saves memory and time per step).")
    fast: FastConfig = Field(default_factory=FastConfig, description="GPU fast path (kernels, chunked loss).")


class RefineConfig(_Config):
    """`wikigym refine`: optional SFT, then N rounds of rollout -> score -> pairs -> DPO (or rejection-sampled SFT)."""

    out: Path = Field(Path("runs/refine"), description="RUN_DIR; each round writes rounds/<n>/.")
    sft: SFTRunConfig | None = Field(None, description="Run this SFT first (skipped when absent); with `lora: null` "
                                                        "its saved model is the base model of every round.")
    initial_adapter: Path | None = Field(None, description="Start from this adapter (instead of sft).")
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    eval_tasks: Path | None = Field(None, description="Held-out tasks scored each round, and once before round 1 "
                                                      "(round 0: the starting policy); report only.")
    eval_k: int = Field(1, description="Episodes per held-out task.")
    eval_sampling: SamplingConfig | None = Field(None, description="Sampling of the held-out evaluation (None: the "
                                                                  "rollouts'); e.g. SemanticWiki's own temperature "
                                                                  "0.3 for plans and pages, where rollouts explore at "
                                                                  "1.0.")
    pairs: PairsConfig = Field(default_factory=PairsConfig)
    dpo: DPORunConfig = Field(default_factory=DPORunConfig)
    refiner: Literal["dpo", "rejection_sft"] = Field("dpo", description="dpo, or rejection-sampling SFT on the best "
                                                                        "rollouts.")
    rejection_top_k: int = Field(1, description="Rollouts per task kept by rejection sampling.")
    rejection_min_reward: float | None = Field(None, description="Minimum reward kept by rejection sampling.")


C = TypeVar("C", bound=BaseModel)


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    cur = data
    for k in keys[:-1]:
        cur = cur.setdefault(k, {})
        if not isinstance(cur, dict):
            raise ConfigError(f"override {dotted}: {k} is not a section")
    cur[keys[-1]] = value


class _Null:
    """An override that sets a field to null (`--set lora=null`).

    A plain None in the overrides means "not given" (each command passes its unset options as None), so an explicit
    YAML null is carried as this marker and becomes None only when it is set."""

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()


def _parse_value(v: str) -> Any:
    value = yaml.safe_load(v)
    return NULL if value is None else value


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`["train.max_steps=3", "lora=null"]` -> `{"train.max_steps": 3, "lora": NULL}` (values parsed as YAML; NULL
    sets the field to None, where a plain None override means "not given")."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        k, v = item.split("=", 1)
        out[k.strip()] = _parse_value(v)
    return out


def load_config(model: type[C], path: Path | None = None, overrides: dict[str, Any] | list[str] | None = None) -> C:
    """Read `path` (YAML), apply overrides (`{"train.max_steps": 3}` or `["train.max_steps=3"]`), validate.

    A None value in an overrides dict is skipped (an option not given); `NULL` (or "key=null" in the list form) sets
    the field to None.

    Raises:
        ConfigError: naming the file and each bad field.
    """
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist; pass a YAML file such as configs/sft-tiny.yaml")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            # A YAML syntax error is the user's to fix: one line with where it is, not PyYAML's traceback.
            mark = getattr(e, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise ConfigError(f"config file {path} is not valid YAML{at} ({getattr(e, 'problem', None) or e}); "
                              "fix the syntax there") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping at the top level")
        data = loaded
    if isinstance(overrides, list):
        overrides = parse_overrides(overrides)
    for k, v in (overrides or {}).items():
        if v is not None:  # None: an option not given; NULL: an explicit null
            _set(data, k, None if v is NULL else v)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        where = f"config {path}" if path else "config"
        bad = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}{_did_you_mean(model, err)}"
                        for err in e.errors())
        raise ConfigError(f"{where} is invalid: {bad}") from None


def _did_you_mean(model: type[BaseModel], err: Any) -> str:
    """For a misspelt key (pydantic's extra_forbidden), the closest field at that place: the fix, not just the fault.

    "trian: Extra inputs are not permitted" names the thing; "(did you mean 'train'?)" names the fix.
    """
    import difflib
    import typing

    if err.get("type") != "extra_forbidden" or not err.get("loc"):
        return ""
    *parents, key = [str(x) for x in err["loc"]]
    cls: Any = model
    for name in parents:  # walk down to the model that holds the bad key (Optional[Model] fields included)
        field = getattr(cls, "model_fields", {}).get(name)
        if field is None:
            return ""
        ann = field.annotation
        cls = next((a for a in (ann, *typing.get_args(ann)) if isinstance(a, type) and issubclass(a, BaseModel)),
                   None)
        if cls is None:
            return ""
    close = difflib.get_close_matches(key, list(cls.model_fields), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(cls.model_fields)})"
