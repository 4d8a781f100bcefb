"""Every rollout of a task answers that task's exact prompt (pairs compare answers to one prompt)."""

from __future__ import annotations

import json
from pathlib import Path

from wikigym.simulator.policy import AssistantTurn
from wikigym.trainer.config import RolloutConfig
from wikigym.trainer.rollout import rollout
from wikigym.trajectories.dataset import read_run_episodes

EXAMPLE_REPO = Path(__file__).parents[2] / "wikigym" / "example_repo"


class _Writer:
    """A stand-in student: answers every single-turn prompt with a short fixed page."""

    def __init__(self, spec):
        self.spec = spec

    def act(self, messages, tools, system):
        return AssistantTurn(text="# Page\n\nA short page about the code, long enough to be kept as an answer. " * 4,
                             stop_reason="end_turn")


def _record(out: Path, task: str, episodes: int) -> None:
    from typer.testing import CliRunner

    from wikigym.cli import app

    res = CliRunner().invoke(app, ["record", "--repo", str(EXAMPLE_REPO), "--task", task, "--episodes",
                                   str(episodes), "--out", str(out), "--no-score"])
    assert res.exit_code == 0, res.output


def test_rollouts_of_a_recorded_page_task_share_its_prompt(tmp_path, monkeypatch):
    """Before, the page was picked by each rollout's seed: K rollouts of one task wrote K different pages."""
    import wikigym.simulator.policies as policies

    monkeypatch.setattr(policies, "make_policy", lambda spec, **kw: _Writer(spec))
    _record(tmp_path / "teacher", "page", 2)
    teacher = read_run_episodes(tmp_path / "teacher")
    assert len({e.task.prompt for e in teacher}) == 2  # two different pages
    cfg = RolloutConfig(tasks=tmp_path / "teacher", k=3, policy="openai", base_url="http://127.0.0.1:9/v1")
    rollout(cfg, tmp_path / "out")
    eps = read_run_episodes(tmp_path / "out")
    assert len(eps) == 6
    by_prompt = {e.task.prompt: e.task.page["filename"] for e in teacher}
    for ep in eps:
        assert ep.task.prompt in by_prompt
        assert ep.task.page["filename"] == by_prompt[ep.task.prompt]
        assert ep.wiki and by_prompt[ep.task.prompt] in ep.wiki  # written where that task's page goes
    groups: dict[str, set[str]] = {}
    for ep in eps:
        groups.setdefault(ep.config["task_id"], set()).add(ep.task.prompt)
    assert len(groups) == 2 and all(len(p) == 1 for p in groups.values())


def test_rollouts_of_a_tasks_file_page_share_one_page(tmp_path, monkeypatch):
    import wikigym.simulator.policies as policies

    monkeypatch.setattr(policies, "make_policy", lambda spec, **kw: _Writer(spec))
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"repo": str(EXAMPLE_REPO), "task": "page", "index": 1}) + "\n")
    cfg = RolloutConfig(tasks=tasks, k=3, policy="openai", base_url="http://127.0.0.1:9/v1")
    rollout(cfg, tmp_path / "out")
    eps = read_run_episodes(tmp_path / "out")
    assert len(eps) == 3 and len({e.task.prompt for e in eps}) == 1
