"""`wikigym verify WIKI_DIR --repo REPO`: score a generated wiki (and optionally its trajectory) with the verifier."""

from __future__ import annotations

from pathlib import Path

import typer

from wikigym.commands._fail import fail


def run_verify(wiki_dir: Path, repo: str | Path, trajectory: Path | None, episode: str | None,
               weights: Path | None, local_weights: Path | None = None):
    """Library entry point for `wikigym verify`: returns the `Score`. `repo` is a checkout or a clone URL (`str`).

    With a trajectory the episode's task kind picks the scorer: a single-turn `plan`/`page`/`index` episode is scored
    with its own checks (the page read from `wiki_dir`, the plan from the episode's answer), any other as a wiki."""
    from wikigym.verifier import Verifier, load_episode

    ep = load_episode(trajectory, episode) if trajectory else None
    with Verifier(weights, local_config=local_weights) as v:
        if ep is not None:
            return v.verify_episode(ep, repo, wiki_dir)
        return v.verify_dir(wiki_dir, repo, ep)


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        wiki_dir: Path = typer.Argument(..., help="The generated wiki directory (SemanticWiki's -o)."),
        # A str, not a Path: a clone URL must reach the repository layer intact (Path turns https:// into https:/).
        repo: str = typer.Option(..., "--repo", help="The repository the wiki documents: a checkout or a clone URL."),
        trajectory: Path = typer.Option(None, "--trajectory", help="trajectories.jsonl (or its run directory) to "
                                                                   "score tool use from."),
        episode: str = typer.Option(None, "--episode", help="Episode id inside --trajectory (needed when the file "
                                                            "holds several)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object: {reward, checks, stats}."),
        html: Path = typer.Option(None, "--html", help="Write a self-contained HTML report to this file."),
        explain: bool = typer.Option(False, "--explain", help="List the largest deductions first, with findings."),
        weights: Path = typer.Option(None, "--weights", help="Weights YAML (default: the packaged weights-v1.yaml)."),
        local_weights: Path = typer.Option(None, "--local-weights", help="Weights YAML of the single-turn plan/page/"
                                                                         "index tasks (default: weights-local-v1.yaml)."),
    ) -> None:
        """Score a wiki: citations, mermaid, links, structure, stubs, coverage, hallucination (+ tool use)."""
        from wikigym.errors import WikigymError, check_output_file
        from wikigym.verifier.wiki import Wiki

        try:
            if html:
                check_output_file(html, "--html")  # before scoring, so a bad path costs no wait
            score = run_verify(wiki_dir, repo, trajectory, episode, weights, local_weights)
            if html:
                from wikigym.verifier.report_html import write_report

                write_report(html, Wiki.from_dir(wiki_dir), score, title=f"wikigym verify: {wiki_dir}")
        except WikigymError as e:
            raise fail(e)
        if not score.stats.get("pages") and "scorer" not in score.stats:
            # The score stands (the gate's 0, so --json consumers get their object), but an empty directory is
            # most often the wrong one: say so on stderr in one line.
            typer.echo(f"warning: {wiki_dir} holds no wiki page (*.md outside dot-directories), so the gate sets the "
                       f"reward to 0; pass the directory `semanticwiki generate -o` wrote", err=True)
        if as_json:
            typer.echo(score.to_json())
            return
        if explain:
            typer.echo(score.explain(max_findings=10))
        else:
            typer.echo(f"reward {score.reward:.4f}" + (f"  (GATE: {score.gate})" if score.gate else ""))
            for name, res in score.checks.items():
                if not res.applicable:
                    typer.echo(f"  {name:<14} n/a    ({res.stats.get('reason', '')})")
                    continue
                extra = f"  ERROR: {res.error}" if res.error else ""
                typer.echo(f"  {name:<14} {res.score:.4f} {len(res.findings):>4} findings{extra}")
        if html:
            typer.echo(f"report written to {html}", err=True)
