"""Which files SemanticWiki indexes (spec §4): per-extension `**/*<ext>` globs minus its exclusion patterns.

Rules reproduced from `RAGSystem.discoverFiles` (glob 10, `dot: false`, `follow: false`):
- extensions, in SemanticWiki's order: ts tsx js jsx mjs cjs py pyx go rs java kt scala rb php c cpp h hpp cs swift
  vue svelte json yaml yml toml md mdx cbl cob cobol cpy copy jcl pli pl1 asm s sql bms prc proc (case-sensitive);
- no dotfiles and nothing under a dot-directory; symlinked directories are not entered;
- excluded anywhere in the path: node_modules, .git, dist, build, .next, coverage, __pycache__, venv, .venv, vendor,
  posts, blog, content, articles, _posts directories; `*.min.js`, `*.bundle.js`, package-lock.json, yarn.lock,
  pnpm-lock.yaml;
- only readable regular files (SemanticWiki skips what `readFileSync` rejects); in the secure default a symlinked
  file whose target lies outside the repository is skipped too;
- nothing whose name is not valid UTF-8 (Node's lossy decoding makes such paths unreachable).

Order: glob's order varies between runs (the goldens record two different ones), so this module uses a stable
approximation of it: extension by extension, shallower paths first, then byte order. Pass an explicit order to
`build_index` to reproduce a recorded run's ranking ties.

What it deliberately does not do: read `.gitignore` (SemanticWiki does not).
"""

from __future__ import annotations

import os
from pathlib import Path

INDEXABLE_EXTENSIONS = (
    ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".py", ".pyx", ".go", ".rs", ".java", ".kt", ".scala", ".rb",
    ".php", ".c", ".cpp", ".h", ".hpp", ".cs", ".swift", ".vue", ".svelte", ".json", ".yaml", ".yml", ".toml",
    ".md", ".mdx", ".cbl", ".cob", ".cobol", ".cpy", ".copy", ".jcl", ".pli", ".pl1", ".asm", ".s", ".sql", ".bms",
    ".prc", ".proc",
)
EXCLUDED_DIRS = frozenset({"node_modules", ".git", "dist", "build", ".next", "coverage", "__pycache__", "venv",
                           ".venv", "vendor", "posts", "blog", "content", "articles", "_posts"})
EXCLUDED_FILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml"})
EXCLUDED_SUFFIXES = (".min.js", ".bundle.js")
_EXT_RANK = {e: i for i, e in enumerate(INDEXABLE_EXTENSIONS)}


def indexable_extension(name: str) -> str | None:
    """The glob extension a file name matches, if any (`**/*.ts` needs at least one character before `.ts`)."""
    if name.startswith("."):
        return None
    dot = name.rfind(".")
    if dot <= 0:
        return None
    ext = name[dot:]
    return ext if ext in _EXT_RANK else None


def _undecodable(name: str) -> bool:
    """A name that is not valid UTF-8 (Python keeps its bytes as surrogate escapes).

    Node decodes such a name with U+FFFD, so the path glob hands back names no file has: SemanticWiki can neither
    read that file nor list that directory, and indexes nothing under it.
    """
    return any("\udc80" <= ch <= "\udcff" for ch in name)


def discover_files(repo_root: str | os.PathLike, allow_escape: bool = False) -> list[str]:
    """Repo-relative POSIX paths SemanticWiki would index, in this module's stable order."""
    root = Path(repo_root)
    real_root = os.path.realpath(root)
    found: list[tuple[int, int, str]] = []
    stack = [(str(root), "", 0)]
    while stack:
        abs_dir, rel_dir, depth = stack.pop()
        try:
            entries = list(os.scandir(abs_dir))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith(".") or _undecodable(name):
                continue
            rel = f"{rel_dir}{name}"
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name not in EXCLUDED_DIRS:
                        stack.append((entry.path, rel + "/", depth + 1))
                    continue
            except OSError:
                continue
            ext = indexable_extension(name)
            if ext is None or name in EXCLUDED_FILES or name.endswith(EXCLUDED_SUFFIXES):
                continue
            try:
                if not entry.is_file(follow_symlinks=True):
                    continue
                if entry.is_symlink() and not allow_escape:
                    target = os.path.realpath(entry.path)
                    if os.path.commonpath([real_root, target]) != real_root:
                        continue
            except (OSError, ValueError):
                continue
            found.append((_EXT_RANK[ext], depth, rel))
    found.sort(key=lambda t: (t[0], t[1], t[2].encode("utf-8", "surrogateescape")))
    return [rel for _, _, rel in found]


def read_text(repo_root: str | os.PathLike, rel: str) -> str | None:
    """`fs.readFileSync(path, 'utf-8')`: invalid UTF-8 becomes U+FFFD, a BOM is kept; None if unreadable."""
    try:
        with open(os.path.join(repo_root, rel), "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data.decode("utf-8", "replace")
