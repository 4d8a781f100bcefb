"""The verifier's records: a finding, one check's result, and the whole score.

`Score` is what the trainer ranks rollouts by and what `wikigym verify --json` prints:
`{"reward", "checks": {name: {"score", "findings": [{page, line, what, why}]}}, "stats"}`. Every number is rounded
to 6 decimals so a score is identical on any machine. Nothing here computes anything; see `checks/` and `reward.py`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

CHECK_NAMES = ("citations", "mermaid", "links", "structure", "stubs", "coverage", "hallucination", "tool_use")


def r6(x: float) -> float:
    """Round to 6 decimals (scores must not depend on float noise across machines).

    >>> r6(2 / 3)
    0.666667
    """
    return round(float(x), 6) + 0.0


@dataclass(frozen=True)
class Finding:
    """One thing a check took points away for. `line` is 1-based in the page file (frontmatter included)."""

    page: str
    line: int | None
    what: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "line": self.line, "what": self.what, "why": self.why}


@dataclass
class CheckResult:
    """One check: a metric in [0, 1], the findings that explain the points lost, and raw figures.

    `applicable` is False when the check has nothing to judge (tool_use without a trajectory); such a check is left
    out of the reward. `error` says why a check could not run (e.g. Node or mermaid missing); its score is then 0.
    """

    name: str
    score: float
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    applicable: bool = True
    error: str | None = None

    def __post_init__(self) -> None:
        self.score = r6(min(1.0, max(0.0, self.score)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"score": r6(self.score), "findings": [f.to_dict() for f in self.findings],
                               "stats": self.stats, "applicable": self.applicable}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Deduction:
    """How much of the reward one check cost: weight share x (1 - score)."""

    check: str
    points: float
    weight: float
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        """The deduction as shown to people: `-0.0123`, or ` 0.0000` for a perfect check (not `-0.0000`)."""
        return f"-{self.points:.4f}" if self.points > 0 else " 0.0000"


@dataclass
class Score:
    """The verifier's verdict on one wiki (and optionally the trajectory that wrote it)."""

    reward: float
    checks: dict[str, CheckResult]
    stats: dict[str, Any] = field(default_factory=dict)
    gate: str | None = None
    deductions: list[Deduction] = field(default_factory=list)
    weights_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "reward": r6(self.reward),
            "checks": {name: res.to_dict() for name, res in self.checks.items()},
            "stats": {**self.stats, "gate": self.gate, "weights_version": self.weights_version,
                      "deductions": [d.to_dict() for d in self.deductions]},
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, sort_keys=False)

    def explain(self, max_findings: int = 5) -> str:
        """Human text: the reward, then the largest deductions first, each with its first findings."""
        lines = [f"reward {self.reward:.4f} (weights {self.weights_version})"]
        if self.gate:
            lines.append(f"GATE: {self.gate} -> reward 0")
        for d in self.deductions:
            res = self.checks[d.check]
            lines.append(f"{d.label}  {d.check}: score {d.score:.4f} x weight {d.weight:g}"
                         + (f"  [{res.error}]" if res.error else ""))
            for f in res.findings[:max_findings]:
                where = f"{f.page}:{f.line}" if f.line else f.page
                lines.append(f"          {where}  {f.what} -- {f.why}")
            if len(res.findings) > max_findings:
                lines.append(f"          ... {len(res.findings) - max_findings} more")
        return "\n".join(lines)
