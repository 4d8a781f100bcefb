"""SemanticWiki's `write_wiki_page` and `list_wiki_pages`, direct mode and SDK mode, byte for byte.

Direct mode (`executeDirectApiTool` in src/wiki-agent.ts): `path.join(outputDir, pagePath)`, `mkdir -p` of its
parent, `matter.stringify(content, {title, generated, description, sources})`, `writeFileSync`, and
`Successfully wrote wiki page: <pagePath>`. Nothing is validated: a missing `description` or `sources` reaches
js-yaml as `undefined` (the page is not written but the directory already exists), a missing `content` fails in
gray-matter, a non-string `pagePath` fails in `path.join`; the dispatcher wraps those as `Error executing ...`.
`list_wiki_pages` lists every `*.md` (dot-directories skipped, symlinks ignored) sorted by UTF-16 code units.

SDK mode (the in-process MCP server; zod has validated the arguments): front matter `{title, generated,
...frontmatter}`, the same write, then warnings `Potential broken link: <link>` (a `./` or `../` link whose target,
resolved from the page's directory, does not exist and does not end in `.md`) and `Page may be missing source code
references`; failures come back as `Failed to write wiki page: <message>`. `list_wiki_pages` shows each page's
first `# ` heading (else its basename) and sorts with `localeCompare` (ICU collation, see `collation.py`).

Containment (wikigym's addition): unless `ctx.allow_escape`, a `pagePath` that leaves the wiki directory (`..`,
an absolute path whose re-rooted join still escapes, a symlinked directory or file pointing outside, a NUL byte)
writes nothing, creates no directory and returns an error in the tool's own style. With `allow_escape` the
uncontained join is reproduced exactly (conformance tests only).

What it does not do: link checking across the whole wiki (see `completeness.py`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from wikigym.tools import node_fs
from wikigym.tools.collation import locale_sort, utf16_sort
from wikigym.tools.context import NodeError, ToolContext
from wikigym.tools.frontmatter import GrayMatterFile, matter_stringify
from wikigym.tools.node_fs import MISSING, require_string
from wikigym.tools.paths import has_nul, is_within, node_join, node_normalize, node_resolve
from wikigym.tools.search.jsstr import JS_S_CLASS

# ctx.extra key of gray-matter's per-process parse cache (one SemanticWiki process = one ToolContext).
MATTER_CACHE_KEY = "gray_matter_cache"
SDK_FRONTMATTER_KEYS = ("description", "related", "sources")  # zod's shape order for `frontmatter`

_LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_JS_LINE_BREAKS = "\n\r\u2028\u2029"
# JavaScript's /^#\s+(.+)$/m: `^`/`$` at any line terminator, `.` excludes them, `\s` is JavaScript's set.
_H1_RE = re.compile("(?:\\A|(?<=[\n\r\u2028\u2029]))#[" + JS_S_CLASS + "]+([^\n\r\u2028\u2029]+)"
                    "(?=[\n\r\u2028\u2029]|\\Z)")


# ---------------------------------------------------------------------------------------------------------------
# Node path helpers this module needs beyond paths.py.


def node_dirname(p: str) -> str:
    """Node's `path.posix.dirname` (trailing slashes ignored; '.' for a bare name, '/' for the root)."""
    if p == "":
        return "."
    stripped = p.rstrip("/")
    if stripped == "":
        return "/"
    i = stripped.rfind("/")
    if i == -1:
        return "."
    head = stripped[:i].rstrip("/")
    return head if head else "/"


def node_relative(from_path: str, to_path: str) -> str:
    """Node's `path.posix.relative` (both sides resolved against the process cwd first)."""
    cwd = os.getcwd()
    a = [s for s in node_resolve(cwd, from_path).split("/") if s]
    b = [s for s in node_resolve(cwd, to_path).split("/") if s]
    common = 0
    while common < len(a) and common < len(b) and a[common] == b[common]:
        common += 1
    return "/".join([".."] * (len(a) - common) + b[common:])


def node_basename_md(p: str) -> str:
    """Node's `path.basename(p, '.md')`."""
    base = p.rstrip("/").rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".md") and base != ".md" else base


def _nul_message(p: str) -> str:
    shown = p.replace("\\", "\\\\").replace("\n", "\\n").replace("\x00", "\\x00")
    quoted = f"'{shown}'" if "'" not in shown else (f'"{shown}"' if '"' not in shown else f"`{shown}`")
    return f"The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received {quoted}"


# ---------------------------------------------------------------------------------------------------------------
# Writing.


def wiki_target(ctx: ToolContext, page_path: Any) -> tuple[str, bool]:
    """`path.join(outputDir, pagePath)` and whether the write may happen.

    Raises NodeError with Node's TypeError text when `page_path` is not a string (both modes, as `path.join`).
    The second value is False when containment refuses the path (never with `allow_escape`).
    """
    full = node_join(str(ctx.wiki_root), require_string(page_path))
    if ctx.allow_escape:
        return full, True
    if has_nul(page_path):
        return full, False
    root = node_normalize(str(ctx.wiki_root)).rstrip("/") or "/"
    if full.rstrip("/") == root:
        # The wiki directory itself: only harmless when it exists as a directory (the write then fails, EISDIR).
        return full, os.path.isdir(root) and not os.path.islink(root)
    return full, is_within(ctx.wiki_root, full)


def refusal_message(page_path: str) -> str:
    """What a contained write answers for a path outside the wiki (in the tool's error wrapper)."""
    shown = page_path.replace("\x00", "\\x00")
    if has_nul(page_path):
        return f"Invalid page path (contains a NUL byte): {shown}"
    return f"Access denied - path outside the wiki directory: {shown}"


def _mkdir_parent(full: str) -> str:
    """`if (!fs.existsSync(dir)) fs.mkdirSync(dir, {recursive: true})`; returns the directory."""
    directory = node_dirname(full)
    if node_fs.exists(directory):
        return directory
    if has_nul(directory):
        raise NodeError(_nul_message(directory), "ERR_INVALID_ARG_VALUE")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as e:
        raise node_fs.node_error(e, "mkdir", directory) from None
    return directory


def _write_file(full: str, text: str) -> None:
    """`fs.writeFileSync(full, text, 'utf-8')` (lone surrogates become U+FFFD, as Buffer.from does)."""
    if has_nul(full):
        raise NodeError(_nul_message(full), "ERR_INVALID_ARG_VALUE")
    node_fs.write_bytes(full, node_fs.js_utf8(text), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)


def _matter_cache(ctx: ToolContext) -> dict[str, GrayMatterFile]:
    return ctx.extra.setdefault(MATTER_CACHE_KEY, {})


def direct_write_wiki_page(ctx: ToolContext, args: dict) -> str:
    """Direct-mode `write_wiki_page {pagePath, title, content, description?, sources?}`.

    Raises NodeError (the dispatcher prints `Error executing write_wiki_page: <message>`).
    """
    page_path = args.get("pagePath", MISSING)
    full, allowed = wiki_target(ctx, page_path)
    if not allowed:
        raise NodeError(refusal_message(page_path), "EACCES")
    _mkdir_parent(full)
    data = {
        "title": args.get("title", MISSING),
        "generated": ctx.now_iso(),
        "description": args.get("description", MISSING),
        "sources": args.get("sources", MISSING),
    }
    text = matter_stringify(args.get("content", MISSING), data, _matter_cache(ctx))
    _write_file(full, text)
    return f"Successfully wrote wiki page: {page_path}"


def sdk_warnings(page_dir: str, page_path: str, content: str) -> list[str]:
    """The SDK tool's post-write checks: unresolvable relative non-`.md` links, and missing source references."""
    warnings = []
    for m in _LINK_RE.finditer(content):
        link = m.group(2)
        if link.startswith("./") or link.startswith("../"):
            resolved = node_resolve(page_dir, link.split("#")[0])
            if not node_fs.exists(resolved) and not resolved.endswith(".md"):
                warnings.append(f"Potential broken link: {link}")
    has_refs = "**Source:**" in content or "`src/" in content or "`lib/" in content
    if not has_refs and page_path not in ("README.md", "glossary.md"):
        warnings.append("Page may be missing source code references")
    return warnings


def sdk_write_wiki_page(ctx: ToolContext, args: dict) -> str:
    """SDK-mode `write_wiki_page {pagePath, title, content, frontmatter?: {description?, related?, sources?}}`."""
    try:
        page_path = args["pagePath"]
        full, allowed = wiki_target(ctx, page_path)
        if not allowed:
            raise NodeError(refusal_message(page_path), "EACCES")
        page_dir = _mkdir_parent(full)
        data: dict[str, Any] = {"title": args["title"], "generated": ctx.now_iso()}
        fm = args.get("frontmatter")
        if isinstance(fm, dict):
            for key in SDK_FRONTMATTER_KEYS:
                if key in fm:
                    data[key] = fm[key]
        text = matter_stringify(args["content"], data, _matter_cache(ctx))
        _write_file(full, text)
        warnings = sdk_warnings(page_dir, page_path, args["content"])
    except NodeError as e:
        return f"Failed to write wiki page: {e.message}"
    response = f"Successfully wrote wiki page: {page_path}"
    if warnings:
        response += "\n\nWarnings:\n" + "\n".join(f"- {w}" for w in warnings)
    return response


# ---------------------------------------------------------------------------------------------------------------
# Listing.


def find_wiki_files(directory: str) -> list[str]:
    """SemanticWiki's `findAllWikiFiles`: every `*.md` regular file, depth first in readdir (byte) order.

    Directories whose name starts with '.' are skipped; symlinks are neither followed nor listed (Dirent types).
    Returns joined paths (`path.join(dir, name)`); raises NodeError if a directory cannot be read.
    """
    if not node_fs.exists(directory):
        return []
    files: list[str] = []
    for entry in node_fs.readdir(directory):
        full = node_join(directory, entry.name)
        if entry.is_dir and not entry.name.startswith("."):
            files.extend(find_wiki_files(full))
        elif entry.is_file and entry.name.endswith(".md"):
            files.append(full)
    return files


def wiki_relative(wiki_dir: str, file: str) -> str:
    """`path.relative(wikiDir, file).replace(/\\\\/g, '/')`."""
    return node_relative(wiki_dir, file).replace("\\", "/")


def direct_list_wiki_pages(ctx: ToolContext, args: dict) -> str:
    """Direct-mode `list_wiki_pages {}`: `Wiki Pages (N total):` and `- path` lines in UTF-16 order."""
    out_dir = str(ctx.wiki_root)
    pages = [wiki_relative(out_dir, f) for f in find_wiki_files(out_dir)]
    return f"Wiki Pages ({len(pages)} total):\n" + "\n".join(f"- {p}" for p in utf16_sort(pages))


def page_title(text: str, file: str) -> str:
    """The first `# ` heading of a page (JavaScript's `/^#\\s+(.+)$/m`), else its basename without `.md`."""
    m = _H1_RE.search(text)
    return m.group(1) if m else node_basename_md(file)


def sdk_list_wiki_pages(ctx: ToolContext, args: dict) -> str:
    """SDK-mode `list_wiki_pages {}`: `# Wiki Pages (N total)` and `` - `path` - title`` lines, ICU order."""
    out_dir = str(ctx.wiki_root)
    try:
        pages = []
        for f in find_wiki_files(out_dir):
            rel = wiki_relative(out_dir, f)
            pages.append((rel, page_title(node_fs.read_text(f), f)))
    except NodeError as e:
        return f"Error listing pages: {e.message}"
    titles: dict[str, list[str]] = {}
    for rel, title in pages:
        titles.setdefault(rel, []).append(title)
    response = f"# Wiki Pages ({len(pages)} total)\n\n"
    for rel in locale_sort([rel for rel, _ in pages]):
        response += f"- `{rel}` - {titles[rel].pop(0)}\n"
    return response


__all__ = [
    "direct_list_wiki_pages", "direct_write_wiki_page", "find_wiki_files", "node_dirname", "node_relative",
    "page_title", "sdk_list_wiki_pages", "sdk_warnings", "sdk_write_wiki_page", "wiki_relative",
    "wiki_target",
]
