"""The filesystem MCP server: behaviours checked against @modelcontextprotocol/server-filesystem 2025.12.18."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.tools.test_files import make_repo
from wikigym.tools.context import ToolContext, ToolResult
from wikigym.tools.fs_server import format_size, node_relative
from wikigym.tools.toolset import ToolSet


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def fs(repo: Path, name: str, args: object, cwd: Path | None = None) -> ToolResult:
    ctx = ToolContext(repo_root=repo, wiki_root=repo.parent / "wiki", server_cwd=cwd)
    return ToolSet(ctx, "fs-mcp").call(name, args)


def test_relative_paths_resolve_against_server_cwd(repo: Path) -> None:
    res = fs(repo, "read_text_file", {"path": "a.ts"}, cwd=repo / "src")
    assert res.text == "export function a() {}\n" and not res.is_error
    assert fs(repo, "list_allowed_directories", {}).text == f"Allowed directories:\n{repo}"
    res = fs(repo, "read_file", {"path": "nodir/x.txt"})
    assert res.is_error and res.text == f"Parent directory does not exist: {repo}/nodir"
    res = fs(repo, "read_file", {"path": "/"})
    assert res.text == f"Access denied - path outside allowed directories: / not in {repo}"


def test_argument_errors_and_unknown_tool(repo: Path) -> None:
    prefix = "MCP error -32602: Input validation error: Invalid arguments for tool"
    assert fs(repo, "read_text_file", {}).text == \
        f"{prefix} read_text_file: Invalid input: expected string, received undefined at path"
    assert fs(repo, "read_multiple_files", {"paths": []}).text == \
        f"{prefix} read_multiple_files: Too small: expected array to have >=1 items at paths"
    assert fs(repo, "edit_file", {"path": "x", "edits": [{"oldText": 1}]}).text == (
        f"{prefix} edit_file: Invalid input: expected string, received number at edits[0].oldText\n"
        "Invalid input: expected string, received undefined at edits[0].newText")
    assert fs(repo, "list_directory_with_sizes", {"path": ".", "sortBy": "x"}).text == \
        f'{prefix} list_directory_with_sizes: Invalid option: expected one of "name"|"size" at sortBy'
    res = fs(repo, "delete_everything", {})
    assert res.is_error and res.text == "MCP error -32602: Tool delete_everything not found"


def test_head_and_tail_decode_each_1kb_chunk(repo: Path) -> None:
    (repo / "edge.txt").write_bytes(b"a" * 1023 + "é".encode() + b"\nb\n")
    assert fs(repo, "read_text_file", {"path": "edge.txt", "head": 1}).text == "a" * 1023 + "\ufffd\ufffd"
    assert fs(repo, "read_text_file", {"path": "edge.txt"}).text == "a" * 1023 + "é\nb\n"
    (repo / "crlf.txt").write_bytes(b"x\r\ny\r\nz")
    assert fs(repo, "read_text_file", {"path": "crlf.txt", "tail": 2}).text == "y\nz"
    assert fs(repo, "read_text_file", {"path": "crlf.txt", "head": 2}).text == "x\r\ny\r"
    (repo / "nl.txt").write_text("1\n2\n")
    assert fs(repo, "read_text_file", {"path": "nl.txt", "tail": 1}).text == ""  # the final '' counts as a line
    res = fs(repo, "read_text_file", {"path": "nl.txt", "head": 1, "tail": 1})
    assert res.is_error and res.text == "Cannot specify both head and tail parameters simultaneously"
    res = fs(repo, "read_text_file", {"path": "gone.txt", "tail": 1})
    assert res.text == f"ENOENT: no such file or directory, stat '{repo}/gone.txt'"


def test_read_multiple_files(repo: Path) -> None:
    res = fs(repo, "read_multiple_files", {"paths": ["README.md", "src", "../outside/secret.txt"]})
    outside = repo.parent / "outside" / "secret.txt"
    assert res.text == ("README.md:\n# Repo\n\n\n---\nsrc: Error - EISDIR: illegal operation on a directory, read\n"
                        f"---\n../outside/secret.txt: Error - Access denied - path outside allowed directories: "
                        f"{outside} not in {repo}")


def test_directory_tree_excludes_with_minimatch(repo: Path) -> None:
    res = fs(repo, "directory_tree", {"path": "src", "excludePatterns": ["*.py"]})
    assert res.text == ('[\n  {\n    "name": "a.ts",\n    "type": "file"\n  },\n  {\n    "name": "sub",\n'
                        '    "type": "directory",\n    "children": [\n      {\n        "name": "b.py",\n'
                        '        "type": "file"\n      }\n    ]\n  }\n]')
    res = fs(repo, "directory_tree", {"path": ".", "excludePatterns": ["node_modules", "sub", ".*", "link*"]})
    names = re.findall(r'"name": "([^"]+)"', res.text)
    assert names == ["README.md", "secret-link", "src", "a.ts"]


def test_search_files(repo: Path) -> None:
    assert fs(repo, "search_files", {"path": ".", "pattern": "**/*.py"}).text == f"{repo}/src/sub/b.py"
    assert fs(repo, "search_files", {"path": ".", "pattern": "*.ts"}).text == "No matches found"
    res = fs(repo, "search_files", {"path": ".", "pattern": "**/*", "excludePatterns": ["node_modules/**", "src/**"]})
    assert res.text.split("\n") == [f"{repo}/{n}" for n in (".hidden", "README.md", "link-in", "node_modules", "src")]


def test_edit_file_diff_and_write(repo: Path) -> None:
    f = repo / "f.txt"
    f.write_text("one\ntwo\nthree\n")
    res = fs(repo, "edit_file", {"path": "f.txt", "edits": [{"oldText": "two", "newText": "TWO"}], "dryRun": True})
    assert res.text == (f"```diff\nIndex: {f}\n{'=' * 67}\n--- {f}\toriginal\n+++ {f}\tmodified\n"
                        "@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n```\n\n")
    assert f.read_text() == "one\ntwo\nthree\n"
    fs(repo, "edit_file", {"path": "f.txt", "edits": [{"oldText": "  three  ", "newText": "3 $& $$"}]})
    assert f.read_text() == "one\ntwo\n3 $& $$\n"  # whitespace-tolerant line match, no `$` substitution there
    fs(repo, "edit_file", {"path": "f.txt", "edits": [{"oldText": "two", "newText": "[$&]"}]})
    assert f.read_text() == "one\n[two]\n3 $& $$\n"  # exact match uses String.replace: `$&` is the match
    res = fs(repo, "edit_file", {"path": "f.txt", "edits": [{"oldText": "zzz", "newText": "y"}]})
    assert res.is_error and res.text == "Could not find exact match for edit:\nzzz"


def test_write_create_move_and_info(repo: Path) -> None:
    assert fs(repo, "write_file", {"path": "n.txt", "content": "x"}).text == "Successfully wrote to n.txt"
    assert fs(repo, "write_file", {"path": "n.txt", "content": "y\ud800"}).text == "Successfully wrote to n.txt"
    assert (repo / "n.txt").read_text() == "y\ufffd"
    assert fs(repo, "create_directory", {"path": "d"}).text == "Successfully created directory d"
    res = fs(repo, "create_directory", {"path": "README.md"})
    assert res.is_error and res.text == f"EEXIST: file already exists, mkdir '{repo}/README.md'"
    assert fs(repo, "move_file", {"source": "n.txt", "destination": "d/n.txt"}).text == \
        "Successfully moved n.txt to d/n.txt"
    res = fs(repo, "move_file", {"source": "n.txt", "destination": "d/m.txt"})
    assert res.text == f"ENOENT: no such file or directory, rename '{repo}/n.txt' -> '{repo}/d/m.txt'"
    info = fs(repo, "get_file_info", {"path": "d/n.txt"}).text.split("\n")
    assert [line.split(":")[0] for line in info] == ["size", "created", "modified", "accessed", "isDirectory",
                                                     "isFile", "permissions"]
    assert info[0] == "size: 4" and info[4] == "isDirectory: false" and info[5] == "isFile: true"
    assert re.fullmatch(r"modified: \w{3} \w{3} \d\d \d{4} \d\d:\d\d:\d\d GMT[+-]\d{4} \(.+\)", info[2])


def test_list_directory_with_sizes(repo: Path) -> None:
    d = repo / "sized"
    (d / "sub").mkdir(parents=True)
    (d / "b.txt").write_bytes(b"x" * 2000)
    (d / "A.txt").write_bytes(b"hello")
    out = fs(repo, "list_directory_with_sizes", {"path": "sized"}).text
    assert out.split("\n") == [
        "[FILE] A.txt" + " " * 25 + " " + "       5 B",
        "[FILE] b.txt" + " " * 25 + " " + "   1.95 KB",
        "[DIR] sub" + " " * 27 + " ",
        "", "Total: 2 files, 1 directories", "Combined size: 1.96 KB"]
    (d / "b.txt").write_bytes(b"x" * 200_000)
    by_size = fs(repo, "list_directory_with_sizes", {"path": "sized", "sortBy": "size"}).text
    # Descending stat sizes; a directory sorts by its own stat size (4096 on ext4, less on tmpfs).
    assert [line.split()[1] for line in by_size.split("\n")[:3]] == ["b.txt", "sub", "A.txt"]


def test_read_media_file(repo: Path) -> None:
    (repo / "p.png").write_bytes(b"\x89PNG")
    assert fs(repo, "read_media_file", {"path": "p.png"}) == ToolResult("", False)
    res = fs(repo, "read_media_file", {"path": "README.md"})
    assert res.is_error and res.text.startswith("MCP error -32602: MCP error -32602: Invalid tools/call result: [")


def test_helpers_match_javascript() -> None:
    assert format_size(0) == "0 B" and format_size(1023) == "1023 B" and format_size(1024) == "1.00 KB"
    assert format_size(1152) == "1.13 KB"  # toFixed rounds the exact tie 1.125 up
    assert format_size(1024 ** 3) == "1.00 GB"
    assert node_relative("/r", "src", "src/a/b") == "a/b"
    assert node_relative("/r", "/r/a/b", "/r/c") == "../../c"
    assert node_relative("/r", ".", "x") == "x"


def test_list_directory_with_sizes_sorts_unicode_names_as_icu(repo: Path) -> None:
    """`localeCompare` order for accented, ligature, CJK and emoji names, recorded from server-filesystem 2025.12.18
    (the earlier pure-Python key put `Zebra.md` before `été.md` and `😀.md` last)."""
    d = repo / "coll"
    d.mkdir()
    names = ["été.md", "Zebra.md", "apple.md", "Écrire.md", "日本.md", "😀.md", "_x.md", "éa.md", "ea.md",
             "Ångström.md", "ﬁle.md", "ǅ.md"]
    for n in names:
        (d / n).write_bytes(b"x")
    out = fs(repo, "list_directory_with_sizes", {"path": "coll"}).text
    order = [line.split(" ", 1)[1].rstrip(" 1B") for line in out.split("\n")[:12]]
    assert order == ["_x.md", "😀.md", "Ångström.md", "apple.md", "ǅ.md", "ea.md", "éa.md", "Écrire.md", "été.md",
                     "ﬁle.md", "Zebra.md", "日本.md"]
