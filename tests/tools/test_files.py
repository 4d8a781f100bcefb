"""Direct-mode read_file / list_directory / directory_tree: Node semantics beyond the goldens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wikigym.tools.context import ToolContext
from wikigym.tools.toolset import ToolSet


def make_repo(tmp: Path) -> Path:
    """tmp/ROOT/repo (with inside and outside symlinks) beside tmp/ROOT/outside/secret.txt."""
    root = tmp / "ROOT"
    repo = root / "repo"
    (repo / "src" / "sub").mkdir(parents=True)
    (repo / "src" / "a.ts").write_text("export function a() {}\n")
    (repo / "src" / "sub" / "b.py").write_text("def b():\n    pass\n")
    (repo / "README.md").write_text("# Repo\n")
    (repo / ".hidden").write_text("h\n")
    (repo / "node_modules" / "dep").mkdir(parents=True)
    (repo / "node_modules" / "dep" / "index.js").write_text("x\n")
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_text("TOP SECRET\n")
    os.symlink("src", repo / "link-in")
    os.symlink("../outside", repo / "link-out")
    os.symlink("../outside/secret.txt", repo / "secret-link")
    return repo


def direct(repo: Path, allow_escape: bool = False) -> ToolSet:
    return ToolSet(ToolContext(repo_root=repo, wiki_root=repo.parent / "wiki", allow_escape=allow_escape), "direct")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def test_read_file_returns_text(repo: Path) -> None:
    assert direct(repo).call("read_file", {"path": "README.md"}).text == "# Repo\n"
    assert direct(repo).call("read_file", {"path": "link-in/a.ts"}).text == "export function a() {}\n"


def test_read_file_decodes_like_node(repo: Path) -> None:
    # Truncated 3-byte sequence -> one U+FFFD; lone continuation bytes and surrogate encodings -> one each; BOM kept.
    (repo / "bin.dat").write_bytes(b"\xef\xbb\xbfA\xe2\x82B\x80\xed\xa0\x80\xf0\x9f\x8d\xae")
    text = direct(repo).call("read_file", {"path": "bin.dat"}).text
    assert text == "\ufeffA\ufffdB\ufffd\ufffd\ufffd\ufffd\U0001f36e"


def test_read_file_errors(repo: Path) -> None:
    ts = direct(repo)
    assert ts.call("read_file", {"path": "nope.md"}).text == "Error: File not found: nope.md"
    assert ts.call("read_file", {"path": "src"}).text == \
        "Error executing read_file: EISDIR: illegal operation on a directory, read"
    assert ts.call("read_file", {"path": "README.md/x"}).text == "Error: File not found: README.md/x"


@pytest.mark.parametrize("value, received", [
    (None, "Received null"),
    (42, "Received type number (42)"),
    (1.5, "Received type number (1.5)"),
    (1e21, "Received type number (1e+21)"),
    (True, "Received type boolean (true)"),
    ([1], "Received an instance of Array"),
    ({"a": 1}, "Received an instance of Object"),
])
def test_non_string_paths_raise_node_type_error(repo: Path, value: object, received: str) -> None:
    for allow in (False, True):
        for tool, key in (("read_file", "path"), ("analyze_code_structure", "filePath")):
            out = direct(repo, allow).call(tool, {key: value}).text
            assert out == f'Error executing {tool}: The "path" argument must be of type string. {received}'
    out = direct(repo).call("read_file", {}).text
    assert out == 'Error executing read_file: The "path" argument must be of type string. Received undefined'


def test_list_directory_falsy_path_is_root_and_truthy_non_string_throws(repo: Path) -> None:
    ts = direct(repo)
    root_listing = ts.call("list_directory", {}).text
    for falsy in (None, 0, False, ""):
        assert ts.call("list_directory", {"path": falsy}).text == root_listing
    assert ts.call("list_directory", {"path": 7}).text == \
        'Error executing list_directory: The "path" argument must be of type string. Received type number (7)'
    assert ts.call("directory_tree", {"path": True}).text == \
        'Error executing directory_tree: The "path" argument must be of type string. Received type boolean (true)'


def test_list_directory_byte_order_and_types(repo: Path) -> None:
    d = repo / "order"
    d.mkdir()
    for name in ("é.txt", "a.txt", "_x", "B.txt", "Z"):
        (d / name).write_text("")
    (d / "dir").mkdir()
    out = direct(repo).call("list_directory", {"path": "order"}).text
    assert out == "[FILE] B.txt\n[FILE] Z\n[FILE] _x\n[FILE] a.txt\n[DIR] dir\n[FILE] é.txt"
    assert "[FILE] link-in" in direct(repo).call("list_directory", {"path": ""}).text
    assert direct(repo).call("list_directory", {"path": "missing"}).text == "Error: Directory not found: missing"
    out = direct(repo).call("list_directory", {"path": "README.md"}).text
    assert out == f"Error executing list_directory: ENOTDIR: not a directory, scandir '{repo}/README.md'"


def test_directory_tree_shape(repo: Path) -> None:
    out = direct(repo).call("directory_tree", {"path": ""}).text
    assert out == ("├── README.md\n├── link-in\n├── link-out\n├── secret-link\n└── src\n"
                   "    ├── a.ts\n    └── sub\n        └── b.py\n")


@pytest.mark.parametrize("depth, lines", [
    (0, 8), (None, 8), (-1, 0), (1, 5), ("2", 7), ([1], 5), ("abc", 8), ({}, 8), (2.5, 8), (True, 5), ("0x2", 7),
])
def test_directory_tree_depth_is_compared_like_javascript(repo: Path, depth: object, lines: int) -> None:
    out = direct(repo).call("directory_tree", {"path": "", "depth": depth}).text
    assert out.count("\n") == lines


def test_directory_tree_missing_path_is_empty(repo: Path) -> None:
    assert direct(repo).call("directory_tree", {"path": "nowhere"}).text == ""


def test_huge_file_reads_whole(repo: Path) -> None:
    line = "0123456789abcdef" * 4 + "\n"
    (repo / "huge.txt").write_text(line * 80_000)  # ~5.2 MB
    out = direct(repo).call("read_file", {"path": "huge.txt"}).text
    assert len(out) == len(line) * 80_000 and out.endswith(line)
