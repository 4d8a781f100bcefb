"""`wikigym rollout`: K student episodes per task through the simulator, each scored by the verifier.

Tasks come from a RUN_DIR (each distinct repository + task kind of its episodes, e.g. the teacher's run) or a tasks
file (`.jsonl`, one `{"repo": PATH_OR_URL, "task": "generate"}` a line). Every episode runs in SemanticWiki's loop
(`wikigym.simulator.loop.AgentLoop`) over a fresh `Sandbox`, exactly as `wikigym record` runs a teacher, and is
written to `RUN_DIR/trajectories.jsonl` in the same format, with the verifier's score and
`config.task_id` (the task key that `wikigym pairs` groups by). A rerun skips finished episodes (resumable).

Policies: `harmony` (transformers in this process; episodes run in threads and their turns are generated together
by one `TurnBatcher`) or `openai` (an OpenAI-compatible server such as vLLM serving the merged model, for large runs).

Forks (step-level preference data): `fork_episodes` replays an episode's first `step` turns deterministically (the
recorded actions through the same sandbox tools) and samples K continuations from there; each fork records
`parent = {episode_id, step}`.

What it does not do: build pairs (`pairs.py`) or train.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wikigym import __version__
from wikigym.errors import ConfigError, check_output_dir
from wikigym.simulator.policy import AssistantTurn, Policy
from wikigym.trainer.config import RolloutConfig
from wikigym.trajectories.schema import Episode, PolicySpec, RepoRef, Step, TaskSpec

TRAJECTORIES = "trajectories.jsonl"


@dataclass
class TaskRef:
    """One rollout task: a repository and a task kind (`task_id` groups its episodes for pairs).

    Tasks read from a RUN_DIR carry the recorded task (`spec`, `system`), so every rollout answers exactly the prompt
    the recorded episode answered; tasks of a .jsonl file are built from the repository with `index` (which page of
    the plan, which partial wiki, which base commit), the same for all K rollouts.
    """

    source: str
    kind: str = "generate"
    task_id: str = ""
    index: int = 0
    spec: TaskSpec | None = None
    system: str | None = None


def load_tasks(path: Path) -> list[TaskRef]:
    """Tasks of a RUN_DIR (distinct repo + kind of its episodes) or of a tasks .jsonl file."""
    from wikigym.trainer.pairs import task_id
    from wikigym.trajectories.dataset import read_run_episodes

    path = Path(path)
    if path.is_dir() or path.name == TRAJECTORIES:
        out: dict[str, TaskRef] = {}
        for ep in read_run_episodes(path):
            src = str(ep.config.get("source") or ep.repo.path) if ep.config else ep.repo.path
            tid = task_id(ep)
            out.setdefault(tid, TaskRef(src, ep.task.kind, tid, spec=ep.task, system=ep.system_prompt))
        return list(out.values())
    if not path.is_file():
        raise ConfigError(f"tasks {path} does not exist; pass a RUN_DIR or a tasks .jsonl of "
                          '{"repo": PATH, "task": "generate"} lines')
    tasks = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                d = json.loads(line)
                tasks.append(TaskRef(str(d["repo"]), d.get("task", "generate"), d.get("task_id", ""),
                                     int(d.get("index", 0))))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                raise ConfigError(f"tasks {path} line {n} is not a JSON object with a \"repo\" key") from None
    return tasks


class ReplayPrefixPolicy:
    """Returns an episode's recorded turns for its first `upto` steps, then asks `student` (a fork)."""

    def __init__(self, steps: list[Step], upto: int, student: Policy):
        self.steps, self.upto, self.student = steps, upto, student
        self.spec = student.spec
        self._n = 0

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        if self._n < self.upto:
            s = self.steps[self._n]
            self._n += 1
            return AssistantTurn(text=s.text, reasoning=s.reasoning, tool_calls=list(s.tool_calls),
                                 stop_reason="tool_use" if s.tool_calls else s.stop_reason,
                                 raw_completion=s.raw_completion)
        self._n += 1
        return self.student.act(messages, tools, system)


def _record_config(cfg: RolloutConfig, out: Path) -> Any:
    from wikigym.simulator.record import RecordConfig

    return RecordConfig(repos=["."], teacher=cfg.policy, model=_model_key(cfg), out=str(out), seed=cfg.seed,
                        max_turns=cfg.max_turns, verification_passes=cfg.verification_passes,
                        temperature=cfg.sampling.temperature, top_p=cfg.sampling.top_p,
                        max_tokens=cfg.sampling.max_new_tokens, reasoning_effort=cfg.sampling.reasoning_effort,
                        base_url=cfg.base_url if cfg.policy == "openai" else None, mode=cfg.mode, score=True)


def _model_key(cfg: RolloutConfig) -> str:
    return cfg.model.name if cfg.adapter is None else f"{cfg.model.name}+{cfg.adapter}"


def run_job(cfg: RolloutConfig, out: Path, ref: TaskRef, snapshot: Any, episode_id: str, seed: int,
            student: Policy, prefix: Episode | None = None, fork_step: int = 0) -> Episode:
    """Run one episode (optionally a fork of `prefix` at `fork_step`) and score it."""
    from wikigym.simulator import record as rec
    from wikigym.simulator.loop import AgentLoop, LoopConfig
    from wikigym.simulator.sandbox import Sandbox, SandboxConfig
    from wikigym.simulator.tasks import task_from_spec

    rcfg = _record_config(cfg, out).model_copy(update={"task": ref.kind})
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    wiki_dir = out / "wikis" / episode_id
    if wiki_dir.exists():
        shutil.rmtree(wiki_dir)
    prompts = rec._prompts(rcfg)
    sandbox = Sandbox(snapshot, wiki_dir, SandboxConfig(mode=cfg.mode))
    if ref.spec is not None and ref.system is not None:
        task, snap = task_from_spec(ref.spec, ref.system), snapshot
    else:  # built from the repository; `index` (not the sampling seed) picks the page / partial wiki / base commit
        job = rec.EpisodeJob(episode_id=episode_id, source=ref.source, index=ref.index, seed=ref.index,
                             snapshot=snapshot)
        task, snap = rec.build_task(rcfg, job, sandbox, prompts)
    policy: Policy = student if prefix is None else ReplayPrefixPolicy(prefix.steps, fork_step, student)
    loop = AgentLoop(policy, sandbox, prompts, LoopConfig(max_turns=cfg.max_turns, verify=cfg.verification_passes > 0,
                                                          verification_passes=cfg.verification_passes))
    result = loop.run(task)
    episode = Episode(
        wikigym_version=__version__, episode_id=episode_id,
        parent={"episode_id": prefix.episode_id, "step": fork_step} if prefix is not None else None,
        repo=RepoRef(url=getattr(snap, "url", None), path=str(snap.root), commit=getattr(snap, "commit", None),
                     dirty=bool(getattr(snap, "dirty", False)), name=str(getattr(snap, "name", "") or
                                                                         Path(snap.root).name)),
        task=task.spec, policy=student.spec, mode=cfg.mode, system_prompt=task.system, prompt_sha256=prompts.sha256,
        prompt_source=prompts.source, tools=[] if task.single_turn else sandbox.schemas(), steps=result.steps,
        stop_reason=result.stop_reason, errors=result.errors, usage=result.usage,
        started_at=started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), wiki=sandbox.wiki_files(),
        config={"task_id": ref.task_id or f"{ref.source}::{ref.kind}", "source": ref.source,
                "rollout": json.loads(cfg.model_dump_json()), "seed": seed},
    )
    if policy_failed(episode):
        # The policy raised (server down, connection lost): the reward would measure the outage, not the student,
        # and would enter pairs and round reports as a real 0. Kept in the run, unscored (pairs skip it).
        episode.errors.append("not scored: the policy failed, so the reward would not measure the student")
        episode.duration_s = round(time.perf_counter() - t0, 3)
        return episode
    try:
        episode.score = score_episode(wiki_dir, snap, episode)
    except Exception as e:  # the verifier failing must not lose the episode
        episode.errors.append(f"verifier failed: {type(e).__name__}: {e}")
    episode.duration_s = round(time.perf_counter() - t0, 3)
    return episode


def score_episode(wiki_dir: Path, snapshot: Any, episode: Episode) -> dict[str, Any]:
    """The verifier's score of a finished episode, as the dict the trajectory stores."""
    from wikigym.verifier import require_complete, verify_episode

    data = require_complete(verify_episode(episode, snapshot, wiki_dir=wiki_dir)).to_json()
    return json.loads(data) if isinstance(data, str) else data  # Score.to_json returns JSON text


class _Student:
    """The loaded student model and its policies (one shared batcher for the harmony policy)."""

    def __init__(self, cfg: RolloutConfig):
        self.cfg = cfg
        spec = PolicySpec(kind=cfg.policy, model=_model_key(cfg), temperature=cfg.sampling.temperature,
                          top_p=cfg.sampling.top_p, max_tokens=cfg.sampling.max_new_tokens, seed=cfg.seed,
                          reasoning_effort=cfg.sampling.reasoning_effort,
                          extra={"adapter": str(cfg.adapter)} if cfg.adapter else {})
        self.spec = spec
        self.batcher = None
        if cfg.policy == "harmony":
            import torch

            from wikigym.simulator.policies.harmony import HarmonyPolicy, TurnBatcher, register_runtime
            from wikigym.trainer.model import load_for_inference

            torch.manual_seed(cfg.seed)
            device = "cuda" if torch.cuda.is_available() else None
            model, tok = load_for_inference(cfg.model, cfg.adapter, device=device)
            engine = None
            if cfg.fast.decode and device == "cuda":
                from wikigym.trainer.fast.decode import DecodeEngine

                # Continuous batching across episode threads replaces the TurnBatcher's lock-step batches.
                # The student model only generates through the engine, so with FP8 experts its bf16 ones are freed.
                engine = DecodeEngine(model, max_batch=cfg.sampling.batch_size, max_len=cfg.fast.decode_max_len,
                                      fp8_experts=cfg.fast.decode_fp8_experts,
                                      release_experts=cfg.fast.decode_fp8_experts)
                model.wikigym_engine = engine
            self.lead = HarmonyPolicy(spec, model, tok)
            self.batcher = None if engine else TurnBatcher(self.lead, batch_size=cfg.sampling.batch_size)
            register_runtime(spec.model or "", model, tok, self.batcher)

    def policy(self) -> Policy:
        if self.cfg.policy == "harmony":
            from wikigym.simulator.policies.harmony import HarmonyPolicy

            return HarmonyPolicy(self.spec, self.lead.model, self.lead.tokenizer, batcher=self.batcher)
        from wikigym.simulator.policies import make_policy

        return make_policy(self.spec, base_url=self.cfg.base_url)

    def close(self) -> None:
        if self.cfg.policy == "harmony":
            from wikigym.simulator.policies.harmony import unregister_runtime

            unregister_runtime(self.spec.model or "")


def _run_all(cfg: RolloutConfig, out: Path, jobs: list[dict[str, Any]], student: _Student) -> list[Episode]:
    from wikigym.trajectories.dataset import read_run_episodes
    from wikigym.trajectories.store import TrajectoryWriter

    out.mkdir(parents=True, exist_ok=True)
    done: list[Episode] = []
    lock = threading.Lock()
    with TrajectoryWriter(out / TRAJECTORIES) as writer:
        # A rerun resumes: finished episodes are kept, and those whose policy failed (server down, generate raised)
        # run again; their new record supersedes the old one, which stays in the append-only file.
        failed = {e.episode_id for e in (read_run_episodes(out) if writer.done_ids else []) if policy_failed(e)}
        pending = [j for j in jobs if j["episode_id"] not in writer.done_ids or j["episode_id"] in failed]

        def one(job: dict[str, Any]) -> None:
            if student.batcher is not None:
                student.batcher.episode_started()
            try:
                ep = run_job(cfg, out, student=student.policy(), **job)
            finally:
                if student.batcher is not None:
                    student.batcher.episode_finished()
            with lock:
                writer.append(ep)
                done.append(ep)

        workers = max(1, cfg.sampling.batch_size if cfg.policy == "harmony" else cfg.concurrency)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for f in [pool.submit(one, j) for j in pending]:
                f.result()
    return done


def rollout(cfg: RolloutConfig, out: Path) -> dict[str, Any]:
    """K episodes per task of `cfg.tasks` into `out`; then forks when `cfg.forks_per_task`. Returns a summary."""
    from wikigym.simulator.record import _open
    from wikigym.trainer.pairs import task_id as _tid
    from wikigym.trajectories.dataset import episode_reward, read_run_episodes

    # Checked before the tasks and the model are loaded: a bad output path is one error line, not a traceback
    # from deep in the trainer (or datasets) after the slow part.
    out = check_output_dir(out, "--out")
    tasks = load_tasks(cfg.tasks)
    if not tasks:
        raise ConfigError(f"no tasks in {cfg.tasks}")
    snaps = {t.source: _open(t.source) for t in tasks}
    student = _Student(cfg)
    t0 = time.time()
    try:
        jobs = []
        for ti, t in enumerate(tasks):
            t.task_id = t.task_id or f"{t.source}::{t.kind}"
            for i in range(cfg.k):
                jobs.append({"ref": t, "snapshot": snaps[t.source], "seed": cfg.seed * 1000 + ti * 100 + i,
                             "episode_id": f"t{ti:03d}-{_slug(t.task_id)}-{i:03d}"})
        _run_all(cfg, out, jobs, student)
        if cfg.forks_per_task > 0 and cfg.fork_k > 1:
            eps = [e for e in read_run_episodes(out) if e.parent is None]
            fork_jobs = []
            for ti, t in enumerate(tasks):
                mine = sorted((e for e in eps if _tid(e) == t.task_id), key=lambda e: -(episode_reward(e) or 0.0))
                if not mine or len(mine[0].steps) < 2:
                    continue
                best = mine[0]
                n_steps = len([s for s in best.steps if not s.conversation_reset])
                for f in range(cfg.forks_per_task):
                    step = max(1, (f + 1) * n_steps // (cfg.forks_per_task + 1))
                    for i in range(cfg.fork_k):
                        fork_jobs.append({"ref": t, "snapshot": snaps[t.source], "prefix": best, "fork_step": step,
                                          "seed": cfg.seed * 1000 + ti * 100 + 50 + f * 10 + i,
                                          "episode_id": f"{best.episode_id}-fork{step}-{i}"})
            _run_all(cfg, out, fork_jobs, student)
    finally:
        student.close()
    return summarize(read_run_episodes(out), seconds=time.time() - t0)


def _slug(s: str) -> str:
    import hashlib

    tail = "".join(c if c.isalnum() else "-" for c in s.split("::")[0].rstrip("/").split("/")[-1])[:24].strip("-")
    return f"{tail or 'task'}-{hashlib.sha256(s.encode()).hexdigest()[:6]}"


def policy_error(episode: Episode) -> str | None:
    """The error that ended the episode because the policy itself raised (an API/server failure after its
    retries, or the model's generate raising), else None.

    `AgentLoop` ends such an episode with stop_reason "error" and an error starting "policy <kind>" (its
    `_act`); a turn the model got wrong (unparsable output) is behaviour and is not matched here.
    """
    if episode.stop_reason != "error":
        return None
    prefix = f"policy {episode.policy.kind}"
    return next((e for e in episode.errors if e.startswith(prefix)), None)


def policy_failed(episode: Episode) -> bool:
    """True when the policy itself failed (see `policy_error`)."""
    return policy_error(episode) is not None


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 6)


def summarize(episodes: list[Episode], seconds: float | None = None) -> dict[str, Any]:
    """Reward mean and percentiles (overall and per check), tool-call validity, pages and tokens per episode."""
    from wikigym.trajectories.dataset import episode_reward

    rewards = [r for r in (episode_reward(e) for e in episodes) if r is not None]
    calls = [c for e in episodes for s in e.steps for c in s.tool_calls]
    checks: dict[str, list[float]] = {}
    for e in episodes:
        for name, res in ((e.score or {}).get("checks") or {}).items():
            val = res.get("score") if isinstance(res, dict) else res
            if isinstance(val, (int, float)):
                checks.setdefault(name, []).append(float(val))
    n = max(1, len(episodes))
    out = {
        "episodes": len(episodes), "scored": len(rewards),
        "policy_failed": sum(policy_failed(e) for e in episodes),
        "first_policy_error": next((err for e in episodes if (err := policy_error(e))), None),
        "reward": {"mean": round(sum(rewards) / len(rewards), 6) if rewards else None, "p10": _pct(rewards, 10),
                   "p50": _pct(rewards, 50), "p90": _pct(rewards, 90), "max": max(rewards) if rewards else None},
        "checks": {k: {"mean": round(sum(v) / len(v), 6), "p10": _pct(v, 10), "p50": _pct(v, 50), "p90": _pct(v, 90)}
                   for k, v in sorted(checks.items())},
        "tool_calls": len(calls), "tool_call_validity": round(sum(c.valid for c in calls) / len(calls), 6)
        if calls else None,
        "pages_per_episode": round(sum(len(e.wiki) for e in episodes) / n, 3),
        "turns_per_episode": round(sum(len(e.steps) for e in episodes) / n, 3),
        "output_tokens": sum(e.usage.output_tokens for e in episodes),
        "input_tokens": sum(e.usage.input_tokens for e in episodes),
        "stop_reasons": {r: sum(e.stop_reason == r for e in episodes) for r in sorted({e.stop_reason
                                                                                       for e in episodes})},
    }
    if seconds is not None:
        out["seconds"] = round(seconds, 2)
    return out
