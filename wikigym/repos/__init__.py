"""Repositories as the rest of wikigym sees them: open a directory or clone a URL (pinned, credential-free,
cached), list files with SemanticWiki's inventory rules, parse them with tree-sitter (symbols with 1-based line
ranges, imports, identifiers), and derive an import graph, known names and central modules.

Modules: `clone` (GitPython cache), `inventory` (file lists), `languages` (extension -> grammar), `parsing`
(`parse_file`, `parse_path`, cache), `symbols` / `imports` (per-language extraction), `resolve` (import graph),
`snapshot` (`RepoSnapshot`, `open_repo`).

Example:
    >>> from wikigym.repos import open_repo, example_repo_path
    >>> snap = open_repo(example_repo_path())
    >>> snap.central_modules(3)  # doctest: +SKIP
"""

from wikigym.repos.clone import clone_or_update, strip_credentials
from wikigym.repos.parsing import ParsedFile, Symbol, parse_file, parse_path
from wikigym.repos.snapshot import RepoSnapshot, example_repo_path, open_repo

__all__ = [
    "ParsedFile",
    "RepoSnapshot",
    "Symbol",
    "clone_or_update",
    "example_repo_path",
    "open_repo",
    "parse_file",
    "parse_path",
    "strip_credentials",
]
