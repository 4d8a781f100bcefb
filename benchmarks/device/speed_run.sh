#!/usr/bin/env bash
# The speed figures in one device call (at most 10 minutes), most wanted first, each step time-boxed and writing its
# JSON as it goes, so a call cut short still returns what it measured. Machines are scarce: one call should answer
# everything the README's "Speed on the GPU" table and the profile need.
#
#   bash benchmarks/device/pack.sh                                   # here, once
#   run(command="bash benchmarks/device/speed_run.sh", carry=[".devpack"])
#
# Writes under $OUT (7 files, 8 with the decode profile; the device returns at most 8): gpu.txt, train_throughput.json
# (+ train.log, train_profiles.log), rollout_throughput.json (+ rollout.log), decode_profile.log, pytest.log (the GPU
# tests of tests/trainer/fast).
set -u
source benchmarks/device/env.sh >/dev/null 2>&1
export TQDM_DISABLE=1 TRANSFORMERS_VERBOSITY=error PYTHONWARNINGS=ignore
OUT=${OUT:-runs/speed}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name --format=csv,noheader > "$OUT/gpu.txt" 2>&1
# training: baseline, the trainer's default path (checkpointing sized to memory) at SEQS, then the fast path with none
# and every layer checkpointed at NOCKPT_SEQS (the baseline without), with compile_layers off (EAGER_BLOCKS=1), profiles
timeout "${TRAIN_S:-280}" python3 benchmarks/train_throughput.py --seq-lens "${SEQS:-2048}" --steps 3 \
  --baseline-probe 0 --check-seq 0 --no-checkpointing-seqs "${NOCKPT_SEQS:-2048,4096}" \
  $([ "${EAGER_BLOCKS:-1}" = 1 ] && echo --eager-blocks) \
  $([ "${PROFILE:-1}" = 1 ] && echo --profile "$OUT/train_profile.txt") \
  --out "$OUT/train_throughput.json" > "$OUT/train.log" 2>&1
# the device returns at most 8 files: the three profile tables travel as one
for f in "$OUT"/train_profile*.txt; do [ -e "$f" ] && { echo "== $(basename "$f")"; cat "$f"; rm "$f"; }; done \
  > "$OUT/train_profiles.log"
# decoding: transformers' generate vs the engine, bf16 and FP8 experts, 1 and 32 streams, continuous batching
timeout "${ROLLOUT_S:-170}" python3 benchmarks/rollout_throughput.py --baseline-new 4 --new 128 --max-len 4096 --fp8 \
  --out "$OUT/rollout_throughput.json" > "$OUT/rollout.log" 2>&1
# optional (DECODE_PROFILE_S > 0): where one decode step's time goes, 1 and 32 slots (kernel tables in the log)
if [ "${DECODE_PROFILE_S:-0}" -gt 0 ]; then
  timeout "$DECODE_PROFILE_S" python3 benchmarks/rollout_throughput.py --skip-baseline --max-len 4096 \
    --profile /tmp/decode_profile > "$OUT/decode_profile.log" 2>&1
fi
timeout "${TEST_S:-110}" python3 -m pytest -q tests/trainer/fast -k "${TEST_K:-cuda}" -p no:cacheprovider > "$OUT/pytest.log" 2>&1
tail -n 4 "$OUT"/*.log
