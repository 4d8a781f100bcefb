"""`wikigym dpo` on the tiny gpt-oss: the chosen-minus-rejected margin rises; masks keep tool outputs out."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("trl")

from tests.trainer.conftest import write_run  # noqa: E402
from tests.trainer.episodes import make_episode  # noqa: E402
from wikigym.trainer.config import DPORunConfig, PairsConfig, load_config  # noqa: E402
from wikigym.trainer.dpo import _collator_class, run_dpo  # noqa: E402
from wikigym.trainer.pairs import load_pairs, write_pairs  # noqa: E402

CONFIG = Path(__file__).parents[2] / "configs" / "dpo-tiny.yaml"


def test_collator_uses_pair_masks():
    col = _collator_class()(pad_token_id=0)
    out = col([{"prompt_ids": [1, 2], "chosen_ids": [3, 4, 5], "rejected_ids": [6, 7], "chosen_mask": [1, 0, 1],
                "rejected_mask": [1, 1]}])
    assert out["completion_mask"].tolist() == [[0, 0, 1, 0, 1], [0, 0, 1, 1, 0]]


def test_dpo_raises_margin(tmp_path):
    run = write_run(tmp_path / "ro", [make_episode("a", 0, 0.9), make_episode("a", 1, 0.1, invalid_call=True)])
    man = write_pairs([run], tmp_path / "pairs", PairsConfig())
    assert man["episode_pairs"] == 1
    row = load_pairs(tmp_path / "pairs")[0]
    assert 0 < sum(row["chosen_mask"]) < len(row["chosen_ids"])  # tool outputs inside the completion are masked
    cfg = load_config(DPORunConfig, CONFIG, {"pairs": str(tmp_path / "pairs"), "train.output_dir": str(tmp_path / "d"),
                                             "train.max_steps": 3})
    res = run_dpo(cfg)
    assert res["steps"] == 3
    assert res["margins"][-1] > res["margins"][0] + 0.05, res["margins"]
    assert res["losses"][-1] < res["losses"][0]
    assert (tmp_path / "d" / "adapter" / "adapter_config.json").is_file()
