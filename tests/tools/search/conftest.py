"""Shared fixtures: the conformance fixture repo unpacked once per session, and the recorded golden files."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from tests.conformance.harness import CONF, GOLDENS


def load(name: str) -> list[dict]:
    with open(GOLDENS / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


needs_goldens = pytest.mark.skipif(not GOLDENS.exists(), reason="../shared/conformance is not beside this checkout")


@pytest.fixture(scope="session")
def small_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GOLDENS.exists():
        pytest.skip("../shared/conformance is not beside this checkout")
    root = tmp_path_factory.mktemp("fixture")
    with tarfile.open(CONF / "fixtures" / "small-and-outside.tar") as tar:
        tar.extractall(root)
    return root / "small"
