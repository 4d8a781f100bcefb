"""The mutation suite: single faults on a correct wiki of the bundled example repo must each lower their own check
and the reward, and leave every other check exactly where it was. Prints the detection rate (target 100%)."""

from __future__ import annotations

from wikigym.verifier.mutations import OPERATORS, detection_rate

from .conftest import needs_node


def test_reference_wiki_scores_full_marks(verifier, snapshot, good_wiki) -> None:
    score = verifier.verify_files(good_wiki, snapshot)
    assert score.reward == 1.0, score.explain()


@needs_node
def test_every_single_fault_is_detected_in_isolation(verifier, snapshot, good_wiki, capsys) -> None:
    rate, outcomes = detection_rate(verifier, good_wiki, snapshot)
    with capsys.disabled():
        print()
        for o in outcomes:
            print("  " + o.line())
        print(f"  mutation detection rate: {sum(o.detected for o in outcomes)}/{len(outcomes)} = {rate:.0%}")
    assert len(outcomes) == len(OPERATORS) == 7
    assert {o.mutation.target for o in outcomes} == {"citations", "mermaid", "links", "structure", "stubs",
                                                     "hallucination"}
    assert rate == 1.0, [o.line() for o in outcomes if not o.detected]


def test_mutations_change_only_what_they_say(snapshot, good_wiki) -> None:
    for op in OPERATORS:
        mut = op(good_wiki, snapshot)
        changed = {k for k in set(good_wiki) | set(mut.files) if good_wiki.get(k) != mut.files.get(k)}
        assert 1 <= len(changed) <= 2, (mut.name, changed)
