"""Seeded phrasing: several wordings for each sentence the teacher writes, chosen by a seeded RNG.

Every template only rearranges facts passed in as fields (names, paths, counts, docstring sentences), so a
different wording never changes what is claimed. The same seed gives the same choices in the same order.

What it deliberately does not do: invent content. A template that would need a fact the caller lacks is not used;
the caller picks which key to ask for.

Example:
    >>> p = Phraser(seed=3)
    >>> p.say("turn.explore", repo="demo") == Phraser(seed=3).say("turn.explore", repo="demo")
    True
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

TEMPLATES: dict[str, tuple[str, ...]] = {
    # assistant turn texts
    "turn.explore": (
        "I'll start by mapping the structure of the {repo} repository.",
        "Let me begin with the directory layout of {repo} to see how the code is organised.",
        "First I'll look at the repository tree of {repo} to understand its layout.",
    ),
    "turn.discover": (
        ("The tree shows {n_dirs} top-level directories. Next I'll read the project's key files and search for "
        "its main concepts."),
        "Now I'll read the README and manifest files and run a few searches to find the core of the code.",
        "With the layout in hand, I'll read the entry points and search the codebase for its central ideas.",
    ),
    "turn.research": (
        "Gathering sources for {page}: searching and reading the files I will cite.",
        "Before writing {page}, I'll read the files it needs so every citation matches the code.",
        "Next is {page}. Let me search for the relevant code and read it first.",
    ),
    "turn.write": (
        "Writing {page} now, with source references to the lines I just read.",
        "I have what I need for {page}; writing it.",
        "Now writing {page}.",
    ),
    "turn.verify": (
        "All planned pages are written. Let me verify that every internal link resolves.",
        "Now I'll run the completeness check to catch any broken links.",
        "Time to verify the wiki's links.",
    ),
    "turn.fix": (
        "The check reports {n} missing page(s): {pages}. I'll gather sources and create them.",
        "Verification found {n} broken link target(s) ({pages}); creating those pages now.",
    ),
    "turn.continue": (
        "I'll check which pages already exist and which links are broken before creating the missing pages.",
        "Let me list the existing wiki pages and run the completeness check first.",
    ),
    "turn.retry": (
        "The write of {page} failed ({error}); retrying with complete arguments.",
        "{page} was not written ({error}). Trying again.",
    ),
    "turn.done": (
        "The wiki is complete: {n_pages} pages written, and verification reports no broken links.",
        ("Done. {n_pages} pages cover the architecture, data flow, {n_components} components, a getting-started "
        "guide and a glossary, and every internal link resolves."),
        "Wiki generation finished with {n_pages} pages; the completeness check passes with 0 broken links.",
    ),
    "turn.done_continue": (
        "Wrote {n_new} page(s); verification now reports no broken links.",
        "The {n_new} page(s) are written and every internal link resolves.",
    ),
    "turn.giveup": (
        ("Verification still reports broken links after {n} passes; stopping here so the remaining issues can be "
        "reviewed: {pages}."),
    ),
    # page prose
    "component.intro_doc": (
        "The **{name}** component lives in {unit}. Its own documentation describes it as: {doc}",
        "{unit_cap} holds the **{name}** component. In its own words: {doc}",
        "This page covers {unit}, the **{name}** component. Its docstring summarises it: {doc}",
    ),
    "component.intro_plain": (
        ("The **{name}** component lives in {unit} and defines {n_defs} top-level definitions across {n_files} "
        "file(s)."),
        "{unit_cap} holds the **{name}** component: {n_files} file(s) with {n_defs} top-level definitions.",
    ),
    "component.problem_doc": (
        "**Business Problem**: {doc}",
        "**Business Problem**: the code states its purpose directly: {doc}",
    ),
    "component.problem_plain": (
        ("**Business Problem**: it groups the {project} logic around {names} in one place, so the rest of the "
        "code reaches that behaviour through a small set of definitions."),
        "**Business Problem**: {project} needs the behaviour of {names}; this component keeps it together.",
    ),
    "component.impact_used": (
        "**User Impact**: {n_users} other file(s) depend on it ({users}), so changes here reach every caller.",
        ("**User Impact**: it is used by {users} ({n_users} dependent file(s)); its behaviour is visible through "
        "them."),
    ),
    "component.impact_top": (
        ("**User Impact**: no other module of the repository depends on it: it is used from outside the repository "
         "or run directly."),
        ("**User Impact**: it sits at the top of the dependency graph: users reach it directly, not through other "
        "modules."),
    ),
    "component.role": (
        "**Workflow Role**: {role}",
    ),
    "overview.intro": (
        ("This page describes the high-level architecture of {project}: its components, how they depend on each "
        "other, and where execution starts."),
        ("{project} is organised into {n_components} components. This page shows how they fit together and where "
        "the program starts."),
        "An architectural map of {project}: the components, their dependencies and the entry points.",
    ),
    "dataflow.intro": (
        ("This page follows data through {project}: a real call chain from an entry point down to where the work "
        "is done, and the functions that transform data on the way."),
        ("How data moves through {project}: the call chain a request follows, and the points where data is "
        "parsed, transformed or written."),
    ),
    "guide.intro": (
        ("Getting started with {project}: how to set it up, which files to read first, and how the code is "
        "usually extended."),
        ("A quickstart for new developers of {project}: setup, the key files to understand first, and common "
        "modification patterns."),
    ),
    "glossary.intro": (
        ("Key terms of {project}, alphabetically. Each entry names where the term is defined and links to the page "
        "that explains it."),
        "An alphabetical index of the concepts defined in {project}'s code, with their definitions' locations.",
    ),
    "hub.intro": (
        ("Welcome to the {project} wiki. It documents the architecture, data flow and components of the code, "
        "with every claim traced to source lines."),
        ("This wiki explains how {project} is built: architecture, data flow, one page per component, a "
        "getting-started guide and a glossary."),
    ),
    "symbol.lead_doc": (
        "`{name}` ({kind}, `{ref}`): {doc}",
        "The {kind} `{name}` is defined at `{ref}`. {doc}",
        "{doc_cap} That is the role of `{name}`, a {kind} at `{ref}`.",
    ),
    "symbol.lead_plain": (
        "`{name}` is a {kind} defined at `{ref}`{used}.",
        "The {kind} `{name}` (`{ref}`){used}.",
    ),
    # Two lines on purpose: each line names only the definition its own citation covers.
    "flow.step": (
        "`{caller}` calls {callee}() at `{site}`.\n   `{callee}` is defined at `{def_ref}`.",
        "At `{site}`, `{caller}` hands off to {callee}().\n   `{callee}` lives at `{def_ref}`.",
        "`{caller}` invokes {callee}() (`{site}`).\n   Definition of `{callee}`: `{def_ref}`.",
    ),
    "flow.step_perform": (
        "`{caller}` performs paragraph `{callee}` at `{site}`.\n   `{callee}` is defined at `{def_ref}`.",
        "At `{site}`, `{caller}` runs `PERFORM {callee}`.\n   `{callee}` lives at `{def_ref}`.",
    ),
    "flow.step_call": (
        "`{caller}` calls program `{callee}` at `{site}`.\n   `{callee}` is defined at `{def_ref}`.",
        "At `{site}`, `{caller}` hands off to program `{callee}` with a `CALL`.\n   `{callee}` lives at `{def_ref}`.",
    ),
    "import.edge": (
        "`{src}` imports `{dst}` (`{ref}`).",
        "`{src}` depends on `{dst}`, see the import at `{ref}`.",
    ),
}


class Phraser:
    """Seeded choice of wording and order.

    Args:
        seed: episode seed; the same seed gives the same sequence of choices.
    """

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def say(self, key: str, **fields: Any) -> str:
        options = TEMPLATES[key]
        return self.rng.choice(options).format(**fields)

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(list(options))

    def shuffled(self, items: Sequence[T]) -> list[T]:
        out = list(items)
        self.rng.shuffle(out)
        return out

    def chance(self, p: float) -> bool:
        return self.rng.random() < p
