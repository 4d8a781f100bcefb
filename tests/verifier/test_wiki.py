"""Tests for wikigym/verifier/wiki.py: page parsing and SemanticWiki's scan order."""

from __future__ import annotations

import pytest

from wikigym.errors import WikiDirError
from wikigym.verifier.wiki import Page, Wiki


def test_frontmatter_fences_and_prose() -> None:
    text = "---\ntitle: T\ndescription: 'a: b'\n---\n# H\nword `x`\n```python\n`y` in code\n```\nend\n"
    p = Page("a.md", text)
    assert p.frontmatter == {"title": "T", "description": "a: b"}
    assert p.body_start == 5
    assert [n for n, _ in p.prose] == [5, 6, 10, 11]
    assert p.inline_code == [(6, 5, "x")]
    assert [(b.start, b.end, b.lang) for b in p.blocks] == [(7, 9, "python")]
    assert not p.unclosed_fence and p.h1_lines == [5]


def test_unclosed_fence_and_bad_frontmatter() -> None:
    p = Page("a.md", "---\ntitle: [oops\n---\ntext\n```mermaid\ngraph TD\n")
    assert p.frontmatter_error
    assert p.unclosed_fence and p.mermaid[0].end is None and p.mermaid[0].code == "graph TD\n"


def test_from_files_order_outside_and_filters() -> None:
    w = Wiki.from_files({"b.md": "", "README.md": "", "a/z.md": "", "a.md": "", "/etc/x.md": "", "../up.md": "",
                         ".hidden/s.md": "", "x.txt": "", "c/../d.md": ""})
    # depth-first, entries in byte order: directory `a` sorts before file `a.md`
    assert [p.path for p in w.pages] == ["README.md", "a/z.md", "a.md", "b.md", "d.md"]
    assert sorted(w.outside) == ["../up.md", "/etc/x.md"]


def test_from_dir(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "p.md").write_text("hello", encoding="utf-8")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "q.md").write_text("no", encoding="utf-8")
    (tmp_path / "UPPER.MD").write_text("no", encoding="utf-8")
    assert list(Wiki.from_dir(tmp_path).by_path) == ["sub/p.md"]
    with pytest.raises(WikiDirError, match="does not exist"):
        Wiki.from_dir(tmp_path / "missing")


def test_from_dir_lists_symlinks_out_of_the_wiki_as_outside(tmp_path) -> None:
    wiki = tmp_path / "wiki"
    (wiki / "sub").mkdir(parents=True)
    (wiki / "sub" / "p.md").write_text("hello", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "evil.md").write_text("# outside", encoding="utf-8")
    (wiki / "evil.md").symlink_to(tmp_path / "elsewhere" / "evil.md")
    (wiki / "out").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (wiki / "alias.md").symlink_to(wiki / "sub" / "p.md")  # stays inside: skipped, not outside
    w = Wiki.from_dir(wiki)
    assert list(w.by_path) == ["sub/p.md"]
    assert sorted(w.outside) == ["evil.md", "out/"]
