"""Run SemanticWiki's recorded tool cases against wikigym and compare byte for byte.

The goldens live in ../shared/conformance (read-only, present in CI). Cases run in file order inside one temporary
ROOT holding `repos/small` and `repos/outside` from the fixture tar, because write, list and verify cases depend on
the writes before them. Fidelity flag `allow_escape` is on here (the goldens record SemanticWiki's uncontained paths);
that is the only place it is used, and only inside the temporary ROOT.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from wikigym.tools.context import ToolContext
from wikigym.tools.search.index import build_index
from wikigym.tools.toolset import ToolSet

SHARED = Path(os.environ.get("WIKIGYM_SHARED", Path(__file__).resolve().parents[3] / "shared"))
CONF = SHARED / "conformance"
GOLDENS = CONF / "goldens"
FROZEN_NOW = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)


def load_jsonl(name: str) -> list[dict]:
    with open(GOLDENS / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def make_root(tmp: Path) -> Path:
    """A ROOT like the recorder's: repos/small, repos/outside, MANIFEST.txt; no wiki dir until a write."""
    root = tmp / "ROOT"
    (root / "repos").mkdir(parents=True)
    with tarfile.open(CONF / "fixtures" / "small-and-outside.tar") as tar:
        tar.extractall(root / "repos")
    (root / "MANIFEST.txt").write_text("conformance root\n")
    return root


class FakeIndex:
    """Stands in for SemanticWiki's RAG object the way the recorder did: fixed results, or a thrown error."""

    def __init__(self, results=None, error: str | None = None):
        self.results = results or []
        self.error = error

    def search(self, query, *, max_results=10, file_types=None, exclude_tests=False):
        if self.error:
            raise RuntimeError(self.error)
        return [dict(r) for r in self.results]


@dataclass
class Outcome:
    case: str
    ok: bool
    expected: str
    got: str
    is_error_ok: bool = True


class Runner:
    def __init__(self, root: Path):
        self.root = root
        self.prepared: set[str] = set()
        self.indexes: dict[str, object] = {}
        self.wikis = {w["wiki_root"]: w for w in load_jsonl("wikis.jsonl")}
        # The recorded discovery order per fixture: glob's order varies between runs and breaks score ties.
        self.index_orders = {m["fixture"]: m["file_order_used_for_index"] for m in load_jsonl("rag_metadata.jsonl")}

    def sub(self, s: str) -> str:
        return s.replace("<ROOT>", str(self.root))

    def subj(self, obj):
        if isinstance(obj, str):
            return self.sub(obj)
        if isinstance(obj, list):
            return [self.subj(x) for x in obj]
        if isinstance(obj, dict):
            return {k: self.subj(v) for k, v in obj.items()}
        return obj

    def prepare_wiki(self, wiki_root_template: str) -> None:
        if wiki_root_template in self.prepared or wiki_root_template not in self.wikis:
            return
        self.prepared.add(wiki_root_template)
        base = Path(self.sub(wiki_root_template))
        for rel, content in self.wikis[wiki_root_template]["files"].items():
            p = base / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content, encoding="utf-8")

    def context(self, case: dict) -> ToolContext:
        repo_root = Path(self.sub(case["repo_root"]))
        wiki_root = Path(self.sub(case.get("wiki_root") or "<ROOT>/wiki/unused"))
        ctx = ToolContext(repo_root=repo_root, wiki_root=wiki_root, allow_escape=True, now=FROZEN_NOW,
                          server_cwd=Path(self.sub(case.get("server_cwd") or case["repo_root"])))
        if case["tool"] == "search_codebase":
            out = case["output"]
            if "fake_results" in case:
                ctx.search_index = FakeIndex(case["fake_results"])
            elif out.endswith(": boom"):
                ctx.search_index = FakeIndex(error="boom")
            elif "RAG system not initialized" in out:
                ctx.search_index = None
            else:
                key = str(repo_root)
                if key not in self.indexes:
                    self.indexes[key] = build_index(ctx, file_order=self.index_orders.get(repo_root.name))
                ctx.search_index = self.indexes[key]
        return ctx

    def run(self, case: dict) -> Outcome:
        if case.get("wiki_root"):
            self.prepare_wiki(case["wiki_root"])
        ctx = self.context(case)
        ts = ToolSet(ctx, mode=case["mode"])
        res = ts.call(case["tool"], self.subj(case["input"]))
        expected = self.sub(case["output"])
        is_error_ok = ("is_error" not in case) or bool(case["is_error"]) == res.is_error
        return Outcome(case["case"], res.text == expected and is_error_ok, expected, res.text, is_error_ok)


def wiki_tree(base: Path) -> dict[str, str]:
    """The wiki as write_effects.jsonl records it: files with content, directories as 'dir/': ''."""
    out: dict[str, str] = {}
    if not base.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(base):
        rel = Path(dirpath).relative_to(base)
        for d in dirnames:
            out[(rel / d).as_posix() + "/"] = ""
        for f in filenames:
            out[(rel / f).as_posix()] = (Path(dirpath) / f).read_text(encoding="utf-8")
    return out
