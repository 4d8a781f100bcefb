"""Mermaid diagram builders that are valid by construction: safe node ids, quoted and escaped labels.

Three diagram kinds, each built from real structure the caller passes in (never from prose):
- `flowchart(nodes, edges)`: modules/files and their import edges;
- `sequence(participants, messages)`: a real call chain between files;
- `class_diagram(classes, inheritance)`: classes with their methods and in-repo base classes.

Validity rules applied here (checked against mermaid 11's parser in the tests):
- node ids are `n_<safe>`/`P<i>`/class names matching `[A-Za-z_][A-Za-z0-9_]*`, never a Mermaid keyword;
- flowchart labels are always double-quoted, with `"` written `#quot;` and newlines removed;
- sequence participant aliases and message texts keep only characters that cannot end a statement;
- class names that are not plain identifiers are left out rather than mangled.

What it deliberately does not do: choose what to draw (planner/writer do) or render diagrams.

Example:
    >>> print(flowchart([("a", "cli"), ("b", "core")], [("a", "b", "imports")], direction="LR"))
    flowchart LR
        n_a["cli"]
        n_b["core"]
        n_a -->|"imports"| n_b
"""

from __future__ import annotations

import re

_ID_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = frozenset(
    [
        "end", "graph", "subgraph", "flowchart", "class", "classDef", "click", "style", "linkStyle", "direction",
        "namespace", "note", "link", "callback", "cssClass", "default", "participant", "actor", "loop", "alt", "else",
        "opt", "par", "and", "rect", "critical", "break", "activate", "deactivate", "autonumber", "title", "accTitle",
        "accDescr"
    ]
)


def safe_id(raw: str, prefix: str = "n_") -> str:
    """A flowchart node id from any string: `prefix` + alphanumerics/underscores."""
    body = re.sub(r"[^A-Za-z0-9_]", "_", raw).strip("_") or "x"
    return prefix + body


def quote_label(text: str) -> str:
    """A double-quoted flowchart label; `"` becomes `#quot;`, line breaks and backticks are removed."""
    t = re.sub(r"[\r\n\t`]+", " ", text).replace('"', "#quot;").strip()
    return f'"{t or " "}"'


def _plain(text: str, keep: str = r"A-Za-z0-9_ ./()\-,") -> str:
    """Text with only characters safe in sequence aliases/messages."""
    t = re.sub(rf"[^{keep}]+", " ", text)
    return re.sub(r"\s+", " ", t).strip() or "call"


def flowchart(nodes: list[tuple[str, str]], edges: list[tuple[str, str, str]], direction: str = "LR") -> str:
    """A flowchart of `nodes` (key, label) and `edges` (src key, dst key, label or "").

    Edges whose ends are not among the nodes are dropped; duplicate edges are merged.
    """
    if direction not in ("LR", "TD", "TB", "RL", "BT"):
        direction = "LR"
    ids: dict[str, str] = {}
    used: set[str] = set()
    lines = [f"flowchart {direction}"]
    for key, label in nodes:
        if key in ids:
            continue
        nid = safe_id(key)
        while nid in used:
            nid += "_"
        ids[key] = nid
        used.add(nid)
        lines.append(f"    {nid}[{quote_label(label)}]")
    seen: set[tuple[str, str]] = set()
    for src, dst, label in edges:
        if src not in ids or dst not in ids or (src, dst) in seen:
            continue
        seen.add((src, dst))
        arrow = f' -->|{quote_label(label)}| ' if label else " --> "
        lines.append(f"    {ids[src]}{arrow}{ids[dst]}")
    return "\n".join(lines)


def sequence(participants: list[tuple[str, str]], messages: list[tuple[str, str, str, bool]]) -> str:
    """A sequence diagram. `participants`: (key, shown name); `messages`: (from key, to key, text, is_reply)."""
    ids: dict[str, str] = {}
    lines = ["sequenceDiagram"]
    for i, (key, label) in enumerate(participants):
        if key in ids:
            continue
        ids[key] = f"P{i}"
        lines.append(f"    participant P{i} as {_plain(label)}")
    for src, dst, text, is_reply in messages:
        if src not in ids or dst not in ids:
            continue
        arrow = "-->>" if is_reply else "->>"
        lines.append(f"    {ids[src]}{arrow}{ids[dst]}: {_plain(text)}")
    return "\n".join(lines)


def class_diagram(classes: list[tuple[str, list[str]]], inheritance: list[tuple[str, str]]) -> str | None:
    """A class diagram of `classes` (name, method names) and `inheritance` (base, subclass) pairs.

    Returns None when no class has a usable name (the caller then draws nothing).
    """
    names = [c for c, _ in classes if _ID_OK.match(c) and c not in _RESERVED]
    if not names:
        return None
    lines = ["classDiagram"]
    for cls, methods in classes:
        if cls not in names:
            continue
        members = [m for m in methods if _ID_OK.match(m)][:8]
        if members:
            lines.append(f"    class {cls} {{")
            lines.extend(f"        +{m}()" for m in members)
            lines.append("    }")
        else:
            lines.append(f"    class {cls}")
    for base, sub in inheritance:
        if base in names and sub in names and base != sub:
            lines.append(f"    {base} <|-- {sub}")
    return "\n".join(lines)


def fenced(diagram: str) -> str:
    return f"```mermaid\n{diagram}\n```"
