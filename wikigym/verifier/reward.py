"""The scalar reward: a versioned weighted mean of the checks, a hard gate, and deductions largest first.

`reward = sum(w_c x s_c) / sum(w_c)` over the checks that apply (tool_use only with a trajectory), rounded to 6
decimals. The gate zeroes the reward when the wiki has fewer than `min_pages` pages or any page was written outside
the wiki root. The weights live in `weights-v1.yaml` (or any file passed as `--weights`); `VerifierConfig` validates
it and names the bad field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from wikigym.errors import ConfigError
from wikigym.verifier.model import CHECK_NAMES, CheckResult, Deduction, Score, r6


class GateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_pages: int = Field(1, ge=0, description="Fewer pages than this gives reward 0.")
    pages_outside_wiki: bool = Field(True, description="Any page written outside the wiki root gives reward 0.")


class VerifierConfig(BaseModel):
    """Weights and per-check parameters (the content of `weights-v1.yaml`)."""

    model_config = ConfigDict(extra="forbid")
    version: str = Field(..., description="Weights version; scores are comparable only within one version.")
    weights: dict[str, float] = Field(..., description="Check name -> non-negative weight.")
    gates: GateConfig = Field(default_factory=GateConfig)
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per-check parameters.")

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        for name, w in v.items():
            if name not in CHECK_NAMES:
                raise ValueError(f"unknown check {name!r} (known: {', '.join(CHECK_NAMES)})")
            if w < 0:
                raise ValueError(f"weight of {name} is {w}; weights must be >= 0")
        if sum(v.values()) <= 0:
            raise ValueError("all weights are 0")
        return v

    @field_validator("checks")
    @classmethod
    def _checks(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name in v:
            if name not in CHECK_NAMES:
                raise ValueError(f"parameters for unknown check {name!r}")
        return v

    def for_check(self, name: str) -> dict[str, Any]:
        return dict(self.checks.get(name) or {})

    @classmethod
    def load(cls, path: Path | str | None = None) -> VerifierConfig:
        """Read a weights file (default: the packaged `weights-v1.yaml`)."""
        data = read_weights_yaml("weights-v1.yaml", path, "verifier weights")
        try:
            return cls.model_validate(data)
        except Exception as e:  # pydantic's message names the field and the bad value
            first = str(e).splitlines()
            raise ConfigError(f"verifier weights {path or 'weights-v1.yaml'}: {' '.join(first[:3])}") from None


def read_weights_yaml(default_name: str, path: Path | str | None, what: str) -> Any:
    """The parsed YAML of a weights file (default: the packaged `default_name`); one `ConfigError` line otherwise."""
    try:
        if path is None:
            text = resources.files("wikigym.verifier").joinpath(default_name).read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return yaml.safe_load(text)
    except OSError as e:
        raise ConfigError(f"cannot read {what} {path}: {e.strerror}; pass an existing YAML file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{what} {path} are not valid YAML: {str(e).splitlines()[0]}") from None


def weighted_mean(checks: dict[str, CheckResult], weights: dict[str, float]) -> tuple[float, list[Deduction]]:
    """(weighted mean of the applicable, weighted checks, their deductions largest first); 0.0 when none applies.

    Each deduction is the share of the reward the check's shortfall costs: weight x (1 - score) / total weight.
    """
    active = {n: c for n, c in checks.items() if c.applicable and weights.get(n, 0) > 0}
    total_w = sum(weights[n] for n in active) or 1.0
    raw = sum(weights[n] * c.score for n, c in active.items()) / total_w
    deductions = [Deduction(n, r6(weights[n] * (1 - c.score) / total_w), weights[n], c.score)
                  for n, c in active.items()]
    deductions.sort(key=lambda d: (-d.points, d.check))
    return raw, deductions


def combine(checks: dict[str, CheckResult], cfg: VerifierConfig, n_pages: int, outside: list[str]) -> Score:
    """Weighted mean of the applicable checks, gated; deductions sorted largest first.

    >>> cfg = VerifierConfig(version="t", weights={"citations": 3, "links": 1})
    >>> s = combine({"citations": CheckResult("citations", 0.5), "links": CheckResult("links", 1.0)}, cfg, 2, [])
    >>> s.reward, [(d.check, d.points) for d in s.deductions]
    (0.625, [('citations', 0.375), ('links', 0.0)])
    """
    raw, deductions = weighted_mean(checks, cfg.weights)
    gate = None
    if n_pages < cfg.gates.min_pages:
        gate = f"{n_pages} pages (the gate needs at least {cfg.gates.min_pages})"
    elif cfg.gates.pages_outside_wiki and outside:
        # Says "attempted" too: a trajectory's write that tried to leave the wiki trips the gate even when the
        # sandbox refused it, and a symlinked page only points there; "written" alone misled readers of refused writes.
        gate = (f"{len(outside)} page(s) outside the wiki (written, attempted or symlinked there): "
                f"{', '.join(sorted(outside)[:3])}")
    reward = 0.0 if gate else r6(raw)
    return Score(reward=reward, checks=checks, gate=gate, deductions=deductions, weights_version=cfg.version,
                 stats={"raw_reward": r6(raw)})
