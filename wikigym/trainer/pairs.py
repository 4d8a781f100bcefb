"""`wikigym pairs`: preference pairs from scored rollouts, tokenized in Harmony with SFT's masks.

Two kinds, each with its provenance (episodes, step, rewards):

- **episode** pairs: for each task, the best and the worst scored episode, when their rewards differ by at least
  `min_margin`. The prompt is what both share (system, developer, user message); chosen/rejected are the rest of each
  episode's first conversation, with the loss mask of SFT (assistant tokens in, tool outputs out).
- **teacher** pairs (`teacher_dirs`, used by `refine` with `teacher_pairs`): a task's best teacher episode against
  its worst student rollout, when the margin allows, as a step pair at the first segment where they diverge (both
  start from the same prompt), so the pair stays as short as one action.
- **step** pairs: continuations forked from one shared prefix (`Episode.parent = {episode_id, step}`, written by
  `wikigym rollout` with forks; the simulator replays the prefix deterministically). Within each fork group the best
  and worst continuation are rendered per segment; the pair is the first generated segment where they differ, with the
  shared context as prompt (identical tokens by construction) and the two next actions as chosen/rejected.

Output (`PAIRS_DIR`): a `datasets` dataset (`prompt_ids`, `chosen_ids`, `rejected_ids`, `chosen_mask`,
`rejected_mask`, provenance columns) and `pairs.jsonl` (provenance only, one line per pair), then `manifest.json`
last.

What it does not do: generate forks (`wikigym rollout`), or score (`wikigym.verifier`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError, check_output_dir
from wikigym.trainer.config import PairsConfig
from wikigym.trajectories.dataset import episode_reward, read_run_episodes, repo_key, rescore_stale
from wikigym.trajectories.harmony import RenderOptions, render_episode
from wikigym.trajectories.schema import Episode

PAIRS_SCHEMA = "wikigym.pairs/1"


def task_id(ep: Episode) -> str:
    """The task an episode solved: `config.task_id` when recorded, else repo + task kind + prompt."""
    tid = ep.config.get("task_id") if ep.config else None
    return str(tid) if tid else f"{repo_key(ep)}::{ep.task.kind}::{ep.task.prompt}"


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _row(prompt: list[int], chosen: tuple[list[int], list[int]], rejected: tuple[list[int], list[int]],
         prov: dict[str, Any]) -> dict[str, Any]:
    return {"prompt_ids": prompt, "chosen_ids": chosen[0], "chosen_mask": chosen[1], "rejected_ids": rejected[0],
            "rejected_mask": rejected[1], **prov}


def episode_pair(best: Episode, worst: Episode, opts: RenderOptions) -> dict[str, Any] | None:
    """The whole-episode pair (first conversation of each), or None when either renders to nothing."""
    (b_exs, _), (w_exs, _) = render_episode(best, opts), render_episode(worst, opts)
    b = next((e for e in b_exs if e.conversation == 0), None)
    w = next((e for e in w_exs if e.conversation == 0), None)
    if b is None or w is None:
        return None
    first_b, first_w = b.assistant_masks.index(1), w.assistant_masks.index(1)
    n = min(_common_prefix(b.input_ids, w.input_ids), first_b, first_w)
    prov = {"kind": "episode", "task_id": task_id(best), "chosen_episode": best.episode_id,
            "rejected_episode": worst.episode_id, "step": -1, "chosen_reward": episode_reward(best),
            "rejected_reward": episode_reward(worst)}
    return _row(b.input_ids[:n], (b.input_ids[n:], b.assistant_masks[n:]), (w.input_ids[n:], w.assistant_masks[n:]),
                prov)


def _segment_step(ep: Episode, segment: int) -> int:
    """Index of the step that produced generated segment `segment` of the first conversation."""
    n = -1
    for step in ep.steps:
        if step.conversation_reset:
            break
        n += max(1, len(step.tool_calls))  # each parallel call after the first opens a segment of its own
        if n >= segment:
            return step.index
    return -1


def step_pair(best: Episode, worst: Episode, opts: RenderOptions) -> dict[str, Any] | None:
    """The pair at the first generated segment where two continuations of one prefix diverge, or None."""
    turn = RenderOptions(reasoning_effort=opts.reasoning_effort, conversation_start_date=opts.conversation_start_date,
                         split="turn", max_tokens=opts.max_tokens)
    b_exs = [e for e in render_episode(best, turn)[0] if e.conversation == 0]
    w_exs = [e for e in render_episode(worst, turn)[0] if e.conversation == 0]
    for i, (b, w) in enumerate(zip(b_exs, w_exs)):
        if b.input_ids == w.input_ids:
            continue
        cb, cw = b.assistant_masks.index(1), w.assistant_masks.index(1)
        if cb != cw or b.input_ids[:cb] != w.input_ids[:cw]:
            return None  # contexts differ (a tool output was not reproduced): not a clean next-action pair
        prov = {"kind": "step", "task_id": task_id(best), "chosen_episode": best.episode_id,
                "rejected_episode": worst.episode_id, "step": _segment_step(best, b.segments[0]),
                "chosen_reward": episode_reward(best), "rejected_reward": episode_reward(worst)}
        return _row(b.input_ids[:cb], (b.input_ids[cb:], b.assistant_masks[cb:]),
                    (w.input_ids[cw:], w.assistant_masks[cw:]), prov)
    return None


def pair_length(row: dict[str, Any]) -> int:
    """Tokens DPO sees for a pair: the prompt plus the longer answer (what `PairsConfig.max_length` bounds)."""
    return len(row["prompt_ids"]) + max(len(row["chosen_ids"]), len(row["rejected_ids"]))


def build_pairs(episodes: list[Episode], cfg: PairsConfig, opts: RenderOptions | None = None,
                teachers: list[Episode] | None = None) -> list[dict[str, Any]]:
    """All pairs of `episodes` under `cfg` (scored episodes only); `teachers` adds teacher-vs-student pairs."""
    return split_by_length(candidate_pairs(episodes, cfg, opts, teachers), cfg.max_length)[0]


def split_by_length(rows: list[dict[str, Any]], max_length: int) -> tuple[list[dict[str, Any]], list[int]]:
    """(the pairs within `max_length`, the lengths of those over it)."""
    kept, too_long = [], []
    for r in rows:
        n = pair_length(r)
        if n <= max_length:
            kept.append(r)
        else:
            too_long.append(n)
    return kept, too_long


def candidate_pairs(episodes: list[Episode], cfg: PairsConfig, opts: RenderOptions | None = None,
                    teachers: list[Episode] | None = None) -> list[dict[str, Any]]:
    """`build_pairs` before pairs longer than `cfg.max_length` are dropped (so that the drop can be counted)."""
    opts = opts or RenderOptions()
    scored = [e for e in episodes if episode_reward(e) is not None]
    rows: list[dict[str, Any]] = []
    if cfg.episode_pairs:
        by_task: dict[str, list[Episode]] = defaultdict(list)
        for e in scored:
            if e.parent is None:
                by_task[task_id(e)].append(e)
        for tid in sorted(by_task):
            eps = sorted(by_task[tid], key=lambda e: (-(episode_reward(e) or 0.0), e.episode_id))
            if len(eps) >= 2 and (episode_reward(eps[0]) or 0) - (episode_reward(eps[-1]) or 0) >= cfg.min_margin:
                row = episode_pair(eps[0], eps[-1], opts)
                if row is not None:
                    rows.append(row)
    if cfg.step_pairs:
        groups: dict[tuple[str, int], list[Episode]] = defaultdict(list)
        for e in scored:
            if e.parent is not None:
                groups[(str(e.parent.get("episode_id")), int(e.parent.get("step", 0)))].append(e)
        for key in sorted(groups):
            eps = sorted(groups[key], key=lambda e: (-(episode_reward(e) or 0.0), e.episode_id))
            if len(eps) >= 2 and (episode_reward(eps[0]) or 0) - (episode_reward(eps[-1]) or 0) >= cfg.min_margin:
                row = step_pair(eps[0], eps[-1], opts)
                if row is not None:
                    row["fork_step"] = key[1]
                    rows.append(row)
    if teachers:
        students: dict[str, list[Episode]] = defaultdict(list)
        for e in scored:
            if e.parent is None:
                students[task_id(e)].append(e)
        for tid in sorted(students):
            best_t = max((t for t in teachers if task_id(t) == tid and episode_reward(t) is not None),
                         key=lambda t: episode_reward(t) or 0.0, default=None)
            worst = min(students[tid], key=lambda e: (episode_reward(e) or 0.0, e.episode_id))
            if best_t is not None and (episode_reward(best_t) or 0) - (episode_reward(worst) or 0) >= cfg.min_margin:
                row = step_pair(best_t, worst, opts)
                if row is not None:
                    row["kind"] = "teacher"
                    rows.append(row)
    for r in rows:
        r.setdefault("fork_step", -1)
    return rows


def write_pairs(run_dirs: list[Path], out: Path, cfg: PairsConfig | None = None,
                opts: RenderOptions | None = None, teacher_dirs: list[Path] | None = None) -> dict[str, Any]:
    """Build pairs from the scored episodes of `run_dirs` (and teacher runs) and write them to `out`."""
    from datasets import Dataset

    cfg = cfg or PairsConfig()
    # Checked before episodes are read and rendered: a bad --out is one error line, not a mkdir traceback.
    out = check_output_dir(out, "--out")
    episodes: list[Episode] = []
    for d in run_dirs:
        episodes.extend(read_run_episodes(Path(d)))
    teachers = [e for d in teacher_dirs or [] for e in read_run_episodes(Path(d))]
    # Single-turn episodes scored as whole wikis (older records) are scored again by their task's scorer, or left
    # out when their repository is gone: such a reward means nothing and would pick the wrong side of a pair.
    rescore_stale(episodes + teachers)
    # Pairs over max_length are counted, not dropped silently: whole-episode pairs of real wikis are often longer
    # than the default, and "0 pairs" alone sent users to lower --min-margin, which cannot help.
    rows, too_long = split_by_length(candidate_pairs(episodes, cfg, opts, teachers), cfg.max_length)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "manifest.json").exists():
        (out / "manifest.json").unlink()
    prov_keys = ("kind", "task_id", "chosen_episode", "rejected_episode", "step", "fork_step", "chosen_reward",
                 "rejected_reward")
    with open(out / "pairs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"schema_version": PAIRS_SCHEMA, **{k: r[k] for k in prov_keys},
                                "prompt_tokens": len(r["prompt_ids"]), "chosen_tokens": len(r["chosen_ids"]),
                                "rejected_tokens": len(r["rejected_ids"])}) + "\n")
    if rows:
        Dataset.from_list(rows).save_to_disk(str(out / "data"))
    from wikigym import __version__

    manifest = {"schema_version": PAIRS_SCHEMA, "wikigym_version": __version__,
                "sources": [str(d) for d in run_dirs], "config": cfg.model_dump(), "episodes": len(episodes),
                "scored": sum(1 for e in episodes if episode_reward(e) is not None), "pairs": len(rows),
                "episode_pairs": sum(1 for r in rows if r["kind"] == "episode"),
                "step_pairs": sum(1 for r in rows if r["kind"] == "step"),
                "teacher_pairs": sum(1 for r in rows if r["kind"] == "teacher"),
                "too_long": len(too_long), "longest_dropped": max(too_long, default=None),
                "mean_margin": round(sum((r["chosen_reward"] or 0) - (r["rejected_reward"] or 0) for r in rows)
                                     / len(rows), 6) if rows else None}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def load_pairs(path: Path) -> Any:
    """The pairs `Dataset` written by `write_pairs` (refuses an unfinished or empty directory)."""
    from datasets import load_from_disk

    path = Path(path)
    man = path / "manifest.json"
    if not man.is_file():
        raise ConfigError(f"{path} is not a finished `wikigym pairs` directory (no manifest.json); rerun pairs")
    data = json.loads(man.read_text(encoding="utf-8"))
    if data.get("schema_version") != PAIRS_SCHEMA:
        raise ConfigError(f"{man} has schema_version {data.get('schema_version')!r}; expected {PAIRS_SCHEMA!r}")
    if not data.get("pairs"):
        if data.get("too_long"):
            raise ConfigError(f"{path} holds no pairs: all {data['too_long']} were longer than max_length "
                              f"{data['config'].get('max_length')} (longest {data.get('longest_dropped')} tokens); "
                              "rerun `wikigym pairs` with a larger --max-length")
        raise ConfigError(f"{path} holds no pairs (no task had a reward margin >= min_margin); lower --min-margin "
                          "or sample more rollouts per task")
    return load_from_disk(str(path / "data"))
