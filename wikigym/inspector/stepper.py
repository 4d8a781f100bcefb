"""An interactive terminal stepper over one episode: what the model saw and did at each step.

Each screen shows one step: the model's reasoning and text, its tool calls, each tool output (folded when long), and
the wiki as it stood after the step (pages written so far). Keys: `n`/space/→ next, `p`/← previous, `e` next step with
an error or invalid call, `g` first, `G` last, `f` toggle folding, `q` quit.

The stepper is a small state machine (`Stepper`) with a pure `render()`, so tests drive it without a terminal; the
key loop takes any `getkey` function (click's `getchar` by default).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from wikigym.trajectories.schema import Episode, Step

FOLD_LINES = 24
WRITE_TOOLS = ("write_wiki_page", "mcp__semanticwiki__write_wiki_page")


def step_has_problem(step: Step) -> bool:
    """An invalid call, a tool error, or an error string returned by a tool."""
    if any(not c.valid for c in step.tool_calls):
        return True
    for r in step.tool_results:
        out = r.output.lstrip()
        if r.is_error or out.startswith(("Error", "MCP error", "Search error", "Analysis error",
                                         "Failed to write", "File not found")):
            return True
    return step.stop_reason == "error"


def wiki_after(ep: Episode, upto: int) -> list[str]:
    """Pages written by successful write calls in steps 0..upto (in order of first write)."""
    pages: list[str] = []
    for step in ep.steps[: upto + 1]:
        results = {r.tool_use_id: r for r in step.tool_results}
        for c in step.tool_calls:
            r = results.get(c.id)
            if c.name in WRITE_TOOLS and c.arguments and r and r.output.startswith("Successfully wrote"):
                p = str(c.arguments.get("pagePath", ""))
                if p and p not in pages:
                    pages.append(p)
    return pages


def fold(text: str, folded: bool, lines: int = FOLD_LINES) -> str:
    rows = text.splitlines()
    if not folded or len(rows) <= lines:
        return text
    head = rows[: lines // 2]
    tail = rows[-(lines // 4):]
    return "\n".join(head + [f"… {len(rows) - len(head) - len(tail)} more lines (press f to unfold) …"] + tail)


class Stepper:
    def __init__(self, ep: Episode):
        if not ep.steps:
            from wikigym.errors import TrajectoryCorrupt

            raise TrajectoryCorrupt(f"episode {ep.episode_id} has no steps to show")
        self.ep = ep
        self.pos = 0
        self.folded = True

    def forward(self) -> None:
        self.pos = min(self.pos + 1, len(self.ep.steps) - 1)

    def back(self) -> None:
        self.pos = max(self.pos - 1, 0)

    def next_problem(self) -> bool:
        for i in range(self.pos + 1, len(self.ep.steps)):
            if step_has_problem(self.ep.steps[i]):
                self.pos = i
                return True
        return False

    def handle(self, key: str) -> bool:
        """Apply one key; return False to quit."""
        if key in ("q", "Q", "\x1b", "\x03"):
            return False
        if key in ("n", " ", "\r", "\n", "\x1b[C", "j"):
            self.forward()
        elif key in ("p", "\x1b[D", "k", "b"):
            self.back()
        elif key == "e":
            self.next_problem()
        elif key == "g":
            self.pos = 0
        elif key == "G":
            self.pos = len(self.ep.steps) - 1
        elif key == "f":
            self.folded = not self.folded
        return True

    def render(self) -> Group:
        ep, step = self.ep, self.ep.steps[self.pos]
        head = Text(f"episode {ep.episode_id} · {ep.policy.kind} · {ep.repo.name} · step {self.pos + 1}/"
                    f"{len(ep.steps)} · stop {step.stop_reason} · {step.usage.input_tokens}→"
                    f"{step.usage.output_tokens} tokens · {step.duration_s:.2f}s", style="bold")
        parts: list[Any] = [head]
        if step.conversation_reset and step.user_message:
            parts.append(Panel(fold(step.user_message, self.folded, 8), title="new conversation (user)",
                               border_style="magenta"))
        if step.reasoning:
            parts.append(Panel(fold(step.reasoning, self.folded), title="reasoning", border_style="dim"))
        if step.text:
            parts.append(Panel(fold(step.text, self.folded), title="assistant", border_style="cyan"))
        results = {r.tool_use_id: r for r in step.tool_results}
        for c in step.tool_calls:
            args = json.dumps(c.arguments, ensure_ascii=False) if c.arguments is not None else (c.raw_arguments or "")
            if len(args) > 400 and self.folded:
                args = args[:400] + " …"
            r = results.get(c.id)
            bad = (not c.valid) or (r is not None and (r.is_error or r.output.lstrip().startswith(("Error", "MCP"))))
            title = f"{'✗ ' if bad else ''}{c.name}"
            body = Text(f"args: {args}\n", style="yellow")
            body.append(fold(r.output, self.folded) if r else "(no result recorded)")
            parts.append(Panel(body, title=title, border_style="red" if bad else "green"))
        pages = wiki_after(ep, self.pos)
        parts.append(Text(f"wiki after this step ({len(pages)} pages): " + (", ".join(pages) or "(empty)"),
                          style="blue"))
        for ev in step.events:
            parts.append(Text(f"loop: {ev}", style="dim"))
        parts.append(Text("n/→ next · p/← back · e next error · g/G first/last · f fold · q quit", style="dim"))
        return Group(*parts)


def run_stepper(ep: Episode, console: Console | None = None, getkey: Callable[[], str] | None = None) -> int:
    """Show the stepper until the user quits; returns the last position."""
    console = console or Console()
    if getkey is None:
        import click

        getkey = click.getchar
    st = Stepper(ep)
    while True:
        console.clear()
        console.print(st.render())
        try:
            key = getkey()
        except (EOFError, KeyboardInterrupt):
            break
        if not st.handle(key):
            break
    return st.pos
