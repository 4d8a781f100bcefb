"""What the checks need to know about a repository, computed once per snapshot and cached.

`RepoIndex` wraps a `RepoSnapshot` (from `wikigym.repos.open_repo`, or the verifier's own `LocalRepo` when that
package is unavailable) and answers: does this path exist, how many lines does it have (SemanticWiki's rule:
`len(text.split('\\n'))`), which symbols does it define and where, which names exist anywhere in the repo (symbols,
identifiers, config keys, file names), and which modules are important. Line counts and symbols are read lazily per
file, so verifying a wiki that cites 30 files of a 5,000-file repo reads 30 files.

What it does not do: decide what is right or wrong in a wiki (the checks do).
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Any

_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def load_snapshot(repo: Path | str) -> Any:
    """Open a repository with `wikigym.repos.open_repo`, or the verifier's fallback `LocalRepo` if it is missing.

    A clone URL (a `str`, credentials allowed) is cloned into wikigym's cache like `wikigym record --repo URL` does,
    so a wiki can be verified against the URL it was recorded from; its credentials never appear in an error.
    """
    from wikigym.errors import RepoNotFound

    if isinstance(repo, str) and is_clone_url(repo):
        from wikigym.repos import open_repo  # URLs need the repos package (GitPython), no fallback

        return open_repo(repo)
    path = Path(repo).expanduser()
    if not path.is_dir():
        raise RepoNotFound(f"repository {path} does not exist or is not a directory; pass the checkout with --repo")
    try:
        from wikigym.repos import open_repo  # type: ignore[attr-defined]
    except ImportError:
        from wikigym.verifier.local_repo import LocalRepo

        return LocalRepo(path)
    return open_repo(path)


def is_clone_url(source: str) -> bool:
    """True for `scheme://...` and scp-like `user@host:path` sources, as `wikigym.repos.clone.is_url` decides."""
    try:
        from wikigym.repos.clone import is_url
    except ImportError:  # the verifier's fallback install: only plain URLs
        return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source))
    return is_url(source)


class RepoIndex:
    """Cached facts about one snapshot for the checks."""

    def __init__(self, snapshot: Any):
        self.snapshot = snapshot
        self._line_counts: dict[str, int] = {}
        self._symbols: dict[str, list[tuple[str, str, int, int]]] = {}

    @cached_property
    def all_files(self) -> frozenset[str]:
        getter = getattr(self.snapshot, "all_files", None) or self.snapshot.files
        return frozenset(str(f).replace(os.sep, "/") for f in getter())

    @cached_property
    def code_files(self) -> list[str]:
        return sorted(str(f) for f in self.snapshot.files())

    @cached_property
    def dirs(self) -> frozenset[str]:
        out: set[str] = set()
        for f in self.all_files:
            parts = f.split("/")
            for i in range(1, len(parts)):
                out.add("/".join(parts[:i]))
        return frozenset(out)

    @cached_property
    def by_basename(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for f in sorted(self.all_files):
            out.setdefault(f.rsplit("/", 1)[-1], []).append(f)
        return out

    def exists(self, rel: str) -> bool:
        return rel in self.all_files

    def find_path(self, rel: str) -> str | None:
        """The repo file `rel` names: exact, or a unique path ending with `/rel` (e.g. `auth.py` -> `src/auth.py`)."""
        if rel in self.all_files:
            return rel
        cands = self.by_basename.get(rel.rsplit("/", 1)[-1], [])
        hits = [c for c in cands if c == rel or c.endswith("/" + rel)]
        return hits[0] if len(hits) == 1 else None

    def line_count(self, rel: str) -> int:
        """SemanticWiki's line count: `len(content.split('\\n'))` (a trailing newline adds one line)."""
        n = self._line_counts.get(rel)
        if n is None:
            lines = getattr(self.snapshot, "lines", None)
            n = len(lines(rel)) if lines else self.snapshot.read_text(rel).count("\n") + 1
            self._line_counts[rel] = n
        return n

    def symbols(self, rel: str) -> list[tuple[str, str, int, int]]:
        """(name, kind, start_line, end_line) of the definitions tree-sitter finds in `rel` (1-based, inclusive)."""
        out = self._symbols.get(rel)
        if out is None:
            try:
                parsed = self.snapshot.parse(rel)
            except Exception:  # an unparseable file has no symbols, it is not a verifier failure
                parsed = None
            out = [(s.name, s.kind, int(s.start_line), int(s.end_line)) for s in (parsed.symbols if parsed else [])]
            self._symbols[rel] = out
        return out

    @cached_property
    def known_names(self) -> frozenset[str]:
        """Every name a wiki may mention without inventing it.

        "Exists somewhere in the repo" is taken literally: every word-like token of every text file (identifiers,
        symbols, config keys, environment variable names inside strings), every file name and stem, plus the
        snapshot's own `known_names()` (tree-sitter identifiers). Files over 2 MB or with NUL bytes are skipped.
        """
        names: set[str] = set()
        kn = getattr(self.snapshot, "known_names", None)
        if kn is not None:
            names |= {str(n) for n in kn()}
        for f in sorted(self.all_files):
            base = f.rsplit("/", 1)[-1]
            names.add(base)
            names.add(os.path.splitext(base)[0])
            try:
                text = self.snapshot.read_text(f)
            except Exception:  # unreadable (binary, vanished): it names nothing
                continue
            if len(text) > 2_000_000 or "\x00" in text[:8192]:
                continue
            names.update(_WORD_RE.findall(text))
        return frozenset(names)

    def important_modules(self, k: int) -> list[str]:
        """The k most important code files (import-graph centrality and size), best first."""
        central = getattr(self.snapshot, "central_modules", None)
        if central is None:
            from wikigym.verifier.local_repo import LocalRepo

            return LocalRepo(self.snapshot.root).central_modules(k)
        out = []
        for item in central(k):
            if isinstance(item, (tuple, list)):
                item = item[0]
            out.append(str(getattr(item, "path", item)))
        return out[:k]

