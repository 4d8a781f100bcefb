"""Tests for wikigym/verifier/codewikibench.py: the published OpenHands figures from vendored judgments, and live
judging against a local OpenAI-compatible HTTP server (cache, resume, errors recorded as errors)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from wikigym.cli import app
from wikigym.verifier import codewikibench as cwb

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "codewikibench" / "OpenHands"


@pytest.mark.parametrize("ref,expected", [("codewiki", 0.8245), ("deepwiki", 0.7304)])
def test_reproduces_published_openhands_scores(ref: str, expected: float) -> None:
    files = sorted((FIXTURES / ref).glob("*.json"))
    assert len(files) == 3
    res = cwb.aggregate_files(files)
    assert round(res.overall, 4) == expected
    assert res.evaluated_leaves == res.leaves == 67 and len(res.judges) == 3
    out = CliRunner().invoke(app, ["bench", "codewikibench", "--judged", *map(str, files), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert round(data["overall_score"], 4) == expected and data["num_judges"] == 3
    assert data["judge_spread"]["min"] <= data["overall_score"] <= data["judge_spread"]["max"]
    text = CliRunner().invoke(app, ["bench", "codewikibench", "--judged", *map(str, files)]).output
    assert f"CodeWikiBench overall score: {expected:.4f}" in text


RUBRICS = [
    {"requirements": "Storage", "weight": 3, "sub_tasks": [
        {"requirements": "Documents the storage backend", "weight": 3},
        {"requirements": "Documents the retry policy", "weight": 1}]},
    {"requirements": "Getting started", "weight": 1},
]


class _Judge(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat-completions endpoint: says 1 when the criterion's topic word is in the prompt's
    documentation, fails with HTTP 500 for 'retry' criteria (to exercise error recording)."""

    calls: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(body)
        user = body["messages"][1]["content"]
        criterion = user.split('Criteria: "', 1)[1].split('"', 1)[0]
        if "retry" in criterion:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": "boom"}')
            return
        doc = user.split("Documentation tree", 1)[1].lower()
        score = 1 if criterion.split()[-1].lower() in doc else 0
        answer = json.dumps({"criteria": criterion, "score": score, "reasoning": "r", "evidence": "e"})
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": f"```json\n{answer}\n```"}}],
                           "usage": {"prompt_tokens": 10, "completion_tokens": 5}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def judge_server():
    _Judge.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Judge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_live_judging_caches_resumes_and_records_errors(tmp_path, judge_server) -> None:
    pages = {"README.md": "Home", "storage.md": "The backend writes JSON files."}
    judge = cwb.JudgeSpec.parse(f"openai:test-model@{judge_server}")
    cache = tmp_path / "cache.jsonl"
    res = cwb.judge_wiki(pages, RUBRICS, [judge], cache, out_dir=tmp_path / "out", retries=0, concurrency=2)
    # "backend" documented (1), "policy" errored (unevaluated, NOT a pass), "started" absent (0).
    assert res.errors == {"openai:test-model": 1} and res.evaluated_leaves == 2
    assert res.overall == pytest.approx((3 * (3 * 1 + 1 * 0) / 4 + 1 * 0) / 4)
    recs = [json.loads(line) for line in cache.read_text().splitlines()]
    err = next(r for r in recs if r["leaf"] == "0.1")
    assert err["score"] is None and err["error"].startswith("HTTP 500")
    written = json.loads((tmp_path / "out" / "openai_test-model.json").read_text())
    assert written[0]["sub_tasks"][1]["judge_error"].startswith("HTTP 500")
    assert "evaluation" not in written[0]["sub_tasks"][1] and written[0]["sub_tasks"][0]["evaluation"]["score"] == 1
    assert cwb.aggregate_files([tmp_path / "out" / "openai_test-model.json"]).overall == res.overall
    first_calls = len(_Judge.calls)
    assert first_calls == 3
    # Resume: verdicts come from the cache; only the errored leaf is asked again.
    cwb.judge_wiki(pages, RUBRICS, [judge], cache, retries=0)
    assert len(_Judge.calls) == first_calls + 1
    # A changed wiki has a new hash: everything is judged again.
    cwb.judge_wiki({**pages, "x.md": "more"}, RUBRICS, [judge], cache, retries=0)
    assert len(_Judge.calls) == first_calls + 1 + 3
    system = _Judge.calls[0]["messages"][0]["content"]
    assert system.startswith("You are a documentation evaluation expert") and _Judge.calls[0]["temperature"] == 0


def test_unreachable_judge_is_an_error_not_a_pass(tmp_path) -> None:
    judge = cwb.JudgeSpec.parse("openai:m@http://127.0.0.1:9/v1")
    res = cwb.judge_wiki({"a.md": "x"}, RUBRICS, [judge], tmp_path / "c.jsonl", retries=0, timeout_s=2)
    assert res.evaluated_leaves == 0 and res.overall == 0.0 and res.errors == {"openai:m": 3}


def test_cli_judges_live_from_local_rubrics(tmp_path, judge_server) -> None:
    (tmp_path / "data" / "Repo" / "rubrics").mkdir(parents=True)
    (tmp_path / "data" / "Repo" / "rubrics" / "combined_rubrics.json").write_text(json.dumps(RUBRICS))
    (tmp_path / "wiki").mkdir()
    (tmp_path / "wiki" / "README.md").write_text("the backend; getting started")
    out = CliRunner().invoke(app, ["bench", "codewikibench", "--wiki", str(tmp_path / "wiki"), "--bench-repo", "Repo",
                                   "--data", str(tmp_path / "data"), "--judge", f"openai:m@{judge_server}",
                                   "--out", str(tmp_path / "out"), "--retries", "0", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output.strip().splitlines()[-1])
    assert data["judge_errors"] == {"openai:m": 1} and data["evaluated_leaves"] == 2
    assert (tmp_path / "out" / "codewikibench-cache.jsonl").is_file()


def test_parse_verdict_rejects_non_binary_scores() -> None:
    with pytest.raises(cwb.JudgeError):
        cwb.parse_verdict('{"score": 0.5}')
    with pytest.raises(cwb.JudgeError):
        cwb.parse_verdict("I think it is documented")
