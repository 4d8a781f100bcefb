"""The offline scripted teacher: a deterministic, seeded policy that writes a grounded SemanticWiki wiki with tools.

`ScriptedTeacher` needs no API key. It plays SemanticWiki's agent through the real tool loop, one assistant turn per
`act` call: it maps the repository (`directory_tree`), reads the README and manifests and searches for the main
concepts, then for each planned page searches, reads every file it will cite and analyses the central file, and
writes the page (`write_wiki_page`, always with `description` and `sources`; in SDK mode with
`frontmatter: {description, sources, related}`); finally it runs `verify_wiki_completeness`, creates any page the
report names, verifies again, and ends with a short text and no tool calls. Several calls may share one turn
(SemanticWiki runs them in order). `continue` tasks (and the loop's fresh verification conversations) list the
existing pages, run the completeness check, and write only the missing pages; `update` tasks rewrite the affected
pages from the current code, write the pages to create, and relink the README. A fork hands the teacher the replayed
prefix through `fast_forward(steps)`, so it neither re-explores nor rewrites pages.

Offered no tools (SemanticWiki's `--full-local` page-by-page mode: the `plan`, `page` and `index` tasks), it answers
the single turn with text only and stops (`end_turn`): the planner prompt gets JSON in SemanticWiki's schema over the
prompt's own file list (`teacher.local_plan`), a page prompt gets a Markdown page citing only the lines pasted into it
(`teacher.local_page`), the index prompt gets `index.md` linking every listed page (`teacher.local_index`); the task
is read from `task` or recognised from the prompt (`teacher.local_prompts`), and any other prompt without tools gets
a short plain answer.

It plans from the `RepoSnapshot` (tree-sitter symbols, import graph, line numbers) but cites only what a `read_file`
result in the conversation contains: every `path:start-end` is checked against that text before a page is written.
Tool failures are read from the results: a failed read drops that file's citations, a failed write is retried once,
a failed search is skipped. The seed varies the exploration order, search queries, page order and phrasing; the same
seed on the same repository gives the same episode.

What it deliberately does not do: judgement a model would add (the prose is templated around docstrings, names and
graph facts; an update rewrites whole affected pages rather than editing sections), or calling tools itself (the
loop does).

Example:
    >>> teacher = ScriptedTeacher(open_repo("path/to/repo"), seed=1, mode="direct")  # doctest: +SKIP
    >>> AgentLoop(teacher, sandbox, prompts).run(build_generate(prompts, "direct", repo, "wiki"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from wikigym.errors import UnknownMode
from wikigym.simulator.policy import AssistantTurn
from wikigym.simulator.teacher.facts import CITABLE_PATH, RepoFacts
from wikigym.simulator.teacher.local_index import write_index
from wikigym.simulator.teacher.local_page import PageWriter
from wikigym.simulator.teacher.local_plan import build_plan as build_local_plan
from wikigym.simulator.teacher.local_prompts import (
    detect_local_task,
    parse_index_prompt,
    parse_page_prompt,
    parse_plan_prompt,
)
from wikigym.simulator.teacher.phrasing import Phraser
from wikigym.simulator.teacher.planner import PageSpec, WikiPlan, plan_wiki, topic_page
from wikigym.simulator.teacher.protocol import (
    ToolNames,
    is_error,
    parse_list_dir,
    parse_missing_prompt,
    parse_page_list,
    parse_search,
    parse_tree,
    parse_update_prompt,
    parse_verify,
    resolve,
    result_text,
)
from wikigym.simulator.teacher.writer import WriteContext, compose
from wikigym.trajectories.schema import SINGLE_TURN_KINDS, PolicySpec, ToolCall, Usage

MAX_TURNS = 58  # stay inside a sane budget whatever the repository
MAX_VERIFY_PASSES = 3
MAX_WRITES_PER_TURN = 3
# A page the teacher may create: a wiki path made of word characters, dots, dashes and slashes. A "missing page"
# such as `-n ${BASH_COMP_DEBUG_FILE:-}.md` comes from code that only looks like a link, not from a page anyone meant.
_PAGE_PATH = re.compile(r"(?:[\w][\w.-]*/)*[\w][\w.-]*\.md")


def _creatable(page: str) -> bool:
    return bool(_PAGE_PATH.fullmatch(page)) and not page.startswith("..")


@dataclass
class _Call:
    name: str
    args: dict[str, Any]
    purpose: str  # tree | list | read | search | analyze | write | verify | pages
    key: str = ""  # the file, query or page the call is about


@dataclass
class _Result:
    call: _Call
    text: str
    error: bool


@dataclass
class _Turn:
    text: str
    calls: list[_Call] = field(default_factory=list)
    reasoning: str = ""


Script = Generator[_Turn, list[_Result], None]


class ScriptedTeacher:
    """SemanticWiki's agent, scripted (see the module docstring).

    Args:
        snapshot: the episode's `RepoSnapshot` (planning facts; citations are still checked against read results).
        seed: varies exploration order, queries, page order and wording; same seed, same episode.
        mode: `direct` (bare tool names) or `sdk` (`mcp__semanticwiki__*` / `mcp__filesystem__*`).
        task: the episode's `TaskSpec` (or a dict with `kind` and `missing_pages`); None reads the task from the
            first user message.
    """

    def __init__(self, snapshot: Any, seed: int = 0, mode: str = "direct", task: Any = None):
        if mode not in ("direct", "sdk"):
            raise UnknownMode(f"unknown tool mode {mode!r} for the scripted teacher; use direct or sdk")
        self.snapshot = snapshot
        self.seed = int(seed)
        self.mode = mode
        self.task = task
        self.spec = PolicySpec(kind="scripted", seed=self.seed, extra={"mode": mode})
        self.names = ToolNames(mode)
        self.phr = Phraser(self.seed)
        # Per-episode writing style: same seed, same style; quality is the same for every choice.
        self.style = {"snippet_max": self.phr.pick([16, 20, 24, 28]), "details": self.phr.pick([4, 5, 6])}
        self._facts: RepoFacts | None = None
        self._plan: WikiPlan | None = None
        self.reads: dict[str, str] = {}
        self.failed_reads: set[str] = set()
        self.analyzed: set[str] = set()
        self.searched: dict[str, list[str]] = {}
        self.written: set[str] = set()
        self.existing: set[str] = set()
        self._script: Script | None = None
        self._pending: list[tuple[str, _Call]] = []
        self._counter = 0
        self._conversations = 0
        self.explored = False  # the repository tree was already seen (a forked episode's prefix)
        self.teacher_seconds = 0.0  # time spent planning and writing (tools excluded)

    # -- Policy interface ---------------------------------------------------------------------------------------
    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        t0 = time.perf_counter()
        try:
            if not tools:  # a single-turn request (SemanticWiki's local page-by-page mode): answer in text only
                return self._answer_without_tools(messages)
            self._adopt_mode(tools)
            fresh = len(messages) == 1 or self._script is None
            if fresh:
                self._conversations += 1
                prompt = result_text(messages[0].get("content")) if messages else ""
                self._script = self._start(prompt, first=self._conversations == 1)
                self._pending = []
                turn = next(self._script)
            else:
                results = self._collect(messages)
                try:
                    turn = self._script.send(results) if self._script else None  # type: ignore[union-attr]
                except StopIteration:
                    turn = None
                if turn is None:
                    turn = _Turn(text="The wiki is complete.")
            return self._emit(turn, messages)
        finally:
            self.teacher_seconds += time.perf_counter() - t0

    def _answer_without_tools(self, messages: list[dict[str, Any]]) -> AssistantTurn:
        """One text answer, no tool calls: the planner JSON, a page, the index, or a plain reply to anything else."""
        last = next((m for m in reversed(messages) if m.get("role") == "user"), {}) if messages else {}
        prompt = result_text(last.get("content"))
        kind, _ = self._task_kind()
        if kind not in SINGLE_TURN_KINDS:
            kind = detect_local_task(prompt) or "other"
        facts = self._facts_or_none()
        if kind == "plan":
            parsed = parse_plan_prompt(prompt)
            plan = build_local_plan(parsed, facts, self.phr)
            text = json.dumps(plan, indent=2, ensure_ascii=False)
            reasoning = (f"{len(parsed.files)} files listed, {parsed.min_pages}-{parsed.max_pages} pages required: "
                         f"grouping the code by directory and imports into {len(plan['pages'])} pages, JSON only.")
        elif kind == "page":
            parsed_page = parse_page_prompt(prompt)
            text = PageWriter(facts, self.phr, self.style).write(parsed_page)
            reasoning = (f"Page {parsed_page.title!r} ({parsed_page.page_type}) from the "
                         f"{len(parsed_page.blocks)} source block(s) in the request; citing only lines shown there.")
        elif kind == "index":
            parsed_index = parse_index_prompt(prompt)
            text = write_index(parsed_index, self.phr)
            reasoning = f"Index over {len(parsed_index.pages)} pages, grouped by page type."
        else:
            text = self._plain_reply(facts)
            reasoning = "No tools are offered for this request, so I answer in text."
        in_chars = len(json.dumps(messages, ensure_ascii=False, default=str))
        return AssistantTurn(text=text, reasoning=reasoning, tool_calls=[], stop_reason="end_turn",
                             usage=Usage(input_tokens=in_chars // 4, output_tokens=(len(text) + len(reasoning)) // 4))

    def _facts_or_none(self) -> RepoFacts | None:
        if self.snapshot is None:
            return None
        try:
            facts = self.facts
            _ = facts.files  # parse now: a snapshot that cannot be read gives no facts rather than an exception later
            return facts
        except Exception:  # noqa: BLE001 - the single-turn answers work from the prompt alone when facts fail
            return None

    def _plain_reply(self, facts: RepoFacts | None) -> str:
        """A short text answer to a request without tools that is none of the local-mode prompts."""
        if facts is None:
            return "No tools are available for this request, so I cannot inspect the repository to answer it."
        langs = ", ".join(f"{name} ({n} files)" for name, n, _ in facts.language_stats()[:3]) or "no parsed code"
        central = ", ".join(f"`{p}`" for p in facts.centrality()[:5])
        text = (f"No tools are available for this request, so I can only summarise what I know about "
                f"{facts.name}: it contains {langs}.")
        if central:
            text += f" Its most central source files are {central}."
        return text

    def fast_forward(self, steps: list[Any]) -> None:
        """Learn what a replayed prefix already did (reads, searches, analyses, written pages), for forks.

        `steps` are trajectory `Step`s; their tool calls and results are absorbed as if this teacher had made them,
        so the continuation does not redo work or rewrite pages.
        """
        for step in steps:
            results = {r.tool_use_id: r for r in getattr(step, "tool_results", [])}
            batch = []
            for call in getattr(step, "tool_calls", []):
                r = results.get(call.id)
                if r is None or call.arguments is None:
                    continue
                c = self._classify(call.name, call.arguments)
                if c is not None:
                    batch.append(_Result(c, r.output, is_error(r.output, r.is_error)))
            self._absorb(batch)
        self._script = None

    def _classify(self, name: str, args: dict[str, Any]) -> _Call | None:
        bare = name.split("__")[-1]
        key = {"read_file": "path", "read_text_file": "path", "search_codebase": "query",
               "analyze_code_structure": "filePath", "write_wiki_page": "pagePath"}.get(bare)
        purpose = {"read_file": "read", "read_text_file": "read", "search_codebase": "search",
                   "analyze_code_structure": "analyze", "write_wiki_page": "write", "list_wiki_pages": "pages",
                   "directory_tree": "tree", "verify_wiki_completeness": "verify"}.get(bare)
        if purpose is None:
            return None
        if purpose == "tree":
            self.explored = True
        return _Call(name, args, purpose, str(args.get(key, "")) if key else "")

    # -- plumbing -----------------------------------------------------------------------------------------------
    def _adopt_mode(self, tools: list[dict[str, Any]]) -> None:
        offered = [str(t.get("name", "")) for t in tools or []]
        if not offered or self.names.matches(offered):
            return
        other = "sdk" if self.mode == "direct" else "direct"
        if ToolNames(other).matches(offered):
            self.mode = other
            self.names = ToolNames(other)
            self.spec = PolicySpec(kind="scripted", seed=self.seed, extra={"mode": other})

    def _collect(self, messages: list[dict[str, Any]]) -> list[_Result]:
        """Results of the previous turn's calls, matched by tool_use_id (a missing one counts as a failure)."""
        blocks: dict[str, tuple[str, bool]] = {}
        last = messages[-1] if messages else {}
        if last.get("role") == "user" and isinstance(last.get("content"), list):
            for b in last["content"]:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    text = result_text(b.get("content"))
                    blocks[str(b.get("tool_use_id"))] = (text, bool(b.get("is_error")))
        out = []
        for call_id, call in self._pending:
            text, flagged = blocks.get(call_id, ("Error: no result", True))
            out.append(_Result(call, text, is_error(text, flagged)))
        self._pending = []
        return out

    def _emit(self, turn: _Turn, messages: list[dict[str, Any]]) -> AssistantTurn:
        calls = []
        for c in turn.calls:
            self._counter += 1
            digest = hashlib.sha1(f"{self.seed}:{self._counter}:{c.name}".encode()).hexdigest()[:22]
            call_id = f"toolu_{digest}"
            calls.append(ToolCall(id=call_id, name=c.name, arguments=c.args))
            self._pending.append((call_id, c))
        # Token counts are estimates (4 characters a token) so the loop's pruning sees a realistic history size.
        in_chars = len(json.dumps(messages, ensure_ascii=False, default=str))
        out_chars = len(turn.text) + len(turn.reasoning) + sum(len(json.dumps(c.args, ensure_ascii=False))
                                                                for c in turn.calls)
        return AssistantTurn(text=turn.text, reasoning=turn.reasoning, tool_calls=calls,
                             stop_reason="tool_use" if calls else "end_turn",
                             usage=Usage(input_tokens=in_chars // 4, output_tokens=out_chars // 4))

    @property
    def facts(self) -> RepoFacts:
        if self._facts is None:
            self._facts = RepoFacts(self.snapshot)
        return self._facts

    @property
    def plan(self) -> WikiPlan:
        if self._plan is None:
            self._plan = plan_wiki(self.facts, self.phr)
        return self._plan

    def _task_kind(self) -> tuple[str, list[str]]:
        t = self.task
        if t is None:
            return "generate", []
        kind = t.get("kind") if isinstance(t, dict) else getattr(t, "kind", "generate")
        missing = t.get("missing_pages") if isinstance(t, dict) else getattr(t, "missing_pages", [])
        return str(kind or "generate"), list(missing or [])

    def _start(self, prompt: str, first: bool) -> Script:
        kind, missing = self._task_kind()
        update = parse_update_prompt(prompt)
        if update is not None:
            return self._update(*update)
        # Continuation prompts (SemanticWiki's and wikigym's wordings differ) list the pages as `- <page>.md` bullets.
        asks_missing = bool(parse_missing_prompt(prompt))
        if first and kind == "generate" and not asks_missing:
            return self._generate()
        listed = parse_missing_prompt(prompt) or missing
        return self._continue(listed, fresh_pass=not first)

    # -- call builders ------------------------------------------------------------------------------------------
    def _read(self, path: str) -> _Call:
        return _Call(self.names.read, self.names.read_args(path), "read", path)

    def _search(self, query: str) -> _Call:
        return _Call(self.names.search, self.names.search_args(query, self.phr.pick([5, 6, 8])), "search", query)

    def _analyze(self, path: str) -> _Call:
        return _Call(self.names.analyze, self.names.analyze_args(path), "analyze", path)

    def _verify(self) -> _Call:
        return _Call(self.names.verify, {}, "verify")

    def _absorb(self, results: list[_Result]) -> list[_Result]:
        """Record what each result taught: file texts, search hits, written pages. Returns failed writes."""
        failed_writes = []
        for r in results:
            c = r.call
            if c.purpose == "read":
                if r.error:
                    self.failed_reads.add(c.key)
                else:
                    self.reads[c.key] = r.text
            elif c.purpose == "search":
                self.searched[c.key] = [] if r.error else [p for p, _, _ in parse_search(r.text)]
            elif c.purpose == "analyze":
                self.analyzed.add(c.key)
            elif c.purpose == "write":
                if not r.error and r.text.startswith("Successfully wrote wiki page"):
                    self.written.add(c.key)
                else:
                    failed_writes.append(r)
            elif c.purpose == "pages" and not r.error:
                self.existing |= set(parse_page_list(r.text))
        return failed_writes

    def _research(self, spec: PageSpec, extra_files: list[str] = ()) -> list[_Call]:
        """Searches, reads and analyses a page needs before it can be written (nothing already done)."""
        calls: list[_Call] = []
        for q in spec.queries:
            if q not in self.searched:
                calls.append(self._search(q))
        want = list(spec.files) + [f for f in extra_files if f not in spec.files]
        reads = [f for f in want if f not in self.reads and f not in self.failed_reads and CITABLE_PATH.match(f)]
        calls += [self._read(f) for f in self.phr.shuffled(reads)] if self.phr.chance(0.3) else \
            [self._read(f) for f in reads]
        targets = list(spec.analyze) or [f for f in spec.files if f in self.facts.files][:1]
        for f in targets:
            # analyze_code_structure only understands TS/JS (direct) or TS/JS/Python (SDK); other languages get
            # zero counts, so they are analysed only when nothing has been analysed yet.
            langs = (".ts", ".tsx", ".js", ".jsx") + ((".py",) if self.mode == "sdk" else ())
            if (f.endswith(langs) or not self.analyzed) and f not in self.analyzed and f not in self.failed_reads:
                calls.append(self._analyze(f))
                self.analyzed.add(f)
        return calls

    def _write(self, spec: PageSpec, linkable: set[str]) -> _Call:
        ctx = WriteContext(facts=self.facts, plan=self.plan, reads=self.reads, linkable=linkable, phr=self.phr,
                           style=self.style)
        draft = compose(spec, ctx)
        args = self.names.write_args(spec.path, spec.title, draft.content, draft.description, draft.sources,
                                     draft.related)
        return _Call(self.names.write, args, "write", spec.path)

    # -- scripts ------------------------------------------------------------------------------------------------
    def _generate(self) -> Script:
        facts, phr, names = self.facts, self.phr, self.names
        turns = 0
        top_dirs: list[str] = []
        if not self.explored:
            tree_calls = [_Call(names.tree, names.tree_args(3), "tree")]
            if phr.chance(0.4):
                tree_calls.append(_Call(names.list_dir, names.list_args(""), "list", ""))
            results = yield _Turn(phr.say("turn.explore", repo=facts.name), tree_calls,
                                  "Start with the layout: the tree shows the top-level directories and key files.")
            turns += 1
            self.explored = True
            entries: list[tuple[str, bool]] = []
            for r in results:
                if not r.error:
                    entries += parse_tree(r.text) if r.call.purpose == "tree" else parse_list_dir(r.text)
            top_dirs = sorted({p.split("/")[0] for p, is_dir in entries if is_dir and "/" not in p})
        plan = self.plan  # planning uses the snapshot's symbols and import graph

        # Discovery: README + manifests, a couple of searches for the core concepts.
        calls = [self._read(f) for f in plan.discovery_files if f not in self.reads and f not in self.failed_reads]
        queries = [q for p in plan.pages[:3] for q in p.queries if q not in self.searched][:2]
        calls += [self._search(q) for q in phr.shuffled(queries)]
        unit_dirs = [c.unit for c in plan.components if c.unit not in c.files and c.unit != "."][:2]
        if unit_dirs and calls and phr.chance(0.5):
            calls.append(_Call(names.list_dir, names.list_args(unit_dirs[0]), "list", unit_dirs[0]))
        if calls:
            results = yield _Turn(phr.say("turn.discover", n_dirs=len(top_dirs)), calls,
                                  f"Plan: {len(plan.pages)} pages ({len(plan.components)} components: "
                                  + ", ".join(c.unit for c in plan.components) + "). Reading the README and "
                                  "manifests first.")
            turns += 1
            self._absorb(results)

        linkable = {p.path for p in plan.pages}
        batch: list[_Call] = []
        for spec in [p for p in plan.pages if p.path not in self.written]:
            research = self._research(spec)
            if research:
                text = phr.say("turn.research", page=spec.path)
                if batch:
                    text = phr.say("turn.write", page=", ".join(c.key for c in batch)) + " " + text
                results = yield _Turn(text, batch + research, self._why(spec, research))
                turns += 1
                failed = self._absorb(results)
                batch = [self._write(self._spec_for(r.call.key), linkable) for r in failed if r.call.key
                         not in self.written and self._retryable(r)]
            batch.append(self._write(spec, linkable))
            if len(batch) >= MAX_WRITES_PER_TURN:
                results = yield _Turn(phr.say("turn.write", page=", ".join(c.key for c in batch)), batch)
                turns += 1
                failed = self._absorb(results)
                batch = [self._write(self._spec_for(r.call.key), linkable) for r in failed if self._retryable(r)]
        yield from self._finish(batch, linkable, turns, generate=True)

    def _continue(self, listed: list[str], fresh_pass: bool) -> Script:
        phr, names = self.phr, self.names
        results = yield _Turn(phr.say("turn.continue"), [_Call(names.list_pages, {}, "pages"), self._verify()],
                              "List the existing pages and the broken links (with the pages that link to them) "
                              "before writing anything.")
        self._absorb(results)
        verify_text = next((r.text for r in results if r.call.purpose == "verify" and not r.error), "")
        _, pairs = parse_verify(verify_text)
        missing: list[str] = []
        for target, source in pairs:
            p = resolve(source, target)
            if _creatable(p) and p not in missing:
                missing.append(p)
        for p in listed:  # the task's own list: wiki-root paths, or targets as written (resolved above)
            if not p.startswith(("./", "../")) and _creatable(p) and p not in missing:
                missing.append(p)
        missing = [p for p in missing if p not in self.existing]
        linkable = self.existing | set(missing)
        yield from self._create(missing, linkable, turns=1, generate=False)

    def _update(self, affected: list[str], to_create: list[str]) -> Script:
        """update-wiki: rewrite the affected pages from the current code, create the new ones, link them from the
        README, verify."""
        results = yield _Turn(self.phr.say("turn.continue"), [_Call(self.names.list_pages, {}, "pages"),
                                                                self._verify()],
                              "See which pages exist before rewriting the ones the code changes affect.")
        self._absorb(results)
        rewrite = [p for p in affected if p in self.existing] if self.existing else list(affected)
        create = [p for p in to_create if p not in self.existing]
        verify_text = next((r.text for r in results if r.call.purpose == "verify" and not r.error), "")
        for target, source in parse_verify(verify_text)[1]:
            p = resolve(source, target)
            if _creatable(p) and p not in create:
                create.append(p)
        if create and "README.md" in self.existing and "README.md" not in rewrite:
            rewrite.append("README.md")  # new pages get a link from the hub
        linkable = self.existing | set(create)
        yield from self._create(create + rewrite, linkable, turns=1, generate=False)

    def _create(self, missing: list[str], linkable: set[str], turns: int, generate: bool) -> Script:
        """Research and write `missing` pages, then verify (the shared fix-up path)."""
        phr = self.phr
        specs = [self._spec_for(p) for p in missing]
        first: list[_Call] = []
        if missing:
            for s in specs:  # search each page's topic first (a page outside the plan finds its files this way)
                q = s.topic.replace("-", " ") if s.kind == "topic" else (s.queries[0] if s.queries else s.title)
                if q not in self.searched and q not in [c.key for c in first]:
                    first.append(self._search(q))
            if first:
                results = yield _Turn(phr.say("turn.research", page=", ".join(missing)), first,
                                      "Search for each missing page's topic to find the files to read.")
                turns += 1
                self._absorb(results)
                specs = [self._spec_for(p) for p in missing]
        batch: list[_Call] = []
        for spec in specs:
            research = self._research(spec)
            if research:
                results = yield _Turn(phr.say("turn.research", page=spec.path), batch + research,
                                      self._why(spec, research))
                turns += 1
                failed = self._absorb(results)
                batch = [self._write(self._spec_for(r.call.key), linkable) for r in failed if self._retryable(r)]
            batch.append(self._write(spec, linkable))
            if len(batch) >= MAX_WRITES_PER_TURN:
                results = yield _Turn(phr.say("turn.write", page=", ".join(c.key for c in batch)), batch)
                turns += 1
                failed = self._absorb(results)
                batch = [self._write(self._spec_for(r.call.key), linkable) for r in failed if self._retryable(r)]
        yield from self._finish(batch, linkable, turns, generate=generate, created=len(missing))

    def _finish(self, batch: list[_Call], linkable: set[str], turns: int, generate: bool,
                created: int = 0) -> Script:
        """Write what is left, verify, fix what the report names, verify again, end."""
        phr = self.phr
        passes = 0
        while True:
            text = phr.say("turn.verify")
            if batch:
                text = phr.say("turn.write", page=", ".join(c.key for c in batch)) + " " + text
            results = yield _Turn(text, batch + [self._verify()])
            turns += 1
            passes += 1
            failed = self._absorb(results)
            report = next((r.text for r in results if r.call.purpose == "verify"), "")
            count, pairs = parse_verify(report)
            missing: list[str] = []
            for target, source in pairs:
                p = resolve(source, target)
                if _creatable(p) and p not in missing:
                    missing.append(p)
            retry = [r.call.key for r in failed if self._retryable(r) and r.call.key not in missing]
            if (count == 0 or (not pairs and not retry)) or passes >= MAX_VERIFY_PASSES or turns >= MAX_TURNS:
                break
            todo = missing + retry
            if not todo:  # only targets no page should have (see _creatable): writing cannot fix them
                break
            linkable = linkable | set(todo)
            results_turn = _Turn(phr.say("turn.fix", n=len(todo), pages=", ".join(todo)), [])
            batch = []
            for spec in [self._spec_for(p) for p in todo]:
                research = self._research(spec)
                if research:
                    results_turn.calls += research
            if results_turn.calls:
                results = yield results_turn
                turns += 1
                self._absorb(results)
            batch = [self._write(self._spec_for(p), linkable) for p in todo]
            created += len(todo)
        if count == 0:
            if generate:
                final = phr.say("turn.done", n_pages=len(self.written), n_components=len(self.plan.components))
            else:
                final = phr.say("turn.done_continue", n_new=max(created, 1))
        else:
            final = phr.say("turn.giveup", n=passes, pages=", ".join(p for _, p in pairs[:5]) or "see the report")
        yield _Turn(final, [])

    # -- helpers ------------------------------------------------------------------------------------------------
    def _spec_for(self, page: str) -> PageSpec:
        spec = self.plan.page(page)
        if spec is not None:
            return spec
        hits: list[str] = []
        stem = re.sub(r"\.md$", "", page).replace("/index", "").split("/")[-1].replace("-", " ")
        for q, found in self.searched.items():
            if q == stem:
                hits = found
        return topic_page(self.facts, page, hits)

    @staticmethod
    def _retryable(r: _Result) -> bool:
        return r.call.purpose == "write" and r.error

    def _why(self, spec: PageSpec, research: list[_Call]) -> str:
        reads = [c.key for c in research if c.purpose == "read"]
        hits = sorted({h for q in spec.queries for h in self.searched.get(q, [])})[:4]
        parts = [f"Next page: {spec.path} ({spec.kind})."]
        if reads:
            parts.append("I will cite " + ", ".join(reads) + ", so I read them first.")
        if hits:
            parts.append("Earlier search results pointed at " + ", ".join(hits) + ".")
        return " ".join(parts)

