"""Each trainer verb answers --help, and bad input is one line with exit status 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from wikigym.cli import app

runner = CliRunner()


@pytest.mark.parametrize("verb", [["sft"], ["dpo"], ["rollout"], ["pairs"], ["refine"], ["export", "sft"],
                                  ["export", "gguf"]])
def test_help(verb):
    res = runner.invoke(app, verb + ["--help"])
    assert res.exit_code == 0 and "Usage" in res.output


def test_bad_config_is_one_line(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("nope: 1\n")
    res = runner.invoke(app, ["sft", "--config", str(bad)])
    assert res.exit_code == 2 and "nope" in res.output


def test_export_sft_cli_prints_token_table(tmp_path, teacher_run):
    res = runner.invoke(app, ["export", "sft", str(teacher_run), "--out", str(tmp_path / "d"), "--min-reward", "0.2"])
    assert res.exit_code == 0, res.output
    assert "kept 9" in res.output and "train" in res.output and "p90" in res.output


@pytest.mark.parametrize("argv", [
    ["export", "sft", "RUN", "--out", "BLOCKED/sft"],
    ["pairs", "RUN", "--out", "BLOCKED/pairs"],
    ["sft", "--config", "configs/sft-tiny.yaml", "--data", "RUN", "--output-dir", "BLOCKED/sft"],
    ["dpo", "--config", "configs/dpo-tiny.yaml", "--pairs", "RUN", "--output-dir", "BLOCKED/dpo"],
    ["rollout", "--model", "tiny", "--tasks", "RUN", "--out", "BLOCKED/rollouts"],
    ["refine", "--config", "configs/refine-tiny.yaml", "--set", "rollout.tasks=RUN", "--out", "BLOCKED/refine"],
    ["export", "gguf", "--model", "tiny", "--out", "BLOCKED/model.gguf", "--converter", "RUN"],
])
def test_unwritable_out_is_one_line_before_any_work(tmp_path, teacher_run, argv):
    """An --out under a regular file used to die with a NotADirectoryError traceback from mkdir/save_to_disk (after
    rendering, or after loading the model); now each verb refuses it first, in one line naming the path."""
    from pathlib import Path

    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    root = Path(__file__).parents[2]
    argv = [a.replace("RUN", str(teacher_run)).replace("BLOCKED", str(blocked))
            .replace("configs/", str(root / "configs") + "/") for a in argv]
    res = runner.invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and str(blocked) in res.output and "Traceback" not in res.output


def test_export_sft_of_an_empty_run_says_it_is_empty(tmp_path):
    """An empty RUN_DIR used to be reported as 'no episode of 0 passed the filters ...; lower --min-reward'."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "trajectories.jsonl").write_text("")
    res = runner.invoke(app, ["export", "sft", str(run), "--out", str(tmp_path / "d")])
    assert res.exit_code == 2 and "no episodes in" in res.output and "wikigym record" in res.output


@pytest.mark.parametrize("flag,value", [("--validation", "1.0"), ("--test", "-0.5")])
def test_export_sft_bad_fraction_is_one_line(tmp_path, teacher_run, flag, value):
    """`export sft --validation 1.0` used to end in a pydantic ValidationError traceback."""
    res = runner.invoke(app, ["export", "sft", str(teacher_run), "--out", str(tmp_path / "d"), flag, value])
    assert res.exit_code == 2, res.output
    assert f"error: {flag} {value}" in res.output and "[0, 1)" in res.output
    assert not (tmp_path / "d").exists()
