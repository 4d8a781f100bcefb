"""TrajectoryWriter / read_episodes: append-only lines, resume ids, truncated-line repair, version refusal."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from wikigym.errors import TrajectoryCorrupt
from wikigym.trajectories.schema import SCHEMA_VERSION, Episode, PolicySpec, RepoRef, TaskSpec
from wikigym.trajectories.store import TrajectoryRepairWarning, TrajectoryWriter, read_episodes


def ep(i: int, prompt: str = "write a wiki") -> Episode:
    return Episode(wikigym_version="0.1.0", episode_id=f"ep-{i}", repo=RepoRef(path="/r", name="r"),
                   task=TaskSpec(prompt=prompt), policy=PolicySpec(kind="scripted"))


def test_append_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "run" / "trajectories.jsonl"
    with TrajectoryWriter(path) as w:
        w.append(ep(1))
        w.append(ep(2))
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(x)["schema_version"] == SCHEMA_VERSION for x in lines)
    assert [e.episode_id for e in read_episodes(path)] == ["ep-1", "ep-2"]
    with TrajectoryWriter(path) as w:
        assert w.done_ids == {"ep-1", "ep-2"} and w.count == 2
        w.append(ep(3))
    assert [e.episode_id for e in read_episodes(path)] == ["ep-1", "ep-2", "ep-3"]


def test_truncated_last_line_is_repaired_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path) as w:
        w.append(ep(1))
        w.append(ep(2))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # cut the second line mid-way, as a kill during write would
    with pytest.warns(TrajectoryRepairWarning):
        eps = read_episodes(path)
    assert [e.episode_id for e in eps] == ["ep-1"]
    with pytest.warns(TrajectoryRepairWarning, match="line 2 was truncated"):
        w = TrajectoryWriter(path)
    assert w.done_ids == {"ep-1"} and len(w.warnings) == 1
    w.append(ep(2))
    w.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [e.episode_id for e in read_episodes(path)] == ["ep-1", "ep-2"]


def test_complete_line_missing_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(ep(1).model_dump_json())
    with TrajectoryWriter(path) as w:
        assert w.done_ids == {"ep-1"}
        w.append(ep(2))
    assert [e.episode_id for e in read_episodes(path)] == ["ep-1", "ep-2"]


def test_unknown_schema_version_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    rec = ep(1).model_dump(mode="json")
    rec["schema_version"] = "wikigym.trajectory/99"
    path.write_text(json.dumps(rec) + "\n")
    with pytest.raises(TrajectoryCorrupt, match=r"line 1 has schema_version 'wikigym.trajectory/99'") as e:
        read_episodes(path)
    assert "\n" not in str(e.value)
    with pytest.raises(TrajectoryCorrupt):
        TrajectoryWriter(path)


def test_corrupt_middle_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(ep(1).model_dump_json() + "\n{garbage\n" + ep(2).model_dump_json() + "\n")
    with pytest.raises(TrajectoryCorrupt, match="line 2"):
        read_episodes(path)


def test_second_writer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path), pytest.raises(TrajectoryCorrupt, match="another wikigym process"):
        TrajectoryWriter(path)


def test_secrets_never_reach_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef")
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path) as w:
        w.append(ep(1, prompt="key sk-ant-test-0123456789abcdef and https://u:pw@host/x.git"))
    text = path.read_text()
    assert "0123456789abcdef" not in text and "u:pw@" not in text
    assert read_episodes(path)[0].task.prompt == "key <redacted> and https://<redacted>@host/x.git"


def test_lone_surrogates_round_trip(tmp_path: Path) -> None:
    """SemanticWiki's search cuts documentation at 300 UTF-16 units, which can leave half an emoji in a tool output;
    the line is still written (as a JSON escape) and reads back unchanged."""
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path) as w:
        w.append(ep(1, prompt="doc aaa\ud83d...\n日本"))
    line = path.read_text(encoding="utf-8")
    assert "\\ud83d" in line and "日本" in line
    assert read_episodes(path)[0].task.prompt == "doc aaa\ud83d...\n日本"
