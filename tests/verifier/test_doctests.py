"""Run the docstring examples of the verifier's modules (they are part of each check's contract)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "wikigym.verifier.model", "wikigym.verifier.wiki", "wikigym.verifier.local_repo", "wikigym.verifier.reward",
    "wikigym.verifier.codewikibench", "wikigym.verifier.checks.citations", "wikigym.verifier.checks.links",
    "wikigym.verifier.checks.structure", "wikigym.verifier.checks.stubs", "wikigym.verifier.checks.coverage",
    "wikigym.verifier.checks.hallucination", "wikigym.verifier.checks.mermaid", "wikigym.verifier.checks.tool_use",
    "wikigym.verifier.local_tasks",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    res = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0, f"{name} has no docstring example"
    assert res.failed == 0
