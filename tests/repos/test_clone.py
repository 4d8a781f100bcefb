"""Cloning into the cache: local bare repos and file:// URLs, pinned commits, updates, credential hygiene."""

from __future__ import annotations

import base64
import logging

import pytest

from tests.repos.conftest import commit_files, git
from wikigym.errors import RepoNotFound
from wikigym.repos.clone import _git_env, cache_path, clone_or_update, default_cache_dir, scrub, strip_credentials

SECRET = "ghp_S3cretTokenValue42"


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        (f"https://user:{SECRET}@github.com/o/r.git", "https://github.com/o/r.git"),
        (f"https://{SECRET}@github.com/o/r", "https://github.com/o/r"),
        (f"http://x-access-token:{SECRET}@git.example.com:8443/o/r.git", "http://git.example.com:8443/o/r.git"),
        (f"https://github.com/o/r.git?access_token={SECRET}&ref=main", "https://github.com/o/r.git?ref=main"),
        (f"ssh://git:{SECRET}@host/o/r.git", "ssh://git@host/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        (f"file://u:{SECRET}@/srv/repos/r.git", "file:///srv/repos/r.git"),
        ("/srv/repos/r.git", "/srv/repos/r.git"),
    ],
)
def test_strip_credentials(url, clean):
    assert strip_credentials(url) == clean
    assert SECRET not in strip_credentials(url)


def test_scrub_replaces_every_form_of_the_secret():
    url = f"https://user:{SECRET}@github.com/o/r.git"
    message = f"fatal: unable to access '{url}': auth {SECRET} rejected"
    assert SECRET not in scrub(message, url)
    assert "https://github.com/o/r.git" in scrub(message, url)


def test_credentials_travel_as_a_scoped_header_not_in_the_url():
    env = _git_env(f"https://user:{SECRET}@github.com/o/r.git")
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"] == "Authorization: Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    assert "GIT_CONFIG_COUNT" not in _git_env("https://github.com/o/r.git")


def test_cache_key_ignores_credentials(tmp_path):
    assert cache_path(f"https://u:{SECRET}@h/o/r.git", tmp_path) == cache_path("https://h/o/r.git", tmp_path)
    assert SECRET not in str(cache_path(f"https://u:{SECRET}@h/o/r.git", tmp_path))
    assert cache_path("https://h/o/r.git", tmp_path).name.startswith("r-")


def test_default_cache_dir_follows_env(isolated_cache):
    assert default_cache_dir() == isolated_cache / "repos"


def test_clone_bare_repo_default_branch(bare_repo, tmp_path):
    bare, _, second = bare_repo
    checkout = clone_or_update(str(bare), tmp_path / "cache")
    assert (checkout / "app/main.py").read_text() == "VERSION = 2\n"
    assert (checkout / "app/extra.py").exists()
    assert git(checkout, "rev-parse", "HEAD") == second


def test_clone_pins_first_commit_then_moves(bare_repo, tmp_path):
    bare, first, second = bare_repo
    cache = tmp_path / "cache"
    checkout = clone_or_update(f"file://{bare}", cache, commit=first)
    assert git(checkout, "rev-parse", "HEAD") == first
    assert (checkout / "app/main.py").read_text() == "VERSION = 1\n"
    assert not (checkout / "app/extra.py").exists()
    # Same cache entry, another pin: abbreviated SHA accepted; untracked leftovers are cleaned.
    (checkout / "stray.txt").write_text("left behind")
    again = clone_or_update(f"file://{bare}", cache, commit=second[:10])
    assert again == checkout
    assert git(checkout, "rev-parse", "HEAD") == second and not (checkout / "stray.txt").exists()


def test_update_fetches_new_commits(two_commit_repo, bare_repo, tmp_path):
    work, _, _ = two_commit_repo
    bare, _, _ = bare_repo
    cache = tmp_path / "cache"
    clone_or_update(str(bare), cache)
    git(work, "remote", "add", "origin", str(bare))
    third = commit_files(work, {"app/new.py": "NEW = 3\n"}, "third")
    git(work, "push", "-q", "origin", "main")
    checkout = clone_or_update(str(bare), cache)
    assert git(checkout, "rev-parse", "HEAD") == third and (checkout / "app/new.py").exists()


def test_missing_commit_is_one_line_naming_url_and_fix(bare_repo, tmp_path):
    bare, _, _ = bare_repo
    with pytest.raises(RepoNotFound) as info:
        clone_or_update(str(bare), tmp_path / "cache", commit="0123456789abcdef0123456789abcdef01234567")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("commit 0123456789abcdef0123456789abcdef01234567 not found in ")
    assert str(bare) in message and "check the SHA" in message


def test_missing_local_path(tmp_path):
    with pytest.raises(RepoNotFound, match=r"^repository .*/nope does not exist; pass a directory or a git URL$"):
        clone_or_update(str(tmp_path / "nope"), tmp_path / "cache")


def test_bad_file_url(tmp_path):
    with pytest.raises(RepoNotFound) as info:
        clone_or_update(f"file://{tmp_path}/missing.git", tmp_path / "cache")
    message = str(info.value)
    assert message.startswith(f"cannot clone file://{tmp_path}/missing.git: ") and "\n" not in message
    assert not list((tmp_path / "cache").glob("*")), "a failed clone leaves no cache entry"


def test_token_never_reaches_errors_or_logs(tmp_path, caplog):
    # Port 1 on localhost refuses at once: the clone fails without any network access.
    url = f"https://x-access-token:{SECRET}@127.0.0.1:1/owner/repo.git"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RepoNotFound) as info:
        clone_or_update(url, tmp_path / "cache")
    error = info.value
    assert "https://127.0.0.1:1/owner/repo.git" in str(error)
    for text in (str(error), repr(error), str(error.__context__), repr(error.__context__), caplog.text):
        assert SECRET not in text
    assert error.__cause__ is None and error.__suppress_context__
    for path in (tmp_path / "cache").rglob("*"):
        assert SECRET not in path.name


def test_broken_cache_entry_is_recloned(bare_repo, tmp_path):
    bare, _, second = bare_repo
    cache = tmp_path / "cache"
    checkout = clone_or_update(str(bare), cache)
    (checkout / ".git/HEAD").write_text("garbage\n")
    assert clone_or_update(str(bare), cache) == checkout
    assert git(checkout, "rev-parse", "HEAD") == second


def test_clone_error_names_gits_fatal_line(tmp_path):
    # GitPython's stderr ends with a lone quote line; the reason used to come out empty ("cannot clone URL: ;").
    with pytest.raises(RepoNotFound) as info:
        clone_or_update("https://127.0.0.1:1/owner/repo.git", tmp_path / "cache")
    message = str(info.value)
    reason = message.split(": ", 1)[1]
    assert not reason.startswith(";"), message
    assert "fatal:" in reason and "127.0.0.1" in reason
    # The advice's placeholder stays readable after the CLI's redaction.
    from wikigym.trajectories.secrets import redact

    assert "https://<token>@host/owner/repo" in redact(message)
