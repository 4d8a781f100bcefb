"""Suite-wide fixtures: caches (clones, parse results, tokenizer) go to a temporary directory, never to $HOME; and
one recorded scripted run on a git copy of the bundled example repo, shared by the replay and inspector tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_wikigym_cache():
    if os.environ.get("WIKIGYM_TEST_KEEP_CACHE"):
        # Opt-in: reuse ~/.cache/wikigym between local runs (the tokenizer build takes ~15 s).
        yield
        return
    with tempfile.TemporaryDirectory(prefix="wikigym-test-cache-") as tmp:
        old = os.environ.get("WIKIGYM_CACHE")
        os.environ["WIKIGYM_CACHE"] = tmp
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("WIKIGYM_CACHE", None)
            else:
                os.environ["WIKIGYM_CACHE"] = old


def git_repo_copy(dest: Path) -> Path:
    from wikigym.repos import example_repo_path

    shutil.copytree(example_repo_path(), dest)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "HOME": str(dest.parent), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=dest, check=True, env=env)
    return dest


@pytest.fixture(scope="session")
def recorded_run(tmp_path_factory, _isolated_wikigym_cache) -> tuple[Path, Path]:
    """(repo, run_dir) with two scripted episodes recorded on a git checkout."""
    from wikigym.simulator.record import RecordConfig, record

    base = tmp_path_factory.mktemp("replay")
    repo = git_repo_copy(base / "inventory")
    run = base / "run"
    record(RecordConfig(repos=[str(repo)], teacher="scripted", episodes=2, out=str(run),
                        now="2026-01-02T03:04:05.678Z"))
    return repo, run
