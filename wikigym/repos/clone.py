"""Clone or update a repository into a local cache (GitPython), credential-free, optionally pinned to a commit.

Credentials never leave this module:
- `strip_credentials` removes `user:password@` / `token@` from http(s) URLs (and the password, keeping the user,
  from other schemes such as `ssh://git:pw@host`), and token-like query parameters.
- The clone runs against the credential-free URL; the credentials travel as an `Authorization: Basic` header in
  git's environment (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0`/`GIT_CONFIG_VALUE_0`, scoped to the URL), so they are
  not on git's command line (which GitPython logs and puts in exception messages), not in `.git/config` and not
  in the cache directory's name. SemanticWiki embeds the token in the clone URL; we deliberately do not.
- Errors are `RepoNotFound` with one line naming the credential-free URL and the fix; git's own message is
  scrubbed of the secrets and the original exception is not chained.

The cache is keyed by the credential-free URL: `<cache_dir>/<name>-<sha256(url)[:12]>`. A fresh clone is made in a
temporary directory and renamed into place, so a concurrent or interrupted clone never leaves a half-made cache
entry. With `commit`, the checkout is detached at that commit (fetched when missing locally); without it, the
remote's default branch is fetched and checked out. Local paths, bare repositories and `file://` URLs work too.

Example:
    >>> strip_credentials("https://x-access-token:ghp_secret@github.com/o/r.git")
    'https://github.com/o/r.git'
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
import urllib.parse
from pathlib import Path

import git

from wikigym.errors import RepoNotFound

_SECRET_PARAMS = re.compile(r"(token|key|secret|password|passwd|auth|sig|signature)", re.IGNORECASE)
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")  # git@github.com:owner/repo.git
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def default_cache_dir() -> Path:
    """`$WIKIGYM_CACHE/repos`, or `~/.cache/wikigym/repos` when `WIKIGYM_CACHE` is unset."""
    env = os.environ.get("WIKIGYM_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "wikigym"
    return root / "repos"


def is_url(source: str) -> bool:
    """True for `scheme://...` and scp-like `user@host:path` sources (as opposed to local paths)."""
    return bool(_URL_SCHEME.match(source) or _SCP_LIKE.match(source))


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Return (credential-free URL, user, password) with user/password percent-decoded, or (url, None, None)."""
    if not _URL_SCHEME.match(url):
        return url, None, None
    parts = urllib.parse.urlsplit(url)
    user = password = None
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        raw_user, sep, raw_password = userinfo.partition(":")
        user = urllib.parse.unquote(raw_user) or None
        password = urllib.parse.unquote(raw_password) if sep else None
        if parts.scheme.lower() in ("http", "https", "ftp", "ftps", "file"):
            netloc = hostport
        else:
            netloc = f"{raw_user}@{hostport}" if raw_user else hostport  # keep ssh's login name, drop its password
            user = None
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _SECRET_PARAMS.search(k)]
        if len(kept) != len(pairs):  # rebuild only when something was dropped: other URLs stay byte for byte
            query = urllib.parse.urlencode(kept)
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    if parts.scheme.lower() == "file" and not netloc:
        clean = "file://" + parts.path  # urlunsplit drops the empty authority: keep file:///abs/path
    return clean, user, password


def strip_credentials(url: str) -> str:
    """Remove credentials from a clone URL; other URLs and local paths are returned unchanged.

    Args:
        url: e.g. `https://user:token@github.com/owner/repo.git` or `https://token@host/x`.

    Returns:
        The URL without userinfo (http/https/file) or without the password (other schemes), and without
        token-like query parameters.
    """
    return _split_credentials(url)[0]


def _secrets_of(url: str) -> list[str]:
    """Every form in which a URL's secrets might be echoed back (raw userinfo, decoded parts, query values)."""
    if not _URL_SCHEME.match(url):
        return []
    parts = urllib.parse.urlsplit(url)
    secrets: list[str] = []
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        secrets.append(userinfo)
        for piece in userinfo.split(":", 1):
            secrets.extend({piece, urllib.parse.unquote(piece)})
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAMS.search(key) and value:
            secrets.append(value)
    # Longest first, so "user:token" is replaced before "user"; very short strings would mangle messages.
    return sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """Replace any secret of `url` (and the credentialed URL itself) in `text` by `***`."""
    clean = strip_credentials(url)
    if url != clean:
        text = text.replace(url, clean)
    for secret in _secrets_of(url):
        text = text.replace(secret, "***")
    return text


def _git_env(url: str) -> dict[str, str]:
    """Environment for git: never prompt; pass http(s) credentials as a URL-scoped auth header."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
    clean, user, password = _split_credentials(url)
    scheme = urllib.parse.urlsplit(clean).scheme.lower() if _URL_SCHEME.match(clean) else ""
    if scheme in ("http", "https") and (user or password):
        token = base64.b64encode(f"{user or ''}:{password or ''}".encode()).decode()
        parts = urllib.parse.urlsplit(clean)
        scope = f"{parts.scheme}://{parts.netloc}/"
        env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"http.{scope}.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {token}",
            }
        )
    return env


def _normalise_source(url: str) -> str:
    """Local paths become absolute (so one repo has one cache key); URLs are returned credential-free."""
    if is_url(url):
        return strip_credentials(url)
    return str(Path(url).expanduser().resolve())


def repo_name(url: str) -> str:
    """Short name of a repository from its URL or path: the last path component without `.git`."""
    clean = strip_credentials(url).rstrip("/")
    tail = re.split(r"[/:\\]", clean)[-1] if clean else ""
    tail = tail.removesuffix(".git")
    return tail or "repo"


def cache_path(url: str, cache_dir: Path) -> Path:
    """Where `url` is cloned inside `cache_dir` (credential-free name)."""
    key = _normalise_source(url)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", repo_name(key))[:60]
    return Path(cache_dir) / f"{safe}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _reason(error: Exception, url: str) -> str:
    """git's last meaningful stderr line, scrubbed, on one line.

    GitPython wraps git's stderr as `\n  stderr: 'Cloning into ...\nfatal: ...\n'`, so the last raw line is a lone
    quote: quotes are stripped per line before empty lines are dropped, and a `fatal:`/`error:` line is preferred.
    """
    stderr = getattr(error, "stderr", "") or str(error)
    lines = [ln.strip().strip("'\" ") for ln in str(stderr).splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("stderr:")]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    reason = (fatal or lines or [type(error).__name__])[-1]
    return scrub(reason, url)[:300]


def _resolve_commit(repo: git.Repo, commit: str) -> str | None:
    """Full SHA of a revision; a remote branch wins over a stale local branch of the same name."""
    for candidate in (f"refs/remotes/origin/{commit}", commit):
        try:
            return repo.git.rev_parse("--verify", "--quiet", f"{candidate}^{{commit}}").strip() or None
        except git.GitCommandError:
            continue
    return None


def _checkout(repo: git.Repo, rev: str) -> None:
    repo.git.checkout("--detach", "--force", rev)
    repo.git.clean("-ffdxq")


def clone_or_update(url: str, cache_dir: Path | None = None, commit: str | None = None) -> Path:
    """Clone `url` into the cache (or update the cached clone) and check out `commit` or the default branch.

    Args:
        url: https/ssh/file URL (credentials allowed, never stored), a local repository path or a bare repository.
        cache_dir: directory holding clones; default `default_cache_dir()`.
        commit: SHA (full or abbreviated), tag or branch to check out detached. Without it the remote is fetched
            and its default branch checked out.

    Returns:
        The path of the checkout.

    Raises:
        RepoNotFound: the URL cannot be cloned or fetched, or the commit does not exist there.
    """
    safe_url = _normalise_source(url)
    if not is_url(url) and not Path(safe_url).exists():
        raise RepoNotFound(f"repository {safe_url} does not exist; pass a directory or a git URL")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    dest = cache_path(url, cache_dir)
    clean_url = safe_url
    env = _git_env(url)
    try:
        repo = _open_cached(dest)
        if repo is not None:
            with repo.git.custom_environment(**env):
                _update(repo, clean_url, commit)
        else:
            repo = _fresh_clone(clean_url, dest, env)
            with repo.git.custom_environment(**env):
                if commit is not None:
                    _update(repo, clean_url, commit)
    except RepoNotFound:
        raise
    except (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError, OSError) as error:
        raise RepoNotFound(
            f"cannot clone {safe_url}: {_reason(error, url)}; check the URL and your access "
            "(for a private repository put a token in the URL: https://<token>@host/owner/repo)"
        ) from None
    return dest


def _open_cached(dest: Path) -> git.Repo | None:
    """The cached clone, or None when there is none; a broken one (interrupted by hand, disk trouble) is removed."""
    if not dest.exists():
        return None
    try:
        repo = git.Repo(dest)
        repo.git.rev_parse("--verify", "--quiet", "HEAD")
        return repo
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError, ValueError):
        shutil.rmtree(dest, ignore_errors=True)
        return None


def _fresh_clone(clean_url: str, dest: Path, env: dict[str, str]) -> git.Repo:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{dest.name}-", dir=dest.parent))
    try:
        git.Repo.clone_from(clean_url, tmp, env=env)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not (dest / ".git").exists():
                raise
            # Another process finished the same clone first: use theirs.
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return git.Repo(dest)


def _update(repo: git.Repo, clean_url: str, commit: str | None) -> None:
    """Check out `commit` (fetching only if it is missing) or fetch and check out the remote's default branch."""
    if commit is not None:
        # A branch must be re-read after a fetch; a SHA or tag already present needs no network.
        sha = None if _is_remote_branch(repo, commit) else _resolve_commit(repo, commit)
        if sha is None:
            repo.git.fetch("--tags", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*")
            sha = _resolve_commit(repo, commit)
        if sha is None:
            try:
                repo.git.fetch("origin", commit)  # a commit no branch points to (servers allowing it)
                sha = _resolve_commit(repo, "FETCH_HEAD") if re.fullmatch(r"[0-9a-fA-F]{7,40}", commit) else None
                if sha is not None and not sha.lower().startswith(commit.lower()):
                    sha = None
            except git.GitCommandError:
                sha = None
        if sha is None:
            raise RepoNotFound(
                f"commit {commit} not found in {clean_url}; check the SHA (git ls-remote {clean_url}) "
                "or pass no commit to use the default branch"
            )
        _checkout(repo, sha)
        return
    repo.git.fetch("--tags", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*")
    head = _resolve_commit(repo, "HEAD") if _is_remote_branch(repo, "HEAD") else None
    if head is None:  # remote HEAD unknown (e.g. a bare repo whose HEAD names a missing branch): follow our branch
        branch = None if repo.head.is_detached else repo.active_branch.name
        head = _resolve_commit(repo, branch) if branch and _is_remote_branch(repo, branch) else None
    if head is not None:
        _checkout(repo, head)


def _is_remote_branch(repo: git.Repo, name: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", f"refs/remotes/origin/{name}")
        return True
    except git.GitCommandError:
        return False
