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


@pytest.mark.slow
def test_refine_after_full_finetuning_sft_uses_its_model_reports_round_zero_and_resumes(tmp_path):
    """`sft.lora: null`: sft/model/ is the base of every later stage, round 1 starts without an adapter (DPO trains a
    fresh LoRA on it), the held-out reward of the SFT model comes first as round 0, and a kill resumes."""
    import json

    import yaml
    from typer.testing import CliRunner

    from wikigym.cli import app
    from wikigym.simulator.record import RecordConfig, record
    from wikigym.trajectories.dataset import ExportConfig, export_sft, read_run_episodes

    repo = ROOT / "wikigym" / "example_repo"
    record(RecordConfig(repos=[str(repo)], out=str(tmp_path / "teacher")))
    export_sft([tmp_path / "teacher"], tmp_path / "sft-data",
               ExportConfig(split="turn", max_tokens=2048, validation_fraction=0.0))
    sft = yaml.safe_load((ROOT / "configs" / "sft-tiny.yaml").read_text())
    sft.update(data=str(tmp_path / "sft-data"), lora=None)
    sft["train"].update(max_steps=2, save_steps=2, report_to=["none"])
    held_out = tmp_path / "held-out.jsonl"
    held_out.write_text(json.dumps({"repo": str(repo), "task": "generate"}) + "\n")
    cfg = load_config(RefineConfig, ROOT / "configs" / "refine-tiny.yaml", {
        "out": str(tmp_path / "refine"), "rollout.tasks": str(tmp_path / "teacher"), "rollout.k": 2,
        "rollout.max_turns": 1, "rollout.sampling.max_new_tokens": 8, "dpo.train.max_steps": 1, "sft": sft,
        "eval_tasks": str(held_out), "eval_k": 1})
    model_dir = tmp_path / "refine" / "sft" / "model"

    def kill_at_dpo(msg: str) -> None:
        if "DPO" in msg:
            raise Killed(msg)

    with pytest.raises(Killed):
        refine(cfg, 1, progress=kill_at_dpo)
    assert json.loads((tmp_path / "refine" / "sft" / "sft_result.json").read_text())["model"] == str(model_dir)
    zero = json.loads((tmp_path / "refine" / "rounds" / "0" / "report.json").read_text())
    assert zero["round"] == 0 and zero["adapter"] is None and zero["base_model"] == str(model_dir)
    assert zero["eval"]["episodes"] == 1 and zero["eval"]["reward"]["mean"] is not None
    (ep,) = read_run_episodes(tmp_path / "refine" / "rounds" / "0" / "eval")
    assert ep.policy.model == str(model_dir) and "adapter" not in ep.policy.extra
    rollouts = read_run_episodes(tmp_path / "refine" / "rounds" / "1" / "rollouts")
    assert len(rollouts) == 2 and {e.policy.model for e in rollouts} == {str(model_dir)}

    said: list[str] = []
    reps = refine(cfg, 1, progress=said.append)
    assert [r["round"] for r in reps] == [0, 1] and reps[0] == zero
    assert "sft: done earlier, reusing its model" in said and not any(m == "sft: training" for m in said)
    assert any(m.startswith("round 0: done earlier") for m in said) and not any("rollouts (" in m for m in said)
    rep = reps[1]
    assert rep["base_model"] == str(model_dir) and rep["start_adapter"] is None and rep["train"]["steps"] == 1
    adapter = Path(rep["adapter"])
    assert adapter == tmp_path / "refine" / "rounds" / "1" / "train" / "adapter"
    assert json.loads((adapter / "adapter_config.json").read_text())["base_model_name_or_path"] == str(model_dir)
    assert rep["eval"]["episodes"] == 1

    # The CLI prints round 0's held-out reward first (a rerun: every stage is done, nothing loads a model).
    conf = tmp_path / "refine.yaml"
    conf.write_text(yaml.safe_dump(json.loads(cfg.model_dump_json())))
    res = CliRunner().invoke(app, ["refine", "--config", str(conf), "--rounds", "1"])
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines() if line.startswith("round ")]
    assert lines[-2].startswith(f"round 0 held-out reward {zero['eval']['reward']['mean']} (before refinement")
    assert lines[-1].startswith("round 1: rollout reward mean")
    best = json.loads((tmp_path / "refine" / "best.json").read_text())
    assert best["held_out_by_round"] == {"0": zero["eval"]["reward"]["mean"], "1": rep["eval"]["reward"]["mean"]}
    assert f"best held-out round: {best['round']} (reward {best['held_out_reward']}); export it with: " \
           f"wikigym export gguf --model {model_dir}" in res.output

    # The saved full model is a model path like any other: `wikigym rollout --model DIR` samples from it.
    res = CliRunner().invoke(app, ["rollout", "--model", str(model_dir), "--tasks", str(held_out), "-k", "1",
                                   "--out", str(tmp_path / "ro"), "--json", "--set", "model.dtype=float32",
                                   "--set", "max_turns=1", "--set", "sampling.max_new_tokens=8",
                                   "--set", "sampling.batch_size=1"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output[res.output.index("{"):])["episodes"] == 1


@pytest.mark.parametrize("rounds", [0, -1])
def test_refine_refuses_zero_rounds_before_writing(tmp_path, rounds):
    """`refine --rounds 0` used to exit 0 after writing only refine_config.json; now one error, nothing written."""
    from wikigym.errors import ConfigError

    cfg = RefineConfig(out=tmp_path / "refine")
    with pytest.raises(ConfigError, match="at least 1 round"):
        refine(cfg, rounds)
    assert not (tmp_path / "refine").exists()


def test_best_round_is_the_highest_held_out_reward_earliest_on_a_tie():
    """A later round can score worse on unseen repositories; the best one (round 0 included) is named, with the
    export command of its policy; without held-out scores there is nothing to name."""
    from wikigym.trainer.refine import best_round

    def rep(n, mean, adapter):
        return {"round": n, "base_model": "runs/x/sft/model", "adapter": adapter,
                "eval": {"reward": {"mean": mean}}}

    reps = [rep(0, 0.50, None), rep(1, 0.55, "r/1/adapter"), rep(2, 0.46, "r/2/adapter"), rep(3, 0.55, "r/3/adapter")]
    best = best_round(reps)
    assert best["round"] == 1 and best["held_out_reward"] == 0.55 and best["adapter"] == "r/1/adapter"
    assert best["export"] == "wikigym export gguf --model runs/x/sft/model --adapter r/1/adapter --out model.gguf"
    assert best["held_out_by_round"] == {"0": 0.5, "1": 0.55, "2": 0.46, "3": 0.55}
    zero = best_round([rep(0, 0.6, None), rep(1, 0.4, "r/1/adapter")])
    assert zero["round"] == 0 and "--adapter" not in zero["export"]
    assert best_round([{"round": 1, "base_model": "m", "adapter": "a", "rollouts": {}}]) is None
