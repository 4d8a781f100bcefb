"""The scripted teacher end to end: real loop, real sandbox tools, real verifier, on repositories it has never seen.

Repositories: the bundled example repo, three small ones written here (Python-only, TypeScript-only, Go), and real
code nobody here wrote, copied into tmp: the standard library's `json` package and `click` from site-packages. Each
episode runs through `record.run_episode` (SemanticWiki's direct loop with verification passes, the scripted teacher,
scoring with the trajectory), so what is checked is what `wikigym record` produces.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from wikigym.repos import example_repo_path, open_repo
from wikigym.simulator.policies.scripted import ScriptedTeacher
from wikigym.simulator.record import EpisodeJob, RecordConfig, run_episode
from wikigym.simulator.teacher import mermaid
from wikigym.simulator.teacher.protocol import (
    parse_page_list,
    parse_search,
    parse_tree,
    parse_update_prompt,
    parse_verify,
    resolve,
)
from wikigym.tools.context import ToolContext, ToolResult
from wikigym.tools.toolset import ToolSet, tool_schemas
from wikigym.verifier import verify_wiki
from wikigym.verifier.wiki import Wiki

CITE = re.compile(r"`([A-Za-z0-9/_.-]+):(\d+)(?:-(\d+))?`")
SOURCE = re.compile(r"\*\*Source:\*\* \[`([A-Za-z0-9/_.-]+):(\d+)-(\d+)`\]\(([^)]+)\)\n\n(`{3,})(\w*)\n(.*?)\n\5",
                    re.DOTALL)


# -- repositories the teacher has never seen ------------------------------------------------------------------------

def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def python_repo(root: Path) -> Path:
    return _write(root, {
        "README.md": """
            # Ledger

            Ledger keeps double-entry accounts for small shops and prints monthly balance reports.
            """,
        "pyproject.toml": """
            [project]
            name = "ledger"
            version = "0.1.0"
            dependencies = [
              "pyyaml>=6",
            ]

            [project.scripts]
            ledger = "ledger.cli:main"
            """,
        "ledger/__init__.py": '''
            """Double-entry bookkeeping: accounts, journal entries and balance reports."""
            from ledger.accounts import Account
            from ledger.journal import Journal
            ''',
        "ledger/accounts.py": '''
            """Accounts and their kinds (asset, liability, income, expense)."""


            class Account:
                """A named account with a running balance in cents."""

                def __init__(self, name: str, kind: str) -> None:
                    self.name = name
                    self.kind = kind
                    self.balance = 0

                def post(self, amount: int) -> None:
                    """Add a signed amount to the balance."""
                    self.balance += amount


            class AssetAccount(Account):
                """An account whose balance grows with debits."""

                def __init__(self, name: str) -> None:
                    super().__init__(name, "asset")


            class IncomeAccount(Account):
                """An account whose balance grows with credits."""

                def __init__(self, name: str) -> None:
                    super().__init__(name, "income")
            ''',
        "ledger/journal.py": '''
            """The journal: balanced entries posted to accounts."""
            from ledger.accounts import Account


            class UnbalancedEntry(Exception):
                """Raised when an entry's debits and credits differ."""


            def check_balanced(lines: list[tuple[Account, int]]) -> None:
                """Refuse entries whose amounts do not sum to zero."""
                total = sum(amount for _, amount in lines)
                if total != 0:
                    raise UnbalancedEntry(f"entry is off by {total}")


            class Journal:
                """Records entries and posts them to their accounts."""

                def __init__(self) -> None:
                    self.entries: list[list[tuple[Account, int]]] = []

                def record(self, lines: list[tuple[Account, int]]) -> None:
                    """Validate and post one entry."""
                    check_balanced(lines)
                    for account, amount in lines:
                        account.post(amount)
                    self.entries.append(lines)
            ''',
        "ledger/report.py": '''
            """Balance reports rendered as plain-text tables."""
            from ledger.accounts import Account


            def format_cents(value: int) -> str:
                """Render cents as a decimal amount."""
                return f"{value / 100:.2f}"


            def render_report(accounts: list[Account]) -> str:
                """One line per account, then the total."""
                rows = [f"{a.name:<20} {format_cents(a.balance):>12}" for a in accounts]
                total = sum(a.balance for a in accounts)
                rows.append(f"{'total':<20} {format_cents(total):>12}")
                return "\\n".join(rows)
            ''',
        "ledger/cli.py": '''
            """Command line entry point: post a sample entry and print the report."""
            import sys

            from ledger.accounts import AssetAccount, IncomeAccount
            from ledger.journal import Journal
            from ledger.report import render_report


            def main(argv: list[str] | None = None) -> int:
                """Run the demo ledger."""
                cash = AssetAccount("cash")
                sales = IncomeAccount("sales")
                journal = Journal()
                journal.record([(cash, 1250), (sales, -1250)])
                print(render_report([cash, sales]))
                return 0


            if __name__ == "__main__":
                sys.exit(main())
            ''',
        "tests/test_journal.py": '''
            import pytest

            from ledger.accounts import AssetAccount, IncomeAccount
            from ledger.journal import Journal, UnbalancedEntry


            def test_unbalanced_entry_is_refused():
                with pytest.raises(UnbalancedEntry):
                    Journal().record([(AssetAccount("cash"), 5), (IncomeAccount("sales"), -4)])
            ''',
    })


def ts_repo(root: Path) -> Path:
    return _write(root, {
        "package.json": """
            {
              "name": "tasks-api",
              "version": "1.0.0",
              "scripts": {
                "build": "tsc -p .",
                "test": "vitest run"
              },
              "dependencies": {
                "express": "^4.19.0"
              }
            }
            """,
        "src/index.ts": """
            /**
             * Entry point: builds the task service and starts the HTTP server.
             */
            import { TaskService } from './services/task-service';
            import { MemoryStore } from './store/memory-store';
            import { createServer } from './http/server';

            export function main(port: number): void {
              const service = new TaskService(new MemoryStore());
              const server = createServer(service);
              server.listen(port);
            }
            """,
        "src/models/task.ts": """
            /** A unit of work with a title and a completion flag. */
            export interface Task {
              id: string;
              title: string;
              done: boolean;
            }

            /** Validate a title before a task is created. */
            export function validateTitle(title: string): string {
              const trimmed = title.trim();
              if (trimmed.length === 0) {
                throw new Error('title must not be empty');
              }
              return trimmed;
            }
            """,
        "src/store/memory-store.ts": """
            import { Task } from '../models/task';

            /** Keeps tasks in a Map; good for tests and demos. */
            export class MemoryStore {
              private tasks = new Map<string, Task>();

              save(task: Task): Task {
                this.tasks.set(task.id, task);
                return task;
              }

              all(): Task[] {
                return [...this.tasks.values()];
              }
            }
            """,
        "src/services/task-service.ts": """
            import { Task, validateTitle } from '../models/task';
            import { MemoryStore } from '../store/memory-store';

            /** Business rules for creating and completing tasks. */
            export class TaskService {
              private nextId = 1;

              constructor(private store: MemoryStore) {}

              create(title: string): Task {
                const task = { id: String(this.nextId++), title: validateTitle(title), done: false };
                return this.store.save(task);
              }

              list(): Task[] {
                return this.store.all();
              }
            }
            """,
        "src/http/server.ts": """
            import { TaskService } from '../services/task-service';

            /** A tiny router over the task service. */
            export function createServer(service: TaskService) {
              const routes = new Map<string, (body: any) => unknown>();
              routes.set('POST /tasks', (body) => service.create(body.title));
              routes.set('GET /tasks', () => service.list());
              return {
                listen(port: number) {
                  return { port, routes: [...routes.keys()] };
                },
              };
            }
            """,
    })


def go_repo(root: Path) -> Path:
    return _write(root, {
        "go.mod": """
            module example.com/shorty

            go 1.22
            """,
        "cmd/shorty/main.go": """
            // Command shorty runs the URL shortener.
            package main

            import (
            \t"fmt"

            \t"example.com/shorty/internal/codec"
            \t"example.com/shorty/internal/store"
            )

            func main() {
            \ts := store.New()
            \tcode := codec.Encode(s.Next())
            \ts.Put(code, "https://example.com")
            \tfmt.Println(code)
            }
            """,
        "internal/codec/codec.go": """
            // Package codec turns numeric ids into short codes.
            package codec

            const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

            // Encode writes n in base 36.
            func Encode(n int) string {
            \tif n == 0 {
            \t\treturn "a"
            \t}
            \tout := ""
            \tfor n > 0 {
            \t\tout = string(alphabet[n%36]) + out
            \t\tn /= 36
            \t}
            \treturn out
            }
            """,
        "internal/store/store.go": """
            // Package store keeps short codes and their targets in memory.
            package store

            import "sync"

            // Store maps codes to URLs.
            type Store struct {
            \tmu   sync.Mutex
            \turls map[string]string
            \tnext int
            }

            // New returns an empty store.
            func New() *Store {
            \treturn &Store{urls: map[string]string{}}
            }

            // Next reserves the next id.
            func (s *Store) Next() int {
            \ts.mu.Lock()
            \tdefer s.mu.Unlock()
            \ts.next++
            \treturn s.next
            }

            // Put saves a code.
            func (s *Store) Put(code, url string) {
            \ts.mu.Lock()
            \tdefer s.mu.Unlock()
            \ts.urls[code] = url
            }
            """,
    })


def stdlib_json_repo(root: Path) -> Path:
    """The standard library's `json` package: real code that nobody on this project wrote."""
    shutil.copytree(Path(json.__file__).parent, root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def click_repo(root: Path) -> Path:
    """`click` from site-packages (installed with typer): 12,000+ lines of real third-party code."""
    import click

    shutil.copytree(Path(click.__file__).parent, root / "click", ignore=shutil.ignore_patterns("__pycache__"))
    return root


REPOS = {
    "python": python_repo,
    "typescript": ts_repo,
    "go": go_repo,
    "stdlib-json": stdlib_json_repo,
    "click": click_repo,
}


# -- helpers ----------------------------------------------------------------------------------------------------------

def _episode(repo: Path, out: Path, task: str = "generate", mode: str = "direct", seed: int = 0):
    cfg = RecordConfig(repos=[str(repo)], out=str(out), task=task, mode=mode, seed=seed,
                       now="2026-01-02T03:04:05.678Z")
    job = EpisodeJob(episode_id="ep", source=str(repo), index=0, seed=seed, snapshot=open_repo(repo))
    return run_episode(cfg, job)


def _check_citations(wiki: dict[str, str], repo: Path) -> list[str]:
    """Every backticked `path:a-b` is in range, and every Source snippet is exactly the cited lines."""
    problems = []
    for page, text in wiki.items():
        body = Wiki.from_files({page: text}).pages[0]
        for n, line in body.prose:
            for m in CITE.finditer(line):
                path, a, b = m.group(1), int(m.group(2)), int(m.group(3) or m.group(2))
                f = repo / path
                if not f.is_file():
                    problems.append(f"{page}:{n} cites missing {path}")
                    continue
                count = len(f.read_text(encoding="utf-8").split("\n"))
                if not 1 <= a <= b <= count:
                    problems.append(f"{page}:{n} cites {path}:{a}-{b} but the file has {count} lines")
        for m in SOURCE.finditer(text):
            path, a, b, target, code = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4), m.group(7)
            lines = (repo / path).read_text(encoding="utf-8").split("\n")[a - 1:b]
            if code != "\n".join(x.rstrip("\r") for x in lines):
                problems.append(f"{page}: snippet of {path}:{a}-{b} differs from the file")
            if not target.endswith(f"{path}#L{a}-L{b}") or not target.startswith("../"):
                problems.append(f"{page}: source link {target} does not point at {path}#L{a}-L{b}")
            if not m.group(6):
                problems.append(f"{page}: snippet of {path} has no language tag")
    return problems


def _calls(ep) -> list[tuple[str, dict[str, Any], str]]:
    out = []
    for step in ep.steps:
        results = {r.tool_use_id: r.output for r in step.tool_results}
        for c in step.tool_calls:
            out.append((c.name.split("__")[-1], c.arguments or {}, results.get(c.id, "")))
    return out


# -- end to end -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["example", *REPOS])
def test_generate_scores_high_on_unseen_repos(name: str, tmp_path: Path) -> None:
    repo = example_repo_path() if name == "example" else REPOS[name](tmp_path / name)
    ep = _episode(repo, tmp_path / "run")
    assert ep.stop_reason == "end_turn", ep.errors
    assert ep.score is not None
    checks = ep.score["checks"]
    assert ep.score["reward"] >= 0.9, {k: (v["score"], v["findings"][:3]) for k, v in checks.items()}
    assert checks["links"]["stats"]["broken_links"] == 0
    assert checks["citations"]["stats"]["valid"] == checks["citations"]["stats"]["total"] > 0
    assert checks["mermaid"]["stats"]["valid"] == checks["mermaid"]["stats"]["diagrams"] >= 3
    pages = [p for p in ep.wiki if p.endswith(".md")]
    for expected in ("README.md", "architecture/overview.md", "architecture/data-flow.md",
                     "guides/getting-started.md", "glossary.md"):
        assert expected in pages
    assert any(re.fullmatch(r"components/[^/]+/index\.md", p) for p in pages)
    assert _check_citations(ep.wiki, repo) == []
    # A sane budget: turns, and calls per written page.
    assert len(ep.steps) < 60
    assert sum(len(s.tool_calls) for s in ep.steps) / len(pages) < 20
    # The episode ends with a short final text and no tool calls.
    assert ep.steps[-1].tool_calls == [] and ep.steps[-1].stop_reason == "end_turn" and ep.steps[-1].text


def test_sdk_mode_uses_prefixed_names_and_frontmatter(tmp_path: Path) -> None:
    repo = ts_repo(tmp_path / "ts")
    ep = _episode(repo, tmp_path / "run", mode="sdk")
    assert ep.score["reward"] >= 0.9
    names = {c.name for s in ep.steps for c in s.tool_calls}
    assert names and all(n.startswith(("mcp__semanticwiki__", "mcp__filesystem__")) for n in names)
    writes = [c.arguments for s in ep.steps for c in s.tool_calls if c.name == "mcp__semanticwiki__write_wiki_page"]
    assert writes and all(set(w["frontmatter"]) >= {"description", "sources"} for w in writes)
    assert all("description" not in w for w in writes)  # SDK write takes frontmatter, not top-level keys


def test_every_cited_file_was_read_before_the_page_was_written(tmp_path: Path) -> None:
    repo = python_repo(tmp_path / "py")
    ep = _episode(repo, tmp_path / "run", seed=3)
    read: set[str] = set()
    for name, args, output in _calls(ep):
        if name == "read_file" and not output.startswith("Error"):
            read.add(args["path"])
        if name == "write_wiki_page":
            cited = {m.group(1) for m in CITE.finditer(args["content"])}
            assert cited <= read, f"{args['pagePath']} cites unread files {sorted(cited - read)}"
            assert set(args["sources"]) <= read and args["description"]


def test_continue_writes_only_the_missing_pages(tmp_path: Path) -> None:
    repo = go_repo(tmp_path / "go")
    ep = _episode(repo, tmp_path / "run", task="continue", seed=2)
    assert ep.stop_reason == "end_turn"
    missing = ep.task.missing_pages
    assert missing
    written = [args["pagePath"] for name, args, _ in _calls(ep) if name == "write_wiki_page"]
    assert sorted(written) == sorted(missing)
    first = [name for name, _, _ in _calls(ep)][:2]
    assert first == ["list_wiki_pages", "verify_wiki_completeness"]
    assert ep.score["checks"]["links"]["stats"]["broken_links"] == 0
    assert ep.score["reward"] >= 0.9


def test_continue_in_sdk_mode(tmp_path: Path) -> None:
    ep = _episode(example_repo_path(), tmp_path / "run", task="continue", mode="sdk", seed=5)
    assert ep.stop_reason == "end_turn"
    written = [args["pagePath"] for name, args, _ in _calls(ep) if name == "write_wiki_page"]
    assert sorted(written) == sorted(ep.task.missing_pages)
    assert ep.score["checks"]["links"]["stats"]["broken_links"] == 0 and ep.score["reward"] >= 0.9


def test_same_seed_same_episode_other_seed_differs(tmp_path: Path) -> None:
    repo = python_repo(tmp_path / "py")

    def trace(seed: int, out: str) -> list[tuple[str, str]]:
        ep = _episode(repo, tmp_path / out, seed=seed)
        return [(c.name, json.dumps(c.arguments, sort_keys=True)) for s in ep.steps for c in s.tool_calls]

    a, b, c = trace(0, "a"), trace(0, "b"), trace(1, "c")
    assert a == b
    assert a != c
    def pages(t: list[tuple[str, str]]) -> list[str]:
        return [json.loads(args)["pagePath"] for n, args in t if n == "write_wiki_page"]

    assert sorted(pages(a)) == sorted(pages(c))  # same wiki tree, different route or wording


# -- the policy on its own, with tool failures injected ----------------------------------------------------------

class _FaultyTools:
    """The real direct ToolSet, except that chosen calls fail the way SemanticWiki reports failures."""

    def __init__(self, repo: Path, wiki: Path, fail_read: str, fail_first_write: str):
        self.tools = ToolSet(ToolContext(repo_root=repo, wiki_root=wiki), "direct")
        self.fail_read = fail_read
        self.fail_first_write = fail_first_write
        self.write_attempts: dict[str, int] = {}

    def call(self, name: str, args: dict[str, Any]) -> ToolResult:
        if name == "read_file" and args.get("path") == self.fail_read:
            return ToolResult(f"Error: File not found: {self.fail_read}")
        if name == "write_wiki_page":
            n = self.write_attempts[args["pagePath"]] = self.write_attempts.get(args["pagePath"], 0) + 1
            if args["pagePath"] == self.fail_first_write and n == 1:
                return ToolResult("Error executing write_wiki_page: EACCES: permission denied")
        return self.tools.call(name, args)


def _drive(teacher: ScriptedTeacher, tools: Any, prompt: str, mode: str = "direct", limit: int = 80):
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    for _ in range(limit):
        turn = teacher.act(messages, tool_schemas(mode), "system")
        content = ([{"type": "text", "text": turn.text}] if turn.text else []) + [
            {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in turn.tool_calls]
        messages.append({"role": "assistant", "content": content})
        if not turn.tool_calls:
            assert turn.stop_reason == "end_turn"
            return messages
        results = []
        for c in turn.tool_calls:
            r = tools.call(c.name, c.arguments)
            block = {"type": "tool_result", "tool_use_id": c.id, "content": r.text}
            if r.is_error:
                block["is_error"] = True
            results.append(block)
        messages.append({"role": "user", "content": results})
    raise AssertionError("the teacher did not finish")


def test_adapts_to_a_failed_read_and_a_failed_write(tmp_path: Path) -> None:
    repo = python_repo(tmp_path / "py")
    wiki = tmp_path / "wiki"
    tools = _FaultyTools(repo, wiki, fail_read="ledger/report.py", fail_first_write="glossary.md")
    _drive(ScriptedTeacher(open_repo(repo), seed=1), tools, "Generate a wiki for this repository.")
    assert tools.write_attempts["glossary.md"] == 2  # retried after the failure
    text = "\n".join(p.read_text() for p in wiki.rglob("*.md"))
    assert "ledger/report.py:" not in text  # never cites a file whose read failed
    assert "✅" in ToolSet(ToolContext(repo_root=repo, wiki_root=wiki), "direct").call(
        "verify_wiki_completeness", {}).text


def test_fresh_verification_conversation_recreates_a_deleted_page(tmp_path: Path) -> None:
    repo = ts_repo(tmp_path / "ts")
    wiki = tmp_path / "wiki"
    tools = ToolSet(ToolContext(repo_root=repo, wiki_root=wiki), "direct")
    teacher = ScriptedTeacher(open_repo(repo), seed=4)
    _drive(teacher, tools, "Generate a wiki for this repository.")
    (wiki / "architecture" / "data-flow.md").unlink()
    # SemanticWiki's verification pass: a fresh conversation listing targets as written on the linking page.
    prompt = "Keep writing the wiki. These pages are linked but do not exist yet:\n\n- ./data-flow.md\n\nWrite them."
    messages = _drive(teacher, tools, prompt)
    assert (wiki / "architecture" / "data-flow.md").is_file()
    assert "All internal links are valid" in tools.call("verify_wiki_completeness", {}).text
    assert len(messages) < 12


# -- pieces -----------------------------------------------------------------------------------------------------------

def test_mermaid_builders_survive_hostile_names() -> None:
    from wikigym.verifier.mermaid import MermaidValidator

    validator = MermaidValidator()
    if not validator.available:
        pytest.skip(f"Node/mermaid not installed: {validator.error}")
    diagrams = [
        mermaid.flowchart([("end", 'say "hi" [x] (y)'), ("graph", "a|b;c"), ("a/b.py", "`tick` #1")],
                          [("end", "graph", 'imports "x"'), ("graph", "a/b.py", ""), ("a/b.py", "end", "calls")],
                          direction="TD"),
        mermaid.sequence([("x.py", "x.py"), ("a b/c-d.ts", "a b/c-d.ts; drop"), ("end", "end")],
                         [("x.py", "a b/c-d.ts", "run(); DROP #1", False), ("a b/c-d.ts", "end", "go->>", False),
                          ("end", "x.py", "done: ok", True)]),
        mermaid.class_diagram([("Store", ["get", "put", "__init__"]), ("MemoryStore", ["get"]), ("end", []),
                               ("bad-name", ["x"])], [("Store", "MemoryStore")]),
    ]
    results = validator.validate([d for d in diagrams if d])
    assert all(r.ok for r in results), [r.error for r in results]


def test_protocol_parsers_read_both_report_variants() -> None:
    direct = ("# Wiki Completeness Report\n\nTotal pages: 5\nMissing pages: 2\nBroken links: 2\n\n"
              "❌ Missing Pages (MUST CREATE):\n\n"
              "- ../guides/getting-started.md (referenced from architecture/overview.md)\n"
              "- components/auth.md (referenced from README.md)")
    sdk = ("# Wiki Completeness Report\n\n**Total pages:** 8\n**Referenced pages:** 3\n**Missing pages:** 1\n"
           "**Broken links:** 1\n\n## ❌ Missing Pages (MUST CREATE)\n\n### ./db/index.md\nReferenced by:\n"
           "- `components/auth/index.md` (link text: \"DB\")\n")
    n, pairs = parse_verify(direct)
    assert n == 2 and [resolve(s, t) for t, s in pairs] == ["guides/getting-started.md", "components/auth.md"]
    n, pairs = parse_verify(sdk)
    assert n == 1 and [resolve(s, t) for t, s in pairs] == ["components/auth/db/index.md"]
    assert parse_verify("✅ All internal links are valid!\nBroken links: 0")[0] == 0
    assert parse_page_list("Wiki Pages (2 total):\n- README.md\n- a/b.md") == ["README.md", "a/b.md"]
    assert parse_page_list("# Wiki Pages (1 total)\n\n- `a/b.md` - B") == ["a/b.md"]
    assert parse_search("### Result 1 (score: 0.033)\n**Source:** `src/a.ts:1-12`\n") == [("src/a.ts", 1, 12)]
    tree = "├── src\n│   ├── a.ts\n│   └── lib\n│       └── b.ts\n└── README.md\n"
    assert parse_tree(tree) == [("src", True), ("src/a.ts", False), ("src/lib", True), ("src/lib/b.ts", False),
                                ("README.md", False)]
    assert parse_tree('[{"name": "src", "type": "directory", "children": [{"name": "a.ts", "type": "file"}]}]') == [
        ("src", True), ("src/a.ts", False)]


def test_unknown_mode_is_refused() -> None:
    from wikigym.errors import UnknownMode

    with pytest.raises(UnknownMode):
        ScriptedTeacher(open_repo(example_repo_path()), mode="fs-mcp")


def test_verifier_agrees_on_a_wiki_written_without_the_loop(tmp_path: Path) -> None:
    """The policy driven by a bare loop (no verification passes) already leaves a complete wiki."""
    repo = stdlib_json_repo(tmp_path / "stdlib")
    wiki = tmp_path / "wiki"
    _drive(ScriptedTeacher(open_repo(repo), seed=7, mode="sdk"),
           ToolSet(ToolContext(repo_root=repo, wiki_root=wiki), "sdk"), "Generate a wiki.", mode="sdk")
    score = verify_wiki(wiki, open_repo(repo))
    assert score.reward >= 0.9 and score.checks["links"].score == 1.0


def test_update_rewrites_affected_pages_against_the_new_code(tmp_path: Path) -> None:
    import subprocess

    repo = python_repo(tmp_path / "py")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                       capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-qm", "base")
    report = repo / "ledger" / "report.py"  # shift every line of report.py and add a new module
    report.write_text('"""Balance reports rendered as plain-text tables."""\n# Columns: name, amount.\n\n'
                      + report.read_text().split("\n", 1)[1])
    (repo / "ledger" / "budget.py").write_text('"""Monthly budgets per account."""\n\n\ndef over_budget(balance: int, '
                                               'limit: int) -> bool:\n    """True when spending passed the limit."""\n'
                                               '    return balance > limit\n')
    git("add", ".")
    git("commit", "-qm", "head")
    ep = _episode(repo, tmp_path / "run", task="update", seed=1)
    assert ep.stop_reason == "end_turn", ep.errors
    affected, to_create = parse_update_prompt(ep.task.prompt)
    assert to_create == ["ledger.md"] and "components/report/index.md" in affected  # SemanticWiki's naming
    written = [args["pagePath"] for name, args, _ in _calls(ep) if name == "write_wiki_page"]
    assert set(written) == set(affected) | {"ledger.md", "README.md"}  # rewrites, the new page, the hub linking it
    assert "](./ledger.md)" in ep.wiki["README.md"]
    assert _check_citations(ep.wiki, repo) == []
    assert ep.score["checks"]["links"]["stats"]["broken_links"] == 0 and ep.score["reward"] >= 0.9


def test_fast_forward_continues_a_forked_episode_without_redoing_work(tmp_path: Path) -> None:
    """A fork replays the first steps of an episode, then hands the conversation to a fresh teacher."""
    repo = python_repo(tmp_path / "py")
    ep = _episode(repo, tmp_path / "run", seed=2)
    at = len(ep.steps) // 2
    wiki = tmp_path / "fork"
    tools = ToolSet(ToolContext(repo_root=repo, wiki_root=wiki), "direct")
    messages: list[dict[str, Any]] = [{"role": "user", "content": ep.task.prompt}]
    prefix_writes = []
    for step in ep.steps[:at]:  # replay the prefix through the real tools, as ReplayPolicy does
        messages.append({"role": "assistant", "content": [{"type": "text", "text": step.text}] + [
            {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in step.tool_calls]})
        results = []
        for c in step.tool_calls:
            out = tools.call(c.name, c.arguments).text
            results.append({"type": "tool_result", "tool_use_id": c.id, "content": out})
            if c.name == "write_wiki_page":
                prefix_writes.append(c.arguments["pagePath"])
        messages.append({"role": "user", "content": results})
    teacher = ScriptedTeacher(open_repo(repo), seed=9)
    teacher.fast_forward(ep.steps[:at])
    later_writes = []
    for _ in range(40):
        turn = teacher.act(messages, tool_schemas("direct"), "system")
        messages.append({"role": "assistant", "content": [
            {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in turn.tool_calls]})
        if not turn.tool_calls:
            break
        later_writes += [c.arguments["pagePath"] for c in turn.tool_calls if c.name == "write_wiki_page"]
        assert not any(c.name == "directory_tree" for c in turn.tool_calls)  # the prefix already explored
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": c.id, "content": tools.call(c.name, c.arguments).text}
            for c in turn.tool_calls]})
    assert prefix_writes and later_writes and not set(prefix_writes) & set(later_writes)
    assert "All internal links are valid" in tools.call("verify_wiki_completeness", {}).text
