"""Every recorded SemanticWiki tool case, byte for byte (215 cases, run in order in one ROOT)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.conformance.harness import GOLDENS, Runner, load_jsonl, make_root, wiki_tree

pytestmark = pytest.mark.skipif(not GOLDENS.exists(), reason="../shared/conformance is not beside this checkout")


def _diff(expected: str, got: str) -> str:
    return "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "expected", "wikigym"))[:4000]


def test_all_goldens_byte_exact(tmp_path: Path) -> None:
    cases = load_jsonl("goldens.jsonl")
    effects = iter(load_jsonl("write_effects.jsonl"))
    runner = Runner(make_root(tmp_path))
    failures = []
    effect_failures = []
    for case in cases:
        try:
            out = runner.run(case)
        except Exception as e:  # a crash is a failed case, reported with the others
            failures.append(f"{case['case']}: raised {type(e).__name__}: {e}")
            continue
        if not out.ok:
            why = "" if out.is_error_ok else " (is_error differs)"
            failures.append(f"{out.case}{why}\n{_diff(out.expected, out.got)}")
        if case["tool"] == "write_wiki_page" and case["mode"] in ("direct", "sdk"):
            eff = next(effects)
            got = wiki_tree(Path(runner.sub(case["wiki_root"])))
            if got != eff["wiki_after"]:
                effect_failures.append(f"{case['case']}: wiki tree differs: {sorted(set(got.items()) ^ set(eff['wiki_after'].items()))[:3]}")
            if eff.get("escape_after") is not None:
                esc = wiki_tree(Path(runner.sub("<ROOT>/wiki/escape")))
                if esc != eff["escape_after"]:
                    effect_failures.append(f"{case['case']}: escape dir differs")
    passed = len(cases) - len(failures)
    print(f"\nconformance: {passed}/{len(cases)} byte-exact")
    assert not failures and not effect_failures, f"{passed}/{len(cases)} byte-exact\n" + "\n".join(
        failures[:30] + effect_failures[:10])
