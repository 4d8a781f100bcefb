"""`wikigym export sft` (trajectories -> a Harmony training dataset) and `wikigym export gguf` (LoRA -> GGUF)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError

#: `ExportConfig` fields as the flags of `export sft` that set them (for error messages).
_EXPORT_FLAGS = {"validation_fraction": "--validation", "test_fraction": "--test", "min_reward": "--min-reward",
                 "max_tokens": "--max-tokens", "reasoning_effort": "--reasoning-effort", "split": "--split"}


def _export_config(**fields: object) -> object:
    """`ExportConfig(**fields)`, with pydantic's refusal turned into one ConfigError line naming the flag.

    The fields come from command-line flags, so a bad value (e.g. `--validation 1.0`) is the user's to fix; a raw
    pydantic ValidationError escaped the CLI's WikigymError handler as a multi-line traceback.
    """
    from pydantic import ValidationError

    from wikigym.errors import ConfigError
    from wikigym.trajectories.dataset import ExportConfig

    try:
        return ExportConfig(**fields)
    except ValidationError as e:
        err = e.errors()[0]
        field = str(err["loc"][0]) if err.get("loc") else "?"
        msg = str(err.get("msg", e)).removeprefix("Value error, ")
        raise ConfigError(f"{_EXPORT_FLAGS.get(field, field)} {err.get('input')!r}: {msg}") from None


def register(app: typer.Typer) -> None:
    export_app = typer.Typer(help="Export training data or a trained model.", no_args_is_help=True)

    @export_app.command("sft")
    def sft(
        run_dirs: list[Path] = typer.Argument(..., help="RUN_DIRs (or trajectories .jsonl files) to export."),
        out: Path = typer.Option(..., "--out", help="DATA_DIR for the datasets dataset."),
        min_reward: float = typer.Option(None, "--min-reward", help="Drop episodes scored below this."),
        include_failed: bool = typer.Option(False, "--include-failed",
                                            help="Keep episodes that did not end with end_turn or had errors."),
        no_dedupe: bool = typer.Option(False, "--no-dedupe", help="Keep duplicate episodes."),
        split: str = typer.Option("chain", "--split", help="chain (one example per tool chain) or turn."),
        max_tokens: int = typer.Option(16384, "--max-tokens", help="Split/drop examples longer than this."),
        reasoning_effort: str = typer.Option("medium", "--reasoning-effort", help="low, medium or high."),
        validation: float = typer.Option(0.1, "--validation", help="Share of repositories held out for validation."),
        test: float = typer.Option(0.0, "--test", help="Share of repositories held out for test."),
        as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
    ) -> None:
        """Render trajectories in Harmony (loss on assistant tokens) into a dataset split by repository."""
        from wikigym.trajectories.dataset import export_sft

        try:
            cfg = _export_config(min_reward=min_reward, successful_only=not include_failed, dedupe=not no_dedupe,
                                 split=split, max_tokens=max_tokens, reasoning_effort=reasoning_effort,
                                 validation_fraction=validation, test_fraction=test)
            man = export_sft(run_dirs, out, cfg)
        except WikigymError as e:
            raise fail(e)
        if as_json:
            typer.echo(json.dumps(man, indent=2))
            return
        c = man["counts"]
        typer.echo(f"episodes {c['episodes']}: kept {c['kept']}, unsuccessful {c['unsuccessful']}, "
                   f"below min reward {c['below_min_reward']}, duplicates {c['duplicates']}; "
                   f"dropped segments {c['render']['dropped_segments']}")
        typer.echo(f"{'split':<11}{'examples':>9}{'repos':>7}{'tok min':>9}{'p50':>8}{'p90':>8}{'max':>8}"
                   f"{'total':>10}{'loss tok':>10}")
        for name, s in man["splits"].items():
            t = s["tokens"]
            typer.echo(f"{name:<11}{s['examples']:>9}{len(s['repos']):>7}{t['min']:>9}{t['p50']:>8}{t['p90']:>8}"
                       f"{t['max']:>8}{t['total']:>10}{s['loss_tokens']['total']:>10}")
        typer.echo(f"wrote {out}")

    @export_app.command("gguf")
    def gguf(
        adapter: Path = typer.Option(None, "--adapter", help="LoRA adapter directory (None: the base model)."),
        out: Path = typer.Option(..., "--out", help="GGUF file to write; the Modelfile goes beside it."),
        model: str = typer.Option("openai/gpt-oss-20b", "--model", help="Base model: hub id, path, or tiny."),
        quant: str = typer.Option("q8_0", "--quant", help="f32, f16, bf16, q8_0, or a k-quant such as q5_k_m."),
        converter: Path = typer.Option(None, "--converter", help="Unpacked llama-cpp-python sdist."),
        dtype: str = typer.Option("bfloat16", "--dtype", help="Dtype to merge in (float32 for tiny on CPU)."),
    ) -> None:
        """Merge the LoRA, convert to GGUF, write an Ollama Modelfile, print the SemanticWiki command."""
        from wikigym.trainer.config import ModelConfig
        from wikigym.trainer.export_gguf import export_gguf

        try:
            res = export_gguf(ModelConfig(name=model, dtype=dtype), adapter, out, quant, converter)  # type: ignore[arg-type]
        except WikigymError as e:
            raise fail(e)
        typer.echo(f"wrote {res['gguf']} ({res['bytes'] / 1e6:.1f} MB, {res['quant']}) and {res['modelfile']}")
        typer.echo(f"Ollama: {res['ollama_command']}")
        typer.echo(res["semanticwiki_command"])

    app.add_typer(export_app, name="export")
