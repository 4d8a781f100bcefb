"""Redact API keys, tokens and URL credentials from anything wikigym writes.

Every trajectory line and every log message the recorder emits passes through `redact` (strings) or `redact_obj`
(nested JSON-like data) first, so a key that leaks into a prompt, a tool output, an error message or a clone URL
never reaches disk. Two kinds of secret are caught:

- values of environment variables whose names say they are secret (`*_API_KEY`, `*_KEY`, `*TOKEN*`, `*SECRET*`,
  `*_PASSWORD`, `*_CREDENTIALS`, at least 8 characters), plus any value registered with `register_secret` (an API key passed on the
  command line, say);
- well-known token shapes (Anthropic/OpenAI `sk-...`, GitHub `ghp_...`/`github_pat_...`, GitLab, Slack, Hugging Face,
  AWS access key ids), `user:password@` in URLs, and `Authorization: Bearer ...` / `x-api-key: ...` headers.

What it deliberately does not do: guess at high-entropy strings (that would mangle hashes and commit ids in tool
outputs). A repository that contains a literal key in its files gets that key redacted in the recorded tool output,
which is the price of the guarantee.

Example:
    >>> redact("clone https://bob:ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x/y.git")
    'clone https://<redacted>@github.com/x/y.git'
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

MARK = "<redacted>"

_SECRET_NAME = re.compile(r"(?:^|_)(?:API_?KEY|ACCESS_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(?:_|$)"
                          r"|APIKEY|SECRET|TOKEN", re.IGNORECASE)
_MIN_SECRET_LEN = 8
# Environment variables whose names look secret but whose values are not (paths, flags).
_NOT_SECRET_NAMES = {"SSH_AUTH_SOCK", "GPG_AGENT_INFO", "KEYTIMEOUT", "PYTHONHASHSEED", "XAUTHORITY"}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}"), MARK),
    (re.compile(r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}"), MARK),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), MARK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), MARK),
    (re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), MARK),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"), MARK),
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}"), MARK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), MARK),
    # scheme://user[:password]@host  ->  scheme://<redacted>@host (the literal placeholder `<token>@` of wikigym's own
    # "put a token in the URL: https://<token>@host/..." advice is left as is, or the advice would read <redacted>)
    (re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://)(?!<token>@)[^/\s:@]+(?::[^/\s@]*)?@"), r"\1" + MARK + "@"),
    (re.compile(r"(?i)(authorization:\s*(?:bearer|basic|token)\s+)[^\s\"']+"), r"\1" + MARK),
    (re.compile(r"(?i)((?:x-api-key|api[-_]key)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9_\-]{8,}"), r"\1" + MARK),
]

_registered: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Treat `value` as a secret from now on (e.g. an API key given as a flag rather than in the environment)."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _lock:
            _registered.add(value)


def _known_values() -> list[str]:
    vals = set(_registered)
    for name, value in os.environ.items():
        if name in _NOT_SECRET_NAMES or not _SECRET_NAME.search(name):
            continue
        if len(value) >= _MIN_SECRET_LEN and not value.startswith("/"):
            vals.add(value)
    # Longest first, so a key that contains another key is replaced whole.
    return sorted(vals, key=len, reverse=True)


def redact(text: str) -> str:
    """Return `text` with every secret replaced by `<redacted>`."""
    if not text:
        return text
    for value in _known_values():
        if value in text:
            text = text.replace(value, MARK)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact_obj(obj: Any) -> Any:
    """`redact` applied to every string (keys included) inside dicts, lists and tuples; other values unchanged."""
    values = _known_values()

    def one(s: str) -> str:
        if not s:
            return s
        for value in values:
            if value in s:
                s = s.replace(value, MARK)
        for pattern, repl in _PATTERNS:
            s = pattern.sub(repl, s)
        return s

    def walk(o: Any) -> Any:
        if isinstance(o, str):
            return one(o)
        if isinstance(o, dict):
            return {one(k) if isinstance(k, str) else k: walk(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [walk(v) for v in o]
        return o

    return walk(obj)
