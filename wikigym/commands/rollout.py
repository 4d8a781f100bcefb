"""`wikigym rollout`: K scored student episodes per task, in the trajectory format."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError


def register(app: typer.Typer) -> None:
    @app.command("rollout")
    def rollout(
        model: str = typer.Option(None, "--model", help="Base model (hub id, path, or tiny)."),
        adapter: Path = typer.Option(None, "--adapter", help="LoRA adapter to sample from."),
        tasks: Path = typer.Option(None, "--tasks", help="A RUN_DIR (its repos and tasks) or a tasks .jsonl."),
        k: int = typer.Option(None, "-k", help="Episodes per task."),
        out: Path = typer.Option(..., "--out", help="RUN_DIR to write (resumable)."),
        policy: str = typer.Option(None, "--policy", help="harmony (transformers) or openai (vLLM server)."),
        base_url: str = typer.Option(None, "--base-url", help="Server of the openai policy."),
        config: Path = typer.Option(None, "--config", help="YAML RolloutConfig."),
        override: list[str] = typer.Option([], "--set", help="Any field: section.key=value (repeatable)."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Sample student episodes through the simulator and score each with the verifier."""
        from wikigym.trainer.config import RolloutConfig, load_config, parse_overrides
        from wikigym.trainer.rollout import rollout as run

        try:
            over = {"model.name": model, "adapter": adapter, "tasks": tasks, "k": k, "policy": policy,
                    "base_url": base_url}
            cfg = load_config(RolloutConfig, config, {**over, **parse_overrides(override)})
            summary = run(cfg, out)
        except WikigymError as e:
            raise fail(e)
        if as_json:
            typer.echo(json.dumps(summary, indent=2))
            return
        if summary.get("policy_failed"):
            typer.echo(f"warning: {summary['policy_failed']} of {summary['episodes']} episodes ended because the "
                       f"policy failed ({summary['first_policy_error']}); they are kept unscored; check the model "
                       "server (--base-url) and sample into a new --out", err=True)
        r = summary["reward"]
        typer.echo(f"{summary['episodes']} episodes, reward mean {r['mean']} (p10 {r['p10']}, p50 {r['p50']}, "
                   f"p90 {r['p90']}), tool-call validity {summary['tool_call_validity']}, "
                   f"pages/episode {summary['pages_per_episode']}")
        for name, c in summary["checks"].items():
            typer.echo(f"  {name:<14} mean {c['mean']:.3f}  p10 {c['p10']:.3f}  p90 {c['p90']:.3f}")
