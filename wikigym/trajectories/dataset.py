"""`wikigym export sft`: recorded trajectories -> a tokenized, masked `datasets` dataset split by repository.

Reads `RUN_DIR/trajectories.jsonl` of one or more runs, keeps the episodes that pass the filters (minimum verifier
reward, successful episodes only, duplicates removed), renders each with `wikigym.trajectories.harmony` (so the masks
and the analysis policy are that module's) and writes a `datasets.DatasetDict` (`train` and, when there are enough
repositories, `validation`/`test`) with `save_to_disk`. Splits are by repository: no repository appears in two splits,
so validation measures generalisation to unseen code. A `manifest.json` written last records the config, counts and
token statistics (its presence means the export finished).

Columns: `input_ids`, `assistant_masks` (1 = in the loss), `episode_id`, `repo`, `conversation`, `reward`,
`n_tokens`, `n_loss_tokens`. TRL's `SFTTrainer` consumes `input_ids` + `assistant_masks` directly.

What it does not do: train (`wikigym.trainer.sft`), or re-score episodes (an episode without a score has reward
`None` and passes only when `min_reward` is unset).
"""

from __future__ import annotations

import hashlib
import json
import statistics
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wikigym.errors import ConfigError, TrajectoryCorrupt, check_output_dir
from wikigym.trajectories.harmony import RenderOptions, RenderStats, render_episode
from wikigym.trajectories.schema import SCHEMA_VERSION, SINGLE_TURN_KINDS, Episode

DATASET_SCHEMA = "wikigym.sft-dataset/1"


class ExportConfig(BaseModel):
    """What `wikigym export sft` keeps, how it renders, and how it splits."""

    model_config = ConfigDict(extra="forbid")

    min_reward: float | None = Field(None, description="Drop episodes whose verifier reward is below this (None: keep "
                                                       "all, scored or not).")
    successful_only: bool = Field(True, description="Keep only episodes that ended with end_turn and no errors.")
    dedupe: bool = Field(True, description="Drop episodes whose rendered tokens equal an earlier one's.")
    reasoning_effort: str = Field("medium", description="Reasoning effort in the Harmony system message.")
    split: str = Field("chain", description="chain: one example per tool-calling chain; turn: one per segment.")
    max_tokens: int | None = Field(16384, description="Examples longer than this are split per segment; segments "
                                                      "whose context alone is longer are dropped and counted.")
    validation_fraction: float = Field(0.1, description="Share of repositories held out for validation.")
    test_fraction: float = Field(0.0, description="Share of repositories held out for test.")
    seed: int = Field(0, description="Seed of the repository assignment to splits.")

    @field_validator("validation_fraction", "test_fraction")
    @classmethod
    def _fraction(cls, v: float) -> float:
        if not 0.0 <= v < 1.0:
            raise ValueError(f"must be in [0, 1), got {v}")
        return v

    def render_options(self) -> RenderOptions:
        if self.split not in ("chain", "turn"):
            raise ConfigError(f"split {self.split!r} is not chain or turn")
        return RenderOptions(reasoning_effort=self.reasoning_effort, split=self.split,  # type: ignore[arg-type]
                             max_tokens=self.max_tokens)


def read_run_episodes(path: Path) -> list[Episode]:
    """Episodes of a run directory (its `trajectories.jsonl`) or of a `.jsonl` file."""
    path = Path(path)
    file = path / "trajectories.jsonl" if path.is_dir() else path
    if not file.is_file():
        raise TrajectoryCorrupt(f"no trajectories at {file}; pass a RUN_DIR written by `wikigym record` or "
                                "`wikigym rollout`, or a trajectories .jsonl file")
    try:
        from wikigym.trajectories.store import read_episodes
    except ImportError:  # the store module is optional here: read the JSONL directly
        read_episodes = None  # type: ignore[assignment]
    if read_episodes is not None:
        return list(read_episodes(file))
    out = []
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            data = json.loads(line)
            if data.get("schema_version") != SCHEMA_VERSION:
                raise TrajectoryCorrupt(f"trajectory {file} line {n} has schema_version "
                                        f"{data.get('schema_version')!r}; this wikigym reads {SCHEMA_VERSION!r}")
            out.append(Episode.model_validate(data))
    return out


def episode_reward(ep: Episode) -> float | None:
    """The verifier's scalar reward recorded on an episode, or None when unscored.

    A single-turn (`plan`/`page`/`index`) episode scored as a whole wiki (recorded before the task-aware scorer)
    counts as unscored: that reward means nothing for it (`rescore_stale` scores such episodes again). The task
    scorer marks its scores with `stats.scorer == kind`."""
    if not ep.score:
        return None
    if ep.task.kind in SINGLE_TURN_KINDS and (ep.score.get("stats") or {}).get("scorer") != ep.task.kind:
        return None
    r = ep.score.get("reward")
    return float(r) if isinstance(r, (int, float)) else None


def rescore_stale(episodes: list[Episode]) -> int:
    """Score again, in place, the single-turn episodes whose stored score is a whole-wiki one, when their
    repository is still on disk; returns how many were rescored (the others stay unscored for `episode_reward`)."""
    stale = [e for e in episodes if e.score and e.task.kind in SINGLE_TURN_KINDS and episode_reward(e) is None
             and e.repo.path and Path(e.repo.path).is_dir()]
    if not stale:
        return 0
    try:
        from wikigym.verifier import verify_episode
    except ImportError:
        return 0
    done = 0
    for e in stale:
        try:
            e.score = verify_episode(e, e.repo.path).to_dict()
            done += 1
        except Exception as err:  # a repository that no longer matches: leave it unscored, say why
            e.errors.append(f"rescoring failed: {type(err).__name__}: {err}")
    return done


def repo_key(ep: Episode) -> str:
    """The repository identity used for splits: name, else URL, else path."""
    return ep.repo.name or ep.repo.url or ep.repo.path


def is_successful(ep: Episode) -> bool:
    return ep.stop_reason == "end_turn" and not ep.errors and bool(ep.steps)


def assign_splits(repos: Iterable[str], validation: float, test: float, seed: int = 0) -> dict[str, str]:
    """Repository -> split name; deterministic (hash order), held-out splits get at least one repo when >= 3 repos."""
    ordered = sorted(set(repos), key=lambda r: hashlib.sha256(f"{seed}:{r}".encode()).hexdigest())
    n = len(ordered)
    n_val = round(n * validation) if validation else 0
    n_test = round(n * test) if test else 0
    if n >= 3:
        n_val = max(n_val, 1 if validation else 0)
        n_test = max(n_test, 1 if test else 0)
    n_val, n_test = min(n_val, max(n - 1, 0)), min(n_test, max(n - 1 - n_val, 0))
    out = {}
    for i, r in enumerate(ordered):
        out[r] = "validation" if i < n_val else "test" if i < n_val + n_test else "train"
    return out


def length_stats(lengths: list[int]) -> dict[str, float]:
    """min / mean / p50 / p90 / p99 / max of token lengths."""
    if not lengths:
        return {"count": 0}
    s = sorted(lengths)

    def pct(p: float) -> int:
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]

    return {"count": len(s), "min": s[0], "mean": round(statistics.fmean(s), 1), "p50": pct(50), "p90": pct(90),
            "p99": pct(99), "max": s[-1], "total": sum(s)}


def build_rows(episodes: list[Episode], cfg: ExportConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Filter, dedupe and render episodes into dataset rows; returns (rows, counts)."""
    opts = cfg.render_options()
    counts = {"episodes": len(episodes), "unsuccessful": 0, "below_min_reward": 0, "duplicates": 0, "kept": 0}
    stats = RenderStats()
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for ep in episodes:
        reward = episode_reward(ep)
        if cfg.successful_only and not is_successful(ep):
            counts["unsuccessful"] += 1
            continue
        if cfg.min_reward is not None and (reward is None or reward < cfg.min_reward):
            counts["below_min_reward"] += 1
            continue
        exs, st = render_episode(ep, opts)
        if cfg.dedupe:
            digest = hashlib.sha256(json.dumps([e.input_ids for e in exs]).encode()).hexdigest()
            if digest in seen:
                counts["duplicates"] += 1
                continue
            seen.add(digest)
        counts["kept"] += 1
        stats.add(st)
        for ex in exs:
            rows.append({"input_ids": ex.input_ids, "assistant_masks": ex.assistant_masks,
                         "episode_id": ex.episode_id, "repo": repo_key(ep), "conversation": ex.conversation,
                         "reward": reward, "n_tokens": len(ex.input_ids), "n_loss_tokens": ex.n_loss_tokens})
    counts["render"] = stats.__dict__
    return rows, counts


def export_sft(run_dirs: list[Path], out: Path, cfg: ExportConfig | None = None) -> dict[str, Any]:
    """Write the SFT dataset of `run_dirs` to `out`; returns the manifest (counts, splits, token statistics).

    Example:
        >>> manifest = export_sft([Path("runs/teacher")], Path("data/sft"), ExportConfig(min_reward=0.5))
        >>> manifest["splits"]["train"]["examples"]
    """
    from datasets import Dataset, DatasetDict

    cfg = cfg or ExportConfig()
    # Checked before episodes are read and rendered: a bad --out is one error line, not a save_to_disk traceback.
    out = check_output_dir(out, "--out")
    episodes: list[Episode] = []
    for d in run_dirs:
        episodes.extend(read_run_episodes(Path(d)))
    if not episodes:
        # Said apart from "no episode passed the filters": lowering --min-reward cannot help an empty run.
        raise ConfigError(f"no episodes in {', '.join(str(d) for d in run_dirs)}; record some with `wikigym record` "
                          "first (or pass the RUN_DIR that holds them)")
    rows, counts = build_rows(episodes, cfg)
    if not rows:
        raise ConfigError(f"no episode of {len(episodes)} passed the filters ({counts}); lower --min-reward or pass "
                          "--include-failed")
    split_of = assign_splits((r["repo"] for r in rows), cfg.validation_fraction, cfg.test_fraction, cfg.seed)
    by_split: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_split.setdefault(split_of[r["repo"]], []).append(r)
    dd = DatasetDict({name: Dataset.from_list(rs) for name, rs in sorted(by_split.items())})
    out = Path(out)
    if (out / "manifest.json").exists():
        (out / "manifest.json").unlink()
    dd.save_to_disk(str(out))
    manifest = {
        "schema_version": DATASET_SCHEMA, "trajectory_schema": SCHEMA_VERSION,
        "sources": [str(Path(d)) for d in run_dirs], "config": cfg.model_dump(), "counts": counts,
        "splits": {name: {"examples": len(rs), "repos": sorted({r["repo"] for r in rs}),
                          "tokens": length_stats([r["n_tokens"] for r in rs]),
                          "loss_tokens": length_stats([r["n_loss_tokens"] for r in rs])}
                   for name, rs in sorted(by_split.items())},
    }
    from wikigym import __version__

    manifest["wikigym_version"] = __version__
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def load_sft_dataset(path: Path) -> Any:
    """The `DatasetDict` written by `export_sft` (refuses a directory without a finished manifest)."""
    from datasets import load_from_disk

    path = Path(path)
    man = path / "manifest.json"
    if not man.is_file():
        raise ConfigError(f"{path} is not a finished `wikigym export sft` dataset (no manifest.json); "
                          "rerun the export")
    data = json.loads(man.read_text(encoding="utf-8"))
    if data.get("schema_version") != DATASET_SCHEMA:
        raise ConfigError(f"{man} has schema_version {data.get('schema_version')!r}; this wikigym reads "
                          f"{DATASET_SCHEMA!r}: re-export the dataset")
    return load_from_disk(str(path))
