"""write_wiki_page and list_wiki_pages in direct and SDK modes (wikigym/tools/wiki_pages.py)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from wikigym.tools.context import ToolContext
from wikigym.tools.toolset import ToolSet
from wikigym.tools.wiki_pages import node_dirname, node_relative, page_title

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
GEN = "generated: '2026-01-02T03:04:05.678Z'\n"


def tree(base: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(base):
        rel = Path(dirpath).relative_to(base)
        for d in dirnames:
            out[(rel / d).as_posix() + "/"] = ""
        for f in filenames:
            out[(rel / f).as_posix()] = (Path(dirpath) / f).read_text(encoding="utf-8")
    return out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "src").mkdir()
    (tmp_path / "repo" / "src" / "a.ts").write_text("export const a = 1;\n")
    (tmp_path / "wiki").mkdir()
    (tmp_path / "outside").mkdir()
    return tmp_path


def tools(root: Path, mode: str, allow_escape: bool = False) -> ToolSet:
    ctx = ToolContext(repo_root=root / "repo", wiki_root=root / "wiki", now=NOW, allow_escape=allow_escape)
    return ToolSet(ctx, mode)


def full_args(**over):
    args = {"pagePath": "p.md", "title": "T", "content": "body", "description": "d", "sources": ["s"]}
    args.update(over)
    return args


# ----------------------------------------------------------------------------------------------------------
# direct mode


def test_direct_write_exact_bytes_and_overwrite(root: Path) -> None:
    ts = tools(root, "direct")
    res = ts.call("write_wiki_page", full_args(pagePath="architecture/overview.md", title="Architecture: Overview",
                                              description="Multi\nline", sources=[]))
    assert res.text == "Successfully wrote wiki page: architecture/overview.md"
    page = root / "wiki" / "architecture" / "overview.md"
    assert page.read_text() == ("---\ntitle: 'Architecture: Overview'\n" + GEN
                                + "description: |-\n  Multi\n  line\nsources: []\n---\nbody\n")
    ts.call("write_wiki_page", full_args(pagePath="architecture/overview.md", title="Second", content="new\n"))
    assert page.read_text() == "---\ntitle: Second\n" + GEN + "description: d\nsources:\n  - s\n---\nnew\n"


@pytest.mark.parametrize("missing", ["description", "sources", "title"])
def test_direct_missing_optional_field_fails_after_mkdir(root: Path, missing: str) -> None:
    args = full_args(pagePath="newdir/x.md")
    del args[missing]
    res = tools(root, "direct").call("write_wiki_page", args)
    assert res.text == "Error executing write_wiki_page: unacceptable kind of an object to dump [object Undefined]"
    assert tree(root / "wiki") == {"newdir/": ""}


def test_direct_missing_content(root: Path) -> None:
    args = full_args()
    del args["content"]
    res = tools(root, "direct").call("write_wiki_page", args)
    assert res.text == "Error executing write_wiki_page: Cannot read properties of undefined (reading 'content')"
    assert not (root / "wiki" / "p.md").exists()


@pytest.mark.parametrize("page_path,received", [
    (123, "Received type number (123)"), (None, "Received null"), (["a.md"], "Received an instance of Array"),
])
def test_direct_non_string_page_path(root: Path, page_path, received: str) -> None:
    res = tools(root, "direct").call("write_wiki_page", full_args(pagePath=page_path))
    assert res.text == f'Error executing write_wiki_page: The "path" argument must be of type string. {received}'
    assert tree(root / "wiki") == {}


def test_direct_malformed_values_are_dumped_as_js_would(root: Path) -> None:
    ts = tools(root, "direct")
    ts.call("write_wiki_page", full_args(pagePath="num.md", title=123, sources="src/a.ts", description=None))
    assert (root / "wiki" / "num.md").read_text() == (
        "---\ntitle: 123\n" + GEN + "description: null\nsources: src/a.ts\n---\nbody\n")
    ts.call("write_wiki_page", full_args(pagePath="obj.md", title=["a", 1], sources={"k": True}))
    assert (root / "wiki" / "obj.md").read_text() == (
        "---\ntitle:\n  - a\n  - 1\n" + GEN + "description: d\nsources:\n  k: true\n---\nbody\n")


def test_quoting_in_written_page(root: Path) -> None:
    tools(root, "direct").call("write_wiki_page", full_args(
        pagePath="q.md", title="It's \"quoted\" #1: yes", content="", description="yes",
        sources=["on", "null", "123", "- dash", "a: b", "😀"]))
    assert (root / "wiki" / "q.md").read_text() == (
        "---\ntitle: 'It''s \"quoted\" #1: yes'\n" + GEN + "description: 'yes'\nsources:\n  - 'on'\n  - 'null'\n"
        "  - '123'\n  - '- dash'\n  - 'a: b'\n  - \"\\U0001F600\"\n---\n\n")


def test_unicode_page_paths(root: Path) -> None:
    ts = tools(root, "direct")
    res = ts.call("write_wiki_page", full_args(pagePath="composants/ユーザー/é.md", title="Auth — «ユーザー»"))
    assert res.text == "Successfully wrote wiki page: composants/ユーザー/é.md"
    page = root / "wiki" / "composants" / "ユーザー" / "é.md"
    assert page.read_text().startswith("---\ntitle: Auth — «ユーザー»\n")


def test_absolute_page_path_is_rerooted_inside_the_wiki(root: Path) -> None:
    res = tools(root, "direct").call("write_wiki_page", full_args(pagePath="/etc/x.md"))
    assert res.text == "Successfully wrote wiki page: /etc/x.md"
    assert (root / "wiki" / "etc" / "x.md").exists()


# ----------------------------------------------------------------------------------------------------------
# containment


@pytest.fixture
def escape_links(root: Path) -> None:
    (root / "wiki" / "linkdir").symlink_to(root / "outside", target_is_directory=True)
    (root / "outside" / "target.md").write_text("original\n")
    (root / "wiki" / "linkfile.md").symlink_to(root / "outside" / "target.md")


ESCAPES = ["../escape/page.md", "../../x.md", "/../../escape.md", "a/../../escape.md", "linkdir/new.md",
           "linkdir/sub/new.md", "linkfile.md", "nul\x00.md", "dir\x00/x.md", "", "."]


@pytest.mark.parametrize("page_path", ESCAPES)
@pytest.mark.parametrize("mode", ["direct", "sdk"])
def test_escape_attempts_write_nothing(root: Path, escape_links: None, mode: str, page_path: str) -> None:
    before_wiki = tree(root / "wiki")
    before_root = sorted(p.as_posix() for p in root.rglob("*"))
    name = "write_wiki_page" if mode == "direct" else "mcp__semanticwiki__write_wiki_page"
    args = full_args(pagePath=page_path) if mode == "direct" else {"pagePath": page_path, "title": "T",
                                                                   "content": "x"}
    res = tools(root, mode).call(name, args)
    prefix = "Error executing write_wiki_page: " if mode == "direct" else "Failed to write wiki page: "
    assert res.text.startswith(prefix), res.text
    assert tree(root / "wiki") == before_wiki
    assert sorted(p.as_posix() for p in root.rglob("*")) == before_root
    assert (root / "outside" / "target.md").read_text() == "original\n"


def test_root_missing_wiki_dir_cannot_become_a_file(root: Path) -> None:
    ctx = ToolContext(repo_root=root / "repo", wiki_root=root / "nowiki", now=NOW)
    res = ToolSet(ctx, "direct").call("write_wiki_page", full_args(pagePath=""))
    assert res.text.startswith("Error executing write_wiki_page: Access denied")
    assert not (root / "nowiki").exists()


def test_allow_escape_reproduces_semanticwiki(root: Path) -> None:
    res = tools(root, "direct", allow_escape=True).call("write_wiki_page", full_args(pagePath="../escape/page.md"))
    assert res.text == "Successfully wrote wiki page: ../escape/page.md"
    assert (root / "escape" / "page.md").read_text().startswith("---\ntitle: T\n")


def test_allow_escape_nul_byte_is_nodes_error(root: Path) -> None:
    res = tools(root, "direct", allow_escape=True).call("write_wiki_page", full_args(pagePath="a\x00b.md"))
    wiki = root / "wiki"
    assert res.text == ("Error executing write_wiki_page: The argument 'path' must be a string, Uint8Array, or URL "
                        f"without null bytes. Received '{wiki}/a\\x00b.md'")


def test_node_fs_errors_are_reported(root: Path) -> None:
    ts = tools(root, "direct")
    ts.call("write_wiki_page", full_args(pagePath="notes.txt"))
    res = ts.call("write_wiki_page", full_args(pagePath="notes.txt/sub/x.md"))
    assert res.text == (f"Error executing write_wiki_page: ENOTDIR: not a directory, mkdir "
                        f"'{root / 'wiki' / 'notes.txt' / 'sub'}'")
    (root / "wiki" / "adir").mkdir()
    res = ts.call("write_wiki_page", full_args(pagePath="adir"))
    assert res.text == f"Error executing write_wiki_page: EISDIR: illegal operation on a directory, open " \
                       f"'{root / 'wiki' / 'adir'}'"


# ----------------------------------------------------------------------------------------------------------
# SDK mode


def test_sdk_write_frontmatter_order_and_warnings(root: Path) -> None:
    ts = tools(root, "sdk")
    res = ts.call("mcp__semanticwiki__write_wiki_page", {
        "pagePath": "architecture/overview.md", "title": "Overview",
        "content": "No refs. [Dir](./missing/) [Up](../README.md) [Src](../src/a.ts#L1) [Ext](https://x/y)\n",
        "frontmatter": {"sources": ["src/a.ts"], "tags": ["dropped"], "description": "Arch"}})
    assert res.text == ("Successfully wrote wiki page: architecture/overview.md\n\nWarnings:\n"
                        "- Potential broken link: ./missing/\n- Potential broken link: ../src/a.ts#L1\n"
                        "- Page may be missing source code references")
    assert (root / "wiki" / "architecture" / "overview.md").read_text() == (
        "---\ntitle: Overview\n" + GEN + "description: Arch\nsources:\n  - src/a.ts\n---\n"
        "No refs. [Dir](./missing/) [Up](../README.md) [Src](../src/a.ts#L1) [Ext](https://x/y)\n")


def test_sdk_source_link_resolving_into_the_repo_does_not_warn(root: Path) -> None:
    # wiki at <root>/wiki, repo at <root>/repo: ../repo/src/a.ts from the wiki root exists
    res = tools(root, "sdk").call("mcp__semanticwiki__write_wiki_page", {
        "pagePath": "x.md", "title": "X", "content": "**Source:** [a](../repo/src/a.ts#L1)"})
    assert res.text == "Successfully wrote wiki page: x.md"


def test_sdk_exemptions_and_validation(root: Path) -> None:
    ts = tools(root, "sdk")
    assert ts.call("mcp__semanticwiki__write_wiki_page",
                   {"pagePath": "glossary.md", "title": "G", "content": "x"}).text == \
        "Successfully wrote wiki page: glossary.md"
    res = ts.call("mcp__semanticwiki__write_wiki_page", {"pagePath": "a.md", "title": 5, "content": "x"})
    assert res.is_error and "expected string, received number" in res.text
    assert not (root / "wiki" / "a.md").exists()


def test_sdk_embedded_frontmatter(root: Path) -> None:
    tools(root, "sdk").call("mcp__semanticwiki__write_wiki_page", {
        "pagePath": "fm.md", "title": "FM", "content": "---\nfoo: bar\n---\n# Heading\n`src/x`\n",
        "frontmatter": {"sources": ["a.ts"]}})
    assert (root / "wiki" / "fm.md").read_text() == (
        "---\nfoo: bar\ntitle: FM\n" + GEN + "sources:\n  - a.ts\n---\n# Heading\n`src/x`\n")


def test_sdk_write_failure_style(root: Path) -> None:
    res = tools(root, "sdk").call("mcp__semanticwiki__write_wiki_page", {
        "pagePath": "bad.md", "title": "T", "content": "---\na: b: c\n---\n"})
    assert res.text.startswith("Failed to write wiki page: incomplete explicit mapping pair")


# ----------------------------------------------------------------------------------------------------------
# listing


def make_pages(wiki: Path, pages: dict[str, str]) -> None:
    for rel, text in pages.items():
        p = wiki / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


SORTCHECK = {n: (f"# Title of {n}\n" if n.startswith("a") else f"body of {n}\n") for n in [
    "API.md", "api-v2.md", "a_b.md", "Zeta.md", "zeta/index.md", "_private.md", "10-intro.md", "9-intro.md",
    "ｚ-fullwidth.md", "😀-emoji.md", "é-accent.md", "e-plain.md", "B.md", "a.md", "a-b.md", "a.b.md", "a/b.md",
    "readme.md", "Readme.md"]}


def test_direct_list_sorts_by_utf16_and_skips_dot_dirs_and_symlinks(root: Path) -> None:
    wiki = root / "wiki"
    make_pages(wiki, SORTCHECK | {".hidden/x.md": "x", "notes.txt": "x", "x.MD": "x"})
    (wiki / "link.md").symlink_to(wiki / "a.md")
    (wiki / "linkdir").symlink_to(wiki / "zeta", target_is_directory=True)
    out = tools(root, "direct").call("list_wiki_pages", {}).text
    assert out == ("Wiki Pages (19 total):\n- 10-intro.md\n- 9-intro.md\n- API.md\n- B.md\n- Readme.md\n- Zeta.md\n"
                   "- _private.md\n- a-b.md\n- a.b.md\n- a.md\n- a/b.md\n- a_b.md\n- api-v2.md\n- e-plain.md\n"
                   "- readme.md\n- zeta/index.md\n- é-accent.md\n- 😀-emoji.md\n- ｚ-fullwidth.md")


def test_sdk_list_uses_locale_order_and_titles(root: Path) -> None:
    make_pages(root / "wiki", SORTCHECK)
    out = tools(root, "sdk").call("mcp__semanticwiki__list_wiki_pages", {}).text
    assert out.splitlines()[:8] == ["# Wiki Pages (19 total)", "", "- `_private.md` - _private",
                                    "- `😀-emoji.md` - 😀-emoji", "- `10-intro.md` - 10-intro",
                                    "- `9-intro.md` - 9-intro", "- `a_b.md` - Title of a_b.md",
                                    "- `a-b.md` - Title of a-b.md"]
    assert out.endswith("- `ｚ-fullwidth.md` - ｚ-fullwidth\n- `Zeta.md` - Zeta\n- `zeta/index.md` - index\n")


def test_empty_and_missing_wiki_lists(root: Path) -> None:
    assert tools(root, "direct").call("list_wiki_pages", {}).text == "Wiki Pages (0 total):\n"
    ctx = ToolContext(repo_root=root / "repo", wiki_root=root / "none")
    assert ToolSet(ctx, "sdk").call("mcp__semanticwiki__list_wiki_pages", {}).text == "# Wiki Pages (0 total)\n\n"


def test_list_on_a_file_reports_nodes_error(root: Path) -> None:
    (root / "file").write_text("x")
    ctx = ToolContext(repo_root=root / "repo", wiki_root=root / "file")
    assert ToolSet(ctx, "sdk").call("mcp__semanticwiki__list_wiki_pages", {}).text == \
        f"Error listing pages: ENOTDIR: not a directory, scandir '{root / 'file'}'"
    assert ToolSet(ctx, "direct").call("list_wiki_pages", {}).text == \
        f"Error executing list_wiki_pages: ENOTDIR: not a directory, scandir '{root / 'file'}'"


@pytest.mark.parametrize("text,title", [
    ("---\ntitle: Home\n---\n# Home\n", "Home"), ("#  Spaced  \r\nx", "Spaced  "), ("#\n\nNext line", "Next line"),
    ("##  Not h1\n", "p"), ("no heading", "p"), ("text\n# Later\n", "Later"), ("#NoSpace\n", "p"),
    ("x\r# CR line\n", "CR line"), ("#\u00a0nbsp\n", "nbsp"),
])
def test_page_title_js_regex(text: str, title: str) -> None:
    assert page_title(text, "/w/p.md") == title


def test_node_path_helpers() -> None:
    assert node_dirname("/w/dir/") == "/w" and node_dirname("a") == "." and node_dirname("/a") == "/"
    assert node_relative("/a/b/", "/x.md") == "../../x.md" and node_relative("/a/b", "/a/b/c/d.md") == "c/d.md"
