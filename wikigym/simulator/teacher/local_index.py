"""The `index.md` of SemanticWiki's local page-by-page mode, from the page list in the index prompt.

SemanticWiki's `generateIndexPage` (spec §3.4) shows the project name and a `- [Title](./file.md) - type` list and
asks for an introduction and the links grouped into Overview, Components, Guides and API, each section with a short
description. The answer here links every listed page exactly as listed (`./<filename>`), groups them by type
(overview; component and module; guide and config; api), leaves out empty sections and suggests a reading order.

What it deliberately does not do: describe the project beyond what the page list says (the prompt shows no code), or
link anything that is not in the list.

Example:
    >>> from wikigym.simulator.teacher.phrasing import Phraser
    >>> from wikigym.simulator.teacher.local_prompts import IndexPrompt
    >>> text = write_index(IndexPrompt("demo", [("Setup", "setup.md", "guide")]), Phraser(0))
    >>> "[Setup](./setup.md)" in text
    True
"""

from __future__ import annotations

from wikigym.simulator.teacher.local_prompts import IndexPrompt
from wikigym.simulator.teacher.phrasing import Phraser

_SECTIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Overview", ("overview",), ("The big picture: how the project is put together and how data moves through it.",
                                 "Start here for the architecture and the main ideas.")),
    ("Components", ("component", "module"), ("One page per part of the code, each tied to its source files.",
                                             "The building blocks of the code base, part by part.")),
    ("Guides", ("guide", "config", "tutorial"), ("Practical pages: setting up, configuring, building and testing.",
                                                 "How to install, configure and work on the project.")),
    ("API", ("api", "endpoint", "routes"), ("The interfaces other code and clients call.",
                                            "Entry points exposed to callers.")),
)
_NOUN = {"Overview": "overview", "Components": "component", "Guides": "guide", "API": "API"}
_PER_TYPE = {
    "overview": ("architecture and key concepts", "how the parts of the system fit together"),
    "component": ("what {t} does and how it is built", "how {t} works", "the {t} component and its key code"),
    "module": ("the {t} module and its responsibilities", "how the {t} code is organised", "what {t} provides"),
    "guide": ("a practical guide", "step-by-step instructions"),
    "config": ("how the project is configured and built", "configuration and build settings"),
    "api": ("the interface {t} exposes", "how callers use {t}"),
}


def _section_of(ptype: str) -> str:
    for name, types, _ in _SECTIONS:
        if ptype in types:
            return name
    return "Components"


def write_index(p: IndexPrompt, phr: Phraser) -> str:
    """The index page's Markdown: every listed page linked once, grouped by type."""
    project = p.project.strip() or "Project"
    groups: dict[str, list[tuple[str, str, str]]] = {name: [] for name, _, _ in _SECTIONS}
    seen: set[str] = set()
    for title, filename, ptype in p.pages:
        if filename in seen:
            continue
        seen.add(filename)
        groups[_section_of(ptype)].append((title, filename, ptype))
    n = len(seen)
    counts = [f"{len(v)} {_NOUN[k]} page{'s' if len(v) != 1 else ''}" for k, v in groups.items() if v]
    intro = phr.pick([
        "Welcome to the {project} documentation. It is organised into {n} pages: {counts}.",
        "This wiki documents {project} in {n} pages ({counts}), each written from the project's source code.",
        "{project} is documented here in {n} pages: {counts}. Every page links back to the source it describes.",
    ]).format(project=project, n=n, counts=", ".join(counts[:-1]) + (" and " if len(counts) > 1 else "") + counts[-1]
              if counts else "none")
    title = phr.pick([f"# {project} Documentation", f"# {project} Wiki", f"# {project}"])
    parts = [title, intro]
    first = groups["Overview"][:1] or next((g[:1] for g in groups.values() if g), [])
    guide = next((g for g in groups["Guides"] if "getting" in g[0].lower() or "start" in g[0].lower()), None)
    if first:
        start = f"New to the project? Read [{first[0][0]}](./{first[0][1]}) first"
        if guide and guide[1] != first[0][1]:
            start += f", then follow [{guide[0]}](./{guide[1]})"
        parts.append(start + ".")
    for name, _, descriptions in _SECTIONS:
        items = groups[name]
        if not items:
            continue
        lines = []
        for t, f, ptype in items:
            words = _PER_TYPE.get(ptype)
            desc = phr.pick(words).format(t=t) if words else ptype
            lines.append(f"- [{t}](./{f}) - {desc[:1].upper() + desc[1:]}")
        parts.append(f"## {name}\n\n{phr.pick(descriptions)}\n\n" + "\n".join(lines))
    if n == 0:
        parts.append("No pages were generated yet.")
    return "\n\n".join(parts) + "\n"
