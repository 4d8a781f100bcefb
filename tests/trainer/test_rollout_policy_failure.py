"""A rollout whose policy raises (model server down) keeps the episode but does not score it."""

from __future__ import annotations

import json
from pathlib import Path

from wikigym.trainer.config import RolloutConfig
from wikigym.trainer.rollout import policy_failed, rollout
from wikigym.trajectories.dataset import read_run_episodes

EXAMPLE_REPO = Path(__file__).parents[2] / "wikigym" / "example_repo"


class _DeadServer:
    def __init__(self, spec):
        self.spec = spec

    def act(self, messages, tools, system):
        raise ConnectionError("Connection refused")


def test_policy_failure_is_kept_unscored_and_counted(tmp_path, monkeypatch):
    """It used to be scored (reward 0.0, exit 0): an outage then read as a bad student in pairs and round reports."""
    import wikigym.simulator.policies as policies

    monkeypatch.setattr(policies, "make_policy", lambda spec, **kw: _DeadServer(spec))
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"repo": str(EXAMPLE_REPO), "task": "generate"}) + "\n")
    cfg = RolloutConfig(tasks=tasks, k=1, policy="openai", base_url="http://127.0.0.1:9/v1")
    summary = rollout(cfg, tmp_path / "out")
    (ep,) = read_run_episodes(tmp_path / "out")
    assert policy_failed(ep) and ep.score is None
    assert summary["policy_failed"] == 1 and summary["scored"] == 0
    assert "Connection refused" in summary["first_policy_error"]


class _BrokenRuntime:
    """The harmony policy behind its TurnBatcher when the model's generate raises (the real batcher)."""

    def __init__(self, spec):
        from wikigym.simulator.policies.harmony import TurnBatcher

        class _Lead:
            def act_batch(self, requests):
                raise RuntimeError("The size of tensor a (6) must match the size of tensor b (3288)")

        self.spec = spec
        self.batcher = TurnBatcher(_Lead(), batch_size=2)

    def act(self, messages, tools, system):
        return self.batcher.submit((messages, tools, system))


def test_generation_failure_turns_are_policy_failures_not_a_zero_reward(tmp_path, monkeypatch):
    """A learning run on an H100 scored 360 such episodes 0.0 and reported a student that 'writes nothing'."""
    import pytest

    import wikigym.simulator.policies as policies
    from wikigym.errors import ConfigError
    from wikigym.trainer.refine import _require_scored

    monkeypatch.setattr(policies, "make_policy", lambda spec, **kw: _BrokenRuntime(spec))
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"repo": str(EXAMPLE_REPO), "task": "plan"}) + "\n")
    cfg = RolloutConfig(tasks=tasks, k=2, policy="openai", base_url="http://127.0.0.1:9/v1", max_turns=2)
    summary = rollout(cfg, tmp_path / "out")
    eps = read_run_episodes(tmp_path / "out")
    assert all(policy_failed(e) and e.score is None for e in eps)
    assert summary["policy_failed"] == 2 and summary["scored"] == 0
    with pytest.raises(ConfigError, match="none was scored"):
        _require_scored(summary, "round 1 rollouts", tmp_path / "out")


def test_a_rerun_retries_the_episodes_whose_policy_failed(tmp_path, monkeypatch):
    """Before, a rerun skipped them as finished: an outage could only be repaired by starting a new run."""
    import wikigym.simulator.policies as policies
    from wikigym.simulator.policy import AssistantTurn

    class _Writer:
        def __init__(self, spec):
            self.spec = spec

        def act(self, messages, tools, system):
            return AssistantTurn(text='{"pages": []}', stop_reason="end_turn")

    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"repo": str(EXAMPLE_REPO), "task": "plan"}) + "\n")
    cfg = RolloutConfig(tasks=tasks, k=2, policy="openai", base_url="http://127.0.0.1:9/v1", max_turns=2)
    monkeypatch.setattr(policies, "make_policy", lambda spec, **kw: _DeadServer(spec))
    assert rollout(cfg, tmp_path / "out")["policy_failed"] == 2
    monkeypatch.setattr(policies, "make_policy", lambda spec, **kw: _Writer(spec))
    summary = rollout(cfg, tmp_path / "out")
    assert summary["policy_failed"] == 0 and summary["scored"] == 2
    eps = read_run_episodes(tmp_path / "out")
    assert len(eps) == 2 and all(e.score is not None for e in eps)
    lines = (tmp_path / "out" / "trajectories.jsonl").read_text().splitlines()
    assert len(lines) == 4  # append-only: the failed records are still there, superseded
    assert rollout(cfg, tmp_path / "out")["scored"] == 2  # nothing left to retry
    assert len((tmp_path / "out" / "trajectories.jsonl").read_text().splitlines()) == 4
