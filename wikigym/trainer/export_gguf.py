"""`wikigym export gguf`: merge a LoRA into gpt-oss, convert to GGUF, write an Ollama Modelfile.

Steps:
1. load the base model (`ModelConfig`), apply the adapter and `merge_and_unload()`; save the merged checkpoint with
   the offline tokenizer (safetensors, bf16/fp32 as loaded);
2. convert with the `convert_hf_to_gguf.py` that ships in the **llama-cpp-python source distribution** (its
   `gguf-py` beside it; PyPI's `gguf` package does not match that converter). The sdist is found in `--converter DIR`,
   in the cache (`~/.cache/wikigym/llama-cpp-src/`), or fetched once with `pip download --no-binary :all:` of the
   installed llama-cpp-python version (or of `CONVERTER_SDIST_VERSION` when it is not installed: the converter is
   pure Python, so q8_0/f16/bf16 export needs no llama.cpp build);
3. `f32`/`f16`/`bf16`/`q8_0` come straight from the converter; k-quants (`q5_k_m`, `q4_k_m`, ...) are made from the
   f16 file with llama-cpp-python's `llama_model_quantize`;
4. write `Modelfile` beside the GGUF: `FROM`, a Go template that renders Harmony (system with reasoning effort,
   developer with instructions and `namespace functions`, tool calls/results), stop tokens `<|call|>`/`<|return|>`.

Prints the SemanticWiki command that uses the file: `semanticwiki generate -r REPO --full-local --model-path FILE`.

What it does not do: build llama-cpp-python (a source build, ~10-14 min on 2 cores: `pip install llama-cpp-python`).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError, check_output_file
from wikigym.trainer.config import ModelConfig
from wikigym.trajectories.tokenizer import cache_dir

CONVERTER_TYPES = ("f32", "f16", "bf16", "q8_0")
KQUANTS = {"q4_0": 2, "q4_1": 3, "q5_0": 8, "q5_1": 9, "q2_k": 10, "q3_k_s": 11, "q3_k_m": 12, "q3_k_l": 13,
           "q4_k_s": 14, "q4_k_m": 15, "q5_k_s": 16, "q5_k_m": 17, "q6_k": 18}  # llama_ftype values

# Harmony in Ollama's Go template language. Renders what openai-harmony renders for a conversation with function
# tools: system (reasoning effort), developer (instructions + namespace functions), messages, then <|start|>assistant.
# Simplification: every parameter is written as required (harmony marks optional ones with `?`; Go templates in
# Ollama have no membership test for the `required` list).
MODELFILE_TEMPLATE = r'''<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.
Knowledge cutoff: 2024-06

Reasoning: {{ if .Think }}{{ .ThinkLevel }}{{ else }}low{{ end }}

# Valid channels: analysis, commentary, final. Channel must be included for every message.
{{- if .Tools }}
Calls to these tools must go to the commentary channel: 'functions'.
{{- end }}<|end|>
{{- if or .System .Tools }}<|start|>developer<|message|>
{{- if .System }}# Instructions

{{ .System }}
{{- end }}
{{- if .Tools }}{{ if .System }}

{{ end }}# Tools

## functions

namespace functions {
{{- range .Tools }}

// {{ .Function.Description }}
type {{ .Function.Name }} = (_: {
{{- range $name, $prop := .Function.Parameters.Properties }}
{{- if $prop.Description }}
// {{ $prop.Description }}
{{- end }}
{{ $name }}: {{ $prop.Type }},
{{- end }}
}) => any;
{{- end }}

} // namespace functions
{{- end }}<|end|>
{{- end }}
{{- range $i, $m := .Messages }}
{{- if eq $m.Role "user" }}<|start|>user<|message|>{{ $m.Content }}<|end|>
{{- else if eq $m.Role "assistant" }}
{{- if $m.Thinking }}<|start|>assistant<|channel|>analysis<|message|>{{ $m.Thinking }}<|end|>{{ end }}
{{- if $m.ToolCalls }}
{{- if $m.Content }}<|start|>assistant<|channel|>commentary<|message|>{{ $m.Content }}<|end|>{{ end }}
{{- range $m.ToolCalls }}<|start|>assistant to=functions.{{ .Function.Name }}<|channel|>commentary <|constrain|>json<|message|>{{ .Function.Arguments }}<|call|>
{{- end }}
{{- else if $m.Content }}<|start|>assistant<|channel|>final<|message|>{{ $m.Content }}<|end|>
{{- end }}
{{- else if eq $m.Role "tool" }}<|start|>functions.{{ $m.ToolName }} to=assistant<|channel|>commentary<|message|>{{ $m.Content }}<|end|>
{{- end }}
{{- end }}<|start|>assistant'''


def modelfile_text(gguf: Path) -> str:
    """The Ollama Modelfile for `gguf` (template = Harmony, stops at <|call|> and <|return|>)."""
    return (f"FROM ./{gguf.name}\n\nTEMPLATE \"\"\"{MODELFILE_TEMPLATE}\"\"\"\n\n"
            "PARAMETER stop \"<|call|>\"\nPARAMETER stop \"<|return|>\"\nPARAMETER stop \"<|end|>\"\n"
            "PARAMETER temperature 1\nPARAMETER num_ctx 32768\n")


def merge_adapter(model_cfg: ModelConfig, adapter: Path | None, out: Path) -> Path:
    """Save base + merged adapter (and the tokenizer) as a HF checkpoint in `out`."""
    from wikigym.trainer.model import load_for_inference

    model, tok = load_for_inference(model_cfg, adapter)
    model.config.use_cache = True
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    tok.save_pretrained(str(out))
    return out


CONVERTER_SDIST_VERSION = "0.3.36"  # its convert_hf_to_gguf.py knows gpt-oss (checked with the tiny model)


def _installed_llama_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("llama-cpp-python")
    except Exception:
        return None


def find_converter(converter: Path | None = None, fetch: bool = True) -> Path:
    """Directory holding `convert_hf_to_gguf.py` and `gguf-py/` from the llama-cpp-python sdist."""
    candidates = [Path(converter)] if converter else []
    base = cache_dir() / "llama-cpp-src"
    pattern = str(base / "*" / "vendor" / "llama.cpp" / "convert_hf_to_gguf.py")
    candidates += [Path(p).parent for p in glob.glob(pattern)]
    for c in candidates:
        for d in (c, c / "vendor" / "llama.cpp"):
            if (d / "convert_hf_to_gguf.py").is_file() and (d / "gguf-py").is_dir():
                return d
    if converter:
        raise ConfigError(f"{converter} holds no convert_hf_to_gguf.py with gguf-py beside it; pass the unpacked "
                          "llama-cpp-python sdist (or its vendor/llama.cpp)")
    # The converter is pure Python: without llama-cpp-python installed, the pinned sdist still serves q8_0/f16/bf16.
    version = _installed_llama_version() or CONVERTER_SDIST_VERSION
    if not fetch:
        raise ConfigError("GGUF export needs the converter of the llama-cpp-python sdist; install llama-cpp-python "
                          "(`pip install llama-cpp-python`) or pass --converter DIR (an unpacked sdist)")
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", tmp,
                               f"llama-cpp-python=={version}"], capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
            raise ConfigError(f"could not download the llama-cpp-python {version} sdist (its converter): "
                              f"{' '.join(tail)}; pass --converter DIR (an unpacked sdist)")
        sdist = next(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers() if "/vendor/llama.cpp/" in m.name and (
                "convert_hf_to_gguf" in m.name or "/gguf-py/" in m.name or "/conversion/" in m.name
                or m.name.endswith("/requirements.txt"))]
            tar.extractall(base, members=members, filter="data")
    return find_converter(None, fetch=False)


def convert(merged: Path, out_file: Path, quant: str, converter: Path | None = None) -> Path:
    """Convert the merged checkpoint to GGUF at `quant`; returns the file written."""
    quant = quant.lower()
    if quant not in CONVERTER_TYPES and quant not in KQUANTS:
        raise ConfigError(f"--quant {quant} is not one of {', '.join(CONVERTER_TYPES + tuple(KQUANTS))}")
    conv = find_converter(converter)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    direct = quant if quant in CONVERTER_TYPES else "f16"
    target = out_file if quant in CONVERTER_TYPES else out_file.with_suffix(".f16.gguf")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(conv / "gguf-py"), str(conv),
                                                       os.environ.get("PYTHONPATH", "")]), NO_LOCAL_GGUF="")
    proc = subprocess.run([sys.executable, str(conv / "convert_hf_to_gguf.py"), str(merged), "--outfile", str(target),
                           "--outtype", direct], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ConfigError(f"convert_hf_to_gguf.py failed: {' | '.join(tail)}")
    if quant in KQUANTS:
        try:
            import llama_cpp
        except ImportError:
            raise ConfigError(f"--quant {quant} needs llama-cpp-python's quantizer; install llama-cpp-python or use "
                              "q8_0/f16/bf16") from None
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = KQUANTS[quant]
        rc = llama_cpp.llama_model_quantize(str(target).encode(), str(out_file).encode(), params)
        if rc != 0:
            raise ConfigError(f"llama_model_quantize to {quant} failed with code {rc}")
        target.unlink()
    return out_file


def export_gguf(model_cfg: ModelConfig, adapter: Path | None, out_file: Path, quant: str = "q8_0",
                converter: Path | None = None, keep_merged: bool = False) -> dict[str, Any]:
    """Merge, convert and write the Modelfile; returns {gguf, modelfile, bytes, semanticwiki_command}."""
    # Checked before the (slow) merge: a bad --out is one error line, not a mkdir traceback at the end.
    out_file = check_output_file(out_file, "--out")
    if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
        raise ConfigError(f"adapter {adapter} has no adapter_config.json; pass the adapter/ folder of a training run")
    find_converter(converter)  # fail before the (slow) merge when the converter is missing
    merged_dir = out_file.with_suffix(".merged")
    with tempfile.TemporaryDirectory() as tmp:
        merged = merge_adapter(model_cfg, Path(adapter) if adapter else None,
                               merged_dir if keep_merged else Path(tmp) / "merged")
        convert(merged, out_file, quant, converter)
    modelfile = out_file.parent / "Modelfile"
    modelfile.write_text(modelfile_text(out_file), encoding="utf-8")
    cmd = f"semanticwiki generate -r REPO --full-local --model-path {out_file.resolve()}"
    return {"gguf": str(out_file), "modelfile": str(modelfile), "bytes": out_file.stat().st_size, "quant": quant,
            "semanticwiki_command": cmd, "ollama_command": f"ollama create wikigym -f {modelfile}"}


def llama_cpp_available() -> bool:
    """True when llama-cpp-python is importable (GGUF export and its test need it)."""
    return _installed_llama_version() is not None
