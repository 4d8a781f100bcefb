"""Replay a recorded episode against its repository, and fork it with another policy.

`replay_episode` re-creates the sandbox (the repo at the recorded commit, a fresh wiki directory, the recorded name
set, profile and clock), re-executes every recorded tool call in order and compares each output with the recording.
A difference is a *drift*: it comes with a unified diff and, where it can be told, its cause (the repo's commit, a
dirty working tree, the tool profile, the wikigym version, or the file whose content changed).

`ReplayPolicy` returns recorded turns through the real `AgentLoop`, so a fork is "replay K steps, then switch policy":
`fork_episode` runs the loop with a `ReplayPolicy` whose continuation is any other policy.

What it deliberately does not do: compare timings or token counts (they are not deterministic), or replay the
teacher's reasoning (a policy's text is data, not something a tool produces).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wikigym import __version__
from wikigym.errors import RepoNotFound, WikigymError
from wikigym.simulator.policy import AssistantTurn, Policy
from wikigym.simulator.sandbox import Sandbox, SandboxConfig
from wikigym.trajectories.schema import Episode, PolicySpec, Step

# A frontmatter clock line differs between a recording and its replay unless the clock was frozen.
_GENERATED = re.compile(r"^generated: .*$", re.M)


@dataclass
class CallCheck:
    """One re-executed tool call and how it compares with the recording."""

    step: int
    call_index: int
    name: str
    arguments: Any
    recorded: str
    replayed: str
    identical: bool
    diff: str = ""
    cause: str = ""


@dataclass
class ReplayReport:
    episode_id: str
    calls: list[CallCheck] = field(default_factory=list)
    wiki_drift: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def identical(self) -> bool:
        return all(c.identical for c in self.calls) and not self.wiki_drift

    @property
    def drifted(self) -> list[CallCheck]:
        return [c for c in self.calls if not c.identical]

    def to_json(self) -> dict[str, Any]:
        return {
            "episode_id": self.episode_id, "identical": self.identical, "calls": len(self.calls),
            "drifted_calls": [{"step": c.step, "call": c.call_index, "name": c.name, "cause": c.cause, "diff": c.diff}
                              for c in self.drifted],
            "wiki_drift": self.wiki_drift, "notes": self.notes, "duration_s": self.duration_s,
        }


def unified(recorded: str, replayed: str, label: str) -> str:
    """A unified diff of two tool outputs, recorded first."""
    return "".join(difflib.unified_diff(recorded.splitlines(True), replayed.splitlines(True),
                                        f"recorded/{label}", f"replayed/{label}", n=2))


def open_episode_repo(ep: Episode, repo: str | Path | None = None, cache_dir: str | Path | None = None) -> Any:
    """The episode's repository: `repo` as it is on disk if given, else the recorded path (or URL) pinned to the
    recorded commit (cloned into the cache when the checkout has moved on)."""
    from wikigym.repos import open_repo

    if repo:
        # An explicit checkout is read as it is (uncommitted edits included): that is how a user sees what changed.
        return open_repo(str(repo), cache_dir=Path(cache_dir) if cache_dir else None)
    commit = ep.repo.commit
    candidates: list[str] = []
    if ep.repo.path and Path(ep.repo.path).exists():
        candidates.append(ep.repo.path)
    if ep.repo.url:
        candidates.append(ep.repo.url)
    if not candidates:
        raise RepoNotFound(f"episode {ep.episode_id}: its repository {ep.repo.path} no longer exists and no URL was "
                           f"recorded; pass the checkout with --repo")
    last: Exception | None = None
    for source in candidates:
        try:
            return open_repo(source, commit=commit, cache_dir=Path(cache_dir) if cache_dir else None)
        except WikigymError as e:
            last = e
    assert last is not None
    raise last


def _drift_causes(ep: Episode, snap: Any) -> list[str]:
    causes = []
    if ep.repo.commit and getattr(snap, "commit", None) and snap.commit != ep.repo.commit:
        causes.append(f"repo commit {snap.commit[:12]} differs from the recorded {ep.repo.commit[:12]}")
    if getattr(snap, "dirty", False) and not ep.repo.dirty:
        causes.append("the repo's working tree has uncommitted changes that the recording did not have")
    if ep.wikigym_version != __version__:
        causes.append(f"recorded with wikigym {ep.wikigym_version}, replayed with {__version__}")
    return causes


def _changed_file(snap: Any, name: str, args: Any) -> str:
    """For file-reading tools, name the file whose content no longer matches."""
    if not isinstance(args, dict):
        return ""
    path = args.get("path") or args.get("filePath")
    if isinstance(path, str) and name.split("__")[-1] in ("read_file", "read_text_file", "analyze_code_structure"):
        return f"the content of {path} changed since the recording"
    if name.split("__")[-1] == "search_codebase":
        return "the indexed files changed since the recording (search results differ)"
    return ""


def sandbox_for(ep: Episode, snap: Any, wiki_dir: Path) -> Sandbox:
    """A sandbox configured as the episode's was (name set, profile, frozen clock), seeded with its starting wiki."""
    now = ep.config.get("now") or None
    sb = Sandbox(snap, wiki_dir, SandboxConfig(mode=ep.mode, profile=ep.profile, now=now,
                                               max_results=int(ep.config.get("max_results", 10) or 10)))
    if ep.task.seed_wiki:
        sb.seed_wiki(ep.task.seed_wiki)
    return sb


def replay_episode(ep: Episode, repo: str | Path | None = None, workdir: str | Path | None = None,
                   cache_dir: str | Path | None = None) -> ReplayReport:
    """Re-execute every recorded tool call of `ep` in order and compare outputs.

    Args:
        ep: the recorded episode.
        repo: a checkout to use instead of the recorded path/URL (it is pinned to the recorded commit when it is a
            git repository).
        workdir: where the fresh wiki directory goes (a temporary directory by default).

    Returns:
        A `ReplayReport`; `.identical` is True when every output and the final wiki match the recording.
    """
    t0 = time.perf_counter()
    snap = open_episode_repo(ep, repo, cache_dir)
    report = ReplayReport(ep.episode_id)
    causes = _drift_causes(ep, snap)
    with tempfile.TemporaryDirectory(prefix="wikigym-replay-") as tmp:
        wiki_dir = Path(workdir or tmp) / f"replay-{ep.episode_id}"
        sb = sandbox_for(ep, snap, wiki_dir)
        old_roots = [(str(Path(ep.repo.path)), str(Path(snap.root).absolute()))]
        for step in ep.steps:
            results = {r.tool_use_id: r for r in step.tool_results}
            for i, call in enumerate(step.tool_calls):
                rec = results.get(call.id)
                if rec is None:
                    report.notes.append(f"step {step.index}: call {call.id} has no recorded result (truncated?)")
                    continue
                if call.arguments is None:
                    # Never executed: the loop answered the unparseable call itself.
                    report.calls.append(CallCheck(step.index, i, call.name, call.raw_arguments, rec.output,
                                                  rec.output, True))
                    continue
                got = sb.call(call.name, call.arguments).text
                expected = rec.output
                for old, new in old_roots:
                    if old != new:
                        expected = expected.replace(old, new)
                ok = got == expected
                check = CallCheck(step.index, i, call.name, call.arguments, expected, got, ok)
                if not ok:
                    check.diff = unified(expected, got, call.name)
                    check.cause = "; ".join(causes + [c for c in [_changed_file(snap, call.name, call.arguments)]
                                                      if c]) or "unknown (tool behaviour changed?)"
                report.calls.append(check)
        got_wiki = sb.wiki_files()
    want = {k: _GENERATED.sub("generated: <clock>", v) for k, v in ep.wiki.items()}
    have = {k: _GENERATED.sub("generated: <clock>", v) for k, v in got_wiki.items()}
    for rel in sorted(set(want) | set(have)):
        if want.get(rel) != have.get(rel):
            report.wiki_drift[rel] = unified(want.get(rel, ""), have.get(rel, ""), rel)
    report.duration_s = round(time.perf_counter() - t0, 3)
    return report


class ReplayPolicy:
    """Returns the recorded assistant turns in order; after `upto` turns hands over to `then` (if any).

    This is how a fork works: the loop, the sandbox and the tools are the real ones; only the policy differs.
    """

    def __init__(self, steps: list[Step], upto: int | None = None, then: Policy | None = None,
                 spec: PolicySpec | None = None):
        self.steps = steps
        self.upto = len(steps) if upto is None else max(0, min(upto, len(steps)))
        self.then = then
        self.spec = spec or PolicySpec(kind="replay")
        self.turn = 0

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        i = self.turn
        self.turn += 1
        if i < self.upto:
            s = self.steps[i]
            return AssistantTurn(text=s.text, reasoning=s.reasoning, tool_calls=list(s.tool_calls),
                                 stop_reason=s.stop_reason, usage=s.usage, raw_completion=s.raw_completion)
        if self.then is not None:
            return self.then.act(messages, tools, system)
        return AssistantTurn(text="", stop_reason="end_turn")


def fork_episode(ep: Episode, at_step: int, policy_spec: PolicySpec, episode_id: str, repo: str | Path | None = None,
                 wiki_dir: str | Path | None = None, policy_kwargs: dict[str, Any] | None = None,
                 max_turns: int | None = None) -> Episode:
    """Replay `ep` up to step `at_step` (exclusive), then continue with the policy `policy_spec` describes.

    The branch is a new episode whose `parent` is `{episode_id, step}`; its steps include the replayed prefix so it
    can be trained on and replayed like any other episode.
    """
    from wikigym.simulator.loop import AgentLoop, LoopConfig
    from wikigym.simulator.policies import make_policy
    from wikigym.simulator.prompts import load_prompts
    from wikigym.simulator.tasks import Task

    if at_step < 0 or at_step > len(ep.steps):
        raise WikigymError(f"--fork-at {at_step} is outside episode {ep.episode_id} (it has {len(ep.steps)} steps); "
                           f"pass 0..{len(ep.steps)}")
    snap = open_episode_repo(ep, repo)
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wikigym-fork-") as tmp:
        wdir = Path(wiki_dir) if wiki_dir else Path(tmp) / episode_id
        if wdir.exists():
            shutil.rmtree(wdir)  # left by an interrupted fork: start clean, as `record` does
        sb = sandbox_for(ep, snap, wdir)
        kw = dict(policy_kwargs or {})
        kw.setdefault("snapshot", snap)
        kw.setdefault("mode", ep.mode)
        kw.setdefault("seed", policy_spec.seed if policy_spec.seed is not None else 0)
        cont = make_policy(policy_spec, **kw)
        if hasattr(cont, "fast_forward"):
            # Stateful teachers (the scripted one) learn what was already done from the replayed prefix.
            cont.fast_forward(ep.steps[:at_step])
        policy = ReplayPolicy(ep.steps, upto=at_step, then=cont)
        task = Task(spec=ep.task, system=ep.system_prompt, seed_wiki={})
        prompts = load_prompts(None if ep.prompt_source == "wikigym" else ep.prompt_source)
        cfg = LoopConfig(max_turns=max_turns or int(ep.config.get("max_turns", 200) or 200),
                         verification_passes=int(ep.config.get("verification_passes", 5) or 0))
        cfg = cfg.model_copy(update={"verify": cfg.verification_passes > 0})
        result = AgentLoop(policy, sb, prompts, cfg).run(task)
        branch = ep.model_copy(deep=True, update={
            "episode_id": episode_id, "parent": {"episode_id": ep.episode_id, "step": at_step},
            "policy": getattr(cont, "spec", policy_spec) or policy_spec, "steps": result.steps,
            "stop_reason": result.stop_reason, "errors": result.errors, "usage": result.usage,
            "wiki": sb.wiki_files(), "score": None, "started_at": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "wikigym_version": __version__,
        })
        try:
            from wikigym.verifier import verify_episode

            # Scored with its own trajectory, as `record` scores the parent: without it tool_use would be left out
            # and the branch's reward would not be comparable with the parent's printed beside it.
            branch.score = verify_episode(branch, snap, wiki_dir=sb.wiki_dir).to_dict()
        except ImportError:
            pass
    branch.duration_s = round(time.perf_counter() - t0, 3)
    return branch
