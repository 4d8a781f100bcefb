"""`wikigym bench codewikibench`: CodeWikiBench's rubric score, from judged files or by judging a wiki live."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import WikigymError

bench_app = typer.Typer(help="Benchmarks that score generated wikis (CodeWikiBench).", no_args_is_help=True)


def run_codewikibench(judged: list[Path] | None, wiki: Path | None, bench_repo: str | None, data: Path | None,
                      judges: list[str] | None, cache: Path | None, out: Path | None, concurrency: int,
                      max_doc_chars: int, retries: int):
    """Library entry point for `wikigym bench codewikibench`: returns a `BenchResult`."""
    from wikigym.verifier import codewikibench as cwb

    if judged:
        if wiki or judges:
            raise WikigymError("pass either --judged FILES (aggregate) or --wiki with --judge (judge live), not both")
        return cwb.aggregate_files(list(judged))
    if not wiki:
        raise WikigymError("pass --judged FILE [FILE ...] to aggregate judgments, or --wiki DIR --judge SPEC to judge")
    if not judges:
        raise WikigymError("judging a wiki needs at least one --judge, e.g. anthropic:claude-sonnet-4-20250514 or "
                           "openai:qwen2.5-coder:14b@http://localhost:11434/v1")
    rubrics = cwb.load_rubrics(bench_repo, data)
    pages = cwb.wiki_pages(wiki)
    specs = [cwb.JudgeSpec.parse(j) for j in judges]
    cache_path = cache or (Path(out or wiki.parent) / "codewikibench-cache.jsonl")
    return cwb.judge_wiki(pages, rubrics, specs, cache_path, out_dir=out, concurrency=concurrency,
                          retries=retries, max_doc_chars=max_doc_chars)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


@bench_app.command("codewikibench")
def codewikibench(
    judged: list[Path] = typer.Option(None, "--judged", help="CodeWikiBench evaluation_results files, one per judge "
                                                             "(repeat the flag, or list files after it)."),
    extra: list[Path] = typer.Argument(None, metavar="[FILE ...]", help="More judged files (after --judged)."),
    wiki: Path = typer.Option(None, "--wiki", help="Generated wiki directory to judge live."),
    bench_repo: str = typer.Option(None, "--bench-repo", help="CodeWikiBench repository name, e.g. OpenHands."),
    data: Path = typer.Option(None, "--data", help="Local CodeWikiBench data dir (<dir>/<repo>/rubrics/"
                                                   "combined_rubrics.json) or a rubrics JSON file; default: the HF "
                                                   "dataset anhnh2002/codewikibench."),
    judge: list[str] = typer.Option(None, "--judge", help="anthropic:<model> or openai:<model>@<base_url>; repeat "
                                                          "for several judges (averaged)."),
    cache: Path = typer.Option(None, "--cache", help="Verdict cache JSONL (resume): default <out>/codewikibench-"
                                                     "cache.jsonl."),
    out: Path = typer.Option(None, "--out", help="Write each judge's evaluation_results JSON here."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Judge calls in flight."),
    max_doc_chars: int = typer.Option(60_000, "--max-doc-chars", min=2000, help="Documentation budget per call."),
    retries: int = typer.Option(2, "--retries", min=0, help="Retries per failed judge call before recording an "
                                                            "error."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """CodeWikiBench: aggregate judged rubric trees (--judged) or judge a wiki live (--wiki --judge)."""
    files = list(judged or []) + list(extra or [])
    try:
        res = run_codewikibench(files, wiki, bench_repo, data, judge, cache, out, concurrency, max_doc_chars,
                                retries)
    except WikigymError as e:
        raise fail(e)
    if as_json:
        typer.echo(json.dumps(res.to_dict(), ensure_ascii=False))
        return
    spread = res.judge_spread
    typer.echo(f"CodeWikiBench overall score: {res.overall:.4f} ± {res.overall_std:.4f} "
               f"({len(res.judges)} judges, {res.evaluated_leaves}/{res.leaves} leaves evaluated)")
    for name, s in res.judges.items():
        typer.echo(f"  {name:<40} {s:.4f}")
    typer.echo(f"  spread across judges: min {spread['min']:.4f}  max {spread['max']:.4f}  "
               f"stdev {spread['stdev']:.4f}")
    if res.errors:
        typer.echo(f"  judge errors (left unevaluated, not passed): {res.errors}", err=True)
