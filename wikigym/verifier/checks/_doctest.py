"""Helpers for the checks' docstring examples: a repository held in memory."""

from __future__ import annotations

from wikigym.verifier.local_repo import LocalRepo
from wikigym.verifier.repo_index import RepoIndex


def tiny_repo(files: dict[str, str]) -> RepoIndex:
    """A `RepoIndex` over an in-memory repository (path -> text)."""
    return RepoIndex(LocalRepo.from_files(files))
