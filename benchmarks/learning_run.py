"""Learning run: a small gpt-oss-shaped model, SFT from random init on scripted-teacher trajectories of several
repositories, then DPO rounds, with the verifier's reward on held-out repositories reported per round.

The whole run goes through the product's own commands (`wikigym record`, `export sft`, `refine`); this script only
chooses the data and collects the figures. Tasks are SemanticWiki's local-mode single-turn tasks (`plan`, `page`,
`index`: what `semanticwiki generate --full-local` asks a local model), on small pure-Python packages copied from
the running interpreter's site-packages (no network). Three phases, so the CPU work happens here and only training
and rollouts run on the GPU machine:

    python benchmarks/learning_run.py prepare     # here: copy repos, record the teacher, export SFT data, pack
    python benchmarks/learning_run.py train       # GPU: wikigym refine --config configs/refine-learning.yaml
    python benchmarks/learning_run.py report --out benchmarks/results/learning_run.json

`prepare` writes repos under --repos-dir (default /tmp/wg/repos: trajectories store absolute repo paths, so the GPU
machine unpacks them to the same place) and the runs under runs/learning/, then packs both into
.devpack/learning.tar.xz (carried with `benchmarks/device/env.sh`, which unpacks it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = Path("runs/learning")
CONFIG = ROOT / "configs" / "refine-learning.yaml"
# Small pure-Python packages (250-9,000 lines, no compiled parts): TRAIN train the model, the first RL_N of them also
# give the rollout tasks of each round, and HELD_OUT are never trained on.
TRAIN = ["outcome", "shellingham", "matplotlib_inline", "mdurl", "annotated_types", "flask_cors", "pure_eval",
         "backcall", "ptyprocess", "dotenv", "openapi_schema_validator", "pathable", "typing_inspection",
         "jsonschema_path", "asttokens", "stack_data", "truststore", "pluggy", "colorama", "cloudpickle",
         "responses", "py_partiql_parser", "openapi_spec_validator", "docstring_parser", "executing", "wheel", "rsa",
         "cpuinfo", "pytest_benchmark", "referencing", "sortedcontainers", "pexpect", "tqdm", "gitdb", "pycparser",
         "attr", "requests", "tomlkit", "jsonpath_ng", "wcwidth", "parso", "dateutil"]
HELD_OUT = ["iniconfig", "blinker", "itsdangerous", "smmap", "h11", "jmespath"]
RL_N = 10
TASKS = {"plan": 1, "page": 4, "index": 1}  # episodes per repository (page: a different page of the plan each)


def wg(*args: str) -> None:
    cmd = [sys.executable, "-m", "wikigym.cli", *args]
    print("$ wikigym", " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def copy_repos(names: list[str], dest: Path) -> list[str]:
    site = Path(sysconfig.get_paths()["purelib"])
    kept = []
    for name in names:
        src = site / name
        if not src.is_dir():
            print(f"skip {name}: not installed in {site}", flush=True)
            continue
        repo = dest / name
        if not repo.exists():
            shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"))
        kept.append(str(repo))
    return kept


def record(repos: list[str], out: Path) -> list[Path]:
    dirs = []
    for task, n in TASKS.items():
        d = out.parent / f"{out.name}-{task}"
        args = ["record", "--teacher", "scripted", "--task", task, "--episodes", str(n), "--out", str(d)]
        for r in repos:
            args += ["--repo", r]
        wg(*args)
        dirs.append(d)
    # One task set for rollouts / teacher pairs / held-out evaluation: the three runs' episodes together.
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "trajectories.jsonl", "w", encoding="utf-8") as f:
        for d in dirs:
            f.write((d / "trajectories.jsonl").read_text(encoding="utf-8"))
    return dirs


def prepare(args: argparse.Namespace) -> None:
    dest = Path(args.repos_dir)
    dest.mkdir(parents=True, exist_ok=True)
    train = copy_repos(TRAIN, dest)
    held = copy_repos(HELD_OUT, dest)
    runs = ROOT / RUNS
    if runs.exists():
        shutil.rmtree(runs)
    train_dirs = record(train, runs / "teacher-train")
    record(held, runs / "teacher-heldout")
    record(train[:RL_N], runs / "teacher-rl")
    wg("export", "sft", *map(str, train_dirs), "--out", str(runs / "sft-data"), "--split", "turn",
       "--max-tokens", "8192", "--validation", "0")
    pack = ROOT / ".devpack" / "learning.tar.xz"
    pack.parent.mkdir(exist_ok=True)
    with tarfile.open(pack, "w:xz") as tar:
        tar.add(dest, arcname=str(dest).lstrip("/"))
        tar.add(runs, arcname=str(RUNS))
    print(f"packed {pack} ({pack.stat().st_size / 2**20:.1f} MiB): {len(train)} train repos, {len(held)} held out",
          flush=True)


def train(args: argparse.Namespace) -> None:
    extra = [f"--set={s}" for s in args.set]
    wg("refine", "--config", str(CONFIG), "--rounds", str(args.rounds), *extra)


def _mean_reward(reward: dict | None) -> float | None:
    return (reward or {}).get("mean")


def _first_last(values: list | None) -> list | None:
    return [values[0], values[-1]] if values else None


def _by_kind(run_dir: Path) -> dict[str, float]:
    """Mean reward of a run's scored episodes per task kind (plan / page / index)."""
    groups: dict[str, list[float]] = {}
    path = run_dir / "trajectories.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        ep = json.loads(line)
        if ep.get("score"):
            groups.setdefault(ep["task"]["kind"], []).append(ep["score"]["reward"])
    return {k: round(statistics.mean(v), 4) for k, v in sorted(groups.items())}


def report(args: argparse.Namespace) -> None:
    out_dir = ROOT / RUNS / "refine"
    sft = json.loads((out_dir / "sft" / "sft_result.json").read_text())
    rounds = [json.loads(p.read_text()) for p in sorted((out_dir / "rounds").glob("*/report.json"),
                                                         key=lambda p: int(p.parent.name))]
    teacher = [json.loads(line) for line in (ROOT / RUNS / "teacher-heldout" / "trajectories.jsonl").read_text()
               .splitlines() if line.strip()]
    t_rewards = [t["score"]["reward"] for t in teacher if t.get("score")]
    import torch

    res = {
        "benchmark": "learning_run", "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "config": str(CONFIG.relative_to(ROOT)), "train_repos": TRAIN, "held_out_repos": HELD_OUT,
        "tasks_per_repo": TASKS,
        "sft": {k: sft.get(k) for k in ("steps", "seconds", "train_examples", "trainable_parameters",
                                         "total_parameters", "fast_path")},
        "sft_loss_first_last": _first_last(sft.get("losses")),
        "teacher_held_out_reward_mean": round(statistics.mean(t_rewards), 4) if t_rewards else None,
        "teacher_held_out_reward_by_kind": _by_kind(ROOT / RUNS / "teacher-heldout"),
        "rounds": [{"round": r["round"], "held_out_reward": r.get("eval", {}).get("reward"),
                    "held_out_reward_by_kind": _by_kind(out_dir / "rounds" / str(r["round"]) / "eval"),
                    "held_out_checks": r.get("eval", {}).get("checks"),
                    "rollout_reward": (r.get("rollouts") or {}).get("reward"), "pairs": r.get("pairs"),
                    "dpo": {k: (r.get("train") or {}).get(k) for k in ("steps", "seconds", "skipped")},
                    "dpo_margins_first_last": _first_last((r.get("train") or {}).get("margins")),
                    "seconds": r.get("seconds")} for r in rounds],
    }
    print(f"{'round':>5}  held-out reward mean  rollout reward mean  pairs")
    for r in res["rounds"]:
        print(f"{r['round']:>5}  {_mean_reward(r['held_out_reward'])!s:>20}  {_mean_reward(r['rollout_reward'])!s:>19}  "
              f"{(r['pairs'] or {}).get('pairs')}   by kind {r['held_out_reward_by_kind']}")
    print(f"teacher (scripted) held-out reward mean: {res['teacher_held_out_reward_mean']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("phase", choices=["prepare", "train", "report"])
    ap.add_argument("--repos-dir", default="/tmp/wg/repos")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], help="refine config override (train phase)")
    ap.add_argument("--out", type=Path, default=None, help="report phase: write the JSON here")
    args = ap.parse_args()
    t0 = time.time()
    {"prepare": prepare, "train": train, "report": report}[args.phase](args)
    print(f"{args.phase} done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
