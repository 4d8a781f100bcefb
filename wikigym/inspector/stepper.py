"""An interactive terminal stepper over one episode: what the model saw and did at each step.

Each screen shows one step: the model's reasoning and text, its tool calls, each tool output (folded when long), and
the wiki as it stood after the step (pages written so far). Keys: `n`/space/→ next, `p`/← previous, `e` next step with
an error or invalid call, `g` first, `G` last, `f` toggle folding, ↓/`d`/PgDn and ↑/`u`/PgUp scroll, `q` quit.

A step is often taller than the terminal (a directory tree, a few file reads), so the screen is a viewport: the step
header stays on the first line and the wiki status and key help on the last, and the step's panels scroll between
them. Steps are numbered by their recorded index (from 0), as `wikigym replay` and `wikigym inspect` number them.

The stepper is a small state machine (`Stepper`) with a pure `render()`, so tests drive it without a terminal; the
key loop takes any `getkey` function (click's `getchar` by default).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from rich.console import Console, Group
from rich.panel import Panel
from rich.segment import Segment, Segments
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


SCROLL_DOWN = ("\x1b[B", "d", "\x1b[6~")
SCROLL_UP = ("\x1b[A", "u", "\x1b[5~")
HELP = "n/→ next · p/← back · e next error · g/G first/last · ↓/↑ d/u scroll · f fold · q quit"


class Stepper:
    def __init__(self, ep: Episode):
        if not ep.steps:
            from wikigym.errors import TrajectoryCorrupt

            raise TrajectoryCorrupt(f"episode {ep.episode_id} has no steps to show")
        self.ep = ep
        self.pos = 0
        self.folded = True
        self.scroll = 0  # first body line shown; clamped when the screen is drawn
        self.page = 10  # lines one scroll key moves; set to the viewport height when the screen is drawn
        self.message = ""  # one-shot feedback (e.g. "no further error"), cleared by the next key

    def _goto(self, pos: int) -> None:
        pos = max(0, min(pos, len(self.ep.steps) - 1))
        if pos != self.pos:
            self.pos, self.scroll = pos, 0

    def forward(self) -> None:
        self._goto(self.pos + 1)

    def back(self) -> None:
        self._goto(self.pos - 1)

    def next_problem(self) -> bool:
        for i in range(self.pos + 1, len(self.ep.steps)):
            if step_has_problem(self.ep.steps[i]):
                self._goto(i)
                return True
        return False

    def handle(self, key: str) -> bool:
        """Apply one key; return False to quit."""
        self.message = ""
        if key in ("q", "Q", "\x1b", "\x03"):
            return False
        if key in ("n", " ", "\r", "\n", "\x1b[C", "j"):
            self.forward()
        elif key in ("p", "\x1b[D", "k", "b"):
            self.back()
        elif key == "e":
            if not self.next_problem():
                # Staying put without a word looks like a dead key; say why nothing moved.
                self.message = f"no error or invalid call after step {self.ep.steps[self.pos].index}"
        elif key == "g":
            self._goto(0)
        elif key == "G":
            self._goto(len(self.ep.steps) - 1)
        elif key == "f":
            self.folded = not self.folded
            self.scroll = 0
        elif key in SCROLL_DOWN:
            self.scroll += max(1, self.page - 2)
        elif key in SCROLL_UP:
            self.scroll = max(0, self.scroll - max(1, self.page - 2))
        return True

    def header(self) -> Text:
        ep, step = self.ep, self.ep.steps[self.pos]
        return Text(f"episode {ep.episode_id} · {ep.policy.kind} · {ep.repo.name} · step {step.index} "
                    f"({self.pos + 1} of {len(ep.steps)}) · stop {step.stop_reason} · {step.usage.input_tokens}→"
                    f"{step.usage.output_tokens} tokens · {step.duration_s:.2f}s", style="bold")

    def footer(self, extra: str = "") -> Group:
        pages = wiki_after(self.ep, self.pos)
        parts: list[Any] = [Text(f"wiki after this step ({len(pages)} pages): " + (", ".join(pages) or "(empty)"),
                                 style="blue")]
        if self.message:
            parts.append(Text(self.message, style="bold yellow"))
        parts.append(Text(HELP + (f" · {extra}" if extra else ""), style="dim"))
        return Group(*parts)

    def screen(self, console: Console, height: int | None = None) -> Group:
        """What fits the terminal: the header, a scrolled window of the step's panels, then the footer."""
        height = height or console.height
        opts = console.options
        body = console.render_lines(Group(*self.body()), opts, pad=False)
        head_n = len(console.render_lines(self.header(), opts, pad=False))
        n = len(body)
        # Sized with the longest scroll note it could carry, so a wrapped footer never pushes the header off screen.
        foot_n = len(console.render_lines(self.footer(f"lines {n}-{n} of {n}"), opts, pad=False))
        avail = max(3, height - head_n - foot_n - 1)  # -1: the cursor line after the last printed line
        self.page = avail
        self.scroll = max(0, min(self.scroll, len(body) - avail))
        window = body[self.scroll:self.scroll + avail]
        extra = (f"lines {self.scroll + 1}-{self.scroll + len(window)} of {len(body)}" if len(body) > avail else "")
        segments: list[Segment] = []
        for line in window:
            segments.extend(line)
            segments.append(Segment.line())
        return Group(self.header(), Segments(segments), self.footer(extra))

    def render(self) -> Group:
        """The whole step, unscrolled (header, panels, footer): for tests and for non-interactive output."""
        return Group(self.header(), *self.body(), self.footer())

    def body(self) -> list[Any]:
        """The step's panels: new-conversation prompt, reasoning, text, each call with its output, loop events."""
        step = self.ep.steps[self.pos]
        parts: list[Any] = []
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
        for ev in step.events:
            parts.append(Text(f"loop: {ev}", style="dim"))
        return parts


def run_stepper(ep: Episode, console: Console | None = None, getkey: Callable[[], str] | None = None) -> int:
    """Show the stepper until the user quits; returns the last position.

    Without a terminal (stdin or stdout redirected, CI, no /dev/tty) there are no keys to read: click's getchar
    would die with a traceback on /dev/tty, so every step is printed in order instead (`--step > steps.txt`).
    """
    import sys

    console = console or Console()
    st = Stepper(ep)
    if getkey is None and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(f"not a terminal: printing all {len(ep.steps)} steps of {ep.episode_id} (run in a terminal to step "
              f"through them)", file=sys.stderr)
        for i in range(len(ep.steps)):
            st.pos = i
            console.print(st.render())
            console.rule()
        return st.pos
    if getkey is None:
        import click

        getkey = click.getchar
    while True:
        console.clear()
        console.print(st.screen(console))
        try:
            key = getkey()
        except (EOFError, KeyboardInterrupt):
            break
        if not st.handle(key):
            break
    return st.pos
