"""`wikigym pairs RUN_DIR... --out PAIRS_DIR`: preference pairs from scored rollouts."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError


def register(app: typer.Typer) -> None:
    @app.command("pairs")
    def pairs(
        run_dirs: list[Path] = typer.Argument(..., help="Scored RUN_DIRs (rollouts, forks)."),
        out: Path = typer.Option(..., "--out", help="PAIRS_DIR to write."),
        min_margin: float = typer.Option(0.05, "--min-margin", help="Minimum reward difference of a pair."),
        no_episode_pairs: bool = typer.Option(False, "--no-episode-pairs", help="Skip best-vs-worst episode pairs."),
        no_step_pairs: bool = typer.Option(False, "--no-step-pairs", help="Skip pairs of forked next actions."),
        max_length: int = typer.Option(16384, "--max-length", help="Drop longer pairs."),
    ) -> None:
        """Whole-episode and step-level preference pairs, each with its provenance."""
        from wikigym.trainer.config import PairsConfig
        from wikigym.trainer.pairs import write_pairs

        try:
            cfg = PairsConfig(min_margin=min_margin, episode_pairs=not no_episode_pairs,
                              step_pairs=not no_step_pairs, max_length=max_length)
            man = write_pairs(run_dirs, out, cfg)
        except WikigymError as e:
            raise fail(e)
        typer.echo(json.dumps({k: man[k] for k in ("episodes", "scored", "pairs", "episode_pairs", "step_pairs",
                                                    "mean_margin", "too_long")}))
        if man["too_long"]:
            typer.echo(f"warning: {man['too_long']} pairs longer than --max-length {max_length} were dropped "
                       f"(longest {man['longest_dropped']} tokens); raise --max-length to keep them", err=True)
