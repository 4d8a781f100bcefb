"""Indexing and search throughput of `search_codebase`, both profiles, on a corpus nobody here wrote.

Corpus: the running interpreter's standard library (`.py` files in SemanticWiki's inventory order, taken until at
least `--lines` lines), plus npm's own JavaScript (when `/usr/lib/node_modules/npm` exists) for the TypeScript
emulation path. For each profile it reports:

- index: end-to-end build (read files, chunk, domain hints, BM25/keyword structures) in lines per second, best of
  `--repeats` runs, with on-disk caches off (`WIKIGYM_PARSE_CACHE=0`, no search cache);
- cached load: the same index loaded back from the on-disk search cache;
- search: `search_codebase` calls per second (direct mode, formatted output) over 20 fixed queries.

The process is pinned to `--cores` CPUs (2 by default, the target machine), so numbers from a bigger machine stay
comparable. Prints a human table, then one JSON line; writes `benchmarks/results/index_speed.json`.

Run: `python benchmarks/index_speed.py [--lines 100000] [--repeats 3] [--cores 2]`
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["WIKIGYM_PARSE_CACHE"] = "0"  # time parsing, not the repo layer's parse cache

from wikigym.tools.context import ToolContext
from wikigym.tools.search.index import build_index
from wikigym.tools.search.inventory import discover_files
from wikigym.tools.search.tool import direct_search_codebase

QUERIES = [
    "parse configuration file", "http request handler", "thread pool executor", "json decoder scanstring",
    "socket timeout", "email message header", "decimal context precision", "unicode normalize",
    "abstract base class", "temporary directory cleanup", "read lines from stream", "async event loop",
    "compile regular expression", "date time format", "hash digest", "subprocess pipe", "logging handler",
    "zip archive extract", "command line arguments", "string template substitute",
]
PROFILES = ("semanticwiki-1.2.1", "accurate")


def corpus(root: Path, suffixes: tuple[str, ...], min_lines: int) -> tuple[list[str], int]:
    files, lines = [], 0
    for f in discover_files(root):
        if not f.endswith(suffixes):
            continue
        files.append(f)
        lines += (root / f).read_bytes().count(b"\n") + 1
        if lines >= min_lines:
            break
    return files, lines


def bench(root: Path, files: list[str], lines: int, profile: str, repeats: int, search_seconds: float) -> dict:
    ctx = ToolContext(repo_root=root, wiki_root=Path(tempfile.gettempdir()) / "wikigym-bench-wiki", profile=profile)
    times = []
    index = None
    for _ in range(repeats):
        t = time.perf_counter()
        index = build_index(ctx, file_order=files)
        times.append(time.perf_counter() - t)
    best = min(times)
    with tempfile.TemporaryDirectory() as cache:
        cctx = ToolContext(repo_root=root, wiki_root=ctx.wiki_root, profile=profile,
                           extra={"search_cache_dir": cache})
        build_index(cctx, file_order=files)
        t = time.perf_counter()
        build_index(cctx, file_order=files)
        cached = time.perf_counter() - t
    ctx.search_index = index
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < search_seconds:
        for q in QUERIES:
            direct_search_codebase(ctx, {"query": q})
            calls += 1
    search_s = time.perf_counter() - t0
    return {"profile": profile, "files": len(files), "lines": lines, "chunks": index.document_count,
            "index_s_best": round(best, 3), "index_s_all": [round(x, 3) for x in times],
            "index_lines_per_s": round(lines / best), "cached_load_s": round(cached, 3),
            "search_calls_per_s": round(calls / search_s, 1)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lines", type=int, default=100_000, help="minimum corpus size in lines")
    p.add_argument("--repeats", type=int, default=3, help="index builds per profile (best is reported)")
    p.add_argument("--cores", type=int, default=2, help="CPUs to pin the process to (0 = no pinning)")
    p.add_argument("--search-seconds", type=float, default=3.0, help="time spent issuing searches per profile")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "index_speed.json"))
    args = p.parse_args(argv)

    if args.cores and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[: args.cores]
        os.sched_setaffinity(0, cpus)
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    stdlib = Path(os.path.dirname(os.__file__))
    files, lines = corpus(stdlib, (".py",), args.lines)
    rows = [dict(bench(stdlib, files, lines, prof, args.repeats, args.search_seconds), corpus="python-stdlib")
            for prof in PROFILES]
    npm = Path("/usr/lib/node_modules/npm")
    if npm.exists():
        jfiles, jlines = corpus(npm, (".js", ".ts", ".mjs", ".cjs"), args.lines // 2)
        if jfiles:
            rows += [dict(bench(npm, jfiles, jlines, prof, args.repeats, args.search_seconds), corpus="npm-js")
                     for prof in PROFILES]

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                                cwd=Path(__file__).parent).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    device = f"{platform.processor() or platform.machine()}, {ncpu} cores pinned, Python {platform.python_version()}"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    print(f"{'corpus':<14} {'profile':<20} {'lines':>8} {'chunks':>7} {'index s':>8} {'lines/s':>9} "
          f"{'cached s':>9} {'search/s':>9}")
    for r in rows:
        print(f"{r['corpus']:<14} {r['profile']:<20} {r['lines']:>8} {r['chunks']:>7} {r['index_s_best']:>8} "
              f"{r['index_lines_per_s']:>9} {r['cached_load_s']:>9} {r['search_calls_per_s']:>9}")
    result = {"figure": "search_codebase index and search throughput", "unit": "lines/s; calls/s",
              "device": device, "commit": commit, "load_avg_1m": load, "targets": {
                  "index_lines_per_s": 100_000, "search_calls_per_s": 200}, "results": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
