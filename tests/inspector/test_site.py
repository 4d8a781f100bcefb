"""The inspector site, checked in a real headless browser (Debian's chromium), plus the terminal stepper."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from wikigym.inspector.site import build_site
from wikigym.inspector.stepper import Stepper, run_stepper, step_has_problem
from wikigym.trajectories.store import read_episodes

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=10000"]


def _chromium(args: list[str], profile: Path) -> str:
    out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                         timeout=120)
    return out.stdout


def test_site_lists_episodes_and_links_findings(recorded_run, tmp_path: Path) -> None:
    _, run = recorded_run
    index = build_site([run], tmp_path / "site")
    text = index.read_text()
    eps = read_episodes(run / "trajectories.jsonl")
    for ep in eps:
        assert ep.episode_id in text
        page = (tmp_path / "site" / f"episode-{ep.episode_id}.html").read_text()
        assert "id='timeline'" in page
        assert "tool-output" in page and '<pre class="mermaid">' in page
    assert list((tmp_path / "site").glob("diff-*.html")), "two episodes of one task get a diff page"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_site_renders_in_headless_chromium(recorded_run, tmp_path: Path) -> None:
    _, run = recorded_run
    site = tmp_path / "site"
    build_site([run], site)
    assert (site / "mermaid.min.js").is_file(), "mermaid's browser build must be bundled (npm ci)"
    ep = read_episodes(run / "trajectories.jsonl")[0]
    index_dom = _chromium(["--dump-dom", (site / "index.html").as_uri()], tmp_path / "p1")
    assert index_dom.count("class=\"episode\"") == 2
    dom = _chromium(["--dump-dom", (site / f"episode-{ep.episode_id}.html").as_uri()], tmp_path / "p2")
    assert "tool-output" in dom
    first_output = ep.steps[0].tool_results[0].output.splitlines()[0]
    assert first_output.replace("&", "&amp;") in dom
    assert "<svg" in dom and 'aria-roledescription="' in dom, "mermaid diagrams must be rendered to SVG"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "inspect-episode.png"
    _chromium(["--window-size=1200,1800", f"--screenshot={shot}", (site / f"episode-{ep.episode_id}.html").as_uri()],
              tmp_path / "p3")
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_stepper_moves_and_jumps_to_problems(recorded_run) -> None:
    _, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    # Plant an invalid call at step 2 so `e` has somewhere to jump.
    ep.steps[2].tool_calls[0].valid = False
    st = Stepper(ep)
    st.handle("n")
    assert st.pos == 1
    st.handle("p")
    st.handle("p")
    assert st.pos == 0
    assert st.handle("e") and st.pos == 2 and step_has_problem(ep.steps[2])
    st.handle("G")
    assert st.pos == len(ep.steps) - 1
    console = Console(record=True, width=120)
    keys = iter(["g", "n", "f", "q"])
    assert run_stepper(ep, console, getkey=lambda: next(keys)) == 1
    screen = console.export_text()
    assert ep.steps[1].tool_calls[0].name in screen and "wiki after this step" in screen


def test_wiki_links_become_anchors_of_the_episode_page(recorded_run, tmp_path: Path) -> None:
    import re

    from wikigym.inspector.site import wiki_link_target

    assert wiki_link_target("components/a/index.md", "../../README.md#x", {"README.md"}) == "README.md"
    assert wiki_link_target("README.md", "./guides/start.md", {"guides/start.md"}) == "guides/start.md"
    assert wiki_link_target("README.md", "../outside.md", {"outside.md"}) is None
    assert wiki_link_target("README.md", "https://example.com/a.md", {"a.md"}) is None
    _, run = recorded_run
    build_site([run], tmp_path / "site")
    ep = read_episodes(run / "trajectories.jsonl")[0]
    page = (tmp_path / "site" / f"episode-{ep.episode_id}.html").read_text()
    ids = set(re.findall(r"id='(page-[^']+)'", page))
    anchors = re.findall(r'href="#(page-[^"]+)"', page)
    # Page-to-page links (README's navigation at least) land on the rendered page, not on a missing .md file.
    assert anchors and set(anchors) <= ids
    assert not re.search(r'href="[^"#:]*\.md(#[^"]*)?"', page), "no link to a .md file that the site does not have"


def test_odd_out_and_busy_port_are_one_line(recorded_run, tmp_path: Path) -> None:
    import socket

    from typer.testing import CliRunner

    from wikigym.cli import app
    from wikigym.errors import WikigymError
    from wikigym.inspector.site import serve

    _, run = recorded_run
    (tmp_path / "afile").write_text("x")
    res = CliRunner().invoke(app, ["inspect", str(run), "--out", str(tmp_path / "afile")])
    assert res.exit_code == 2 and res.output.startswith("error: --out") and "Traceback" not in res.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(WikigymError, match=f"cannot serve on 127.0.0.1:{port}.*another --port"):
            serve(tmp_path, port)


def test_stepper_screen_fits_the_terminal_and_says_when_no_error_is_left(recorded_run) -> None:
    _, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    st = Stepper(ep)
    console = Console(record=True, width=100, height=20)
    tall = max(range(len(ep.steps)), key=lambda i: len(ep.steps[i].tool_calls))
    st.pos = tall
    console.print(st.screen(console))
    lines = console.export_text().splitlines()
    # The header (with the recorded step index, as replay and inspect number steps) and the key help both show.
    assert len(lines) <= 20 and f"step {ep.steps[tall].index} ({tall + 1} of {len(ep.steps)})" in lines[0]
    footer = " ".join(lines[-2:])
    assert "q quit" in footer and "lines 1-" in footer
    st.handle("d")
    console.print(st.screen(console))
    assert "lines 1-" not in " ".join(console.export_text().splitlines()[-2:])
    st.pos = len(ep.steps) - 1
    st.handle("e")
    assert st.pos == len(ep.steps) - 1 and st.message.startswith("no error or invalid call after step")
    console.print(st.screen(console))
    assert "no error or invalid call" in console.export_text()


def test_gate_reason_and_step_findings_are_shown(recorded_run, tmp_path: Path) -> None:
    import shutil as _shutil

    from wikigym.trajectories.store import TrajectoryWriter

    _, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0].model_copy(deep=True)
    ep.episode_id = "gated"
    ep.score["reward"] = 0.0
    ep.score["stats"]["gate"] = "1 page(s) outside the wiki (written, attempted or symlinked there): ../x.md"
    ep.score["checks"]["tool_use"]["findings"] = [{"page": "step 1", "line": None, "what": "malformed call",
                                                   "why": "arguments did not parse"}]
    copy = tmp_path / "run"
    copy.mkdir()
    _shutil.copyfile(run / "trajectories.jsonl", copy / "trajectories.jsonl")
    with TrajectoryWriter(copy / "trajectories.jsonl") as w:
        w.append(ep)
    build_site([copy], tmp_path / "site")
    page = (tmp_path / "site" / "episode-gated.html").read_text()
    assert "id='gate'" in page and "symlinked there): ../x.md" in page
    assert "<a href='#step-1'>step 1</a>" in page  # a tool_use finding links to its step
    assert "(gate)" in (tmp_path / "site" / "index.html").read_text()


def test_diff_ignores_the_frontmatter_clock(recorded_run) -> None:
    from wikigym.inspector.site import _diff_html

    _, run = recorded_run
    a = read_episodes(run / "trajectories.jsonl")[0]
    b = a.model_copy(deep=True, update={"episode_id": "b"})
    rel = next(k for k, v in a.wiki.items() if "\ngenerated: " in v)
    b.wiki[rel] = b.wiki[rel].replace("\ngenerated: ", "\ngenerated: '1999-01-01T00:00:00.000Z' # ", 1)
    page = _diff_html(a, b)
    assert f"<h3>{rel}" not in page and "differ only in their <code>generated:</code>" in page
    b.wiki[rel] += "\nA real change.\n"
    assert f"<h3>{rel}" in _diff_html(a, b)


def test_same_episode_ids_in_two_runs_get_their_own_pages(recorded_run, tmp_path: Path) -> None:
    import shutil as _shutil

    _, run = recorded_run
    other = tmp_path / "student"
    other.mkdir()
    _shutil.copyfile(run / "trajectories.jsonl", other / "trajectories.jsonl")
    build_site([run, other], tmp_path / "site")
    ids = [e.episode_id for e in read_episodes(run / "trajectories.jsonl")]
    index = (tmp_path / "site" / "index.html").read_text()
    for eid in ids:
        for name in (run.name, "student"):
            assert (tmp_path / "site" / f"episode-{eid}@{name}.html").is_file()
            assert f"{eid}@{name}" in index
    assert (tmp_path / "site" / f"diff-{ids[0]}@{run.name}--{ids[0]}@student.html").is_file()


def test_stepper_without_a_terminal_prints_every_step(recorded_run, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    _, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a TTY: click.getchar would need /dev/tty
    console = Console(record=True, width=120)
    assert run_stepper(ep, console) == len(ep.steps) - 1
    text = console.export_text()
    assert all(f"step {s.index} ({i + 1} of {len(ep.steps)})" in text for i, s in enumerate(ep.steps))


def test_diff_pairs_cover_every_repository_and_fork_under_the_cap(recorded_run) -> None:
    from wikigym.inspector.site import _diff_pairs

    _, run = recorded_run
    base = read_episodes(run / "trajectories.jsonl")[0]

    def eps(repo: str, n: int) -> list:
        out = [base.model_copy(deep=True, update={"episode_id": f"{repo}-{i}"}) for i in range(n)]
        out[-1].parent = {"episode_id": f"{repo}-0", "step": 2}
        return out

    a, b = eps("a", 12), eps("b", 3)  # 66 + 3 pairs, cap 10
    chosen, skipped = _diff_pairs([a, b], limit=10)
    names = {(x.episode_id, y.episode_id) for x, y in chosen}
    assert ("b-0", "b-1") in names and ("b-1", "b-2") in names, "the second repository gets diffs too"
    assert ("a-0", "a-11") in names and ("b-0", "b-2") in names, "each fork is diffed with its parent"
    assert len(chosen) + skipped == 66 + 3


def test_source_links_open_the_cited_lines_and_never_leave_the_repository(recorded_run, tmp_path: Path) -> None:
    """📄/Source links of the wiki land on a numbered page of the cited file, at the cited line; a link out of the
    repository (a `..` climb, a symlink to a file outside) stays as written and nothing outside is read."""
    import html
    import re

    from wikigym.trajectories.store import TrajectoryWriter

    repo, run = recorded_run
    ep = read_episodes(run / "trajectories.jsonl")[0]
    build_site([run], tmp_path / "site")
    page = (tmp_path / "site" / f"episode-{ep.episode_id}.html").read_text()
    links = re.findall(r'href="(source-[^"#]+\.html)#L(\d+)"', page)
    assert links, "the scripted teacher's citations link to source pages"
    name, line = links[0]
    src = (tmp_path / "site" / name).read_text()
    path = re.search(r"<h1>([^<]+)</h1>", src).group(1)
    want = (repo / path).read_text().split("\n")[int(line) - 1]
    got = re.search(rf"<span class='line' id='L{line}'><a class='ln' href='#L{line}'>{line}</a>(.*?)</span>", src)
    assert got and html.unescape(got.group(1)) == want
    assert not re.search(r'href="(\.\./)+[^"#:]+\.(py|go|ts)#L', page), "no citation left pointing at a missing file"

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET\n")
    link = repo / "leak.txt"
    link.symlink_to(secret)
    try:
        bad = ep.model_copy(deep=True)
        bad.episode_id = "outside"
        bad.wiki = {**bad.wiki, "extra.md": "# Extra\n\n📄 [leak.txt:1](../leak.txt#L1) and "
                                            f"[up](../../../../../../{secret.as_posix().lstrip('/')}#L1)\n"}
        copy = tmp_path / "run"
        copy.mkdir()
        with TrajectoryWriter(copy / "trajectories.jsonl") as w:
            w.append(bad)
        build_site([copy], tmp_path / "site2")
        out = (tmp_path / "site2" / "episode-outside.html").read_text()
        assert 'href="../leak.txt#L1"' in out and "TOP SECRET" not in "".join(
            p.read_text() for p in (tmp_path / "site2").glob("source-*.html"))
    finally:
        link.unlink()
