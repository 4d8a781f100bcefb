#!/usr/bin/env bash
# The whole wikigym training path on CPU with the tiny random gpt-oss and the bundled example repo:
#   record (scripted teacher) -> export sft -> sft a few steps -> refine 1 round -> export gguf (q8_0)
# Usage: examples/tiny-pipeline.sh [OUT_DIR]     (default: runs/tiny-pipeline; rerunning resumes each stage)
# Needs: pip install -e '.[train]' (torch, transformers, peft, trl, datasets, openai-harmony, bpe-openai).
# The tiny model is random: it learns the format a little in a few steps but cannot write a wiki, so its rollouts
# score near 0; the teacher's reward is printed for comparison. Last lines: the verifier reward of each round.
set -euo pipefail
OUT="${1:-runs/tiny-pipeline}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REPO="$ROOT/wikigym/example_repo"
WG="python3 -m wikigym.cli"
mkdir -p "$OUT"
export TQDM_DISABLE=1 TRANSFORMERS_VERBOSITY=error PYTHONWARNINGS=ignore
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start ))s] $*" >&2; }

stamp "1/5 record the scripted teacher on $REPO"
$WG record --repo "$REPO" --out "$OUT/teacher" >&2

stamp "2/5 export sft (Harmony, loss on assistant tokens, examples cut at 2,048 tokens)"
$WG export sft "$OUT/teacher" --out "$OUT/sft-data" --split turn --max-tokens 2048 --validation 0 >&2

stamp "3/5 sft: 4 steps of LoRA on attention + experts"
$WG sft --config "$ROOT/configs/sft-tiny.yaml" --data "$OUT/sft-data" --output-dir "$OUT/sft" --max-steps 4 >&2

stamp "4/5 refine: 1 round of rollouts -> verifier -> pairs -> DPO"
$WG refine --config "$ROOT/configs/refine-tiny.yaml" --rounds 1 --out "$OUT/refine" \
  --set rollout.tasks="$OUT/teacher" --set initial_adapter="$OUT/sft/adapter" > "$OUT/refine.txt"

stamp "5/5 export gguf (the converter of the llama-cpp-python sdist, fetched once; no llama.cpp build needed for q8_0)"
if ! $WG export gguf --model tiny --dtype float32 --adapter "$OUT/refine/rounds/1/train/adapter" \
    --out "$OUT/gguf/tiny.gguf" --quant q8_0 >&2; then
  echo "export gguf: skipped (the converter could not be had: pip install llama-cpp-python, or pass --converter DIR)" >&2
fi
stamp "done in $(( $(date +%s) - start ))s"
python3 - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
teacher = [json.loads(l) for l in (out / "teacher" / "trajectories.jsonl").read_text().splitlines() if l.strip()]
rewards = [t["score"]["reward"] for t in teacher if t.get("score")]
print(f"teacher (scripted) reward: {sum(rewards) / len(rewards):.3f}" if rewards else "teacher reward: unscored")
for rep in sorted((out / "refine" / "rounds").glob("*/report.json"), key=lambda p: int(p.parent.name)):
    r = json.loads(rep.read_text())
    if "rollouts" not in r:  # round 0 (eval_tasks set): the held-out reward before refinement
        print(f"round 0 held-out reward: mean {r['eval']['reward']['mean']} (before refinement)")
        continue
    rw = r["rollouts"]["reward"]
    print(f"round {r['round']} rollouts verifier reward: mean {rw['mean']} (p10 {rw['p10']}, p90 {rw['p90']}), "
          f"tool-call validity {r['rollouts']['tool_call_validity']}, pairs {r.get('pairs', {}).get('pairs')}")
PY
