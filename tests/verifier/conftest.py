"""Shared fixtures for the verifier tests: the bundled example repo, its reference wiki, one Verifier per session."""

from __future__ import annotations

import shutil

import pytest

from wikigym.repos import example_repo_path, open_repo
from wikigym.verifier import Verifier
from wikigym.verifier.mermaid import find_node_modules
from wikigym.verifier.sample_wiki import build_reference_wiki

NODE_READY = shutil.which("node") is not None and find_node_modules() is not None
needs_node = pytest.mark.skipif(not NODE_READY, reason="Node and npm mermaid are needed: run `npm ci` at the repo root")


@pytest.fixture(scope="session")
def snapshot():
    return open_repo(example_repo_path())


@pytest.fixture(scope="session")
def good_wiki(snapshot) -> dict[str, str]:
    return build_reference_wiki(snapshot)


@pytest.fixture(scope="session")
def verifier():
    v = Verifier()
    yield v
    v.close()


@pytest.fixture(scope="session")
def repo_index(verifier, snapshot):
    return verifier.index(snapshot)
