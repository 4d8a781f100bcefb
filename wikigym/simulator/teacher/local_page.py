"""One page of SemanticWiki's local page-by-page mode, written from the code pasted into the page prompt.

The answer SemanticWiki expects (`generateSinglePage`, spec §3.4) is raw Markdown: `# <title>` and a 3-4 sentence
overview, `## Key Components` with a `📄 [path:line](../path#Lline)` link per component, `## How It Works`
(control/data flow, patterns, short excerpts) and the related-page links the prompt lists. SemanticWiki keeps the
answer if it is longer than 200 characters and then runs `makeSourceReferencesClickable` over it
(`make_source_references_clickable` here reproduces those five rewrites); the page written here is a fixed point of
that pass, so what the model is taught is what lands on disk.

Grounding: a pasted block counts only for the lines that equal the repository file at the header's line numbers
(the prompt cuts files at 1500 characters, so a cut-off last line is dropped). Every link, name, docstring sentence,
import, call and excerpt on the page comes from those lines; a docstring sentence from the snapshot is used only when
its words appear in the shown text. The snapshot's tree-sitter symbols, import graph and call sites say where
definitions start and what calls what, but only between lines the prompt shows.

What it deliberately does not do: describe code the prompt does not show, or write frontmatter (local mode pages
have none).

Example:
    >>> make_source_references_clickable("See: src/a.ts:12")
    '📄 [src/a.ts:12](../src/a.ts#L12)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wikigym.simulator.teacher.facts import CITABLE_PATH, CODE_TAGS, LANGUAGE_NAME, RepoFacts, Sym, fence_tag
from wikigym.simulator.teacher.local_prompts import PagePrompt, SourceBlock
from wikigym.simulator.teacher.phrasing import Phraser

MAX_FILES = 6
MAX_SYMBOLS = 5
MAX_EDGES = 6

# SemanticWiki's makeSourceReferencesClickable, rule by rule (same patterns, applied in the same order).
_CLICK_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:See:?\s*)`?([a-zA-Z0-9_\-./]+\.[a-zA-Z]+):(\d+)`?"), r"📄 [\1:\2](../\1#L\2)"),
    (re.compile(r"(?:Source:?\s*)`?([a-zA-Z0-9_\-./]+\.[a-zA-Z]+):(\d+)`?"), r"📄 [\1:\2](../\1#L\2)"),
    (re.compile(r"(?<!\[)`([a-zA-Z0-9_\-./]+\.[tj]sx?):(\d+)`(?!\])"), r"📄 [\1:\2](../\1#L\2)"),
    (re.compile(r"\(([a-zA-Z0-9_\-./]+\.[tj]sx?):(\d+)\)(?!\])"), r"(📄 [\1:\2](../\1#L\2))"),
    (re.compile(r"(?:in|from|at)\s+([a-zA-Z0-9_\-./]+\.[tj]sx?):(\d+)([.,])"), r"in 📄 [\1:\2](../\1#L\2)\3"),
)

_KIND_WORD = {"class": "class", "interface": "interface", "type": "type", "function": "function",
              "method": "method", "other": "definition"}

# Patterns a reader should know about, found in the shown lines: (regex, description).
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*@dataclass"), "plain data records are dataclasses"),
    (re.compile(r"^\s*class\s+\w+\((?:[\w.]*Exception|[\w.]*Error)\)|\bextends\s+Error\b"),
     "failures are reported with dedicated error types"),
    (re.compile(r"\basync\s+(?:def|function)\b|\bawait\s"), "work is asynchronous (async/await)"),
    (re.compile(r"^\s*class\s+\w+\((?:[\w.]*Protocol|(?:abc\.)?ABC)\b|^\s*(?:export\s+)?interface\s+\w+|"
                r"^\s*type\s+\w+\s+interface\b"), "behaviour is defined through interfaces"),
    (re.compile(r"^\s*@(?:property|classmethod|staticmethod)\b"), "classes expose properties and helper constructors"),
    (re.compile(r"\bgo\s+(?:func\b|\w+\()"), "work runs concurrently in goroutines"),
    (re.compile(r"\bchan\s+\w|<-\s*\w"), "goroutines communicate over channels"),
    (re.compile(r"\b(?:threading|Lock\(\)|sync\.Mutex|RWMutex)\b"), "shared state is protected by locks"),
    (re.compile(r"\b(?:os\.environ|process\.env|os\.Getenv)\b"), "settings can come from environment variables"),
    (re.compile(r"\b(?:argparse|commander|yargs|flag\.(?:String|Int|Bool|Parse))\b"),
     "command-line arguments are parsed explicitly"),
    (re.compile(r"\b(?:json\.(?:loads|dumps|load|dump|Marshal|Unmarshal|NewDecoder|NewEncoder)|JSON\.(?:parse|"
                r"stringify))\b"), "data is exchanged as JSON"),
    (re.compile(r"\b(?:sqlite3|SELECT\s|INSERT\s+INTO|CREATE\s+TABLE)\b"), "data is stored with SQL"),
    (re.compile(r"\b(?:setTimeout|time\.sleep|time\.Sleep)\b"), "operations wait and retry with delays"),
    (re.compile(r"^\s*(?:yield\b|.*\byield\s)"), "results are produced lazily by generators"),
    (re.compile(r"\b(?:logging\.getLogger|console\.(?:log|error|warn)|log\.Printf|log\.Println)\b"),
     "progress and errors are logged"),
    (re.compile(r"^\s*export\s+(?:default\s+)?(?:async\s+)?(?:class|function|const|interface|type)\b"),
     "the module's public surface is declared with ES exports"),
    (re.compile(r"^\s*raise\s+\w"), "invalid input raises exceptions"),
)

_DOC_KIND = {"markdown": "Markdown", "json": "JSON", "yaml": "YAML", "toml": "TOML", "text": "plain text"}

_OPENERS = {
    "files": ("This {ptype} spans {files}.", "The {ptype} is made of {files}.", "{files} make up this {ptype}."),
    "files_one": ("This {ptype} lives in {files}.", "The {ptype} is implemented in {files}."),
    "doc": ("According to its own documentation, {path} provides the following: \"{doc}\"",
            "The module documentation of {path} sums it up: \"{doc}\"",
            "{path} describes its purpose as: \"{doc}\""),
    "defs": ("Its central definitions are {names}.", "The main definitions shown are {names}.",
             "Most of the work happens in {names}."),
    "tech": ("It is written in {langs}{libs}.", "The code is {langs}{libs}."),
    "how": ("The code shown works as follows.", "Here is how these pieces fit together.",
            "The flow through this {ptype}, as far as the shown code goes:"),
}


def make_source_references_clickable(content: str) -> str:
    """SemanticWiki's post-processing of a local page (spec §3.4): five rewrites of `path:line` mentions into
    `📄 [path:line](../path#Lline)` links, in SemanticWiki's order.

    Example:
        >>> make_source_references_clickable("defined in `src/x.ts:4` here")
        'defined in 📄 [src/x.ts:4](../src/x.ts#L4) here'
    """
    for pattern, repl in _CLICK_RULES:
        content = pattern.sub(repl, content)
    return content


@dataclass
class Shown:
    """The lines of one repository file that the prompt shows (verified against the file)."""

    path: str
    lines: dict[int, str] = field(default_factory=dict)
    headers: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, name, line) from RAG chunk headers

    def has(self, line: int) -> bool:
        return line in self.lines

    def covers(self, start: int, end: int) -> bool:
        return all(n in self.lines for n in range(start, end + 1))

    @property
    def first(self) -> int:
        return min(self.lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines[n] for n in sorted(self.lines))


def link(path: str, line: int) -> str:
    """The local-mode source link, `📄 [path:line](../path#Lline)`."""
    return f"📄 [{path}:{line}](../{path}#L{line})"


def shown_code(blocks: list[SourceBlock], facts: RepoFacts | None) -> dict[str, Shown]:
    """The pasted lines that equal the repository file at the header's line numbers, per file (prompt order)."""
    out: dict[str, Shown] = {}
    for b in blocks:
        if not CITABLE_PATH.match(b.path) or facts is None:
            continue
        text = facts.text(b.path)
        if text is None:
            continue
        file_lines = text.split("\n")
        limit = len(b.lines) if b.end is None else min(len(b.lines), b.end - b.start + 1)
        k = 0
        while k < limit and b.start - 1 + k < len(file_lines) and b.lines[k] == file_lines[b.start - 1 + k]:
            k += 1
        while k > 0 and not b.lines[k - 1].strip():  # trailing blank lines say nothing
            k -= 1
        if k == 0:
            continue
        s = out.setdefault(b.path, Shown(b.path))
        for i in range(k):
            s.lines[b.start + i] = b.lines[i]
        if b.name:
            s.headers.append((b.kind, b.name, b.start))
    return out


def _words_in(sentence: str, text: str, n: int = 6) -> bool:
    """True when the sentence's first words appear, in order, in `text` (a docstring the prompt shows)."""
    words = re.findall(r"[A-Za-z0-9_]+", sentence)[:n]
    if len(words) < 2:
        return False
    return re.search(r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b", text) is not None


def _names(items: list[str], limit: int = 4) -> str:
    shown = [f"`{i}`" for i in dict.fromkeys(items)][:limit]
    if not shown:
        return ""
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _plain(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _foreign_receiver(line: str, name: str) -> bool:
    """True when every call of `name` on the line goes through an attribute chain (`resp.Body.Close()`): the
    name-based call graph cannot tell whose method that is."""
    hits = list(re.finditer(r"([\w.]*\.)?" + re.escape(name) + r"\s*\(", line))
    if not hits:
        return False
    for m in hits:
        chain = m.group(1) or ""
        if chain.count(".") < 2 or chain.startswith(("self.", "this.")):
            return False
    return True


def _safe(fragment: str) -> bool:
    """True when SemanticWiki's post-processing leaves the fragment unchanged."""
    return make_source_references_clickable(fragment) == fragment


@dataclass
class _FileView:
    shown: Shown
    symbols: list[Sym]
    doc: str
    tag: str


def _markdown_intro(shown: Shown) -> tuple[str, str] | None:
    """The first prose sentence of a shown Markdown file (after its headings), or None."""
    if fence_tag(shown.path) != "markdown":
        return None
    in_fence = False
    para: list[str] = []
    for n in sorted(shown.lines):
        line = shown.lines[n].strip()
        if line.startswith("```"):
            in_fence = not in_fence
            if para:
                break
            continue
        if in_fence:
            continue
        if para and (not line or line.startswith(("#", "<", "!", "|", "-", "*", ">"))):
            break
        if not line or line.startswith(("#", "<", "!", "[", "|", "-", "*", ">")):
            continue
        para.append(line)
    text = " ".join(para)
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    if not m:
        return None
    sentence = m.group(1).replace('"', "'")
    if 20 <= len(sentence) <= 220 and _safe(sentence):
        return shown.path, sentence
    return None


def _fenced_blocks(shown: Shown, limit: int = 12) -> list[tuple[int, int, str, list[str]]]:
    """Fenced code blocks of a shown Markdown file: (first code line, last code line, language, lines)."""
    if fence_tag(shown.path) != "markdown":
        return []
    out = []
    open_at: int | None = None
    lang = ""
    for n in sorted(shown.lines):
        line = shown.lines[n]
        if line.strip().startswith("```"):
            if open_at is None:
                open_at, lang = n, line.strip().strip("`").strip()
            else:
                body = [shown.lines[k] for k in range(open_at + 1, n)]
                if body and len(body) <= limit and shown.covers(open_at, n):
                    out.append((open_at + 1, n - 1, lang or "text", body))
                open_at = None
    return out


def _scripts(shown: Shown) -> list[tuple[str, str, int]]:
    """`"name": "command"` entries of a shown package.json `scripts` object."""
    if not shown.path.endswith("package.json"):
        return []
    out = []
    inside = False
    for n in sorted(shown.lines):
        line = shown.lines[n]
        if re.match(r'^\s*"scripts"\s*:\s*\{', line):
            inside = True
            continue
        if inside:
            m = re.match(r'^\s*"([\w:.-]+)"\s*:\s*"([^"`]*)"', line)
            if m:
                out.append((m.group(1), m.group(2), n))
            elif "}" in line:
                break
    return out


class PageWriter:
    """Write one local-mode page (see the module docstring).

    Args:
        facts: the repository facts (symbols, imports, calls); None writes from the prompt's header names only.
        phr: the episode's seeded phraser.
        style: per-episode choices (`snippet_max` lines of an excerpt).
    """

    def __init__(self, facts: RepoFacts | None, phr: Phraser, style: dict[str, int] | None = None):
        self.facts = facts
        self.phr = phr
        self.style = style or {}

    # -- per-file facts ---------------------------------------------------------------------------------------------
    def _view(self, shown: Shown) -> _FileView:
        ff = self.facts.files.get(shown.path) if self.facts is not None else None
        syms: list[Sym] = []
        doc = ""
        if ff is not None:
            ranked = {s.key: i for i, s in enumerate(self.facts.top_symbols(shown.path, 50))}  # type: ignore[union-attr]
            syms = [s for s in ff.symbols if shown.has(s.start) and s.kind != "other"]
            syms.sort(key=lambda s: (s.parent is not None, ranked.get(s.key, 999), s.start))
            if ff.doc and _words_in(ff.doc, shown.text) and _safe(ff.doc):
                doc = ff.doc
        return _FileView(shown=shown, symbols=syms, doc=doc, tag=fence_tag(shown.path))

    def _doc_of(self, s: Sym, shown: Shown) -> str:
        return s.doc if s.doc and _words_in(s.doc, shown.text) and _safe(s.doc) else ""

    # -- sections ---------------------------------------------------------------------------------------------------
    def _overview(self, p: PagePrompt, views: list[_FileView]) -> str:
        ptype = p.page_type
        files = [f"`{v.shown.path}`" for v in views]
        key = "files_one" if len(files) == 1 else "files"
        if len(files) > 4:
            more = len(files) - 3
            listed = ", ".join(files[:3]) + f" and {more} more file{'s' if more > 1 else ''}"
        else:
            listed = _plain(files)
        sents = [self.phr.pick(_OPENERS[key]).format(ptype=ptype, files=listed)]
        sents[0] = sents[0][:1].upper() + sents[0][1:]
        documented = [v for v in views if v.doc]
        if documented:
            v = documented[0]
            sents.append(self.phr.pick(_OPENERS["doc"]).format(path=f"`{v.shown.path}`", doc=v.doc.rstrip(".") + "."))
        tops = [s.name for v in views for s in v.symbols if s.parent is None][:8]
        if tops:
            sents.append(self.phr.pick(_OPENERS["defs"]).format(names=_names(self.phr.shuffled(tops[:6])
                                                                             if self.phr.chance(0.3) else tops)))
        else:
            kinds = _plain(list(dict.fromkeys(_DOC_KIND.get(v.tag, LANGUAGE_NAME.get(v.tag, "plain text"))
                                              for v in views)))
            sents.append(f"The shown files are {kinds} content, {sum(len(v.shown.lines) for v in views)} lines in "
                         f"all, with no functions or classes.")
        langs = [LANGUAGE_NAME[v.tag] for v in views if v.tag in LANGUAGE_NAME]
        libs = self._libraries(views)
        if langs:
            lib_part = f" and uses {_names(libs, 4)}" if libs else ""
            sents.append(self.phr.pick(_OPENERS["tech"]).format(langs=_plain(list(dict.fromkeys(langs))),
                                                                libs=lib_part))
        if len(sents) < 4:
            intro = next((i for i in (_markdown_intro(v.shown) for v in views) if i), None)
            if intro is not None:
                sents.insert(1, f"`{intro[0]}` introduces the project like this: \"{intro[1]}\"")
        if len(sents) < 3:
            n = sum(len(v.shown.lines) for v in views)
            sents.append(f"The description below is based on the {n} lines of code shown in the request.")
        text = " ".join(sents[:4])
        heading = "## Overview\n\n" if self.phr.chance(0.35) else ""
        return f"# {p.title}\n\n{heading}{text}"

    def _libraries(self, views: list[_FileView]) -> list[str]:
        if self.facts is None:
            return []
        out: list[str] = []
        for v in views:
            try:
                ext = self.facts.external_imports(v.shown.path)
            except Exception:  # noqa: BLE001 - optional detail
                ext = []
            for imp in ext:
                name = imp.strip("./")
                if name and re.search(r"(?<![\w.])" + re.escape(imp) + r"(?![\w])", v.shown.text) and name not in out:
                    out.append(name)
        return [o for o in out if "`" not in o][:6]

    def _symbol_line(self, v: _FileView, s: Sym) -> str:
        shown = v.shown
        kind = _KIND_WORD.get(s.kind, "definition")
        owner = f" of `{s.parent}`" if s.parent else ""
        doc = self._doc_of(s, shown)
        first = shown.lines.get(s.start, "").strip()
        if doc:
            desc = doc
        elif first and len(first) <= 100 and "`" not in first and _safe(first):
            desc = f"declared as `{first}`."
        else:
            desc = f"a {kind}."
        extra = []
        if s.kind in ("class", "interface", "type") and self.facts is not None:
            methods = [m.name for m in self.facts.methods_of(s) if shown.has(m.start)]
            if methods:
                extra.append(f"Its shown methods are {_names(methods, 5)}.")
        calls = self._calls(s, {shown.path: shown})
        if calls:
            extra.append(f"It calls {_names([c for c, _ in calls], 3)}.")
        text = f"- **`{s.name}`** ({kind}{owner}): {desc}"
        if extra:
            text += " " + " ".join(extra)
        return f"{text} {link(shown.path, s.start)}"

    def _calls(self, s: Sym, shown: dict[str, Shown]) -> list[tuple[str, int]]:
        if self.facts is None:
            return []
        out = []
        for c in self.facts.calls_from(s):
            callee = shown.get(c.callee.path)
            if not (shown[s.path].has(c.line) and callee is not None and callee.has(c.callee.start)):
                continue
            if c.callee.kind == "method" and _foreign_receiver(shown[s.path].lines[c.line], c.callee.name):
                continue
            out.append((c.callee.name, c.line))
        return out

    def _structure_entries(self, v: _FileView) -> list[tuple[str, int]]:
        """Top-level keys, sections or headings of a non-code file, with their lines."""
        tag = v.tag
        out: list[tuple[str, int]] = []
        for n in sorted(v.shown.lines):
            line = v.shown.lines[n]
            m = None
            if tag == "yaml":
                m = re.match(r"^([A-Za-z_][\w.-]*):", line)
            elif tag == "toml":
                m = re.match(r"^\[+([^\]]+)\]+\s*$", line) or re.match(r"^([A-Za-z_][\w.-]*)\s*=", line)
            elif tag == "json":
                m = re.match(r'^ {2}"([^"]+)"\s*:', line) or re.match(r'^\t"([^"]+)"\s*:', line)
            elif tag == "markdown" or v.shown.path.lower().endswith((".md", ".rst", ".txt")):
                m = re.match(r"^#{1,3}\s+(.+?)\s*#*$", line)
            if m:
                name = m.group(1).strip().replace("`", "'")
                if name and _safe(name):
                    out.append((name, n))
        return out

    def _key_components(self, views: list[_FileView]) -> str:
        parts = ["## Key Components"]
        for v in views[:MAX_FILES]:
            shown = v.shown
            lang = LANGUAGE_NAME.get(v.tag, "")
            head = f"### `{shown.path}`"
            if v.doc:
                lead = f"{v.doc}"
            elif lang:
                lead = f"A {lang} file; lines {shown.first}-{max(shown.lines)} are shown."
            else:
                lead = f"Lines {shown.first}-{max(shown.lines)} of this file are shown."
            body = [f"{lead} {link(shown.path, shown.first)}"]
            items: list[str] = []
            if v.symbols:
                for s in v.symbols[:MAX_SYMBOLS]:
                    items.append(self._symbol_line(v, s))
            else:
                named = [(k, n, ln) for k, n, ln in shown.headers if shown.has(ln)]
                for k, n, ln in named[:MAX_SYMBOLS]:
                    items.append(f"- **`{n}`** ({k.lower()}) {link(shown.path, ln)}")
                if not named:
                    for name, ln in self._structure_entries(v)[:MAX_SYMBOLS + 1]:
                        items.append(f"- `{name}` {link(shown.path, ln)}")
            parts.append("\n\n".join([head, *body] + (["\n".join(items)] if items else [])))
        return "\n\n".join(parts)

    def _how_it_works(self, p: PagePrompt, views: list[_FileView], shown: dict[str, Shown]) -> str:
        parts = ["## How It Works", self.phr.pick(_OPENERS["how"]).format(ptype=p.page_type)]
        edges = self._import_edges(shown)
        if edges:
            lines = [f"- `{src}` imports `{dst}` {link(src, ln)}" for src, dst, ln in edges[:MAX_EDGES]]
            parts.append("**Dependencies between the shown files:**\n\n" + "\n".join(lines))
        flow: list[str] = []
        for v in views:
            for s in v.symbols:
                if s.kind not in ("function", "method"):
                    continue
                for callee, ln in self._calls(s, shown):
                    flow.append(f"`{s.name}` calls `{callee}` {link(s.path, ln)}")
        if flow:
            flow = flow[:MAX_EDGES]
            parts.append("**Control flow:**\n\n" + "\n".join(f"{i}. {f}" for i, f in enumerate(flow, 1)))
        pats = self._patterns(shown)
        if pats:
            parts.append("**Patterns:**\n\n" + "\n".join(f"- {d[:1].upper() + d[1:]} {link(path, ln)}"
                                                         for d, path, ln in pats))
        excerpts = self._excerpts(views)
        parts += excerpts
        for v in views:
            scripts = [(k, c, n) for k, c, n in _scripts(v.shown) if _safe(c)]
            if scripts:
                parts.append(f"**Scripts in `{v.shown.path}`:**\n\n" + "\n".join(
                    f"- `npm run {k}` runs `{c}` {link(v.shown.path, n)}" for k, c, n in scripts[:6]))
        blocks = [(v, b) for v in views for b in _fenced_blocks(v.shown)]
        for v, (a, b, lang, body) in blocks[:2]:
            code = "\n".join(body)
            if not _safe(code) or "```" in code:
                continue
            what = "these commands" if lang in ("bash", "sh", "shell", "console", "text", "") else "this example"
            parts.append(f"`{v.shown.path}` gives {what} (`{v.shown.path}:{a}-{b}`):\n\n```{lang}\n{code}\n```"
                         f"\n\n{link(v.shown.path, a)}")
        if len(parts) == 2:  # nothing structural: walk the shown file from the top
            v = views[0]
            parts.append(f"`{v.shown.path}` is read from the top; its first shown line is "
                         f"{link(v.shown.path, v.shown.first)}.")
        return "\n\n".join(parts)

    def _import_edges(self, shown: dict[str, Shown]) -> list[tuple[str, str, int]]:
        if self.facts is None:
            return []
        out = []
        for src, s in shown.items():
            for dst in self.facts.imports.get(src, []):
                if dst not in shown:
                    continue
                ln = self.facts.import_line(src, dst)
                if ln is not None and s.has(ln):
                    out.append((src, dst, ln))
        return out

    def _patterns(self, shown: dict[str, Shown]) -> list[tuple[str, str, int]]:
        found: list[tuple[str, str, int]] = []
        code = {path: s for path, s in shown.items() if fence_tag(path) in CODE_TAGS}
        for pat, desc in _PATTERNS:
            hit = next(((path, n) for path, s in code.items() for n in sorted(s.lines)
                        if not s.lines[n].lstrip().startswith(("#", "//", "*")) and pat.search(s.lines[n])), None)
            if hit:
                found.append((desc, hit[0], hit[1]))
        if len(found) > 4:
            keep = sorted(self.phr.shuffled(range(len(found)))[:4])
            found = [found[i] for i in keep]
        return found

    def _excerpts(self, views: list[_FileView]) -> list[str]:
        cap = int(self.style.get("snippet_max", 18))
        out: list[str] = []
        wanted = 2 if self.phr.chance(0.5) else 1
        for v in views:
            if len(out) >= wanted:
                break
            # Complete definitions only: an excerpt that stops mid-body reads as a cut-off page.
            cands = [s for s in v.symbols if s.parent is None and s.kind in ("function", "method", "class")
                     and 3 <= s.span <= cap and v.shown.covers(s.start, s.end)]
            if not cands:
                cands = [s for s in v.symbols if s.kind in ("function", "method") and 3 <= s.span <= cap
                         and v.shown.covers(s.start, s.end)]
            for s in cands[:3]:
                body = [v.shown.lines[n] for n in range(s.start, s.end + 1)]
                end = s.end
                while body and not body[-1].strip():
                    body.pop()
                    end -= 1
                code = "\n".join(body)
                if not _safe(code):
                    continue
                ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", code)), default=0))
                lead = self.phr.pick(["`{name}` in full", "The complete definition of `{name}`",
                                      "Here is `{name}`"])
                out.append(f"{lead.format(name=s.name)} (`{v.shown.path}:{s.start}-{end}`):\n\n{ticks}{v.tag}\n"
                           f"{code}\n{ticks}\n\n{link(v.shown.path, s.start)}")
                break
        return out

    def _related(self, p: PagePrompt) -> str:
        heading = f"## {p.related_heading}"
        links = [f"- [{t}]({target})" for t, target in p.related[:5]]
        if not links:
            return f"{heading}\n\nThe request listed no related pages."
        return f"{heading}\n\n" + "\n".join(links)

    # -- public -----------------------------------------------------------------------------------------------------
    def write(self, p: PagePrompt) -> str:
        """The page's Markdown for the parsed prompt `p`."""
        shown = shown_code(p.blocks, self.facts)
        if not shown:
            return self._no_code(p)
        views = [self._view(s) for s in shown.values()]
        if self.phr.chance(0.3):  # files with the most definitions first, otherwise prompt order
            views.sort(key=lambda v: -len(v.symbols))
        sections = [self._overview(p, views), self._key_components(views), self._how_it_works(p, views, shown),
                    self._related(p)]
        page = "\n\n".join(s.strip("\n") for s in sections) + "\n"
        # SemanticWiki rewrites `path:line` mentions after the call; the page is built to need no rewrite, and this
        # keeps that true for anything a docstring sentence might bring in.
        return make_source_references_clickable(page)

    def _no_code(self, p: PagePrompt) -> str:
        text = (f"# {p.title}\n\nThe request for this {p.page_type} page included no source code, so this page does "
                f"not describe any implementation details. It records where the {p.page_type} sits in the wiki; "
                f"the pages below cover the code around it, and this page should be regenerated once the relevant "
                f"files are indexed.\n\n")
        return text + self._related(p) + "\n"
