"""The `harmony` student policy on the tiny gpt-oss: batched generation, parsing, the shared turn batcher."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("torch")

from tests.trainer.episodes import TOOLS  # noqa: E402
from wikigym.simulator.policies.harmony import HarmonyPolicy, TurnBatcher  # noqa: E402
from wikigym.trainer.config import ModelConfig  # noqa: E402
from wikigym.trainer.model import load_for_inference  # noqa: E402
from wikigym.trajectories.schema import PolicySpec  # noqa: E402


@pytest.fixture(scope="module")
def policy():
    model, tok = load_for_inference(ModelConfig(name="tiny", dtype="float32"))
    return HarmonyPolicy(PolicySpec(kind="harmony", model="tiny", temperature=0.0, max_tokens=6), model, tok)


def test_batched_greedy_equals_one_at_a_time(policy):
    short = ([{"role": "user", "content": "Document the repo."}], TOOLS, "Be brief.")
    long = ([{"role": "user", "content": "Document the repository at ./demo, every module of it, with citations."}],
            TOOLS, "Be brief.")
    both = policy.act_batch([short, long])
    alone = [policy.act_batch([short])[0], policy.act_batch([long])[0]]
    assert [t.raw_completion for t in both] == [t.raw_completion for t in alone]  # left padding is exact
    for t in both:
        assert t.usage.output_tokens <= 6 and t.usage.input_tokens > 100
        assert t.stop_reason in ("max_tokens", "tool_use", "end_turn")
        assert all(c.valid is False and c.raw_arguments is not None for c in t.tool_calls if c.arguments is None)


def test_turn_batcher_generates_waiting_episodes_together(policy):
    calls = []
    real = policy.act_batch

    def counting(requests):
        calls.append(len(requests))
        return real(requests)

    policy.act_batch = counting
    try:
        batcher = TurnBatcher(policy, batch_size=4, max_wait_s=10.0)
        students = [HarmonyPolicy(policy.spec, policy.model, policy.tokenizer, batcher=batcher) for _ in range(3)]
        out = [None] * 3
        for _ in students:
            batcher.episode_started()

        def run(i):
            out[i] = students[i].act([{"role": "user", "content": f"task {i}"}], TOOLS, "sys")
            batcher.episode_finished()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert all(o is not None for o in out) and calls == [3]
    finally:
        del policy.act_batch
