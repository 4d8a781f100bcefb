"""Harmony rendering, loss masks and completion parsing (`wikigym.trajectories.harmony`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("openai_harmony")

from tests.trainer.episodes import TOOLS, make_episode  # noqa: E402
from wikigym.trajectories.harmony import (  # noqa: E402
    RAW_PREFIX,
    RenderOptions,
    decode,
    parse_completion,
    render_episode,
    render_prompt,
)
from wikigym.trajectories.schema import Episode  # noqa: E402
from wikigym.trajectories.tokenizer import harmony_encoding  # noqa: E402

FIXTURE = Path(__file__).parents[1] / "fixtures" / "trajectory-v1.jsonl"
GOLDEN = Path(__file__).parents[1] / "fixtures" / "harmony-render-v1.txt"


def _loss_text(ex) -> str:
    return decode([t for t, m in zip(ex.input_ids, ex.assistant_masks) if m])


def _anthropic(ep: Episode, upto: int) -> list[dict]:
    """The loop's Anthropic-shaped messages before step `upto` (first conversation), as the student would get them."""
    msgs: list[dict] = [{"role": "user", "content": ep.task.prompt}]
    for step in ep.steps[:upto]:
        blocks: list[dict] = []
        if step.text:
            blocks.append({"type": "text", "text": step.text})
        for c in step.tool_calls:
            blocks.append({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments or {}})
        msgs.append({"role": "assistant", "content": blocks})
        if step.tool_results:
            msgs.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": r.tool_use_id,
                                                      "content": r.output} for r in step.tool_results]})
    return msgs


def test_render_matches_golden_and_harmony_structure():
    ep = make_episode("demo", 0, 0.5, verification_pass=True)
    exs, stats = render_episode(ep, RenderOptions(reasoning_effort="high"))
    text = decode(exs[0].input_ids)
    assert "Reasoning: high" in text
    assert "namespace functions {" in text and "type read_file = (_: {" in text
    assert '<|start|>assistant to=functions.read_file<|channel|>commentary <|constrain|>json<|message|>' \
           '{"path":"src/app.py"}<|call|>' in text
    assert "<|start|>functions.read_file to=assistant<|channel|>commentary<|message|>def main()" in text
    assert text.endswith("<|channel|>final<|message|>Wrote the wiki for demo.<|return|>")
    assert [e.conversation for e in exs] == [0, 1]  # the verification pass is its own conversation
    golden = GOLDEN.read_text(encoding="utf-8")
    assert text == golden, "Harmony render changed; diff against tests/fixtures/harmony-render-v1.txt"
    assert stats.examples == 2 and stats.loss_tokens == sum(e.n_loss_tokens for e in exs)


def test_loss_mask_covers_assistant_tokens_only():
    ep = make_episode("demo", 1, 0.5, invalid_call=True)
    (ex,), _ = render_episode(ep)
    enc = harmony_encoding()
    start, call, ret = (enc.encode(s, allowed_special="all")[0] for s in ("<|start|>", "<|call|>", "<|return|>"))
    inside = _loss_text(ex)
    # In: reasoning, preamble, call arguments (also the malformed one), and every closing <|call|>/<|return|>.
    assert "I should look at the entry points" in inside and "Reading the sources." in inside
    assert '{"path":"README.md"}<|call|>' in inside and '{"path": "index.md", "content": <|call|>' in inside
    assert inside.endswith("Wrote the wiki for demo.<|return|>")
    # Out: prompts, the developer message, every tool output.
    for s in ("Generate a wiki", "namespace functions", "def main()", "Successfully wrote", "Error: invalid JSON"):
        assert s not in inside
    ids, mask = ex.input_ids, ex.assistant_masks
    assert all(mask[i] for i, t in enumerate(ids) if t in (call, ret))
    # Every <|start|> the prompt supplies before a generated segment is out of the loss; ones inside a run are in.
    # Assistant messages that continue a run: preamble + call1 of step 0, then one per later step (5 in all).
    starts_in = [i for i, t in enumerate(ids) if t == start and mask[i]]
    assert len(starts_in) == 5 and all(mask[i - 1] for i in starts_in)
    assert sum(1 for i, t in enumerate(ids) if t == start and not mask[i] and mask[i + 2]) == 5  # segment openers


def test_every_segment_context_is_the_inference_prompt():
    """Training context of each generated segment == what `render_prompt` gives the student at that point."""
    ep = make_episode("demo", 2, 0.5, invalid_call=True)
    exs, _ = render_episode(ep, RenderOptions(split="turn"))
    # Segments: step0 (analysis+preamble+call1), call2, step1 (malformed call), step2, step3 (final).
    assert len(exs) == 5
    step_of_segment = [0, None, 1, 2, 3]
    for ex, step in zip(exs, step_of_segment):
        first = ex.assistant_masks.index(1)
        if step is None:
            continue  # the second parallel call: the loop never asks the policy mid-turn
        # What the policy remembers of its own turns: reasoning, and the raw text of its malformed call.
        reasoning = {(s.tool_calls[0].id if s.tool_calls else "text:" + s.text): s.reasoning for s in ep.steps}
        reasoning.update({RAW_PREFIX + c.id: c.raw_arguments for s in ep.steps for c in s.tool_calls
                          if c.arguments is None})
        prompt = render_prompt(_anthropic(ep, step), ep.tools, ep.system_prompt, RenderOptions(), reasoning)
        assert ex.input_ids[:first] == prompt


def test_chain_and_turn_splits_train_the_same_tokens():
    ep = make_episode("demo", 3, 0.5)
    (chain,), s1 = render_episode(ep)
    turns, s2 = render_episode(ep, RenderOptions(split="turn"))
    assert s1.loss_tokens == s2.loss_tokens
    assert _loss_text(chain) == "".join(_loss_text(t) for t in turns)


def test_max_tokens_splits_then_drops_and_counts():
    ep = make_episode("demo", 4, 0.5)
    (chain,), _ = render_episode(ep)
    limit = len(chain.input_ids) - 5
    exs, stats = render_episode(ep, RenderOptions(max_tokens=limit))
    assert stats.split_chains == 1 and stats.dropped_segments == 1  # only the final segment ends past the limit
    assert all(len(e.input_ids) <= limit for e in exs)
    _, tiny = render_episode(ep, RenderOptions(max_tokens=10))
    assert tiny.examples == 0 and tiny.dropped_segments == 4 and tiny.dropped_loss_tokens > 0


def test_parse_completion_round_trip_and_malformed():
    enc = harmony_encoding()
    call = enc.encode('<|channel|>analysis<|message|>think<|end|><|start|>assistant to=functions.read_file'
                      '<|channel|>commentary <|constrain|>json<|message|>{"path":"a.py"}<|call|>',
                      allowed_special="all")
    turn = parse_completion(call, "c1")
    assert turn.reasoning == "think" and turn.stop_reason == "tool_use"
    assert [(c.name, c.arguments, c.valid) for c in turn.tool_calls] == [("read_file", {"path": "a.py"}, True)]
    final = enc.encode("<|channel|>final<|message|>Done.<|return|>", allowed_special="all")
    t2 = parse_completion(final)
    assert (t2.text, t2.stop_reason, t2.tool_calls) == ("Done.", "end_turn", [])
    bad = enc.encode('<|channel|>commentary to=functions.read_file <|constrain|>json<|message|>{"path": <|call|>',
                     allowed_special="all")
    t3 = parse_completion(bad)
    assert t3.tool_calls[0].valid is False and t3.tool_calls[0].raw_arguments == '{"path": '
    assert t3.tool_calls[0].name == "read_file"
    cut = enc.encode("<|channel|>analysis<|message|>still thinking", allowed_special="all")
    assert parse_completion(cut).stop_reason == "max_tokens"


def test_fixture_file_renders():
    lines = [ln for ln in FIXTURE.read_text(encoding="utf-8").splitlines() if ln.strip()]
    eps = [Episode.model_validate_json(ln) for ln in lines]
    assert eps and all(e.schema_version == "wikigym.trajectory/1" for e in eps)
    for ep in eps:
        exs, stats = render_episode(ep)
        assert stats.loss_tokens > 0
        assert all(len(e.input_ids) == len(e.assistant_masks) for e in exs)
    assert json.loads(lines[0])["tools"] == TOOLS


def test_a_completion_with_invalid_utf8_is_the_students_answer_not_a_crash():
    """Token 100066 is a lone UTF-8 continuation byte: decoding it strictly raised, and the whole turn became a
    failed generation (unscored) instead of the student's garbled text (scored)."""
    from wikigym.trajectories.harmony import decode, parse_completion
    from wikigym.trajectories.tokenizer import harmony_encoding

    enc = harmony_encoding()
    tokens = enc.encode("<|channel|>final<|message|>", allowed_special="all") + [100066] + enc.encode("ok") + \
        enc.encode("<|return|>", allowed_special="all")
    turn = parse_completion(tokens)
    assert turn.stop_reason == "end_turn" and "\ufffd" in turn.text and turn.text.endswith("ok")
    assert "\ufffd" in decode(tokens)
    cut = parse_completion(tokens[:4] + [100066])  # cut off mid-character by max_tokens
    assert cut.stop_reason == "max_tokens"
