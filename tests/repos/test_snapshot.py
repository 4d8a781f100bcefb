"""open_repo over local directories, git checkouts, bare repos and URLs; RepoSnapshot's derived views."""

from __future__ import annotations

import pytest

from tests.repos.conftest import git, write_files
from wikigym.errors import RepoNotFound
from wikigym.repos import RepoSnapshot, example_repo_path, open_repo

SECRET = "tok_9f8e7d6c5b4a"


def test_missing_path_is_one_line():
    with pytest.raises(RepoNotFound) as info:
        open_repo("/x/does/not/exist")
    assert str(info.value) == "repository /x/does/not/exist does not exist; pass a directory or a git URL"


def test_file_instead_of_directory(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(RepoNotFound, match="is a file, not a directory"):
        open_repo(tmp_path / "f.txt")


def test_plain_directory(tmp_path):
    write_files(tmp_path, {"a.py": "x = 1\n"})
    snap = open_repo(tmp_path)
    assert (snap.root, snap.url, snap.commit, snap.dirty, snap.name) == (tmp_path.resolve(), None, None, False,
                                                                          tmp_path.name)  # fmt: skip
    with pytest.raises(RepoNotFound, match="is not a git checkout, so commit abc123 cannot be pinned"):
        open_repo(tmp_path, commit="abc123")


def test_checkout_head_and_dirty_detection(two_commit_repo):
    work, _, second = two_commit_repo
    snap = open_repo(work)
    assert (snap.commit, snap.dirty, snap.url, snap.root) == (second, False, None, work.resolve())
    (work / "app/main.py").write_text("VERSION = 99\n")  # tracked change
    assert open_repo(work).dirty
    git(work, "checkout", "-q", "--", "app/main.py")
    assert not open_repo(work).dirty
    (work / "notes.md").write_text("untracked")  # untracked files change what tools see
    assert open_repo(work).dirty


def test_checkout_pinned_to_other_commit_is_read_from_a_cache_clone(two_commit_repo, isolated_cache):
    work, first, second = two_commit_repo
    snap = open_repo(work, commit=first)
    assert snap.commit == first and not snap.dirty
    assert snap.root != work.resolve() and isolated_cache in snap.root.parents
    assert snap.read_text("app/main.py") == "VERSION = 1\n" and "app/extra.py" not in snap.all_files()
    assert (work / "app/main.py").read_text() == "VERSION = 2\n", "the user's checkout is untouched"
    # HEAD itself, clean: used in place.
    assert open_repo(work, commit=second[:8]).root == work.resolve()


def test_dirty_checkout_pinned_to_head_never_reads_uncommitted_changes(two_commit_repo):
    work, _, second = two_commit_repo
    (work / "app/main.py").write_text("VERSION = 'uncommitted'\n")
    snap = open_repo(work, commit="HEAD")
    assert snap.commit == second and not snap.dirty
    assert snap.read_text("app/main.py") == "VERSION = 2\n"


def test_unknown_commit_in_checkout(two_commit_repo):
    work, _, _ = two_commit_repo
    with pytest.raises(RepoNotFound, match="^commit nosuchref not found in repository "):
        open_repo(work, commit="nosuchref")


def test_bare_repo_and_url_with_credentials(bare_repo):
    bare, first, second = bare_repo
    snap = open_repo(bare)
    assert (snap.commit, snap.url, snap.name) == (second, str(bare), "origin")
    pinned = open_repo(f"file://user:{SECRET}@{bare}", commit=first)
    assert pinned.url == f"file://{bare}" and pinned.commit == first and pinned.name == "origin"
    assert pinned.read_text("app/main.py") == "VERSION = 1\n"
    assert SECRET not in repr(pinned) and SECRET not in str(vars(pinned))
    for path in pinned.root.rglob("*"):
        assert SECRET not in str(path)
    assert SECRET not in (pinned.root / ".git/config").read_text()
    assert SECRET not in repr(RepoSnapshot(pinned.root, url=f"https://u:{SECRET}@h/o/r.git"))


def test_bad_url_with_token(tmp_path):
    with pytest.raises(RepoNotFound) as info:
        open_repo(f"https://{SECRET}@127.0.0.1:1/o/r.git")
    assert SECRET not in str(info.value) and "https://127.0.0.1:1/o/r.git" in str(info.value)


def test_read_text_lines_and_containment(tmp_path):
    write_files(tmp_path / "repo", {"a.txt": "one\ntwo\n", "b.py": "x = 'caf\u00e9'\n"})
    (tmp_path / "repo/bad.md").write_bytes(b"ok \xff\n")
    (tmp_path / "outside.txt").write_text("secret")
    snap = open_repo(tmp_path / "repo")
    assert snap.lines("a.txt") == ["one", "two", ""]  # SemanticWiki: text.split('\n')
    assert snap.read_text("b.py") == "x = 'caf\u00e9'\n"
    assert snap.read_text("bad.md") == "ok \ufffd\n"
    with pytest.raises(FileNotFoundError, match="file nope.py does not exist in repository repo"):
        snap.read_text("nope.py")
    with pytest.raises(ValueError, match="outside repository"):
        snap.read_text("../outside.txt")
    assert snap.parse("a.txt") is None and snap.parse("b.py").identifiers == {"x"}


def test_example_repo_inventory_and_parsing():
    snap = open_repo(example_repo_path())
    files = snap.files()
    assert files[:5] == ["sdk/src/client.ts", "sdk/src/index.ts", "sdk/src/retry.ts", "sdk/src/types.ts",
                         "sdk/test/client.test.ts"]  # fmt: skip
    assert {"inventory/models.py", "worker/main.go", "README.md", "config/inventory.yaml"} <= set(files)
    assert ".gitignore" in snap.all_files() and ".gitignore" not in files
    total = sum(len(snap.lines(f)) for f in snap.all_files())
    assert 600 <= total <= 1400, total
    parsed = snap.parsed()
    assert set(parsed) <= set(files) and "sdk/package.json" in parsed
    service = {s.name: s for s in parsed["inventory/service.py"].symbols}
    assert service["reserve"].parent == "InventoryService" and service["reserve"].kind == "method"
    assert snap.lines("inventory/service.py")[service["reserve"].start_line - 1].lstrip().startswith("def reserve(")


def test_example_repo_import_graph():
    graph = open_repo(example_repo_path()).import_graph()
    assert graph["inventory/service.py"] == {"inventory/models.py", "inventory/storage.py"}
    assert graph["inventory/cli.py"] == {"inventory/api.py", "inventory/config.py", "inventory/models.py",
                                         "inventory/service.py", "inventory/storage.py"}  # fmt: skip
    assert graph["tests/test_models.py"] == {"inventory/models.py"}
    assert graph["sdk/src/client.ts"] == {"sdk/src/retry.ts", "sdk/src/types.ts"}
    assert graph["sdk/src/index.ts"] == {"sdk/src/client.ts", "sdk/src/retry.ts", "sdk/src/types.ts"}
    assert graph["worker/main.go"] == {"worker/internal/queue/queue.go", "worker/internal/restock/restock.go"}
    assert graph["worker/internal/restock/restock.go"] == {"worker/internal/queue/queue.go"}
    assert graph["inventory/models.py"] == set() and graph["README.md"] == set()


def test_example_repo_central_modules_and_known_names():
    snap = open_repo(example_repo_path())
    central = snap.central_modules(4)
    assert central[0] == "inventory/models.py"
    assert "sdk/src/types.ts" in central and len(central) == 4
    assert not any("test" in path for path in central)
    names = snap.known_names()
    for real in ("InventoryService", "reserve", "withRetry", "RetryOptions", "JobsFor", "Planner",
                 "low_stock_threshold", "inventory/models.py", "models.py", "worker/internal", "queue",
                 "example.com/inventory/worker/internal/queue", "ValidationError", "SKU_PATTERN", "ErrClosed"):  # fmt: skip
        assert real in names, real
    for invented in ("InventoryManager", "reserveStock", "RedisItemStore", "inventory/db.py"):
        assert invented not in names
