"""`wikigym pairs`: whole-episode, step (fork) and teacher pairs from a fixture of scored rollouts, with provenance."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("datasets")

from tests.trainer.conftest import write_run  # noqa: E402
from tests.trainer.episodes import make_episode  # noqa: E402
from wikigym.trainer.config import PairsConfig  # noqa: E402
from wikigym.trainer.pairs import build_pairs, load_pairs, write_pairs  # noqa: E402
from wikigym.trajectories.harmony import decode  # noqa: E402
from wikigym.trajectories.schema import ToolCall  # noqa: E402


def _fork(base, n: int, reward: float, path: str):
    ep = base.model_copy(deep=True)
    ep.episode_id = f"{base.episode_id}-fork1-{n}"
    ep.parent = {"episode_id": base.episode_id, "step": 1}
    ep.steps[1].tool_calls = [ToolCall(id=f"f{n}", name="write_wiki_page",
                                       arguments={"path": path, "content": "# page\n"})]
    ep.steps[1].tool_results[0].tool_use_id = f"f{n}"
    ep.score = {"reward": reward}
    return ep


def test_episode_and_step_pairs_with_provenance(tmp_path):
    base = make_episode("r", 0, 0.5)
    eps = [make_episode("r", 1, 0.8), base, make_episode("r", 2, 0.78), make_episode("s", 0, 0.5),
           make_episode("s", 1, 0.52), _fork(base, 0, 0.9, "good.md"), _fork(base, 1, 0.2, "bad.md")]
    for e in eps[:5]:
        e.config = {"task_id": e.repo.name}
    run = write_run(tmp_path / "run", eps)
    man = write_pairs([run], tmp_path / "pairs", PairsConfig(min_margin=0.1))
    assert (man["episode_pairs"], man["step_pairs"]) == (1, 1)  # task "s" is under the margin
    prov = [json.loads(ln) for ln in (tmp_path / "pairs" / "pairs.jsonl").read_text().splitlines()]
    ep_pair = next(p for p in prov if p["kind"] == "episode")
    assert (ep_pair["chosen_episode"], ep_pair["rejected_episode"]) == ("r-1", "r-0")
    assert (ep_pair["chosen_reward"], ep_pair["rejected_reward"]) == (0.8, 0.5)
    step = next(p for p in prov if p["kind"] == "step")
    assert step["chosen_episode"].endswith("fork1-0") and step["fork_step"] == 1 and step["step"] == 1
    ds = load_pairs(tmp_path / "pairs")
    row = ds[[r["kind"] for r in ds].index("step")]
    # The shared context ends where the forks diverge; the two next actions differ only in what they write.
    assert decode(row["prompt_ids"]).endswith("<|start|>assistant")
    assert "good.md" in decode(row["chosen_ids"]) and "bad.md" in decode(row["rejected_ids"])
    assert decode(row["chosen_ids"]).endswith("<|call|>") and all(row["chosen_mask"])


def test_teacher_pairs_and_length_cap():
    teacher = make_episode("t", 0, 1.0)
    student = make_episode("t", 0, 0.0, invalid_call=True)  # same tool outputs as the teacher until it diverges
    student.episode_id = "student-0"
    student.config = {"task_id": "t::generate::" + student.task.prompt}
    rows = build_pairs([student], PairsConfig(episode_pairs=False, step_pairs=False), teachers=[teacher])
    assert [r["kind"] for r in rows] == ["teacher"] and rows[0]["chosen_episode"] == "t-0"
    assert "Write the page." in decode(rows[0]["rejected_ids"]) and rows[0]["step"] == 1
    assert build_pairs([student], PairsConfig(max_length=10), teachers=[teacher]) == []


def test_pairs_dropped_for_length_are_counted_and_named_by_dpo(tmp_path):
    """All pairs over max_length used to vanish silently ("pairs": 0), and dpo then advised lowering --min-margin,
    which cannot help; now the manifest counts them and load_pairs names --max-length."""
    from wikigym.errors import ConfigError

    best, worst = make_episode("alpha", 0, 0.9), make_episode("alpha", 1, 0.1)
    run = write_run(tmp_path / "run", [best, worst])
    man = write_pairs([run], tmp_path / "pairs", PairsConfig(max_length=10))
    assert man["pairs"] == 0 and man["too_long"] >= 1 and man["longest_dropped"] > 10
    with pytest.raises(ConfigError, match="--max-length"):
        load_pairs(tmp_path / "pairs")
