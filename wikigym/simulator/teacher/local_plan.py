"""The planner answer of SemanticWiki's local page-by-page mode: a JSON page plan over the prompt's file list.

SemanticWiki's `analyzeProjectWithLLM` (spec §3.3) lists every project file as `path (ext, size)` and asks for ONLY
`{"projectType", "pages": [{title, filename, type, context, files}]}` with at least the stated number of pages, 2-8
related files each, grouped by what the files do. SemanticWiki strips a code fence, `JSON.parse`s the answer, keeps
only files that exist, drops pages without a valid file unless they are overview/guide pages, normalises the type,
and tops the plan up (architecture page, getting-started page, pattern pages) when something is missing. The plan
built here needs none of that: every file comes from the prompt's list, every page has files, there is one overview
and one `Getting Started` guide, and the count lies in the requested range whenever the repository has enough files.

Grouping, from the snapshot's import graph: code files are grouped by directory; a lone file joins the group it
imports from or is imported by most (else its parent directory's group); a group over 8 files is cut into
import-connected parts; groups are split further (or role pages added: entry points, data types) while the plan is
below the minimum, and the least important groups are merged or dropped above the maximum. Around the code groups:
an architecture overview (entry points and central files), a data-flow overview when a real call chain exists,
a configuration page, a testing guide, an examples/scripts guide and the getting-started guide.

What it deliberately does not do: name a file that is not in the prompt's list, or write pages (see `local_page`).

Example:
    >>> from wikigym.simulator.teacher.local_prompts import ListedFile, PlanPrompt
    >>> files = [ListedFile(p, "." + p.rsplit(".", 1)[1], "small") for p in ("a/x.py", "a/y.py", "README.md")]
    >>> plan = build_plan(PlanPrompt(files, 5, 15), None, Phraser(0))
    >>> len(plan["pages"]) >= 5
    True
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from wikigym.simulator.teacher.facts import LANGUAGE_NAME, RepoFacts, fence_tag, is_auxiliary_path, is_test_path
from wikigym.simulator.teacher.local_prompts import PlanPrompt
from wikigym.simulator.teacher.phrasing import Phraser
from wikigym.simulator.teacher.planner import choose_chain, slugify

MAX_FILES = 8
DOC_EXTS = {".md", ".mdx", ".txt", ".rst", ".adoc"}
CONFIG_EXTS = {".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".gradle", ".properties",
               ".tf", ".hcl"}
_MANIFESTS = ("package.json", "pyproject.toml", "setup.py", "setup.cfg", "go.mod", "Cargo.toml", "pom.xml",
              "build.gradle", "requirements.txt", "Gemfile", "composer.json", "tsconfig.json", "Makefile")
_INDEX_STEMS = ("__init__", "index", "mod", "lib")
_GENERIC_DIRS = {"src", "lib", "internal", "pkg", "app", "core", "source", "sources", "main", "java", "python",
                 "js", "ts", "go", "code", "modules"}
_ACRONYMS = {"api": "API", "cli": "CLI", "sdk": "SDK", "ui": "UI", "db": "DB", "http": "HTTP", "io": "IO",
             "json": "JSON", "sql": "SQL", "url": "URL", "rpc": "RPC", "grpc": "gRPC", "css": "CSS", "html": "HTML",
             "xml": "XML", "yaml": "YAML", "id": "ID", "ci": "CI", "orm": "ORM", "dto": "DTO", "llm": "LLM",
             "rag": "RAG", "mcp": "MCP", "ast": "AST", "os": "OS", "gpu": "GPU", "cpu": "CPU", "ml": "ML"}
# (regex over a file stem or directory name, label, page type)
_ROLES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^(api|routes?|router|handlers?|controllers?|endpoints?|views?|server)$"), "API Handlers",
     "component"),
    (re.compile(r"^(cli|cmd|commands?|__main__|main)$"), "Command Line Interface", "component"),
    (re.compile(r"^(models?|entities|entity|schemas?|types?|domain|dto)$"), "Data Models", "module"),
    (re.compile(r"^(storage|store|stores|db|database|repositor(y|ies)|dao|persistence)$"), "Storage", "module"),
    (re.compile(r"^(services?|engine|logic|business)$"), "Services", "component"),
    (re.compile(r"^(utils?|helpers?|common|shared|misc)$"), "Utilities", "module"),
    (re.compile(r"^(config|configuration|settings|conf)$"), "Configuration", "module"),
    (re.compile(r"^(client|clients|sdk)$"), "Client", "component"),
    (re.compile(r"^(queue|queues|jobs?|workers?|tasks?|scheduler)$"), "Background Jobs", "component"),
    (re.compile(r"^(auth|authentication|security|login|session)$"), "Authentication", "component"),
    (re.compile(r"^(ui|components|pages|widgets|screens)$"), "User Interface", "component"),
    (re.compile(r"^(retry|retries|backoff)$"), "Retry Logic", "module"),
)


@dataclass
class _Group:
    key: str  # directory (or directory#n for a part)
    files: list[str]
    weight: float = 0.0
    title: str = ""
    ptype: str = "component"
    extra: dict[str, Any] = field(default_factory=dict)


def _title_word(word: str) -> str:
    w = word.lower()
    if w in _ACRONYMS:
        return _ACRONYMS[w]
    return word[:1].upper() + word[1:]


def title_of(name: str) -> str:
    """`restock_queue` -> `Restock Queue`, `sdk` -> `SDK`."""
    words = [w for w in re.split(r"[-_\s.]+", name) if w]
    return " ".join(_title_word(w) for w in words) or name


def _stem(path: str) -> str:
    base = posixpath.basename(path)
    stem = base.split(".")[0] if not base.startswith(".") else base
    return re.sub(r"(_test|\.test|\.spec)$", "", stem)


def _role(name: str) -> tuple[str, str] | None:
    n = name.lower()
    for pat, label, ptype in _ROLES:
        if pat.match(n):
            return label, ptype
    return None


def _dir_name(d: str) -> str:
    """The most descriptive directory name on the path (skips src/lib/internal and the like)."""
    parts = [p for p in d.split("/") if p and p != "."]
    for p in reversed(parts):
        if p.lower() not in _GENERIC_DIRS:
            return p
    return parts[-1] if parts else ""


class _Planner:
    def __init__(self, prompt: PlanPrompt, facts: RepoFacts | None, phr: Phraser):
        self.prompt = prompt
        self.facts = facts
        self.phr = phr
        self.paths = [f.path for f in prompt.files]
        self.ext = {f.path: f.ext.lower() for f in prompt.files}
        self.size = {f.path: f.size for f in prompt.files}
        self.listed = set(self.paths)
        self.imports: dict[str, list[str]] = {}
        self.imported_by: dict[str, list[str]] = {}
        if facts is not None:
            try:
                self.imports = {k: [d for d in v if d in self.listed] for k, v in facts.imports.items()
                                if k in self.listed}
                self.imported_by = {k: [d for d in v if d in self.listed] for k, v in facts.imported_by.items()
                                    if k in self.listed}
            except Exception:  # noqa: BLE001 - a planning fact is optional; the plan falls back to directories
                self.imports, self.imported_by = {}, {}

    # -- file classes ------------------------------------------------------------------------------------------
    def is_doc(self, p: str) -> bool:
        return self.ext[p] in DOC_EXTS

    def is_config(self, p: str) -> bool:
        return self.ext[p] in CONFIG_EXTS or posixpath.basename(p) in _MANIFESTS

    def classify(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"doc": [], "config": [], "test": [], "aux": [], "code": []}
        for p in self.paths:
            if self.is_doc(p):
                out["doc"].append(p)
            elif self.is_config(p):
                out["config"].append(p)
            elif is_test_path(p):
                out["test"].append(p)
            elif is_auxiliary_path(p):
                out["aux"].append(p)
            else:
                out["code"].append(p)
        return out

    def file_weight(self, p: str) -> float:
        w = {"small": 1.0, "medium": 2.0, "large": 3.0}.get(self.size.get(p, "small"), 1.0)
        w += 2.0 * len(self.imported_by.get(p, []))
        if self.facts is not None:
            ff = self.facts.files.get(p)
            if ff is not None:
                w += min(sum(1 for s in ff.symbols if s.parent is None and s.kind != "other"), 12) * 0.5
        return w

    def ties(self, p: str, files: list[str]) -> int:
        fs = set(files)
        return sum(1 for d in self.imports.get(p, []) if d in fs) + sum(1 for s in self.imported_by.get(p, [])
                                                                       if s in fs)

    # -- grouping -----------------------------------------------------------------------------------------------
    def group_code(self, code: list[str]) -> list[_Group]:
        by_dir: dict[str, list[str]] = {}
        for p in code:
            by_dir.setdefault(posixpath.dirname(p) or ".", []).append(p)
        groups = {d: list(fs) for d, fs in by_dir.items()}
        # Lone files join the group they are tied to by imports, else the nearest ancestor directory's group,
        # else a sibling directory's group.
        for d in sorted(groups, key=lambda d: (-d.count("/"), d)):
            fs = groups.get(d)
            if fs is None or len(fs) != 1 or len(groups) <= 1:
                continue
            f = fs[0]
            others = {k: v for k, v in groups.items() if k != d}
            best = max(sorted(others), key=lambda k: self.ties(f, others[k]))
            target = best if self.ties(f, others[best]) > 0 else None
            if target is None:
                anc = d
                while anc not in ("", ".") and target is None:
                    anc = posixpath.dirname(anc) or "."
                    if anc in others:
                        target = anc
                    elif anc == ".":
                        break
            if target is None:
                parent = posixpath.dirname(d) or "."
                sibs = [k for k in others if (posixpath.dirname(k) or ".") == parent]
                if sibs:
                    target = min(sibs, key=lambda k: (len(others[k]), k))
            if target is not None:
                groups[target].append(f)
                del groups[d]
        out: list[_Group] = []
        for d, fs in sorted(groups.items()):
            for i, part in enumerate(self.cut(fs, MAX_FILES)):
                out.append(_Group(key=d if i == 0 else f"{d}#{i}", files=part))
        return out

    def layered(self, files: list[str]) -> list[str]:
        """`files` from the foundations up: by import depth inside the set (a file importing nothing of the set
        first), then by weight; so consecutive files form layers (models and storage, then services, then APIs)."""
        fs = set(files)
        level: dict[str, int] = {}

        def depth(f: str, stack: frozenset[str]) -> int:
            if f in level:
                return level[f]
            deps = [d for d in self.imports.get(f, []) if d in fs and d not in stack and d != f]
            level[f] = 1 + max((depth(d, stack | {f}) for d in deps), default=-1)
            return level[f]

        for f in sorted(files):
            depth(f, frozenset())
        return sorted(files, key=lambda f: (level[f], -self.file_weight(f), f))

    def cut(self, files: list[str], limit: int) -> list[list[str]]:
        """Parts of at most `limit` files: import-connected sets, each cut into layers (files sorted by path)."""
        files = sorted(files)
        if len(files) <= limit:
            return [files]
        fs = set(files)
        seen: set[str] = set()
        comps: list[list[str]] = []
        for f in files:
            if f in seen:
                continue
            comp, queue = [], [f]
            seen.add(f)
            while queue:
                x = queue.pop(0)
                comp.append(x)
                for y in sorted(set(self.imports.get(x, [])) | set(self.imported_by.get(x, []))):
                    if y in fs and y not in seen:
                        seen.add(y)
                        queue.append(y)
            comps.append(comp)
        pieces: list[list[str]] = []
        for comp in comps:
            ordered = self.layered(comp)
            n = -(-len(ordered) // limit)  # as few parts as the limit allows, of even size
            size = -(-len(ordered) // n)
            for i in range(0, len(ordered), size):
                pieces.append(ordered[i:i + size])
        bins: list[list[str]] = []
        for piece in sorted(pieces, key=lambda c: (-len(c), c)):
            home = next((b for b in bins if len(b) + len(piece) <= limit), None)
            if home is None:
                bins.append(list(piece))
            else:
                home.extend(piece)
        # Balance: a bin of one file borrows from the largest bin.
        for b in bins:
            if len(b) == 1:
                big = max(bins, key=len)
                if len(big) > 3:
                    b.append(big.pop())
        return [sorted(b) for b in bins if b]

    def split_once(self, groups: list[_Group], min_files: int = 4) -> bool:
        """Split the largest group of `min_files`+ files in two (import-connected halves). False when none can."""
        cands = [g for g in groups if len(g.files) >= max(4, min_files)]
        if not cands:
            return False
        g = max(cands, key=lambda g: (len(g.files), g.weight, g.key))
        half = (len(g.files) + 1) // 2
        parts = self.cut(g.files, half)
        if len(parts) < 2:
            return False
        i = groups.index(g)
        new = [_Group(key=f"{g.key}.{k}" if "#" in g.key else f"{g.key}#{k}", files=part)
               for k, part in enumerate(parts)]
        groups[i:i + 1] = new
        return True

    # -- naming -------------------------------------------------------------------------------------------------
    def name_group(self, g: _Group, multi_root: bool) -> None:
        d = g.key.split("#")[0]
        dname = _dir_name(d)
        top = d.split("/")[0] if d not in (".", "") else ""
        whole = "#" not in g.key
        roles = [r for r in (_role(_stem(f)) for f in g.files) if r]
        drole = _role(dname) if dname else None
        generic = not dname or dname.lower() in _GENERIC_DIRS
        if whole and not generic:
            title = title_of(dname)
            if drole and drole[0].lower() != title.lower() and self.phr.chance(0.5):
                title = f"{title} ({drole[0]})"
            ptype = (drole or (roles[0] if len(roles) == 1 else ("", "component")))[1]
        else:
            labels = []
            for f in sorted(g.files, key=lambda f: -self.file_weight(f)):
                r = _role(_stem(f))
                label = r[0] if r else ("Package Entry" if _stem(f) in _INDEX_STEMS else title_of(_stem(f)))
                if label not in labels:
                    labels.append(label)
            if len(labels) > 1 and "Package Entry" in labels:
                labels.remove("Package Entry")
            shown = labels[:3]
            joined = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
            prefix = title_of(dname) if not generic else ""
            title = f"{prefix} {joined}".strip() if prefix and prefix.lower() not in joined.lower() else joined
            ptype = "module" if roles and all(r[1] == "module" for r in roles) else "component"
        if multi_root and top and _dir_name(top).lower() != dname.lower() and top.lower() not in title.lower():
            title = f"{title_of(top)} {title}"
        g.title = title
        g.ptype = ptype

    # -- context --------------------------------------------------------------------------------------------------
    def docs(self, files: list[str], k: int = 2) -> list[str]:
        if self.facts is None:
            return []
        out = []
        for f in sorted(files, key=lambda f: -self.file_weight(f)):
            ff = self.facts.files.get(f)
            if ff is not None and ff.doc and ff.doc not in out:
                out.append(ff.doc)
            if len(out) >= k:
                break
        return out

    def definitions(self, files: list[str], k: int = 4) -> list[str]:
        if self.facts is None:
            return []
        names: list[str] = []
        for f in sorted(files, key=lambda f: -self.file_weight(f)):
            for s in self.facts.top_symbols(f, 2):
                if s.name not in names:
                    names.append(s.name)
        return names[:k]

    def context(self, what: str, files: list[str]) -> str:
        docs = self.docs(files)
        defs = self.definitions(files)
        parts = [what]
        if docs:
            parts.append(" ".join(d.rstrip(".") + "." for d in docs))
        if defs:
            parts.append(self.phr.pick(["Covers {d}.", "Key definitions: {d}.", "Explains {d}."]).format(
                d=", ".join(defs)))
        return " ".join(parts)

    # -- the plan -------------------------------------------------------------------------------------------------
    def entry_points(self, code: list[str]) -> list[str]:
        listed = set(code)
        out: list[str] = []
        if self.facts is not None:
            try:
                out = [p for p in self.facts.entry_points() if p in listed]
            except Exception:  # noqa: BLE001 - optional fact
                out = []
        if not out:
            out = [p for p in code if _stem(p) in ("main", "__main__", "cli", "index", "app", "server")]
        return out

    def central(self, code: list[str]) -> list[str]:
        return sorted(code, key=lambda p: (-self.file_weight(p), p))

    def plan(self) -> dict[str, Any]:
        phr = self.phr
        lo, hi = self.prompt.min_pages, self.prompt.max_pages
        cls = self.classify()
        code = cls["code"] or cls["aux"]
        groups = self.group_code(code)
        for g in groups:
            g.weight = sum(self.file_weight(f) for f in g.files)
        entries = self.entry_points(code)
        central = self.central(code)

        readme = next((p for p in cls["doc"] if posixpath.basename(p).lower().startswith("readme")
                       and "/" not in p), None) or next((p for p in cls["doc"]
                                                         if posixpath.basename(p).lower().startswith("readme")), None)
        manifests = sorted([p for p in cls["config"] if posixpath.basename(p) in _MANIFESTS],
                           key=lambda p: (p.count("/"), p))
        configs = manifests + sorted([p for p in cls["config"] if p not in manifests], key=lambda p: (p.count("/"), p))

        fixed: list[dict[str, Any]] = []  # pages around the code groups
        overview_files = _dedupe(entries[:3] + central[:5])[:MAX_FILES] or _dedupe(([readme] if readme else [])
                                                                                    + configs[:3])
        arch_title = phr.pick(["Architecture Overview", "System Architecture", "Architecture"])
        arch_context = phr.pick([
            ("The overall architecture: the main parts of the code, how they depend on each other and where "
             "execution starts."),
            "How the project is structured: its components, their dependencies and the entry points.",
        ]) + (f" Entry points: {', '.join(entries[:3])}." if entries else "")
        fixed.append(self._page(arch_title, "overview", arch_context, overview_files))
        flow_files = self.flow_files()
        if flow_files and (phr.chance(0.8) or len(groups) + 3 < lo):
            fixed.append(self._page(phr.pick(["Data Flow", "Request and Data Flow", "Data Flow Overview"]),
                                    "overview", "How data moves through the system: the call chain from the entry "
                                    "point through " + ", ".join(flow_files[:4]) + ".", flow_files))
        tail: list[dict[str, Any]] = []
        if configs:
            tail.append(self._page(phr.pick(["Configuration and Build", "Configuration", "Build and Configuration"]),
                                   "config", "Project configuration and build settings: " +
                                   ", ".join(configs[:MAX_FILES]) + ".", configs[:MAX_FILES]))
        tests = sorted(cls["test"], key=lambda p: (-self.file_weight(p), p))[:MAX_FILES]
        if tests:
            tail.append(self._page(phr.pick(["Testing", "Testing Guide", "Tests"]), "guide",
                                   self.context("How the project is tested and where the tests live.", tests), tests))
        if cls["aux"] and cls["code"]:
            aux = sorted(cls["aux"], key=lambda p: (-self.file_weight(p), p))[:MAX_FILES]
            tail.append(self._page(phr.pick(["Examples and Scripts", "Scripts and Examples"]), "guide",
                                   self.context("Supporting scripts, examples and tooling outside the main code.",
                                                aux), aux))
        start_files = _dedupe(([readme] if readme else []) + manifests[:3] + entries[:2])[:MAX_FILES] or central[:2]
        getting = self._page(phr.pick(["Getting Started", "Getting Started Guide"]), "guide",
                             "Installation, setup and development workflow: how to install the dependencies, run "
                             "the project and find your way around the code.", start_files)

        def total() -> int:
            return len(fixed) + len(groups) + len(tail) + 1 + len(extra)

        extra: list[dict[str, Any]] = []
        while total() < lo and self.split_once(groups):
            pass
        # Focused pages read better than one page over a whole package: split groups of 6+ files while there is room.
        while total() < min(hi, lo + 5) and self.split_once(groups, min_files=6):
            pass
        if total() < lo:
            extra = self.role_pages(code, entries, groups, lo - total())
        while total() < lo:  # tiny repositories: one page per important file
            pool = [p for p in _dedupe(central + configs + cls["doc"] + cls["test"])
                    if not any(pg["files"] == [p] for pg in extra)]
            if not pool:
                break
            p = pool[0]
            label = title_of(_stem(p))
            extra.append(self._page(f"{label} in Detail" if p in code else f"{label} Notes",
                                    "module" if p in code else "guide",
                                    self.context(f"The file {p} in detail.", [p]), [p]))
        fallbacks = [
            ("Code Reference", "module", "Reference of the project's code files and what each defines.", central),
            ("Usage Guide", "guide", "How to use the project: its entry points and documented usage.",
             entries + ([readme] if readme else [])),
            ("Development Workflow", "guide", "How to work on the project: dependencies, tests and layout.",
             manifests + cls["test"] + ([readme] if readme else [])),
            ("Project Layout", "overview", "Where things are: the files of the project and how they are arranged.",
             self.paths),
            ("Design Notes", "overview", "Design decisions visible in the code: structure and dependencies.",
             central + configs),
        ]
        for title, ptype, what, files in fallbacks:  # still short: generic pages over the files there are
            if total() >= lo:
                break
            files = _dedupe(files)[:MAX_FILES]
            if ptype not in ("overview", "guide") and not files:
                continue
            extra.append(self._page(title, ptype, self.context(what, files), files))
        # Above the maximum: merge the two smallest groups under one top directory, then drop the least important.
        while total() > hi and len(groups) > 1:
            if not self.merge_smallest(groups):
                groups.remove(min(groups, key=lambda g: (g.weight, g.key)))
        multi_root = len({g.key.split("/")[0].split("#")[0] for g in groups}) > 1
        for g in groups:
            g.weight = sum(self.file_weight(f) for f in g.files)
            self.name_group(g, multi_root)
        order = sorted(groups, key=lambda g: (-g.weight, g.key)) if phr.chance(0.6) else sorted(groups,
                                                                                               key=lambda g: g.key)
        pages_code = [self._page(g.title, g.ptype, self.context(self._what(g), g.files), g.files) for g in order]
        pages = fixed + pages_code + extra + tail + [getting]
        _unique(pages)
        return {"projectType": self.project_type(cls), "pages": pages}

    def _what(self, g: _Group) -> str:
        d = g.key.split("#")[0]
        where = f"in {d}/" if d not in (".", "") else "at the repository root"
        return self.phr.pick(["The {t} code {w}: what it does and how it works.",
                              "What the {t} part {w} is responsible for and how its files work together.",
                              "How the {t} code {w} works."]).format(t=g.title, w=where)

    def _page(self, title: str, ptype: str, context: str, files: list[str]) -> dict[str, Any]:
        return {"title": title, "filename": slugify(title) + ".md", "type": ptype, "context": context,
                "files": [f for f in files if f in self.listed][:MAX_FILES]}

    def flow_files(self) -> list[str]:
        if self.facts is None:
            return []
        try:
            chain = choose_chain(self.facts, [], Phraser(self.phr.rng.randrange(1 << 30)))
        except Exception:  # noqa: BLE001 - optional fact
            return []
        if not chain:
            return []
        files = _dedupe([chain[0].caller.path] + [c.callee.path for c in chain])
        files = [f for f in files if f in self.listed]
        return files[:MAX_FILES] if len(files) >= 2 else []

    def role_pages(self, code: list[str], entries: list[str], groups: list[_Group], need: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if entries:
            files = _dedupe(entries[:3] + [d for e in entries[:3] for d in self.imports.get(e, [])])[:MAX_FILES]
            out.append(self._page("Entry Points", "component", self.context(
                "Where the program starts and what the entry points call first.", files), files))
        if self.facts is not None:
            facts = self.facts

            def n_types(p: str) -> int:
                ff = facts.files.get(p)
                return sum(1 for s in ff.symbols if s.kind in ("class", "interface", "type")) if ff else 0

            typed = [p for p in sorted(code, key=lambda p: (-n_types(p), p)) if n_types(p) > 0][:MAX_FILES]
            if typed:
                out.append(self._page("Core Types", "module", self.context(
                    "The classes, interfaces and types the rest of the code is built on.", typed), typed))
        if len(out) < need:
            exported = [p for p in code if _stem(p) in ("__init__", "index", "mod", "lib")][:MAX_FILES]
            if exported:
                out.append(self._page("Public API", "module", self.context(
                    "What the packages export to their users.", exported), exported))
        return out[:need]

    def merge_smallest(self, groups: list[_Group]) -> bool:
        by_top: dict[str, list[_Group]] = {}
        for g in groups:
            by_top.setdefault(g.key.split("/")[0].split("#")[0], []).append(g)
        best = None
        for gs in by_top.values():
            gs = sorted(gs, key=lambda g: (len(g.files), g.key))
            if len(gs) >= 2 and len(gs[0].files) + len(gs[1].files) <= MAX_FILES:
                size = len(gs[0].files) + len(gs[1].files)
                if best is None or size < best[0]:
                    best = (size, gs[0], gs[1])
        if best is None:
            return False
        _, a, b = best
        a.files = sorted(a.files + b.files)
        a.key = posixpath.commonpath([a.key.split("#")[0], b.key.split("#")[0]]) or a.key
        a.key += "#merged"
        groups.remove(b)
        return True

    def project_type(self, cls: dict[str, list[str]]) -> str:
        counts: dict[str, int] = {}
        for p in cls["code"] + cls["test"] + cls["aux"]:
            lang = LANGUAGE_NAME.get(fence_tag(p))
            if lang:
                counts[lang] = counts.get(lang, 0) + 1
        langs = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:3]
        lang_text = _join(langs) or "Multi-format"
        stems = {_stem(p).lower() for p in cls["code"]}
        kinds = []
        if stems & {"api", "server", "routes", "router", "handlers", "app"}:
            kinds.append("a service with an API")
        if stems & {"cli", "__main__", "main", "cmd"}:
            kinds.append("a command line tool")
        if stems & {"client", "sdk"}:
            kinds.append("a client library")
        if not kinds:
            kinds.append("a library")
        purpose = ""
        if self.facts is not None:
            try:
                purpose = self.facts.package_doc()
            except Exception:  # noqa: BLE001 - optional fact
                purpose = ""
        tops = sorted({p.split("/")[0] for p in cls["code"] if "/" in p})
        layout = f", organised in {_join(tops)}" if 1 < len(tops) <= 5 else ""
        text = f"{lang_text} project: {_join(kinds)}{layout}."
        return f"{text} {purpose}" if purpose else text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _dedupe(items: list[str]) -> list[str]:
    out: list[str] = []
    for i in items:
        if i and i not in out:
            out.append(i)
    return out


def _unique(pages: list[dict[str, Any]]) -> None:
    """Distinct titles and filenames (a repeated title gets a number)."""
    titles: set[str] = set()
    files: set[str] = set()
    for p in pages:
        base_title, n = p["title"], 2
        while p["title"].lower() in titles or p["filename"] in files:
            p["title"] = f"{base_title} {n}"
            p["filename"] = slugify(p["title"]) + ".md"
            n += 1
        titles.add(p["title"].lower())
        files.add(p["filename"])


def build_plan(prompt: PlanPrompt, facts: RepoFacts | None, phr: Phraser) -> dict[str, Any]:
    """The plan as a dict in SemanticWiki's schema (`json.dumps` it for the answer)."""
    return _Planner(prompt, facts, phr).plan()
