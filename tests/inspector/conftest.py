"""A recorded scripted episode on a git copy of the bundled example repo, shared by the replay/inspector tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from wikigym.repos import example_repo_path
from wikigym.simulator.record import RecordConfig, record


def git_repo_copy(dest: Path) -> Path:
    shutil.copytree(example_repo_path(), dest)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "HOME": str(dest.parent), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=dest, check=True, env=env)
    return dest


@pytest.fixture(scope="session")
def recorded_run(tmp_path_factory) -> tuple[Path, Path]:
    """(repo, run_dir) with two scripted episodes recorded on a git checkout."""
    base = tmp_path_factory.mktemp("replay")
    repo = git_repo_copy(base / "inventory")
    run = base / "run"
    record(RecordConfig(repos=[str(repo)], teacher="scripted", episodes=2, out=str(run),
                        now="2026-01-02T03:04:05.678Z"))
    return repo, run
