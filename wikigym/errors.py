"""Errors a user can act on.

Every error a user can cause derives from `WikigymError`; its message names the thing that is wrong and the fix.
The CLI catches `WikigymError`, prints the message on one line and exits 2. Anything else is a bug and shows a
traceback.
"""


class WikigymError(Exception):
    """Base class: a message that names the thing and the fix."""


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
