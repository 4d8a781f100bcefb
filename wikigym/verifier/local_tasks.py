"""Task-aware scoring of SemanticWiki's single-turn local tasks (`--full-local`): `plan`, `page` and `index`.

A single-turn episode answers one question, so scoring it as a whole wiki (structure tree, coverage, hub links, page
count) is meaningless: a perfect plan writes no page and scores 0, a good page is penalised for the rest of the
wiki. Each kind gets its own checks here, with the same `Score`/`CheckResult`/`Finding` records and a weighted mean
over versioned weights (`weights-local-v1.yaml`):

- `plan` (the planner's JSON answer, spec §3.3): the answer is parsed exactly as SemanticWiki's code parses it (trim,
  strip a ```/```json opener and a closing fence, `JSON.parse`, then its page loop); an answer that does not parse to
  an object with a `pages` array, or whose pages make that loop throw (a null page, a kept page without a string
  filename or type), sends SemanticWiki to its pattern plan, so the model's plan is lost: gate, reward 0. Then `schema`
  (projectType; per page title, filename, type after SemanticWiki's normalisation, context, files), `page_count`
  (the prompt's "min-min+10" range), `files_exist` (every listed path is exactly one of the project files, as
  SemanticWiki keeps only those: invented, reformatted (`./a.py`) or unlisted paths are findings),
  `files_per_page` (2-8), `coverage` (the repo's important modules, ranked as the whole-wiki coverage check ranks
  them, appear in some page's files) and `duplicates` (filenames, `.md` added as SemanticWiki adds it, and titles).
- `page` (one page written raw to its filename, spec §3.4): the page-level checks of the whole-wiki verifier on that
  page alone (`citations` with the 📄 links, `hallucination`, `stubs`, `mermaid` only when the page has diagrams:
  the prompt asks for none), `links` (every `.md` link must point to a page of the task's plan or to `index.md`;
  the related pages the prompt offered should be linked) and `sections` (starts with `# <title>`, an overview
  paragraph, Key Components, How It Works, the related-pages section). No page file (SemanticWiki writes none of 200
  characters or less) is a gate.
- `index` (`index.md`): `coverage` (every planned page linked at least once), `unplanned` (no link to a page outside
  the plan), `duplicates` (a page linked more than once), `grouping` (links under section headings) and `stubs`.

The plan of a page/index task is `episode.task.plan` (recorded since this module exists); older records fall back to
the prompt: the index prompt lists every page, the page prompt only the related ones it offered.

What it deliberately does not do: score whole wikis (see `verifier.py`), call an LLM, or write anything.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wikigym.errors import ConfigError
from wikigym.tools.node_fs import js_truthy
from wikigym.tools.search.jsstr import js_trim
from wikigym.trajectories.schema import SINGLE_TURN_KINDS
from wikigym.verifier.checks.citations import check_citations, extract_citations
from wikigym.verifier.checks.hallucination import check_hallucination
from wikigym.verifier.checks.links import resolve_link
from wikigym.verifier.checks.mermaid import check_mermaid, diagram_codes
from wikigym.verifier.checks.stubs import check_stubs
from wikigym.verifier.model import CheckResult, Finding, Score, r6
from wikigym.verifier.repo_index import RepoIndex
from wikigym.verifier.reward import read_weights_yaml, weighted_mean
from wikigym.verifier.wiki import MD_LINK_RE, Page, Wiki

LOCAL_KINDS = SINGLE_TURN_KINDS
LOCAL_CHECKS: dict[str, tuple[str, ...]] = {
    "plan": ("schema", "page_count", "files_exist", "files_per_page", "coverage", "duplicates"),
    "page": ("citations", "hallucination", "sections", "stubs", "links", "mermaid"),
    "index": ("coverage", "unplanned", "grouping", "stubs", "duplicates"),
}
PAGE_TYPES = ("overview", "component", "module", "guide", "config")
PLAN_WHERE = "plan.json"  # the `page` of a plan finding: the answer is not a wiki page


# -- configuration ------------------------------------------------------------------------------------------------


class LocalSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: dict[str, float]
    gates: dict[str, Any] = Field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def check(self, name: str) -> dict[str, Any]:
        return dict(self.checks.get(name) or {})


class LocalTaskConfig(BaseModel):
    """The content of `weights-local-v1.yaml`: one section of weights and parameters per task kind."""

    model_config = ConfigDict(extra="forbid")
    version: str
    plan: LocalSection
    page: LocalSection
    index: LocalSection

    @field_validator("plan", "page", "index")
    @classmethod
    def _known(cls, v: LocalSection, info: Any) -> LocalSection:
        known = LOCAL_CHECKS[info.field_name]
        for name, w in v.weights.items():
            if name not in known:
                raise ValueError(f"unknown {info.field_name} check {name!r} (known: {', '.join(known)})")
            if w < 0:
                raise ValueError(f"weight of {info.field_name}.{name} is {w}; weights must be >= 0")
        if sum(v.weights.values()) <= 0:
            raise ValueError(f"all {info.field_name} weights are 0")
        for name in v.checks:
            if name not in known:
                raise ValueError(f"parameters for unknown {info.field_name} check {name!r}")
        return v

    @classmethod
    def load(cls, path: Path | str | None = None) -> LocalTaskConfig:
        """Read a local-task weights file (default: the packaged `weights-local-v1.yaml`)."""
        data = read_weights_yaml("weights-local-v1.yaml", path, "local-task weights")
        try:
            return cls.model_validate(data)
        except Exception as e:  # pydantic names the field
            raise ConfigError(f"local-task weights {path or 'weights-local-v1.yaml'}: "
                              f"{' '.join(str(e).splitlines()[:3])}") from None


def combine_local(kind: str, checks: dict[str, CheckResult], section: LocalSection, version: str,
                  gate: str | None) -> Score:
    """Weighted mean of the applicable checks (as `reward.combine`), zeroed by `gate`.

    >>> sec = LocalSection(weights={"schema": 3, "coverage": 1})
    >>> s = combine_local("plan", {"schema": CheckResult("schema", 0.5), "coverage": CheckResult("coverage", 1.0)},
    ...                   sec, "t", None)
    >>> s.reward, s.stats["scorer"]
    (0.625, 'plan')
    """
    raw, deductions = weighted_mean(checks, section.weights)
    return Score(reward=0.0 if gate else r6(raw), checks=checks, gate=gate, deductions=deductions,
                 weights_version=version, stats={"raw_reward": r6(raw), "scorer": kind})


# -- the plan -----------------------------------------------------------------------------------------------------


def answer_text(episode: Any) -> str:
    """The episode's final answer: the visible text of its last turn ("" when it has none)."""
    steps = getattr(episode, "steps", None) or []
    return steps[-1].text if steps else ""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # JSON.parse rejects NaN/Infinity; Python's json accepts them


_FENCE_OPEN_RE = re.compile(r"\A```(?:json)?\n?")
_FENCE_CLOSE_RE = re.compile(r"\n?```\Z")


def strip_fence(text: str) -> str:
    """SemanticWiki's clean-up before `JSON.parse` (wiki-agent.ts): `trim()`, then only when the text starts with a
    fence, `replace(/^```(?:json)?\\n?/, '')` and `replace(/\\n?```$/, '')`; nothing else (a ```JSON or ```python
    opener keeps its word, a closing fence without an opening one stays).

    >>> strip_fence('```json\\n{"a": 1}\\n```')
    '{"a": 1}'
    >>> strip_fence('```python\\n{}\\n```')
    'python\\n{}'
    """
    t = js_trim(text)
    if t.startswith("```"):
        t = _FENCE_CLOSE_RE.sub("", _FENCE_OPEN_RE.sub("", t, count=1), count=1)
    return t


def _js_repr(page: dict[str, Any], field: str) -> str:
    return json.dumps(page[field]) if field in page else "undefined"


def _page_loop_error(pages: list[Any], existing: set[str]) -> str | None:
    """Why SemanticWiki's loop over the plan's pages would throw (it then drops the whole plan), or None.

    Its loop reads `(page.files || []).filter(...)` for every entry, and for each page it keeps (some listed file
    exists, or `type` is exactly "overview"/"guide") `page.filename.endsWith(...)` and `page.type.toLowerCase()`;
    then `p.title.toLowerCase()` over the kept pages until one mentions "getting started". A null entry, a truthy
    non-array `files`, or a kept page whose filename, type or (reached) title is not a string raises a TypeError.
    """
    kept = []
    for i, p in enumerate(pages, 1):
        if p is None:
            return f"page {i} is null"
        if not isinstance(p, dict):
            continue  # a number, string or array entry: its properties read as undefined, so it is skipped
        files = p.get("files")
        if js_truthy(files) and not isinstance(files, list):
            return f"page {i}'s files is a {type(files).__name__}, not an array"
        valid = [f for f in files or [] if isinstance(f, str) and f in existing]
        if not (valid or p.get("type") in ("overview", "guide")):
            continue
        for fld in ("filename", "type"):
            if not isinstance(p.get(fld), str):
                return f"page {i}'s {fld} is {_js_repr(p, fld)}, not a string"
        kept.append((i, p))
    for i, p in kept:
        if not isinstance(p.get("title"), str):
            return f"page {i}'s title is {_js_repr(p, 'title')}, not a string"
        if "getting started" in p["title"].lower():
            break
    return None


def parse_plan_answer(text: str, existing: set[str] | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """(plan, None) when SemanticWiki would use the answer, else (None, why it falls back to its pattern plan).

    `existing`: the project's file list (SemanticWiki's `gatherProjectFiles`); with it, a plan that parses but would
    make SemanticWiki's page loop throw is refused too (see `_page_loop_error`).

    >>> parse_plan_answer('Here is the plan: {"pages": []}')[1]
    'the answer is not valid JSON (Expecting value at line 1 column 1); SemanticWiki falls back to its pattern plan'
    """
    t = strip_fence(text)
    if not t:
        return None, "the answer is empty; SemanticWiki falls back to its pattern plan"
    try:
        data = json.loads(t, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as e:
        msg = f"{e.msg} at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else str(e)
        return None, f"the answer is not valid JSON ({msg}); SemanticWiki falls back to its pattern plan"
    if not isinstance(data, dict):
        return None, (f"the answer is a JSON {type(data).__name__}, not an object; SemanticWiki falls back to its "
                      f"pattern plan")
    if not isinstance(data.get("pages"), list):
        return None, "the answer has no `pages` array; SemanticWiki falls back to its pattern plan"
    why = _page_loop_error(data["pages"], existing) if existing is not None else None
    if why:
        return None, f"{why}: SemanticWiki's page loop throws and it falls back to its pattern plan"
    return data, None


def normalise_type(t: Any) -> str | None:
    """SemanticWiki's `normalizePageType` (`type.toLowerCase()`, no trim); None for a type it does not recognise
    (it makes those modules).

    >>> [normalise_type(x) for x in ("Components", "routes", "tutorial", "configuration", "overview", " guide")]
    ['component', 'api', 'guide', 'config', 'overview', None]
    """
    if not isinstance(t, str):
        return None
    s = t.lower()
    if s in ("component", "components"):
        return "component"
    if s in ("api", "endpoint", "routes"):
        return "api"
    if s in ("guide", "tutorial", "getting-started"):
        return "guide"
    if s in ("config", "configuration"):
        return "config"
    if s in ("overview", "module"):
        return s
    return None


_RANGE_RE = re.compile(r"(?:Pages required|Required pages)\**:\s*\**\s*(\d+)\s*[-–]\s*(\d+)", re.IGNORECASE)


def _project_files(repo: RepoIndex) -> list[Any]:
    """The planner's file list of the repository (SemanticWiki's `gatherProjectFiles`; empty without a root)."""
    from wikigym.simulator.tasks import project_files

    root = getattr(repo.snapshot, "root", None)
    return project_files(root) if root else []


def plan_range(prompt: str, repo: RepoIndex, cfg: dict[str, Any],
               files: list[Any] | None = None) -> tuple[int, int, str]:
    """(min, max, where from): the prompt's "Required pages: a-b" line, else SemanticWiki's formula on the repo."""
    m = _RANGE_RE.search(prompt or "")
    if m:
        return int(m.group(1)), int(m.group(2)), "prompt"
    from wikigym.simulator.tasks import DOC_EXTS

    files = _project_files(repo) if files is None else files
    n = sum(1 for f in files if f.ext not in DOC_EXTS)
    lo = max(int(cfg.get("min_floor", 5)), min(int(cfg.get("min_cap", 25)),
                                               math.ceil(n / int(cfg.get("files_per_page", 8)))))
    return lo, lo + int(cfg.get("range", 10)), "repository"


def _clean_path(p: str) -> str:
    p = p.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def score_plan(episode: Any, repo: RepoIndex, section: LocalSection, version: str) -> Score:
    """Score a `plan` episode's JSON answer (see the module docstring)."""
    text = answer_text(episode)
    project = _project_files(repo)
    existing = {f.path for f in project}  # SemanticWiki keeps a listed path only when it is exactly one of these
    data, error = parse_plan_answer(text, existing)
    if data is None:
        assert error is not None
        checks = {name: CheckResult(name, 0.0, [Finding(PLAN_WHERE, None, "plan not parsed", error)] if i == 0 else [])
                  for i, name in enumerate(LOCAL_CHECKS["plan"])}
        score = combine_local("plan", checks, section, version, f"unparseable plan: {error}")
        score.stats.update({"parsed": False, "answer_chars": len(text)})
        return score
    pages = data["pages"]
    checks: dict[str, CheckResult] = {}

    # schema
    findings: list[Finding] = []
    items = ok = 1
    if not (isinstance(data.get("projectType"), str) and data["projectType"].strip()):
        ok -= 1
        findings.append(Finding(PLAN_WHERE, None, "projectType missing", "the plan must name the project type"))
    for i, p in enumerate(pages, 1):
        items += 5
        if not isinstance(p, dict):
            findings.append(Finding(PLAN_WHERE, None, f"page {i} is not an object", "each page must be a JSON object"))
            continue
        label = f"page {i} ({p.get('title')!r})" if isinstance(p.get("title"), str) else f"page {i}"
        for fld in ("title", "filename", "context"):
            if isinstance(p.get(fld), str) and p[fld].strip():
                ok += 1
            else:
                findings.append(Finding(PLAN_WHERE, None, f"{label}: {fld} missing",
                                        f"every page needs a non-empty string `{fld}`"))
        if normalise_type(p.get("type")) is not None:
            ok += 1
        else:
            findings.append(Finding(PLAN_WHERE, None, f"{label}: type {p.get('type')!r} unknown",
                                    f"types are {'|'.join(PAGE_TYPES)}; SemanticWiki turns others into module"))
        files = p.get("files")
        if isinstance(files, list) and files and all(isinstance(f, str) for f in files):
            ok += 1
        else:
            findings.append(Finding(PLAN_WHERE, None, f"{label}: files missing",
                                    "every page needs `files`, a non-empty list of paths"))
    checks["schema"] = CheckResult("schema", ok / items, findings, {"pages": len(pages)})

    # page_count
    pcfg = section.check("page_count")
    lo, hi, src = plan_range(getattr(episode.task, "prompt", ""), repo, pcfg, project)
    n = len(pages)
    if n < lo:
        cnt, f = n / lo if lo else 1.0, [Finding(PLAN_WHERE, None, f"{n} pages", f"fewer than the {lo} the prompt "
                                                                                     f"requires ({lo}-{hi})")]
    elif n > hi:
        cnt, f = hi / n, [Finding(PLAN_WHERE, None, f"{n} pages", f"more than the {hi} the prompt allows ({lo}-{hi})")]
    else:
        cnt, f = 1.0, []
    checks["page_count"] = CheckResult("page_count", cnt, f, {"pages": n, "min": lo, "max": hi, "range_from": src})

    # files_exist, files_per_page, coverage
    listed = [(i, p, [x for x in p.get("files") if isinstance(x, str)])
              for i, p in enumerate(pages, 1) if isinstance(p, dict) and isinstance(p.get("files"), list)]
    total = exist = 0
    findings = []
    seen_bad: set[str] = set()
    for i, p, files in listed:
        for path in files:
            total += 1
            if path in existing:
                exist += 1
            elif path not in seen_bad:
                seen_bad.add(path)
                why = ("is not in the repository" if not repo.exists(_clean_path(path)) else
                       "is not written as the project file list writes it" if _clean_path(path) in existing else
                       "is not one of the project files the prompt listed")
                findings.append(Finding(PLAN_WHERE, None, f"invented file {path}",
                                        f"page {i} ({p.get('title')!r}) lists a path that {why}; SemanticWiki keeps "
                                        f"only exact matches and drops it"))
    if total == 0:
        findings.insert(0, Finding(PLAN_WHERE, None, "no files listed", "no page lists any source file"))
    checks["files_exist"] = CheckResult("files_exist", exist / total if total else 0.0, findings,
                                        {"listed": total, "existing": exist})
    fcfg = section.check("files_per_page")
    fmin, fmax = int(fcfg.get("min", 2)), int(fcfg.get("max", 8))
    findings = []
    good = 0
    for i, p in enumerate(pages, 1):
        files = p.get("files") if isinstance(p, dict) else None
        k = len({_clean_path(x) for x in files if isinstance(x, str)}) if isinstance(files, list) else 0
        if fmin <= k <= fmax:
            good += 1
        else:
            title = p.get("title") if isinstance(p, dict) else None
            findings.append(Finding(PLAN_WHERE, None, f"page {i} ({title!r}) has {k} files",
                                    f"the prompt asks for {fmin}-{fmax} related files per page"))
    checks["files_per_page"] = CheckResult("files_per_page", good / len(pages) if pages else 0.0, findings,
                                           {"pages_in_range": good, "min": fmin, "max": fmax})
    top_k = int(section.check("coverage").get("top_k", 20))
    important = repo.important_modules(top_k)
    planned = {f for _, _, files in listed for f in files if f in existing}
    missing = [m for m in important if m not in planned]
    checks["coverage"] = CheckResult(
        "coverage", (len(important) - len(missing)) / len(important) if important else 1.0,
        [Finding(PLAN_WHERE, None, f"important module {m} is on no page",
                 f"ranked #{important.index(m) + 1} of {len(important)} by import centrality and size")
         for m in missing], {"important": len(important), "planned_important": len(important) - len(missing),
                             "planned_files": len(planned)})

    # duplicates
    findings = []
    dup_pages = 0
    names: dict[str, int] = {}
    titles: dict[str, int] = {}
    for i, p in enumerate(pages, 1):
        if not isinstance(p, dict):
            continue
        fn = str(p.get("filename") or "").strip().lower()
        fn = fn if not fn or fn.endswith(".md") else fn + ".md"
        tt = " ".join(str(p.get("title") or "").split()).casefold()
        hit = False
        if fn and fn in names:
            findings.append(Finding(PLAN_WHERE, None, f"duplicate filename {fn}", f"pages {names[fn]} and {i} would "
                                                                                  f"be written to the same file"))
            hit = True
        if tt and tt in titles:
            findings.append(Finding(PLAN_WHERE, None, f"duplicate title {p.get('title')!r}",
                                    f"pages {titles[tt]} and {i} have the same title"))
            hit = True
        names.setdefault(fn, i)
        titles.setdefault(tt, i)
        dup_pages += hit
    checks["duplicates"] = CheckResult("duplicates", 1 - dup_pages / len(pages) if pages else 1.0, findings,
                                       {"duplicate_pages": dup_pages})
    score = combine_local("plan", checks, section, version, None)
    score.stats.update({"parsed": True, "pages": len(pages), "answer_chars": len(text)})
    return score


# -- the plan a page/index task belongs to ------------------------------------------------------------------------

_PLAN_LINE_RE = re.compile(r"^-\s+\[(?P<title>[^\]\n]+)\]\((?:\./)?(?P<file>[^)\s]+)\)(?:\s+-\s+(?P<type>[\w-]+))?"
                           r"\s*$", re.MULTILINE)


def task_plan(task: Any) -> tuple[list[dict[str, Any]], str]:
    """(pages of the plan the task belongs to, "task" | "prompt"): `task.plan` when recorded, else the prompt's
    `- [Title](./file.md)` lines (for a page task, only the related pages it offered, plus its own page)."""
    plan = getattr(task, "plan", None)
    if plan:
        return [dict(p) for p in plan], "task"
    pages = [{"title": m.group("title"), "filename": m.group("file"), "type": (m.group("type") or "").lower()}
             for m in _PLAN_LINE_RE.finditer(getattr(task, "prompt", "") or "")]
    own = getattr(task, "page", None)
    if own and own.get("filename") and all(p["filename"] != own["filename"] for p in pages):
        pages.insert(0, {"title": own.get("title", ""), "filename": own["filename"], "type": own.get("type", "")})
    return pages, "prompt"


def _written(episode: Any, wiki_dir: Path | None, rel: str) -> str | None:
    if wiki_dir is not None:
        p = Path(wiki_dir) / rel
        if p.is_file():
            return p.read_text(encoding="utf-8", errors="replace")
    return (getattr(episode, "wiki", None) or {}).get(rel)


def _no_page(kind: str, rel: str, section: LocalSection, version: str, why: str) -> Score:
    checks = {name: CheckResult(name, 0.0, [Finding(rel, None, f"no {rel}", why)] if i == 0 else [])
              for i, name in enumerate(LOCAL_CHECKS[kind])}
    score = combine_local(kind, checks, section, version, f"{rel} was not written: {why}")
    score.stats.update({"pages": 0})
    return score


# -- a page -------------------------------------------------------------------------------------------------------

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_REL_HEADING_RE = re.compile(r"^###\s*4\.\s*(?P<h>[^\n(]+)", re.MULTILINE)


def _norm(s: str) -> str:
    return " ".join(re.sub(r"[*_`]", "", s).split()).casefold()


def _headings(page: Page) -> list[tuple[int, int, str]]:
    out = []
    for n, t in page.prose:
        m = _HEADING_RE.match(t)
        if m:
            out.append((n, len(m.group(1)), m.group(2)))
    return out


def check_sections(page: Page, title: str, prompt: str, cfg: dict[str, Any]) -> CheckResult:
    """The page prompt's required structure: `# <title>` first, an overview, Key Components, How It Works and the
    related-pages section (its name from the prompt's `### 4.` line, or any configured alias).

    >>> p = Page("a.md", "# Auth\\n\\nIt logs users in.\\n\\n## Key Components\\n\\nx\\n\\n## How It Works\\n\\ny\\n")
    >>> res = check_sections(p, "Auth", "", {})
    >>> res.score, [f.what for f in res.findings]
    (0.8, ['no Related Documentation section'])
    """
    related = [str(h) for h in cfg.get("related_headings", ["Related Documentation", "Related Pages"])]
    m = _REL_HEADING_RE.search(prompt or "")
    if m and m.group("h").strip() not in related:
        related.insert(0, m.group("h").strip())
    heads = _headings(page)
    findings: list[Finding] = []
    first = next(((n, t) for n, t in page.prose if t.strip()), None)
    ok = 0
    fm = _HEADING_RE.match(first[1]) if first else None
    if fm and len(fm.group(1)) == 1 and _norm(fm.group(2)) == _norm(title):
        ok += 1
    else:
        findings.append(Finding(page.path, first[0] if first else None, f"does not start with `# {title}`",
                                "the prompt's Overview section begins with the page title as H1"
                                + (f"; the first line is {first[1].strip()[:60]!r}" if first else "")))
    # Overview: prose between the H1 and the next heading, or an Overview heading.
    start = heads[0][0] if heads and heads[0][1] == 1 else 0
    nxt = next((n for n, lvl, _ in heads if n > start and lvl >= 1), 10 ** 9)
    intro = [t for n, t in page.prose if start < n < nxt and t.strip() and not _HEADING_RE.match(t)]
    if intro or any(_norm(h) == "overview" or _norm(h).endswith(" overview") for _, _, h in heads):
        ok += 1
    else:
        findings.append(Finding(page.path, None, "no overview", "the page must open with a few sentences on what "
                                                                "this part does and why"))
    for want in ("Key Components", "How It Works"):
        if any(lvl >= 2 and want.casefold() in _norm(h) for _, lvl, h in heads):
            ok += 1
        else:
            findings.append(Finding(page.path, None, f"no {want} section",
                                    f"the prompt requires a `## {want}` section"))
    if any(lvl >= 2 and any(r.casefold() in _norm(h) for r in related) for _, lvl, h in heads):
        ok += 1
    else:
        findings.append(Finding(page.path, None, f"no {related[0]} section",
                                f"the prompt requires a `## {related[0]}` section linking related pages"))
    return CheckResult("sections", ok / 5, findings, {"present": ok, "required": 5})


def _link_line(page: Page, target: str) -> int | None:
    idx = page.text.find(f"]({target}")
    return page.line_of(idx) if idx >= 0 else None


def check_plan_links(page: Page, plan: list[dict[str, Any]], related: list[str], cfg: dict[str, Any]) -> CheckResult:
    """`.md` links of a page: each must point to a planned page (or index.md); the offered related pages should be
    linked. Score = (w_unplanned x (1 - unplanned / checked) + w_related x linked related / offered) / sum of weights.

    >>> p = Page("a.md", "[B](./b.md) [Z](./z.md) [src](../src/a.py#L1)")
    >>> res = check_plan_links(p, [{"filename": "a.md"}, {"filename": "b.md"}], ["b.md"], {})
    >>> res.score, [f.what for f in res.findings]
    (0.65, ['link to unplanned page z.md'])
    """
    planned = {str(p.get("filename")) for p in plan} | {"index.md"}
    w_u, w_r = float(cfg.get("w_unplanned", 0.7)), float(cfg.get("w_related", 0.3))
    findings: list[Finding] = []
    checked = unplanned = 0
    linked: set[str] = set()
    for text, target in page.links:
        r = resolve_link(page.path, target)
        if r is None:
            continue
        checked += 1
        linked.add(r)
        if r not in planned:
            unplanned += 1
            findings.append(Finding(page.path, _link_line(page, target), f"link to unplanned page {r}",
                                    f"[{text}]({target}) points to a page that is not in the wiki's plan, so "
                                    f"SemanticWiki's link pass would invent it"))
    missing = [r for r in related if r not in linked]
    for r in missing:
        findings.append(Finding(page.path, None, f"related page {r} not linked",
                                "the prompt offered it under the related-pages section"))
    u = 1 - unplanned / checked if checked else 1.0
    rel = (len(related) - len(missing)) / len(related) if related else 1.0
    score = (w_u * u + w_r * rel) / ((w_u + w_r) or 1.0)
    return CheckResult("links", score, findings, {"checked": checked, "unplanned": unplanned,
                                                  "related_offered": len(related),
                                                  "related_linked": len(related) - len(missing)})


def score_page(verifier: Any, episode: Any, repo: RepoIndex, section: LocalSection, version: str,
               wiki_dir: Path | None = None) -> Score:
    """Score a `page` episode's written page (see the module docstring)."""
    task = episode.task
    spec = dict(task.page or {})
    rel = str(spec.get("filename") or "")
    text = _written(episode, wiki_dir, rel) if rel else None
    min_chars = int(section.gates.get("min_chars", 201))
    if not text or len(text) < min_chars:
        why = ("the task names no page file" if not rel else
               f"the answer was {len(answer_text(episode))} characters; SemanticWiki writes no page under {min_chars}")
        return _no_page("page", rel or "page.md", section, version, why)
    wiki = Wiki.from_files({rel: text})
    page = wiki.pages[0]
    plan, plan_from = task_plan(task)
    if plan_from == "task":
        related = [str(p["filename"]) for p in plan if p.get("filename") != rel][:5]
    else:
        related = [str(p["filename"]) for p in plan if p.get("filename") != rel]
    codes = diagram_codes(wiki)
    pending = verifier.mermaid.submit([c for _, _, c in codes]) if codes else None
    checks: dict[str, CheckResult] = {}
    checks["citations"] = check_citations(wiki, repo, section.check("citations"))
    checks["hallucination"] = check_hallucination(wiki, repo, section.check("hallucination"))
    checks["sections"] = check_sections(page, str(spec.get("title") or ""), task.prompt, section.check("sections"))
    checks["stubs"] = check_stubs(wiki, repo, section.check("stubs"))
    checks["links"] = check_plan_links(page, plan, related, section.check("links"))
    if codes:
        results = pending.collect() if pending else []
        checks["mermaid"] = check_mermaid(wiki, repo, {"min_diagrams": len(codes)}, results=results,
                                          error=verifier.mermaid.error)
    else:
        checks["mermaid"] = CheckResult("mermaid", 1.0, [], {"diagrams": 0, "reason": "the page prompt asks for no "
                                                                                      "diagram"}, applicable=False)
    score = combine_local("page", checks, section, version, None)
    score.stats.update({"pages": 1, "page": rel, "words": page.words, "diagrams": len(codes),
                        "citations": len(extract_citations(page)), "plan_from": plan_from})
    return score


# -- the index ----------------------------------------------------------------------------------------------------


def score_index(episode: Any, repo: RepoIndex, section: LocalSection, version: str,
                wiki_dir: Path | None = None) -> Score:
    """Score an `index` episode's `index.md` (see the module docstring)."""
    rel = "index.md"
    text = _written(episode, wiki_dir, rel)
    if not text or not text.strip():
        return _no_page("index", rel, section, version, "the answer was empty")
    wiki = Wiki.from_files({rel: text})
    page = wiki.pages[0]
    plan, plan_from = task_plan(episode.task)
    planned = [str(p.get("filename")) for p in plan]
    counts: dict[str, int] = {}
    first_line: dict[str, int | None] = {}
    findings_u: list[Finding] = []
    checked = unplanned = 0
    for label, target in page.links:
        r = resolve_link(rel, target)
        if r is None:
            continue
        checked += 1
        if r == rel:
            continue
        if r not in planned:
            unplanned += 1
            findings_u.append(Finding(rel, _link_line(page, target), f"link to unplanned page {r}",
                                      f"[{label}]({target}) points to a page that is not in the plan: a broken link"))
            continue
        counts[r] = counts.get(r, 0) + 1
        first_line.setdefault(r, _link_line(page, target))
    checks: dict[str, CheckResult] = {}
    missing = [p for p in planned if p not in counts]
    checks["coverage"] = CheckResult(
        "coverage", (len(planned) - len(missing)) / len(planned) if planned else 1.0,
        [Finding(rel, None, f"planned page {p} not linked", "the index must link every page of the wiki")
         for p in missing], {"planned": len(planned), "linked": len(planned) - len(missing), "plan_from": plan_from})
    checks["unplanned"] = CheckResult("unplanned", 1 - unplanned / checked if checked else 1.0, findings_u,
                                      {"checked": checked, "unplanned": unplanned})
    # The grouped lists: page links on list-item lines under a section heading (H2 or deeper). Links in the
    # introduction ("start with [Architecture](./architecture.md)") are navigation, not grouping.
    heads = [(n, lvl, h) for n, lvl, h in _headings(page) if lvl >= 2]
    listed: dict[str, list[tuple[int, int]]] = {}
    for n, t in page.prose:
        if not _LIST_ITEM_RE.match(t):
            continue
        head = max((hn for hn, _, _ in heads if hn < n), default=None)
        if head is None:
            continue
        for m in MD_LINK_RE.finditer(t):
            r = resolve_link(rel, m.group(2))
            if r is not None and r in counts:
                listed.setdefault(r, []).append((n, head))
    dups = sorted(p for p, hits in listed.items() if len(hits) > 1)
    checks["duplicates"] = CheckResult(
        "duplicates", 1 - len(dups) / len(planned) if planned else 1.0,
        [Finding(rel, listed[p][1][0], f"page {p} listed {len(listed[p])} times",
                 "each page belongs in one group of the index") for p in dups], {"listed_more_than_once": len(dups)})
    gcfg = section.check("grouping")
    types = {normalise_type(p.get("type")) or "module" for p in plan}
    need = min(int(gcfg.get("min_sections", 2)), max(1, len(types)))
    sections_used = {head for hits in listed.values() for _, head in hits}
    findings: list[Finding] = []
    ungrouped = [p for p in counts if p not in listed]
    share = (len(counts) - len(ungrouped)) / len(counts) if counts else 0.0
    for p in ungrouped:
        findings.append(Finding(rel, first_line.get(p), f"page {p} is in no section",
                                "the prompt asks to group the page links under section headings"))
    if len(sections_used) < need:
        findings.append(Finding(rel, None, f"{len(sections_used)} sections list pages",
                                f"the plan has {len(types)} page types; group them in at least {need} sections "
                                f"(Overview, Components, Guides, API)"))
        share *= 0.5
    checks["grouping"] = CheckResult("grouping", share, findings, {"sections": len(sections_used),
                                                                   "grouped_pages": len(listed)})
    checks["stubs"] = check_stubs(wiki, repo, section.check("stubs"))
    score = combine_local("index", checks, section, version, None)
    score.stats.update({"pages": 1, "page": rel, "words": page.words, "plan_from": plan_from})
    return score


def score_local(verifier: Any, episode: Any, repo: RepoIndex, config: LocalTaskConfig,
                wiki_dir: Path | None = None) -> Score:
    """Route a single-turn episode to its scorer by `episode.task.kind`."""
    kind = episode.task.kind
    if kind == "plan":
        return score_plan(episode, repo, config.plan, config.version)
    if kind == "page":
        return score_page(verifier, episode, repo, config.page, config.version, wiki_dir)
    if kind == "index":
        return score_index(episode, repo, config.index, config.version, wiki_dir)
    raise ValueError(f"{kind!r} is not a single-turn task ({', '.join(LOCAL_KINDS)})")


__all__ = [
    "LOCAL_CHECKS",
    "LOCAL_KINDS",
    "LocalTaskConfig",
    "check_plan_links",
    "check_sections",
    "parse_plan_answer",
    "score_index",
    "score_local",
    "score_page",
    "score_plan",
    "strip_fence",
    "task_plan",
]
