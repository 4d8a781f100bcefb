"""Tests for `wikigym verify` and `wikigym bench` (wikigym/commands/verify.py, bench.py)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from wikigym.cli import app
from wikigym.repos import example_repo_path


def _write(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_help() -> None:
    for argv in (["verify", "--help"], ["bench", "--help"], ["bench", "codewikibench", "--help"]):
        res = CliRunner().invoke(app, argv)
        assert res.exit_code == 0 and "Usage" in res.output


def test_verify_json_html_and_trajectory(tmp_path, good_wiki) -> None:
    from .test_tool_use import GOOD, _episode

    _write(tmp_path / "wiki", good_wiki)
    ep = _episode(GOOD)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "trajectories.jsonl").write_text(ep.model_dump_json() + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["verify", str(tmp_path / "wiki"), "--repo", str(example_repo_path()), "--json",
                                   "--trajectory", str(tmp_path / "run"), "--episode", "e1",
                                   "--html", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output.splitlines()[0])
    assert data["reward"] == 1.0 and data["checks"]["tool_use"]["applicable"] is True
    assert (tmp_path / "r.html").stat().st_size > 1000


def test_verify_explain_and_bad_input(tmp_path, good_wiki) -> None:
    files = dict(good_wiki)
    files["glossary.md"] = files["glossary.md"].replace("`", "")
    _write(tmp_path / "wiki", files)
    res = CliRunner().invoke(app, ["verify", str(tmp_path / "wiki"), "--repo", str(example_repo_path()), "--explain"])
    assert res.exit_code == 0 and res.output.startswith("reward ")
    res = CliRunner().invoke(app, ["verify", str(tmp_path / "nope"), "--repo", str(example_repo_path())])
    assert res.exit_code == 2 and "error: wiki directory" in res.output
    res = CliRunner().invoke(app, ["verify", str(tmp_path / "wiki"), "--repo", str(tmp_path / "norepo")])
    assert res.exit_code == 2 and "error: repository" in res.output
    res = CliRunner().invoke(app, ["bench", "codewikibench"])
    assert res.exit_code == 2 and "--judged" in res.output


def test_bad_html_path_is_one_line_before_scoring(tmp_path, good_wiki) -> None:
    _write(tmp_path / "wiki", good_wiki)
    (tmp_path / "afile").write_text("x")
    for html, says in ((tmp_path, "is a directory"), (tmp_path / "afile" / "r.html", "is a file")):
        res = CliRunner().invoke(app, ["verify", str(tmp_path / "wiki"), "--repo", str(example_repo_path()),
                                       "--html", str(html)])
        assert res.exit_code == 2, res.output
        assert res.output.startswith("error: --html") and says in res.output
        assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1


def test_repo_url_reaches_the_clone_intact_and_its_token_never_shows(tmp_path, good_wiki) -> None:
    _write(tmp_path / "wiki", good_wiki)
    token = "ghs_notarealtoken0123456789abcdef"
    # Port 1 on localhost refuses at once: no network needed.
    res = CliRunner().invoke(app, ["verify", str(tmp_path / "wiki"), "--repo",
                                   f"https://x-access-token:{token}@127.0.0.1:1/o/r.git"])
    assert res.exit_code == 2
    assert token not in res.output
    assert "cannot clone https://127.0.0.1:1/o/r.git" in res.output  # not "https:/x-access-token..." as a path


def test_truncated_trajectory_and_unknown_episode(tmp_path, good_wiki) -> None:
    from .test_tool_use import GOOD, _episode

    _write(tmp_path / "wiki", good_wiki)
    line = _episode(GOOD).model_dump_json()
    # A recording killed mid-write leaves a cut last line: verify reads the finished episodes, as replay does.
    (tmp_path / "trajectories.jsonl").write_text(line + "\n" + line[: len(line) // 2], encoding="utf-8")
    argv = ["verify", str(tmp_path / "wiki"), "--repo", str(example_repo_path()), "--trajectory", str(tmp_path)]
    res = CliRunner().invoke(app, argv + ["--episode", "e1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["checks"]["tool_use"]["applicable"] is True
    res = CliRunner().invoke(app, argv + ["--episode", "nope"])
    assert res.exit_code == 2 and "no episode 'nope'" in res.output and "it has e1" in res.output
    assert "--resume" not in res.output


def test_empty_wiki_scores_zero_and_says_why_in_one_line(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(app, ["verify", str(tmp_path / "empty"), "--repo", str(example_repo_path()), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["reward"] == 0.0
    assert res.stderr.strip().splitlines() == [
        f"warning: {tmp_path / 'empty'} holds no wiki page (*.md outside dot-directories), so the gate sets the "
        "reward to 0; pass the directory `semanticwiki generate -o` wrote"]


def test_a_wiki_inside_the_repository_is_not_its_own_evidence(tmp_path, good_wiki) -> None:
    import shutil

    from wikigym.verifier import Verifier

    repo, clean = tmp_path / "repo", tmp_path / "clean"
    shutil.copytree(example_repo_path(), repo)
    shutil.copytree(example_repo_path(), clean)
    files = dict(good_wiki)
    files["README.md"] += "\nThe `QuantumStockOracle` caches `inventory/oracle_cache.py:1-5`.\n"
    _write(repo / "wiki", files)  # semanticwiki generate -o ./wiki
    _write(tmp_path / "outside", files)
    with Verifier() as v:
        inside, outside = v.verify_dir(repo / "wiki", repo), v.verify_dir(tmp_path / "outside", clean)
    for score in (inside, outside):
        whats = [f.what for f in score.checks["hallucination"].findings]
        assert "invented identifier `QuantumStockOracle`" in whats
    assert inside.to_json() == outside.to_json(), "where the wiki lives must not change its score"
