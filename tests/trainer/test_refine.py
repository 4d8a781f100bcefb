"""`wikigym refine` on the tiny gpt-oss and the bundled example repo: a round killed before DPO resumes."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("trl")

from wikigym.trainer.config import RefineConfig, load_config  # noqa: E402
from wikigym.trainer.refine import refine  # noqa: E402

ROOT = Path(__file__).parents[2]


class Killed(Exception):
    pass


@pytest.mark.slow
def test_refine_round_resumes_after_a_kill(tmp_path):
    from wikigym.simulator.record import RecordConfig, record

    record(RecordConfig(repos=[str(ROOT / "wikigym" / "example_repo")], out=str(tmp_path / "teacher")))
    cfg = load_config(RefineConfig, ROOT / "configs" / "refine-tiny.yaml", {
        "out": str(tmp_path / "refine"), "rollout.tasks": str(tmp_path / "teacher"), "rollout.k": 2,
        "rollout.max_turns": 1, "rollout.sampling.max_new_tokens": 8, "dpo.train.max_steps": 1})

    def kill_at_dpo(msg: str) -> None:
        if "DPO" in msg:
            raise Killed(msg)

    with pytest.raises(Killed):
        refine(cfg, 1, progress=kill_at_dpo)
    rdir = tmp_path / "refine" / "rounds" / "1"
    rollouts = (rdir / "rollouts" / "trajectories.jsonl").read_bytes()
    assert rollouts.count(b"\n") == 2 and (rdir / "pairs" / "manifest.json").is_file()
    assert not (rdir / "report.json").exists()

    said: list[str] = []
    (rep,) = refine(cfg, 1, progress=said.append)
    assert (rdir / "rollouts" / "trajectories.jsonl").read_bytes() == rollouts  # not sampled again
    assert any("DPO" in m for m in said) and not any("rollouts (" in m for m in said)
    assert rep["pairs"]["teacher_pairs"] == 1 and rep["train"]["steps"] == 1
    assert Path(rep["adapter"], "adapter_config.json").is_file()
    assert rep["rollouts"]["episodes"] == 2 and rep["rollouts"]["reward"]["mean"] is not None
    assert (rdir / "report.json").is_file()
    # A third call finds the round complete and does nothing.
    said.clear()
    refine(cfg, 1, progress=said.append)
    assert said == ["round 1: done earlier (reward mean %s)" % rep["rollouts"]["reward"]["mean"]]


@pytest.mark.parametrize("rounds", [0, -1])
def test_refine_refuses_zero_rounds_before_writing(tmp_path, rounds):
    """`refine --rounds 0` used to exit 0 after writing only refine_config.json; now one error, nothing written."""
    from wikigym.errors import ConfigError

    cfg = RefineConfig(out=tmp_path / "refine")
    with pytest.raises(ConfigError, match="at least 1 round"):
        refine(cfg, rounds)
    assert not (tmp_path / "refine").exists()
