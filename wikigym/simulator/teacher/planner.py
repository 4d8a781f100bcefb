"""Page plan for a SemanticWiki wiki, from the repository's modules and import graph.

The plan follows SemanticWiki's wiki structure (its system prompt, "Wiki Structure"): `README.md` (hub),
`architecture/overview.md`, `architecture/data-flow.md`, `components/<module>/index.md` per major module,
`guides/getting-started.md`, `glossary.md`. Components are the directories directly under the code's common root
(or, in a flat package, its largest files), ranked by how many files import them and by size, at most
`MAX_COMPONENTS`. Each page lists the files the teacher must read before writing it, the searches it runs and the
files it analyses, so that every citation is backed by a tool result in the conversation.

What it deliberately does not do: write prose (writer.py) or talk to tools (the policy does).

Example:
    >>> plan = plan_wiki(RepoFacts(snapshot), Phraser(0))  # doctest: +SKIP
    >>> [p.path for p in plan.pages][:2]  # doctest: +SKIP
    ['README.md', 'architecture/overview.md']
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from wikigym.simulator.teacher.facts import CALLABLE_KINDS, CITABLE_PATH, CallSite, RepoFacts, Sym
from wikigym.simulator.teacher.phrasing import Phraser

MAX_COMPONENTS = 8
MAX_READS_PER_COMPONENT = 5
MAX_RELATED = 4
SPLIT_BELOW = 5  # split large directories while there are fewer components than this
DOMINANT_SHARE = 0.3  # ...or while one directory holds more than 2 x this share of the files
_INDEX_STEMS = ("__init__", "index", "mod", "lib", "__main__")
_C_SOURCES = (".c", ".cc", ".cpp", ".cxx")
_C_HEADERS = (".h", ".hpp", ".hh", ".hxx")
HUB, OVERVIEW, DATAFLOW, GUIDE, GLOSSARY = (
    "README.md", "architecture/overview.md", "architecture/data-flow.md", "guides/getting-started.md", "glossary.md")


@dataclass
class Component:
    """A major module: a directory (or one file, in flat packages) with its ranked code files."""

    slug: str
    name: str
    unit: str  # the directory ("pkg/tools") or the file ("pkg/cli.py")
    files: list[str]
    key_files: list[str]
    related_files: list[str] = field(default_factory=list)  # important files outside it that it imports or serves

    @property
    def page(self) -> str:
        return f"components/{self.slug}/index.md"

    @property
    def where(self) -> str:
        """The component's location as markdown: a backticked real path, or words for the repository root."""
        return f"`{self.unit}`" if self.unit != "." else "the repository root"


@dataclass
class PageSpec:
    path: str
    title: str
    kind: str  # hub | overview | data-flow | component | guide | glossary | topic
    component: Component | None = None
    files: list[str] = field(default_factory=list)  # read before writing (every cited file)
    queries: list[str] = field(default_factory=list)
    analyze: list[str] = field(default_factory=list)
    topic: str = ""


@dataclass
class WikiPlan:
    project: str
    components: list[Component]
    pages: list[PageSpec]
    chain: list[CallSite]
    discovery_files: list[str]

    def page(self, path: str) -> PageSpec | None:
        return next((p for p in self.pages if p.path == path), None)

    def component_of(self, path: str) -> Component | None:
        for c in self.components:
            if path in c.files:
                return c
        return None


def slugify(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "module"


def title_case(text: str) -> str:
    words = re.split(r"[-_ ]+", text.strip("_"))
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or text


def _common_root(paths: list[str]) -> str:
    if not paths:
        return ""
    parts = [p.split("/")[:-1] for p in paths]
    root: list[str] = []
    for level in zip(*parts):
        if all(x == level[0] for x in level):
            root.append(level[0])
        else:
            break
    return "/".join(root)


def _citable(facts: RepoFacts, path: str) -> bool:
    return bool(CITABLE_PATH.match(path)) and facts.text(path) is not None


def find_components(facts: RepoFacts) -> list[Component]:
    """Group source files into at most `MAX_COMPONENTS` components (see the module docstring)."""
    src = [p for p in facts.source_files() if _citable(facts, p)]
    if not src:
        src = [p for p in facts.code_files() if _citable(facts, p)]
    if not src:
        return []
    root = _common_root(src)
    units: dict[str, list[str]] = {}
    for p in src:
        rel = p[len(root) + 1:] if root else p
        parts = rel.split("/")
        unit = (f"{root}/{parts[0]}" if root else parts[0]) if len(parts) > 1 else p
        units.setdefault(unit, []).append(p)
    # A C/C++ source and its header (cJSON.c + cJSON.h) are one unit, named after the source.
    for u in [u for u in units if u in units[u] and PurePosixPath(u).suffix in _C_SOURCES]:
        for ext in _C_HEADERS:
            h = str(PurePosixPath(u).with_suffix(ext))
            if h in units and units[h] == [h]:
                units[u] = sorted(units[u] + units.pop(h))
                break
    # Units that define nothing (re-export barrels, a doc.go) make empty pages: left out while others define.
    substantial = {u: fs for u, fs in units.items() if any(_defines(facts, f) for f in fs)}
    if substantial:
        units = substantial
    dir_units = {u: fs for u, fs in units.items() if u not in fs}
    file_units = {u: fs for u, fs in units.items() if u in fs}

    important = facts.important_modules()

    def weight(files: list[str]) -> float:
        # Definitions and importers count more than raw size, so data tables (a 3,000-line dict) rank low.
        score = 0.0
        for f in files:
            ff = facts.files[f]
            defs = sum(1 for s in ff.symbols if s.kind != "other")
            private = any(part.startswith("_") and PurePosixPath(part).stem not in _INDEX_STEMS
                          for part in f.split("/"))
            score += (defs * 12 + min(ff.n_lines, 600) / 2) * (0.5 if private else 1.0)
        importers = {i for f in files for i in facts.dependents.get(f, []) if i not in files}
        return score + len(importers) * 40

    chosen: list[tuple[str, list[str]]] = []
    if len(dir_units) >= 2:
        chosen = sorted(dir_units.items(), key=lambda kv: (-weight(kv[1]), kv[0]))
        core = [f for fs in file_units.values() for f in fs]
        core_lines = sum(facts.files[f].n_lines for f in core)
        if core and core_lines >= 60:
            chosen.append((root or ".", sorted(core)))
            chosen.sort(key=lambda kv: (-weight(kv[1]), kv[0]))
    else:
        items = list(dir_units.items()) + [
            (u, fs) for u, fs in file_units.items()
            if facts.files[fs[0]].n_lines >= 15 and PurePosixPath(u).stem not in _INDEX_STEMS and _defines(facts, u)]
        if not items:
            items = list(units.items())
        chosen = sorted(items, key=lambda kv: (-weight(kv[1]), kv[0]))
    chosen = chosen[:MAX_COMPONENTS]

    # Few, large components read poorly: split the largest directory into its sub-directories and files, also
    # when it dwarfs the others (zod's src/v4 held 107 of 125 files).
    split: set[str] = set()
    while True:
        big = [(u, fs) for u, fs in chosen if u not in fs and u != "." and len(fs) >= 2 and u not in split]
        if not big:
            break
        unit, files = max(big, key=lambda kv: (weight(kv[1]), kv[0]))
        total = sum(len(fs) for _, fs in chosen)
        if len(chosen) >= SPLIT_BELOW and not (len(files) >= 2 * DOMINANT_SHARE * total and len(files) >= 12):
            break
        split.add(unit)
        subs: dict[str, list[str]] = {}
        for p in files:
            rest = p[len(unit) + 1:].split("/")
            sub = f"{unit}/{rest[0]}" if len(rest) > 1 else p
            subs.setdefault(sub, []).append(p)
        subs = {u: fs for u, fs in subs.items()
                if u not in fs or (facts.files[u].n_lines >= 25 and PurePosixPath(u).stem not in _INDEX_STEMS
                                   and _defines(facts, u))}
        if len(subs) < 2:
            break
        room = MAX_COMPONENTS - (len(chosen) - 1)
        if len(subs) > room:
            # A wide directory (a Ruby gem's lib/rack with 60 files): its heaviest parts become components and
            # the rest stays together under the directory's own name, rather than one component for everything.
            keep = dict(sorted(subs.items(), key=lambda kv: (-weight(kv[1]), kv[0]))[:room - 1])
            rest = sorted(p for p in files if not any(p in fs for fs in keep.values()))
            if len(keep) < 2 or not rest:
                break
            subs = {**keep, unit: rest}
        chosen = [kv for kv in chosen if kv[0] != unit] + sorted(subs.items())
        chosen.sort(key=lambda kv: (-weight(kv[1]), kv[0]))

    comps: list[Component] = []
    used: set[str] = set()
    for unit, files in chosen:
        base = PurePosixPath(unit)
        raw = base.stem if unit in files else (base.name if unit != "." else "core")
        if raw in ("__init__", "index", "mod", "lib") and unit in files:
            raw = base.parent.name or raw
        if raw == "__main__":
            raw = "main"
        slug = slugify(raw)
        if slug in used:
            raw = f"{base.parent.name} {raw}".strip()
            slug = slugify(raw)
        while slug in used:
            slug += "-2"
        used.add(slug)
        ranked = sorted(files, key=lambda f: (-(len(facts.dependents.get(f, [])) * 50
                                                + min(facts.files[f].n_lines, 500)
                                                + 40 * len(facts.top_symbols(f, 3))), f))
        key = [f for f in ranked if facts.files[f].symbols or facts.files[f].n_lines > 5][:MAX_READS_PER_COMPONENT]
        key += [f for f in important if f in files and f not in key]  # every important module gets cited
        comps.append(Component(slug=slug, name=raw, unit=unit, files=sorted(files), key_files=key or ranked[:1]))
    return comps


def _defines(facts: RepoFacts, path: str) -> bool:
    """A file that defines something (a Go `doc.go` holds only the package comment: no page of its own)."""
    return any(s.kind != "other" for s in facts.files[path].symbols)


_ENTRY_VERBS = re.compile(r"^(main|run|invoke|handle|process|execute|serve|start|dispatch|call|parse|load|generate|"
                          r"build|render|convert|make|create|apply|send|fetch|read|write|update|sync)", re.IGNORECASE)


def chain_score(facts: RepoFacts, chain: list[CallSite], central: set[str]) -> float:
    """How well a call chain tells the data flow: many files, central files, public names, an entry-like start."""
    files = {chain[0].caller.path} | {c.callee.path for c in chain}
    score = 3.0 * len(files) + len(chain) + 2.0 * len(files & central)
    score -= 2.0 * sum(1 for c in chain if c.callee.name.startswith("_"))
    start = chain[0].caller
    if start.name.startswith("_"):
        score -= 6
    if _ENTRY_VERBS.match(start.name):
        score += 4
    if start.path in facts.entry_points():
        score += 3
    return score


def choose_chain(facts: RepoFacts, comps: list[Component], phr: Phraser) -> list[CallSite]:
    """A real call chain for the data-flow page, from entry points and central files (seeded among the best)."""
    starts: list[Sym] = []
    for path in facts.entry_points() + facts.centrality()[:8]:
        for s in facts.files[path].symbols:
            if s.kind in CALLABLE_KINDS and s not in starts:
                starts.append(s)
    # Only definitions that call something start a chain (a header's prototypes come first in C and call nothing).
    starts = [s for s in starts if facts.calls_from(s)]
    starts.sort(key=lambda s: (s.name.startswith("_"), not _ENTRY_VERBS.match(s.name)))
    chains = facts.call_chains(starts[:40])
    if not chains:
        return []
    central = set(facts.important_modules(20)) | {f for c in comps for f in c.key_files}
    ranked = sorted(chains, key=lambda ch: (-chain_score(facts, ch, central), ch[0].caller.path, ch[0].line,
                                            [c.callee.name for c in ch]))
    best: list[list[CallSite]] = []
    for ch in ranked:
        if all([c.callee.key for c in ch] != [d.callee.key for d in b] for b in best):
            best.append(ch)
        if len(best) >= 3:
            break
    return phr.pick(best)


def plan_wiki(facts: RepoFacts, phr: Phraser) -> WikiPlan:
    """Plan every page, the files each one reads first, and the writing order (seeded)."""
    comps = find_components(facts)
    chain = choose_chain(facts, comps, phr)
    project = facts.name
    central = [p for p in facts.centrality() if _citable(facts, p)]
    entries = [p for p in facts.entry_points() if _citable(facts, p)]
    manifests = [m for m in facts.manifests() if _citable(facts, m)]
    readme = facts.readme()
    discovery = ([readme] if readme and _citable(facts, readme) else []) + manifests[:2]

    by_file = {f: c for c in comps for f in c.files}
    edge_sources = []  # files whose imports the overview cites (first importing file per component pair)
    seen_pairs: set[tuple[str, str]] = set()
    for src in sorted(by_file):
        for dst in facts.deps.get(src, []):
            pair = (by_file[src].slug, by_file[dst].slug) if dst in by_file else None
            if pair and pair[0] != pair[1] and pair not in seen_pairs:
                seen_pairs.add(pair)
                edge_sources.append(src)
    overview_files = _dedupe(entries[:3] + central[:3] + _dedupe(edge_sources)[:5])
    chain_files = _dedupe([chain[0].caller.path] + [c.callee.path for c in chain]) if chain else []
    transform = _transform_files(facts, central)
    dataflow_files = _dedupe(chain_files + transform[:2])[:7]
    in_components = {f for c in comps for f in c.files}
    uncovered = [m for m in facts.important_modules() if m not in in_components and _citable(facts, m)]
    # Important files outside every component are cited where they belong: on the page of the component that
    # imports them (or that they import) most, at most MAX_RELATED each; the rest on the getting-started guide.
    leftovers = []
    for m in uncovered:
        def ties(c: Component, m: str = m) -> int:
            return (sum(1 for f in c.files if m in facts.deps.get(f, []))
                    + sum(1 for f in c.files if f in facts.deps.get(m, [])))
        best = max(comps, key=lambda c: (ties(c), -comps.index(c)), default=None)
        if best is not None and ties(best) > 0 and len(best.related_files) < MAX_RELATED:
            best.related_files.append(m)
        else:
            leftovers.append(m)
    guide_files = _dedupe(entries[:2] + central[:2] + leftovers)
    pages: list[PageSpec] = [
        PageSpec(HUB, f"{project} Wiki", "hub", files=_dedupe(discovery + entries[:2])),
        PageSpec(OVERVIEW, "Architecture Overview", "overview", files=_dedupe(discovery + overview_files),
                 queries=[phr.pick(["main entry point", f"{project} architecture", "application startup"])],
                 analyze=central[:1]),
        PageSpec(DATAFLOW, "Data Flow", "data-flow", files=dataflow_files,
                 queries=[phr.pick(["data flow request lifecycle", "parse transform output", "process input data"])],
                 analyze=chain_files[:1]),
    ]
    for c in comps:
        top_names = [s.name for f in c.key_files[:2] for s in facts.top_symbols(f, 1)]
        query = phr.pick([f"{c.name} {' '.join(top_names)}".strip(), f"how does {c.name} work",
                          f"{c.name} implementation"])
        pages.append(PageSpec(c.page, title_case(c.name), "component", component=c,
                              files=_dedupe(c.key_files + c.related_files), queries=[query], analyze=c.key_files[:1]))
    pages.append(PageSpec(GUIDE, "Getting Started", "guide", files=_dedupe(discovery + guide_files)))
    glossary_files = _dedupe([f for c in comps for f in c.key_files[:2]])
    pages.append(PageSpec(GLOSSARY, "Glossary", "glossary", files=glossary_files))

    # Writing order: README first or last (both appear in real runs), the rest shuffled within sensible groups,
    # glossary last as SemanticWiki's prompt asks.
    hub, overview, dataflow, *rest = pages
    comp_pages = [p for p in rest if p.kind == "component"]
    guide = next(p for p in rest if p.kind == "guide")
    glossary = next(p for p in rest if p.kind == "glossary")
    middle = [overview, dataflow] if phr.chance(0.7) else [dataflow, overview]
    comp_pages = phr.shuffled(comp_pages) if phr.chance(0.5) else comp_pages
    tail = [guide] + comp_pages if phr.chance(0.3) else comp_pages + [guide]
    order = middle + tail
    order = ([hub] + order if phr.chance(0.7) else order + [hub]) + [glossary]
    return WikiPlan(project=project, components=comps, pages=order, chain=chain, discovery_files=discovery)


def _transform_files(facts: RepoFacts, central: list[str]) -> list[str]:
    pat = re.compile(r"(parse|load|read|write|encode|decode|serial|render|convert|transform|format|dump|save|"
                     r"validate|build|compile|process)", re.IGNORECASE)
    scored = []
    for p in central:
        n = sum(1 for s in facts.files[p].symbols if s.parent is None and pat.search(s.name))
        if n:
            scored.append((-n, p))
    return [p for _, p in sorted(scored)]


def _dedupe(items: list[str]) -> list[str]:
    out: list[str] = []
    for i in items:
        if i and i not in out:
            out.append(i)
    return out


def topic_page(facts: RepoFacts, path: str, hits: list[str]) -> PageSpec:
    """A page SemanticWiki's verifier asked for that is not in the plan (e.g. a link another writer left).

    Its files are the search hits for its topic, else files whose path contains the topic, else central files.
    """
    stem = PurePosixPath(path).stem
    topic = PurePosixPath(path).parent.name if stem in ("index", "README", "readme") else stem
    topic = topic or "overview"
    files = [h for h in hits if _citable(facts, h) and h in facts.files]
    if not files:
        key = slugify(topic).replace("-", "")
        files = [p for p in facts.source_files() if key and key in p.lower().replace("-", "").replace("_", "")]
    if not files:
        files = facts.centrality()[:3]
    files = _dedupe(files)[:4]
    return PageSpec(path, title_case(topic), "topic", files=files, topic=topic)


def relative_link(from_page: str, to_page: str) -> str:
    """The relative link from one wiki page to another, `./x.md` for siblings, `../x.md` upwards."""
    rel = posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")
    return rel if rel.startswith("../") else f"./{rel}"
