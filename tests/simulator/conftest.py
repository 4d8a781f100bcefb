"""Shared fixtures for the simulator tests: small real repositories and a policy that plays back given turns."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wikigym.simulator.policy import AssistantTurn
from wikigym.trajectories.schema import PolicySpec, ToolCall, Usage


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    """A two-commit git repository: the second commit modifies app/core.py and adds app/extra.py."""
    root = tmp_path / "small"
    (root / "app").mkdir(parents=True)
    (root / "README.md").write_text("# Small\n\nA small app.\n")
    (root / "app" / "core.py").write_text("def run():\n    return 1\n\n\nclass Engine:\n    pass\n")
    (root / "app" / "util.py").write_text("def helper(x):\n    return x * 2\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    (root / "app" / "core.py").write_text("def run():\n    return 2\n\n\nclass Engine:\n    speed = 3\n")
    (root / "app" / "extra.py").write_text("def extra():\n    return 'x'\n")
    git(root, "add", ".")
    git(root, "commit", "-qm", "second")
    return root


class PlaybackPolicy:
    """Returns the given turns in order (a callable gets the messages and returns a turn); records what it saw."""

    def __init__(self, turns: list[AssistantTurn | Callable[[list[dict[str, Any]]], AssistantTurn]],
                 repeat_last: bool = False):
        self.spec = PolicySpec(kind="playback", temperature=0.7)
        self.turns = list(turns)
        self.repeat_last = repeat_last
        self.seen: list[list[dict[str, Any]]] = []
        self.temperatures: list[float | None] = []
        self.systems: list[str] = []
        self.tools: list[list[str]] = []

    def act(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], system: str) -> AssistantTurn:
        self.seen.append(copy.deepcopy(messages))
        self.temperatures.append(self.spec.temperature)
        self.systems.append(system)
        self.tools.append([t["name"] for t in tools])
        if not self.turns:
            raise AssertionError("PlaybackPolicy ran out of turns")
        t = self.turns[0] if (self.repeat_last and len(self.turns) == 1) else self.turns.pop(0)
        return copy.deepcopy(t(messages) if callable(t) else t)


def call(name: str, i: int = 0, **args: Any) -> ToolCall:
    return ToolCall(id=f"toolu_{name}_{i}", name=name, arguments=args)


def turn(*calls: ToolCall, text: str = "", stop: str | None = None, input_tokens: int = 10) -> AssistantTurn:
    return AssistantTurn(text=text, tool_calls=list(calls), stop_reason=stop or ("tool_use" if calls else "end_turn"),
                         usage=Usage(input_tokens=input_tokens, output_tokens=5))
