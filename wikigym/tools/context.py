"""The state a tool call sees: repo root, wiki root, profile, fidelity flags, clock, search index.

Tools are pure functions of `(ToolContext, args) -> str`: they read the repo, write only inside the wiki directory,
and return SemanticWiki's exact string. This module holds the context record and the Node-style errors that tools
raise so the dispatcher can wrap them the way SemanticWiki does (`Error executing <tool>: <message>`).

What it deliberately does not do: dispatch by name (see `toolset.py`) or build the search index (see `search/`).
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILES = ("semanticwiki-1.2.1", "accurate")
DEFAULT_PROFILE = "semanticwiki-1.2.1"


class _Unset:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "UNSET"


UNSET: Any = _Unset()


class NodeError(Exception):
    """An exception whose message is exactly what Node.js would put in `err.message`.

    Tools raise it for filesystem failures (ENOENT, EISDIR, ENOTDIR, type errors) so every tool family formats
    them the same way SemanticWiki's catch blocks do.
    """

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class ToolResult:
    """What a tool call returns: the text the model sees and whether the MCP layer flagged it as an error."""

    text: str
    is_error: bool = False


@dataclass
class ToolContext:
    """Everything a tool call depends on besides its arguments.

    Args:
        repo_root: absolute path of the repository the tools read (as SemanticWiki's `repoPath`).
        wiki_root: absolute path of the wiki output directory the write tools write into.
        profile: `semanticwiki-1.2.1` reproduces SemanticWiki's outputs byte for byte; `accurate` uses tree-sitter.
        allow_escape: fidelity flag. When True, paths are joined without containment exactly as SemanticWiki does
            (`../` and symlinks may leave the repo or wiki). For conformance tests only.
        now: frozen clock for frontmatter `generated`; None means the real clock.
        server_cwd: working directory of the filesystem MCP server (relative paths resolve against it).
        search_index: the search backend. UNSET builds SemanticWiki's index lazily on first search; None means
            "RAG system not initialized"; any object with a `search(...)` method is used as is.
        max_results: SemanticWiki's configured `--max-results` (caps SDK-mode search).
        compact_search: SemanticWiki's `--compact-search` for direct mode.
    """

    repo_root: Path
    wiki_root: Path
    profile: str = DEFAULT_PROFILE
    allow_escape: bool = False
    now: _dt.datetime | None = None
    server_cwd: Path | None = None
    search_index: Any = UNSET
    max_results: int = 10
    compact_search: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # SemanticWiki keeps both roots as path.resolve gives them (absolute, `..` folded), and Node's error
        # messages print the joined paths, so relative roots would leak into the outputs.
        self.repo_root = Path(os.path.abspath(self.repo_root))
        self.wiki_root = Path(os.path.abspath(self.wiki_root))
        if self.server_cwd is None:
            self.server_cwd = self.repo_root
        if self.profile not in PROFILES:
            from wikigym.errors import UnknownMode

            raise UnknownMode(f"unknown tool profile {self.profile!r}; use one of {', '.join(PROFILES)}")

    def now_iso(self) -> str:
        """The clock as JavaScript's `new Date().toISOString()` prints it (millisecond precision, `Z`)."""
        t = self.now or _dt.datetime.now(_dt.timezone.utc)
        if t.tzinfo is not None:
            t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    def get_search_index(self) -> Any:
        """The search backend, built on first use (SemanticWiki indexes before the agent starts)."""
        if self.search_index is UNSET:
            from wikigym.tools.search.index import build_index

            self.search_index = build_index(self)
        return self.search_index


def parse_iso(value: str) -> _dt.datetime:
    """Parse `--now` values such as `2026-01-02T03:04:05.678Z`."""
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(v)
