"""Tests for wikigym/verifier/reward.py and the Verifier: weights config, gate, determinism, explain, JSON shape."""

from __future__ import annotations

import json

import pytest

from wikigym.errors import ConfigError
from wikigym.verifier import CHECK_NAMES, VerifierConfig

from .test_tool_use import GOOD, _episode


def test_packaged_weights_load() -> None:
    cfg = VerifierConfig.load()
    assert cfg.version == "wikigym.verifier/weights-v1" and set(cfg.weights) == set(CHECK_NAMES)


def test_bad_weights_name_the_field(tmp_path) -> None:
    p = tmp_path / "w.yaml"
    p.write_text("version: x\nweights: {citations: -1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="weight of citations is -1"):
        VerifierConfig.load(p)
    p.write_text("version: x\nweights: {vibes: 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown check 'vibes'"):
        VerifierConfig.load(p)


def test_json_shape_and_determinism(verifier, snapshot, good_wiki) -> None:
    a = verifier.verify_files(good_wiki, snapshot)
    b = verifier.verify_files(dict(reversed(list(good_wiki.items()))), snapshot)
    assert a.to_json() == b.to_json()
    data = json.loads(a.to_json())
    assert data["reward"] == 1.0 and list(data["checks"]) == list(CHECK_NAMES)
    for name, c in data["checks"].items():
        assert set(c) >= {"score", "findings"} and 0 <= c["score"] <= 1, name
    assert data["checks"]["tool_use"]["applicable"] is False


def test_gates(verifier, snapshot, good_wiki) -> None:
    assert verifier.verify_files({}, snapshot).reward == 0.0
    escaped = verifier.verify_files({**good_wiki, "../escape.md": "x"}, snapshot)
    assert escaped.reward == 0.0 and "outside the wiki" in escaped.gate
    ep = _episode(GOOD + [("write_wiki_page", {"pagePath": "../../x.md", "title": "t", "content": "c",
                                               "description": "d", "sources": []}, "Successfully wrote", True)])
    assert verifier.verify_files(good_wiki, snapshot, episode=ep).reward == 0.0


def test_explain_lists_largest_deduction_first(verifier, snapshot, good_wiki) -> None:
    files = {k: v for k, v in good_wiki.items() if not k.startswith("components/worker/")}
    files["components/inventory/api.md"] = files["components/inventory/api.md"].replace("```mermaid\n", "```mermaid\n%%")
    score = verifier.verify_files(files, snapshot)
    points = [d.points for d in score.deductions]
    assert points == sorted(points, reverse=True) and points[0] > 0
    text = score.explain()
    assert text.splitlines()[1].startswith(f"-{points[0]:.4f}  {score.deductions[0].check}")


def test_trajectory_adds_tool_use(verifier, snapshot, good_wiki) -> None:
    s = verifier.verify_files(good_wiki, snapshot, episode=_episode(GOOD))
    assert s.checks["tool_use"].applicable and s.checks["tool_use"].score == 1.0 and s.reward == 1.0


def test_gate_message_does_not_claim_a_refused_write_happened() -> None:
    from wikigym.verifier.reward import VerifierConfig, combine

    score = combine({}, VerifierConfig.load(None), 3, ["../escape.md"])
    assert score.reward == 0.0 and "attempted" in score.gate and "../escape.md" in score.gate


def test_a_perfect_check_is_not_shown_as_minus_zero(verifier, snapshot, good_wiki) -> None:
    text = verifier.verify_files(good_wiki, snapshot).explain()
    assert "-0.0000" not in text and " 0.0000  citations" in text
