"""Node value and fs semantics: number formatting, ToNumber, truthiness, extname, readdir order, realpath."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from wikigym.tools.context import NodeError
from wikigym.tools.node_fs import (
    MISSING,
    extname,
    js_number_to_string,
    js_string,
    js_to_number,
    js_truthy,
    readdir,
    realpath,
    received_text,
)


@pytest.mark.parametrize("x, s", [(42, "42"), (1e21, "1e+21"), (1e-7, "1e-7"), (1e16, "10000000000000000"),
                                  (0.000001, "0.000001"), (-1.5, "-1.5"), (2**53 + 1, "9007199254740992"),
                                  (12345678901234567890, "12345678901234567000"), (0.1 + 0.2, "0.30000000000000004")])
def test_number_to_string(x: float, s: str) -> None:
    assert js_number_to_string(x) == s


def test_values() -> None:
    assert js_string(MISSING) == "undefined" and js_string(None) == "null" and js_string([1, [2, None]]) == "1,2,"
    assert js_to_number(" 12 ") == 12 and js_to_number("0x1f") == 31 and math.isnan(js_to_number("1_0"))
    assert js_to_number("") == 0 and js_to_number([]) == 0 and math.isnan(js_to_number({}))
    assert not js_truthy(0) and not js_truthy("") and js_truthy([]) and js_truthy({}) and not js_truthy(MISSING)
    assert received_text("a" * 40) == "Received type string ('" + "a" * 25 + "...')"


@pytest.mark.parametrize("p, ext", [("a/b.ts", ".ts"), (".env", ""), ("..", ""), ("a.", "."), ("a.b/", ".b"),
                                    ("x/y.tar.gz", ".gz"), ("...", ".")])
def test_extname(p: str, ext: str) -> None:
    assert extname(p) == ext


def test_readdir_and_realpath(tmp_path: Path) -> None:
    for n in ("b", "A", "é", "_"):
        (tmp_path / n).write_text("")
    os.symlink("b", tmp_path / "c")
    entries = readdir(str(tmp_path))
    assert [e.name for e in entries] == ["A", "_", "b", "c", "é"]
    assert [e.is_symlink for e in entries] == [False, False, False, True, False]
    assert realpath(str(tmp_path / "c")) == os.path.realpath(tmp_path / "b")
    with pytest.raises(NodeError) as err:
        realpath(str(tmp_path / "b" / "x"))
    assert err.value.message == f"ENOTDIR: not a directory, realpath '{tmp_path}/b/x'"
    with pytest.raises(NodeError) as err:
        readdir(str(tmp_path / "missing"))
    assert err.value.message == f"ENOENT: no such file or directory, scandir '{tmp_path}/missing'"


def test_node_stdout_text_replaces_lone_surrogates() -> None:
    """What `process.stdout.write` prints for a JS string (checked with Node 20): pairs joined, halves as U+FFFD."""
    from wikigym.tools.node_fs import node_stdout_text

    assert node_stdout_text("a\ud83db") == "a\ufffdb"
    assert node_stdout_text("\ud83d\ude00 ok") == "😀 ok"
    assert node_stdout_text("plain 日本") == "plain 日本"


def test_cli_call_prints_a_cut_emoji_as_node_does(tmp_path) -> None:
    """A search result whose documentation is cut inside an emoji must print (it used to raise UnicodeEncodeError)."""
    from typer.testing import CliRunner

    from wikigym.cli import app

    doc = "/**\n * " + "a" * (299 - len("/**\n * ")) + "😀 tail\n */"
    pad = "  x = x + 1; // padding line for chunk size\n" * 20
    src = (doc + "\nexport function surrogateCut(x: number): number {\n" + pad + "  return x;\n}\n"
           + "\n/** other */\nexport function otherFn(x: number): number {\n" + pad + "  return x;\n}\n")
    (tmp_path / "repo" / "src").mkdir(parents=True)
    (tmp_path / "repo" / "src" / "s.ts").write_text(src, encoding="utf-8")
    res = CliRunner().invoke(app, ["call", "search_codebase", '{"query": "surrogateCut"}', "--repo",
                                   str(tmp_path / "repo"), "--wiki", str(tmp_path / "wiki")])
    assert res.exit_code == 0, res.output
    assert "a" * 20 + "\ufffd...\n```" in res.output


def test_cli_call_resolves_roots_like_path_resolve(tmp_path) -> None:
    """SemanticWiki resolves -r/-o with path.resolve (lexically), so `missing/../wiki` names `wiki` even though
    `missing` does not exist; error texts then carry the normalised path."""
    from wikigym.commands.call import run_call

    (tmp_path / "repo").mkdir()
    (tmp_path / "wiki" / "dir").mkdir(parents=True)
    text, _ = run_call("write_wiki_page", '{"pagePath": "dir", "title": "T", "content": "c", "description": "d", '
                       '"sources": []}', tmp_path / "nope" / ".." / "repo", tmp_path / "missing" / ".." / "wiki",
                       "direct", "semanticwiki-1.2.1", None, False)
    assert text == f"Error executing write_wiki_page: EISDIR: illegal operation on a directory, open '{tmp_path}/wiki/dir'"


def test_tool_context_roots_are_absolute(tmp_path, monkeypatch) -> None:
    """A relative wiki root must not leak into Node-style messages: SemanticWiki's outputDir is path.resolve'd."""
    from wikigym.tools.context import ToolContext
    from wikigym.tools.toolset import ToolSet

    (tmp_path / "repo").mkdir()
    (tmp_path / "wiki" / "dir").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    ctx = ToolContext(repo_root="repo", wiki_root="x/../wiki")
    out = ToolSet(ctx, "sdk").call("mcp__semanticwiki__write_wiki_page", {"pagePath": "dir", "title": "T", "content": "c"})
    assert out.text == f"Failed to write wiki page: EISDIR: illegal operation on a directory, open '{tmp_path}/wiki/dir'"
