"""One episode's environment: a repository snapshot, a fresh wiki directory and SemanticWiki's tools over both.

`Sandbox` binds a `RepoSnapshot` (read-only repo at a pinned commit), a wiki directory that belongs to this episode
alone, and a `ToolSet` in the run's name set (`direct` or `sdk`) and tool profile. The agent loop calls tools only
through it, so the loop and the policies never touch the filesystem themselves. Fidelity flags live in
`SandboxConfig`; the default is the secure behaviour (paths contained to the repo and the wiki).

The search index is built once per repository snapshot and process and shared by the episodes that use it
(SemanticWiki indexes once before its agent starts).

What it deliberately does not do: run tools in a subprocess or container (tools are pure Python functions that write
only inside the wiki directory), or clone repositories (see `wikigym.repos`).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wikigym.errors import WikiDirError
from wikigym.tools.context import DEFAULT_PROFILE, UNSET, ToolContext, ToolResult, parse_iso
from wikigym.tools.toolset import ToolSet, check_mode

_INDEX_CACHE: dict[tuple[str, str | None, str], Any] = {}
_INDEX_LOCK = threading.Lock()


class SandboxConfig(BaseModel):
    """How an episode's tools behave."""

    model_config = ConfigDict(extra="forbid")

    mode: str = Field("direct", description="Tool name set: direct (SemanticWiki --direct-api) or sdk (mcp__* names).")
    profile: str = Field(DEFAULT_PROFILE, description="Tool profile: semanticwiki-1.2.1 (byte-exact) or accurate.")
    allow_escape: bool = Field(False, description="FIDELITY ONLY: SemanticWiki's uncontained paths (../ may leave "
                                                  "the repo or wiki). Never for real recording.")
    now: str | None = Field(None, description="Freeze the frontmatter clock (ISO timestamp); None = real clock.")
    max_results: int = Field(10, ge=1, description="SemanticWiki's --max-results (caps SDK-mode search).")
    compact_search: bool = Field(False, description="SemanticWiki's --compact-search (direct-mode search results cut).")


class Sandbox:
    """Repo snapshot + this episode's wiki directory + SemanticWiki's tools.

    Args:
        snapshot: a `RepoSnapshot` (needs `.root`, `.commit`; `.url`, `.name`, `.dirty` are recorded).
        wiki_dir: the episode's own wiki directory; created if missing, must be empty unless `reuse=True`.
        config: tool behaviour (name set, profile, fidelity flags).

    Example:
        >>> sb = Sandbox(open_repo("."), Path("runs/x/wikis/ep1"), SandboxConfig(mode="direct"))  # doctest: +SKIP
        >>> sb.call("list_directory", {"path": ""}).text  # doctest: +SKIP
    """

    def __init__(self, snapshot: Any, wiki_dir: str | os.PathLike[str], config: SandboxConfig | None = None,
                 reuse: bool = False):
        self.config = config or SandboxConfig()
        check_mode(self.config.mode)
        if self.config.mode == "fs-mcp":
            raise WikiDirError("an episode sandbox needs the direct or sdk name set, not fs-mcp (which has no wiki "
                               "tools); pass --mode direct or --mode sdk")
        self.snapshot = snapshot
        self.wiki_dir = Path(wiki_dir).absolute()
        if self.wiki_dir.exists() and not self.wiki_dir.is_dir():
            raise WikiDirError(f"wiki path {self.wiki_dir} is a file; pass a directory")
        if self.wiki_dir.is_dir() and any(self.wiki_dir.iterdir()) and not reuse:
            raise WikiDirError(f"wiki directory {self.wiki_dir} is not empty; each episode needs a fresh one")
        self.wiki_dir.mkdir(parents=True, exist_ok=True)
        self._key = (str(Path(snapshot.root).resolve()), getattr(snapshot, "commit", None), self.config.profile)
        with _INDEX_LOCK:
            index = _INDEX_CACHE.get(self._key, UNSET)
        self.ctx = ToolContext(repo_root=Path(snapshot.root).absolute(), wiki_root=self.wiki_dir,
                               profile=self.config.profile, allow_escape=self.config.allow_escape,
                               now=parse_iso(self.config.now) if self.config.now else None,
                               search_index=index, max_results=self.config.max_results,
                               compact_search=self.config.compact_search)
        self.tools = ToolSet(self.ctx, mode=self.config.mode)
        self._direct: ToolSet | None = None

    @property
    def mode(self) -> str:
        return self.config.mode

    def schemas(self) -> list[dict[str, Any]]:
        """The tool schemas offered to the model (Anthropic shape)."""
        return self.tools.schemas()

    def call(self, name: str, args: Any) -> ToolResult:
        """Run one tool call; a tool's own failure comes back as its output string, never as an exception."""
        result = self.tools.call(name, args)
        self._remember_index()
        return result

    def _remember_index(self) -> None:
        idx = self.ctx.search_index
        if idx is not UNSET and idx is not None:
            with _INDEX_LOCK:
                _INDEX_CACHE.setdefault(self._key, idx)

    # -- wiki state -------------------------------------------------------------------------------------------

    def completeness_report(self) -> str:
        """The direct-mode `verify_wiki_completeness` report (the verification loop reads it whatever the name set)."""
        if self._direct is None:
            self._direct = ToolSet(self.ctx, mode="direct")
        return self._direct.call("verify_wiki_completeness", {}).text

    def broken_links(self) -> list[dict[str, str]]:
        """Broken wiki links as SemanticWiki's verifier lists them: [{target (as written), source, resolved}].

        Parsed from the direct-mode report (`- <target> (referenced from <source>)`, one per resolved target);
        `resolved` is the target relative to the wiki root, as SemanticWiki's `resolvedTarget`.
        """
        out = []
        for line in self.completeness_report().splitlines():
            if not line.startswith("- ") or " (referenced from " not in line or not line.endswith(")"):
                continue
            target, source = line[2:-1].rsplit(" (referenced from ", 1)
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
            out.append({"target": target, "source": source, "resolved": resolved})
        return out

    def wiki_files(self) -> dict[str, str]:
        """Every file under the wiki directory (dot-directories skipped): relative path -> text."""
        files: dict[str, str] = {}
        for dirpath, dirnames, filenames in os.walk(self.wiki_dir):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                rel = p.relative_to(self.wiki_dir).as_posix()
                try:
                    files[rel] = p.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
        return files

    def seed_wiki(self, files: dict[str, str]) -> None:
        """Place an existing wiki's files (for `continue` and `update` tasks) before the episode starts."""
        for rel, text in files.items():
            target = (self.wiki_dir / rel).resolve()
            if not str(target).startswith(str(self.wiki_dir.resolve()) + os.sep):
                raise WikiDirError(f"seed wiki file {rel!r} lies outside the wiki directory; use relative paths")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def write_output(self, rel: str, text: str) -> None:
        """Write a single-turn task's answer where SemanticWiki's local mode puts it (raw, no frontmatter)."""
        self.seed_wiki({rel: text})

    def reset_wiki(self) -> None:
        """Empty the wiki directory (an interrupted episode that is recorded again starts clean)."""
        if self.wiki_dir.exists():
            shutil.rmtree(self.wiki_dir)
        self.wiki_dir.mkdir(parents=True)
