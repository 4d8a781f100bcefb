"""Page composition: SemanticWiki-style markdown pages grounded in the files the teacher has read.

Every citation goes through `Citer`, which only accepts a `path:start-end` whose lines exist in the text a
`read_file` call returned in this conversation, and copies snippets from that same text. A file that was not read
(or whose read failed) is never cited with line numbers. Pages follow SemanticWiki's system prompt: no H1 (the title
is frontmatter), a short description, `## Business Context` (Business Problem / User Impact / Workflow Role),
an overview with key files, sourced sections (`**Source:** [`path:a-b`](../path#La-Lb)` + a 5-30 line fenced
snippet with a language tag), Mermaid diagrams built from the import graph and real call chains, domain
relationships, related pages, and a `**Sources:**` footer. Links go only to pages in `linkable` (pages that exist or
are being written in this episode), so they resolve.

What it deliberately does not do: decide which pages exist (planner.py), call tools, or touch the filesystem.

Example:
    >>> draft = compose(spec, ctx)  # doctest: +SKIP
    >>> draft.content.startswith("The ")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from wikigym.simulator.teacher import mermaid
from wikigym.simulator.teacher.facts import (
    CITABLE_PATH,
    LANGUAGE_NAME,
    LICENSE_TEXT,
    PLACEHOLDER,
    TRUNCATION_MARK,
    RepoFacts,
    Sym,
    fence_tag,
    link_safe,
)
from wikigym.simulator.teacher.phrasing import Phraser
from wikigym.simulator.teacher.planner import (
    DATAFLOW,
    GLOSSARY,
    GUIDE,
    HUB,
    OVERVIEW,
    Component,
    PageSpec,
    WikiPlan,
    relative_link,
    title_case,
)

SNIPPET_MAX = 24
SNIPPET_MIN = 5
_TRANSFORM = re.compile(r"(parse|load|read|write|encode|decode|serial|render|convert|transform|format|dump|save|"
                        r"validate|build|compile|process)", re.IGNORECASE)
_KIND_WORD = {"class": "class", "interface": "interface", "type": "type", "function": "function",
              "method": "method", "other": "definition", "program": "program", "paragraph": "paragraph",
              "section": "section", "data": "data record", "constant": "constant", "module": "module",
              "macro": "macro"}


@dataclass
class PageDraft:
    content: str
    description: str
    sources: list[str]
    related: list[str]


@dataclass
class WriteContext:
    """What a page may use: the repo facts, the plan, what was read, and which pages links may point to."""

    facts: RepoFacts
    plan: WikiPlan
    reads: dict[str, str]  # path -> text exactly as the read tool returned it
    linkable: set[str]
    phr: Phraser
    titles: dict[str, str] = field(default_factory=dict)
    style: dict[str, int] = field(default_factory=dict)  # per-episode choices: snippet length, detail sections

    def citer(self, page: str) -> Citer:
        return Citer(self.reads, page, snippet_max=self.style.get("snippet_max", SNIPPET_MAX))


class Citer:
    """Citations checked against read text; records which files a page cites."""

    def __init__(self, reads: dict[str, str], page: str, snippet_max: int = SNIPPET_MAX):
        self.reads = reads
        self.page = page
        self.snippet_max = snippet_max
        self.sources: list[str] = []
        self._lines: dict[str, list[str]] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self.reads or not CITABLE_PATH.match(path):
            return None
        if path not in self._lines:
            self._lines[path] = self.reads[path].split("\n")
        return self._lines[path]

    def has(self, path: str) -> bool:
        return self.lines(path) is not None

    def _note(self, path: str) -> None:
        if path not in self.sources:
            self.sources.append(path)

    def ref(self, path: str, start: int, end: int | None = None) -> str | None:
        """`path:start-end` (or `path:line`) when the lines exist in the read text, else None."""
        lines = self.lines(path)
        end = start if end is None else end
        if lines is None or not 1 <= start <= end <= len(lines):
            return None
        self._note(path)
        return f"{path}:{start}" if start == end else f"{path}:{start}-{end}"

    def snippet_range(self, path: str, start: int, end: int, limit: int | None = None) -> tuple[int, int] | None:
        """The lines to show for a definition at start-end: all of it when short, else its head cut at a blank
        line (so a snippet ends between statements), never padded into the next definition."""
        lines = self.lines(path)
        if lines is None or not 1 <= start <= len(lines):
            return None
        limit = limit or self.snippet_max
        end = min(end, len(lines))
        if end - start + 1 > limit:
            cut = start + limit - 1
            blank = next((i for i in range(cut, start + SNIPPET_MIN, -1) if not lines[i - 1].strip()), None)
            end = blank - 1 if blank else cut
        while end > start and not lines[end - 1].strip():
            end -= 1
        return start, end

    def block(self, path: str, start: int, end: int, limit: int | None = None) -> str | None:
        """`**Source:** [`path:a-b`](../path#La-Lb)` and the fenced snippet of exactly those lines."""
        rng = self.snippet_range(path, start, end, limit)
        if rng is None:
            return None
        a, b = rng
        lines = self.lines(path) or []
        for i in range(a, b + 1):  # a snippet that says "truncated" reads as cut off: stop before that line
            if TRUNCATION_MARK.search(lines[i - 1]):
                if i - 1 < a + 2:
                    return None
                b = i - 1
                break
        # SemanticWiki's completeness check reads links inside code fences too: a bash `[[ -n $x ]]`, a C++
        # `[[nodiscard]]` or a TOML `[[bin]]` would be reported as a missing page. Start after such a line when it
        # opens the snippet, else stop before it.
        for _ in range(3):
            hit = _link_like_line(lines, a, b)
            if hit is None:
                break
            if hit <= a + 1:
                a = hit + 1
                while a <= b and not lines[a - 1].strip():
                    a += 1
            else:
                b = hit - 1
            if b - a + 1 < 2:
                return None
        else:
            return None
        ref = self.ref(path, a, b)
        if ref is None:
            return None
        body = "\n".join(line.rstrip("\r") for line in self.lines(path)[a - 1: b])  # type: ignore[index]
        longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
        fence = "`" * max(3, longest + 1)
        up = "../" * (self.page.count("/") + 1)  # SemanticWiki's layout: the wiki sits in <repo>/wiki
        return (f"**Source:** [`{ref}`]({up}{path}#L{a}-L{b})\n\n"
                f"{fence}{fence_tag(path)}\n{body}\n{fence}")


_WIKI_LINK_LIKE = re.compile(r"\[\[([^\]|]+)(?:\|[^\]]+)?\]\]")
_MD_LINK_LIKE = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def _link_like_line(lines: list[str], a: int, b: int) -> int | None:
    """The first line (1-based) of `lines[a..b]` where a wiki link (`[[x]]`) or a markdown link to a `.md` target
    starts, as SemanticWiki's completeness check finds them (inside code fences too); None when there is none."""
    body = "\n".join(lines[a - 1: b])
    if "[" not in body:
        return None
    starts = [m.start() for m in _WIKI_LINK_LIKE.finditer(body)]
    starts += [m.start() for m in _MD_LINK_LIKE.finditer(body) if ".md" in m.group(2)]
    if not starts:
        return None
    return a + body.count("\n", 0, min(starts))


# -- shared pieces ---------------------------------------------------------------------------------------------------

def _link(ctx: WriteContext, page: str, target: str, text: str | None = None) -> str | None:
    if target not in ctx.linkable or target == page:
        return None
    label = text or ctx.titles.get(target) or _default_title(ctx, target)
    return f"[{label}]({relative_link(page, target)})"


def _default_title(ctx: WriteContext, target: str) -> str:
    spec = ctx.plan.page(target)
    if spec:
        return spec.title
    stem = PurePosixPath(target).stem
    return title_case(PurePosixPath(target).parent.name if stem == "index" else stem)


def _code_start(lines: list[str]) -> int:
    """The first line (1-based) after a file's leading blank lines and comment blocks (a licence header is not what
    a reader should see first); 1 when the file is all comments."""
    in_block = False
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if in_block:
            in_block = "*/" not in s
            continue
        if not s or s.startswith(("//", "*>", "--", "<?php")) or (s.startswith("#") and not s.startswith(
                ("#include", "#define", "#if", "#import", "#pragma", "#[", "#!"))):
            continue
        if len(raw) > 6 and raw[6] in "*/" and not raw[:6].strip():  # fixed-format COBOL comment line
            continue
        if s.startswith("/*"):
            in_block = "*/" not in s[2:]
            continue
        return i
    return 1


def _call_text(callee: Sym) -> str:
    """How a call reads in a sequence diagram: `name()`, or COBOL's `PERFORM NAME` / `CALL NAME`."""
    if callee.kind in ("paragraph", "section"):
        return f"PERFORM {callee.name}"
    if callee.kind == "program":
        return f"CALL {callee.name}"
    return f"{callee.name}()"


def _kind(sym: Sym) -> str:
    return _KIND_WORD.get(sym.kind, "definition")


def _sym_ref(c: Citer, s: Sym) -> str | None:
    return c.ref(s.path, s.start, s.end)


def _names(items: list[str], limit: int = 4) -> str:
    items = list(dict.fromkeys(items))
    shown = [f"`{i}`" for i in items[:limit]]
    if not shown:
        return ""
    if len(items) > limit:
        return ", ".join(shown) + f" and {len(items) - limit} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _lower_first(s: str) -> str:
    """Lower-case the first letter unless the first word is an acronym or a name (`HTTP`, `SQLite`)."""
    first = s.split(" ", 1)[0]
    return s if sum(ch.isupper() for ch in first) > 1 else s[:1].lower() + s[1:]


def _related(ctx: WriteContext, page: str, targets: list[str]) -> tuple[str, list[str]]:
    items, used = [], []
    for t in targets:
        link = _link(ctx, page, t)
        if link and t not in used:
            items.append(f"- {link}")
            used.append(t)
    if not items:
        return "", []
    return "## Related Pages\n\n" + "\n".join(items), used


def _footer(c: Citer) -> str:
    if not c.sources:
        return ""
    return "---\n**Sources:**\n" + "\n".join(f"- {s}" for s in c.sources)


def _assemble(parts: list[str]) -> str:
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip()) + "\n"


def _symbol_section(ctx: WriteContext, c: Citer, s: Sym, level: str = "###") -> str | None:
    """A sourced section for one definition: lead sentence, snippet, methods and calls."""
    ref = _sym_ref(c, s)
    block = c.block(s.path, s.start, s.end)
    if not ref or not block:
        return None
    users = ctx.facts.fan_in.get(s.name, 0)
    used = f" and is referenced from {users} other file(s)" if users else ""
    if s.doc:
        lead = ctx.phr.say("symbol.lead_doc", name=s.name, kind=_kind(s), ref=ref, doc=s.doc, doc_cap=_cap(s.doc))
    else:
        lead = ctx.phr.say("symbol.lead_plain", name=s.name, kind=_kind(s), ref=ref, used=used)
    parts = [f"{level} `{s.name}`", lead, block]
    if s.kind == "program":
        paras = ctx.facts.methods_of(s)
        refs = [f"- `{m.name}` (`{r}`)" + (f": {m.doc}" if m.doc else "") for m in paras[:8]
                if (r := _sym_ref(c, m))]
        if refs:
            parts.append("Its procedure division, paragraph by paragraph:\n\n" + "\n".join(refs))
    elif s.kind in ("class", "interface", "type", "module"):
        methods = list({m.name: m for m in reversed(ctx.facts.methods_of(s))
                        if not m.name.startswith("__") or m.name == "__init__"}.values())[::-1]
        # One method per line: a line's backticked names must all match the citation on that line.
        refs = [f"- `{m.name}` (`{r}`)" + (f": {m.doc}" if m.doc else "") for m in methods[:8]
                if (r := _sym_ref(c, m))]
        if refs:
            parts.append("Its methods:\n\n" + "\n".join(refs))
    nested = _nested_definitions(c, s)
    if nested:
        parts.append(f"Inside `{s.name}`, nested helpers are defined: "
                     + ", ".join(f"`{n}` (line {ln})" for n, ln in nested[:6]) + ".")
    calls = [cs for cs in ctx.facts.calls_from(s) if c.has(cs.callee.path)][:4]
    call_refs = [f"- `{cs.callee.name}` (`{r}`), called on line {cs.line}" for cs in calls
                 if (r := _sym_ref(c, cs.callee))]
    if call_refs:
        parts.append("Definitions it calls:\n\n" + "\n".join(call_refs))
    return "\n\n".join(parts)


_NESTED = re.compile(r"^\s+(?:async\s+)?(?:def|function)\s+([A-Za-z_$][A-Za-z0-9_$]*)\s*\(")


def _nested_definitions(c: Citer, s: Sym) -> list[tuple[str, int]]:
    """Functions defined inside a function (Python `def`, JavaScript `function`), from the read text."""
    if s.kind not in ("function", "method"):
        return []
    lines = c.lines(s.path) or []
    out = []
    for ln in range(s.start + 1, min(s.end, len(lines)) + 1):
        m = _NESTED.match(lines[ln - 1])
        if m and m.group(1) != s.name:
            out.append((m.group(1), ln))
    return out


def _design_notes(ctx: WriteContext, comp: Component, files: list[str]) -> str:
    """Facts a reader checks first: size, public surface, documentation coverage, external dependencies."""
    f = ctx.facts
    tops = [s for p in files for s in f.files[p].symbols if s.parent is None and s.kind != "other"]
    if not tops:
        return ""
    lines = sum(f.files[p].n_lines for p in files)
    vis = [(s, f.visibility(s)) for s in tops]
    rule = next((v[1] for _, v in vis if v), "")
    public = [s.name for s, v in vis if v and v[0]]
    documented = sum(1 for s in tops if s.doc)
    kinds: dict[str, int] = {}
    for s in tops:
        kinds[_kind(s)] = kinds.get(_kind(s), 0) + 1
    kind_text = ", ".join(f"{n} {k}{'es' if k == 'class' and n > 1 else 's' if n > 1 else ''}"
                          for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    notes = [f"- **Size**: {lines} lines in the files read here, with {kind_text} at the top level."]
    if public:
        notes.append(f"- **Public surface**: {len(public)} of {len(tops)} top-level names are public ({rule}), "
                     f"for example {_names(public, 4)}.")
    notes.append(f"- **Documentation**: {documented} of {len(tops)} top-level definitions carry a docstring or doc "
                 "comment" + ("; the descriptions above quote them." if documented else "."))
    ext = []
    for p in files:
        for imp in f.external_imports(p):
            if imp not in ext:
                ext.append(imp)
    if ext:
        # Go/npm module paths look like repository paths to a reader (and to the verifier): write them plainly.
        shown = [f"`{e}`" if "/" not in e else e for e in ext[:6]]
        more = f" and {len(ext) - 6} more" if len(ext) > 6 else ""
        notes.append(f"- **External dependencies**: it imports {', '.join(shown)}{more} from outside the "
                     "repository.")
    return ctx.phr.pick(["## Design Notes", "## At a Glance"]) + "\n\n" + "\n".join(notes)


def _symbols_table(c: Citer, syms: list[Sym]) -> str:
    rows = []
    for s in syms:
        ref = _sym_ref(c, s)
        if ref:
            rows.append(f"| `{s.name}` | {_kind(s)} | `{ref}` | {s.doc or '-'} |")
    if not rows:
        return ""
    return "| Name | Kind | Location | Description |\n|------|------|----------|-------------|\n" + "\n".join(rows)


def _component_link(ctx: WriteContext, page: str, comp: Component) -> str:
    return _link(ctx, page, comp.page, title_case(comp.name)) or comp.where


def _component_edges(ctx: WriteContext) -> list[tuple[Component, Component, str, str]]:
    """(depending component, component depended on, file, file it depends on), one edge per pair: the first import
    statement, else the first use of a same-package definition (see `RepoFacts.deps`)."""
    out: dict[tuple[str, str], tuple[Component, Component, str, str]] = {}
    by_file = {f: comp for comp in ctx.plan.components for f in comp.files}
    for kind in ("imports", "uses"):
        for src in sorted(by_file):
            for dst in ctx.facts.deps.get(src, []):
                a, b = by_file[src], by_file.get(dst)
                if b is None or a.slug == b.slug or ctx.facts.edge_kind(src, dst) != kind:
                    continue
                out.setdefault((a.slug, b.slug), (a, b, src, dst))
    return [out[k] for k in sorted(out)]


def _edge_label(ctx: WriteContext, src: str, dst: str) -> str:
    return ctx.facts.edge_verb(src, dst)


def _edge_sentence(ctx: WriteContext, c: Citer, src: str, dst: str, short: bool = True) -> str | None:
    """One cited sentence for a file-level dependency: the import statement, or the line using a definition of a
    file of the same package. None when the line cannot be cited."""
    f = ctx.facts
    ln = f.dep_line(src, dst)
    r = c.ref(src, ln) if ln else None
    if not r:
        return None
    a, b = (PurePosixPath(src).name, PurePosixPath(dst).name) if short else (src, dst)
    verb = f.edge_verb(src, dst)
    if verb == "calls":
        return f"`{a}` calls the program in `{b}` (`{r}`)."
    if verb == "copies":
        return f"`{a}` copies the copybook `{b}` (`{r}`)."
    if verb == "imports":
        return ctx.phr.say("import.edge", src=a, dst=b, ref=r)
    return f"`{a}` uses `{f.used_name(src, dst)}`, defined in `{b}` (`{r}`)."


def _edges_note(ctx: WriteContext) -> str:
    """What an arrow means: import statements (COBOL: COPY and CALL), and for same-package code also uses of another
    file's definitions."""
    statements = ("import statements, COPY statements and static CALLs" if ctx.facts.has_cobol_edges
                  else "import statements")
    if ctx.facts.has_uses:
        return (f"edges are {statements}, or uses of a definition from another file of the same package, "
                "which needs no import")
    return f"edges are {statements}"


_DESCRIPTIVE = re.compile(r"\b(?:library|framework|tool(?:kit)?|package|module|parser|implementation|engine|client|"
                          r"server|sdk|is an?|provides|lets you|allows|helps)\b", re.IGNORECASE)


def _readme_paragraph(text: str) -> tuple[str, int, int] | None:
    """The README paragraph that says what the project is (links and markup flattened) with its line range.

    Of the first prose paragraphs (a `>` tagline counts; badges, link definitions, lists, tables, licence notes and
    placeholders do not), the first that reads as a description (`... library for ...`, `X is a ...`), else the
    first one.
    """
    lines = text.split("\n")
    i, in_code = 0, False
    candidates: list[tuple[str, int, int]] = []
    while i < len(lines) and len(candidates) < 5:
        s = lines[i].strip()
        if s.startswith(("```", "~~~")):
            in_code = not in_code
            i += 1
            continue
        heading = re.match(r"^#{1,3}\s+(.+?)\s*#*$", s) if not in_code else None
        if heading and " - " in heading.group(1) and _DESCRIPTIVE.search(heading.group(1)):
            # `# LibYAML - A C library for parsing and emitting YAML.`: the tagline after the dash
            tagline = heading.group(1).split(" - ", 1)[1].strip()
            if len(tagline.split()) >= 5:
                candidates.append((link_safe(re.sub(r"[*`]", "", tagline)), i + 1, i + 1))
        if in_code or not s or s.startswith(("#", "<", "!", "[!", "|", "=")) or s.endswith("===") \
                or re.match(r"^(?:[-*+]\s|[-*_]{3,}\s*$)", s) \
                or re.match(r"^\[[^\]]+\]:\s*\S", s):  # markdown link reference definitions (badge URLs)
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].strip() and not lines[j].strip().startswith(("#", "```", "|", "- ", "* ")):
            j += 1
        para = " ".join(re.sub(r"^>\s?", "", x.strip()) for x in lines[i:j])
        para = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", para)
        para = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", para)
        para = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", para)  # reference links: [text][ref] -> text
        para = link_safe(re.sub(r"<[^>]+>", "", para).replace("`", "'")).strip()
        para = re.sub(r"\*+", "", para)  # bold and italic markers read as plain text in a quote
        first = re.match(r"(.+?[.!?:])(\s|$)", para)
        instruction = para.endswith(":") or re.match(r"(?:To|If|For more|See|Run|Install|Please|Note)\b", para) \
            or (first is not None and first.group(1).endswith("?"))  # how-to steps and questions describe nothing
        if len(para.split()) >= 6 and not PLACEHOLDER.search(para) and not TRUNCATION_MARK.search(para) \
                and not LICENSE_TEXT.search(para) and not instruction:
            candidates.append((para[:600], i + 1, j))
        i = j + 1
    return next((c for c in candidates if _DESCRIPTIVE.search(c[0])), candidates[0] if candidates else None)


# -- page kinds ------------------------------------------------------------------------------------------------------

def compose(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    """Compose one page. Every cited range is checked against `ctx.reads`; every link against `ctx.linkable`."""
    builder = {"hub": _hub, "overview": _overview, "data-flow": _data_flow, "component": _component,
               "guide": _guide, "glossary": _glossary, "topic": _topic}[spec.kind]
    return builder(spec, ctx)


def _component(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    comp = spec.component
    assert comp is not None
    f, page, phr = ctx.facts, spec.path, ctx.phr
    c = ctx.citer(page)
    read_files = [p for p in comp.key_files if c.has(p)]
    syms = [s for p in read_files for s in f.top_symbols(p, 4)]
    index_files = [p for p in comp.files if PurePosixPath(p).stem in ("__init__", "index", "mod", "lib", "doc")]
    doc = next((f.files[p].doc for p in [*index_files, *read_files, *comp.files] if p in f.files and f.files[p].doc),
               "")
    concerns = [(p, f.files[p].doc.rstrip(".")) for p in read_files if f.files[p].doc and f.files[p].doc != doc]
    n_defs = sum(1 for p in comp.files for s in f.files[p].symbols if s.parent is None)
    if n_defs == 0:  # all inside types or impl blocks (a Rust impls.rs): count the definitions themselves
        n_defs = sum(1 for p in comp.files for s in f.files[p].symbols if s.kind != "other")
    title = title_case(comp.name)
    where = {"unit": comp.where, "unit_cap": _cap(comp.where)}
    intro = (phr.say("component.intro_doc", name=title, doc=doc, **where) if doc else
             phr.say("component.intro_plain", name=title, n_defs=n_defs, n_files=len(comp.files), **where))

    users = sorted({i for p in comp.files for i in f.dependents.get(p, []) if i not in comp.files})
    deps = sorted({d for p in comp.files for d in f.deps.get(p, []) if d not in comp.files})
    if len(concerns) >= 2:
        problem = "**Business Problem**: the component brings together " + "; ".join(
            f"{_lower_first(d)} (`{PurePosixPath(p).name}`)" for p, d in concerns[:4]) + "."
    elif doc and [s for s in syms if s.doc]:
        # The intro already quotes the module's docstring: state the problem through its definitions' own docs.
        items = [f"- `{s.name}`: {s.doc}" for s in syms if s.doc][:4]
        problem = (f"**Business Problem**: {ctx.plan.project} relies on this component for what its main "
                   "definitions describe:\n\n" + "\n".join(items))
    elif doc and syms:
        problem = (f"**Business Problem**: {doc} {ctx.plan.project} relies on {_names([s.name for s in syms], 3)} "
                   "for this.")
    elif doc:
        problem = phr.say("component.problem_doc", doc=doc)
    else:
        problem = phr.say("component.problem_plain", project=ctx.plan.project,
                          names=_names([s.name for s in syms], 3) or comp.where)
    impact = (phr.say("component.impact_used", n_users=len(users), users=_names(users, 3)) if users else
              phr.say("component.impact_top"))
    if deps and users:
        role = f"it builds on {_names(deps, 3)} and serves {_names(users, 3)}."
    elif deps:
        role = f"it sits above {_names(deps, 3)} in the dependency graph."
    elif users:
        role = "it is a foundation: it depends on no other module of the repository, and others build on it."
    else:
        role = "it is self-contained: it neither depends on nor is used by other modules of the repository."
    business = "## Business Context\n\n" + "\n\n".join([problem, impact, phr.say("component.role", role=_cap(role))])

    key_lines = []
    for p in read_files:
        ff = f.files[p]
        ref = c.ref(p, 1, max(1, ff.n_lines))
        what = ff.doc or (f"defines {_names([s.name for s in f.top_symbols(p, 3)], 3)}." if f.top_symbols(p, 3)
                          else f"{ff.n_lines} lines.")
        key_lines.append(f"- `{ref}` - {what}")
    others = [p for p in comp.files if p not in read_files]
    overview = f"## Overview\n\n{_cap(comp.where)} contains {len(comp.files)} source file(s) and {n_defs} top-level " \
               f"definition(s).\n\n**Key Files:**\n" + "\n".join(key_lines)
    if others:
        overview += f"\n\nOther files in this component: {_names(others, 6)}."

    # Architecture diagram: files of this component and neighbouring components, with real import edges.
    by_file = {fl: comp2 for comp2 in ctx.plan.components for fl in comp2.files}
    nodes = [(p, PurePosixPath(p).name) for p in read_files]
    edges: list[tuple[str, str, str]] = []
    edge_refs: list[str] = []
    for p in read_files:
        for d in f.deps.get(p, []):
            other = by_file.get(d)
            if d in read_files:
                edges.append((p, d, _edge_label(ctx, p, d)))
            elif other is not None and other.slug != comp.slug:
                nodes.append((f"comp:{other.slug}", f"{title_case(other.name)} component"))
                edges.append((p, f"comp:{other.slug}", _edge_label(ctx, p, d)))
            else:
                continue
            sentence = _edge_sentence(ctx, c, p, d) if len(edge_refs) < 6 else None
            if sentence:
                edge_refs.append(sentence)
        for u in f.dependents.get(p, []):
            other = by_file.get(u)
            if other is not None and other.slug != comp.slug:
                nodes.append((f"comp:{other.slug}", f"{title_case(other.name)} component"))
                edges.append((f"comp:{other.slug}", p, _edge_label(ctx, u, p)))
    arch = ""
    if len(nodes) > 1 and edges:
        diagram = mermaid.flowchart(nodes[:14], edges, direction=phr.pick(["LR", "TD"]))
        arch = "## Architecture\n\n" + f"How the files of {comp.where} connect to each other and to other " \
               f"components ({_edges_note(ctx)}):\n\n" + mermaid.fenced(diagram)
        if edge_refs:
            arch += "\n\n" + "\n".join(f"- {e}" for e in edge_refs)
    else:
        # No dependency to draw: show what the key files define instead (each node is a definition cited below).
        s_nodes = [(p, PurePosixPath(p).name) for p in read_files[:3]]
        s_edges = []
        for p in read_files[:3]:
            for sym in [x for x in syms if x.path == p][:4]:
                s_nodes.append((f"sym:{p}:{sym.start}", f"{sym.name} ({_kind(sym)})"))
                s_edges.append((p, f"sym:{p}:{sym.start}", "defines"))
        if len(s_edges) >= 2:
            arch = ("## Architecture\n\n" + f"{_cap(comp.where)} has no dependency on the other components; its key "
                    "files and the main definitions in each:\n\n"
                    + mermaid.fenced(mermaid.flowchart(s_nodes, s_edges, direction=phr.pick(["LR", "TD"]))))

    table = _symbols_table(c, sorted(syms, key=lambda s: (s.path, s.start))[:12])
    table = f"## Key Components\n\n{table}" if table else ""
    detail_syms = [s for s in syms if s.span >= 3] or syms[:]
    detail_syms.sort(key=lambda s: (-(f.fan_in.get(s.name, 0) * 3 + (2 if s.doc else 0) + min(s.span, 60) / 20),
                                    s.path, s.start))
    sections = [sec for s in detail_syms[:ctx.style.get("details", 5)] if (sec := _symbol_section(ctx, c, s))]
    if not sections:
        for p in read_files[:2]:
            start = _code_start(c.lines(p) or [])
            block = c.block(p, start, f.files[p].n_lines)
            if block:
                lead = f"The start of `{p}`" if start == 1 else f"The code of `{p}`, after its header comment"
                sections.append(f"### `{PurePosixPath(p).name}`\n\n{lead}:\n\n{block}")
    how = (phr.pick(["## How It Works", "## Implementation Details", "## Detailed Walkthrough"]) + "\n\n"
           + "\n\n".join(sections)) if sections else ""

    classes = [s for s in syms if s.kind == "class"]
    cls_part = ""
    if classes:
        diagram = mermaid.class_diagram(
            [(s.name, [m.name for m in f.methods_of(s) if not m.name.startswith("__")]) for s in classes[:8]],
            [(b, s.name) for s in classes[:8] for b in f.bases_of(s)])
        if diagram:
            extra = [(b, []) for s in classes[:8] for b in f.bases_of(s) if b not in {k.name for k in classes[:8]}]
            if extra:
                diagram = mermaid.class_diagram(
                    [(s.name, [m.name for m in f.methods_of(s) if not m.name.startswith("__")]) for s in classes[:8]]
                    + extra, [(b, s.name) for s in classes[:8] for b in f.bases_of(s)]) or diagram
            cls_part = "## Class Structure\n\n" + f"The classes defined in the key files of {comp.where}:\n\n" \
                       + mermaid.fenced(diagram)

    usage_lines = []
    for s_ in sorted(syms, key=lambda x: (-f.fan_in.get(x.name, 0), x.path, x.start))[:6]:
        users_of = [p for p, words in sorted(f.words_by_file.items())
                    if p not in comp.files and s_.name in words and p in f.files]
        if users_of:
            usage_lines.append(f"- `{s_.name}` is referenced in {_names(users_of, 3)}")
    usage = (ctx.phr.pick(["## Where It Is Used", "## Usage Across the Code"])
             + "\n\nOther files that mention this component's main definitions by name:\n\n"
             + "\n".join(usage_lines)) if usage_lines else ""

    dep_comps = sorted({by_file[d].slug: by_file[d] for d in deps if d in by_file}.values(), key=lambda x: x.slug)
    user_comps = sorted({by_file[u].slug: by_file[u] for u in users if u in by_file}.values(), key=lambda x: x.slug)
    rel_lines = []
    for oc in dep_comps:
        if oc.slug != comp.slug:
            rel_lines.append(f"- **Depends on** {_component_link(ctx, page, oc)} ({oc.where})")
    for oc in user_comps:
        if oc.slug != comp.slug:
            rel_lines.append(f"- **Used by** {_component_link(ctx, page, oc)} ({oc.where})")
    if not rel_lines:
        rel_lines.append(f"- {_cap(comp.where)} has no dependency on or from the other documented components.")
    domain = "## Domain Relationships\n\n" + "\n".join(rel_lines)

    others_pages = [oc.page for oc in dep_comps + user_comps if oc.slug != comp.slug]
    related, used = _related(ctx, page, [OVERVIEW, DATAFLOW, *others_pages, GLOSSARY, HUB])
    related_rows = []
    for p in [p for p in comp.related_files if c.has(p) and p in f.files]:
        r = c.ref(p, 1, f.files[p].n_lines)
        top = f.top_symbols(p, 3)
        what = f.files[p].doc or (f"defines {_names([s.name for s in top], 3)}." if top else "")
        how = ("used by this component" if any(p in f.deps.get(x, []) for x in comp.files)
               else "depends on this component")
        if r:
            related_rows.append(f"- `{r}` ({how})" + (f" - {what}" if what else ""))
    related_files = ("## Related Files\n\nFiles outside this component that it works closely with:\n\n"
                     + "\n".join(related_rows)) if related_rows else ""
    notes = _design_notes(ctx, comp, read_files)
    content = _assemble([intro, business, overview, arch, table, how, cls_part, related_files, notes, usage, domain,
                         related, _footer(c)])
    desc = doc or f"The {title} component ({comp.unit}): files, key definitions and relationships."
    return PageDraft(content, _one_line(desc), c.sources, used)


def _hub(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    f, page, phr = ctx.facts, spec.path, ctx.phr
    c = ctx.citer(page)
    parts = [phr.say("hub.intro", project=ctx.plan.project)]
    readme = f.readme()
    if readme and readme in ctx.reads:
        para = _readme_paragraph(ctx.reads[readme])
        if para and (r := c.ref(readme, para[1], para[2])):
            parts.append(f"From the project's README (`{r}`):\n\n> {para[0]}")
    nav = ["## Wiki Navigation", ""]
    groups = [("Architecture", [OVERVIEW, DATAFLOW]), ("Components", [comp.page for comp in ctx.plan.components]),
              ("Guides", [GUIDE]), ("Reference", [GLOSSARY])]
    planned = {p.path for p in ctx.plan.pages}
    extra = sorted(p for p in ctx.linkable if p not in planned and p != page)
    if extra:
        groups.append(("More Pages", extra))
    for name, targets in groups:
        links = [(t, _link(ctx, page, t)) for t in targets]
        links = [(t, lk) for t, lk in links if lk]
        if not links:
            continue
        nav.append(f"### {name}")
        nav.append("")
        for t, lk in links:
            comp = next((cc for cc in ctx.plan.components if cc.page == t), None)
            nav.append(f"- {lk}" + (f" - {comp.where}" if comp else ""))
        nav.append("")
    parts.append("\n".join(nav))
    quick = [lk for t in (GUIDE, OVERVIEW, DATAFLOW) if (lk := _link(ctx, page, t))]
    if quick:
        parts.append("## Quick Links\n\n" + "\n".join(f"- {q}" for q in phr.shuffled(quick)))
    stats = f.language_stats()
    if stats:
        rows = "\n".join(f"| {lang} | {n} | {lines} |" for lang, n, lines in stats[:6])
        parts.append("## Repository at a Glance\n\n| Language | Files | Lines |\n"
                     "|----------|-------|-------|\n" + rows)
    entries = [p for p in f.entry_points() if c.has(p)][:3]
    if entries:
        items = []
        for p in entries:
            main = _main_of(f, p)
            r = _sym_ref(c, main) if main else c.ref(p, 1, f.files[p].n_lines)
            items.append(f"- `{r}`" + (f" - `{main.name}`" if main else ""))
        parts.append("## Entry Points\n\n" + "\n".join(items))
    parts.append(_footer(c))
    related = [t for t in ctx.linkable if t != page]
    return PageDraft(_assemble(parts), _one_line(f"Navigation hub of the {ctx.plan.project} wiki."), c.sources,
                     sorted(related))


def _overview(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    f, page, phr, plan = ctx.facts, spec.path, ctx.phr, ctx.plan
    c = ctx.citer(page)
    parts = [phr.say("overview.intro", project=plan.project, n_components=len(plan.components))]
    readme = f.readme()
    para = _readme_paragraph(ctx.reads[readme]) if readme and readme in ctx.reads else None
    pkg_doc = f.package_doc() or next((f.files[p].doc for p in f.centrality()[:5] if f.files[p].doc), "")
    problem = ""
    if para and (r := c.ref(readme, para[1], para[2])):  # type: ignore[arg-type]
        problem = f"**Business Problem**: the README states the project's purpose (`{r}`): {para[0]}"
    elif pkg_doc:
        problem = f"**Business Problem**: {pkg_doc}"
    entries = [p for p in f.entry_points() if c.has(p)]
    if entries:
        impact = f"**User Impact**: users reach {plan.project} through {_names(entries, 3)}; everything else is " \
                 "called from there."
    else:
        impact = f"**User Impact**: {plan.project} is used as a library: callers import its components directly."
    role = f"**Workflow Role**: the {len(plan.components)} components below divide the work; the import graph " \
           "shows which ones are foundations and which sit on top."
    parts.append("## Business Context\n\n" + "\n\n".join(x for x in (problem, impact, role) if x))

    edges = _component_edges(ctx)
    if plan.components:
        nodes = [(comp.slug, f"{title_case(comp.name)} ({comp.unit})") for comp in plan.components]
        diagram = mermaid.flowchart(nodes, [(a.slug, b.slug, _edge_label(ctx, s_, d_)) for a, b, s_, d_ in edges],
                                    direction=phr.pick(["LR", "TD"]))
        intro = ("Components and the import dependencies between them (an arrow points from the importer to the "
                 "module it imports):") if not (f.has_uses or f.has_cobol_edges) else (
                 "Components and the dependencies between them (an arrow points from the code that depends to the "
                 f"code it depends on; {_edges_note(ctx)}):")
        text = ["## System Architecture", "", intro, "", mermaid.fenced(diagram)]
        refs = []
        for a, b, src, dst in edges[:8]:
            ln = f.dep_line(src, dst)
            r = c.ref(src, ln) if ln else None
            verb = {"imports": "imports", "calls": "calls", "copies": "copies"}.get(f.edge_verb(src, dst),
                                                                                  "depends on")
            if r and verb != "depends on":
                refs.append(f"- {_component_link(ctx, page, a)} {verb} {_component_link(ctx, page, b)}: "
                            f"`{PurePosixPath(src).name}` {verb} `{PurePosixPath(dst).name}` at `{r}`.")
            elif r:
                refs.append(f"- {_component_link(ctx, page, a)} depends on {_component_link(ctx, page, b)}: "
                            f"`{PurePosixPath(src).name}` uses `{f.used_name(src, dst)}`, defined in "
                            f"`{PurePosixPath(dst).name}`, at `{r}`.")
            else:
                refs.append(f"- {_component_link(ctx, page, a)} {verb} {_component_link(ctx, page, b)} "
                            f"(`{src}` {verb} `{dst}`).")
        if refs:
            text += ["", *refs]
        parts.append("\n".join(text))

        rows = []
        for comp in plan.components:
            defs = [s.name for p in comp.key_files[:2] for s in f.top_symbols(p, 2)]
            rows.append(f"| {_component_link(ctx, page, comp)} | {comp.where} | {len(comp.files)} | "
                        f"{_names(defs, 3) or '-'} |")
        parts.append("## Components\n\n| Component | Location | Files | Main definitions |\n"
                     "|-----------|----------|-------|------------------|\n" + "\n".join(rows))

    entry_secs = []
    for p in entries[:2]:
        main = _main_of(f, p) or next(iter(f.top_symbols(p, 1)), None)
        block = (c.block(p, main.start, main.end) if main else
                 c.block(p, _code_start(c.lines(p) or []), f.files[p].n_lines))
        if block:
            lead = (f"`{p}` starts the program; its `{main.name}` {_kind(main)} is shown below." if main
                    else f"`{p}` starts the program.")
            entry_secs.append(f"### `{p}`\n\n{lead}\n\n{block}")
    if entry_secs:
        parts.append("## Entry Points\n\n" + "\n\n".join(entry_secs))

    stats = f.language_stats()
    stack = ["## Technology Stack", ""]
    if stats:
        stack += ["| Language | Files | Lines |", "|----------|-------|-------|",
                  *[f"| {lang} | {n} | {lines} |" for lang, n, lines in stats[:6]], ""]
    for m in [m for m in f.manifests() if m in ctx.reads][:2]:
        rng = _manifest_range(ctx.reads[m], m)
        block = c.block(m, rng[0], rng[1]) if rng else None
        if block:
            lead = f"`{m}` declares the dependencies:" if rng[2] else f"`{m}` is the project's manifest; it opens with:"
            stack += [lead, "", block, ""]
    if len(stack) > 2:
        parts.append("\n".join(stack).rstrip())

    dirs: dict[str, int] = {}
    for p in f.inventory:
        top = p.split("/")[0] if "/" in p else "(root)"
        dirs[top] = dirs.get(top, 0) + 1
    rows = []
    for d in sorted(dirs):
        comps_here = [comp for comp in plan.components if comp.unit == d or comp.unit.startswith(d + "/")]
        role = ", ".join(_component_link(ctx, page, comp) for comp in comps_here) or (
            "tests" if re.match(r"^(tests?|spec|__tests__)$", d) else "-")
        rows.append(f"| `{d}` | {dirs[d]} | {role} |" if d != "(root)" else f"| (root) | {dirs[d]} | {role} |")
    parts.append("## Directory Structure\n\n| Directory | Indexed files | Documented as |\n"
                 "|-----------|---------------|---------------|\n" + "\n".join(rows[:20]))

    decisions = []
    importers = {comp.slug: 0 for comp in plan.components}
    imports_out = {comp.slug: 0 for comp in plan.components}
    for a, b, _, _ in edges:
        importers[b.slug] += 1
        imports_out[a.slug] += 1
    found = [comp for comp in plan.components if imports_out[comp.slug] == 0 and importers[comp.slug] > 0]
    top = [comp for comp in plan.components if importers[comp.slug] == 0 and imports_out[comp.slug] > 0]
    if found:
        one = len(found[:4]) == 1
        decisions.append("- **Layered dependencies**: " + ", ".join(_component_link(ctx, page, x) for x in found[:4])
                         + (" depends on no other component; it is the foundation" if one else
                            " depend on no other component; they are the foundation") + " the rest builds on.")
    if top:
        one = len(top[:4]) == 1
        decisions.append("- **Top layer**: " + ", ".join(_component_link(ctx, page, x) for x in top[:4])
                         + (" is used by no other component; it orchestrates" if one else
                            " are used by no other component; they orchestrate") + " the others.")
    if edges:
        hub_comp = max(plan.components, key=lambda x: (importers[x.slug], x.slug))
        if importers[hub_comp.slug] > 1:
            decisions.append(f"- **Shared core**: {_component_link(ctx, page, hub_comp)} is used by "
                             f"{importers[hub_comp.slug]} other components.")
    pairs = {(a.slug, b.slug) for a, b, _, _ in edges}
    cycles = sorted({tuple(sorted(p)) for p in pairs if (p[1], p[0]) in pairs})
    by_slug = {comp.slug: comp for comp in plan.components}
    if cycles:
        decisions.append("- **Mutual dependencies**: " + "; ".join(
            f"{_component_link(ctx, page, by_slug[x])} and {_component_link(ctx, page, by_slug[y])} depend on each other"
            for x, y in cycles[:3]) + ".")
    if not decisions:
        decisions.append("- **Independent components**: the documented components do not depend on each other; each "
                         "can be read on its own.")
    parts.append("## Key Design Decisions\n\n" + "\n".join(decisions))
    related, used = _related(ctx, page, [DATAFLOW, GUIDE, *[comp.page for comp in plan.components], GLOSSARY, HUB])
    parts += [related, _footer(c)]
    return PageDraft(_assemble(parts), _one_line(f"High-level architecture of {plan.project}: components, "
                                                 "dependencies and entry points."), c.sources, used)


def _data_flow(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    f, page, phr, plan = ctx.facts, spec.path, ctx.phr, ctx.plan
    c = ctx.citer(page)
    chain = [cs for cs in plan.chain]
    # Keep the chain only as far as every step is backed by read text.
    ok = []
    for cs in chain:
        if not (c.has(cs.caller.path) and c.has(cs.callee.path)):
            break
        ok.append(cs)
    chain = ok
    parts = [phr.say("dataflow.intro", project=plan.project)]
    if chain:
        first = chain[0].caller
        problem = f"**Business Problem**: a request entering through `{first.name}` must reach the code that does " \
                  f"the work; this page traces that path across {len({first.path, *[x.callee.path for x in chain]})}" \
                  " file(s)."
    else:
        problem = f"**Business Problem**: data in {plan.project} moves between components along their dependencies; " \
                  "this page shows which components feed which."
    parts.append("## Business Context\n\n" + problem + "\n\n**User Impact**: knowing this path tells a developer "
                 "where to look when a result is wrong.\n\n**Workflow Role**: it connects the "
                 + (_link(ctx, page, OVERVIEW, "architecture overview") or "architecture overview")
                 + " to the component pages.")
    if chain:
        files = [chain[0].caller.path] + [cs.callee.path for cs in chain]
        order: list[str] = []
        for p in files:
            if p not in order:
                order.append(p)
        names = {p: PurePosixPath(p).name for p in order}
        if len(set(names.values())) < len(order):
            names = {p: p for p in order}
        msgs = [(cs.caller.path, cs.callee.path, _call_text(cs.callee), False) for cs in chain]
        msgs += [(cs.callee.path, cs.caller.path, f"{cs.callee.name} returns", True) for cs in reversed(chain)]
        diagram = mermaid.sequence([(p, names[p]) for p in order], msgs)
        parts.append(f"## Request Lifecycle\n\nThe call chain starting at `{chain[0].caller.name}`, as written in the "
                     f"code (each arrow is a call site cited below):\n\n{mermaid.fenced(diagram)}")
        steps = []
        for i, cs in enumerate(chain, 1):
            site = c.ref(cs.caller.path, cs.line)
            dref = _sym_ref(c, cs.callee)
            if site and dref:
                key = {"paragraph": "flow.step_perform", "section": "flow.step_perform",
                       "program": "flow.step_call"}.get(cs.callee.kind, "flow.step")
                steps.append(f"{i}. " + phr.say(key, caller=cs.caller.name, callee=cs.callee.name, site=site,
                                                def_ref=dref))
        step_text = "## Step by Step\n\n" + "\n".join(steps)
        blocks = []
        for s in [chain[0].caller] + [cs.callee for cs in chain][:3]:
            b = c.block(s.path, s.start, s.end)
            if b:
                blocks.append(f"### `{s.name}`\n\n{(s.doc + chr(10) + chr(10)) if s.doc else ''}{b}")
        parts.append(step_text + ("\n\n" + "\n\n".join(blocks) if blocks else ""))
        flow_nodes = [(p, names[p]) for p in order]
        flow_edges = [(cs.caller.path, cs.callee.path, cs.callee.name) for cs in chain
                      if cs.caller.path != cs.callee.path]
        if flow_edges:
            parts.append("## Module Data Flow\n\nThe same path as data flow between files:\n\n"
                         + mermaid.fenced(mermaid.flowchart(flow_nodes, flow_edges, direction=phr.pick(["LR", "TD"]))))
    else:
        edges = _component_edges(ctx)
        nodes = [(comp.slug, title_case(comp.name)) for comp in plan.components]
        if edges:
            parts.append("## Module Data Flow\n\nData flows along these dependency edges (from the depending component "
                         "into the component it depends on):\n\n"
                         + mermaid.fenced(mermaid.flowchart(nodes, [(a.slug, b.slug, _edge_label(ctx, s_, d_))
                                                                    for a, b, s_, d_ in edges],
                                                            direction=phr.pick(["LR", "TD"]))))
    rows = []
    for p in [p for p in spec.files if c.has(p)] + [p for p in f.centrality() if c.has(p) and p not in spec.files]:
        for s in f.files[p].symbols:
            if s.parent is None and _TRANSFORM.search(s.name) and (r := _sym_ref(c, s)) and len(rows) < 10:
                rows.append(f"| `{s.name}` | {_kind(s)} | `{r}` | {s.doc or '-'} |")
    if rows:
        parts.append("## Data Transformation Points\n\nDefinitions whose names say they parse, load, build, "
                     "validate or write data:\n\n| Name | Kind | Location | Description |\n"
                     "|------|------|----------|-------------|\n" + "\n".join(rows))
    if len(parts) < 4:  # no chain and no transformation points: show the central file's main definitions
        for p in [p for p in f.centrality() if c.has(p)][:2]:
            for s in f.top_symbols(p, 2):
                sec = _symbol_section(ctx, c, s)
                if sec:
                    parts.append(sec.replace("### ", "## ", 1))
    chain_pages = []
    for cs in chain:
        comp = plan.component_of(cs.callee.path)
        if comp and comp.page not in chain_pages:
            chain_pages.append(comp.page)
    related, used = _related(ctx, page, [OVERVIEW, *chain_pages, GUIDE, HUB])
    parts += [related, _footer(c)]
    return PageDraft(_assemble(parts), _one_line(f"How data flows through {plan.project}: a real call chain and the "
                                                 "data transformation points."), c.sources, used)


def _guide(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    f, page, phr, plan = ctx.facts, spec.path, ctx.phr, ctx.plan
    c = ctx.citer(page)
    parts = [phr.say("guide.intro", project=plan.project)]
    stats = f.language_stats()
    manifests = [m for m in f.manifests() if m in ctx.reads]
    pre = ["## Prerequisites", ""]
    if stats:
        pre.append(f"- A {stats[0][0]} toolchain: {stats[0][1]} of the code files are {stats[0][0]}.")
    for m in manifests[:2]:
        rng = _manifest_range(ctx.reads[m], m)
        r = c.ref(m, rng[0], rng[1]) if rng else None
        what = "dependencies at" if rng and rng[2] else "see"
        pre.append(f"- The project's manifest `{m}`" + (f" ({what} `{r}`)." if r else "."))
    parts.append("\n".join(pre))
    cmds = _install_commands(set(f.manifests()))
    if cmds:
        parts.append("## Installation\n\nFrom the repository root:\n\n```bash\n" + "\n".join(cmds) + "\n```")
    scripts = []
    for m in manifests:
        scripts += _scripts(ctx.reads[m], m)
    script_lines = [f"- `{name}` (`{r}`)" for name, m, ln in scripts[:8] if (r := c.ref(m, ln))]
    if script_lines:
        parts.append("## Project Scripts\n\nCommands the project defines for itself:\n\n" + "\n".join(script_lines))
    run = _run_section(ctx, c)
    if run:
        parts.append(run)
    if plan.components:
        rows = []
        for comp in plan.components:
            doc = next((f.files[p].doc for p in comp.key_files if p in f.files and f.files[p].doc), "")
            defs = [s.name for p in comp.key_files[:2] for s in f.top_symbols(p, 2)]
            what = doc or (f"defines {_names(defs, 3)}." if defs else "-")
            rows.append(f"| {_component_link(ctx, page, comp)} | {comp.where} | {what} |")
        parts.append("## Project Layout\n\nWhere things live, one row per documented component:\n\n"
                     "| Component | Location | What it does |\n|-----------|----------|--------------|\n"
                     + "\n".join(rows))
    first = []
    for p in [p for p in f.entry_points() if c.has(p)][:2] + [p for p in f.centrality() if c.has(p)][:3]:
        if any(p in x for x in first):
            continue
        comp = plan.component_of(p)
        lk = _link(ctx, page, comp.page) if comp else None
        top = f.top_symbols(p, 2)
        r = c.ref(p, 1, f.files[p].n_lines)
        if not r:
            continue
        first.append(f"{len(first) + 1}. `{r}`" + (f" - defines {_names([s.name for s in top], 2)}" if top else "")
                     + (f"; see {lk}." if lk else "."))
    if first:
        parts.append("## Key Files to Read First\n\n" + "\n".join(first))
    tests = f.test_files()
    if tests:
        cmd = _test_command(set(f.manifests()), tests, ctx.reads)
        t = f"## Running Tests\n\nThe repository has {len(tests)} test file(s), for example {_names(tests, 3)}."
        if cmd:
            t += f"\n\n```bash\n{cmd}\n```"
        read_tests = [p for p in tests if c.has(p)]
        for p in read_tests[:1]:
            top = f.top_symbols(p, 1)
            if top and (block := c.block(p, top[0].start, top[0].end, limit=16)):
                t += (f"\n\nA test shows how the code is meant to be used. `{top[0].name}` "
                      f"(`{_sym_ref(c, top[0])}`):\n\n{block}")
        parts.append(t)
    in_components = {p for comp in plan.components for p in comp.files + comp.related_files}
    support = [p for p in f.important_modules() if p not in in_components and c.has(p) and p in f.files]
    if support:
        rows = []
        for p in support:
            r = c.ref(p, 1, f.files[p].n_lines)
            top = f.top_symbols(p, 3)
            what = f.files[p].doc or (f"defines {_names([s.name for s in top], 3)}." if top else "")
            if r:
                rows.append(f"- `{r}`" + (f" - {what}" if what else ""))
        if rows:
            has_tests = any(p in tests for p in support)
            parts.append(("## Tests and Supporting Code" if has_tests else "## Supporting Code")
                         + "\n\nImportant files outside the documented components"
                         + (" (shared helpers, and tests that exercise the code):" if has_tests else
                            ", which the components rely on:") + "\n\n" + "\n".join(rows))
    patterns = _modification_patterns(ctx, c)
    if patterns:
        parts.append("## Common Modification Patterns\n\n" + "\n\n".join(patterns))
    related, used = _related(ctx, page, [OVERVIEW, DATAFLOW, GLOSSARY, HUB])
    if related:
        parts.append(related.replace("## Related Pages", "## Next Steps"))
    parts.append(_footer(c))
    return PageDraft(_assemble(parts), _one_line(f"Getting started with {plan.project}: setup, key files and common "
                                                 "changes."), c.sources, used)


def _glossary(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    f, page, phr, plan = ctx.facts, spec.path, ctx.phr, ctx.plan
    c = ctx.citer(page)
    terms: dict[str, tuple[Sym, Component | None]] = {}
    for comp in plan.components:
        for p in comp.key_files:
            if not c.has(p):
                continue
            for s in f.top_symbols(p, 5):
                if s.name not in terms and not s.name.startswith("_"):
                    terms[s.name] = (s, comp)
    if len(terms) < 5:
        for p in sorted(ctx.reads):
            if p in f.files:
                for s in f.top_symbols(p, 5):
                    terms.setdefault(s.name, (s, plan.component_of(p)))
    if len(terms) < 15:  # a small code base: its public methods are terms too
        for name, (s, comp) in list(terms.items()):
            if s.kind in ("class", "interface", "type"):
                for m in f.methods_of(s):
                    if not m.name.startswith("_") and f"{name}.{m.name}" not in terms:
                        terms[f"{name}.{m.name}"] = (m, comp)
    parts = [phr.say("glossary.intro", project=plan.project)]
    by_letter: dict[str, list[str]] = {}
    for name in sorted(terms, key=str.lower)[:60]:
        s, comp = terms[name]
        r = _sym_ref(c, s)
        if not r:
            continue
        lk = _link(ctx, page, comp.page) if comp else None
        what = s.doc or f"A {_kind(s)} in `{PurePosixPath(s.path).name}`."
        used = f.fan_in.get(s.name, 0) if "." not in name else 0
        usage = f"; mentioned in {used} other file(s)" if used else ""
        by_letter.setdefault(name[0].upper(), []).append(
            f"- **{name}** ({_kind(s)}): {what} Defined at `{r}`{usage}" + (f"; see {lk}." if lk else "."))
    for letter in sorted(by_letter):
        parts.append(f"## {letter}\n\n" + "\n".join(by_letter[letter]))
    modules = []
    for comp in plan.components:
        p = next((p for p in comp.key_files if c.has(p)), None)
        if p is None:
            continue
        r = c.ref(p, 1, f.files[p].n_lines)
        around = _names([s.name for s in f.top_symbols(p, 2)], 2)
        doc = f.files[p].doc or (f"{len(comp.files)} file(s) of code around {around}." if around
                                 else f"{len(comp.files)} file(s) of code.")
        lk = _link(ctx, page, comp.page, title_case(comp.name)) or title_case(comp.name)
        modules.append(f"- {lk} ({comp.where}): {doc} Main file `{r}`.")
    if modules:
        parts.append("## Components\n\nThe component names used across this wiki:\n\n" + "\n".join(modules))
    related, used = _related(ctx, page, [HUB, OVERVIEW])
    parts += [related, _footer(c)]
    return PageDraft(_assemble(parts), _one_line(f"Alphabetical index of {plan.project}'s key terms."), c.sources,
                     used)


def _topic(spec: PageSpec, ctx: WriteContext) -> PageDraft:
    f, page, _phr = ctx.facts, spec.path, ctx.phr
    c = ctx.citer(page)
    files = [p for p in spec.files if c.has(p)]
    syms = [s for p in files for s in f.top_symbols(p, 3)]
    doc = next((f.files[p].doc for p in files if p in f.files and f.files[p].doc), "")
    title = title_case(spec.topic)
    intro = f"This page covers {title} in {ctx.plan.project}: the code found for this topic in " \
            f"{_names(files, 3) or 'the repository'}."
    problem = f"**Business Problem**: {doc}" if doc else \
        f"**Business Problem**: {title} is handled by {_names([s.name for s in syms], 3) or _names(files, 3)}."
    users = sorted({i for p in files for i in f.dependents.get(p, []) if i not in files})
    impact = (f"**User Impact**: {_names(users, 3)} depend on this code." if users else
              "**User Impact**: this code is reached directly rather than through other modules.")
    parts = [intro, "## Business Context\n\n" + problem + "\n\n" + impact]
    key = [f"- `{r}`" + (f" - {f.files[p].doc}" if p in f.files and f.files[p].doc else "")
           for p in files if (r := c.ref(p, 1, f.files[p].n_lines if p in f.files else 1))]
    if key:
        parts.append("## Overview\n\n**Key Files:**\n" + "\n".join(key))
    table = _symbols_table(c, syms[:10])
    if table:
        parts.append("## Key Components\n\n" + table)
    secs = [sec for s in syms[:4] if (sec := _symbol_section(ctx, c, s))]
    if not secs:
        for p in files[:2]:
            n = f.files[p].n_lines if p in f.files else len(ctx.reads[p].split("\n"))
            b = c.block(p, _code_start(c.lines(p) or []), n)
            if b:
                secs.append(f"### `{PurePosixPath(p).name}`\n\n{b}")
    if secs:
        parts.append("## How It Works\n\n" + "\n\n".join(secs))
    comps = [comp.page for p in files if (comp := ctx.plan.component_of(p))]
    related, used = _related(ctx, page, [*dict.fromkeys(comps), OVERVIEW, HUB])
    parts += [related, _footer(c)]
    return PageDraft(_assemble(parts), _one_line(doc or f"{title} in {ctx.plan.project}."), c.sources, used)


# -- small helpers ----------------------------------------------------------------------------------------------------

def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:200]


def _manifest_range(text: str, name: str) -> tuple[int, int, bool] | None:
    """(first line, last line, is it the dependency section) of a manifest, 1-based inclusive: the dependency
    section when there is one, else its first lines after any header comment."""
    lines = text.split("\n")
    start_pat = {"pyproject.toml": r"^\s*dependencies\s*=\s*\[|^\[tool\.poetry\.dependencies\]",
                 "package.json": r'^\s*"dependencies"\s*:',
                 "go.mod": r"^require\s*\(", "Cargo.toml": r"^\[(?:dev-)?dependencies[.\]]",
                 "requirements.txt": r"\S"}.get(name)
    if start_pat:
        for i, line in enumerate(lines, 1):
            if re.search(start_pat, line):
                end = i
                while end < len(lines) and end - i < 25:
                    s = lines[end].strip()  # lines[end] is line end+1
                    if not s or s.startswith("[") and name != "package.json" or s.startswith(("]", "}", ")")):
                        if s.startswith(("]", "}", ")")):
                            end += 1
                        break
                    end += 1
                return i, max(end, i), True
    n = len(lines) - (1 if lines and lines[-1] == "" else 0)
    start = _code_start(lines)  # not a generated-file or licence header
    return (start, min(n, start + 14), False) if n >= start else None


def _scripts(text: str, name: str) -> list[tuple[str, str, int]]:
    """(script name, manifest, line) for package.json scripts, [project.scripts] and Makefile targets."""
    out: list[tuple[str, str, int]] = []
    lines = text.split("\n")
    if name == "package.json":
        try:
            scripts = json.loads(text).get("scripts") or {}
        except (ValueError, AttributeError):
            scripts = {}
        for key in scripts:
            for i, line in enumerate(lines, 1):
                if re.match(r'^\s*"' + re.escape(key) + r'"\s*:', line):
                    out.append((f"npm run {key}", name, i))
                    break
    elif name == "pyproject.toml":
        section = None
        for i, line in enumerate(lines, 1):
            s = line.strip()
            if s.startswith("["):
                section = s
            elif section in ("[project.scripts]", "[tool.poetry.scripts]") and "=" in s:
                out.append((s.split("=")[0].strip().strip('"'), name, i))
    elif name == "Makefile":
        for i, line in enumerate(lines, 1):
            m = re.match(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:(?!=)", line)
            if m and m.group(1) != ".PHONY":
                out.append((f"make {m.group(1)}", name, i))
    return out


def _install_commands(manifests: set[str]) -> list[str]:
    cmds = []
    if "pyproject.toml" in manifests or "setup.py" in manifests:
        cmds.append("pip install -e .")
    elif "requirements.txt" in manifests:
        cmds.append("pip install -r requirements.txt")
    if "package.json" in manifests:
        cmds.append("npm install")
    if "go.mod" in manifests:
        cmds.append("go build ./...")
    if "Cargo.toml" in manifests:
        cmds.append("cargo build")
    if "pom.xml" in manifests:
        cmds.append("mvn package")
    if "Gemfile" in manifests:
        cmds.append("bundle install")
    return cmds


def _test_command(manifests: set[str], tests: list[str], reads: dict[str, str]) -> str | None:
    if any(t.endswith(".py") for t in tests):
        return "python -m pytest"
    if any(t.endswith("_test.go") for t in tests):
        return "go test ./..."
    if "package.json" in reads:
        try:
            if "test" in (json.loads(reads["package.json"]).get("scripts") or {}):
                return "npm test"
        except (ValueError, AttributeError):
            return None
    if "Cargo.toml" in manifests:
        return "cargo test"
    return None


def _main_of(f: RepoFacts, path: str, names: tuple[str, ...] = ("main", "cli", "run", "app")) -> Sym | None:
    """The file's top-level entry function (`main`, `cli`, ...), never a package or module symbol of that name."""
    return next((s for s in f.files[path].symbols if s.name in names and s.parent is None
                 and s.kind == "function"), None)


def _run_section(ctx: WriteContext, c: Citer) -> str:
    """How to run the program, from its entry points: `go run ./dir`, `python -m pkg.mod`, each with its source."""
    f = ctx.facts
    items = []
    for p in [p for p in f.entry_points() if c.has(p)][:3]:
        text = ctx.reads[p]
        lines = text.split("\n")
        main = _main_of(f, p, names=("main",))
        cmd = None
        if p.endswith(".go") and re.search(r"^package main\b", text, re.MULTILINE):
            cmd = f"go run ./{posixpath.dirname(p)}" if "/" in p else "go run ."
        elif p.endswith(".py"):
            guard = next((i for i, line in enumerate(lines, 1) if line.startswith("if __name__ ==")), None)
            if guard:
                pkg = posixpath.dirname(p)
                in_pkg = bool(pkg) and any(x == f"{pkg}/__init__.py" for x in f.inventory)
                module = p[:-3].replace("/", ".")
                cmd = f"python -m {module}" if in_pkg else f"python {p}"
                if main is None:
                    main = Sym("__main__", "other", p, guard, min(len(lines), guard + 3))
        elif f.files[p].tag == "cobol":
            cmd, main = _cobol_build(f, p)
        if not cmd or main is None:
            continue
        block = c.block(p, main.start, main.end, limit=16)
        if block:
            items.append(f"### `{p}`\n\n```bash\n{cmd}\n```\n\nThis runs the code below:\n\n{block}")
    if not items:
        return ""
    return "## How to Run\n\nThe entry points found in the code, and the command that starts each:\n\n" + \
        "\n\n".join(items)


def _cobol_build(f: RepoFacts, path: str) -> tuple[str | None, Sym | None]:
    """GnuCOBOL's command for a main program: the programs it CALLs (transitively) compile with it into one
    executable, copybook directories go on `-I`; shown with the program's first paragraph."""
    program = next((s for s in f.files[path].symbols if s.kind == "program"), None)
    entry = f.entry_paragraph(program) if program else None
    if entry is None:
        return None, None
    units, todo = [path], [path]
    while todo:
        for d in f.deps.get(todo.pop(), []):
            if d not in units and any(s.kind == "program" for s in f.files[d].symbols):
                units.append(d)
                todo.append(d)
    books = sorted({posixpath.dirname(d) or "." for u in units for d in f.deps.get(u, [])
                    if not any(s.kind == "program" for s in f.files[d].symbols)})
    flags = "".join(f" -I {b}" for b in books)
    return f"cobc -x{flags} {' '.join(units)}", entry


def _modification_patterns(ctx: WriteContext, c: Citer) -> list[str]:
    """Extension points visible in the code: base classes with several subclasses, then a module's public API.

    Each line names only the definition its own citation covers (the verifier checks attribution per line).
    """
    f = ctx.facts
    out = []
    subclasses: dict[str, list[Sym]] = {}
    for p in sorted(ctx.reads):
        for s in (f.files[p].symbols if p in f.files else []):
            if s.kind == "class" and s.parent is None:
                for b in f.bases_of(s):
                    subclasses.setdefault(b, []).append(s)
    for base, subs in sorted(subclasses.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        base_sym = next((s for s in f.symbols_by_name.get(base, []) if s.kind in ("class", "interface")
                         and c.has(s.path)), None)
        example = next((s for s in sorted(subs, key=lambda x: (x.span < 4, x.span > 30, x.path, x.start))
                        if c.has(s.path)), None)
        if not base_sym or not example:
            continue
        br, er = _sym_ref(c, base_sym), _sym_ref(c, example)
        block = c.block(example.path, example.start, example.end, limit=16)
        if br and er and block:
            out.append(f"### Adding a subclass of {base}\n\n"
                       f"The base type `{base}` is defined at `{br}`.\n"
                       f"It has {len(subs)} subclass(es) in the code read for this guide, for example "
                       f"{_names([s.name for s in subs], 3)}.\n\n"
                       f"A new variant follows the shape of `{example.name}` (`{er}`):\n\n{block}")
        if len(out) >= 2:
            break
    if len(out) < 2:
        for comp in ctx.plan.components[:3]:
            p = next((p for p in comp.key_files if c.has(p)), None)
            funcs = [s for s in f.top_symbols(p, 6) if s.kind in ("function", "paragraph")] if p else []
            if p and len(funcs) >= 2:
                refs = [f"- `{s.name}` (`{r}`)" + (f": {s.doc}" if s.doc else "") for s in funcs[:3]
                        if (r := _sym_ref(c, s))]
                lk = _link(ctx, c.page, comp.page)
                unit = "paragraphs (each one PERFORMed by name)" if funcs[0].kind == "paragraph" else "functions"
                out.append(f"### Extending the {title_case(comp.name)} component\n\nNew behaviour in `{p}` sits "
                           f"beside its existing {unit}, which show the conventions to follow:\n\n"
                           + "\n".join(refs) + (f"\n\nSee {lk}." if lk else ""))
            if len(out) >= 2:
                break
    return out


def page_language(path: str) -> str:
    return LANGUAGE_NAME.get(fence_tag(path), "")
