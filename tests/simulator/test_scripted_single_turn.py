"""The scripted teacher on SemanticWiki's local page-by-page tasks (`plan`, `page`, `index`): text answers, no tools.

Each task is recorded through the real path (`record` -> `run_episode` -> `AgentLoop._single_turn`) on the bundled
example repository and on a small mixed Python/TypeScript repository written here, then the answers are checked the
way SemanticWiki consumes them: the plan after SemanticWiki's fence stripping and `JSON.parse`, file filtering and
type normalisation; the page's `📄 [path:line](../path#Lline)` links against the repository and the prompt (and
against SemanticWiki's `makeSourceReferencesClickable` pass, which must leave the page unchanged); the index's links
against the planned pages. SemanticWiki's own prompt wording is checked too when its mirror is on this machine.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wikigym.cli import app
from wikigym.repos import example_repo_path, open_repo
from wikigym.simulator.policies.scripted import ScriptedTeacher
from wikigym.simulator.prompts import builtin_prompts, load_prompts
from wikigym.simulator.record import RecordConfig, record
from wikigym.simulator.tasks import build_index, build_page, build_plan, pattern_plan, project_files
from wikigym.simulator.teacher.local_page import make_source_references_clickable
from wikigym.trajectories.store import read_episodes

LINK = re.compile(r"📄 \[([^\]\n]+?):(\d+)\]\(\.\./([^)#\s]+)#L(\d+)\)")
MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+\.md)\)")
SW_MIRROR = Path("/work/.mirror/GhostScientist+semanticwiki/repo")
SW_TYPES = {"overview", "component", "module", "guide", "config"}


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def shop_repo(tmp_path: Path) -> Path:
    """A small shop: a Python package in layers (models, storage, service, api, cli), a TypeScript client, tests."""
    return _write(tmp_path / "shop", {
        "README.md": """
            # Shop

            Shop sells things online and keeps its orders in SQLite.

            ## Install

            ```bash
            pip install -e .
            shop serve --port 8000
            ```
            """,
        "pyproject.toml": """
            [project]
            name = "shop"
            version = "0.1.0"
            """,
        "config/shop.yaml": """
            server:
              port: 8000
            database:
              path: shop.db
            """,
        "shop/__init__.py": '''
            """Online shop: products, carts and orders."""
            from shop.models import Product
            ''',
        "shop/models.py": '''
            """Domain objects: products and order lines."""
            from dataclasses import dataclass


            @dataclass
            class Product:
                """Something the shop sells."""

                sku: str
                price_cents: int


            @dataclass
            class OrderLine:
                """One product in an order."""

                product: Product
                quantity: int

                def total(self) -> int:
                    return self.product.price_cents * self.quantity
            ''',
        "shop/storage.py": '''
            """Order storage in SQLite."""
            import sqlite3

            from shop.models import OrderLine


            class OrderStore:
                """Keeps orders in a SQLite database."""

                def __init__(self, path: str) -> None:
                    self.db = sqlite3.connect(path)

                def save(self, lines: list[OrderLine]) -> int:
                    """Store an order and return its id."""
                    cur = self.db.execute("INSERT INTO orders DEFAULT VALUES")
                    return int(cur.lastrowid)
            ''',
        "shop/service.py": '''
            """Checkout rules: totals, limits and saving the order."""
            from shop.models import OrderLine
            from shop.storage import OrderStore


            class CheckoutError(Exception):
                """The cart cannot be checked out."""


            def order_total(lines: list[OrderLine]) -> int:
                """Sum of the line totals in cents."""
                return sum(line.total() for line in lines)


            def checkout(store: OrderStore, lines: list[OrderLine]) -> int:
                """Validate the cart and store the order."""
                if not lines:
                    raise CheckoutError("empty cart")
                order_total(lines)
                return store.save(lines)
            ''',
        "shop/api.py": '''
            """HTTP handlers for the shop."""
            import json

            from shop.service import checkout
            from shop.storage import OrderStore


            def handle_checkout(store: OrderStore, body: str) -> str:
                """POST /checkout: place an order from a JSON body."""
                data = json.loads(body)
                order_id = checkout(store, data["lines"])
                return json.dumps({"order": order_id})
            ''',
        "shop/cli.py": '''
            """Command line entry point: `shop serve`."""
            import argparse

            from shop.api import handle_checkout


            def main() -> None:
                parser = argparse.ArgumentParser(prog="shop")
                parser.add_argument("command")
                args = parser.parse_args()
                print(args.command, handle_checkout)


            if __name__ == "__main__":
                main()
            ''',
        "web/src/client.ts": """
            /** Typed client for the shop API. */
            import { Order } from './types';

            export class ShopClient {
              constructor(private baseUrl: string) {}

              async checkout(order: Order): Promise<number> {
                const res = await fetch(`${this.baseUrl}/checkout`, { method: 'POST', body: JSON.stringify(order) });
                return (await res.json()).order;
              }
            }
            """,
        "web/src/types.ts": """
            /** Shapes of the shop API. */
            export interface Order {
              lines: { sku: string; quantity: number }[];
            }
            """,
        "web/src/index.ts": """
            export { ShopClient } from './client';
            export type { Order } from './types';
            """,
        "web/package.json": """
            {
              "name": "shop-web",
              "scripts": {
                "build": "tsc -p ."
              }
            }
            """,
        "tests/test_service.py": """
            from shop.service import order_total


            def test_empty_total():
                assert order_total([]) == 0
            """,
    })


def _repos(shop_repo: Path) -> list[Path]:
    return [example_repo_path(), shop_repo]


def _record(tmp_path: Path, repos: list[Path], task: str, **kw: Any) -> list[Any]:
    out = tmp_path / f"run-{task}"
    summary = record(RecordConfig(repos=[str(r) for r in repos], teacher="scripted", task=task, episodes=2,
                                  out=str(out), score=False, **kw))
    assert summary.recorded == 2 * len(repos) and summary.errors == 0, summary.to_json()
    return read_episodes(out / "trajectories.jsonl")


def _single_text_turn(ep: Any) -> str:
    """The episode is one turn, no tool calls, ended normally; returns its text."""
    assert ep.stop_reason == "end_turn" and not ep.errors and ep.tools == []
    assert len(ep.steps) == 1
    step = ep.steps[0]
    assert step.tool_calls == [] and step.tool_results == [] and step.stop_reason == "end_turn"
    return step.text


# -- SemanticWiki's handling of the planner answer (analyzeProjectWithLLM), as the checks need it ------------------

def sw_parse_plan(content: str) -> dict[str, Any]:
    """SemanticWiki's parse: trim, strip a leading/trailing code fence, JSON.parse."""
    text = content.strip()
    if text.startswith("```"):
        text = re.sub(r"\n?```$", "", re.sub(r"^```(?:json)?\n?", "", text))
    return json.loads(text)


def sw_validate(plan: dict[str, Any], existing: set[str]) -> list[dict[str, Any]]:
    """SemanticWiki's page validation: existing files only; pages without one dropped unless overview/guide."""
    kept = []
    for page in plan["pages"]:
        valid = [f for f in page.get("files") or [] if f in existing]
        if valid or page["type"] in ("overview", "guide"):
            kept.append({**page, "files": valid})
    return kept


def _prompt_range(prompt: str) -> tuple[int, int]:
    m = re.search(r"(?:Pages required|Required pages): (\d+)-(\d+)", prompt)
    assert m, prompt[:400]
    return int(m.group(1)), int(m.group(2))


def _check_plan(text: str, repo: Path, prompt: str) -> dict[str, Any]:
    plan = sw_parse_plan(text)
    assert text.strip().startswith("{"), "the prompt asks for JSON without a fence"
    assert set(plan) == {"projectType", "pages"} and isinstance(plan["projectType"], str) and plan["projectType"]
    listed = {f.path for f in project_files(repo)}
    lo, hi = _prompt_range(prompt)
    pages = plan["pages"]
    assert lo <= len(pages) <= hi, (lo, hi, len(pages))
    for page in pages:
        assert set(page) == {"title", "filename", "type", "context", "files"}
        assert page["type"] in SW_TYPES and page["filename"].endswith(".md") and "/" not in page["filename"]
        assert page["title"] and page["context"] and len(page["files"]) <= 8
        for f in page["files"]:
            assert f in listed and (repo / f).is_file(), f
        if page["type"] not in ("overview", "guide"):
            assert page["files"], page
    assert len({p["filename"] for p in pages}) == len(pages) and len({p["title"] for p in pages}) == len(pages)
    # SemanticWiki keeps every page, needs no top-up, and adds neither an overview nor a getting-started page.
    assert len(sw_validate(plan, listed)) == len(pages)
    assert any(p["type"] == "overview" for p in pages)
    assert any("getting started" in p["title"].lower() for p in pages)
    return plan


def _check_page(text: str, repo: Path, prompt: str, title: str, related: list[str]) -> int:
    assert len(text) > 200 and text.startswith(f"# {title}\n")
    assert make_source_references_clickable(text) == text, "SemanticWiki's post-processing would change the page"
    for section in ("## Key Components", "## How It Works"):
        assert section in text
    links = LINK.findall(text)
    assert links, "a page with pasted code cites it"
    for path, line, target, anchor in links:
        assert path == target and line == anchor
        lines = (repo / path).read_text(encoding="utf-8").split("\n")
        n = int(line)
        assert 1 <= n <= len(lines), (path, n)
        assert lines[n - 1] in prompt, f"{path}:{n} is not a line the prompt shows"
    # Only the related pages the prompt lists are linked.
    assert {t for _, t in MD_LINK.findall(text)} <= set(related)
    return len(links)


# -- recorded through the real path ------------------------------------------------------------------------------

def test_plan_recorded(tmp_path: Path, shop_repo: Path) -> None:
    eps = _record(tmp_path, _repos(shop_repo), "plan")
    for ep in eps:
        repo = Path(ep.repo.path)
        text = _single_text_turn(ep)
        plan = _check_plan(text, repo, ep.task.prompt)
        assert ep.wiki == {}  # the plan is an answer, not a page
        if repo.name == "shop":
            covered = {f for p in plan["pages"] for f in p["files"]}
            code = {"shop/models.py", "shop/storage.py", "shop/service.py", "shop/api.py", "shop/cli.py",
                    "web/src/client.ts", "web/src/types.ts"}
            assert code <= covered, code - covered
            assert "tests/test_service.py" in covered and "config/shop.yaml" in covered


def test_page_recorded(tmp_path: Path, shop_repo: Path) -> None:
    eps = _record(tmp_path, _repos(shop_repo), "page")
    for ep in eps:
        repo = Path(ep.repo.path)
        text = _single_text_turn(ep)
        page = ep.task.page
        related = [f"./{p['filename']}" for p in pattern_plan(repo) if p["filename"] != page["filename"]][:5]
        assert _check_page(text, repo, ep.task.prompt, page["title"], related) >= 3
        assert ep.wiki.get(page["filename"]) == text  # written raw, as SemanticWiki does


def test_index_recorded(tmp_path: Path, shop_repo: Path) -> None:
    eps = _record(tmp_path, _repos(shop_repo), "index")
    for ep in eps:
        repo = Path(ep.repo.path)
        text = _single_text_turn(ep)
        assert ep.wiki.get("index.md") == text and text.startswith("# ")
        planned = {f"./{p['filename']}" for p in pattern_plan(repo)}
        linked = {t for _, t in MD_LINK.findall(text)}
        assert linked == planned
        for section in ("## Overview", "## Components", "## Guides"):
            assert section in text
        assert "## API" not in text  # empty sections are left out


def test_index_over_a_teacher_plan(shop_repo: Path) -> None:
    """The index links every page of the teacher's own plan, grouped by the plan's types."""
    snap = open_repo(shop_repo)
    prompts = builtin_prompts()
    t = build_plan(prompts, snap.root)
    plan = sw_parse_plan(ScriptedTeacher(snap, seed=3).act([{"role": "user", "content": t.prompt}], [], t.system).text)
    idx = build_index(prompts, "shop", plan["pages"])
    text = ScriptedTeacher(snap, seed=3).act([{"role": "user", "content": idx.prompt}], [], idx.system).text
    assert {t for _, t in MD_LINK.findall(text)} == {f"./{p['filename']}" for p in plan["pages"]}
    assert "## Guides" in text and "config" not in {m for m in re.findall(r"^## (\w+)", text, re.MULTILINE)}


# -- prompt shapes beyond the recorder's ---------------------------------------------------------------------------

def test_rag_chunk_headers_cite_the_chunk_lines(shop_repo: Path) -> None:
    """SemanticWiki's RAG context (`### kind: name (path:start)` and `### path:start-end` chunks, one cut off
    mid-line) maps every link to the file's own line numbers inside the chunks shown."""
    service = (shop_repo / "shop/service.py").read_text().split("\n")
    storage = (shop_repo / "shop/storage.py").read_text().split("\n")
    s_start = next(i for i, ln in enumerate(service, 1) if ln.startswith("def checkout"))
    chunk = "\n".join(service[s_start - 1:s_start + 5])
    st_start = next(i for i, ln in enumerate(storage, 1) if ln.startswith("class OrderStore"))
    cut = "\n".join(storage[st_start - 1:])[:200]  # ends mid-line, as content.slice(0, 1500) can
    context = (f"\n### function: checkout (shop/service.py:{s_start})\n**Documentation:** Validate the cart...\n\n"
               f"**Signature:** `def checkout(store, lines)`\n```python\n{chunk}\n```\n"
               f"\n### shop/storage.py:{st_start}-{len(storage)}\n```python\n{cut}\n```\n")
    prompt = builtin_prompts().render("page", {"title": "Checkout", "page_type": "component",
                                                   "source_context": context,
                                                   "related_links": "- [Storage](./storage.md)"})
    shown = {("shop/service.py", s_start + k) for k in range(6)}
    full = cut.split("\n")[:-1]  # the cut-off last line is not shown whole
    shown |= {("shop/storage.py", st_start + k) for k in range(len(full))}
    text = ScriptedTeacher(open_repo(shop_repo), seed=0).act([{"role": "user", "content": prompt}], [], "").text
    _check_page(text, shop_repo, prompt, "Checkout", ["./storage.md"])
    cited = {(p, int(n)) for p, n, _, _ in LINK.findall(text)}
    assert cited and cited <= shown, cited - shown
    assert ("shop/service.py", s_start) in cited and ("shop/storage.py", st_start) in cited
    assert "- [Storage](./storage.md)" in text


def test_page_without_source_code(shop_repo: Path) -> None:
    prompts = builtin_prompts()
    task = build_page(prompts, shop_repo, {"title": "Deployment", "filename": "deployment.md", "type": "guide",
                                           "sourceFiles": ["missing.py"]}, [])
    turn = ScriptedTeacher(open_repo(shop_repo), seed=1).act([{"role": "user", "content": task.prompt}], [], "")
    assert not turn.tool_calls and turn.stop_reason == "end_turn"
    assert turn.text.startswith("# Deployment\n") and len(turn.text) > 200 and "📄" not in turn.text


def test_tiny_and_empty_repositories_still_get_the_minimum(tmp_path: Path) -> None:
    for name, files in {"one": {"main.py": "def main():\n    return 1\n"}, "empty": {}}.items():
        root = _write(tmp_path / name, files)
        (root).mkdir(exist_ok=True)
        t = build_plan(builtin_prompts(), root)
        text = ScriptedTeacher(open_repo(root), seed=0).act([{"role": "user", "content": t.prompt}], [], "").text
        _check_plan(text, root, t.prompt)


def test_other_prompts_without_tools_get_text(shop_repo: Path) -> None:
    teacher = ScriptedTeacher(open_repo(shop_repo), seed=0)
    for prompt in ("Summarise this repository in one paragraph.", ""):
        turn = teacher.act([{"role": "user", "content": prompt}], [], "You are helpful.")
        assert turn.tool_calls == [] and turn.stop_reason == "end_turn" and turn.text
    # The tool loop still works afterwards on the same teacher.
    turn = teacher.act([{"role": "user", "content": "Write a documentation wiki."}],
                       [{"name": "directory_tree"}, {"name": "read_file"}, {"name": "write_wiki_page"}], "")
    assert turn.tool_calls


def test_seeds_vary_and_repeat(shop_repo: Path) -> None:
    snap = open_repo(shop_repo)
    prompts = builtin_prompts()
    pages = pattern_plan(shop_repo)
    tasks = [build_plan(prompts, shop_repo), build_page(prompts, shop_repo, pages[1], pages),
             build_index(prompts, "shop", pages)]
    for task in tasks:
        msgs = [{"role": "user", "content": task.prompt}]
        texts = [ScriptedTeacher(snap, seed=s).act(msgs, [], task.system).text for s in range(6)]
        assert len(set(texts)) > 1, task.spec.kind
        assert ScriptedTeacher(snap, seed=2).act(msgs, [], task.system).text == texts[2]


@pytest.mark.skipif(not SW_MIRROR.exists(), reason="SemanticWiki's mirror is not on this machine")
def test_semanticwiki_prompt_wording(tmp_path: Path, shop_repo: Path) -> None:
    """The same answers from SemanticWiki's own prompt text (`--prompts-from`)."""
    prompts = load_prompts(SW_MIRROR)
    snap = open_repo(shop_repo)
    t = build_plan(prompts, shop_repo)
    assert "Required pages" in t.prompt
    _check_plan(ScriptedTeacher(snap, seed=0).act([{"role": "user", "content": t.prompt}], [], t.system).text,
                shop_repo, t.prompt)
    pages = pattern_plan(shop_repo)
    for page in pages:
        task = build_page(prompts, shop_repo, page, pages)
        assert task.prompt.startswith("# Documentation Task:")
        text = ScriptedTeacher(snap, seed=1).act([{"role": "user", "content": task.prompt}], [], task.system).text
        related = [f"./{p['filename']}" for p in pages if p["filename"] != page["filename"]][:5]
        _check_page(text, shop_repo, task.prompt, page["title"], related)
        assert "## Related Documentation" in text
    idx = build_index(prompts, "shop", pages)
    text = ScriptedTeacher(snap, seed=1).act([{"role": "user", "content": idx.prompt}], [], idx.system).text
    assert {t for _, t in MD_LINK.findall(text)} == {f"./{p['filename']}" for p in pages}


def test_cli_plan_on_example_repo(tmp_path: Path) -> None:
    out = tmp_path / "x"
    res = CliRunner().invoke(app, ["record", "--repo", str(example_repo_path()), "--teacher", "scripted", "--task",
                                   "plan", "--episodes", "1", "--out", str(out), "--no-score"])
    assert res.exit_code == 0, res.output
    assert "0 tool calls" in res.output
    (ep,) = read_episodes(out / "trajectories.jsonl")
    _check_plan(_single_text_turn(ep), example_repo_path(), ep.task.prompt)
