"""Wiki completeness: the library result (`semanticwiki verify --json`) and both tool reports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wikigym.tools.completeness import verify_completeness
from wikigym.tools.context import ToolContext
from wikigym.tools.toolset import ToolSet

SHARED = Path(os.environ.get("WIKIGYM_SHARED", Path(__file__).resolve().parents[3] / "shared"))
GOLDENS = SHARED / "conformance" / "goldens"


def make_wiki(base: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return base


def _records(name: str) -> list[dict]:
    if not (GOLDENS / name).exists():
        return []
    return [json.loads(line) for line in (GOLDENS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.skipif(not GOLDENS.exists(), reason="../shared/conformance is not beside this checkout")
@pytest.mark.parametrize("record", _records("verify_struct.jsonl"), ids=lambda r: r["wiki"])
def test_verify_struct_goldens(tmp_path: Path, record: dict) -> None:
    wikis = {w["wiki_root"]: w for w in _records("wikis.jsonl")}
    wiki_root = Path(record["wiki_root"].replace("<ROOT>", str(tmp_path)))
    if record["wiki_root"] in wikis:
        make_wiki(wiki_root, wikis[record["wiki_root"]]["files"])
    got = verify_completeness(wiki_root)
    assert got == record["result"]
    assert list(got) == ["totalPages", "brokenLinks", "missingPages", "isComplete"]


def test_rules_on_a_small_wiki(tmp_path: Path) -> None:
    wiki = make_wiki(tmp_path / "wiki", {
        "README.md": ("[A](./a.md) [A again](a.md) [Gone](./gone.md#x) [[Gone]] [[sub/b|Label]] [[ spaced ]]\n"
                      "[mail](mailto:x.md) [src](../src/A.PY#L3) [cob](../x.cbl:10) [gh](github.com/o/r/x.md)\n"
                      "[out](../../outside.md) [titled](./t.md \"T\") [upper](./U.MD) [http](https://e/x.md)\n"),
        "a.md": "[Back](README.md) [Gone](gone.md)\n",
        "sub/b.md": "[Up](../gone.md) [Deeper](deeper/c.md)\n",
        ".hidden/h.md": "[ghost](./ghost.md)\n",
    })
    (wiki / "linked.md").symlink_to(wiki / "a.md")
    assert verify_completeness(wiki) == {
        "totalPages": 3,
        "brokenLinks": [
            {"source": "README.md", "target": "./gone.md", "linkText": "Gone", "resolvedTarget": "gone.md"},
            {"source": "README.md", "target": "Gone.md", "linkText": "Gone", "resolvedTarget": "Gone.md"},
            {"source": "README.md", "target": "spaced.md", "linkText": "spaced", "resolvedTarget": "spaced.md"},
            {"source": "sub/b.md", "target": "deeper/c.md", "linkText": "Deeper",
             "resolvedTarget": "sub/deeper/c.md"},
        ],
        "missingPages": ["gone.md", "Gone.md", "spaced.md", "sub/deeper/c.md"],
        "isComplete": False,
    }


def test_relative_wiki_root_and_missing_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_wiki(tmp_path / "w", {"x/p.md": "[q](../q.md)\n"})
    monkeypatch.chdir(tmp_path)
    got = verify_completeness("w")
    assert got["brokenLinks"] == [{"source": "x/p.md", "target": "../q.md", "linkText": "q", "resolvedTarget": "q.md"}]
    assert verify_completeness(tmp_path / "nope") == {"totalPages": 0, "brokenLinks": [], "missingPages": [],
                                                      "isComplete": True}


def tools(wiki: Path, mode: str) -> ToolSet:
    return ToolSet(ToolContext(repo_root=wiki.parent, wiki_root=wiki), mode)


def test_direct_tool_report(tmp_path: Path) -> None:
    wiki = make_wiki(tmp_path / "wiki", {"README.md": "[A](./a.md) [B](b.md)\n", "b.md": "[A](a.md)\n"})
    assert tools(wiki, "direct").call("verify_wiki_completeness", {}).text == (
        "# Wiki Completeness Report\n\nTotal pages: 2\nMissing pages: 1\nBroken links: 1\n\n"
        "❌ Missing Pages (MUST CREATE):\n\n- ./a.md (referenced from README.md)\n")
    (wiki / "a.md").write_text("ok\n")
    assert tools(wiki, "direct").call("verify_wiki_completeness", {}).text == (
        "# Wiki Completeness Report\n\nTotal pages: 3\nMissing pages: 0\nBroken links: 0\n\n"
        "✅ All internal links are valid! The wiki is complete.")


def test_sdk_tool_older_variant(tmp_path: Path) -> None:
    wiki = make_wiki(tmp_path / "wiki", {
        "README.md": "[A](./a.md) [A2](a.md) [Mail](mailto:m.md) [Out](../../o.md) [[wiki]] [Dir](./d.md)\n",
        "b.md": "[A](a.md) [Src](../x.PY#L1)\n",
    })
    (wiki / "d.md").mkdir()  # the old verifier checks the filesystem: a directory counts as existing
    out = tools(wiki, "sdk").call("mcp__semanticwiki__verify_wiki_completeness", {"fixBrokenLinks": True})
    assert not out.is_error
    assert out.text == (
        "# Wiki Completeness Report\n\n**Total pages:** 2\n**Referenced pages:** 4\n**Missing pages:** 4\n"
        "**Broken links:** 5\n\n## ❌ Missing Pages (MUST CREATE)\n\n"
        "The following pages are referenced but do not exist. You MUST create these pages:\n\n"
        "### ./a.md\nReferenced by:\n- `README.md` (link text: \"A\")\n\n"
        "### a.md\nReferenced by:\n- `README.md` (link text: \"A2\")\n- `b.md` (link text: \"A\")\n\n"
        "### mailto:m.md\nReferenced by:\n- `README.md` (link text: \"Mail\")\n\n"
        "### ../../o.md\nReferenced by:\n- `README.md` (link text: \"Out\")\n\n"
        "\n## Action Required\n\n"
        "Use `mcp__semanticwiki__write_wiki_page` to create each missing page above.\n"
        "After creating all pages, run `mcp__semanticwiki__verify_wiki_completeness` again to confirm.\n")
