"""The scripted teacher's parts: repository facts, page planning, page writing, Mermaid builders, seeded phrasing.

`facts.RepoFacts` (symbols, imports, call sites over a RepoSnapshot) -> `planner.plan_wiki` (SemanticWiki's page tree)
-> `writer.compose` (grounded markdown, citations checked against read tool results) with `mermaid` diagrams and
`phrasing.Phraser` wording; `protocol` holds both tool name sets and the tool-output parsers. SemanticWiki's local
page-by-page mode (single turns, no tools) has its own path: `local_prompts` parses the planner, page and index
prompts, `local_plan` answers the planner with JSON, `local_page` writes a page from the pasted code and
`local_index` the index. The policy itself is `wikigym.simulator.policies.scripted.ScriptedTeacher`.
"""
