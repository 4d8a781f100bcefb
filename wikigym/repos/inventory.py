"""Which files SemanticWiki indexes, and which files exist at all.

`semanticwiki_files` reproduces `discoverFiles()` in SemanticWiki's `src/rag/index.ts` (v1.2.1): one
`glob('**/*<ext>', {ignore: EXCLUDE_PATTERNS})` per extension of `INDEXABLE_EXTENSIONS`, concatenated in that
order and de-duplicated. glob 10's defaults decide the rest:
- `dot: false`: names starting with `.` are never matched and `**` never enters dot-directories;
- matching is case-sensitive (Linux);
- `**` in first position follows no symlinked directory.
glob's own result order is a filesystem walk order; we sort within each extension so runs are reproducible.

Deliberate differences (safer, and they change no indexed content):
- only regular files are returned; glob would also return a directory named like `chart.js/`, which SemanticWiki
  then fails to read;
- a symlink is returned only when it points to a regular file inside the repository.

`all_files` lists every regular file except those under `.git`, for existence checks (the verifier's
`path:line` citations may name any file, indexed or not).

Example:
    >>> semanticwiki_files(example_repo_path())[:2]  # doctest: +SKIP
    ['sdk/src/client.ts', 'sdk/src/index.ts']
"""

from __future__ import annotations

import os
from pathlib import Path

# src/rag/index.ts INDEXABLE_EXTENSIONS, in order.
INDEXABLE_EXTENSIONS: tuple[str, ...] = (
    ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs",
    ".py", ".pyx",
    ".go",
    ".rs",
    ".java", ".kt", ".scala",
    ".rb",
    ".php",
    ".c", ".cpp", ".h", ".hpp",
    ".cs",
    ".swift",
    ".vue", ".svelte",
    ".json", ".yaml", ".yml", ".toml",
    ".md", ".mdx",
    ".cbl", ".cob", ".cobol",
    ".cpy", ".copy",
    ".jcl",
    ".pli", ".pl1",
    ".asm", ".s",
    ".sql",
    ".bms",
    ".prc", ".proc",
)  # fmt: skip

# src/rag/index.ts EXCLUDE_PATTERNS: `**/<dir>/**` entries (any path segment) ...
EXCLUDED_DIRS: frozenset[str] = frozenset(
    {
        "node_modules", ".git", "dist", "build", ".next", "coverage", "__pycache__", "venv", ".venv", "vendor",
        "posts", "blog", "content", "articles", "_posts",
    }
)  # fmt: skip
# ... `**/*.min.js`, `**/*.bundle.js` ...
EXCLUDED_SUFFIXES: tuple[str, ...] = (".min.js", ".bundle.js")
# ... and the lock files.
EXCLUDED_NAMES: frozenset[str] = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml"})


def _is_file_inside(entry: os.DirEntry[str], root_real: str) -> bool:
    """True for a regular file, or a symlink resolving to a regular file inside the repository."""
    try:
        if not entry.is_symlink():
            return entry.is_file(follow_symlinks=False)
        target = os.path.realpath(entry.path)
    except OSError:
        return False
    return (target == root_real or target.startswith(root_real + os.sep)) and os.path.isfile(target)


def _walk(root: Path, skip_dir, skip_file) -> list[str]:
    """Iterative scandir walk; returns repo-relative posix paths of files accepted by the predicates."""
    root_real = os.path.realpath(root)
    out: list[str] = []
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, rel = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError:
            continue  # unreadable directory: glob skips it too
        for entry in entries:
            name = entry.name
            rel_path = f"{rel}{name}"
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if not skip_dir(name):
                    stack.append((entry.path, rel_path + "/"))
            elif not skip_file(name) and _is_file_inside(entry, root_real):
                out.append(rel_path)
    return out


def semanticwiki_files(root: str | Path) -> list[str]:
    """List the files SemanticWiki's RAG indexer would pick up, as repo-relative posix paths.

    Args:
        root: repository directory.

    Returns:
        Paths grouped by extension in `INDEXABLE_EXTENSIONS` order, sorted within each group.
    """
    candidates = _walk(
        Path(root),
        skip_dir=lambda name: name.startswith(".") or name in EXCLUDED_DIRS,
        skip_file=lambda name: name.startswith(".") or name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES),
    )
    buckets: dict[str, list[str]] = {ext: [] for ext in INDEXABLE_EXTENSIONS}
    for rel in candidates:
        name = rel.rsplit("/", 1)[-1]
        for ext in INDEXABLE_EXTENSIONS:
            # `*<ext>`: `*` may match the empty string, but a name equal to the extension starts with "." (skipped).
            if name.endswith(ext):
                buckets[ext].append(rel)
    seen: set[str] = set()
    ordered: list[str] = []
    for ext in INDEXABLE_EXTENSIONS:
        for rel in sorted(buckets[ext]):
            if rel not in seen:  # `[...new Set(files)]`
                seen.add(rel)
                ordered.append(rel)
    return ordered


def all_files(root: str | Path) -> list[str]:
    """List every regular file under `root` except inside `.git` directories, sorted, repo-relative posix paths.

    Dotfiles, `node_modules`, build outputs and lock files are included: this is for existence checks.
    """
    return sorted(_walk(Path(root), skip_dir=lambda name: name == ".git", skip_file=lambda name: name == ".git"))
