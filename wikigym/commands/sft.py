"""`wikigym sft --config CONFIG.yaml`: LoRA SFT of gpt-oss on a `wikigym export sft` dataset."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError


def register(app: typer.Typer) -> None:
    @app.command("sft")
    def sft(
        config: Path = typer.Option(None, "--config", help="YAML (configs/sft-tiny.yaml, configs/sft-20b.yaml)."),
        data: Path = typer.Option(None, "--data", help="Override `data`."),
        model: str = typer.Option(None, "--model", help="Override model.name (`tiny` for the random test model)."),
        output_dir: Path = typer.Option(None, "--output-dir", help="Override train.output_dir."),
        max_steps: int = typer.Option(None, "--max-steps", help="Override train.max_steps."),
        override: list[str] = typer.Option([], "--set", help="Any field: section.key=value (repeatable)."),
    ) -> None:
        """Supervised fine-tuning (TRL SFTTrainer + PEFT LoRA on attention and experts; `--set lora=null`: every
        parameter)."""
        from wikigym.trainer.config import SFTRunConfig, load_config, parse_overrides
        from wikigym.trainer.sft import run_sft

        try:
            over = {"data": data, "model.name": model, "train.output_dir": output_dir, "train.max_steps": max_steps}
            cfg = load_config(SFTRunConfig, config, {**over, **parse_overrides(override)})
            res = run_sft(cfg)
        except WikigymError as e:
            raise fail(e)
        keys = ("model", "adapter", "steps", "losses", "seconds") if res.get("model") else \
            ("adapter", "steps", "losses", "seconds")  # `model`: a full fine-tuning's saved model
        typer.echo(json.dumps({k: res[k] for k in keys}))

