"""Fixtures for the repos tests: an isolated cache directory and small git repositories built in tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` with a fixed identity and no user configuration; return stdout."""
    env = {**os.environ, **GIT_ENV}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def write_files(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    """Write files, commit them, return the new HEAD sha."""
    write_files(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """Every test gets its own WIKIGYM_CACHE so clones and parse results never touch the user's cache."""
    cache = tmp_path / "wikigym-cache"
    monkeypatch.setenv("WIKIGYM_CACHE", str(cache))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return cache


@pytest.fixture
def two_commit_repo(tmp_path) -> tuple[Path, str, str]:
    """A working repository with two commits: (path, first sha, second sha)."""
    repo = tmp_path / "work"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    first = commit_files(repo, {"app/main.py": "VERSION = 1\n", "README.md": "# App\n"}, "first")
    second = commit_files(repo, {"app/main.py": "VERSION = 2\n", "app/extra.py": "X = 1\n"}, "second")
    return repo, first, second


@pytest.fixture
def bare_repo(tmp_path, two_commit_repo) -> tuple[Path, str, str]:
    """A bare clone of `two_commit_repo`: (bare path, first sha, second sha)."""
    work, first, second = two_commit_repo
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare, first, second
