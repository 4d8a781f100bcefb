"""`wikigym call --repo`: a directory or a clone URL; a URL's token never shows in an error."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from wikigym.cli import app
from wikigym.repos import example_repo_path

runner = CliRunner()


def test_call_on_a_directory_prints_the_tool_output() -> None:
    res = runner.invoke(app, ["call", "read_file", '{"path": "README.md"}', "--repo", str(example_repo_path())])
    assert res.exit_code == 0 and res.stdout == (example_repo_path() / "README.md").read_text()


def test_call_on_a_clone_url(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello.py").write_text("print('hi')\n")
    git = ["git", "-C", str(src), "-c", "user.email=a@b", "-c", "user.name=u"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "init"], check=True)
    res = runner.invoke(app, ["call", "read_file", '{"path": "hello.py"}', "--repo", f"file://{src}",
                              "--wiki", str(tmp_path / "wiki")])
    assert res.exit_code == 0, res.output
    assert res.stdout == "print('hi')\n"


def test_a_url_token_never_shows_in_the_error() -> None:
    token = "ghs_notarealtoken0123456789abcdef"
    res = runner.invoke(app, ["call", "read_file", "{}", "--repo", f"https://x:{token}@127.0.0.1:1/o/r.git"])
    assert res.exit_code == 2 and token not in res.output
    assert "cannot clone https://127.0.0.1:1/o/r.git" in res.output
