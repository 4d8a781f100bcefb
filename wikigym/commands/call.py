"""`wikigym call` and `wikigym tools`: run one SemanticWiki tool, or print the schemas of a name set."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from wikigym.commands._fail import fail
from wikigym.errors import RepoNotFound, ToolArgumentError, WikiDirError
from wikigym.tools.context import DEFAULT_PROFILE, ToolContext, parse_iso
from wikigym.tools.node_fs import node_stdout_text
from wikigym.tools.toolset import MODES, check_mode, raw_schemas, tool_schemas


def run_call(tool: str, args_json: str, repo: str | Path, wiki: Path, mode: str, profile: str, now: str | None,
             allow_escape: bool) -> tuple[str, bool]:
    """Library entry point for `wikigym call`: returns (output, is_error).

    `repo` is a directory or, as the README's "Repositories" note promises, a clone URL (cloned into wikigym's cache
    at its default branch; credentials are used, never shown).
    """
    from wikigym.repos.clone import is_url
    from wikigym.tools.toolset import ToolSet

    check_mode(mode)
    try:
        args = json.loads(args_json)
    except json.JSONDecodeError as e:
        raise ToolArgumentError(f"tool arguments are not valid JSON ({e.msg} at column {e.colno}); "
                                f"pass an object such as '{{\"path\": \"README.md\"}}'") from None
    if not isinstance(args, dict):
        raise ToolArgumentError("tool arguments must be a JSON object such as '{\"path\": \"README.md\"}'")
    if isinstance(repo, str) and is_url(repo):
        from wikigym.repos import open_repo

        repo = Path(open_repo(repo).root)
    # path.resolve, as SemanticWiki resolves -r and -o: absolute and normalised lexically (`x/../y` is `y`).
    repo = Path(os.path.abspath(Path(repo).expanduser()))
    if not repo.is_dir():
        raise RepoNotFound(f"repository directory {repo} does not exist; pass an existing checkout with --repo")
    wiki = Path(os.path.abspath(wiki.expanduser()))
    if wiki.exists() and not wiki.is_dir():
        raise WikiDirError(f"wiki path {wiki} is a file, not a directory; pass a directory with --wiki")
    if not wiki.parent.is_dir():
        raise WikiDirError(f"the parent of wiki directory {wiki} does not exist; create it or pass another --wiki")
    try:
        frozen = parse_iso(now) if now else None
    except ValueError:
        raise ToolArgumentError(f"--now {now!r} is not an ISO timestamp such as 2026-01-02T03:04:05.678Z") from None
    ctx = ToolContext(repo_root=repo, wiki_root=wiki, profile=profile, allow_escape=allow_escape, now=frozen)
    res = ToolSet(ctx, mode=mode).call(tool, args)
    return res.text, res.is_error


def register(app: typer.Typer) -> None:
    @app.command("call")
    def call(
        tool: str = typer.Argument(..., help="Tool name, e.g. read_file or mcp__semanticwiki__search_codebase."),
        args_json: str = typer.Argument("{}", metavar="JSON_ARGS", help="Tool arguments as a JSON object."),
        # A str, not a Path: Path would turn a clone URL's https:// into https:/ (and show its token in the error).
        repo: str = typer.Option(..., "--repo", help="Repository the tools read: a directory or a clone URL."),
        wiki: Path = typer.Option(Path("wiki-out"), "--wiki", help="Wiki directory the write tools write into."),
        mode: str = typer.Option("direct", "--mode", help=f"Name set: {', '.join(MODES)}."),
        profile: str = typer.Option(DEFAULT_PROFILE, "--profile", help="semanticwiki-1.2.1 (byte-exact) or accurate."),
        now: str = typer.Option(None, "--now", help="Freeze the clock for frontmatter `generated` (ISO timestamp)."),
        allow_escape: bool = typer.Option(False, "--allow-escape",
                                          help="FIDELITY ONLY: reproduce SemanticWiki's uncontained paths "
                                               "(../ and symlinks may leave the repo or wiki). Conformance tests only."),
    ) -> None:
        """Run one SemanticWiki tool and print its output exactly (no newline added)."""
        if allow_escape:
            typer.echo("warning: --allow-escape: paths are NOT contained to the repo and wiki (SemanticWiki fidelity)",
                       err=True)
        try:
            text, _ = run_call(tool, args_json, repo, wiki, mode, profile, now, allow_escape)
        except (ToolArgumentError, WikiDirError, RepoNotFound) as e:
            raise fail(e)
        except Exception as e:  # UnknownMode and friends
            from wikigym.errors import WikigymError

            if isinstance(e, WikigymError):
                raise fail(e)
            raise
        sys.stdout.write(node_stdout_text(text))
        sys.stdout.flush()

    @app.command("tools")
    def tools(
        mode: str = typer.Option("direct", "--mode", help=f"Name set: {', '.join(MODES)}."),
        raw: bool = typer.Option(False, "--raw", help="Print SemanticWiki's own listing (MCP tools/list shape)."),
    ) -> None:
        """Print the tool schemas of a name set as JSON."""
        from wikigym.errors import WikigymError

        try:
            data = raw_schemas(mode) if raw else tool_schemas(mode)
        except WikigymError as e:
            raise fail(e)
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
