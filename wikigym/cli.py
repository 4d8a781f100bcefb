"""`wikigym <verb>`: a thin typer shell over the library.

Each verb lives in `wikigym/commands/<verb>.py` and exposes `register(app)`; this module discovers them, so adding a
verb never edits this file. Library code never prints or exits: commands turn flags into a config, call one library
function and print its result. A `WikigymError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from wikigym import __version__
from wikigym.errors import WikigymError

app = typer.Typer(
    name="wikigym",
    help="A gym for SemanticWiki's wiki agent: sandboxed tools, trajectory recording, a verifier, SFT/DPO.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wikigym {__version__}")
        raise typer.Exit()


def _quiet_warnings() -> None:
    """One `warning: ...` line per problem on stderr, for every verb.

    Library code reports a repaired or skipped trajectory line twice on purpose: through `logging` (for people) and
    as a `TrajectoryRepairWarning` (for code that wants to catch it). On the command line the second copy printed a
    Python source path and line under the first; the logged line is the one a user should see.
    """
    import logging
    import warnings

    from wikigym.trajectories.store import TrajectoryRepairWarning

    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    warnings.filterwarnings("ignore", category=TrajectoryRepairWarning)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """wikigym: replay SemanticWiki's tools, record teachers, verify wikis, train gpt-oss."""
    _quiet_warnings()


def _register_commands() -> None:
    import wikigym.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"wikigym.commands.{info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    try:
        app()
    except WikigymError as e:
        from wikigym.commands._fail import fail

        fail(e)
        sys.exit(2)


if __name__ == "__main__":
    main()
