"""SemanticWiki's file inventory on the conformance fixture (same set as its recorded discovery)."""

from __future__ import annotations

from pathlib import Path

from tests.tools.search.conftest import load
from wikigym.tools.search.inventory import discover_files


def test_same_files_as_semanticwiki(small_repo: Path) -> None:
    recorded = load("rag_files.jsonl")[0]["discovered_files_in_order"]
    found = discover_files(small_repo)
    assert sorted(found) == sorted(recorded)
    assert found.index("src/types.ts") < found.index("lib/server.py") < found.index("README.md")


def test_exclusions(tmp_path: Path) -> None:
    for rel in ("a.ts", "node_modules/x/b.ts", "dist/c.js", ".hidden/d.ts", "e.min.js", "blog/f.md", ".g.ts",
                "sub/package-lock.json", "sub/h.JS", "sub/i.py"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "sub")
    assert discover_files(tmp_path) == ["a.ts", "sub/i.py"]


def test_names_that_are_not_utf8_are_not_indexed(tmp_path: Path) -> None:
    """Node decodes `bad\\xff.ts` as `bad\\ufffd.ts`, a path no file has: SemanticWiki never indexes it (nor a file
    under a directory so named), checked against SemanticWiki 1.2.1's RAGSystem."""
    import os

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "good.ts").write_text("export const good = 1;\n")
    with open(os.path.join(os.fsencode(tmp_path), b"src", b"bad\xff.ts"), "wb") as fh:
        fh.write(b"export const bad = 1;\n")
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"dir\xfe"))
    with open(os.path.join(os.fsencode(tmp_path), b"dir\xfe", b"inner.py"), "wb") as fh:
        fh.write(b"x = 1\n")
    assert discover_files(tmp_path) == ["src/good.ts"]
