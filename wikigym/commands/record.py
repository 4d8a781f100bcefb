"""`wikigym record`: record teacher (or student) episodes into RUN_DIR/trajectories.jsonl and RUN_DIR/wikis/.

    wikigym record --repo PATH_OR_URL [--repo ...] [--repos-file FILE] --teacher scripted|anthropic|openai|llamacpp
                   --task generate|continue|update|plan|page|index --episodes N --out RUN_DIR [--concurrency K]

Running the same command again resumes: episodes already in the file are skipped, a truncated last line is repaired
with a warning. The progress bar shows episodes, tool calls, tokens and cost. Flags map one to one onto
`wikigym.simulator.record.RecordConfig`; this module only parses them, draws the progress bar and prints the summary.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError


class RichProgress:
    """A rich progress bar: episodes done / planned, plus tool calls, tokens and dollars so far."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.progress = Progress(TextColumn("[bold]episodes"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[stats]}"), console=self.console, transient=False)
        self.task = None
        self.tool_calls = 0
        self.tokens = 0
        self.cost = 0.0
        self._lock = threading.Lock()

    def _stats(self) -> str:
        return f"tool calls {self.tool_calls:,}  tokens {self.tokens:,}  ${self.cost:.4f}"

    def start(self, total: int, already_done: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("record", total=total, completed=already_done, stats=self._stats())

    def step(self, step) -> None:
        with self._lock:
            self.tool_calls += len(step.tool_calls)
            u = step.usage
            self.tokens += u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens
            self.cost += u.cost_usd
            self.progress.update(self.task, stats=self._stats())

    def episode_done(self, episode) -> None:
        self.progress.update(self.task, advance=1, stats=self._stats())

    def close(self) -> None:
        self.progress.stop()


def _price(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        a, b = (float(x) for x in value.split(","))
    except ValueError:
        raise WikigymError(f"--price {value!r} is not INPUT,OUTPUT dollars per million tokens, e.g. 3,15") from None
    return a, b


def register(app: typer.Typer) -> None:
    @app.command("record")
    def record_cmd(
        repo: list[str] = typer.Option([], "--repo", help="Repository path or clone URL (repeatable)."),
        repos_file: Path = typer.Option(None, "--repos-file", help="File with one repository path or URL per line."),
        teacher: str = typer.Option("scripted", "--teacher",
                                    help="Policy: scripted (offline), anthropic, openai (any OpenAI-compatible "
                                         "endpoint), llamacpp (a GGUF), harmony."),
        task: str = typer.Option("generate", "--task", help="generate, continue, update, plan, page or index."),
        episodes: int = typer.Option(1, "--episodes", min=1, help="Episodes per repository."),
        out: Path = typer.Option(..., "--out", help="RUN_DIR (trajectories.jsonl, wikis/, run.json); reused = resume."),
        concurrency: int = typer.Option(1, "--concurrency", min=1, help="Episodes at once (processes for scripted)."),
        mode: str = typer.Option("direct", "--mode", help="Tool name set: direct or sdk."),
        profile: str = typer.Option("semanticwiki-1.2.1", "--profile", help="semanticwiki-1.2.1 or accurate."),
        model: str = typer.Option(None, "--model", help="Model name (anthropic default claude-sonnet-4-20250514)."),
        base_url: str = typer.Option(None, "--base-url", help="API endpoint (required for --teacher openai)."),
        api_key: str = typer.Option(None, "--api-key", help="API key (default: ANTHROPIC_API_KEY / OPENAI_API_KEY); "
                                                            "never written anywhere."),
        model_path: Path = typer.Option(None, "--model-path", help="GGUF file for --teacher llamacpp."),
        seed: int = typer.Option(0, "--seed", help="Base seed; episode i uses seed + i."),
        max_turns: int = typer.Option(200, "--max-turns", min=1, help="SemanticWiki's turn limit."),
        verification_passes: int = typer.Option(5, "--verification-passes", min=0,
                                                help="SemanticWiki's verification passes after the loop."),
        max_cost: float = typer.Option(None, "--max-cost", help="Stop cleanly once the run has cost this many USD."),
        temperature: float = typer.Option(None, "--temperature", help="Sampling temperature (default per task)."),
        no_temperature: bool = typer.Option(False, "--no-temperature",
                                            help="Send no temperature (as SemanticWiki's Anthropic provider)."),
        max_tokens: int = typer.Option(None, "--max-tokens", help="Max output tokens per turn (default per task)."),
        prompts_from: Path = typer.Option(None, "--prompts-from",
                                          help="Use the exact prompts of this SemanticWiki checkout."),
        base_commit: str = typer.Option(None, "--base-commit", help="update: commit the base wiki was written at."),
        base_wiki: Path = typer.Option(None, "--base-wiki", help="continue/update: the wiki to start from."),
        cache_dir: Path = typer.Option(None, "--cache-dir", help="Where cloned repositories are cached."),
        cache_conversation: bool = typer.Option(False, "--cache-conversation",
                                                help="anthropic: cache the conversation prefix too (cheaper)."),
        price: str = typer.Option(None, "--price", help="INPUT,OUTPUT USD per MTok for a model not in the table."),
        now: str = typer.Option(None, "--now", help="Freeze the frontmatter clock (ISO timestamp)."),
        no_score: bool = typer.Option(False, "--no-score", help="Do not score episodes with the verifier."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        """Record episodes of a policy in SemanticWiki's tool loop (resumable; secrets never written)."""
        from wikigym.simulator.record import RecordConfig, record

        logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
        try:
            cfg = RecordConfig(
                repos=list(repo), repos_file=str(repos_file) if repos_file else None, teacher=teacher, model=model,
                task=task, episodes=episodes, out=str(out), concurrency=concurrency, mode=mode, profile=profile,
                seed=seed, max_turns=max_turns, verification_passes=verification_passes, max_cost=max_cost,
                temperature=temperature, no_temperature=no_temperature, max_tokens=max_tokens, base_url=base_url,
                model_path=str(model_path) if model_path else None,
                prompts_from=str(prompts_from) if prompts_from else None, base_commit=base_commit,
                base_wiki=str(base_wiki) if base_wiki else None, cache_dir=str(cache_dir) if cache_dir else None,
                cache_conversation=cache_conversation, price=_price(price), now=now, score=not no_score)
        except WikigymError as e:
            raise fail(e)
        except ValueError as e:  # pydantic validation: the first problem, on one line
            errs = e.errors() if hasattr(e, "errors") else []
            if errs:
                first = errs[0]
                field = ".".join(str(x) for x in first.get("loc", ())).replace("_", "-")
                detail = str(first.get("msg", "")).removeprefix("Value error, ")
                typer.echo(f"error: --{field}: {detail}", err=True)
            else:
                typer.echo(f"error: {str(e).splitlines()[0]}", err=True)
            raise typer.Exit(2)
        progress = None if quiet or json_out else RichProgress()
        try:
            summary = record(cfg, progress=progress, api_key=api_key)
        except WikigymError as e:
            raise fail(e)
        except KeyboardInterrupt:
            typer.echo(f"interrupted: finished episodes are in {out / 'trajectories.jsonl'}; run the same command to "
                       f"resume", err=True)
            raise typer.Exit(130)
        # summary.warnings (a repaired trajectory line) were already logged as `warning: ...` when the file was
        # opened; --json carries them in the summary, the text output does not print them a second time.
        if json_out:
            typer.echo(json.dumps(summary.to_json(), indent=2))
            return
        reward = f", mean reward {summary.mean_reward:.3f}" if summary.mean_reward is not None else ""
        typer.echo(f"recorded {summary.recorded} episodes ({summary.skipped} already there, {summary.errors} with "
                   f"errors), {summary.tool_calls} tool calls, {summary.input_tokens + summary.output_tokens} tokens, "
                   f"${summary.cost_usd:.4f}{reward} -> {out / 'trajectories.jsonl'}")
        if summary.not_started:
            typer.echo(f"--max-cost reached: {summary.not_started} episodes not started; rerun with a higher "
                       f"--max-cost to record them", err=True)
