"""Errors a user can act on.

Every error a user can cause derives from `WikigymError`; its message names the thing that is wrong and the fix.
The CLI catches `WikigymError`, prints the message on one line and exits 2. Anything else is a bug and shows a
traceback.
"""

from __future__ import annotations

import re
from pathlib import Path


class WikigymError(Exception):
    """Base class: a message that names the thing and the fix.

    The message is kept on one line (line breaks and the indentation around them become one space): the CLI prints
    it as one `error:` line, and messages often embed a library's multi-line text (transformers' "cannot load model"
    advice, git's stderr).
    """

    def __init__(self, *args: object):
        if args and isinstance(args[0], str):
            args = (re.sub(r"\s*[\r\n]+\s*", " ", args[0]).strip(),) + args[1:]
        super().__init__(*args)


class RepoNotFound(WikigymError):
    """A repository path or URL that cannot be opened or cloned."""


class WikiDirError(WikigymError):
    """A wiki directory that cannot be used."""


class ToolArgumentError(WikigymError):
    """Malformed tool arguments given on the command line (not a tool's own error string)."""

    def __init__(self, message: str, code: str = "invalid_arguments"):
        super().__init__(message)
        self.code = code


class UnknownMode(WikigymError):
    """A tool name set or profile that does not exist."""


class TrajectoryCorrupt(WikigymError):
    """A trajectory file that cannot be read as written."""


class ConfigError(WikigymError):
    """A configuration value that is out of range or of the wrong kind."""


class OutputPathError(WikigymError):
    """An output path (--out, --html) that cannot be created or written."""


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output_dir(path: str | Path, flag: str) -> Path:
    """Check, without creating anything, that `path` can become an output directory; return it as a Path.

    Commands call this before slow work (opening or cloning repositories, scoring) so that a typo in `--out` costs
    one clear line instead of a traceback after minutes, and so that a refused run leaves no empty directories.
    Raises OutputPathError naming the path, what is wrong and the fix.
    """
    import os

    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"{flag} {p} is a file, not a directory; pass a directory path (it is created if "
                              f"missing)")
    base = _nearest_existing(p)
    if not base.is_dir():
        raise OutputPathError(f"{flag} {p} cannot be created: {base} is a file; pass a path under a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputPathError(f"{flag} {p} cannot be created: {base} is not writable; pass a writable directory")
    return p


def make_output_dir(path: str | Path, flag: str) -> Path:
    """Create the output directory `path` (parents included), turning OS refusals into one OutputPathError line."""
    p = check_output_dir(path, flag)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputPathError(f"{flag} {p} cannot be created ({e.strerror or type(e).__name__}); pass a writable "
                              f"directory") from None
    return p


def check_output_file(path: str | Path, flag: str) -> Path:
    """Check, without writing, that a file can be written at `path` (an existing directory there is refused)."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise OutputPathError(f"{flag} {p} is a directory; pass a file path such as {p / 'report.html'}")
    check_output_dir(p.parent, f"{flag} directory")
    return p
