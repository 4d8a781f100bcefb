"""Verifier throughput: pages/s for full verification of a 50-page wiki with 100 Mermaid diagrams.

Builds the reference wiki of the bundled example repo padded to 50 pages with 2 diagrams each, then times
`Verifier.verify_files` (every check, Mermaid parsed by the real parser under Node) in two regimes:
- cold: every diagram is new (a unique `%%` comment line per run defeats the hash cache), so all 100 are parsed;
- warm: the same wiki again (diagram verdicts come from the cache, as for K rollouts sharing diagrams).
Node start-up and the repository index (built once per snapshot) are timed separately and excluded from pages/s.

Run: python benchmarks/verify_speed.py [--runs 10] [--pages 50] [--diagrams-per-page 2] [--workers N]
The machine's 1-minute load average is recorded: on a shared box, other processes compete for the same cores.
Prints a table, then one JSON line (also written to benchmarks/results/verify_speed.json with --save).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--diagrams-per-page", type=int, default=2)
    ap.add_argument("--workers", type=int, default=None, help="Node workers (default: min(2, cores)).")
    ap.add_argument("--exact", action="store_true", help="Run mermaid unmodified (no config memo).")
    ap.add_argument("--save", action="store_true", help="Write benchmarks/results/verify_speed.json.")
    args = ap.parse_args()

    from wikigym.repos import example_repo_path, open_repo
    from wikigym.verifier import Verifier
    from wikigym.verifier.mermaid import MermaidValidator
    from wikigym.verifier.sample_wiki import build_reference_wiki

    snap = open_repo(example_repo_path())
    wiki = build_reference_wiki(snap, pages=args.pages, diagrams_per_page=args.diagrams_per_page)
    n_pages = len(wiki)
    n_diagrams = sum(text.count("```mermaid\n") for text in wiki.values())

    t0 = time.perf_counter()
    verifier = Verifier(mermaid=MermaidValidator(workers=args.workers, exact=args.exact))
    assert verifier.mermaid.available, verifier.mermaid.error
    node_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    idx = verifier.index(snap)
    _ = idx.known_names, idx.important_modules(20)
    index_s = time.perf_counter() - t0

    def unique(run: int) -> dict[str, str]:
        return {p: re.sub(r"```mermaid\n", f"```mermaid\n%% run {run} {p}\n", t) for p, t in wiki.items()}

    first = verifier.verify_files(unique(-1), snap)  # warm-up: parser chunks loaded, per-repo caches filled
    assert first.checks["mermaid"].stats["valid"] == n_diagrams, first.explain()
    cold, warm = [], []
    for run in range(args.runs):
        files = unique(run)
        t0 = time.perf_counter()
        verifier.verify_files(files, snap)
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        verifier.verify_files(files, snap)
        warm.append(time.perf_counter() - t0)
    verifier.close()

    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                            cwd=Path(__file__).parent).stdout.strip()
    result = {
        "benchmark": "verify_speed", "pages": n_pages, "diagrams": n_diagrams, "runs": args.runs,
        "pages_per_s_cold": round(n_pages / cold_s, 1), "pages_per_s_warm": round(n_pages / warm_s, 1),
        "seconds_per_wiki_cold": round(cold_s, 4), "seconds_per_wiki_warm": round(warm_s, 4),
        "node_workers": verifier.mermaid.n_workers, "node_start_s": round(node_start, 3),
        "repo_index_s": round(index_s, 3), "cpu_count": os.cpu_count(),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2), "device": platform.processor() or
        platform.machine(), "python": platform.python_version(), "mermaid": verifier.mermaid.version,
        "mermaid_config_memo": verifier.mermaid.config_memo,
        "commit": commit, "unit": "pages/s",
    }
    print(f"{'regime':<8} {'s/wiki':>8} {'pages/s':>8}   ({n_pages} pages, {n_diagrams} diagrams, "
          f"{verifier.mermaid.n_workers} node workers, {os.cpu_count()} cores)")
    print(f"{'cold':<8} {cold_s:>8.3f} {n_pages / cold_s:>8.1f}   every diagram parsed by mermaid")
    print(f"{'warm':<8} {warm_s:>8.3f} {n_pages / warm_s:>8.1f}   diagram verdicts from the hash cache")
    print(f"node start {node_start:.2f} s, repo index {index_s:.2f} s (once per process / snapshot)")
    line = json.dumps(result)
    if args.save:
        out = Path(__file__).parent / "results" / "verify_speed.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
