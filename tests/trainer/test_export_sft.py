"""`wikigym export sft` (wikigym.trajectories.dataset): filters, dedupe, repository splits, token statistics."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("datasets")

from tests.trainer.conftest import write_run  # noqa: E402
from tests.trainer.episodes import make_episode  # noqa: E402
from wikigym.errors import ConfigError  # noqa: E402
from wikigym.trajectories.dataset import ExportConfig, assign_splits, export_sft, load_sft_dataset  # noqa: E402


def test_filters_dedupe_and_repo_splits(tmp_path, teacher_run):
    dup = make_episode("alpha", 3, 0.6)
    dup.episode_id = "alpha-copy"
    failed = make_episode("beta", 9, 0.9)
    failed.stop_reason = "max_turns"
    extra = write_run(tmp_path / "extra", [dup, failed])
    man = export_sft([teacher_run, extra], tmp_path / "data", ExportConfig(min_reward=0.3, validation_fraction=0.34))
    c = man["counts"]
    assert (c["episodes"], c["unsuccessful"], c["below_min_reward"], c["duplicates"], c["kept"]) == (14, 1, 6, 1, 6)
    ds = load_sft_dataset(tmp_path / "data")
    repos = {name: set(ds[name]["repo"]) for name in ds}
    assert set(ds) == {"train", "validation"} and len(repos["validation"]) == 1
    assert not repos["train"] & repos["validation"]  # no repository in two splits
    assert min(ds["train"]["reward"]) >= 0.3
    row = ds["train"][0]
    assert len(row["input_ids"]) == len(row["assistant_masks"]) == row["n_tokens"]
    assert sum(row["assistant_masks"]) == row["n_loss_tokens"] > 0
    st = man["splits"]["train"]["tokens"]
    assert st["min"] <= st["p50"] <= st["p90"] <= st["max"] and st["total"] == sum(ds["train"]["n_tokens"])
    assert json.loads((tmp_path / "data" / "manifest.json").read_text())["schema_version"] == "wikigym.sft-dataset/1"


def test_nothing_passing_is_one_clear_error(tmp_path, teacher_run):
    with pytest.raises(ConfigError, match="--min-reward"):
        export_sft([teacher_run], tmp_path / "d", ExportConfig(min_reward=5.0))


def test_assign_splits_is_deterministic_and_disjoint():
    repos = [f"r{i}" for i in range(10)]
    a = assign_splits(repos, 0.2, 0.1, seed=1)
    assert a == assign_splits(list(reversed(repos)), 0.2, 0.1, seed=1)
    assert sorted(a.values()).count("validation") == 2 and sorted(a.values()).count("test") == 1
    assert set(assign_splits(["only"], 0.5, 0.0).values()) == {"train"}
