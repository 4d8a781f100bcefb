"""analyze_code_structure: JavaScript regex semantics, both output shapes, and the tree-sitter `accurate` profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikigym.tools.analyze import js_regex
from wikigym.tools.context import ToolContext
from wikigym.tools.toolset import ToolSet


def run(repo: Path, mode: str, args: dict, profile: str = "semanticwiki-1.2.1") -> str:
    ctx = ToolContext(repo_root=repo, wiki_root=repo / ".wiki", profile=profile)
    return ToolSet(ctx, mode).call("analyze_code_structure", args).text


def test_js_regex_classes() -> None:
    assert js_regex(r"function\s+(\w+)").search("function crème()").group(1) == "cr"  # \w is ASCII
    assert js_regex(r"a\sb").search("a\u00a0b")  # \s includes NBSP
    assert js_regex(r"a\sb").search("a\u2003b")
    assert not js_regex(r"a.b").search("a\rb")  # . stops at \r
    assert not js_regex(r"a.b").search("a\u2028b")
    assert js_regex(r"a.b").search("a\tb")


def test_direct_format_and_js_semantics(tmp_path: Path) -> None:
    (tmp_path / "m.ts").write_text(
        "import { x } from './x';\n"
        "import a\rb from 'not-an-import';\n"  # JS `.` cannot cross the \r
        "export\u00a0function crème(y) {}\n"  # NBSP is \s; \w stops at è
        "export default class Thing {}\n"
        "const f = async (a) => a;\n")
    out = run(tmp_path, "direct", {"filePath": "m.ts"})
    assert out == ("# Code Analysis: m.ts\nLines: 6\n\n"
                   "Functions (1): cr:3\nClasses (1): Thing:4\nImports (1): ./x\nExports (2): cr, Thing")


def test_direct_ignores_non_js_files(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    pass\n")
    assert run(tmp_path, "direct", {"filePath": "m.py"}).endswith("Functions (0): \nClasses (0): \nImports (0): \n"
                                                                   "Exports (0): ")


def test_sdk_sections_and_python(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("from a.b import c\nimport os\nclass K:\n    def m(self):\n        pass\n"
                                   "async def g(x: int) -> None:\n    pass\n")
    out = run(tmp_path, "sdk", {"filePath": "m.py"})
    assert out == ("# Code Analysis: m.py\n\n**Lines of Code:** 8\n**Language:** PY\n\n"
                   "## Summary\n- Functions: 1\n- Classes: 1\n- Imports: 2\n- Exports: 0\n\n"
                   "## Functions\n- `g(x: int)` (line 6)\n\n## Classes\n- `K` (line 3)\n\n"
                   "## Imports\n- `a.b` (line 1)\n- `os` (line 2)\n\n")
    assert run(tmp_path, "sdk", {"filePath": "m.py", "analysisType": "exports"}) == \
        "# Code Analysis: m.py\n\n**Lines of Code:** 8\n**Language:** PY\n\n"


def test_sdk_arrow_functions_and_errors(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("export const h = async (req, res): Promise<void> => {};\n")
    out = run(tmp_path, "sdk", {"filePath": "a.js", "analysisType": "functions"})
    assert out.endswith("## Functions\n- `h` (line 1)\n\n")
    assert run(tmp_path, "sdk", {"filePath": "nope.ts"}) == "File not found: nope.ts"
    (tmp_path / "d.ts").mkdir()
    eisdir = "EISDIR: illegal operation on a directory, read"
    assert run(tmp_path, "sdk", {"filePath": "d.ts"}) == f"Analysis error: {eisdir}"
    assert run(tmp_path, "direct", {"filePath": "d.ts"}) == f"Error executing analyze_code_structure: {eisdir}"


PY_SRC = '''"""Module."""
import os
from pkg.sub import thing


class Store:
    """A store."""

    def get(self, key):
        return key

    async def put(self, key, value):
        pass


def helper(a, b=2):
    return a + b
'''

TS_SRC = '''import { A } from "./a";
import * as fs from "fs";

export interface Shape {
  area(): number;
}

export class Circle implements Shape {
  constructor(private r: number) {}
  area(): number {
    return 3.14 * this.r * this.r;
  }
}

export const make = (r: number): Circle =>
  new Circle(r);

function internal() {}
'''


@pytest.mark.parametrize("mode", ["direct", "sdk"])
def test_accurate_profile_python(tmp_path: Path, mode: str) -> None:
    (tmp_path / "store.py").write_text(PY_SRC)
    out = run(tmp_path, mode, {"filePath": "store.py"}, profile="accurate")
    if mode == "direct":
        assert out.splitlines()[:6] == [
            "# Code Analysis: store.py", "Lines: 18", "",
            "Functions (3): Store.get:9, Store.put:12, helper:16",
            "Classes (1): Store:6",
            "Imports (2): os, pkg.sub",
        ]
    else:
        assert "- `helper(a, b=2)` (line 16)" in out
        assert "- `Store.put(self, key, value)` (line 12)" in out
        assert "- `Store` (line 6)" in out
        assert "- `pkg.sub` (line 3)" in out


def test_accurate_profile_typescript(tmp_path: Path) -> None:
    (tmp_path / "shape.ts").write_text(TS_SRC)
    out = run(tmp_path, "direct", {"filePath": "shape.ts"}, profile="accurate")
    lines = out.splitlines()
    assert lines[3].startswith("Functions (")
    for name in ("Circle.area:10", "make:15", "internal:18"):
        assert name in lines[3]
    assert "Circle:8" in lines[4] and "Shape:4" in lines[4]
    assert lines[5] == "Imports (2): ./a, fs"
    assert lines[6] == "Exports (3): Shape, Circle, make"


def test_accurate_profile_falls_back_for_unknown_languages(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("function notCode() {}\n")
    faithful = run(tmp_path, "direct", {"filePath": "notes.txt"})
    assert run(tmp_path, "direct", {"filePath": "notes.txt"}, profile="accurate") == faithful
