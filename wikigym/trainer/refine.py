"""`wikigym refine`: optional SFT, then N rounds of rollout -> score -> pairs -> DPO (or rejection-sampling SFT).

Layout of `RefineConfig.out` (RUN_DIR):

    sft/                      the SFT run (skipped when `sft` is absent; `initial_adapter` may start instead);
                              sft/adapter/ (LoRA) or, for a full fine-tuning (`sft.lora: null`), sft/model/
    rounds/0/eval/            held-out tasks scored with the starting policy (SFT, initial adapter or base model)
    rounds/0/report.json      {"round": 0, "adapter", "base_model", "eval"} (only when `eval_tasks` is set)
    rounds/<n>/rollouts/      K scored student episodes per task (+ forks), sampled with the current adapter
    rounds/<n>/pairs/         preference pairs of those rollouts           (refiner: dpo)
    rounds/<n>/rs-data/       the best rollouts as an SFT dataset          (refiner: rejection_sft)
    rounds/<n>/train/         the round's DPO/SFT run; train/adapter/ is the round's adapter
    rounds/<n>/eval/          held-out tasks scored with the round's adapter (when `eval_tasks` is set)
    rounds/<n>/report.json    written last: rewards (mean, percentiles, per check), tool-call validity, pages per
                              episode, tokens, pairs, training losses/margins, the base model
    best.json                 the round whose policy scored highest on the held-out tasks (when `eval_tasks` is set)
                              and the `wikigym export gguf` command that exports it

Base model: `rollout.model`, except after a full-fine-tuning SFT, whose saved sft/model/ then is the base model of
every later stage (rollouts, DPO, rejection SFT, eval; `rollout.model`'s dtype and other settings kept). Round 1
then starts without an adapter: DPO trains a fresh LoRA on it, and its reference (the adapter disabled) is the SFT
model. Later rounds chain adapters on the same base.

Resumable after a kill at any stage: each stage is skipped when its completion marker exists (`sft_result.json`,
rollouts' finished episodes, `manifest.json`, `*_result.json`, `report.json`), rollouts skip finished episodes and
training resumes from its newest checkpoint. A round that yields no pair (no reward margin) keeps the adapter and
says so in its report. `refine` returns the reports in order, round 0's (held-out reward before any training of
refine's own) first when `eval_tasks` is set.

Best round: a later round is not always better on unseen repositories (DPO can overfit the rollout tasks), so with
`eval_tasks` set refine names the round with the highest held-out reward mean (the earliest on a tie: the least
training) in `best.json`; round 0 qualifies, in which case the starting policy is the one to keep.

What it does not do: merge or export (`wikigym export gguf`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

from wikigym.errors import ConfigError, make_output_dir
from wikigym.trainer.config import ModelConfig, RefineConfig, SFTRunConfig

Progress = Callable[[str], None]


def _done(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _rollout_done(run_dir: Path, expected: int) -> bool:
    from wikigym.trajectories.dataset import read_run_episodes

    try:
        from wikigym.trainer.rollout import policy_failed

        return sum(not policy_failed(e) for e in read_run_episodes(run_dir)) >= expected  # failed ones are retried
    except Exception:
        return False


def _rejection_data(cfg: RefineConfig, rollouts: Path, out: Path) -> dict[str, Any] | None:
    """The top rollouts of each task as an SFT dataset, or None when none qualifies."""
    from wikigym.errors import ConfigError
    from wikigym.trainer.pairs import task_id
    from wikigym.trajectories.dataset import (
        ExportConfig,
        episode_reward,
        export_sft,
        read_run_episodes,
        rescore_stale,
    )
    from wikigym.trajectories.store import TrajectoryWriter

    eps = read_run_episodes(rollouts)
    rescore_stale(eps)  # single-turn episodes scored as whole wikis get their task's score (or none)
    eps = [e for e in eps if episode_reward(e) is not None]
    by_task: dict[str, list] = {}
    for e in eps:
        by_task.setdefault(task_id(e), []).append(e)
    keep = []
    for tid in sorted(by_task):
        best = sorted(by_task[tid], key=lambda e: -(episode_reward(e) or 0.0))[:cfg.rejection_top_k]
        keep += [e for e in best if cfg.rejection_min_reward is None or (episode_reward(e) or 0) >=
                 cfg.rejection_min_reward]
    if not keep:
        return None
    sel = out / "selected"
    sel.mkdir(parents=True, exist_ok=True)
    if not (sel / "trajectories.jsonl").exists():
        with TrajectoryWriter(sel / "trajectories.jsonl") as w:
            for e in keep:
                w.append(e)
    try:
        return export_sft([sel], out, ExportConfig(successful_only=False, validation_fraction=0.0,
                                                   max_tokens=cfg.dpo.train.max_length))
    except ConfigError:
        return None


def _eval_config(cfg: RefineConfig, base: ModelConfig, adapter: Path | None, n: int) -> Any:
    """The rollout config scoring `base` + `adapter` on the held-out tasks after round `n` (0: before round 1)."""
    return cfg.rollout.model_copy(update={"model": base, "adapter": adapter, "tasks": cfg.eval_tasks, "k": cfg.eval_k,
                                          "forks_per_task": 0, "seed": 10_000 + n,
                                          "sampling": cfg.eval_sampling or cfg.rollout.sampling})


def _round_zero(cfg: RefineConfig, rdir: Path, base: ModelConfig, adapter: Path | None,
                say: Progress) -> dict[str, Any]:
    """Score the starting policy on the held-out tasks into `rdir/eval/` and write `rdir/report.json`.

    Without it the first held-out reward comes after round 1's DPO, so nothing says what refinement itself gained
    over SFT (or over the initial adapter or the base model). Skipped on resume when its report exists.
    """
    from wikigym.trainer.rollout import rollout

    rep = _done(rdir / "report.json")
    if rep is not None:
        say(f"round 0: done earlier (held-out reward mean {rep['eval']['reward']['mean']})")
        return rep
    t0 = time.time()
    say("round 0: held-out evaluation of the starting policy")
    summary = _require_scored(rollout(_eval_config(cfg, base, adapter, 0), rdir / "eval"),
                              "round 0 held-out evaluation", rdir / "eval")
    say(f"round 0: held-out reward mean {summary['reward']['mean']}")
    rep = {"round": 0, "adapter": str(adapter) if adapter else None, "base_model": base.name, "eval": summary,
           "seconds": round(time.time() - t0, 2)}
    (rdir / "report.json").write_text(json.dumps(rep, indent=2) + "\n", encoding="utf-8")
    return rep


def best_round(reports: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The policy of the round with the highest held-out reward mean (earliest on a tie), or None without eval."""
    scored = [r for r in reports if (r.get("eval") or {}).get("reward", {}).get("mean") is not None]
    if not scored:
        return None
    best = max(scored, key=lambda r: (r["eval"]["reward"]["mean"], -r["round"]))
    export = ["wikigym", "export", "gguf", "--model", str(best["base_model"])]
    if best.get("adapter"):
        export += ["--adapter", str(best["adapter"])]
    return {"round": best["round"], "held_out_reward": best["eval"]["reward"]["mean"],
            "held_out_by_round": {str(r["round"]): r["eval"]["reward"]["mean"] for r in scored},
            "base_model": best["base_model"], "adapter": best.get("adapter"),
            "export": " ".join(export + ["--out", "model.gguf"])}


def _require_scored(summary: dict[str, Any], what: str, run_dir: Path) -> dict[str, Any]:
    """`summary`, unless every episode failed in the model runtime (nothing was scored): then one error line.

    Going on would train on nothing and report a reward of 0 for a student that never ran."""
    if summary.get("policy_failed") and not summary.get("scored"):
        raise ConfigError(f"{what}: all {summary['policy_failed']} episodes failed in the policy, none was scored "
                          f"(first error: {summary.get('first_policy_error')}); fix that and rerun the same command: "
                          f"the failed episodes of {run_dir} run again")
    return summary


def refine(cfg: RefineConfig, rounds: int, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Run (or resume) SFT and `rounds` refinement rounds; returns each round's report (round 0's first when
    `eval_tasks` is set)."""
    from wikigym.trainer.dpo import run_dpo
    from wikigym.trainer.pairs import write_pairs
    from wikigym.trainer.rollout import load_tasks, rollout, summarize
    from wikigym.trainer.sft import run_sft
    from wikigym.trajectories.dataset import read_run_episodes

    if rounds < 1:
        # Checked before anything is written: 0 rounds used to exit 0 having done nothing but write
        # refine_config.json, which reads as a finished (empty) refinement.
        raise ConfigError(f"--rounds {rounds}: refine needs at least 1 round; pass --rounds N with N >= 1 "
                          "(for SFT alone, use `wikigym sft`)")
    say = progress or (lambda _m: None)
    out = make_output_dir(cfg.out, "out (--out)")  # one error line for a path that cannot be a directory
    (out / "refine_config.json").write_text(cfg.model_dump_json(indent=2) + "\n", encoding="utf-8")
    adapter: Path | None = cfg.initial_adapter
    base: ModelConfig = cfg.rollout.model
    if cfg.sft is not None:
        sft_cfg = cfg.sft.model_copy(deep=True)
        sft_cfg.train.output_dir = out / "sft"
        res = _done(out / "sft" / "sft_result.json")
        if res is None:
            say("sft: training")
            res = run_sft(sft_cfg)
        else:
            say(f"sft: done earlier, reusing its {'model' if res.get('model') else 'adapter'}")
        if res.get("model"):  # full fine-tuning: the SFT model is the base; round 1 starts without an adapter
            base = cfg.rollout.model.model_copy(update={"name": str(res["model"])})
            adapter = None
        else:
            adapter = Path(res["adapter"])
    n_tasks = len(load_tasks(cfg.rollout.tasks))
    reports = []
    if cfg.eval_tasks is not None:
        reports.append(_round_zero(cfg, out / "rounds" / "0", base, adapter, say))
    for n in range(1, rounds + 1):
        rdir = out / "rounds" / str(n)
        rep = _done(rdir / "report.json")
        if rep is not None:
            say(f"round {n}: done earlier (reward mean {rep['rollouts']['reward']['mean']})")
            adapter = Path(rep["adapter"]) if rep.get("adapter") else adapter
            reports.append(rep)
            continue
        t0 = time.time()
        rcfg = cfg.rollout.model_copy(update={"model": base, "adapter": adapter, "seed": cfg.rollout.seed + n})
        ro_dir = rdir / "rollouts"
        expected = n_tasks * cfg.rollout.k
        if not _rollout_done(ro_dir, expected + (n_tasks * cfg.rollout.forks_per_task * cfg.rollout.fork_k
                                                 if cfg.rollout.fork_k > 1 else 0)):
            say(f"round {n}: rollouts ({expected} episodes{' + forks' if cfg.rollout.forks_per_task else ''})")
            rollout(rcfg, ro_dir)
        ro_summary = _require_scored(summarize([e for e in read_run_episodes(ro_dir) if e.parent is None]),
                                     f"round {n} rollouts", ro_dir)
        say(f"round {n}: rollout reward mean {ro_summary['reward']['mean']}")
        train_dir = rdir / "train"
        info: dict[str, Any] = {}
        new_adapter = adapter
        if cfg.refiner == "dpo":
            pdir = rdir / "pairs"
            man = _done(pdir / "manifest.json")
            if man is None:
                teachers = [cfg.rollout.tasks] if cfg.pairs.teacher_pairs and Path(cfg.rollout.tasks).is_dir() else []
                man = write_pairs([ro_dir], pdir, cfg.pairs, teacher_dirs=teachers)
            info["pairs"] = {k: man.get(k) for k in ("pairs", "episode_pairs", "step_pairs", "teacher_pairs",
                                                      "mean_margin", "too_long")}
            say(f"round {n}: {man['pairs']} pairs"
                + (f" ({man['too_long']} longer than pairs.max_length dropped)" if man.get("too_long") else ""))
            if man["pairs"]:
                res = _done(train_dir / "dpo_result.json")
                if res is None:
                    dcfg = cfg.dpo.model_copy(deep=True)
                    dcfg.pairs, dcfg.init_adapter, dcfg.model = pdir, adapter, base
                    dcfg.train.output_dir = train_dir
                    say(f"round {n}: DPO")
                    res = run_dpo(dcfg)
                info["train"] = {k: res.get(k) for k in ("steps", "losses", "margins", "accuracies", "seconds")}
                new_adapter = Path(res["adapter"])
            else:
                info["train"] = {"skipped": "no pair had a reward margin >= min_margin; adapter kept"}
        else:
            data_dir = rdir / "rs-data"
            man = _done(data_dir / "manifest.json") or _rejection_data(cfg, ro_dir, data_dir)
            if man:
                res = _done(train_dir / "sft_result.json")
                if res is None:
                    scfg = SFTRunConfig(data=data_dir, model=base, lora=cfg.dpo.lora,
                                        train=cfg.dpo.train.model_copy(update={"output_dir": train_dir}),
                                        init_adapter=adapter)
                    say(f"round {n}: rejection-sampling SFT")
                    res = run_sft(scfg)
                info["train"] = {k: res.get(k) for k in ("steps", "losses", "seconds")}
                new_adapter = Path(res["adapter"])
            else:
                info["train"] = {"skipped": "no rollout passed rejection_min_reward; adapter kept"}
        if cfg.eval_tasks is not None:
            info["eval"] = _require_scored(rollout(_eval_config(cfg, base, new_adapter, n), rdir / "eval"),
                                           f"round {n} held-out evaluation", rdir / "eval")
            say(f"round {n}: held-out reward mean {info['eval']['reward']['mean']}")
        rep = {"round": n, "adapter": str(new_adapter) if new_adapter else None,
               "start_adapter": str(adapter) if adapter else None, "base_model": base.name, "refiner": cfg.refiner,
               "rollouts": ro_summary, **info, "seconds": round(time.time() - t0, 2)}
        rdir.mkdir(parents=True, exist_ok=True)
        (rdir / "report.json").write_text(json.dumps(rep, indent=2) + "\n", encoding="utf-8")
        adapter = new_adapter
        reports.append(rep)
    best = best_round(reports)
    if best is not None:
        (out / "best.json").write_text(json.dumps(best, indent=2) + "\n", encoding="utf-8")
    return reports
