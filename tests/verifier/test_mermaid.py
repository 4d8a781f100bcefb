"""Tests for wikigym/verifier/mermaid.py and checks/mermaid.py: the real Mermaid parser under Node."""

from __future__ import annotations

from wikigym.verifier.checks.mermaid import check_mermaid
from wikigym.verifier.mermaid import MermaidValidator
from wikigym.verifier.wiki import Wiki

from .conftest import needs_node

VALID = [
    "flowchart TD\n  A[Start] --> B{Ok?}\n  B -->|yes| C[Done]",
    "sequenceDiagram\n  Alice->>Bob: Hi\n  Bob-->>Alice: Hello",
    "classDiagram\n  class Animal {\n    +String name\n  }\n  Animal <|-- Dog",
    "erDiagram\n  CUSTOMER ||--o{ ORDER : places",
    "stateDiagram-v2\n  [*] --> Idle\n  Idle --> [*]",
    'pie title Pets\n  "Dogs" : 3\n  "Cats" : 2',
]
BROKEN = [
    "flowchart TD\n  A[Start --> B",
    "flowchart LR\n  A -->",
    "sequenceDiagram\n  Alice->>: Hi",
    "notadiagram\n  x",
    "classDiagram\n  class A {",
    "erDiagram\n  CUSTOMER ||--o{ : places",
    "",
]


@needs_node
def test_real_parser_accepts_valid_and_rejects_broken(verifier) -> None:
    results = verifier.mermaid.validate(VALID + BROKEN)
    assert [r.ok for r in results] == [True] * len(VALID) + [False] * len(BROKEN)
    assert {r.type for r in results[:len(VALID)]} >= {"flowchart-v2", "sequence", "classDiagram", "er", "pie"}
    assert all(r.error for r in results[len(VALID):])


@needs_node
def test_cache_by_hash(verifier) -> None:
    code = "flowchart TD\n  cache_probe_node --> B"
    before = verifier.mermaid.parsed_count
    verifier.mermaid.validate([code, code])
    verifier.mermaid.validate([code])
    assert verifier.mermaid.parsed_count == before + 1


@needs_node
def test_check_scores_validity_and_count(verifier) -> None:
    page = "\n".join(f"```mermaid\n{c}\n```" for c in VALID[:3] + BROKEN[:1])
    res = check_mermaid(Wiki.from_files({"a.md": page}), validator=verifier.mermaid)
    assert res.score == 0.75 and res.stats["diagrams"] == 4 and res.stats["valid"] == 3
    assert res.findings[0].what == "invalid mermaid diagram" and res.findings[0].line == 18


def test_missing_mermaid_package_is_an_error_not_a_pass(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WIKIGYM_NODE_MODULES", str(tmp_path))
    v = MermaidValidator()
    try:
        assert not v.available and "npm ci" in (v.error or "")
        res = check_mermaid(Wiki.from_files({"a.md": "```mermaid\nflowchart TD\n  A --> B\n```"}), validator=v,
                            error=v.error)
        assert res.score == 0.0 and res.error and res.findings[0].what == "mermaid diagrams could not be validated"
    finally:
        v.close()


def test_missing_node_is_an_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("WIKIGYM_NODE", str(tmp_path / "no-node"))
    v = MermaidValidator()
    assert not v.available and "could not start" in (v.error or "")
    assert all(not r.ok for r in v.validate(["flowchart TD\n  A --> B"]))


@needs_node
def test_config_memo_gives_the_same_verdicts_as_unmodified_mermaid(verifier, good_wiki) -> None:
    """The speed hook (memo_config_hooks.mjs) must not change a single verdict or diagram type."""
    from wikigym.verifier.wiki import Wiki as _Wiki

    extra = [
        "flowchart LR\n  subgraph S[Group]\n    a1[\"A\"] --> b1((B))\n  end\n  b1 -.-> c1>C]\n  click a1 href \"x\"",
        "sequenceDiagram\n  autonumber\n  loop Every minute\n    A->>B: ping\n  end\n  Note over A,B: text",
        "classDiagram\n  class Repo~T~ {\n    <<interface>>\n    +get(id) T\n  }",
        "stateDiagram-v2\n  state Fork <<fork>>\n  [*] --> Fork\n  Fork --> A\n  Fork --> B",
        "gantt\n  title T\n  dateFormat YYYY-MM-DD\n  section S\n  Task :a1, 2024-01-01, 3d",
        "---\ntitle: Front\n---\nflowchart TD\n  A --> B",
        "%%{init: {'theme': 'dark'}}%%\nflowchart TD\n  A --> B",
        "flowchart TD\n  A --> B --> C[",
        "stateDiagram-v2\n  [*] --> \n",
        "gitGraph\n  commit\n  branch dev\n  commit\n  checkout main\n  merge dev",
        "mindmap\n  root((wiki))\n    pages\n    links",
        "journey\n  title Day\n  section Work\n    Code: 5: Me",
    ]
    codes = VALID + BROKEN + extra + [b.code for p in _Wiki.from_files(good_wiki).pages for b in p.mermaid][:20]
    exact = MermaidValidator(workers=1, exact=True)
    fast = MermaidValidator(workers=1)
    try:
        assert fast.available and exact.available and fast.config_memo and not exact.config_memo
        a, b = exact.validate(codes), fast.validate(codes)
        assert [(r.ok, r.type, r.error) for r in a] == [(r.ok, r.type, r.error) for r in b]
        assert sum(r.ok for r in a) > len(codes) // 2 and sum(not r.ok for r in a) >= len(BROKEN) + 2
    finally:
        exact.close()
        fast.close()
