"""Paths that leave the repo: refused by default, reproduced under `allow_escape`, always refused by the fs server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools.test_files import make_repo
from wikigym.tools.context import ToolContext
from wikigym.tools.toolset import ToolSet

SECRET = "TOP SECRET\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def tools(repo: Path, mode: str, allow_escape: bool) -> ToolSet:
    return ToolSet(ToolContext(repo_root=repo, wiki_root=repo.parent / "wiki", allow_escape=allow_escape), mode)


def escaping_paths(repo: Path) -> list[str]:
    return ["../outside/secret.txt", "link-out/secret.txt", "secret-link", "src/../../outside/secret.txt",
            "../" * len(repo.parts) + str(repo.parent / "outside" / "secret.txt").lstrip("/")]


def test_read_file_contained_by_default(repo: Path) -> None:
    ts = tools(repo, "direct", False)
    for p in escaping_paths(repo):
        assert ts.call("read_file", {"path": p}).text == f"Error: File not found: {p}"
    # An absolute path is re-rooted under the repo by path.join, so it is simply missing there.
    outside_abs = str(repo.parent / "outside" / "secret.txt")
    assert ts.call("read_file", {"path": outside_abs}).text == f"Error: File not found: {outside_abs}"
    assert ts.call("read_file", {"path": "README.md\x00.txt"}).text == "Error: File not found: README.md\x00.txt"
    # A symlink that stays inside the repo keeps working.
    assert ts.call("read_file", {"path": "link-in/a.ts"}).text == "export function a() {}\n"


def test_read_file_escape_reproduced_with_flag(repo: Path) -> None:
    ts = tools(repo, "direct", True)
    for p in escaping_paths(repo):
        assert ts.call("read_file", {"path": p}).text == SECRET
    assert ts.call("read_file", {"path": "README.md\x00.txt"}).text == "Error: File not found: README.md\x00.txt"


def test_list_directory_and_tree_contained(repo: Path) -> None:
    ts = tools(repo, "direct", False)
    for p in ("..", "../outside", "link-out", "src/../..", "/../.."):
        assert ts.call("list_directory", {"path": p}).text == f"Error: Directory not found: {p}"
        assert ts.call("directory_tree", {"path": p}).text == ""
    # An absolute path is joined under the repo, so `/src` is the repo's src.
    assert ts.call("list_directory", {"path": "/src"}).text == "[FILE] a.ts\n[DIR] sub"
    assert ts.call("list_directory", {"path": "a\x00"}).text == "Error: Directory not found: a\x00"
    assert ts.call("directory_tree", {"path": "a\x00"}).text == ""
    escaped = tools(repo, "direct", True)
    assert escaped.call("list_directory", {"path": "../outside"}).text == "[FILE] secret.txt"
    assert escaped.call("directory_tree", {"path": "link-out"}).text == "└── secret.txt\n"
    assert escaped.call("list_directory", {"path": ".."}).text == "[DIR] outside\n[DIR] repo"


@pytest.mark.parametrize("mode, missing", [("direct", "Error: File not found: {}"), ("sdk", "File not found: {}")])
def test_analyze_contained(repo: Path, mode: str, missing: str) -> None:
    for p in escaping_paths(repo) + ["x\x00.ts"]:
        assert tools(repo, mode, False).call("analyze_code_structure", {"filePath": p}).text == missing.format(p)
    out = tools(repo, mode, True).call("analyze_code_structure", {"filePath": "secret-link"}).text
    assert out.startswith("# Code Analysis: secret-link\n")


@pytest.mark.parametrize("allow_escape", [False, True])
def test_fs_server_always_contains(repo: Path, allow_escape: bool) -> None:
    ts = tools(repo, "fs-mcp", allow_escape)
    outside = repo.parent / "outside"
    res = ts.call("read_text_file", {"path": "../outside/secret.txt"})
    assert res.is_error and res.text == \
        f"Access denied - path outside allowed directories: {outside}/secret.txt not in {repo}"
    res = ts.call("read_text_file", {"path": "secret-link"})
    assert res.is_error and res.text.startswith("Access denied - symlink target outside allowed directories: ")
    res = ts.call("write_file", {"path": "link-out/new.txt", "content": "x"})
    assert res.is_error and not (outside / "new.txt").exists()
    res = ts.call("write_file", {"path": "../outside/new.txt", "content": "x"})
    assert res.is_error and not (outside / "new.txt").exists()
    res = ts.call("read_text_file", {"path": "a\x00b"})
    assert res.is_error and res.text.startswith("Access denied - path outside allowed directories: ")
    res = ts.call("move_file", {"source": "README.md", "destination": "../outside/README.md"})
    assert res.is_error and (repo / "README.md").exists() and not (outside / "README.md").exists()
    assert ts.call("search_files", {"path": ".", "pattern": "**/secret*"}).text == "No matches found"


@pytest.mark.parametrize("allow_escape", [False, True])
def test_malformed_arguments_every_tool(repo: Path, allow_escape: bool) -> None:
    d = tools(repo, "direct", allow_escape)
    undefined = 'The "path" argument must be of type string. Received undefined'
    assert d.call("read_file", {}).text == f"Error executing read_file: {undefined}"
    assert d.call("analyze_code_structure", {}).text == f"Error executing analyze_code_structure: {undefined}"
    assert d.call("list_directory", {}).text.startswith("[FILE] .hidden")
    assert d.call("directory_tree", {}).text.startswith("├── README.md")
    assert d.call("read_file", "not a dict").text == f"Error executing read_file: {undefined}"
    s = tools(repo, "sdk", allow_escape)
    res = s.call("analyze_code_structure", {"filePath": 3})
    assert res.is_error and "expected string, received number" in res.text
    f = tools(repo, "fs-mcp", allow_escape)
    for name, args in (("read_text_file", {}), ("list_directory", {"path": 1}), ("directory_tree", {"path": None}),
                       ("search_files", {"path": "."}), ("move_file", {"source": "a"}), ("write_file", {"path": "x"}),
                       ("edit_file", {"path": "x", "edits": "no"}), ("get_file_info", {"path": []})):
        res = f.call(name, args)
        assert res.is_error and res.text.startswith(
            f"MCP error -32602: Input validation error: Invalid arguments for tool {name}: "), (name, res.text)
