"""`RepoSnapshot`: one repository at one commit, as every later stage sees it; `open_repo` makes one.

A snapshot knows where the files are (`root`), where they came from (`url`, credential-free; None for a local
path), which commit they are (`commit`, None outside git) and whether the working tree differs from it (`dirty`).
It lazily computes and caches the SemanticWiki file inventory, parse results, the import graph, the set of names
that exist in the repository (for the verifier's hallucination check) and the most central modules.

`open_repo(source, commit=None)` accepts:
- a local directory (a git checkout when it holds `.git`: HEAD and dirty state are recorded; a subdirectory of
  a checkout is treated as a plain directory, because the enclosing repository's state says nothing about it);
- a local git checkout with `commit`: used in place when HEAD is that commit and the tree is clean, otherwise
  cloned into the cache and checked out there: a snapshot never silently reads a different commit;
- a URL (https, ssh, `file://`) or a bare repository: cloned or updated in the cache via `clone.py`.

What it deliberately does not do: write to the repository (tools write only to the wiki directory), or build
the search index (see `wikigym.tools.search`).

Example:
    >>> snap = open_repo(example_repo_path())
    >>> "inventory/models.py" in snap.files()
    True
"""

from __future__ import annotations

import dataclasses
import math
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git

from wikigym.errors import RepoNotFound
from wikigym.repos.clone import clone_or_update, default_cache_dir, is_url, repo_name, strip_credentials
from wikigym.repos.inventory import all_files as _all_files
from wikigym.repos.inventory import semanticwiki_files
from wikigym.repos.languages import CODE_LANGUAGES, language_for_path
from wikigym.repos.parsing import ParseCache, ParsedFile, parse_file
from wikigym.repos.resolve import ImportResolver, build_import_graph

# SemanticWiki's excludeTests patterns (src/rag/index.ts): test files weigh less in centrality.
_TEST_MARKERS = (".test.", ".spec.", "_test.", "test_", "__tests__", "tests/", ".stories.", "__mocks__")


def example_repo_path() -> Path:
    """Path of the small multi-language repository bundled with wikigym (used by the README and tests)."""
    return Path(__file__).resolve().parent.parent / "example_repo"


def is_test_path(path: str) -> bool:
    """SemanticWiki's test-file rule (substring match on the repository-relative path)."""
    return any(marker in path for marker in _TEST_MARKERS)


@dataclass(eq=False)
class RepoSnapshot:
    """A repository at one commit. Paths given to and returned by methods are repository-relative posix paths.

    Attributes:
        root: absolute directory of the files.
        url: credential-free source URL, or None for a local path.
        commit: full SHA of the checked-out commit, or None outside git.
        dirty: True when the working tree has changes (tracked or untracked) relative to `commit`.
        name: short repository name (directory or URL basename).
    """

    root: Path
    url: str | None = None
    commit: str | None = None
    dirty: bool = False
    name: str = ""
    parse_cache: ParseCache | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        if self.url is not None:
            self.url = strip_credentials(self.url)
        if not self.name:
            self.name = self.root.name

    # -- files -----------------------------------------------------------------------------------------------------

    def _cached(self, key: str, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def without(self, directory: str) -> RepoSnapshot:
        """The same snapshot with every file under the repository-relative `directory` left out.

        For a wiki written inside the repository it documents (`semanticwiki generate -o ./wiki`): the verifier must
        not count the wiki's own words as names that "exist in the repository", nor its pages as citable files.
        File lists, parse results, known names and centrality are all derived from `files()`/`all_files()`, so they
        follow; parse results are shared through the parse cache.
        """
        prefix = posixpath.normpath(directory.replace("\\", "/")).strip("/") + "/"
        view = dataclasses.replace(self)
        view._cache["files"] = [f for f in self.files() if not f.startswith(prefix)]
        view._cache["all_files"] = [f for f in self.all_files() if not f.startswith(prefix)]
        return view

    def files(self) -> list[str]:
        """SemanticWiki's RAG inventory (see `inventory.semanticwiki_files`), cached (do not mutate the list)."""
        return self._cached("files", lambda: semanticwiki_files(self.root))

    def all_files(self) -> list[str]:
        """Every file except under `.git`, sorted, cached (for existence checks; do not mutate the list)."""
        return self._cached("all_files", lambda: _all_files(self.root))

    def _abs(self, rel: str) -> Path:
        """Absolute path of a repository-relative path; refuses paths that leave the repository."""
        normal = posixpath.normpath(str(rel).replace("\\", "/").lstrip("/"))
        if normal == ".." or normal.startswith("../"):
            raise ValueError(f"path {rel} is outside repository {self.name}; pass a path relative to its root")
        path = self.root / normal
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise ValueError(f"path {rel} resolves outside repository {self.name}; pass a path inside it")
        return path

    def read_text(self, rel: str) -> str:
        """A file's text, decoded as UTF-8 with replacement characters (as Node's `readFileSync(p, 'utf-8')`).

        Raises:
            FileNotFoundError: the file does not exist (message names the repo-relative path).
            ValueError: the path leaves the repository.
        """
        path = self._abs(rel)
        try:
            return path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            raise FileNotFoundError(f"file {rel} does not exist in repository {self.name}") from None

    def lines(self, rel: str) -> list[str]:
        """A file's lines as SemanticWiki's metrics split them: `text.split('\\n')` (a trailing newline gives '')."""
        return self.read_text(rel).split("\n")

    # -- parsing ---------------------------------------------------------------------------------------------------

    def parse(self, rel: str) -> ParsedFile | None:
        """Parse one file (cached by content); None when its language is not parsed or it cannot be read."""
        parsed = self._cache.setdefault("parsed_one", {})
        if rel in parsed:
            return parsed[rel]
        result: ParsedFile | None = None
        if language_for_path(rel) is not None:
            try:
                text = self.read_text(rel)
            except (OSError, ValueError):
                text = None
            if text is not None:
                language = language_for_path(rel, text)
                if language is not None:
                    result = parse_file(text, language, self.parse_cache)
        parsed[rel] = result
        return result

    def parsed(self) -> dict[str, ParsedFile]:
        """Parse results of every inventory file whose language is parsed, in inventory order."""

        def compute() -> dict[str, ParsedFile]:
            out: dict[str, ParsedFile] = {}
            for rel in self.files():
                pf = self.parse(rel)
                if pf is not None:
                    out[rel] = pf
            return out

        return self._cached("parsed", compute)

    # -- derived views ---------------------------------------------------------------------------------------------

    def import_graph(self) -> dict[str, set[str]]:
        """Each parsed inventory file mapped to the inventory files it imports (see `resolve.py` for the rules)."""

        def compute() -> dict[str, set[str]]:
            parsed = self.parsed()
            extra = [p for p in self.all_files() if posixpath.basename(p) == "go.mod"]
            resolver = ImportResolver(self.files(), parsed, extra_files=extra, read_text=self.read_text)
            return build_import_graph(resolver, parsed)

        return self._cached("import_graph", compute)

    def known_names(self) -> set[str]:
        """Every name that exists in the repository: identifiers, symbol names and parents, import specifiers and
        their last segments, file and directory paths, basenames and stems. The verifier flags names a wiki cites
        that are not in this set."""

        def compute() -> set[str]:
            names: set[str] = set()
            for pf in self.parsed().values():
                names.update(pf.identifiers)
                for symbol in pf.symbols:
                    names.add(symbol.name)
                    if symbol.parent:
                        names.add(symbol.parent)
                for spec in pf.imports:
                    names.add(spec)
                    for sep in ("::", "\\", "/", "."):
                        if sep in spec:
                            names.add(spec.rstrip(sep + "*").rsplit(sep, 1)[-1])
            for rel in self.all_files():
                names.add(rel)
                base = posixpath.basename(rel)
                names.add(base)
                stem = base.split(".", 1)[0] if not base.startswith(".") else base
                names.add(stem)
                names.add(posixpath.splitext(base)[0])
                directory = posixpath.dirname(rel)
                while directory:
                    names.add(directory)
                    names.add(posixpath.basename(directory))
                    directory = posixpath.dirname(directory)
            names.discard("")
            return names

        return self._cached("known_names", compute)

    def central_modules(self, k: int = 10) -> list[str]:
        """The `k` most central source files: PageRank over the import graph (imported files gain rank), weighted
        by `log2(2 + lines)`; test files count a fifth; ties broken by path. Data files (JSON/YAML/Markdown) and
        files outside the parsed code languages are not candidates."""
        graph = self.import_graph()
        parsed = self.parsed()
        nodes = [p for p in graph if parsed[p].language in CODE_LANGUAGES]
        if not nodes or k <= 0:
            return []
        index = {p: i for i, p in enumerate(nodes)}
        n = len(nodes)
        out_edges = [[index[t] for t in sorted(graph[p]) if t in index] for p in nodes]
        rank = [1.0 / n] * n
        damping = 0.85
        for _ in range(50):
            new = [(1.0 - damping) / n] * n
            dangling = sum(rank[i] for i in range(n) if not out_edges[i])
            for i, targets in enumerate(out_edges):
                if targets:
                    share = damping * rank[i] / len(targets)
                    for t in targets:
                        new[t] += share
            spread = damping * dangling / n
            rank = [r + spread for r in new]
        scores = []
        for p in nodes:
            score = rank[index[p]] * n * math.log2(2 + parsed[p].line_count)
            if is_test_path(p):
                score *= 0.2
            scores.append((-score, p))
        return [p for _, p in sorted(scores)[:k]]


# --- opening ----------------------------------------------------------------------------------------------------------


def _git_state(root: Path) -> tuple[str | None, bool]:
    """(HEAD sha, dirty) of a checkout whose top level is `root`; (None, False) if it has no commit yet."""
    try:
        repo = git.Repo(root)
        try:
            head = repo.head.commit.hexsha
        except ValueError:  # no commits yet
            return None, True
        return head, repo.is_dirty(untracked_files=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return None, False


def _is_bare_repo(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _rev_parse(root: Path, commit: str) -> str | None:
    try:
        return git.Repo(root).git.rev_parse("--verify", "--quiet", f"{commit}^{{commit}}").strip() or None
    except (git.GitCommandError, git.InvalidGitRepositoryError):
        return None


def open_repo(
    source: str | Path,
    commit: str | None = None,
    cache_dir: Path | None = None,
    parse_cache: ParseCache | None = None,
) -> RepoSnapshot:
    """Open a local directory, a git checkout or a URL as a `RepoSnapshot`.

    Args:
        source: a directory, a bare repository, or a git URL (credentials in it are used and never recorded).
        commit: pin to this SHA/tag/branch. A local checkout at another commit, or a dirty one, is cloned into
            the cache and checked out there; a plain directory cannot be pinned.
        cache_dir: where clones live (default `$WIKIGYM_CACHE/repos` or `~/.cache/wikigym/repos`).
        parse_cache: parse cache for the snapshot (default: the process-wide one).

    Returns:
        The snapshot (files are read lazily).

    Raises:
        RepoNotFound: the path does not exist, the URL cannot be cloned, or the commit is not there.
    """
    text = str(source)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if isinstance(source, str) and is_url(text):
        root = clone_or_update(text, cache_dir, commit)
        head, dirty = _git_state(root)
        return RepoSnapshot(root, strip_credentials(text), head, dirty, repo_name(text), parse_cache)
    path = Path(text).expanduser()
    if not path.exists():
        raise RepoNotFound(f"repository {path} does not exist; pass a directory or a git URL")
    if not path.is_dir():
        raise RepoNotFound(f"repository {path} is a file, not a directory; pass a directory or a git URL")
    path = path.resolve()
    if _is_bare_repo(path) and not (path / ".git").exists():
        root = clone_or_update(str(path), cache_dir, commit)
        head, dirty = _git_state(root)
        return RepoSnapshot(root, str(path), head, dirty, repo_name(str(path)), parse_cache)
    if not (path / ".git").exists():
        if commit is not None:
            raise RepoNotFound(
                f"repository {path} is not a git checkout, so commit {commit} cannot be pinned; "
                "drop the commit or pass a git repository"
            )
        return RepoSnapshot(path, None, None, False, path.name, parse_cache)
    head, dirty = _git_state(path)
    if commit is None:
        return RepoSnapshot(path, None, head, dirty, path.name, parse_cache)
    wanted = _rev_parse(path, commit)
    if wanted is None:
        raise RepoNotFound(f"commit {commit} not found in repository {path}; check the SHA with `git log`")
    if wanted == head and not dirty:
        return RepoSnapshot(path, None, head, False, path.name, parse_cache)
    # Another commit (or uncommitted changes): read the pinned commit from a clone, never from this working tree.
    root = clone_or_update(str(path), cache_dir, wanted)
    head, dirty = _git_state(root)
    return RepoSnapshot(root, None, head, dirty, path.name, parse_cache)
