"""`wikigym replay` and `wikigym inspect`: debug a recorded episode step by step, in the terminal and the browser."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what `git log | head` and friends exit with


def _console():
    """A rich Console whose reader going away (`wikigym replay ... | head`) exits 141, not rich's default 1.

    `wikigym replay` exits 1 to mean "drift": a closed pipe must not read as drift in a script.
    """
    import os
    import sys

    from rich.console import Console

    class ReplayConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(EXIT_BROKEN_PIPE)

    return ReplayConsole()


def _load(trajectory: Path, episode: str | None):
    from wikigym.trajectories.store import read_episodes

    path = trajectory / "trajectories.jsonl" if trajectory.is_dir() else trajectory
    if not path.is_file():
        raise WikigymError(f"trajectory file {path} does not exist; pass RUN_DIR/trajectories.jsonl")
    eps = read_episodes(path)
    if not eps:
        raise WikigymError(f"{path} holds no finished episode")
    if episode is None:
        return path, eps, [eps[0]] if len(eps) == 1 else eps
    chosen = [e for e in eps if e.episode_id == episode]
    if not chosen:
        raise WikigymError(f"episode {episode!r} is not in {path}; it has {', '.join(e.episode_id for e in eps[:8])}"
                           + (" ..." if len(eps) > 8 else ""))
    return path, eps, chosen


def register(app: typer.Typer) -> None:
    @app.command("replay")
    def replay(
        trajectory: Path = typer.Argument(..., help="RUN_DIR/trajectories.jsonl (or the RUN_DIR)."),
        episode: str = typer.Option(None, "--episode", help="Episode id (default: every episode in the file)."),
        # A str, not a Path: a clone URL must reach the repository layer intact (Path turns https:// into https:/).
        repo: str = typer.Option(None, "--repo", help="Use this checkout (or clone URL) instead of the recorded one."),
        step: bool = typer.Option(False, "--step", help="Interactive terminal stepper instead of re-execution."),
        fork_at: int = typer.Option(None, "--fork-at", help="Replay K steps, then continue with --policy."),
        policy: str = typer.Option("scripted", "--policy", help="Policy for the fork: scripted, anthropic, openai, "
                                                                "harmony, llamacpp."),
        episodes: int = typer.Option(1, "--episodes", min=1, help="Branches to fork (seeds seed+1 ...)."),
        seed: int = typer.Option(1, "--seed", help="Seed of the first branch."),
        model: str = typer.Option(None, "--model", help="Model for the fork policy (anthropic/openai/harmony)."),
        base_url: str = typer.Option(None, "--base-url", help="Endpoint for the openai/anthropic fork policy."),
        model_path: str = typer.Option(None, "--model-path", help="GGUF for the llamacpp fork policy."),
        as_json: bool = typer.Option(False, "--json", help="Print the replay report as JSON."),
    ) -> None:
        """Re-execute a recorded episode's tool calls against its repo and report drift (exit 1 on drift)."""
        console = _console()
        try:
            path, all_eps, chosen = _load(trajectory, episode)
            if (step or fork_at is not None) and len(chosen) > 1:
                # Stepping or forking works on one episode; picking the first silently would fork the wrong one.
                flag = "--step" if step else "--fork-at"
                ids = ", ".join(e.episode_id for e in chosen[:8]) + (" ..." if len(chosen) > 8 else "")
                raise WikigymError(f"{path} holds {len(chosen)} episodes; {flag} needs one: pass --episode ID (one "
                                   f"of {ids})")
            if step:
                from wikigym.inspector.stepper import run_stepper

                run_stepper(chosen[0], console)
                return
            if fork_at is not None:
                _fork(console, path, all_eps, chosen[0], fork_at, policy, episodes, seed, model, base_url, model_path,
                      repo)
                return
            from wikigym.simulator.replay import replay_episode

            drift = False
            reports = []
            for ep in chosen:
                rep = replay_episode(ep, repo=repo)
                reports.append(rep)
                drift |= not rep.identical
                if as_json:
                    continue
                console.print(f"[bold]{ep.episode_id}[/]: {len(rep.calls)} calls re-executed in {rep.duration_s}s, "
                              + ("[green]identical[/]" if rep.identical else
                                 f"[red]{len(rep.drifted)} drifted[/], {len(rep.wiki_drift)} wiki files differ"))
                for c in rep.calls:
                    mark = "[green]=[/]" if c.identical else "[red]≠[/]"
                    console.print(f"  step {c.step:>3} call {c.call_index} {mark} {c.name}", highlight=False)
                    if not c.identical:
                        console.print(f"    cause: {c.cause}", style="yellow", highlight=False)
                        console.print(c.diff, markup=False, highlight=False)
                for rel, d in rep.wiki_drift.items():
                    console.print(f"  wiki file {rel} differs", style="red")
                    console.print(d, markup=False, highlight=False)
                for n in rep.notes:
                    console.print(f"  note: {n}", style="yellow")
            if as_json:
                typer.echo(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
        except WikigymError as e:
            raise fail(e)
        raise typer.Exit(1 if drift else 0)

    @app.command("inspect")
    def inspect_cmd(
        runs: list[Path] = typer.Argument(..., help="One or more RUN_DIRs (or trajectories.jsonl files)."),
        out: Path = typer.Option(Path("report"), "--out", help="Directory for the static site."),
        serve: bool = typer.Option(False, "--serve", help="Serve the site on 127.0.0.1 after building it."),
        port: int = typer.Option(8765, "--port", help="Port for --serve."),
    ) -> None:
        """Build a self-contained HTML site (works from file://) of episodes, timelines, findings and wikis."""
        from wikigym.inspector.site import build_site

        try:
            index = build_site(list(runs), out)
        except WikigymError as e:
            raise fail(e)
        typer.echo(f"wrote {index}")
        if serve:
            from wikigym.inspector.site import serve as serve_site

            try:
                serve_site(out, port, on_ready=lambda url: typer.echo(f"serving {out} at {url} (Ctrl-C to stop)"))
            except WikigymError as e:
                raise fail(e)
            except KeyboardInterrupt:
                pass


def _fork(console, path, all_eps, ep, fork_at, policy, episodes, seed, model, base_url, model_path, repo) -> None:
    import os

    from wikigym.simulator.replay import fork_episode
    from wikigym.trajectories.schema import PolicySpec
    from wikigym.trajectories.store import TrajectoryWriter

    parent_reward = ep.score.get("reward") if ep.score else None
    existing = {e.episode_id for e in all_eps}
    kwargs = {k: v for k, v in dict(base_url=base_url, model_path=model_path,
                                    api_key=os.environ.get("ANTHROPIC_API_KEY") if policy == "anthropic" else None
                                    ).items() if v}
    rows = []
    with TrajectoryWriter(path) as writer:
        for i in range(episodes):
            s = seed + i
            bid = f"{ep.episode_id}-fork{fork_at}-{policy}-s{s}"
            if bid in existing:
                console.print(f"{bid} already recorded; skipping", style="yellow")
                continue
            spec = PolicySpec(kind=policy, model=model, seed=s)
            # The branch's wiki lands in RUN_DIR/wikis/<branch id>/ beside the recorded ones, as `record` does.
            branch = fork_episode(ep, fork_at, spec, bid, repo=repo, policy_kwargs=kwargs,
                                  wiki_dir=path.parent / "wikis" / bid)
            writer.append(branch)
            r = branch.score.get("reward") if branch.score else None
            rows.append((bid, r, len(branch.steps)))

    def fmt(r: float | None) -> str:
        return "-" if r is None else f"{r:.4f}"

    console.print(f"parent {ep.episode_id}: reward {fmt(parent_reward)} ({len(ep.steps)} steps)", highlight=False)
    for bid, r, n in rows:
        console.print(f"  branch {bid}: reward {fmt(r)} ({n} steps)", highlight=False)
    if rows:
        console.print(f"branches appended to {path}", highlight=False)
