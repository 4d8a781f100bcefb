"""SemanticWiki's wiki completeness check: the library result, the direct-mode tool and the SDK tool's older variant.

`verify_completeness(wiki_root)` returns exactly what `semanticwiki verify --json` prints (`verifyWikiCompleteness`
in src/wiki-agent.ts), which the direct tool loop, the `continue` loop and the direct-mode
`verify_wiki_completeness` tool all use:
- every `*.md` file under the wiki (dot-directories skipped, symlinks ignored), read as UTF-8;
- links `[text](target)` (text without `]`, target without `)`, across newlines and inside code fences too), then
  wiki links `[[Page]]` / `[[path|Label]]` (target trimmed, `.md` appended unless present);
- skipped: `http://`, `https://`, `#...`, `mailto:`, anything containing `github.com`, and source links (`.ts`,
  `.py`, `.cbl`... followed by `:`, `L`/`l` or `#`, case-insensitive);
- checked: targets ending in `.md` or containing `.md#`; the anchor is dropped, the path resolved from the linking
  page's directory; targets outside the wiki are skipped; a target is broken when no scanned page has that path;
- broken links are deduplicated by resolved target (first occurrence kept, with the target as written).

The SDK server's `verify_wiki_completeness` is an older copy: markdown links only, no `mailto:`/COBOL/outside-wiki
skips, case-sensitive source extensions, existence checked on the filesystem (any file or directory), no dedupe,
and a report grouped by the target as written.

What it does not do: judge link quality beyond existence (see `wikigym.verifier`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from wikigym.tools import node_fs
from wikigym.tools.context import NodeError, ToolContext
from wikigym.tools.frontmatter import js_trim
from wikigym.tools.paths import node_resolve
from wikigym.tools.wiki_pages import find_wiki_files, node_dirname, node_relative, wiki_relative

_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_WIKI_LINK = re.compile(r"\[\[([^\]|]+)(?:\|[^\]]+)?\]\]")
# re.ASCII: JavaScript's /i without the u flag never folds a non-ASCII character onto an ASCII one.
_SOURCE_LINK = re.compile(r"\.(ts|js|py|go|rs|java|tsx|jsx|cbl|cob|cpy|jcl)[:L#]", re.IGNORECASE | re.ASCII)
_SOURCE_LINK_SDK = re.compile(r"\.(ts|js|py|go|rs|java|tsx|jsx)[:L#]")


def _cwd_resolve(p: str) -> str:
    """`path.resolve(p)`."""
    return node_resolve(os.getcwd(), p)


def verify_completeness(wiki_root: Path | str) -> dict[str, Any]:
    """Broken internal links and missing pages of a wiki, as `semanticwiki verify --json` prints them.

    Args:
        wiki_root: the wiki directory (relative paths resolve against the current directory, as in Node).

    Returns:
        `{"totalPages": int, "brokenLinks": [{"source", "target", "linkText", "resolvedTarget"}],
        "missingPages": [str], "isComplete": bool}` with SemanticWiki's key order and list orders.
        A missing directory gives an empty, complete result. Raises NodeError if a page cannot be read.

    Example:
        >>> verify_completeness("/nonexistent-wiki")
        {'totalPages': 0, 'brokenLinks': [], 'missingPages': [], 'isComplete': True}
    """
    wiki_dir = str(wiki_root)
    files = find_wiki_files(wiki_dir)
    absolute_wiki_dir = _cwd_resolve(wiki_dir)
    existing_absolute = {_cwd_resolve(f) for f in files}
    existing_relative = list(dict.fromkeys(wiki_relative(wiki_dir, f) for f in files))
    existing_relative_set = set(existing_relative)
    broken: list[dict[str, str]] = []
    referenced: dict[str, None] = {}
    seen_broken: set[str] = set()

    for file in files:
        content = node_fs.read_text(file)
        source = wiki_relative(wiki_dir, file)
        file_dir = node_dirname(file)

        def process(link_text: str, link_path: str) -> None:
            if (link_path.startswith(("http://", "https://", "#", "mailto:")) or "github.com" in link_path
                    or _SOURCE_LINK.search(link_path)):
                return
            if not (link_path.endswith(".md") or ".md#" in link_path):
                return
            clean = link_path.split("#")[0]
            resolved = node_resolve(_cwd_resolve(file_dir), clean)
            relative = node_relative(absolute_wiki_dir, resolved).replace("\\", "/")
            if relative.startswith(".."):
                return
            referenced[relative] = None
            if resolved not in existing_absolute and relative not in seen_broken:
                seen_broken.add(relative)
                broken.append({"source": source, "target": clean, "linkText": link_text,
                               "resolvedTarget": relative})

        for m in _MD_LINK.finditer(content):
            process(m.group(1), m.group(2))
        for m in _WIKI_LINK.finditer(content):
            target = js_trim(m.group(1))
            process(target, target if target.endswith(".md") else target + ".md")

    return {
        "totalPages": len(existing_relative),
        "brokenLinks": broken,
        "missingPages": [p for p in referenced if p not in existing_relative_set],
        "isComplete": not broken,
    }


def direct_verify_wiki_completeness(ctx: ToolContext, args: dict) -> str:
    """Direct-mode `verify_wiki_completeness {}`: counts, then `✅ ...` or `- target (referenced from p)` lines."""
    result = verify_completeness(str(ctx.wiki_root))
    response = "# Wiki Completeness Report\n\n"
    response += f"Total pages: {result['totalPages']}\n"
    response += f"Missing pages: {len(result['missingPages'])}\n"
    response += f"Broken links: {len(result['brokenLinks'])}\n\n"
    if result["isComplete"]:
        response += "✅ All internal links are valid! The wiki is complete."
    else:
        response += "❌ Missing Pages (MUST CREATE):\n\n"
        for link in result["brokenLinks"]:
            response += f"- {link['target']} (referenced from {link['source']})\n"
    return response


def sdk_verify_report(wiki_dir: str) -> str:
    """The SDK server's older verifier report for `wiki_dir` (raises NodeError on unreadable files)."""
    files = find_wiki_files(wiki_dir)
    existing = list(dict.fromkeys(wiki_relative(wiki_dir, f) for f in files))
    existing_set = set(existing)
    broken: list[tuple[str, str, str]] = []  # (source page, target as written, link text)
    referenced: dict[str, None] = {}
    for file in files:
        content = node_fs.read_text(file)
        source = wiki_relative(wiki_dir, file)
        file_dir = node_dirname(file)
        for m in _MD_LINK.finditer(content):
            text, link = m.group(1), m.group(2)
            if (link.startswith(("http://", "https://", "#")) or "github.com" in link
                    or _SOURCE_LINK_SDK.search(link)):
                continue
            if link.endswith(".md") or ".md#" in link:
                clean = link.split("#")[0]
                resolved = node_resolve(_cwd_resolve(file_dir), clean)
                referenced[node_relative(wiki_dir, resolved).replace("\\", "/")] = None
                if not node_fs.exists(resolved):
                    broken.append((source, clean, text))
    missing = [p for p in referenced if p not in existing_set]

    response = "# Wiki Completeness Report\n\n"
    response += f"**Total pages:** {len(existing)}\n"
    response += f"**Referenced pages:** {len(referenced)}\n"
    response += f"**Missing pages:** {len(missing)}\n"
    response += f"**Broken links:** {len(broken)}\n\n"
    if not broken:
        return response + "✅ **All internal links are valid!** The wiki is complete.\n"
    response += "## ❌ Missing Pages (MUST CREATE)\n\n"
    response += "The following pages are referenced but do not exist. You MUST create these pages:\n\n"
    by_target: dict[str, list[tuple[str, str]]] = {}
    for src, target, text in broken:
        by_target.setdefault(target, []).append((src, text))
    for target, refs in by_target.items():
        response += f"### {target}\nReferenced by:\n"
        for src, text in refs:
            response += f'- `{src}` (link text: "{text}")\n'
        response += "\n"
    response += "\n## Action Required\n\n"
    response += "Use `mcp__semanticwiki__write_wiki_page` to create each missing page above.\n"
    response += "After creating all pages, run `mcp__semanticwiki__verify_wiki_completeness` again to confirm.\n"
    return response


def sdk_verify_wiki_completeness(ctx: ToolContext, args: dict) -> str:
    """SDK-mode `verify_wiki_completeness {fixBrokenLinks?}` (the flag is accepted and ignored, as in SemanticWiki)."""
    try:
        return sdk_verify_report(str(ctx.wiki_root))
    except NodeError as e:
        return f"Verification error: {e.message}"
