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
