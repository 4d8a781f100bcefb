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
