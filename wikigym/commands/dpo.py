"""`wikigym dpo --config CONFIG.yaml`: DPO with LoRA on `wikigym pairs` output."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError


def register(app: typer.Typer) -> None:
    @app.command("dpo")
    def dpo(
        config: Path = typer.Option(None, "--config", help="YAML (configs/dpo-tiny.yaml, configs/dpo-20b.yaml)."),
        pairs: Path = typer.Option(None, "--pairs", help="Override `pairs` (a PAIRS_DIR)."),
        adapter: Path = typer.Option(None, "--adapter", help="Override init_adapter (start and reference)."),
        model: str = typer.Option(None, "--model", help="Override model.name."),
        output_dir: Path = typer.Option(None, "--output-dir", help="Override train.output_dir."),
        max_steps: int = typer.Option(None, "--max-steps", help="Override train.max_steps."),
        override: list[str] = typer.Option([], "--set", help="Any field: section.key=value (repeatable)."),
    ) -> None:
        """Direct preference optimisation (TRL DPOTrainer, LoRA, Harmony masks)."""
        from wikigym.trainer.config import DPORunConfig, load_config, parse_overrides
        from wikigym.trainer.dpo import run_dpo

        try:
            over = {"pairs": pairs, "init_adapter": adapter, "model.name": model, "train.output_dir": output_dir,
                    "train.max_steps": max_steps}
            cfg = load_config(DPORunConfig, config, {**over, **parse_overrides(override)})
            res = run_dpo(cfg)
        except WikigymError as e:
            raise fail(e)
        typer.echo(json.dumps({k: res[k] for k in ("adapter", "steps", "losses", "margins", "seconds")}))
