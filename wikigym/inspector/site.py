"""`wikigym inspect`: a static, self-contained HTML site over a run directory.

The site is a folder that works from file:// with no network: `index.html` lists the episodes with their rewards;
`episode-<id>.html` shows a timeline of steps (reasoning, calls, outputs, timing, tokens), the verifier's findings
linked to the step that wrote the page they concern, and the final wiki rendered with its Mermaid diagrams;
`diff-<a>--<b>.html` compares two episodes of the same repository and task page by page; `source-<file>-<hash>.html`
shows a repository file that a wiki page links to (📄/Source citations land on the cited line), read from the
episode's repository when it is still on disk (through `RepoSnapshot`, which refuses paths outside the repository).
Mermaid's browser build is copied from `node_modules` at build time (no CDN).

What it deliberately does not do: run anything when opened (all content is computed here), or score episodes that
were recorded without a score unless their repository is still on disk.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import re
import shutil
import urllib.parse
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from wikigym.inspector.stepper import WRITE_TOOLS, step_has_problem
from wikigym.trajectories.schema import Episode

MAX_DIFF_PAIRS = 60
CSS = """
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px}header a{color:#9cf}main{padding:14px 24px;max-width:1200px}
table{border-collapse:collapse;background:#fff}td,th{padding:4px 10px;border:1px solid #dde;text-align:left}
.step{background:#fff;border:1px solid #dde;margin:10px 0;padding:8px 12px}.step.problem{border-left:4px solid #b3261e}
.meta{color:#667;font-size:12px}pre{white-space:pre-wrap;background:#f3f4f8;padding:6px;font:12px/1.4 ui-monospace,monospace}
.src .line:target{background:#fff3b0}.src .ln{color:#99a;text-decoration:none;display:inline-block;width:5em}
.call{margin:6px 0}.bad{color:#b3261e}.ok{color:#2e7d32}.finding{background:#fdecea;padding:2px 8px;margin:2px 0}
.page{background:#fff;border:1px solid #dde;margin:12px 0;padding:4px 16px}.del{background:#fdecea}.add{background:#e6f4ea}
nav a{margin-right:12px}
"""


_EXTERNAL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # a scheme (https:, mailto:): not a file of this site


def _relative_link(href: str) -> bool:
    """Whether `href` is a relative file link (not empty, a bare fragment, an absolute path or a URL with a scheme)."""
    return bool(href) and not href.startswith(("#", "/")) and not _EXTERNAL_RE.match(href)


def _href(name: str) -> str:
    """A file name or fragment made safe for an href (episode ids come from directory names: spaces, #, ? ...)."""
    return urllib.parse.quote(name, safe="/-_.")


def wiki_link_target(page: str, href: str, pages: set[str] | frozenset[str]) -> str | None:
    """The wiki page a relative link on `page` points to, or None (external, anchor-only, or not a wiki page).

    Pages link each other with relative paths (`../components/api/index.md`), which mean nothing inside the
    inspector's one-file-per-episode site; the renderer turns them into in-page anchors with this.

    >>> wiki_link_target("components/api/index.md", "../../README.md#top", {"README.md"})
    'README.md'
    >>> wiki_link_target("README.md", "https://example.com/x.md", {"x.md"}) is None
    True
    """
    if not _relative_link(href):
        return None
    target = urllib.parse.unquote(href.split("#", 1)[0].split("?", 1)[0])
    parts: list[str] = page.split("/")[:-1]
    for seg in target.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(seg)
    rel = "/".join(parts)
    return rel if rel in pages else None


class SourcePages:
    """Repository files that wiki pages link to, each written once as a numbered page with an anchor per line.

    Links are resolved as the citations check resolves them (`link_path`: the wiki sits inside the repository), so a
    link the verifier accepted opens the lines it judged. The repository is the episode's, if still on disk; without
    it (or for a path that is not a repository file) the link is left as written.
    """

    def __init__(self, out: Path):
        self.out = out
        self._repos: dict[str, tuple[Any, frozenset[str]] | None] = {}
        self._pages: dict[tuple[str, str], str] = {}

    def _repo(self, ep: Episode) -> tuple[Any, frozenset[str]] | None:
        """(snapshot, its files) of the episode's repository, or None when it is not on disk."""
        key = ep.repo.path or ""
        if key not in self._repos:
            self._repos[key] = None
            if key and Path(key).is_dir():
                try:
                    from wikigym.verifier.repo_index import load_snapshot

                    snap = load_snapshot(key)
                    self._repos[key] = (snap, frozenset(snap.all_files()))
                except Exception:  # noqa: BLE001  (no source pages for this repository; the site still builds)
                    pass
        return self._repos[key]

    def href(self, ep: Episode, link: str) -> str | None:
        """The site href for a wiki link to a repository file (with its `#L<start>`), or None."""
        from wikigym.verifier.checks.citations import ANCHOR_RE, link_path

        if not _relative_link(link):
            return None
        path = link_path(link)
        repo = self._repo(ep)
        if repo is None or path not in repo[1]:
            return None
        snap = repo[0]
        key = (str(snap.root), path)
        if key not in self._pages:
            digest = hashlib.sha1("\0".join(key).encode("utf-8", "surrogatepass")).hexdigest()[:10]
            name = f"source-{re.sub(r'[^A-Za-z0-9_.-]+', '_', path.rsplit('/', 1)[-1])}-{digest}.html"
            try:
                text = snap.read_text(path)
            except (OSError, ValueError):  # unreadable, or a link that leaves the repository
                return None
            self.out.joinpath(name).write_text(_page(path, self._body(ep, snap, path, text), False), encoding="utf-8")
            self._pages[key] = name
        m = ANCHOR_RE.search(link.strip().strip("<>"))
        return _href(self._pages[key]) + (f"#L{m.group(1)}" if m else "")

    @staticmethod
    def _body(ep: Episode, snap: Any, path: str, text: str) -> str:
        e = html.escape
        note = ""
        if ep.repo.commit and snap.commit and snap.commit != ep.repo.commit:
            note = (f"<p class='bad'>The checkout is now at {e(snap.commit[:12])}; the episode was recorded at "
                    f"{e(ep.repo.commit[:12])}, so lines may have moved.</p>")
        lines = "\n".join(f"<span class='line' id='L{n}'><a class='ln' href='#L{n}'>{n}</a>{e(line)}</span>"
                          for n, line in enumerate(text.split("\n"), 1))
        return (f"<h1>{e(path)}</h1><p class='meta'>repo {e(ep.repo.name)} @ {e((snap.commit or '-')[:12])} · "
                f"{e(str(snap.root))}</p>{note}<pre class='src'>{lines}</pre>")


def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    default_fence = md.renderer.rules.get("fence")
    default_link = md.renderer.rules.get("link_open")

    def link_open(renderer, tokens, idx, options, env):  # wiki-internal links -> anchors of this episode page
        tok = tokens[idx]
        target = wiki_link_target(env.get("page", ""), tok.attrGet("href") or "", env.get("pages", frozenset()))
        if target is not None:
            tok.attrSet("href", "#page-" + _href(target))
        elif env.get("sources") is not None:  # a link to a repository file: its source page, when it has one
            src = env["sources"].href(env["episode"], tok.attrGet("href") or "")
            if src is not None:
                tok.attrSet("href", src)
        if default_link is not None:
            return default_link(tokens, idx, options, env)
        return renderer.renderToken(tokens, idx, options, env)

    def fence(renderer, tokens, idx, options, env):  # mermaid fences become <pre class="mermaid"> for the browser build
        tok = tokens[idx]
        if tok.info.strip().lower() == "mermaid":
            return f'<pre class="mermaid">{html.escape(tok.content)}</pre>\n'
        return default_fence(tokens, idx, options, env)

    md.add_render_rule("fence", fence)
    md.add_render_rule("link_open", link_open)
    return md


def _strip_frontmatter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5:]
    return text


def _reward(ep: Episode) -> float | None:
    if ep.score and isinstance(ep.score.get("reward"), (int, float)):
        return float(ep.score["reward"])
    return None


def _gate(ep: Episode) -> str | None:
    """Why the verifier's hard gate zeroed the reward (no pages, a page outside the wiki), if it did."""
    stats = (ep.score or {}).get("stats") or {}
    return stats.get("gate") or None


_STEP_RE = re.compile(r"^step (\d+)$")


def _score_missing(episodes: list[Episode]) -> None:
    """Score episodes recorded without a score, when their repository is still on disk."""
    try:
        from wikigym.verifier import verify_episode
    except ImportError:
        return
    for ep in episodes:
        if ep.score is None and (ep.wiki or ep.task.kind == "plan") and ep.repo.path and Path(ep.repo.path).is_dir():
            try:
                ep.score = verify_episode(ep, ep.repo.path).to_dict()
            except Exception as e:  # a broken verifier must not stop the site; say so on the page
                ep.errors.append(f"inspect: scoring failed: {type(e).__name__}: {e}")


def _page(title: str, body: str, mermaid: bool) -> str:
    script = ('<script src="mermaid.min.js"></script><script>mermaid.initialize({startOnLoad:true,'
              'securityLevel:"strict"});</script>') if mermaid else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body><header><a href='index.html'>wikigym inspect</a> · "
            f"{html.escape(title)}</header><main>{body}</main>{script}</body></html>")


def _writer_steps(ep: Episode) -> dict[str, int]:
    """page -> index of the last step that wrote it successfully."""
    out: dict[str, int] = {}
    for step in ep.steps:
        res = {r.tool_use_id: r for r in step.tool_results}
        for c in step.tool_calls:
            r = res.get(c.id)
            if c.name in WRITE_TOOLS and c.arguments and r and r.output.startswith("Successfully wrote"):
                out[str(c.arguments.get("pagePath", ""))] = step.index
    return out


def _episode_html(ep: Episode, md: MarkdownIt, siblings: list[tuple[str, str]],
                  sources: SourcePages | None = None) -> str:
    e = html.escape
    r = _reward(ep)
    parts = [f"<h1>{e(ep.episode_id)}</h1><p class='meta'>repo {e(ep.repo.name)} @ {e((ep.repo.commit or '-')[:12])}"
             f" · task {e(ep.task.kind)} · policy {e(ep.policy.kind)} {e(ep.policy.model or '')} · mode {e(ep.mode)}"
             f" · profile {e(ep.profile)} · stop {e(ep.stop_reason)} · {len(ep.steps)} steps · "
             f"{ep.usage.input_tokens}→{ep.usage.output_tokens} tokens · {ep.duration_s:.2f}s"
             f" · reward <b id='reward'>{'-' if r is None else f'{r:.4f}'}</b></p>"]
    gate = _gate(ep)
    if gate:
        # Without this the page shows good check scores beside a reward of 0 and no reason.
        parts.append(f"<p class='bad' id='gate'><b>Gate:</b> {e(gate)} &rarr; reward 0</p>")
    if ep.parent:
        parts.append(f"<p>forked from <a href='episode-{e(_href(ep.parent['episode_id']))}.html'>"
                     f"{e(ep.parent['episode_id'])}</a> at step {ep.parent.get('step')}</p>")
    if siblings:
        parts.append("<p>compare with: " + " ".join(f"<a href='{e(href)}'>{e(other)}</a>" for other, href in siblings)
                     + "</p>")
    parts.append("<nav><a href='#timeline'>timeline</a><a href='#findings'>findings</a><a href='#wiki'>wiki</a></nav>")
    for err in ep.errors:
        parts.append(f"<p class='bad'>{e(err)}</p>")
    writers = _writer_steps(ep)
    # Findings, linked to the step that wrote the page they concern.
    parts.append("<h2 id='findings'>Verifier findings</h2>")
    if ep.score:
        rows = []
        for check, res in (ep.score.get("checks") or {}).items():
            for f in (res.get("findings") or [])[:50]:
                page = f.get("page") or ""
                link = f"<a href='#step-{writers[page]}'>step {writers[page]}</a>" if page in writers else ""
                where = e(page) + (f":{f['line']}" if f.get("line") else "")
                step_ref = _STEP_RE.match(page)  # tool_use findings name the step they concern
                if page in ep.wiki:
                    where = f"<a href='#page-{e(_href(page))}'>{where}</a>"
                elif step_ref:
                    where = f"<a href='#step-{step_ref.group(1)}'>{where}</a>"
                rows.append(f"<tr><td>{e(check)}</td><td>{where}</td>"
                            f"<td>{e(str(f.get('what', '')))}</td><td>{e(str(f.get('why', '')))}</td><td>{link}</td></tr>")
            parts.append("")
        checks = " · ".join(f"{e(k)} {float(v.get('score', 0)):.3f}" for k, v in (ep.score.get("checks") or {}).items()
                            if isinstance(v, dict) and v.get("score") is not None)
        parts.append(f"<p class='meta'>{checks}</p>")
        parts.append("<table class='findings'><tr><th>check</th><th>where</th><th>what</th><th>why</th><th>written by"
                     "</th></tr>" + "".join(rows) + "</table>" if rows else "<p class='ok'>No findings.</p>")
    else:
        parts.append("<p class='meta'>Not scored (recorded without the verifier and the repository is gone).</p>")
    # Timeline.
    parts.append("<h2 id='timeline'>Timeline</h2>")
    for step in ep.steps:
        cls = "step problem" if step_has_problem(step) else "step"
        s = [f"<div class='{cls}' id='step-{step.index}'><div class='meta'>step {step.index} · {e(step.stop_reason)}"
             f" · {step.usage.input_tokens}→{step.usage.output_tokens} tokens · {step.duration_s:.3f}s"
             + (" · new conversation" if step.conversation_reset else "") + "</div>"]
        if step.user_message:
            s.append(f"<details><summary>user message</summary><pre>{e(step.user_message)}</pre></details>")
        if step.reasoning:
            s.append(f"<details><summary>reasoning</summary><pre>{e(step.reasoning)}</pre></details>")
        if step.text:
            s.append(f"<pre class='assistant'>{e(step.text)}</pre>")
        res = {r.tool_use_id: r for r in step.tool_results}
        for c in step.tool_calls:
            out = res.get(c.id)
            args = json.dumps(c.arguments, ensure_ascii=False, indent=1) if c.arguments is not None else (
                c.raw_arguments or "")
            bad = not c.valid or (out is not None and (out.is_error or out.output.lstrip().startswith(("Error",
                                                                                                        "MCP error"))))
            s.append(f"<div class='call'><b class='{'bad' if bad else 'ok'}'>{e(c.name)}</b>"
                     f"{' (invalid call)' if not c.valid else ''}<details><summary>arguments</summary><pre>{e(args)}"
                     f"</pre></details><details class='tool-output'{' open' if bad else ''}><summary>output"
                     f" ({len(out.output) if out else 0} chars, {out.duration_s if out else 0:.4f}s)</summary>"
                     f"<pre>{e(out.output) if out else '(none)'}</pre></details></div>")
        for ev in step.events:
            s.append(f"<div class='meta'>loop: {e(ev)}</div>")
        s.append("</div>")
        parts.append("".join(s))
    # Final wiki.
    parts.append("<h2 id='wiki'>Final wiki</h2>")
    pages = frozenset(rel for rel in ep.wiki if rel.endswith(".md"))
    for rel in sorted(pages):
        body = md.render(_strip_frontmatter(ep.wiki[rel]), {"page": rel, "pages": pages, "sources": sources,
                                                            "episode": ep})
        parts.append(f"<div class='page' id='page-{e(rel)}'><h3>{e(rel)}</h3>{body}</div>")
    return "".join(parts)


# The frontmatter clock differs between any two episodes unless it was frozen (--now); it is not a difference.
_GENERATED = re.compile(r"^generated: .*$", re.M)


def _unclocked(text: str | None) -> str | None:
    return None if text is None else _GENERATED.sub("generated: <clock>", text)


def _diff_html(a: Episode, b: Episode) -> str:
    e = html.escape

    def fmt(r: float | None) -> str:
        return "-" if r is None else f"{r:.4f}"

    def link(ep: Episode) -> str:
        return f"<a href='episode-{e(_href(ep.episode_id))}.html'>{e(ep.episode_id)}</a>"

    parts = [f"<h1>{e(a.episode_id)} vs {e(b.episode_id)}</h1><p>{link(a)} vs {link(b)}</p><p class='meta'>rewards "
             f"{fmt(_reward(a))} vs {fmt(_reward(b))} · steps {len(a.steps)} vs {len(b.steps)} · tool calls "
             f"{sum(len(s.tool_calls) for s in a.steps)} vs {sum(len(s.tool_calls) for s in b.steps)}</p>"]
    clock_only = 0
    for rel in sorted(set(a.wiki) | set(b.wiki)):
        x, y = _unclocked(a.wiki.get(rel)), _unclocked(b.wiki.get(rel))
        if x == y:
            clock_only += a.wiki.get(rel) != b.wiki.get(rel)
            continue
        rows = []
        for line in difflib.unified_diff((x or "").splitlines(), (y or "").splitlines(), lineterm="", n=1):
            cls = "add" if line.startswith("+") and not line.startswith("+++") else (
                "del" if line.startswith("-") and not line.startswith("---") else "")
            rows.append(f"<div class='{cls}'>{e(line)}</div>")
        status = "only in " + (a.episode_id if y is None else b.episode_id) if x is None or y is None else "differs"
        parts.append(f"<div class='page'><h3>{e(rel)} <span class='meta'>{status}</span></h3><pre>{''.join(rows)}"
                     "</pre></div>")
    if clock_only:
        parts.append(f"<p class='meta'>{clock_only} more page(s) differ only in their <code>generated:</code> "
                     "timestamp.</p>")
    return "".join(parts)


def _diff_pairs(groups: list[list[Episode]], limit: int = MAX_DIFF_PAIRS) -> tuple[list[tuple[Episode, Episode]],
                                                                                        int]:
    """Which pairs of episodes (same repository and task) get a diff page, and how many pairs were left out.

    Every fork is paired with its parent and every episode with the next one of its task, whatever the limit (that
    is linear in the episodes, and it is what a user compares); the remaining pairs fill up to `limit` in total.
    A single global cap used to give all diff pages to the first repository of a multi-repository run.
    """
    must: list[tuple[Episode, Episode]] = []
    rest: list[tuple[Episode, Episode]] = []
    for group in groups:
        by_id = {ep.episode_id: ep for ep in group}
        key = {id(ep): i for i, ep in enumerate(group)}
        wanted: set[tuple[int, int]] = set()
        for ep in group:
            parent = by_id.get((ep.parent or {}).get("episode_id", ""))
            if parent is not None:
                wanted.add(tuple(sorted((key[id(parent)], key[id(ep)]))))
        wanted.update((i, i + 1) for i in range(len(group) - 1))
        for i, j in sorted(wanted):
            must.append((group[i], group[j]))
        rest.extend((a, b) for (i, a), (j, b) in combinations(enumerate(group), 2) if (i, j) not in wanted)
    room = max(0, limit - len(must))
    return must + rest[:room], max(0, len(rest) - room)


def _disambiguate(runs: list[tuple[str, list[Episode]]]) -> list[Episode]:
    """All episodes of `runs`; an id that occurs in more than one run becomes `<id>@<run name>` (parents follow).

    Two runs of the same repository and task (a teacher's and a student's, say) hold the same episode ids, and the
    site names its pages after them: without this the second episode's page overwrote the first's, both index rows
    linked to it, and the diff between the two compared pages under one name.
    """
    counts: dict[str, int] = defaultdict(int)
    for _, eps in runs:
        for eid in {ep.episode_id for ep in eps}:
            counts[eid] += 1
    names: list[str] = []
    for name, _ in runs:
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name}-{n}"
        names.append(unique)
    out: list[Episode] = []
    for name, (_, eps) in zip(names, runs):
        rename = {ep.episode_id: f"{ep.episode_id}@{name}" for ep in eps if counts[ep.episode_id] > 1}
        for ep in eps:
            ep.episode_id = rename.get(ep.episode_id, ep.episode_id)
            if ep.parent and ep.parent.get("episode_id") in rename:
                ep.parent = {**ep.parent, "episode_id": rename[ep.parent["episode_id"]]}
            out.append(ep)
    return out


def build_site(run_dirs: list[Path], out: Path) -> Path:
    """Write the inspector site for the episodes of `run_dirs` into `out`; returns the index path."""
    from wikigym.errors import WikigymError, check_output_dir, make_output_dir
    from wikigym.trajectories.store import read_episodes

    check_output_dir(out, "--out")  # before reading and scoring the runs: a bad --out costs no wait
    runs: list[tuple[str, list[Episode]]] = []
    for run in run_dirs:
        path = run / "trajectories.jsonl" if run.is_dir() else run
        if not path.is_file():
            raise WikigymError(f"{path} does not exist; pass a RUN_DIR written by `wikigym record`")
        runs.append((path.parent.name or "run", read_episodes(path)))
    episodes = _disambiguate(runs)
    _score_missing(episodes)
    out = make_output_dir(out, "--out")
    from wikigym.verifier.mermaid import find_node_modules

    nm = find_node_modules()
    js = nm / "mermaid" / "dist" / "mermaid.min.js" if nm else None
    has_js = bool(js and js.is_file())
    if has_js:
        shutil.copyfile(js, out / "mermaid.min.js")
    md = _md()
    sources = SourcePages(out)
    groups: dict[tuple[str, str], list[Episode]] = defaultdict(list)
    for ep in episodes:
        groups[(ep.repo.name, ep.task.kind)].append(ep)
    siblings: dict[str, list[tuple[str, str]]] = defaultdict(list)
    chosen, skipped = _diff_pairs(list(groups.values()))
    for a, b in chosen:
        name = f"diff-{a.episode_id}--{b.episode_id}.html"
        href = _href(name)
        (out / name).write_text(_page(f"diff {a.episode_id} / {b.episode_id}", _diff_html(a, b), False),
                                encoding="utf-8")
        siblings[a.episode_id].append((b.episode_id, href))
        siblings[b.episode_id].append((a.episode_id, href))
    rows = []
    for ep in episodes:
        r = _reward(ep)
        calls = sum(len(s.tool_calls) for s in ep.steps)
        invalid = sum(1 for s in ep.steps for c in s.tool_calls if not c.valid)
        rows.append(f"<tr class='episode'><td><a href='episode-{html.escape(_href(ep.episode_id))}.html'>"
                    f"{html.escape(ep.episode_id)}</a></td><td>{html.escape(ep.repo.name)}</td>"
                    f"<td>{html.escape(ep.task.kind)}</td><td>{html.escape(ep.policy.kind)}</td><td>{len(ep.steps)}</td>"
                    f"<td>{calls}</td><td>{invalid}</td><td>{sum(1 for k in ep.wiki if k.endswith('.md'))}</td>"
                    f"<td>{html.escape(ep.stop_reason)}</td><td>{'-' if r is None else f'{r:.4f}'}"
                    + (f" <span class='bad' title='{html.escape(_gate(ep) or '')}'>(gate)</span>" if _gate(ep) else "")
                    + "</td><td>" + (f"<a href='episode-{html.escape(_href(ep.parent['episode_id']))}.html'>"
                                     f"{html.escape(ep.parent['episode_id'])}</a> @ step {ep.parent.get('step')}"
                                     if ep.parent else "") + "</td></tr>")
        (out / f"episode-{ep.episode_id}.html").write_text(
            _page(ep.episode_id, _episode_html(ep, md, siblings[ep.episode_id], sources), has_js), encoding="utf-8")
    mean = [r for r in (_reward(ep) for ep in episodes) if r is not None]
    summary = (f"<p>{len(episodes)} episodes · mean reward {sum(mean) / len(mean):.4f}</p>" if mean
               else f"<p>{len(episodes)} episodes</p>")
    if skipped:
        summary += (f"<p class='meta'>Diff pages: {len(chosen)} pairs (each fork with its parent, each episode with "
                    f"the next of its task, then others); {skipped} more pairs were not diffed.</p>")
    if not has_js:
        summary += ("<p class='bad'>Diagrams are shown as source: mermaid's browser build was not found (run npm ci "
                    "in the wikigym checkout or set WIKIGYM_NODE_MODULES).</p>")
    index = out / "index.html"
    index.write_text(_page("episodes", "<h1>Episodes</h1>" + summary + "<table id='episodes'><tr><th>episode</th>"
                           "<th>repo</th><th>task</th><th>policy</th><th>steps</th><th>calls</th><th>invalid</th>"
                           "<th>pages</th><th>stop</th><th>reward</th><th>parent</th></tr>" + "".join(rows) +
                           "</table>", False), encoding="utf-8")
    return index


def serve(out: Path, port: int = 8765, on_ready: Any = None) -> None:  # pragma: no cover - interactive
    """Serve the site on 127.0.0.1 until interrupted; `on_ready(url)` is called once the port is bound.

    Raises WikigymError (one line) when the port cannot be bound, before anything claims to be serving.
    """
    import functools
    import http.server

    from wikigym.errors import WikigymError

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    try:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as e:  # most often: the port is taken (another --serve still running)
        raise WikigymError(f"cannot serve on 127.0.0.1:{port} ({e.strerror or e}); pass another --port, or open "
                           f"{out / 'index.html'} directly (the site works from file://)") from None
    with httpd:
        if on_ready is not None:
            on_ready(f"http://127.0.0.1:{httpd.server_address[1]}/")
        httpd.serve_forever()
