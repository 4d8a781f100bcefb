"""SemanticWiki's RAG inventory rules (src/rag/index.ts) and the all-files list."""

from __future__ import annotations

import os

from tests.repos.conftest import write_files
from wikigym.repos.inventory import INDEXABLE_EXTENSIONS, all_files, semanticwiki_files


def make_tree(root):
    write_files(
        root,
        {
            "src/app.ts": "export const a = 1;\n",
            "src/view.tsx": "export const v = 1;\n",
            "src/b/util.js": "module.exports = {};\n",
            "src/app.min.js": "x",
            "src/app.bundle.js": "x",
            "src/App.TS": "upper-case extension: glob is case-sensitive",
            "main.py": "print(1)\n",
            "worker/main.go": "package main\n",
            "README.md": "# r\n",
            "docs/guide.md": "# g\n",
            "config.yaml": "a: 1\n",
            "package.json": "{}",
            "package-lock.json": "{}",
            "web/yarn.lock": "",
            "pnpm-lock.yaml": "",
            "node_modules/dep/index.js": "",
            "dist/out.js": "",
            "build/gen.py": "",
            "coverage/report.js": "",
            "__pycache__/x.py": "",
            "venv/lib/site.py": "",
            ".venv/lib/site.py": "",
            "vendor/lib.go": "",
            "pkg/vendor/lib.go": "",
            ".next/page.js": "",
            "blog/post.md": "",
            "site/content/page.md": "",
            "posts/a.md": "",
            "articles/b.md": "",
            "_posts/c.md": "",
            "blogs/not-excluded.md": "",
            ".eslintrc.json": "{}",
            ".github/workflows/ci.yml": "on: push\n",
            "src/.hidden.ts": "",
            "chart.js/index.js": "",
            "notes.txt": "not an indexed extension",
            "Makefile": "",
        },
    )


def test_semanticwiki_inventory_rules(tmp_path):
    make_tree(tmp_path)
    assert semanticwiki_files(tmp_path) == [
        # .ts, then .tsx, .js (chart.js/ is a directory: only the file inside it is listed), .py, .go, .json,
        # .yaml, .md: SemanticWiki's extension order, sorted within each extension.
        "src/app.ts",
        "src/view.tsx",
        "chart.js/index.js",
        "src/b/util.js",
        "main.py",
        "worker/main.go",
        "package.json",
        "config.yaml",
        "README.md",
        "blogs/not-excluded.md",
        "docs/guide.md",
    ]


def test_extension_order_matches_semanticwiki():
    assert INDEXABLE_EXTENSIONS[:6] == (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")
    assert INDEXABLE_EXTENSIONS[-2:] == (".prc", ".proc") and len(INDEXABLE_EXTENSIONS) == 43


def test_symlinks_inside_are_kept_outside_are_dropped(tmp_path):
    repo = tmp_path / "repo"
    write_files(repo, {"src/real.py": "x = 1\n", "src/lib/mod.py": ""})
    write_files(tmp_path, {"outside/secret.py": "TOKEN = 1\n"})
    os.symlink(repo / "src/real.py", repo / "src/alias.py")
    os.symlink(tmp_path / "outside/secret.py", repo / "src/leak.py")
    os.symlink(repo / "src/lib", repo / "linked_dir")  # glob's leading ** follows no symlinked directory
    assert semanticwiki_files(repo) == ["src/alias.py", "src/lib/mod.py", "src/real.py"]
    assert "src/leak.py" not in all_files(repo)


def test_all_files_lists_everything_but_git(tmp_path):
    make_tree(tmp_path)
    write_files(tmp_path, {".git/config": "[core]\n", ".git/objects/ab/cd": "", "sub/.git": "gitdir: x\n"})
    files = all_files(tmp_path)
    assert files == sorted(files)
    for expected in (".eslintrc.json", ".github/workflows/ci.yml", "node_modules/dep/index.js", "dist/out.js",
                     "package-lock.json", "notes.txt", "Makefile", "src/app.min.js"):  # fmt: skip
        assert expected in files
    assert not [f for f in files if f.startswith(".git/") or f.endswith("/.git")]
    assert "chart.js" not in files and "chart.js/index.js" in files
