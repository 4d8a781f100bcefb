"""Shared fixtures of the trainer tests: episode runs on disk and a tiny exported dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trainer.episodes import make_episode


def write_run(path: Path, episodes) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    with open(path / "trajectories.jsonl", "w", encoding="utf-8") as f:
        for e in episodes:
            f.write(e.model_dump_json() + "\n")
    return path


@pytest.fixture
def teacher_run(tmp_path: Path) -> Path:
    """12 episodes over 3 repos, rewards 0.0-0.6, all successful."""
    eps = [make_episode(repo, i, round(0.2 * i, 1)) for i in range(4) for repo in ("alpha", "beta", "gamma")]
    return write_run(tmp_path / "teacher", eps)
