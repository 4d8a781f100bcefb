"""Suite-wide isolation: caches (clones, parse results, tokenizer) go to a temporary directory, never to $HOME."""

from __future__ import annotations

import os
import tempfile

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
