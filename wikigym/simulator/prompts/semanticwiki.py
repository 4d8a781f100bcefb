"""Import SemanticWiki's exact prompts from a checkout (`wikigym record --prompts-from PATH`).

Reads `src/prompts/wiki-system.ts` and `src/wiki-agent.ts` from PATH (a work tree, or a bare git repository whose
HEAD is read), finds each prompt's TypeScript template literal structurally (the `WIKI_SYSTEM_PROMPT` constant, the
three `return` templates of `buildGenerationPrompt`, the verification pass's `continuationPrompt`, and the planner,
page and index prompts of the local page-by-page mode), unescapes it, and turns each `${...}` interpolation into a
wikigym placeholder through a fixed table of the expressions SemanticWiki uses. An interpolation that is not in the
table stops the import with one line naming it, so a SemanticWiki version whose prompts need new inputs is noticed
rather than silently mis-filled.

The tool names inside SemanticWiki's prompts are kept exactly as written (`mcp__semanticwiki__*` even in direct mode):
that mismatch is part of what a faithful trajectory shows.

What it deliberately does not do: evaluate TypeScript, or fall back to wikigym's text for a template it cannot find.
"""

from __future__ import annotations

import re
from pathlib import Path

from wikigym.errors import ConfigError
from wikigym.simulator.prompts import PromptSet

SYSTEM_FILE = "src/prompts/wiki-system.ts"
AGENT_FILE = "src/wiki-agent.ts"

# Normalised TypeScript expression -> wikigym placeholder, per template.
_EXPRESSIONS: dict[str, dict[str, str]] = {
    "generate": {
        "options.repoUrl": "repo",
        "this.outputDir": "output_dir",
        "options.targetPath ? `**Focus Area:** ${options.targetPath}` : ''": "focus_line",
        "configNote": "config_note",
    },
    "continue": {"options.repoUrl": "repo", "this.outputDir": "output_dir", "missingList": "missing_list"},
    "update": {
        "options.repoUrl": "repo",
        "this.outputDir": "output_dir",
        "newFilesList": "new_files_section",
        "modifiedFilesList": "modified_files_section",
        "deletedFilesList": "deleted_files_section",
        "affectedPagesList": "affected_pages_section",
        "pagesToCreateList": "pages_to_create_section",
    },
    "verify_continue": {
        "missingPages.map(p => `- ${p}`).join('\\n')": "missing_list",
        "missingPages.length": "missing_count",
    },
    "plan": {
        "sourceFiles.length": "source_file_count",
        "extSummary": "ext_summary",
        "minPages": "min_pages",
        "minPages + 10": "max_pages",
        "fileList": "file_list",
        "groupingSuggestions": "grouping_suggestions",
    },
    "page": {
        "pageSpec.title": "title",
        "pageSpec.type": "page_type",
        "ragContext || 'No source code available'": "source_context",
        "relatedLinks": "related_links",
    },
    "index": {"path.basename(this.repoPath)": "project", "pageLinks": "page_links"},
}


def _read_source(root: Path, rel: str) -> str:
    f = root / rel
    if f.is_file():
        return f.read_text(encoding="utf-8")
    if (root / "HEAD").is_file() and (root / "objects").is_dir():  # a bare repository
        import subprocess

        # Read-only access to someone else's bare mirror: no ownership check (safe.directory) is needed for `show`.
        proc = subprocess.run(["git", "-c", "safe.directory=*", "--git-dir", str(root), "show", f"HEAD:{rel}"],
                              capture_output=True)
        if proc.returncode != 0:
            raise ConfigError(f"--prompts-from {root}: cannot read {rel} at HEAD "
                              f"({proc.stderr.decode(errors='replace').strip()}); pass a SemanticWiki checkout")
        return proc.stdout.decode("utf-8")
    raise ConfigError(f"--prompts-from {root}: {rel} not found; pass the root of a SemanticWiki checkout "
                      f"(the directory that holds src/)")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape_char(src: str, i: int) -> tuple[str, int]:
    """Decode the escape at src[i] == '\\'; return (text, index after it)."""
    c = src[i + 1]
    if c in _ESCAPES:
        return _ESCAPES[c], i + 2
    if c == "\n":
        return "", i + 2
    if c == "x":
        return chr(int(src[i + 2:i + 4], 16)), i + 4
    if c == "u":
        if src[i + 2] == "{":
            end = src.index("}", i + 3)
            return chr(int(src[i + 3:end], 16)), end + 1
        return chr(int(src[i + 2:i + 6], 16)), i + 6
    return c, i + 2


def _skip_string(src: str, i: int) -> int:
    """Index just past the '...' or "..." literal starting at src[i]."""
    q = src[i]
    i += 1
    while src[i] != q:
        i += 2 if src[i] == "\\" else 1
    return i + 1


def _expression_end(src: str, i: int) -> int:
    """Index of the `}` closing the `${` expression whose body starts at src[i]."""
    depth = 0
    while True:
        c = src[i]
        if c in "'\"":
            i = _skip_string(src, i)
            continue
        if c == "`":
            _, i = parse_template(src, i)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1


def parse_template(src: str, start: int) -> tuple[list[tuple[str, str]], int]:
    """Parse the template literal whose opening backtick is at src[start].

    Returns ([("text", s) | ("expr", e), ...], index after the closing backtick).
    """
    if src[start] != "`":
        raise ValueError(f"no template literal at offset {start}")
    parts: list[tuple[str, str]] = []
    buf: list[str] = []
    i = start + 1
    while True:
        c = src[i]
        if c == "`":
            break
        if c == "\\":
            s, i = _unescape_char(src, i)
            buf.append(s)
            continue
        if c == "$" and src[i + 1] == "{":
            if buf:
                parts.append(("text", "".join(buf)))
                buf = []
            end = _expression_end(src, i + 2)
            parts.append(("expr", src[i + 2:end]))
            i = end + 1
            continue
        buf.append(c)
        i += 1
    if buf:
        parts.append(("text", "".join(buf)))
    return parts, i + 1


def _parse_quoted(src: str, start: int) -> str:
    q = src[start]
    out: list[str] = []
    i = start + 1
    while src[i] != q:
        if src[i] == "\\":
            s, i = _unescape_char(src, i)
            out.append(s)
        else:
            out.append(src[i])
            i += 1
    return "".join(out)


def _method_body(src: str, name: str, file: str) -> str:
    m = re.search(r"\n  (?:private |public |protected )?(?:async )?\*?" + re.escape(name) + r"\s*\(", src)
    if not m:
        raise ConfigError(f"--prompts-from: {file} has no method {name}(); this SemanticWiki version is not supported")
    nxt = re.search(r"\n  (?:private |public |protected )?(?:async )?\*?[A-Za-z_]\w*\s*\(", src[m.end():])
    return src[m.start(): m.end() + (nxt.start() if nxt else len(src))]


def _template_after(body: str, anchor: str, file: str, what: str, index: int = 0) -> list[tuple[str, str]]:
    hits = [m.end() for m in re.finditer(anchor, body)]
    if len(hits) <= index:
        raise ConfigError(f"--prompts-from: cannot find the {what} prompt in {file} (looked for {anchor!r})")
    return parse_template(body, hits[index])[0]


def _to_placeholders(parts: list[tuple[str, str]], table: dict[str, str], what: str) -> str:
    out: list[str] = []
    for kind, value in parts:
        if kind == "text":
            out.append(value.replace("${", "$${"))
            continue
        key = re.sub(r"\s+", " ", value.strip())
        if key not in table:
            raise ConfigError(f"--prompts-from: the {what} prompt interpolates ${{{key}}}, which wikigym does not know "
                              f"how to fill; this SemanticWiki version is not supported yet")
        out.append("${" + table[key] + "}")
    return "".join(out)


def import_semanticwiki_prompts(root: Path) -> PromptSet:
    """Read SemanticWiki's prompts from the checkout at `root` into a PromptSet (source = the checkout path)."""
    root = root.expanduser().absolute()
    if not root.exists():
        raise ConfigError(f"--prompts-from {root} does not exist; pass a SemanticWiki checkout")
    system_src = _read_source(root, SYSTEM_FILE)
    agent_src = _read_source(root, AGENT_FILE)
    templates: dict[str, str] = {}

    m = re.search(r"WIKI_SYSTEM_PROMPT\s*=\s*`", system_src)
    if not m:
        raise ConfigError(f"--prompts-from: {SYSTEM_FILE} has no WIKI_SYSTEM_PROMPT template")
    templates["system"] = _to_placeholders(parse_template(system_src, m.end() - 1)[0], {}, "system")

    gen = _method_body(agent_src, "buildGenerationPrompt", AGENT_FILE)
    returns = [m.end() - 1 for m in re.finditer(r"return\s*`", gen)]
    if len(returns) != 3:
        raise ConfigError(f"--prompts-from: buildGenerationPrompt in {AGENT_FILE} has {len(returns)} template returns, "
                          f"expected 3 (update, continue, generate)")
    for name, pos in zip(("update", "continue", "generate"), returns):
        templates[name] = _to_placeholders(parse_template(gen, pos)[0], _EXPRESSIONS[name], name)

    loop = _method_body(agent_src, "generateWikiDirectApi", AGENT_FILE)
    templates["verify_continue"] = _to_placeholders(
        _template_after(loop, r"continuationPrompt\s*=\s*(?=`)", AGENT_FILE, "verification"),
        _EXPRESSIONS["verify_continue"], "verification")

    plan = _method_body(agent_src, "analyzeProjectWithLLM", AGENT_FILE)
    templates["plan"] = _to_placeholders(_template_after(plan, r"analysisPrompt\s*=\s*(?=`)", AGENT_FILE, "planner"),
                                         _EXPRESSIONS["plan"], "planner")
    templates["plan_system"] = _system_string(plan, "planner")

    page = _method_body(agent_src, "generateSinglePage", AGENT_FILE)
    templates["page"] = _to_placeholders(_template_after(page, r"const prompt\s*=\s*(?=`)", AGENT_FILE, "page"),
                                         _EXPRESSIONS["page"], "page")
    templates["page_system"] = _to_placeholders(
        _template_after(page, r"const systemPrompt\s*=\s*(?=`)", AGENT_FILE, "page system"), {}, "page system")

    index = _method_body(agent_src, "generateIndexPage", AGENT_FILE)
    templates["index"] = _to_placeholders(_template_after(index, r"const prompt\s*=\s*(?=`)", AGENT_FILE, "index"),
                                          _EXPRESSIONS["index"], "index")
    templates["index_system"] = _system_string(index, "index")
    return PromptSet(templates=templates, source=str(root))


def _system_string(body: str, what: str) -> str:
    m = re.search(r"systemPrompt:\s*(['\"`])", body)
    if not m:
        raise ConfigError(f"--prompts-from: cannot find the {what} system prompt in {AGENT_FILE}")
    if m.group(1) == "`":
        return _to_placeholders(parse_template(body, m.end() - 1)[0], {}, f"{what} system")
    return _parse_quoted(body, m.end() - 1).replace("${", "$${")
