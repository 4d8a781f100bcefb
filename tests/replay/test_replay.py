"""Replay re-executes recorded calls identically, reports planted drift with a diff and cause, and forks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from wikigym.cli import app
from wikigym.simulator.replay import ReplayPolicy, replay_episode
from wikigym.trajectories.schema import PolicySpec
from wikigym.trajectories.store import read_episodes

runner = CliRunner()


def test_replay_of_recorded_episode_is_identical(recorded_run) -> None:
    repo, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    rep = replay_episode(ep)
    assert rep.calls and len(rep.calls) == sum(len(s.tool_calls) for s in ep.steps)
    assert rep.identical, rep.to_json()
    res = runner.invoke(app, ["replay", str(run / "trajectories.jsonl"), "--episode", ep.episode_id])
    assert res.exit_code == 0, res.output
    assert "identical" in res.output


def test_planted_drift_is_reported_with_diff_and_cause(recorded_run, tmp_path: Path) -> None:
    repo, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    # A copy of the repo (same commit) with a file the episode read edited after recording.
    drifted = tmp_path / "drifted"
    shutil.copytree(repo, drifted)
    read_paths = [c.arguments["path"] for s in ep.steps for c in s.tool_calls
                  if c.name == "read_file" and c.arguments and c.arguments.get("path")]
    target = drifted / read_paths[-1]
    target.write_text(target.read_text() + "\n# planted drift\n")
    rep = replay_episode(ep, repo=drifted)
    assert not rep.identical
    bad = [c for c in rep.drifted if c.name == "read_file" and c.arguments["path"] == read_paths[-1]]
    assert bad, rep.to_json()
    assert "+# planted drift" in bad[0].diff
    assert "uncommitted changes" in bad[0].cause and read_paths[-1] in bad[0].cause
    res = runner.invoke(app, ["replay", str(run / "trajectories.jsonl"), "--episode", ep.episode_id,
                              "--repo", str(drifted), "--json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data[0]["identical"] is False and data[0]["drifted_calls"]


def test_missing_episode_is_one_clear_error(recorded_run) -> None:
    _, run = recorded_run
    res = runner.invoke(app, ["replay", str(run / "trajectories.jsonl"), "--episode", "nope"])
    assert res.exit_code == 2
    assert "episode 'nope' is not in" in res.output


def test_replay_policy_hands_over_after_prefix(recorded_run) -> None:
    _, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]

    class Tail:
        spec = PolicySpec(kind="tail")

        def act(self, messages, tools, system):
            from wikigym.simulator.policy import AssistantTurn

            return AssistantTurn(text="tail")

    pol = ReplayPolicy(ep.steps, upto=2, then=Tail())
    first = pol.act([], [], "")
    assert [c.name for c in first.tool_calls] == [c.name for c in ep.steps[0].tool_calls]
    pol.act([], [], "")
    assert pol.act([], [], "").text == "tail"


def test_fork_records_linked_branches(recorded_run, tmp_path: Path) -> None:
    _, run = recorded_run
    path = tmp_path / "trajectories.jsonl"
    shutil.copyfile(run / "trajectories.jsonl", path)
    ep = read_episodes(path)[0]
    res = runner.invoke(app, ["replay", str(path), "--episode", ep.episode_id, "--fork-at", "3", "--policy",
                              "scripted", "--episodes", "2", "--seed", "7"])
    assert res.exit_code == 0, res.output
    eps = read_episodes(path)
    branches = [e for e in eps if e.parent and e.parent["episode_id"] == ep.episode_id]
    assert len(branches) == 2
    assert {b.parent["step"] for b in branches} == {3}
    for b in branches:
        # The replayed prefix is the parent's first three steps, then the new policy writes a wiki.
        assert [[c.name for c in s.tool_calls] for s in b.steps[:3]] == [[c.name for c in s.tool_calls]
                                                                        for s in ep.steps[:3]]
        assert len(b.steps) > 3 and b.wiki
        assert b.score and 0.0 <= b.score["reward"] <= 1.0
    assert "parent" in res.output and "branch" in res.output


def test_fork_branch_is_scored_like_its_parent_and_keeps_its_wiki(recorded_run, tmp_path: Path) -> None:
    _, run = recorded_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    path = copy / "trajectories.jsonl"
    ep = read_episodes(path)[0]
    res = runner.invoke(app, ["replay", str(path), "--episode", ep.episode_id, "--fork-at", "2"])
    assert res.exit_code == 0, res.output
    (branch,) = [e for e in read_episodes(path) if e.parent]
    # The parent was scored with its trajectory (tool_use counts); the branch must be too, or the two rewards
    # printed side by side measure different things.
    assert ep.score["checks"]["tool_use"]["applicable"] is True
    assert branch.score["checks"]["tool_use"]["applicable"] is True
    wiki = copy / "wikis" / branch.episode_id
    assert sorted(p.relative_to(wiki).as_posix() for p in wiki.rglob("*.md")) == sorted(
        k for k in branch.wiki if k.endswith(".md"))
    assert f"reward {ep.score['reward']:.4f}" in res.output  # parent and branch in the same format


def test_step_and_fork_need_one_episode(recorded_run) -> None:
    _, run = recorded_run
    for extra in (["--step"], ["--fork-at", "1"]):
        res = runner.invoke(app, ["replay", str(run / "trajectories.jsonl"), *extra])
        assert res.exit_code == 2, res.output
        assert "pass --episode ID" in res.output and "Traceback" not in res.output
    assert len(read_episodes(run / "trajectories.jsonl")) == 2, "nothing was forked"


def test_repo_url_is_not_mangled_and_its_token_never_shows(recorded_run) -> None:
    _, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    token = "ghs_notarealtoken0123456789abcdef"
    res = runner.invoke(app, ["replay", str(run / "trajectories.jsonl"), "--episode", ep.episode_id, "--repo",
                              f"https://x-access-token:{token}@127.0.0.1:1/o/r.git"])
    assert res.exit_code == 2
    assert token not in res.output and "cannot clone https://127.0.0.1:1/o/r.git" in res.output


def test_truncated_file_warns_once_in_one_line(recorded_run, tmp_path: Path) -> None:
    _, run = recorded_run
    path = tmp_path / "trajectories.jsonl"
    data = (run / "trajectories.jsonl").read_bytes()
    path.write_bytes(data[: len(data) - 200])  # the second episode's line cut short
    ep = read_episodes(run / "trajectories.jsonl")[0]
    # A real process: under pytest, logging goes to pytest's capture instead of stderr.
    res = subprocess.run([sys.executable, "-m", "wikigym.cli", "replay", str(path), "--episode", ep.episode_id],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    warnings = [ln for ln in res.stderr.splitlines() if "truncated" in ln]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and ".py:" not in res.stderr, res.stderr


def test_a_closed_pipe_is_not_reported_as_drift(recorded_run) -> None:
    # `wikigym replay ... | head` used to exit 1 (rich's broken-pipe default), which is replay's "drift" status.
    _, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    proc = subprocess.Popen([sys.executable, "-m", "wikigym.cli", "replay", str(run / "trajectories.jsonl"),
                             "--episode", ep.episode_id], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line is written
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
