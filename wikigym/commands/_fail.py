"""The one way a command reports a failure: one `error:` line on stderr, secrets redacted, and the Exit to raise.

Redaction lives here rather than at each call site: messages can embed a `--repo` URL with a token or a library's
text quoting a key, and a command that forgets to redact would print it.
"""

from __future__ import annotations

import typer


def fail(error: BaseException | str, code: int = 2) -> typer.Exit:
    """Print `error` as one redacted `error:` line on stderr; return `typer.Exit(code)` for the caller to raise."""
    from wikigym.trajectories.secrets import redact

    typer.echo(f"error: {redact(str(error))}", err=True)
    return typer.Exit(code)
