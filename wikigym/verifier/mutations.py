"""Single-fault mutations of a wiki, each aimed at one check: the verifier's own test of sensitivity and isolation.

Each operator takes a correct wiki ({path: content}) and the repository it documents and returns a copy with exactly
one fault of a kind users of wiki generators complain about, plus the check that must catch it. Operators are
deterministic (the first eligible place in page order) and choose places whose loss cannot move another check (e.g.
they break a citation of a file that other pages also cite, so coverage stays whole).

`detection_rate(verifier, files, snapshot)` applies them all and reports which faults lowered their own check and the
reward while leaving every other check exactly where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wikigym.verifier.checks.citations import extract_citations
from wikigym.verifier.wiki import Wiki

SOURCE_LINK_RE = re.compile(r"\[`([A-Za-z0-9/_.-]+):(\d+)-(\d+)`\]\(([^)#]+)#L(\d+)-L(\d+)\)")


@dataclass(frozen=True)
class Mutation:
    name: str
    target: str  # the check that must catch it
    files: dict[str, str]
    description: str


def _cited_elsewhere(files: dict[str, str], page: str, path: str) -> bool:
    wiki = Wiki.from_files(files)
    return any(c.path == path for p in wiki.pages if p.path != page for c in extract_citations(p))


def _source_link(files: dict[str, str], skip_pages: tuple[str, ...] = ("README.md",)):
    for page in sorted(files):
        if page in skip_pages or page.startswith(("architecture/", "guides/")) or page == "glossary.md":
            continue
        for m in SOURCE_LINK_RE.finditer(files[page]):
            if _cited_elsewhere(files, page, m.group(1)):
                return page, m
    raise ValueError("no `**Source:**` citation of a file cited on another page; the wiki is too small to mutate")


def shift_citation_past_eof(files: dict[str, str], snapshot: Any) -> Mutation:
    """Move one cited range past the end of its file (text and anchor)."""
    page, m = _source_link(files)
    path = m.group(1)
    n = len(snapshot.lines(path))
    a, b = n + 5, n + 12
    new = f"[`{path}:{a}-{b}`]({m.group(4)}#L{a}-L{b})"
    text = files[page][:m.start()] + new + files[page][m.end():]
    return Mutation("shift_citation_past_eof", "citations", {**files, page: text},
                    f"{page}: {path}:{m.group(2)}-{m.group(3)} -> {path}:{a}-{b} ({path} has {n} lines)")


def rename_cited_path(files: dict[str, str], snapshot: Any) -> Mutation:
    """Cite a file that does not exist: one citation's path renamed."""
    page, m = _source_link(files)
    path = m.group(1)
    stem, dot, ext = path.rpartition(".")
    fake = f"{stem}_v2.{ext}" if dot else f"{path}_v2"
    new = f"[`{fake}:{m.group(2)}-{m.group(3)}`]({m.group(4).replace(path, fake)}#L{m.group(5)}-L{m.group(6)})"
    text = files[page][:m.start()] + new + files[page][m.end():]
    return Mutation("rename_cited_path", "citations", {**files, page: text}, f"{page}: {path} -> {fake}")


def drop_mermaid_bracket(files: dict[str, str], snapshot: Any) -> Mutation:
    """Drop the closing bracket of one node label in one Mermaid diagram."""
    for page in sorted(files):
        text = files[page]
        start = text.find("```mermaid\n")
        if start < 0:
            continue
        m = re.compile(r"\w+\[\"[^\"\n]*\"\]").search(text, start)
        if m:
            cut = m.end() - 1
            return Mutation("drop_mermaid_bracket", "mermaid", {**files, page: text[:cut] + text[cut + 1:]},
                            f"{page}: {m.group(0)} -> {m.group(0)[:-1]}")
    raise ValueError("no Mermaid node label to break")


def delete_linked_page(files: dict[str, str], snapshot: Any) -> Mutation:
    """Delete a page other pages link to (not one of SemanticWiki's expected pages)."""
    wiki = Wiki.from_files(files)
    for page in sorted(files):
        if not re.fullmatch(r"components/[^/]+/(?!index\.md)[^/]+\.md", page):
            continue
        cites = {c.path for c in extract_citations(wiki.by_path[page])}
        if all(_cited_elsewhere(files, page, p) for p in cites):
            rest = {k: v for k, v in files.items() if k != page}
            return Mutation("delete_linked_page", "links", rest, f"deleted {page}")
    raise ValueError("no deletable linked page")


def invent_identifier(files: dict[str, str], snapshot: Any, invented: str = "QuantumStockOracle") -> Mutation:
    """Replace one backticked identifier in a prose sentence with an invented name."""
    for page in sorted(files):
        if page == "README.md":
            continue
        for m in re.finditer(r"^The (\w+) `([A-Za-z_]\w*)`", files[page], re.MULTILINE):
            text = files[page][:m.start(2)] + invented + files[page][m.end(2):]
            return Mutation("invent_identifier", "hallucination", {**files, page: text},
                            f"{page}: `{m.group(2)}` -> `{invented}`")
    raise ValueError("no identifier sentence to mutate")


def truncate_to_stub(files: dict[str, str], snapshot: Any) -> Mutation:
    """Cut a component page down to its frontmatter and one line."""
    for page in sorted(files):
        if not re.fullmatch(r"components/[^/]+/(?!index\.md)[^/]+\.md", page):
            continue
        wiki = Wiki.from_files(files)
        p = wiki.by_path[page]
        cites = {c.path for c in extract_citations(p)}
        if not all(_cited_elsewhere(files, page, c) for c in cites):
            continue
        head = "\n".join(p.lines[:p.body_start - 1])
        text = f"{head}\nThis page documents the file.\n"
        return Mutation("truncate_to_stub", "stubs", {**files, page: text}, f"{page}: body cut to one line")
    raise ValueError("no page to truncate")


def duplicate_page(files: dict[str, str], snapshot: Any) -> Mutation:
    """Write one page twice under two paths (both linked from the README hub)."""
    for page in sorted(files):
        if re.fullmatch(r"components/[^/]+/(?!index\.md)[^/]+\.md", page):
            copy = page[:-3] + "-copy.md"
            readme = files["README.md"].rstrip("\n") + f"\n- [{copy}]({copy})\n"
            return Mutation("duplicate_page", "structure", {**files, copy: files[page], "README.md": readme},
                            f"{page} copied to {copy}")
    raise ValueError("no page to duplicate")


OPERATORS: tuple[Callable[[dict[str, str], Any], Mutation], ...] = (
    shift_citation_past_eof, rename_cited_path, drop_mermaid_bracket, delete_linked_page, invent_identifier,
    truncate_to_stub, duplicate_page)


@dataclass
class MutationOutcome:
    mutation: Mutation
    detected: bool
    own_before: float
    own_after: float
    reward_before: float
    reward_after: float
    moved_others: dict[str, tuple[float, float]]

    def line(self) -> str:
        flag = "DETECTED" if self.detected else "MISSED"
        moved = f" (other checks moved: {self.moved_others})" if self.moved_others else ""
        return (f"{flag:9} {self.mutation.name:<24} {self.mutation.target:<14} {self.own_before:.4f} -> "
                f"{self.own_after:.4f}  reward {self.reward_before:.4f} -> {self.reward_after:.4f}  "
                f"[{self.mutation.description}]{moved}")


def detection_rate(verifier: Any, files: dict[str, str], snapshot: Any) -> tuple[float, list[MutationOutcome]]:
    """Apply every operator to `files`; a fault is detected when its own check and the reward drop and no other
    check moves."""
    base = verifier.verify_files(files, snapshot)
    outcomes = []
    for op in OPERATORS:
        mut = op(files, snapshot)
        after = verifier.verify_files(mut.files, snapshot)
        own_b, own_a = base.checks[mut.target].score, after.checks[mut.target].score
        moved = {n: (base.checks[n].score, after.checks[n].score) for n in base.checks
                 if n != mut.target and base.checks[n].score != after.checks[n].score}
        detected = own_a < own_b and after.reward < base.reward and not moved
        outcomes.append(MutationOutcome(mut, detected, own_b, own_a, base.reward, after.reward, moved))
    rate = sum(o.detected for o in outcomes) / len(outcomes)
    return rate, outcomes
