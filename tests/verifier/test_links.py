"""Tests for wikigym/verifier/checks/links.py: SemanticWiki's completeness rules (goldens), orphans, README hub."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wikigym.verifier.checks.links import check_links, completeness
from wikigym.verifier.wiki import Wiki

SHARED = Path(os.environ.get("WIKIGYM_SHARED", Path(__file__).resolve().parents[3] / "shared"))
GOLDENS = SHARED / "conformance" / "goldens"


def _goldens():
    if not (GOLDENS / "wikis.jsonl").is_file():
        pytest.skip(f"conformance goldens not found under {GOLDENS} (set WIKIGYM_SHARED)")
    wikis = [json.loads(line) for line in (GOLDENS / "wikis.jsonl").read_text(encoding="utf-8").splitlines() if line]
    expected = {json.loads(line)["wiki"]: json.loads(line)["result"]
                for line in (GOLDENS / "verify_struct.jsonl").read_text(encoding="utf-8").splitlines() if line}
    return wikis, expected


def test_completeness_matches_semanticwiki_goldens() -> None:
    wikis, expected = _goldens()
    for rec in wikis:
        assert completeness(Wiki.from_files(rec["files"])) == expected[rec["wiki"]], rec["wiki"]
    assert completeness(Wiki.from_files({})) == expected["does-not-exist"]


def test_completeness_agrees_with_tools_on_disk(tmp_path, good_wiki) -> None:
    from wikigym.tools.completeness import verify_completeness

    wikis, _ = _goldens()
    for rec in [*wikis, {"wiki": "reference", "files": good_wiki}]:
        root = tmp_path / rec["wiki"]
        for rel, text in rec["files"].items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        assert completeness(Wiki.from_dir(root)) == verify_completeness(root), rec["wiki"]


def test_good_wiki_is_complete(good_wiki) -> None:
    res = check_links(Wiki.from_files(good_wiki))
    assert res.score == 1.0 and res.findings == [] and res.stats["is_complete"]


def test_broken_orphan_and_hub_findings(good_wiki) -> None:
    files = dict(good_wiki)
    files["components/extra.md"] = "An unlinked page."
    files["README.md"] += "\n- [Gone](components/gone.md)\n"
    res = check_links(Wiki.from_files(files))
    whats = [f.what for f in res.findings]
    assert "broken link to components/gone.md" in whats
    assert "orphan page components/extra.md" in whats
    assert "README.md does not link components/extra.md" in whats
    assert res.score < 1.0 and res.stats["broken_links"] == 1 and res.stats["orphans"] == 1
    broken = next(f for f in res.findings if f.what.startswith("broken"))
    assert broken.page == "README.md" and files["README.md"].split("\n")[broken.line - 1].endswith("(components/gone.md)")
