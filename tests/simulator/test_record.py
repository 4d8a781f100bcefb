"""record / `wikigym record`: the README's main job, resume after a kill, 20 repositories, API teachers, max-cost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.simulator.policies.servers import ScriptedServer, anthropic_message, chat_completion
from wikigym.cli import app
from wikigym.errors import ConfigError
from wikigym.repos import example_repo_path
from wikigym.simulator.prompts import builtin_prompts
from wikigym.simulator.record import RecordConfig, record
from wikigym.trajectories.store import read_episodes

runner = CliRunner()


def test_main_job_scripted_on_example_repo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "scripted",
                              "--episodes", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    eps = read_episodes(out / "trajectories.jsonl")
    assert [e.episode_id for e in eps] == [f"example_repo-generate-{i:03d}" for i in range(3)]
    for e in eps:
        assert e.stop_reason == "end_turn" and e.steps and e.wiki
        assert e.prompt_sha256 == builtin_prompts().sha256 and e.prompt_source == "wikigym"
        assert e.policy.kind == "scripted" and e.mode == "direct"
        assert e.repo.name == "example_repo" and e.repo.url is None
        assert sorted(e.wiki) == sorted(p.relative_to(out / "wikis" / e.episode_id).as_posix()
                                        for p in (out / "wikis" / e.episode_id).rglob("*") if p.is_file())
        assert all(s.duration_s >= s.policy_duration_s >= 0 for s in e.steps)
        if e.score is not None:
            assert 0.0 <= e.score["reward"] <= 1.0
    run = json.loads((out / "run.json").read_text())
    assert run["complete"] is True and run["summary"]["recorded"] == 3
    assert "recorded 3 episodes" in res.output
    # Running it again records nothing new.
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--episodes", "3", "--out", str(out),
                              "--quiet"])
    assert res.exit_code == 0 and "recorded 0 episodes (3 already there" in res.output
    assert len(read_episodes(out / "trajectories.jsonl")) == 3


def test_resume_after_kill(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "wikigym.cli", "record", "--repo", str(example_repo_path()), "--episodes", "4",
           "--out", str(out), "--quiet", "--no-score"]
    traj = out / "trajectories.jsonl"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if traj.exists() and traj.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = [e.episode_id for e in read_episodes(traj)]
    assert 1 <= len(done_before) < 4
    with open(traj, "ab") as fh:  # a write cut by the kill
        fh.write(b'{"schema_version": "wikigym.trajectory/1", "episode_id": "example_repo-gen')
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "truncated" in res.stderr
    ids = [e.episode_id for e in read_episodes(traj)]
    assert ids[:len(done_before)] == done_before
    assert sorted(ids) == [f"example_repo-generate-{i:03d}" for i in range(4)]
    assert json.loads((out / "run.json").read_text())["complete"] is True


def _tiny_repo(root: Path, i: int) -> None:
    pkg = root / f"pkg{i}"
    pkg.mkdir(parents=True)
    (root / "README.md").write_text(f"# Project {i}\n\nDoes thing number {i}.\n")
    (pkg / "__init__.py").write_text(f'"""Package {i}."""\n\nfrom .core import run{i}\n')
    (pkg / "core.py").write_text(
        f'"""Core of project {i}."""\n\nfrom .util import double\n\n\n'
        f'class Runner{i}:\n    """Runs step {i}."""\n\n    def go(self, x):\n        return double(x) + {i}\n\n\n'
        f'def run{i}(x):\n    """Run the project."""\n    return Runner{i}().go(x)\n')
    (pkg / "util.py").write_text('"""Helpers."""\n\n\ndef double(x):\n    """Twice x."""\n    return 2 * x\n')


def test_twenty_repositories_with_the_scripted_teacher(tmp_path: Path) -> None:
    repos = []
    for i in range(20):
        root = tmp_path / "repos" / f"proj{i:02d}"
        _tiny_repo(root, i)
        repos.append(str(root))
    listing = tmp_path / "repos.txt"
    listing.write_text("# twenty small projects\n" + "\n".join(repos[5:]) + "\n")
    cfg = RecordConfig(repos=repos[:5], repos_file=str(listing), out=str(tmp_path / "run"), concurrency=2,
                       score=False)
    summary = record(cfg)
    assert summary.recorded == 20 and summary.errors == 0 and summary.complete
    eps = read_episodes(tmp_path / "run" / "trajectories.jsonl")
    assert sorted(e.repo.name for e in eps) == [f"proj{i:02d}" for i in range(20)]
    assert all(e.stop_reason == "end_turn" and e.wiki for e in eps)
    assert summary.tool_calls == sum(len(s.tool_calls) for e in eps for s in e.steps)


def _tool_then_done(body: dict) -> tuple[int, dict, dict]:
    """Messages API default reply: a list_directory call until the conversation has 5 messages, then done."""
    if len(body["messages"]) >= 5:
        return 200, anthropic_message([{"type": "text", "text": "Done."}], input_tokens=2000, output_tokens=10), {}
    n = len(body["messages"])
    return 200, anthropic_message([{"type": "tool_use", "id": f"toolu_{n}", "name": "list_directory",
                                    "input": {"path": ""}}], "tool_use", input_tokens=2000, output_tokens=50), {}


def test_anthropic_teacher_concurrent_with_max_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-value-123456")
    out = tmp_path / "api"
    with ScriptedServer("/v1/messages", default=_tool_then_done) as server:
        # one turn costs 2000*3 + 50*15 = 6750 micro-dollars; stop after about 4 turns
        cfg = RecordConfig(repos=[str(example_repo_path())], teacher="anthropic", episodes=4, concurrency=2,
                           out=str(out), base_url=server.url, max_cost=0.025, verification_passes=0, score=False)
        summary = record(cfg)
    eps = read_episodes(out / "trajectories.jsonl")
    assert summary.cost_usd >= 0.025
    assert any(e.stop_reason == "max_cost" for e in eps)
    assert summary.recorded + summary.not_started == 4 and summary.not_started >= 1
    assert all(e.policy.model == "claude-sonnet-4-20250514" and e.policy.temperature == 0.7 for e in eps)
    text = (out / "trajectories.jsonl").read_text() + (out / "run.json").read_text()
    assert "sk-ant-secret-value-123456" not in text
    assert len(server.requests) == sum(len(e.steps) for e in eps)


def test_anthropic_teacher_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "anthropic",
                              "--out", str(tmp_path / "x"), "--quiet"])
    assert res.exit_code == 2 and "ANTHROPIC_API_KEY is not set" in res.output
    with ScriptedServer("/v1/messages", default=_tool_then_done) as server:
        res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "anthropic",
                                  "--api-key", "sk-ant-flag-key-987654321", "--base-url", server.url,
                                  "--out", str(tmp_path / "y"), "--verification-passes", "0", "--no-score", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["recorded"] == 1
    assert "sk-ant-flag-key-987654321" not in (tmp_path / "y" / "trajectories.jsonl").read_text()


def test_openai_teacher_from_the_cli(tmp_path: Path) -> None:
    def reply(body: dict) -> tuple[int, dict, dict]:
        if any(m["role"] == "tool" for m in body["messages"]):
            return 200, chat_completion({"content": "Done."}), {}
        return 200, chat_completion({"content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "README.md"}'}}]},
            "tool_calls"), {}

    with ScriptedServer("/v1/chat/completions", default=reply) as server:
        res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "openai", "--model",
                                  "student", "--base-url", server.url + "/v1", "--out", str(tmp_path / "o"),
                                  "--verification-passes", "0", "--no-score", "--quiet"])
    assert res.exit_code == 0, res.output
    (ep,) = read_episodes(tmp_path / "o" / "trajectories.jsonl")
    assert ep.policy.kind == "openai" and ep.steps[0].tool_calls[0].name == "read_file"


def test_llamacpp_teacher_from_the_cli_needs_a_model(tmp_path: Path) -> None:
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "llamacpp",
                              "--out", str(tmp_path / "l"), "--quiet"])
    assert res.exit_code == 2 and "--model-path" in res.output


def test_changed_settings_are_refused_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "r"
    record(RecordConfig(repos=[str(example_repo_path())], out=str(out), task="plan", score=False))
    with pytest.raises(ConfigError, match="task='plan'"):
        record(RecordConfig(repos=[str(example_repo_path())], out=str(out), task="generate", score=False))


def test_bad_flags_are_one_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--task", "rewrite",
                              "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "unknown task 'rewrite'" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["record", "--repo", str(tmp_path / "missing"), "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_help() -> None:
    res = runner.invoke(app, ["record", "--help"])
    assert res.exit_code == 0 and "--teacher" in res.output


def test_sdk_mode_with_prompts_from_a_checkout(tmp_path: Path) -> None:
    from tests.simulator.test_prompts import _fake_checkout

    checkout = _fake_checkout(tmp_path / "semanticwiki")
    out = tmp_path / "sdk"
    summary = record(RecordConfig(repos=[str(example_repo_path())], out=str(out), mode="sdk",
                                  prompts_from=str(checkout), score=False))
    assert summary.recorded == 1
    (ep,) = read_episodes(out / "trajectories.jsonl")
    assert ep.mode == "sdk" and ep.prompt_source == str(checkout)
    assert ep.system_prompt == "\nSYS `code`\n"
    assert ep.task.prompt == "GENERATE ./example_repo ./wiki "
    assert all(t["name"].startswith("mcp__") for t in ep.tools)
    assert ep.prompt_sha256 != builtin_prompts().sha256


def test_odd_out_is_one_line_and_a_refused_run_leaves_no_directory(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile", tmp_path / "afile" / "run"):
        res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--out", str(out), "--quiet"])
        assert res.exit_code == 2, res.output
        assert res.output.startswith("error: --out") and "Traceback" not in res.output
    res = runner.invoke(app, ["record", "--repo", str(tmp_path / "missing"), "--out", str(tmp_path / "never"),
                              "--quiet"])
    assert res.exit_code == 2 and not (tmp_path / "never").exists()


def test_unknown_model_is_one_line_and_keeps_what_was_recorded(tmp_path: Path) -> None:
    out = tmp_path / "o"
    served = {"student"}

    def reply(body: dict) -> tuple[int, dict, dict]:
        if body["model"] not in served:
            return 404, {"error": {"message": f"The model `{body['model']}` does not exist.",
                                   "code": "model_not_found"}}, {}
        return 200, chat_completion({"content": "Done."}), {}

    with ScriptedServer("/v1/chat/completions", default=reply) as server:
        argv = ["record", "--repo", str(example_repo_path()), "--teacher", "openai", "--model", "student",
                "--base-url", server.url + "/v1", "--out", str(out), "--verification-passes", "0", "--no-score",
                "--quiet"]
        res = runner.invoke(app, argv)
        assert res.exit_code == 0, res.output
        served.clear()  # the endpoint stops serving the model: the resumed run must say so, not record errors
        res = runner.invoke(app, argv + ["--episodes", "3"])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [
        "error: the endpoint has no model 'student' or no chat-completions route (404); check --model and --base-url"]
    eps = read_episodes(out / "trajectories.jsonl")
    assert [e.stop_reason for e in eps] == ["end_turn"], "the recorded episode stays; no error episode is added"


def test_endpoint_down_before_the_first_turn_stops_the_run_without_writing(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from wikigym.simulator.policies import common, openai_compat

    # No retries: a refused connection fails the first request at once (port 1 on localhost refuses).
    monkeypatch.setattr(openai_compat, "RetryPolicy", lambda: common.RetryPolicy(max_retries=0))
    out = tmp_path / "down"
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "openai", "--model", "m",
                              "--base-url", "http://127.0.0.1:1/v1", "--episodes", "3", "--out", str(out),
                              "--verification-passes", "0", "--no-score", "--quiet"])
    assert res.exit_code == 2, res.output
    assert "failed before its first turn" in res.output and "rerun the same command" in res.output
    assert "Traceback" not in res.output
    # Nothing was written for it, so a rerun (once the endpoint is up) records it instead of skipping it.
    assert (out / "trajectories.jsonl").read_text() == ""


def test_repos_file_comments_after_urls_and_a_missing_file(tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("# my repos\nhttps://github.com/pallets/click  # the CLI one\n./local#1\n\n  # indented\n")
    cfg = RecordConfig(repos_file=str(listing), out=str(tmp_path / "r"))
    assert cfg.sources() == ["https://github.com/pallets/click", "./local#1"]
    with pytest.raises(ConfigError, match="one repository path or URL per line"):
        RecordConfig(repos_file=str(tmp_path / "missing.txt"), out=str(tmp_path / "r")).sources()


def test_a_run_that_recorded_nothing_does_not_lock_its_settings(tmp_path: Path) -> None:
    out = tmp_path / "r"
    # A llamacpp run without a model fails after RUN_DIR was written, before any episode.
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "llamacpp",
                              "--out", str(out), "--quiet"])
    assert res.exit_code == 2 and (out / "run.json").is_file()
    res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "scripted",
                              "--out", str(out), "--quiet", "--no-score"])
    assert res.exit_code == 0, res.output  # was: "was recorded with teacher='llamacpp'"
    assert len(read_episodes(out / "trajectories.jsonl")) == 1


def test_bad_now_and_profile_are_one_line_before_anything_is_created(tmp_path: Path) -> None:
    cases = (("--now", "garbage", "not an ISO timestamp"), ("--profile", "nope", "unknown tool profile"))
    for flag, value, says in cases:
        res = runner.invoke(app, ["record", "--repo", str(example_repo_path()), flag, value, "--out",
                                  str(tmp_path / "x"), "--quiet"])
        assert res.exit_code == 2 and says in res.output and "Traceback" not in res.output, res.output
        assert not (tmp_path / "x").exists()


def test_error_messages_are_one_line() -> None:
    from wikigym.errors import ToolArgumentError, WikigymError

    assert str(WikigymError("cannot load model (We couldn't connect.\n  Check your connection.)")) == (
        "cannot load model (We couldn't connect. Check your connection.)")
    assert str(ToolArgumentError("a\nb")) == "a b"


def test_out_inside_the_recorded_repository_is_refused(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(example_repo_path(), repo)
    res = runner.invoke(app, ["record", "--repo", str(repo), "--out", str(repo / "runs" / "x"), "--quiet"])
    assert res.exit_code == 2 and "is inside the repository" in res.output
    assert not (repo / "runs").exists(), "nothing is written into the repository"


def test_scoring_without_the_mermaid_parser_stops_with_one_line(tmp_path: Path) -> None:
    """A reward computed without the Mermaid parser would punish every diagram alike: refuse it, keep the run."""
    out = tmp_path / "run"
    env = dict(os.environ, WIKIGYM_NODE_MODULES=str(tmp_path / "no-node-modules"))
    (tmp_path / "no-node-modules").mkdir()
    proc = subprocess.run([sys.executable, "-m", "wikigym.cli", "record", "--repo", str(example_repo_path()),
                           "--episodes", "1", "--out", str(out), "--quiet"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr and any("cannot score episodes for training" in line and "npm ci" in line
                                                  for line in lines), proc.stderr
    assert not (out / "trajectories.jsonl").exists() or not read_episodes(out / "trajectories.jsonl")
