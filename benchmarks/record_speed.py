"""Scripted-teacher recording speed on real repositories nobody here wrote (Python packages installed here).

Measures, per repository, one full `generate` episode of the scripted teacher in SemanticWiki's loop (search index
build, every tool call, verification passes; no verifier scoring): wall seconds, tool calls, tool calls per second.
Then a whole `record` run over all repositories with `--concurrency 2` (the process pool) for episodes per minute.
Target: one episode on a ~10,000-line repository in under 10 s on 2 cores.

Run: python benchmarks/record_speed.py [--packages click,jinja2,...] [--episodes 2]
Prints a table, then one JSON line (figures, units, device, commit). Results: benchmarks/results/record_speed.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DEFAULT_PACKAGES = "yaml,requests,markdown_it,click,jinja2,typer"


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name} is not installed; pick others with --packages")
    return Path(list(spec.submodule_search_locations)[0])


def copy_repo(name: str, dest: Path) -> tuple[Path, int, int]:
    """Copy the package's .py files into dest/<name>/<name>; return (root, lines, files)."""
    src = package_dir(name)
    root = dest / name
    lines = files = 0
    for p in src.rglob("*.py"):
        if "__pycache__" in p.parts:
            continue
        target = root / name / p.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)
        lines += p.read_text(encoding="utf-8", errors="replace").count("\n")
        files += 1
    return root, lines, files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", default=DEFAULT_PACKAGES)
    ap.add_argument("--episodes", type=int, default=2, help="episodes per repository in the throughput run")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "record_speed.json"))
    args = ap.parse_args()

    from wikigym.repos import open_repo
    from wikigym.simulator.record import EpisodeJob, RecordConfig, record, run_episode

    rows = []
    with tempfile.TemporaryDirectory(prefix="wikigym-bench-") as tmp:
        tmp_path = Path(tmp)
        repos = []
        for name in args.packages.split(","):
            root, lines, files = copy_repo(name, tmp_path / "repos")
            repos.append((name, root, lines, files))
        # 1. one episode per repository, in this process (a cold start: index built, files parsed)
        for name, root, lines, files in repos:
            cfg = RecordConfig(repos=[str(root)], out=str(tmp_path / f"single-{name}"), score=False)
            snap = open_repo(root)
            t0 = time.perf_counter()
            ep = run_episode(cfg, EpisodeJob(f"{name}-generate-000", str(root), 0, 0, snap))
            wall = time.perf_counter() - t0
            calls = sum(len(s.tool_calls) for s in ep.steps)
            tool_s = sum(r.duration_s for s in ep.steps for r in s.tool_results)
            rows.append({"repo": name, "lines": lines, "files": files, "episode_s": round(wall, 3),
                         "tool_calls": calls, "tool_calls_per_s": round(calls / wall, 1),
                         "tool_time_s": round(tool_s, 3), "pages": len(ep.wiki), "stop": ep.stop_reason})
        # 2. a whole recording run, 2 processes
        cfg = RecordConfig(repos=[str(r[1]) for r in repos], episodes=args.episodes, concurrency=2,
                           out=str(tmp_path / "run"), score=False)
        t0 = time.perf_counter()
        summary = record(cfg)
        wall = time.perf_counter() - t0

    print(f"{'repo':<12}{'lines':>8}{'files':>7}{'episode s':>11}{'calls':>7}{'calls/s':>9}{'tools s':>9}{'pages':>7}")
    for r in rows:
        print(f"{r['repo']:<12}{r['lines']:>8}{r['files']:>7}{r['episode_s']:>11.2f}{r['tool_calls']:>7}"
              f"{r['tool_calls_per_s']:>9.1f}{r['tool_time_s']:>9.2f}{r['pages']:>7}")
    eps_per_min = summary.recorded / wall * 60
    calls_per_s = summary.tool_calls / wall
    print(f"record run: {summary.recorded} episodes, {summary.tool_calls} tool calls in {wall:.1f} s with 2 processes "
          f"-> {eps_per_min:.1f} episodes/min, {calls_per_s:.1f} tool calls/s")
    near_10k = min(rows, key=lambda r: abs(r["lines"] - 10_000))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        commit = ""
    result = {"benchmark": "record_speed", "episodes_per_min": round(eps_per_min, 2), "tool_calls_per_s":
              round(calls_per_s, 1), "episode_s_near_10k_lines": near_10k["episode_s"],
              "repo_near_10k_lines": f"{near_10k['repo']} ({near_10k['lines']} lines)", "target_s": 10,
              "per_repo": rows, "processes": 2, "device": f"{platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores", "commit": commit}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
