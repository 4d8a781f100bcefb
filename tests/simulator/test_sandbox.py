"""Sandbox: a fresh wiki per episode, both name sets, broken-link parsing, seeding inside the wiki only."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikigym.errors import WikiDirError
from wikigym.repos import open_repo
from wikigym.simulator.sandbox import Sandbox, SandboxConfig


def test_needs_a_fresh_wiki_directory(small_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "old.md").write_text("x")
    with pytest.raises(WikiDirError, match="not empty"):
        Sandbox(open_repo(small_repo), tmp_path / "w")
    with pytest.raises(WikiDirError, match="fs-mcp"):
        Sandbox(open_repo(small_repo), tmp_path / "w2", SandboxConfig(mode="fs-mcp"))


def test_broken_links_and_wiki_files(small_repo: Path, tmp_path: Path) -> None:
    sb = Sandbox(open_repo(small_repo), tmp_path / "w")
    sb.seed_wiki({"README.md": "[a](components/a.md) [b](./b.md)", "components/x.md": "[up](../missing.md)"})
    links = sorted(sb.broken_links(), key=lambda x: x["resolved"])
    assert [(x["target"], x["resolved"]) for x in links] == [
        ("./b.md", "b.md"), ("components/a.md", "components/a.md"), ("../missing.md", "missing.md")]
    assert sorted(sb.wiki_files()) == ["README.md", "components/x.md"]
    with pytest.raises(WikiDirError, match="outside"):
        sb.seed_wiki({"../escape.md": "x"})


def test_sdk_tools_write_into_this_episode_only(small_repo: Path, tmp_path: Path) -> None:
    a = Sandbox(open_repo(small_repo), tmp_path / "a", SandboxConfig(mode="sdk", now="2026-01-02T03:04:05.678Z"))
    b = Sandbox(open_repo(small_repo), tmp_path / "b", SandboxConfig(mode="sdk"))
    res = a.call("mcp__semanticwiki__write_wiki_page", {"pagePath": "README.md", "title": "T", "content": "Hi"})
    assert res.text.startswith("Successfully wrote wiki page: README.md")
    assert "generated: '2026-01-02T03:04:05.678Z'" in a.wiki_files()["README.md"]
    assert b.wiki_files() == {}
    assert any(s["name"] == "mcp__filesystem__read_file" for s in a.schemas())
