"""Prompt sets for the agent loop: wikigym's own (built in) or SemanticWiki's exact text (`--prompts-from`).

A `PromptSet` maps template names to text with `${name}` placeholders:

| template | used by | placeholders |
|---|---|---|
| `system` | every tool-loop turn | `t_<tool>` (tool names of the run's name set) |
| `generate` / `continue` / `update` | the first user message of those tasks | `repo`, `output_dir`, task fields, `t_<tool>` |
| `verify_continue` | each verification pass (a fresh conversation) | `missing_list`, `missing_count`, `t_<tool>` |
| `plan`, `page`, `index` (+ `*_system`) | SemanticWiki's local page-by-page prompts, single-turn | see `tasks.py` |

`load_prompts(None)` gives wikigym's set (`wikigym.yaml` beside this file). `load_prompts(path)` imports SemanticWiki's
templates from a checkout (a work tree or a bare git repository) with `semanticwiki.import_semanticwiki_prompts`,
so trajectories use the prompts of the SemanticWiki version a user deploys. Either way `PromptSet.sha256` hashes the
templates, and every episode records it.

What it deliberately does not do: ship SemanticWiki's own text (it is read from the user's checkout at run time).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from wikigym.errors import ConfigError

TEMPLATE_NAMES = ("system", "generate", "continue", "update", "verify_continue", "plan_system", "plan",
                  "page_system", "page", "index_system", "index")

# `$${` is a literal `${` (imported text that contained one); `${name}` is a placeholder.
_PLACEHOLDER = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class PromptSet:
    """Named prompt templates plus where they came from and their hash."""

    templates: dict[str, str]
    source: str = "wikigym"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """sha256 of the templates (sorted JSON), recorded in every episode as `prompt_sha256`."""
        blob = json.dumps(self.templates, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def placeholders(self, name: str) -> set[str]:
        return {m.group(1) for m in _PLACEHOLDER.finditer(self.get(name)) if m.group(1)}

    def get(self, name: str) -> str:
        if name not in self.templates:
            raise ConfigError(f"prompt set {self.source} has no template {name!r}; it has "
                              f"{', '.join(sorted(self.templates))}")
        return self.templates[name]

    def render(self, name: str, values: dict[str, object]) -> str:
        """Fill template `name`; every placeholder must have a value (extra values are ignored).

        Example:
            >>> PromptSet({"x": "Hi ${who}, costs $${n}"}).render("x", {"who": "Ann"})
            'Hi Ann, costs ${n}'
        """
        text = self.get(name)
        missing = sorted(p for p in self.placeholders(name) if p not in values)
        if missing:
            raise ConfigError(f"prompt template {name!r} from {self.source} needs {', '.join(missing)}, which the "
                              f"task did not provide")

        def sub(m: re.Match[str]) -> str:
            return "${" if m.group(1) is None else str(values[m.group(1)])

        return _PLACEHOLDER.sub(sub, text)


def builtin_prompts() -> PromptSet:
    """wikigym's own prompt set."""
    text = resources.files("wikigym.simulator.prompts").joinpath("wikigym.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    templates = {k: data[k] for k in TEMPLATE_NAMES}
    return PromptSet(templates=templates, source="wikigym")


def load_prompts(prompts_from: str | Path | None = None) -> PromptSet:
    """wikigym's prompts, or SemanticWiki's from the checkout at `prompts_from`."""
    if prompts_from is None or str(prompts_from) == "":
        return builtin_prompts()
    from wikigym.simulator.prompts.semanticwiki import import_semanticwiki_prompts

    return import_semanticwiki_prompts(Path(prompts_from))


def tool_name_values(mode: str) -> dict[str, str]:
    """`t_<tool>` placeholder values: each SemanticWiki tool's name in the run's name set.

    In `sdk` mode the repository tools come from the filesystem server (`mcp__filesystem__read_file`, ...), the wiki
    tools from the semanticwiki server; in `direct` mode all are bare names.
    """
    sw = ["search_codebase", "write_wiki_page", "analyze_code_structure", "verify_wiki_completeness", "list_wiki_pages"]
    fs = ["read_file", "list_directory", "directory_tree"]
    if mode == "sdk":
        out = {f"t_{n}": f"mcp__semanticwiki__{n}" for n in sw}
        out.update({f"t_{n}": f"mcp__filesystem__{n}" for n in fs})
        return out
    return {f"t_{n}": n for n in sw + fs}
