"""`wikigym refine --config CONFIG.yaml --rounds N`: SFT, then rounds of rollout -> pairs -> DPO (resumable)."""

from __future__ import annotations

from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError


def register(app: typer.Typer) -> None:
    @app.command("refine")
    def refine(
        config: Path = typer.Option(..., "--config", help="YAML RefineConfig (configs/refine-tiny.yaml)."),
        rounds: int = typer.Option(1, "--rounds", help="Refinement rounds."),
        out: Path = typer.Option(None, "--out", help="Override `out` (RUN_DIR)."),
        override: list[str] = typer.Option([], "--set", help="Any field: section.key=value (repeatable)."),
    ) -> None:
        """Iterate: sample, score, pair, DPO (or rejection-sampling SFT); a report per round in RUN_DIR/rounds/<n>/
        (rounds/0/: the held-out reward before refinement, when eval_tasks is set)."""
        from wikigym.trainer.config import RefineConfig, load_config, parse_overrides
        from wikigym.trainer.refine import best_round
        from wikigym.trainer.refine import refine as run

        try:
            cfg = load_config(RefineConfig, config, {"out": out, **parse_overrides(override)})
            reports = run(cfg, rounds, progress=lambda m: typer.echo(m, err=True))
        except WikigymError as e:
            raise fail(e)
        for rep in reports:
            held = rep.get("eval", {}).get("reward", {}).get("mean") if rep.get("eval") else None
            if "rollouts" not in rep:  # round 0: the starting policy on the held-out tasks, before any refinement
                typer.echo(f"round 0 held-out reward {held} (before refinement; base {rep.get('base_model')}, "
                           f"adapter {rep['adapter']})")
                continue
            r = rep["rollouts"]["reward"]
            typer.echo(f"round {rep['round']}: rollout reward mean {r['mean']} (p10 {r['p10']}, p90 {r['p90']}), "
                       f"held-out {held}, adapter {rep['adapter']}")
        best = best_round(reports)
        if best is not None:
            typer.echo(f"best held-out round: {best['round']} (reward {best['held_out_reward']}); export it with: "
                       f"{best['export']}")
