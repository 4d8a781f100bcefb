"""Tests for wikigym/verifier/report_html.py: self-contained, findings beside the text, diagrams rendered inline."""

from __future__ import annotations

import re

from wikigym.verifier.report_html import render_report
from wikigym.verifier.wiki import Wiki

from .conftest import needs_node


@needs_node
def test_report_is_offline_and_shows_findings(verifier, snapshot, good_wiki) -> None:
    files = dict(good_wiki)
    files["components/inventory/api.md"] += "\nTODO: finish\n"
    wiki = Wiki.from_files(files)
    html = render_report(wiki, verifier.verify(wiki, snapshot), title="t")
    assert "<script>" in html and "mermaid.initialize" in html and "class='mermaid'" in html
    # nothing is fetched: no src= or href= to another host
    assert not re.search(r"""(src|href)=['"]?https?://""", html)
    assert "placeholder &#x27;TODO&#x27;" in html
    assert html.count("<section class='page'") == len(wiki.pages)
    assert "components/inventory/api.md" in html


def test_report_without_mermaid_build_says_so(monkeypatch, tmp_path, verifier, snapshot, good_wiki) -> None:
    monkeypatch.setenv("WIKIGYM_NODE_MODULES", str(tmp_path))
    wiki = Wiki.from_files({"README.md": good_wiki["README.md"]})
    html = render_report(wiki, verifier.verify(wiki, snapshot))
    assert "Diagrams are shown as source" in html and "<script>" not in html
