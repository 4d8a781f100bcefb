"""Task builders: what an episode asks the agent to do, as SemanticWiki would ask it.

Tool-loop tasks (SemanticWiki's `--direct-api` loop, §2.2 of the spec):
- `generate`: write a whole wiki (`buildGenerationPrompt`, full mode).
- `continue`: write the pages a partial wiki links to but lacks (`semanticwiki continue`: the missing pages are the
  broken links' targets resolved against the wiki root).
- `update`: the repository moved from `base_commit` to the snapshot's commit; update the wiki written at the base
  (`semanticwiki update-wiki`: `git diff --name-status`, source files only, pages that mention a changed file, pages to
  create for new modules).

Single-turn tasks (SemanticWiki's `--full-local` page-by-page mode, §3.3-3.4), no tools:
- `plan`: the planner prompt listing every project file, answered with JSON;
- `page`: one page from a page spec with source code pasted in, written raw to `<filename>`;
- `index`: the index page over a list of pages, written to `index.md`.

Deliberate deviations, each noted where it happens: `update` names a page for a new top-level file after the file
(SemanticWiki names it `..md`); `page` pastes the page's source files (SemanticWiki's fallback when its search finds
less than 500 characters) rather than search results.

What it deliberately does not do: run the agent (see `loop.py`) or choose repositories (see `record.py`).
"""

from __future__ import annotations

import math
import os
import posixpath
import random
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError
from wikigym.simulator.prompts import PromptSet, tool_name_values
from wikigym.trajectories.schema import SINGLE_TURN_KINDS, TaskSpec

LOOP_TASKS = ("generate", "continue", "update")
SINGLE_TURN_TASKS = SINGLE_TURN_KINDS
TASK_KINDS = LOOP_TASKS + SINGLE_TURN_TASKS

# SemanticWiki's sampling per task: (temperature, max_tokens). The tool loop uses 0.7 / 8192.
DEFAULT_SAMPLING: dict[str, tuple[float, int]] = {
    "generate": (0.7, 8192), "continue": (0.7, 8192), "update": (0.7, 8192),
    "plan": (0.3, 8192), "page": (0.3, 4096), "index": (0.7, 2048),
}
PAGE_RETRY_TEMPERATURE = 0.1
PAGE_MIN_CHARS = 200

# update-wiki's source filter (`relevantExts`).
UPDATE_EXTS = (".ts", ".tsx", ".js", ".jsx", ".py", ".go", ".rs", ".java", ".kt", ".rb", ".php", ".c", ".cpp", ".cs",
               ".swift")

# The planner's file scan (gatherProjectFiles): skipped directories and included extensions.
PLAN_SKIP_DIRS = {"node_modules", ".git", "dist", "build", ".next", "coverage", "__pycache__", "venv", ".venv",
                  "vendor", ".cache", ".turbo"}
PLAN_EXTS = set(
    [".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".vue", ".svelte", ".c", ".h", ".cpp", ".hpp", ".cc", ".cxx", ".rs", ".go", ".java", ".kt", ".kts", ".scala", ".groovy", ".gradle", ".py", ".rb", ".php", ".pl", ".pm", ".lua", ".r", ".R", ".cs", ".fs", ".vb", ".cbl", ".cob", ".cpy", ".jcl", ".prc", ".bms", ".asm", ".s", ".pli", ".pl1", ".rpg", ".rpgle", ".clp", ".clle", ".dspf", ".pf", ".hs", ".lhs", ".ml", ".mli", ".erl", ".ex", ".exs", ".elm", ".clj", ".cljs", ".sh", ".bash", ".zsh", ".ps1", ".psm1", ".bat", ".cmd", ".json", ".yaml", ".yml", ".toml", ".xml", ".ini", ".conf", ".cfg", ".sql", ".ddl", ".dml", ".plsql", ".pgsql", ".md", ".mdx", ".rst", ".txt", ".css", ".scss", ".less", ".sass", ".swift", ".m", ".mm", ".dart", ".proto", ".graphql", ".gql", ".tf", ".hcl"])
DOC_EXTS = {".md", ".txt", ".rst", ".adoc"}


@dataclass
class Task:
    """One episode's task: its record (`spec`), system prompt, first user message and starting wiki."""

    spec: TaskSpec
    system: str
    single_turn: bool = False
    seed_wiki: dict[str, str] = field(default_factory=dict)
    output_page: str | None = None
    temperature: float = 0.7
    max_tokens: int = 8192

    @property
    def prompt(self) -> str:
        return self.spec.prompt


def task_from_spec(spec: TaskSpec, system: str) -> Task:
    """The task a recorded episode solved, rebuilt from its record (prompt, system prompt, starting wiki, page).

    Rollouts of a recorded task must all see that exact task: rebuilding it from the repository would pick the page
    (`page`), the partial wiki (`continue`) or the base commit (`update`) from each rollout's own seed, so K rollouts
    of one task would answer K different prompts and their preference pairs would compare unrelated answers.
    """
    temperature, max_tokens = DEFAULT_SAMPLING[spec.kind]
    output = (spec.page or {}).get("filename") if spec.kind == "page" else "index.md" if spec.kind == "index" else None
    return Task(spec=spec.model_copy(deep=True), system=system, single_turn=spec.kind in SINGLE_TURN_TASKS,
                seed_wiki=dict(spec.seed_wiki), output_page=output, temperature=temperature, max_tokens=max_tokens)


def _common(prompts: PromptSet, mode: str, repo: str, output_dir: str) -> dict[str, Any]:
    values: dict[str, Any] = dict(tool_name_values(mode))
    values.update(repo=repo, output_dir=output_dir)
    return values


def _task(kind: str, prompts: PromptSet, mode: str, prompt: str, **kw: Any) -> Task:
    temperature, max_tokens = DEFAULT_SAMPLING[kind]
    single = kind in SINGLE_TURN_TASKS
    system = prompts.render(f"{kind}_system" if single else "system", tool_name_values(mode))
    spec = TaskSpec(kind=kind, prompt=prompt, base_commit=kw.pop("base_commit", None),
                    missing_pages=kw.pop("missing_pages", []), page=kw.pop("page", None), plan=kw.pop("plan", None),
                    seed_wiki=dict(kw.get("seed_wiki", {})))
    return Task(spec=spec, system=system, single_turn=single, temperature=temperature, max_tokens=max_tokens, **kw)


# -- tool-loop tasks ------------------------------------------------------------------------------------------


def build_generate(prompts: PromptSet, mode: str, repo: str, output_dir: str, focus: str | None = None) -> Task:
    """`generate`: the full-wiki prompt. `focus` is SemanticWiki's `-p/--path` focus area."""
    values = _common(prompts, mode, repo, output_dir)
    values.update(focus_line=f"**Focus Area:** {focus}" if focus else "", config_note="")
    return _task("generate", prompts, mode, prompts.render("generate", values))


def missing_pages_of(broken: list[dict[str, str]]) -> list[str]:
    """Unique missing pages, resolved against the wiki root, in first-seen order (`semanticwiki continue`)."""
    seen: list[str] = []
    for link in broken:
        p = link.get("resolved") or link["target"]
        if p not in seen:
            seen.append(p)
    return seen


def build_continue(prompts: PromptSet, mode: str, repo: str, output_dir: str, base_wiki: dict[str, str],
                   missing: list[str]) -> Task:
    """`continue`: write `missing` (wiki-root-relative pages) into a wiki seeded with `base_wiki`."""
    if not missing:
        raise ConfigError("a continue task needs a partial wiki with at least one missing page; the base wiki has no "
                          "broken links")
    values = _common(prompts, mode, repo, output_dir)
    values["missing_list"] = "\n".join(f"- {p}" for p in missing)
    return _task("continue", prompts, mode, prompts.render("continue", values), seed_wiki=dict(base_wiki),
                 missing_pages=list(missing))


def make_partial_wiki(wiki: dict[str, str], seed: int, fraction: float = 0.3) -> dict[str, str]:
    """Remove some linked pages from a complete wiki so that a `continue` episode has pages to write.

    Only pages that another page links to are removed (so they show up as broken links), never README.md/index.md;
    at least one is removed when possible. Deterministic for a given `seed`.
    """
    linked: set[str] = set()
    for rel, text in wiki.items():
        if not rel.endswith(".md"):
            continue
        for target in re.findall(r"\[[^\]]+\]\(([^)\s#]+\.md)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://")):
                continue
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
            if resolved in wiki and resolved != rel:
                linked.add(resolved)
    candidates = sorted(p for p in linked if posixpath.basename(p).lower() not in ("readme.md", "index.md"))
    if not candidates:
        return dict(wiki)
    rng = random.Random(seed)
    k = max(1, round(len(candidates) * fraction))
    drop = set(rng.sample(candidates, k))
    return {p: t for p, t in wiki.items() if p not in drop}


@dataclass
class UpdateContext:
    """What changed between two commits and which wiki pages it touches (`semanticwiki update-wiki`)."""

    new_files: list[str]
    modified_files: list[str]
    deleted_files: list[str]
    affected_pages: list[str]
    pages_to_create: list[str]

    def is_empty(self) -> bool:
        return not (self.affected_pages or self.pages_to_create)


def _git(repo_root: str | os.PathLike[str], *args: str) -> str:
    try:
        import git

        return git.Repo(repo_root, search_parent_directories=False).git.execute(["git", *args])
    except Exception as e:  # GitCommandError, InvalidGitRepositoryError: one line naming the repo
        msg = str(getattr(e, "stderr", "") or e).strip().splitlines()
        raise ConfigError(f"git {' '.join(args[:2])} failed in {repo_root}: {msg[-1] if msg else type(e).__name__}; "
                          f"the update task needs a git repository with both commits") from None


def changed_files(repo_root: str | os.PathLike[str], base_commit: str, head_commit: str) -> list[tuple[str, str]]:
    """`git diff --name-status base head` as (status letter, file), SemanticWiki's parse (a rename keeps both
    paths, tab-joined, under status R)."""
    out = _git(repo_root, "diff", "--name-status", base_commit, head_commit)
    changes = []
    for line in out.split("\n"):
        if not line.strip():
            continue
        status, *parts = line.split("\t")
        file = "\t".join(parts)
        if file:
            changes.append((status[:1], file))
    return changes


def affected_pages(wiki: dict[str, str], changed: list[str]) -> list[str]:
    """Wiki pages that mention a changed file (SemanticWiki's `findAffectedWikiPages`): its full path, file name,
    name without extension or `dir/file`, or its base name inside a fenced block."""
    pages: list[str] = []
    norm = []
    for f in changed:
        parts = f.split("/")
        filename = parts.pop() if parts else ""
        dirname = parts.pop() if parts else ""
        dot = filename.rfind(".")
        basename = filename[:dot] if dot > 0 else filename
        norm.append((f, filename, dirname, basename))
    for page in sorted(p for p in wiki if p.endswith(".md")):
        content = wiki[page]
        for full, filename, dirname, basename in norm:
            if any(pat and pat in content for pat in (full, filename, basename, dirname + "/" + filename)):
                pages.append(page)
                break
            if re.search(r"```[^\n]*\n[\s\S]*?" + re.escape(basename) + r"[\s\S]*?```", content):
                pages.append(page)
                break
    return pages


def update_context(repo_root: str | os.PathLike[str], base_commit: str, head_commit: str,
                   base_wiki: dict[str, str]) -> UpdateContext:
    """Compute SemanticWiki's update context for the move base -> head over the wiki written at base."""
    changes = [(s, f) for s, f in changed_files(repo_root, base_commit, head_commit) if f.endswith(UPDATE_EXTS)]
    new = [f for s, f in changes if s == "A"]
    modified = [f for s, f in changes if s == "M"]
    deleted = [f for s, f in changes if s == "D"]
    affected = affected_pages(base_wiki, new + modified + deleted)
    to_create: list[str] = []
    for f in new:
        dirname = posixpath.dirname(f)
        # Deviation: SemanticWiki takes the directory's last part even for a top-level file (dirname "."), which
        # names the page "..md"; wikigym uses the file's own name then.
        module = dirname.split("/")[-1] if dirname else posixpath.splitext(posixpath.basename(f))[0]
        candidates = [f"{module}.md", f"{dirname.replace('/', '-')}.md" if dirname else f"{module}.md",
                      f"modules/{module}.md"]
        existing = next((c for c in candidates if c in base_wiki), None)
        if existing is not None:
            if existing not in affected:
                affected.append(existing)
        elif f"{module}.md" not in to_create:
            to_create.append(f"{module}.md")
    return UpdateContext(new, modified, deleted, affected, to_create)


def build_update(prompts: PromptSet, mode: str, repo: str, output_dir: str, ctx: UpdateContext, base_commit: str,
                 base_wiki: dict[str, str]) -> Task:
    """`update`: the surgical-update prompt for `ctx`, over a wiki seeded with `base_wiki`."""
    def section(title: str, items: list[str], code: bool) -> str:
        if not items:
            return ""
        lines = "\n".join(f"- `{x}`" if code else f"- {x}" for x in items)
        return f"### {title}\n{lines}\n"

    values = _common(prompts, mode, repo, output_dir)
    values.update(
        new_files_section=section("New Files (need new documentation)", ctx.new_files, True),
        modified_files_section=section("Modified Files (update existing docs)", ctx.modified_files, True),
        deleted_files_section=section("Deleted Files (remove references)", ctx.deleted_files, True),
        affected_pages_section=section("Wiki Pages to Update", ctx.affected_pages, False),
        pages_to_create_section=section("New Wiki Pages to Create", ctx.pages_to_create, False),
    )
    return _task("update", prompts, mode, prompts.render("update", values), seed_wiki=dict(base_wiki),
                 base_commit=base_commit)


def update_base_candidates(repo_root: str | os.PathLike[str], head_commit: str, limit: int = 200) -> list[str]:
    """First-parent ancestors of `head_commit` whose diff to head touches a source file, nearest first."""
    log = _git(repo_root, "rev-list", "--first-parent", f"--max-count={limit}", head_commit).split()
    out = []
    for commit in log[1:]:
        if any(f.endswith(UPDATE_EXTS) for _, f in changed_files(repo_root, commit, head_commit)):
            out.append(commit)
        if len(out) >= 8:
            break
    return out


# -- single-turn (local page-by-page) tasks -----------------------------------------------------------------------


@dataclass
class ProjectFile:
    path: str
    ext: str
    size: int


def project_files(repo_root: str | os.PathLike[str]) -> list[ProjectFile]:
    """The planner's file list (SemanticWiki's `gatherProjectFiles`), entries in byte order per directory."""
    root = Path(repo_root)
    out: list[ProjectFile] = []

    def scan(d: Path, rel: str) -> None:
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name.encode("utf-8", "surrogateescape"))
        except OSError:
            return
        for e in entries:
            r = f"{rel}/{e.name}" if rel else e.name
            if e.is_dir(follow_symlinks=False):
                if e.name not in PLAN_SKIP_DIRS and not e.name.startswith("."):
                    scan(Path(e.path), r)
            elif e.is_file(follow_symlinks=False):
                ext = os.path.splitext(e.name)[1].lower() if not e.name.startswith(".") or e.name.count(".") > 1 \
                    else ""
                if ext in PLAN_EXTS:
                    try:
                        out.append(ProjectFile(r, ext, e.stat().st_size))
                    except OSError:
                        pass

    scan(root, "")
    return out


def _grouping_suggestions(ext_counts: dict[str, int], total: int) -> str:
    """Language-aware grouping hints for the planner (wikigym's wording of SemanticWiki's suggestions)."""
    has = ext_counts.__contains__
    lines: list[str] = []
    if has(".cbl") or has(".cob") or has(".cpy") or has(".jcl") or has(".bms"):
        lines += ["**Mainframe/COBOL project** - suggested groups:",
                  "- **Online programs**: CICS transactions grouped by business function",
                  "- **Batch programs**: batch jobs with their JCL",
                  "- **Copybooks**: shared record layouts and communication areas",
                  "- **Data layer**: VSAM files, DB2 tables, IMS segments"]
    elif has(".ts") or has(".tsx"):
        lines += ["**TypeScript/JavaScript project** - suggested groups:",
                  "- **API routes and handlers**, by domain", "- **UI components**, by feature",
                  "- **Services and business logic**", "- **State management**", "- **Configuration and types**"]
    elif has(".java"):
        lines += ["**Java project** - suggested groups:", "- **Controllers and endpoints**", "- **Services**",
                  "- **Repositories and DAOs**", "- **Models and entities**", "- **Configuration**"]
    elif has(".py"):
        lines += ["**Python project** - suggested groups:", "- **API and views**", "- **Models**",
                  "- **Services and logic**", "- **Utilities and helpers**"]
    elif has(".go"):
        lines += ["**Go project** - suggested groups:", "- **Handlers**", "- **Domain types**",
                  "- **Storage**", "- **Shared packages**"]
    elif has(".cpp") or has(".c"):
        lines += ["**C/C++ project** - suggested groups:", "- **Core sources**", "- **Libraries**",
                  "- **Headers and interfaces**", "- **Drivers and hardware abstraction**"]
    else:
        lines += ["**General project** - suggested groups:", "- one page per major directory",
                  "- pages by functionality", "- separate pages for configuration and utilities"]
    lines += ["", "**For every project:**", f"- {math.ceil(total / 8)}-{math.ceil(total / 5)} pages for {total} "
              f"source files", "- 2-8 related files per page", "- name pages by what they do, not where they are"]
    return "\n".join(lines)


def build_plan(prompts: PromptSet, repo_root: str | os.PathLike[str]) -> Task:
    """`plan`: SemanticWiki's planner prompt over the repository's files (answer: JSON only, no tools)."""
    files = project_files(repo_root)
    source = [f for f in files if f.ext not in DOC_EXTS]
    min_pages = max(5, min(25, math.ceil(len(source) / 8)))
    ext_counts: dict[str, int] = {}
    for f in files:
        ext_counts[f.ext] = ext_counts.get(f.ext, 0) + 1
    ext_summary = ", ".join(f"{e}: {n} files" for e, n in sorted(ext_counts.items(), key=lambda kv: -kv[1]))
    file_list = "\n".join(f"{f.path} ({f.ext}, {'small' if f.size < 1000 else 'medium' if f.size < 10000 else 'large'})"
                          for f in files)
    values = dict(source_file_count=len(source), ext_summary=ext_summary, min_pages=min_pages,
                  max_pages=min_pages + 10, file_list=file_list,
                  grouping_suggestions=_grouping_suggestions(ext_counts, len(source)))
    return _task("plan", prompts, "direct", prompts.render("plan", values))


def pattern_plan(repo_root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """A page plan without a model (one page per top-level directory with 2+ files, an architecture page and a
    getting-started page), used to give `page` and `index` tasks their page specs."""
    files = [f for f in project_files(repo_root) if f.ext not in DOC_EXTS]
    by_dir: dict[str, list[str]] = {}
    for f in files:
        top = f.path.split("/")[0] if "/" in f.path else "."
        by_dir.setdefault(top, []).append(f.path)
    pages: list[dict[str, Any]] = [{"title": "Architecture Overview", "filename": "architecture.md", "type": "overview",
                                    "context": "High-level architecture of the project.",
                                    "sourceFiles": [f.path for f in files][:10]}]
    for d, paths in sorted(by_dir.items()):
        if d == "." or len(paths) < 2:
            continue
        title = " ".join(w.capitalize() for w in re.split(r"[-_\s]+", d) if w)
        slug = re.sub(r"[^a-z0-9]+", "-", d.lower()).strip("-") or "module"
        pages.append({"title": title, "filename": f"{slug}.md", "type": "module",
                      "context": f"The {d}/ directory.", "sourceFiles": paths[:8]})
    setup = [f.path for f in project_files(repo_root) if re.search(r"readme|package\.json|Makefile|setup\.|install",
                                                                   f.path, re.IGNORECASE)]
    pages.append({"title": "Getting Started", "filename": "getting-started.md", "type": "guide",
                  "context": "Installation, setup, and development workflow", "sourceFiles": setup})
    return pages


def _file_context(repo_root: str | os.PathLike[str], files: list[str]) -> str:
    """Source context from the page's first five files, 1500 characters each (SemanticWiki's fallback)."""
    out = ""
    for rel in files[:5]:
        p = Path(repo_root) / rel
        try:
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        more = "\n... (truncated)" if len(text) > 1500 else ""
        out += f"\n### File: {rel}\n```\n{text[:1500]}\n{more}\n```\n"
    return out


def plan_summary(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a page/index task records of its plan (`TaskSpec.plan`): title, filename and type of every page."""
    return [{"title": p["title"], "filename": p["filename"], "type": p["type"]} for p in pages]


def build_page(prompts: PromptSet, repo_root: str | os.PathLike[str], page: dict[str, Any],
               all_pages: list[dict[str, Any]]) -> Task:
    """`page`: one page of the local page-by-page mode; the answer is written raw to `page["filename"]`."""
    others = [f"- [{p['title']}](./{p['filename']})" for p in all_pages if p["filename"] != page["filename"]]
    context = _file_context(repo_root, list(page.get("sourceFiles", [])))
    values = dict(title=page["title"], page_type=page["type"], source_context=context or "No source code available",
                  related_links="\n".join(others[:5]) if others else "none")
    return _task("page", prompts, "direct", prompts.render("page", values), page=dict(page),
                 output_page=page["filename"], plan=plan_summary(all_pages))


def build_index(prompts: PromptSet, project: str, pages: list[dict[str, Any]]) -> Task:
    """`index`: the index page over `pages`, written to `index.md`."""
    links = "\n".join(f"- [{p['title']}](./{p['filename']}) - {p['type']}" for p in pages)
    return _task("index", prompts, "direct", prompts.render("index", dict(project=project, page_links=links)),
                 output_page="index.md", plan=plan_summary(pages))


def head_commit(repo_root: str | os.PathLike[str]) -> str | None:
    """The checked-out commit of a git work tree, or None."""
    try:
        return subprocess.run(["git", "-C", str(repo_root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None
