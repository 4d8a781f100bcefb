"""Record episodes of a teacher (or any policy) into RUN_DIR: the library function behind `wikigym record`.

`record(cfg, progress)` plans `cfg.episodes` episodes per repository (ids `<repo>-<task>-<nnn>`, the same on every
run of the same config), skips those already in `RUN_DIR/trajectories.jsonl` (that is how an interrupted run
resumes), runs the rest and appends each finished episode as one fsynced line (`TrajectoryWriter`). Each episode has
its own sandbox and wiki directory, `RUN_DIR/wikis/<episode>/`; an episode that was cut off is started again from an
empty wiki. `RUN_DIR/run.json` holds the config (written first) and, once the run ends, its totals (written last;
`"complete": true` means every planned episode is in the file).

Concurrency: the scripted teacher runs in a process pool (`--concurrency` processes; in-process when 1); API policies
run as asyncio tasks, each episode's synchronous loop in a worker thread, `--concurrency` episodes at a time, with
one request limiter and one cost meter shared by the run. With `--max-cost`, no turn starts once the run's cost
reaches the limit: in-flight episodes end with stop reason `max_cost` and are recorded; episodes not started are not.
Ctrl-C stops every episode at its next turn; those are not written (they are recorded again on resume).

`continue` and `update` need a wiki to start from: `cfg.base_wiki` (a directory), or one written by the scripted
teacher (for `update`, at the base commit, exported with `git archive`). The verifier scores each finished episode
when the verifier is installed (`_score_hook`), through `wikigym.verifier.verify_episode`, which picks the scorer by
task kind (single-turn `plan`/`page`/`index` tasks have their own checks).

What it deliberately does not do: print (progress goes to the `RecordProgress` the caller passes), or retry episodes
that ended in error (they are recorded with their error; delete the line to record them again).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import io
import json
import logging
import os
import pickle
import re
import shutil
import tarfile
import tempfile
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wikigym import __version__
from wikigym.errors import ConfigError, WikigymError, check_output_dir, make_output_dir
from wikigym.simulator.loop import AgentLoop, LoopConfig
from wikigym.simulator.policies import API_KINDS, POLICY_KINDS, make_policy
from wikigym.simulator.policies.common import CostMeter, RequestLimiter
from wikigym.simulator.prompts import PromptSet, load_prompts
from wikigym.simulator.sandbox import Sandbox, SandboxConfig
from wikigym.simulator.tasks import (
    DEFAULT_SAMPLING,
    TASK_KINDS,
    Task,
    build_continue,
    build_generate,
    build_index,
    build_page,
    build_plan,
    build_update,
    make_partial_wiki,
    missing_pages_of,
    pattern_plan,
    update_base_candidates,
    update_context,
)
from wikigym.tools.context import DEFAULT_PROFILE
from wikigym.trajectories.schema import Episode, PolicySpec, RepoRef, Step
from wikigym.trajectories.secrets import redact, redact_obj, register_secret
from wikigym.trajectories.store import TrajectoryWriter

log = logging.getLogger("wikigym.record")

TRAJECTORIES = "trajectories.jsonl"
RUN_FILE = "run.json"
# What the prompts call the repository and the wiki directory. SemanticWiki shows the user's -r argument and the
# absolute output path; wikigym shows stable names so that trajectories do not carry this machine's paths.
OUTPUT_DIR_DISPLAY = "./wiki"
# Settings that must not change between the runs that share one RUN_DIR.
_FIXED_KEYS = ("teacher", "model", "task", "mode", "profile", "prompts_from", "seed", "max_turns", "temperature",
               "max_tokens", "verification_passes")


class RecordConfig(BaseModel):
    """Everything `wikigym record` needs; the CLI flags map onto these fields one to one."""

    model_config = ConfigDict(extra="forbid")

    repos: list[str] = Field(default_factory=list, description="Repository paths or clone URLs.")
    repos_file: str | None = Field(None, description="File with one repository path or URL per line (# comments).")
    teacher: str = Field("scripted", description=f"Policy kind: {', '.join(POLICY_KINDS)}.")
    model: str | None = Field(None, description="Model name (anthropic, openai); default per policy.")
    task: str = Field("generate", description=f"Task kind: {', '.join(TASK_KINDS)}.")
    episodes: int = Field(1, ge=1, description="Episodes per repository.")
    out: str = Field(..., description="RUN_DIR: trajectories.jsonl, wikis/<episode>/, run.json.")
    concurrency: int = Field(1, ge=1, description="Episodes run at once (processes for scripted, tasks for APIs).")
    request_concurrency: int | None = Field(None, ge=1, description="Concurrent API requests (default: concurrency).")
    mode: str = Field("direct", description="Tool name set: direct or sdk.")
    profile: str = Field(DEFAULT_PROFILE, description="Tool profile: semanticwiki-1.2.1 or accurate.")
    seed: int = Field(0, description="Base seed; episode i uses seed + i.")
    max_turns: int = Field(200, ge=1, description="SemanticWiki's --max-turns.")
    verification_passes: int = Field(5, ge=0, description="Verification passes after the main loop (0 = none).")
    max_cost: float | None = Field(None, gt=0, description="Stop starting turns once the run has cost this many USD.")
    temperature: float | None = Field(None, description="Sampling temperature (default: SemanticWiki's per task).")
    no_temperature: bool = Field(False, description="Send no temperature (SemanticWiki's AnthropicProvider drops it).")
    max_tokens: int | None = Field(None, ge=1, description="Max output tokens per turn (default: per task).")
    top_p: float | None = Field(None, description="Nucleus sampling.")
    reasoning_effort: str | None = Field(None, description="Reasoning effort for endpoints that take one.")
    base_url: str | None = Field(None, description="API endpoint (openai: required; anthropic: optional).")
    model_path: str | None = Field(None, description="GGUF file for the llamacpp policy.")
    prompts_from: str | None = Field(None, description="SemanticWiki checkout to import prompts from.")
    base_commit: str | None = Field(None, description="update: the commit the base wiki was written at "
                                                      "(default: recent commits that touched source files).")
    base_wiki: str | None = Field(None, description="continue/update: the wiki directory to start from "
                                                    "(default: written by the scripted teacher).")
    cache_dir: str | None = Field(None, description="Where cloned repositories are cached.")
    cache_conversation: bool = Field(False, description="anthropic: also cache the conversation prefix.")
    price: tuple[float, float] | None = Field(None, description="USD per MTok (input, output) for an unlisted model.")
    now: str | None = Field(None, description="Freeze the frontmatter clock (ISO timestamp).")
    score: bool = Field(True, description="Score each episode with the verifier when it is installed.")

    @field_validator("task")
    @classmethod
    def _task(cls, v: str) -> str:
        if v not in TASK_KINDS:
            raise ValueError(f"unknown task {v!r}; use one of {', '.join(TASK_KINDS)}")
        return v

    @field_validator("teacher")
    @classmethod
    def _teacher(cls, v: str) -> str:
        if v not in POLICY_KINDS:
            raise ValueError(f"unknown teacher {v!r}; use one of {', '.join(POLICY_KINDS)}")
        return v

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in ("direct", "sdk"):
            raise ValueError(f"unknown mode {v!r}; use direct or sdk")
        return v

    # profile and now are checked here, with the other flags, rather than when the first episode builds its sandbox:
    # by then RUN_DIR exists, and a typo cost a traceback (--now) or a run directory holding the typo.
    @field_validator("profile")
    @classmethod
    def _profile(cls, v: str) -> str:
        from wikigym.tools.context import PROFILES

        if v not in PROFILES:
            raise ValueError(f"unknown tool profile {v!r}; use one of {', '.join(PROFILES)}")
        return v

    @field_validator("now")
    @classmethod
    def _now(cls, v: str | None) -> str | None:
        from wikigym.tools.context import parse_iso

        if v is not None:
            try:
                parse_iso(v)
            except ValueError:
                raise ValueError(f"{v!r} is not an ISO timestamp such as 2026-01-02T03:04:05.678Z") from None
        return v

    def sources(self) -> list[str]:
        """The repositories, from --repo and --repos-file, in order, without duplicates."""
        out = list(self.repos)
        if self.repos_file:
            p = Path(self.repos_file)
            if not p.is_file():
                raise ConfigError(f"--repos-file {p} does not exist or is not a file; pass a text file with one "
                                  f"repository path or URL per line")
            for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
                # A comment is a line starting with '#' or ' #...' after an entry; a '#' glued to a URL (a
                # fragment) stays part of it.
                line = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
                if line:
                    out.append(line)
        seen: list[str] = []
        for s in out:
            if s not in seen:
                seen.append(s)
        if not seen:
            raise ConfigError("no repository given; pass --repo PATH_OR_URL (repeatable) or --repos-file FILE")
        return seen


@dataclass
class EpisodeJob:
    """One planned episode (picklable: it travels to worker processes)."""

    episode_id: str
    source: str
    index: int
    seed: int
    snapshot: Any = None


@dataclass
class RecordSummary:
    """What a run did."""

    out: str
    planned: int = 0
    recorded: int = 0
    skipped: int = 0
    errors: int = 0
    not_started: int = 0
    interrupted: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    rewards: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def mean_reward(self) -> float | None:
        return sum(self.rewards) / len(self.rewards) if self.rewards else None

    @property
    def complete(self) -> bool:
        return self.recorded + self.skipped == self.planned

    def to_json(self) -> dict[str, Any]:
        return {"out": self.out, "planned": self.planned, "recorded": self.recorded, "skipped": self.skipped,
                "errors": self.errors, "not_started": self.not_started, "interrupted": self.interrupted,
                "tool_calls": self.tool_calls, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": round(self.cost_usd, 6), "mean_reward": self.mean_reward, "complete": self.complete,
                "duration_s": round(self.duration_s, 3), "warnings": self.warnings}


class RecordProgress(Protocol):
    """Where `record` reports progress (the CLI passes a rich progress bar; tests may pass None)."""

    def start(self, total: int, already_done: int) -> None: ...

    def step(self, step: Step) -> None: ...

    def episode_done(self, episode: Episode) -> None: ...

    def close(self) -> None: ...


# -- helpers ------------------------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    s = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.")
    return s or "repo"


def _open(source: str, commit: str | None = None, cache_dir: str | None = None) -> Any:
    try:
        from wikigym.repos import open_repo
    except ImportError:
        raise WikigymError("wikigym.repos.open_repo is not available in this install; reinstall wikigym") from None
    return open_repo(source, commit=commit, cache_dir=cache_dir)


def _strip_credentials(url: str | None) -> str | None:
    if not url:
        return url
    try:
        from wikigym.repos.clone import strip_credentials

        return strip_credentials(url)
    except ImportError:
        return redact(url)


def plan_jobs(cfg: RecordConfig, snapshots: list[Any]) -> list[EpisodeJob]:
    """Episode ids and seeds for every (repository, episode index); stable across runs of one config."""
    names = [_slug(str(getattr(s, "name", "") or Path(s.root).name)) for s in snapshots]
    jobs = []
    for ri, (source, snap, name) in enumerate(zip(cfg.sources(), snapshots, names)):
        if names.count(name) > 1:
            name = f"{name}-{hashlib.sha256(source.encode()).hexdigest()[:6]}"
        for i in range(cfg.episodes):
            jobs.append(EpisodeJob(episode_id=f"{name}-{cfg.task}-{i:03d}", source=source, index=i,
                                   seed=cfg.seed + i, snapshot=snap))
    return jobs


def policy_spec(cfg: RecordConfig) -> PolicySpec:
    """The PolicySpec of the run, with SemanticWiki's per-task sampling defaults filled in."""
    temperature, max_tokens = DEFAULT_SAMPLING[cfg.task]
    extra: dict[str, Any] = {}
    if cfg.cache_conversation:
        extra["cache_conversation"] = True
    if cfg.price:
        extra["price"] = list(cfg.price)
    return PolicySpec(kind=cfg.teacher, model=cfg.model,
                      temperature=None if cfg.no_temperature else (cfg.temperature if cfg.temperature is not None
                                                                   else temperature),
                      top_p=cfg.top_p, max_tokens=cfg.max_tokens or max_tokens, seed=cfg.seed,
                      reasoning_effort=cfg.reasoning_effort, extra=extra)


def _config_record(cfg: RecordConfig) -> dict[str, Any]:
    return redact_obj(cfg.model_dump(mode="json"))


def _score_hook(wiki_dir: Path, snapshot: Any, episode: Episode) -> dict[str, Any] | None:
    """Score a finished episode with `wikigym.verifier.verify_episode` (by task kind) when the verifier is installed,
    else None."""
    try:
        from wikigym.verifier import require_complete, verify_episode
    except ImportError:
        return None
    score = require_complete(verify_episode(episode, snapshot, wiki_dir=wiki_dir))
    return score.to_dict()


def _export_commit(snapshot: Any, commit: str, dest: Path) -> None:
    """Write the tree of `commit` into `dest` (read-only on the repository: `git archive`, no worktree)."""
    import git

    buf = io.BytesIO()
    git.Repo(snapshot.root).archive(buf, treeish=commit, format="tar")
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        tar.extractall(dest, filter="data")


def _scripted_wiki(snapshot: Any, cfg: RecordConfig, prompts: PromptSet, seed: int, workdir: Path) -> dict[str, str]:
    """A complete wiki written by the scripted teacher (the starting point of continue/update episodes)."""
    try:
        teacher = make_policy(PolicySpec(kind="scripted", seed=seed), snapshot=snapshot, seed=seed, mode=cfg.mode)
    except WikigymError:
        raise ConfigError(f"the {cfg.task} task needs a wiki to start from: pass --base-wiki DIR (the scripted "
                          f"teacher that would write one is not installed)") from None
    sandbox = Sandbox(snapshot, workdir, SandboxConfig(mode=cfg.mode, profile=cfg.profile, now=cfg.now))
    task = build_generate(prompts, cfg.mode, _repo_display(snapshot), OUTPUT_DIR_DISPLAY)
    AgentLoop(teacher, sandbox, prompts, LoopConfig(max_turns=cfg.max_turns)).run(task)
    return {p: t for p, t in sandbox.wiki_files().items() if p.endswith(".md")}


def _read_wiki_dir(path: str) -> dict[str, str]:
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"--base-wiki {root} is not a directory")
    out = {}
    for p in sorted(root.rglob("*.md")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        out[rel.as_posix()] = p.read_text(encoding="utf-8", errors="replace")
    if not out:
        raise ConfigError(f"--base-wiki {root} has no .md pages")
    return out


def _repo_display(snapshot: Any) -> str:
    url = _strip_credentials(getattr(snapshot, "url", None))
    return url or f"./{getattr(snapshot, 'name', '') or Path(snapshot.root).name}"


_PROMPTS: dict[str | None, PromptSet] = {}


def _prompts(cfg: RecordConfig) -> PromptSet:
    if cfg.prompts_from not in _PROMPTS:
        _PROMPTS[cfg.prompts_from] = load_prompts(cfg.prompts_from)
    return _PROMPTS[cfg.prompts_from]


def build_task(cfg: RecordConfig, job: EpisodeJob, sandbox: Sandbox, prompts: PromptSet) -> tuple[Task, Any]:
    """The episode's task; returns (task, snapshot the sandbox should read)."""
    snap = job.snapshot
    repo = _repo_display(snap)
    kind = cfg.task
    if kind == "generate":
        return build_generate(prompts, cfg.mode, repo, OUTPUT_DIR_DISPLAY), snap
    if kind == "continue":
        with tempfile.TemporaryDirectory(prefix="wikigym-base-") as tmp:
            full = _read_wiki_dir(cfg.base_wiki) if cfg.base_wiki else _scripted_wiki(snap, cfg, prompts, job.seed,
                                                                                      Path(tmp) / "wiki")
        partial = make_partial_wiki(full, job.seed)
        sandbox.seed_wiki(partial)
        missing = missing_pages_of(sandbox.broken_links())
        return build_continue(prompts, cfg.mode, repo, OUTPUT_DIR_DISPLAY, partial, missing), snap
    if kind == "update":
        head = getattr(snap, "commit", None)
        if not head:
            raise ConfigError(f"the update task needs a git repository; {job.source} has no commit")
        if cfg.base_commit:
            base = cfg.base_commit
        else:
            candidates = update_base_candidates(snap.root, head)
            if not candidates:
                raise ConfigError(f"the update task needs history: no earlier commit of {job.source} changes a source "
                                  f"file; pass --base-commit")
            base = candidates[job.index % len(candidates)]
        with tempfile.TemporaryDirectory(prefix="wikigym-base-") as tmp:
            if cfg.base_wiki:
                base_wiki = _read_wiki_dir(cfg.base_wiki)
            else:
                tree = Path(tmp) / "repo"
                _export_commit(snap, base, tree)
                base_snap = _open(str(tree))
                base_wiki = _scripted_wiki(base_snap, cfg, prompts, job.seed, Path(tmp) / "wiki")
        ctx = update_context(snap.root, base, head, base_wiki)
        return build_update(prompts, cfg.mode, repo, OUTPUT_DIR_DISPLAY, ctx, base, base_wiki), snap
    if kind == "plan":
        return build_plan(prompts, snap.root), snap
    pages = pattern_plan(snap.root)
    if kind == "page":
        return build_page(prompts, snap.root, pages[job.index % len(pages)], pages), snap
    return build_index(prompts, getattr(snap, "name", "") or Path(snap.root).name, pages), snap


# -- one episode --------------------------------------------------------------------------------------------------


@dataclass
class RunShared:
    """What the episodes of one run share inside one process."""

    cost_meter: CostMeter
    limiter: RequestLimiter
    stop: threading.Event
    on_step: Any = None
    api_key: str | None = None


def run_episode(cfg: RecordConfig, job: EpisodeJob, shared: RunShared | None = None) -> Episode:
    """Run one planned episode to its end and return its record (the caller writes it).

    A `WikigymError` (bad configuration) propagates; any other exception becomes an `error` episode.
    """
    shared = shared or RunShared(CostMeter(cfg.max_cost), RequestLimiter(cfg.request_concurrency or cfg.concurrency),
                                 threading.Event())
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    wiki_dir = Path(cfg.out) / "wikis" / job.episode_id
    if wiki_dir.exists():
        shutil.rmtree(wiki_dir)  # left by an interrupted run: start clean
    prompts = _prompts(cfg)
    spec = policy_spec(cfg)
    snap = job.snapshot
    sandbox = Sandbox(snap, wiki_dir, SandboxConfig(mode=cfg.mode, profile=cfg.profile, now=cfg.now))
    task, snap = build_task(cfg, job, sandbox, prompts)
    spec = spec.model_copy(update={"seed": job.seed})
    if cfg.temperature is None and not cfg.no_temperature:
        spec = spec.model_copy(update={"temperature": task.temperature})
    if cfg.max_tokens is None:
        spec = spec.model_copy(update={"max_tokens": task.max_tokens})
    policy = make_policy(spec, snapshot=snap, seed=job.seed, mode=cfg.mode, api_key=shared.api_key,
                         base_url=cfg.base_url, model_path=cfg.model_path, limiter=shared.limiter,
                         cost_meter=shared.cost_meter)

    def should_stop() -> str | None:
        if shared.stop.is_set():
            return "interrupted"
        if shared.cost_meter.exceeded():
            return "max_cost"
        return None

    loop = AgentLoop(policy, sandbox, prompts,
                     LoopConfig(max_turns=cfg.max_turns, verification_passes=cfg.verification_passes,
                                verify=cfg.verification_passes > 0, count_cached_input=cfg.cache_conversation),
                     on_step=shared.on_step, should_stop=should_stop)
    errors: list[str] = []
    try:
        result = loop.run(task)
    except WikigymError:
        raise
    except Exception as e:  # a bug in a tool or policy: keep the episode, say what broke
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        steps, stop_reason, usage = [], "error", None
        errors.append(f"episode failed: {tb}")
        log.error("episode %s failed: %s", job.episode_id, redact(tb))
    else:
        steps, stop_reason = result.steps, result.stop_reason
        errors.extend(result.errors)
        usage = result.usage
        if stop_reason == "error" and not steps:
            # The policy failed before its first turn (endpoint down, wrong --base-url, a model that cannot load).
            # Such an "episode" holds no data, writing it would make every resume skip it, and the next episodes
            # would fail the same way, each after minutes of retries. Stop the run with one line instead: what is
            # already recorded stays, and rerunning the same command records this episode.
            reason = redact(errors[0] if errors else "unknown error")
            raise WikigymError(f"episode {job.episode_id} failed before its first turn ({reason}); nothing was "
                               f"written for it: fix the cause and rerun the same command to resume")
    final_spec = getattr(policy, "spec", spec) or spec
    episode = Episode(
        wikigym_version=__version__, episode_id=job.episode_id,
        repo=RepoRef(url=_strip_credentials(getattr(snap, "url", None)), path=str(snap.root),
                     commit=getattr(snap, "commit", None), dirty=bool(getattr(snap, "dirty", False)),
                     name=str(getattr(snap, "name", "") or Path(snap.root).name)),
        task=task.spec, policy=final_spec, mode=cfg.mode, profile=cfg.profile, system_prompt=task.system,
        prompt_sha256=prompts.sha256, prompt_source=prompts.source,
        tools=[] if task.single_turn else sandbox.schemas(), steps=steps, stop_reason=stop_reason, errors=errors,
        started_at=started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), wiki=sandbox.wiki_files(),
        config={**_config_record(cfg), "episode_index": job.index, "episode_seed": job.seed, "source": job.source},
    )
    if usage is not None:
        episode.usage = usage
    if cfg.score and stop_reason != "interrupted":
        try:
            episode.score = _score_hook(wiki_dir, snap, episode)
        except WikigymError:
            raise
        except Exception as e:  # the verifier failing must not lose the episode
            episode.errors.append(f"verifier failed: {type(e).__name__}: {e}")
    episode.duration_s = round(time.perf_counter() - t0, 3)
    return episode


def _process_worker(cfg_json: str, job: EpisodeJob) -> str:
    """Process-pool entry: run one episode, return its JSON (or a `WikigymError` marker)."""
    cfg = RecordConfig.model_validate_json(cfg_json)
    if job.snapshot is None:
        job.snapshot = _open(job.source, cache_dir=cfg.cache_dir)
    try:
        # json.dumps escapes lone surrogates in tool outputs; pydantic's model_dump_json cannot encode them.
        return json.dumps(run_episode(cfg, job).model_dump(mode="json"))
    except WikigymError as e:
        return json.dumps({"__wikigym_error__": str(e)})


# -- the run ------------------------------------------------------------------------------------------------------


def _write_run_file(out: Path, data: dict[str, Any]) -> None:
    tmp = out / (RUN_FILE + ".tmp")
    tmp.write_text(json.dumps(redact_obj(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, out / RUN_FILE)


def _refuse_out_inside_repo(out: Path, snapshots: list[Any]) -> None:
    """Refuse a RUN_DIR inside a repository being recorded.

    The sandbox reads the repository as it is on disk, so episode 2 would see episode 1's wiki in `directory_tree`
    and `search_codebase` results (and could copy it), and every episode would see run.json and the trajectories:
    the recorded data would not be what SemanticWiki sees on that repository.
    """
    target = out.expanduser().resolve()
    for snap in snapshots:
        root = Path(snap.root).resolve()
        if target == root or root in target.parents:
            raise ConfigError(f"--out {out} is inside the repository {root} being recorded: later episodes would "
                              f"read earlier episodes' wikis and trajectories through the tools; pass an --out "
                              f"outside it")


def _check_run_file(out: Path, cfg: RecordConfig) -> None:
    """Refuse to resume a run whose recorded episodes were made with other fixed settings.

    Only a run that holds at least one episode is bound to its settings: a run that failed before recording
    anything (a typo in a flag, a missing model) must not lock RUN_DIR to the failed settings.
    """
    from wikigym.trajectories.store import count_records

    p = out / RUN_FILE
    if not p.is_file() or not count_records(out / TRAJECTORIES):
        return
    try:
        old = json.loads(p.read_text(encoding="utf-8")).get("config", {})
    except (json.JSONDecodeError, OSError):
        return
    new = _config_record(cfg)
    changed = [k for k in _FIXED_KEYS if k in old and old.get(k) != new.get(k)]
    if changed:
        k = changed[0]
        raise ConfigError(f"{out} was recorded with {k}={old.get(k)!r}, not {new.get(k)!r}; resume with the same "
                          f"settings or record into a new --out")


def record(cfg: RecordConfig, progress: RecordProgress | None = None, api_key: str | None = None) -> RecordSummary:
    """Record the episodes `cfg` plans into `cfg.out`, resuming a previous run there. See the module docstring.

    Args:
        cfg: the run's configuration.
        progress: progress sink (None: silent).
        api_key: an API key given explicitly (never stored; the policy falls back to its environment variable).

    Returns:
        A RecordSummary (also written to RUN_DIR/run.json).
    """
    t0 = time.perf_counter()
    register_secret(api_key)
    # --out is checked before the repositories are opened (a clone can take minutes) and created only after they
    # opened, so a refused run neither wastes that time nor leaves an empty RUN_DIR behind.
    out = check_output_dir(cfg.out, "--out")
    _check_run_file(out, cfg)
    prompts = _prompts(cfg)
    snapshots = [_open(s, cache_dir=cfg.cache_dir) for s in cfg.sources()]
    _refuse_out_inside_repo(out, snapshots)
    make_output_dir(out, "--out")
    jobs = plan_jobs(cfg, snapshots)
    summary = RecordSummary(out=str(out), planned=len(jobs))
    run_data: dict[str, Any] = {"schema": "wikigym.run/1", "wikigym_version": __version__,
                                "config": _config_record(cfg), "prompt_sha256": prompts.sha256,
                                "prompt_source": prompts.source, "started_at": _dt.datetime.now(
                                    _dt.timezone.utc).isoformat(), "complete": False}
    _write_run_file(out, run_data)
    with TrajectoryWriter(out / TRAJECTORIES) as writer:
        summary.warnings.extend(writer.warnings)
        pending = [j for j in jobs if j.episode_id not in writer.done_ids]
        summary.skipped = len(jobs) - len(pending)
        if progress is not None:
            progress.start(len(jobs), summary.skipped)
        shared = RunShared(CostMeter(cfg.max_cost), RequestLimiter(cfg.request_concurrency or cfg.concurrency),
                           threading.Event(), on_step=progress.step if progress is not None else None,
                           api_key=api_key)

        def accept(ep: Episode, steps_reported: bool) -> None:
            if ep.stop_reason == "interrupted":
                summary.interrupted += 1
                return
            writer.append(ep)
            summary.recorded += 1
            summary.errors += ep.stop_reason == "error"
            summary.tool_calls += sum(len(s.tool_calls) for s in ep.steps)
            summary.input_tokens += ep.usage.input_tokens + ep.usage.cache_read_tokens + ep.usage.cache_write_tokens
            summary.output_tokens += ep.usage.output_tokens
            summary.cost_usd += ep.usage.cost_usd
            if ep.score and isinstance(ep.score.get("reward"), (int, float)):
                summary.rewards.append(float(ep.score["reward"]))
            if progress is not None:
                if not steps_reported:
                    for s in ep.steps:
                        progress.step(s)
                progress.episode_done(ep)

        try:
            if cfg.concurrency > 1 and cfg.teacher in API_KINDS:
                summary.not_started += asyncio.run(_run_async(cfg, pending, shared, accept))
            elif cfg.concurrency > 1 and cfg.teacher == "scripted":
                _run_processes(cfg, pending, accept)
            else:  # one at a time (and local models, which would load once per process)
                for job in pending:
                    if shared.cost_meter.exceeded():
                        summary.not_started += 1
                        continue
                    accept(run_episode(cfg, job, shared), True)
        except KeyboardInterrupt:
            shared.stop.set()
            summary.interrupted = max(summary.interrupted, 1)
            raise
        finally:
            if progress is not None:
                progress.close()
            summary.duration_s = time.perf_counter() - t0
            run_data.update(summary=summary.to_json(), complete=summary.complete,
                            finished_at=_dt.datetime.now(_dt.timezone.utc).isoformat())
            _write_run_file(out, run_data)
    return summary


async def _run_async(cfg: RecordConfig, jobs: list[EpisodeJob], shared: RunShared, accept: Any) -> int:
    """API policies: `cfg.concurrency` episodes at once, each loop in a thread; returns episodes not started."""
    sem = asyncio.Semaphore(cfg.concurrency)
    not_started = 0

    async def one(job: EpisodeJob) -> None:
        nonlocal not_started
        async with sem:
            if shared.cost_meter.exceeded() or shared.stop.is_set():
                not_started += 1
                return
            ep = await asyncio.to_thread(run_episode, cfg, job, shared)
            accept(ep, True)

    tasks = [asyncio.create_task(one(j)) for j in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        shared.stop.set()
        for t in tasks:
            t.cancel()
        raise
    return not_started


def _picklable(obj: Any) -> bool:
    try:
        pickle.dumps(obj)
        return True
    except Exception:  # any pickling failure: reopen the repository in the worker instead
        return False


def _run_processes(cfg: RecordConfig, jobs: list[EpisodeJob], accept: Any) -> None:
    """The scripted teacher: `cfg.concurrency` worker processes; episodes are written here, in the parent."""
    import multiprocessing as mp

    cfg_json = cfg.model_dump_json()
    sendable = []
    for j in jobs:
        if not _picklable(j.snapshot):
            j = EpisodeJob(j.episode_id, str(j.snapshot.root), j.index, j.seed, None)
        sendable.append(j)
    ctx = mp.get_context("forkserver") if "forkserver" in mp.get_all_start_methods() else mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=cfg.concurrency, mp_context=ctx) as pool:
        futures = [pool.submit(_process_worker, cfg_json, j) for j in sendable]
        try:
            for fut in as_completed(futures):
                data = json.loads(fut.result())
                if "__wikigym_error__" in data:
                    for f in futures:
                        f.cancel()
                    raise WikigymError(data["__wikigym_error__"])
                accept(Episode.model_validate(data), False)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
