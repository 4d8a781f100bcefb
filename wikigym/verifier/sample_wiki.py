"""A reference wiki built mechanically from a repository: every citation real, every diagram valid, every link live.

It calibrates the verifier: on it every deterministic check scores 1.0, so the mutation suite can apply one fault at a
time and see exactly one check move, and `benchmarks/verify_speed.py` can time verification at a chosen size. The
layout is SemanticWiki's (README hub, architecture/overview, architecture/data-flow, components/<c>/index plus one
page per code file, guides/getting-started, glossary), with its frontmatter, `**Source:**` citation links with
`#Lstart-Lend` anchors, fenced snippets, and Mermaid diagrams.

What it is not: a teacher. Its prose is templated and says nothing a reader needs; the scripted teacher and Claude
write real wikis.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import yaml

GENERATED = "'2026-01-02T03:04:05.678Z'"
_LANG = {".py": "python", ".ts": "typescript", ".tsx": "tsx", ".js": "javascript", ".go": "go", ".rs": "rust",
         ".java": "java", ".rb": "ruby", ".c": "c", ".h": "c", ".cpp": "cpp", ".cs": "csharp"}


def _rel(src_page: str, target: str) -> str:
    """Page-relative link from `src_page` to a wiki page or (when the wiki sits at repo/wiki) a repo file."""
    return posixpath.relpath(target, posixpath.dirname(src_page) or ".")


def _node(name: str) -> str:
    return "n_" + re.sub(r"\W", "_", name)


def _label(text: str) -> str:
    return re.sub(r"[\"\[\]{}()<>|#;`]", " ", text).strip() or "item"


def _frontmatter(title: str, description: str, sources: list[str]) -> str:
    # SemanticWiki's key order (title, generated, description, sources); values quoted by the YAML dumper.
    rest = yaml.safe_dump({"description": description, "sources": list(sources)}, sort_keys=False, allow_unicode=True,
                          width=1000)
    return f"---\ntitle: {yaml.safe_dump(title, width=1000).splitlines()[0]}\ngenerated: {GENERATED}\n{rest}---\n"


@dataclass(frozen=True)
class _WholeFile:
    """Stands in for a symbol in a file that defines none (`__init__.py`, `index.ts`): cite its first lines."""

    name: str
    kind: str
    start_line: int
    end_line: int
    parent: str | None = None


class _Repo:
    def __init__(self, snap: Any, files: list[str]):
        self.snap = snap
        self.files = files
        self.symbols: dict[str, list] = {}
        for f in files:
            parsed = snap.parse(f)
            syms = [s for s in (parsed.symbols if parsed else []) if s.kind not in ("package", "module", "import")
                    and s.end_line >= s.start_line and re.fullmatch(r"[A-Za-z_]\w*", s.name)]
            if not syms:
                n = len(snap.lines(f))
                syms = [_WholeFile(f, "file", 1, max(1, min(n, 20)))]
            self.symbols[f] = syms

    def nlines(self, f: str) -> int:
        return len(self.snap.lines(f))

    def snippet(self, f: str, a: int, b: int) -> str:
        lines = self.snap.lines(f)[a - 1:min(b, a + 11)]
        return "\n".join(line.replace("```", "'''") for line in lines)


def _cite(page: str, path: str, a: int, b: int) -> str:
    return f"**Source:** [`{path}:{a}-{b}`]({_rel(page, path)}#L{a}-L{b})"


def _flowchart(title: str, nodes: list[str], edges: list[tuple[str, str]]) -> str:
    body = ["flowchart TD", f"  root[\"{_label(title)}\"]"]
    for n in nodes:
        body.append(f"  {_node(n)}[\"{_label(n)}\"]")
        body.append(f"  root --> {_node(n)}")
    for a, b in edges:
        body.append(f"  {_node(a)} -->|uses| {_node(b)}")
    return "```mermaid\n" + "\n".join(body) + "\n```\n"


def _sequence(actors: list[str], verb: str) -> str:
    acts = actors[:4] or ["caller", "callee"]
    if len(acts) == 1:
        acts = acts + ["repository"]
    lines = ["sequenceDiagram"] + [f"  participant {_node(a)} as {_label(a)}" for a in acts]
    for a, b in pairwise(acts):
        lines.append(f"  {_node(a)}->>{_node(b)}: {verb}")
    for a, b in reversed(list(pairwise(acts))):
        lines.append(f"  {_node(b)}-->>{_node(a)}: result")
    return "```mermaid\n" + "\n".join(lines) + "\n```\n"


def _prose(topic: str, names: list[str], salt: int) -> str:
    """Templated but varied prose (word floor, no placeholders); backticks only real names."""
    named = ", ".join(f"`{n}`" for n in names[:4]) or "the code below"
    openers = ["This page explains", "Here we walk through", "The following sections document",
               "This part of the wiki describes", "Read this page to understand"]
    return (f"{openers[salt % len(openers)]} {topic}. It is written for engineers who need to change this code "
            f"safely and want to know where each responsibility lives, which names to search for, and how the "
            f"pieces cooperate at run time. The most important names here are {named}; each one is shown with "
            f"its exact location so that every statement on this page can be traced back to the lines that "
            f"implement it. The business context matters as much as the mechanics: this code exists because the "
            f"product has to keep its records consistent while several callers use them at once, and the design "
            f"choices below follow from that need. When the behaviour described here changes, update the cited "
            f"ranges together with the prose so that the documentation keeps pointing at the real implementation "
            f"rather than at an older copy of it.\n")


def build_reference_wiki(snapshot: Any, pages: int | None = None, diagrams_per_page: int = 1) -> dict[str, str]:
    """A complete, correct wiki for `snapshot` as {relative path: content}.

    Args:
        snapshot: a `RepoSnapshot` (or anything with files/parse/lines/central_modules).
        pages: pad the wiki with per-symbol pages up to this many pages (None: the natural size).
        diagrams_per_page: Mermaid diagrams on each page (1 or more).
    """
    code = [f for f in snapshot.files() if posixpath.splitext(f)[1] in _LANG]
    repo = _Repo(snapshot, code)
    files = [f for f in code if repo.symbols[f]]
    comps: dict[str, list[str]] = {}
    for f in files:
        comps.setdefault(f.split("/")[0] if "/" in f else "root", []).append(f)
    graph = {k: sorted(v) for k, v in snapshot.import_graph().items()} if hasattr(snapshot, "import_graph") else {}
    important = [m for m in snapshot.central_modules(40) if repo.symbols.get(m)]
    out: dict[str, str] = {}
    salt = [0]

    def diagrams(page_title: str, names: list[str], edges: list[tuple[str, str]]) -> str:
        parts = []
        for i in range(diagrams_per_page):
            if i % 2 == 0:
                parts.append(_flowchart(f"{page_title} {i + 1}" if i else page_title, names[:8], edges[:8]))
            else:
                parts.append(_sequence(names, "call"))
        return "\n".join(parts)

    def sym_section(page: str, f: str, s: Any) -> str:
        lang = _LANG.get(posixpath.splitext(f)[1], "text")
        owner = f" on `{s.parent}`" if s.parent and re.fullmatch(r"[A-Za-z_]\w*", s.parent) else ""
        what = f"The {s.kind} `{s.name}`{owner} is defined in `{f}`" if s.kind != "file" else f"The file `{f}`"
        return (f"### `{s.name}`\n\n{_cite(page, f, s.start_line, s.end_line)}\n\n"
                f"{what}; the snippet shows how it begins.\n\n"
                f"```{lang}\n{repo.snippet(f, s.start_line, s.end_line)}\n```\n")

    def file_page(f: str) -> tuple[str, str]:
        comp = f.split("/")[0] if "/" in f else "root"
        stem = posixpath.splitext(posixpath.basename(f))[0].replace(".", "-")
        page = f"components/{comp}/{stem}.md"
        syms = repo.symbols[f]
        names = [s.name for s in syms]
        edges = [(posixpath.basename(f), posixpath.basename(t)) for t in graph.get(f, []) if t in repo.symbols]
        salt[0] += 1
        body = [_frontmatter(f"{posixpath.basename(f)}", f"What {f} defines and how it is used.", [f]),
                f"The file `{f}` belongs to the {comp} component.\n", "## Overview\n", _prose(f"the file `{f}`",
                                                                                               names, salt[0]),
                diagrams(posixpath.basename(f), names, edges), "## Definitions\n"]
        body += [sym_section(page, f, s) for s in syms[:12]]
        body.append(f"## Related pages\n\n- [{comp} component](index.md)\n- [Architecture overview]"
                    f"({_rel(page, 'architecture/overview.md')})\n- [Home]({_rel(page, 'README.md')})\n")
        return page, "\n".join(body)

    # component file pages and indexes
    comp_pages: dict[str, list[str]] = {}
    for comp, fs in sorted(comps.items()):
        for f in fs:
            page, text = file_page(f)
            out[page] = text
            comp_pages.setdefault(comp, []).append(page)
        index = f"components/{comp}/index.md"
        salt[0] += 1
        firsts = [(f, repo.symbols[f][0]) for f in fs]
        body = [_frontmatter(f"{comp} component", f"The {comp} component: its files and responsibilities.", fs),
                "## Overview\n", _prose(f"the {comp} component", [s.name for _, s in firsts], salt[0]),
                diagrams(comp, [posixpath.basename(f) for f in fs], []), "## Key files\n"]
        body += [f"- [{posixpath.basename(p)}]({posixpath.basename(p)}) documents `{f}`"
                 for p, f in zip(comp_pages[comp], fs)]
        body.append("")
        body += [sym_section(index, f, s) for f, s in firsts]
        body.append("## Related pages\n\n- [Architecture overview](../../architecture/overview.md)\n"
                    "- [Home](../../README.md)\n")
        out[index] = "\n".join(body)

    # architecture overview: cites every important module once more (coverage survives losing a file page)
    page = "architecture/overview.md"
    salt[0] += 1
    body = [_frontmatter("Architecture overview", "How the repository's components fit together.", important[:10]),
            "## Overview\n", _prose("the architecture of the repository as a whole", sorted(comps), salt[0]),
            diagrams("architecture", sorted(comps), []), "## Important modules\n"]
    for m in important:
        s = repo.symbols[m][0]
        body.append(f"- `{m}` defines `{s.name}`: {_cite(page, m, s.start_line, s.end_line)}")
    body.append("\n## Related pages\n\n- [Data flow](data-flow.md)\n- [Getting started](../guides/getting-started.md)\n"
                "- [Glossary](../glossary.md)\n- [Home](../README.md)\n")
    out[page] = "\n".join(body)

    page = "architecture/data-flow.md"
    salt[0] += 1
    flow = important[:4]
    body = [_frontmatter("Data flow", "How data flows between the components.", flow),
            "## Overview\n", _prose("the data flow between components, from a request to the stored records",
                                    [repo.symbols[m][0].name for m in flow], salt[0]),
            diagrams("data flow", [posixpath.basename(m) for m in flow],
                     list(zip([posixpath.basename(m) for m in flow], [posixpath.basename(m) for m in flow[1:]]))),
            "## Steps\n"]
    for i, m in enumerate(flow, 1):
        s = repo.symbols[m][0]
        body.append(f"{i}. `{s.name}` in `{m}` handles the next step: {_cite(page, m, s.start_line, s.end_line)}")
    body.append("\n## Related pages\n\n- [Architecture overview](overview.md)\n- [Home](../README.md)\n")
    out[page] = "\n".join(body)

    page = "guides/getting-started.md"
    salt[0] += 1
    readme = next((f for f in sorted(snapshot.all_files()) if f.lower() == "readme.md"), None)
    body = [_frontmatter("Getting started", "Getting started: where to begin reading and running the code.",
                         [readme] if readme else []),
            "## Getting started\n", _prose("getting started with the repository: the quickstart path through the "
                                           "code", [repo.symbols[m][0].name for m in important[:3]], salt[0]),
            diagrams("getting started", [posixpath.basename(m) for m in important[:4]], [])]
    if readme:
        body.append(f"Start with the project's own `{readme}`: {_cite(page, readme, 1, min(5, repo.nlines(readme)))}")
    for m in important[:3]:
        s = repo.symbols[m][0]
        body.append(f"- Then read `{s.name}` in `{m}`: {_cite(page, m, s.start_line, s.end_line)}")
    body.append("\n## Related pages\n\n- [Architecture overview](../architecture/overview.md)\n"
                "- [Home](../README.md)\n")
    out[page] = "\n".join(body)

    page = "glossary.md"
    salt[0] += 1
    terms = sorted({(s.name, f, s.start_line, s.end_line) for f in files for s in repo.symbols[f][:2]})[:40]
    body = [_frontmatter("Glossary", "Names used across the wiki.", []), "## Terms\n",
            _prose("the names used across this wiki", [t[0] for t in terms], salt[0]),
            diagrams("glossary", [t[0] for t in terms[:6]], [])]
    body += [f"- `{n}`: defined in `{f}` ({_cite(page, f, a, b)})" for n, f, a, b in terms]
    out[page] = "\n".join(body) + "\n"

    # pad with per-symbol pages up to `pages`
    if pages is not None:
        extra = [(f, s) for f in files for s in repo.symbols[f]]
        i = 0
        while len(out) + 1 < pages and i < len(extra):
            f, s = extra[i]
            i += 1
            comp = f.split("/")[0] if "/" in f else "root"
            page = f"components/{comp}/symbols/{posixpath.splitext(posixpath.basename(f))[0]}-{s.name}-{i}.md"
            salt[0] += 1
            body = [_frontmatter(f"{s.name}", f"The {s.kind} {s.name} in {f}.", [f]), "## Overview\n",
                    _prose(f"the {s.kind} `{s.name}` defined in `{f}`", [s.name], salt[0]),
                    diagrams(s.name, [s.name, posixpath.basename(f)], []), sym_section(page, f, s),
                    f"## Related pages\n\n- [{comp} component](../index.md)\n- [Home]({_rel(page, 'README.md')})\n"]
            out[page] = "\n".join(body)
            comp_pages.setdefault(comp, []).append(page)

    # README hub: links every page
    lines = [_frontmatter("Home", "Navigation hub of the wiki.", []),
             ("This wiki documents the repository page by page; every page below is generated from the source and "
              "cites the lines it describes. Start with the architecture overview, follow the data flow, then read "
              "the component pages.\n"), diagrams("wiki", sorted(comps), []), "## Pages\n"]
    for p in sorted(out):
        lines.append(f"- [{p}]({p})")
    out["README.md"] = "\n".join(lines) + "\n"
    return dict(sorted(out.items()))
