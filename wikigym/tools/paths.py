"""Path joining as Node's `path.join` does it, and the containment check wikigym adds by default.

SemanticWiki joins model-supplied paths onto the repo or wiki root with `path.join`, so `../x` leaves the root and
`/etc/passwd` is re-rooted under it. We reproduce the join exactly (the strings appear in error messages) and, unless
the `allow_escape` fidelity flag is on, refuse any path that lands outside its root lexically or through a symlink.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path


def node_normalize(p: str) -> str:
    """Node's `path.posix.normalize`: collapse `//`, `.` and `..`, keep a trailing slash, '' -> '.'."""
    if p == "":
        return "."
    is_abs = p.startswith("/")
    trailing = p.endswith("/")
    parts: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not is_abs:
                parts.append("..")
            continue
        parts.append(seg)
    out = "/".join(parts)
    if is_abs:
        out = "/" + out
    if not out:
        out = "/" if is_abs else "."
    if trailing and out != "/":
        out += "/"
    return out


def node_join(*parts: str) -> str:
    """Node's `path.join`: join the non-empty parts with '/', then normalize.

    >>> node_join("/r/small", "/etc/passwd")
    '/r/small/etc/passwd'
    >>> node_join("/r/small", "../outside/x")
    '/r/outside/x'
    """
    joined = "/".join(str(p) for p in parts if str(p) != "")
    return node_normalize(joined) if joined else "."


def node_resolve(cwd: str, p: str) -> str:
    """Node's `path.resolve(cwd, p)` (absolute result, no trailing slash)."""
    out = p if p.startswith("/") else node_join(cwd, p)
    out = node_normalize(out)
    if len(out) > 1 and out.endswith("/"):
        out = out[:-1]
    return out


def is_within(root: str | Path, target: str | Path) -> bool:
    """True when `target` stays inside `root`, both lexically and after resolving symlinks.

    A path that does not exist yet (a page about to be written) is checked through its nearest existing parent.
    """
    root_s = posixpath.normpath(str(root))
    tgt_s = posixpath.normpath(str(target))
    if not (tgt_s == root_s or tgt_s.startswith(root_s.rstrip("/") + "/")):
        return False
    real_root = os.path.realpath(root_s)
    probe = tgt_s
    while not os.path.lexists(probe) and probe != root_s:
        probe = posixpath.dirname(probe)
    real = os.path.realpath(probe)
    return real == real_root or real.startswith(real_root.rstrip("/") + "/")


def has_nul(p: str) -> bool:
    """Paths with NUL bytes make Node throw ERR_INVALID_ARG_VALUE; we refuse them before touching the disk."""
    return "\x00" in p
