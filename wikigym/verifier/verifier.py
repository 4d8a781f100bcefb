"""The verifier: run every check on a wiki (and optionally its trajectory) and combine them into a `Score`.

One `Verifier` is meant to be reused across thousands of calls: it keeps the Mermaid Node workers running, caches
diagram verdicts by hash and caches each repository's `RepoIndex`. Diagrams are sent to Node first, the other checks
run while Node parses, then the verdicts are collected.

    v = Verifier()                                   # weights-v1.yaml
    score = v.verify_dir(Path("wiki"), "path/to/repo")
    score = v.verify_files(episode.wiki, snapshot, episode=episode)
    print(score.reward, score.explain())

What it does not do: call an LLM (see `codewikibench.py` for the judged benchmark) or write anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError, TrajectoryCorrupt, WikigymError
from wikigym.verifier.checks.citations import check_citations, extract_citations
from wikigym.verifier.checks.coverage import check_coverage
from wikigym.verifier.checks.hallucination import check_hallucination
from wikigym.verifier.checks.links import check_links
from wikigym.verifier.checks.mermaid import check_mermaid, diagram_codes
from wikigym.verifier.checks.structure import check_structure
from wikigym.verifier.checks.stubs import check_stubs
from wikigym.verifier.checks.tool_use import bare_name, check_tool_use
from wikigym.verifier.local_tasks import LOCAL_KINDS, LocalTaskConfig, score_local
from wikigym.verifier.mermaid import MermaidValidator
from wikigym.verifier.model import CheckResult, Score
from wikigym.verifier.repo_index import RepoIndex, is_clone_url, load_snapshot
from wikigym.verifier.reward import VerifierConfig, combine
from wikigym.verifier.wiki import Wiki, _is_outside


class Verifier:
    """Reusable verifier: one config, one set of Mermaid workers, cached repository indexes."""

    def __init__(self, config: VerifierConfig | Path | str | None = None, mermaid: MermaidValidator | None = None,
                 local_config: LocalTaskConfig | Path | str | None = None):
        self.config = config if isinstance(config, VerifierConfig) else VerifierConfig.load(config)
        self._local_config = local_config
        self.mermaid = mermaid or MermaidValidator()
        self._indexes: dict[Any, tuple[Any, RepoIndex]] = {}

    def index(self, snapshot: Any) -> RepoIndex:
        """The cached `RepoIndex` of a snapshot (or of a repository path, opened once)."""
        if isinstance(snapshot, (str, Path)):
            url = isinstance(snapshot, str) and is_clone_url(snapshot)
            key: Any = ("url", snapshot) if url else ("path", str(Path(snapshot).expanduser().resolve()))
            if key not in self._indexes:
                snap = load_snapshot(snapshot)
                self._indexes[key] = (snap, RepoIndex(snap))
            return self._indexes[key][1]
        key = ("obj", id(snapshot))
        hit = self._indexes.get(key)
        if hit is None or hit[0] is not snapshot:
            hit = (snapshot, RepoIndex(snapshot))
            self._indexes[key] = hit
        return hit[1]

    def _index_without_wiki(self, repo: RepoIndex, wiki: Wiki) -> RepoIndex:
        """`repo`, or a view of it without the wiki's directory when the wiki was written inside the repository.

        A wiki under the checkout it documents (`-o ./wiki`) is part of the snapshot's files: its own words then
        "exist in the repository" (an invented `FooBuilder` passed the hallucination check because the wiki
        mentions it) and its pages count as citable files. Such a wiki is scored against the repository minus it.
        """
        snap = repo.snapshot
        root = getattr(snap, "root", None)
        if wiki.root is None or root is None or not hasattr(snap, "without"):
            return repo
        try:
            rel = Path(wiki.root).resolve().relative_to(Path(root).resolve())
        except ValueError:
            return repo  # the wiki is outside the repository: nothing to leave out
        if not rel.parts:
            return repo  # the wiki directory is the repository itself: leaving it out would leave nothing
        key = ("without", id(snap), rel.as_posix())
        hit = self._indexes.get(key)
        if hit is None or hit[0] is not snap:
            hit = (snap, RepoIndex(snap.without(rel.as_posix())))
            self._indexes[key] = hit
        return hit[1]

    def verify(self, wiki: Wiki, snapshot: Any, episode: Any = None) -> Score:
        """Run all checks on a parsed wiki and combine them."""
        repo = self._index_without_wiki(self.index(snapshot), wiki)
        cfg = self.config
        codes = diagram_codes(wiki)
        pending = self.mermaid.submit([c for _, _, c in codes]) if codes else None
        checks: dict[str, CheckResult] = {}
        checks["citations"] = check_citations(wiki, repo, cfg.for_check("citations"))
        checks["links"] = check_links(wiki, repo, cfg.for_check("links"))
        checks["structure"] = check_structure(wiki, repo, cfg.for_check("structure"))
        checks["stubs"] = check_stubs(wiki, repo, cfg.for_check("stubs"))
        checks["coverage"] = check_coverage(wiki, repo, cfg.for_check("coverage"))
        checks["hallucination"] = check_hallucination(wiki, repo, cfg.for_check("hallucination"))
        checks["tool_use"] = check_tool_use(episode, cfg.for_check("tool_use"))
        results = pending.collect() if pending else []
        checks["mermaid"] = check_mermaid(wiki, repo, cfg.for_check("mermaid"), results=results,
                                          error=self.mermaid.error if codes else None)
        ordered = {name: checks[name] for name in ("citations", "mermaid", "links", "structure", "stubs", "coverage",
                                                   "hallucination", "tool_use")}
        outside = list(wiki.outside) + _episode_outside(episode)
        score = combine(ordered, cfg, len(wiki.pages), outside)
        score.stats.update({
            "pages": len(wiki.pages),
            "words": wiki.total_words,
            "diagrams": len(codes),
            "citations": sum(len(extract_citations(p)) for p in wiki.pages),
            "pages_outside_wiki": sorted(set(outside)),
            "per_page": per_page_scores(wiki, ordered),
        })
        return score

    @property
    def local_config(self) -> LocalTaskConfig:
        """The single-turn tasks' weights (`weights-local-v1.yaml` unless given), loaded on first use."""
        if not isinstance(self._local_config, LocalTaskConfig):
            self._local_config = LocalTaskConfig.load(self._local_config)
        return self._local_config

    def verify_episode(self, episode: Any, snapshot: Any, wiki_dir: Path | str | None = None) -> Score:
        """Score an episode by its task kind: a single-turn task (`plan`, `page`, `index`) with its own checks
        (`local_tasks.py`), any other as a whole wiki (`wiki_dir` when given, else the episode's `wiki` files)."""
        kind = getattr(getattr(episode, "task", None), "kind", "generate")
        if kind in LOCAL_KINDS:
            return score_local(self, episode, self.index(snapshot), self.local_config,
                               Path(wiki_dir) if wiki_dir is not None else None)
        if wiki_dir is not None:
            return self.verify_dir(wiki_dir, snapshot, episode)
        return self.verify_files(episode.wiki, snapshot, episode)

    def verify_dir(self, wiki_dir: Path | str, snapshot: Any, episode: Any = None) -> Score:
        return self.verify(Wiki.from_dir(Path(wiki_dir)), snapshot, episode)

    def verify_files(self, files: dict[str, str], snapshot: Any, episode: Any = None) -> Score:
        return self.verify(Wiki.from_files(files), snapshot, episode)

    def close(self) -> None:
        self.mermaid.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def per_page_scores(wiki: Wiki, checks: dict[str, CheckResult]) -> dict[str, dict[str, Any]]:
    """Per page: findings per check and a page score = 1 - (checks with a finding on the page) / (page checks)."""
    page_checks = ("citations", "mermaid", "links", "structure", "stubs", "hallucination")
    out: dict[str, dict[str, Any]] = {}
    for p in wiki.pages:
        counts = {name: sum(1 for f in checks[name].findings if f.page == p.path) for name in page_checks}
        hit = sum(1 for v in counts.values() if v)
        out[p.path] = {"score": round(1 - hit / len(page_checks), 6), "findings": counts, "words": p.words,
                       "citations": len(extract_citations(p)), "diagrams": len(p.mermaid)}
    return out


def _episode_outside(episode: Any) -> list[str]:
    if episode is None:
        return []
    out = []
    for step in episode.steps:
        for call in step.tool_calls:
            if bare_name(call.name) == "write_wiki_page" and isinstance(call.arguments, dict):
                path = str(call.arguments.get("pagePath", ""))
                if path and _is_outside(path):
                    out.append(path)
    return out


_DEFAULT: dict[Any, Verifier] = {}


def _shared(config: VerifierConfig | Path | str | None) -> Verifier:
    key = id(config) if isinstance(config, VerifierConfig) else str(config)
    if key not in _DEFAULT:
        _DEFAULT[key] = Verifier(config)
    return _DEFAULT[key]


def verify_wiki(wiki_dir: Path | str, snapshot: Any, episode: Any = None,
                config: VerifierConfig | Path | str | None = None) -> Score:
    """Score a wiki directory against its repository (snapshot object or path); a shared `Verifier` is reused."""
    return _shared(config).verify_dir(wiki_dir, snapshot, episode)


def verify_files(files: dict[str, str], snapshot: Any, episode: Any = None,
                 config: VerifierConfig | Path | str | None = None) -> Score:
    """Score a wiki held in memory (e.g. a trajectory's `wiki` field: relative path -> content)."""
    return _shared(config).verify_files(files, snapshot, episode)


def verify_episode(episode: Any, snapshot: Any, wiki_dir: Path | str | None = None,
                   config: VerifierConfig | Path | str | None = None) -> Score:
    """Score a finished episode by its task kind (see `Verifier.verify_episode`); a shared `Verifier` is reused.
    This is the one entry point for scoring episodes (record, rollout, replay, inspect, verify --trajectory)."""
    return _shared(config).verify_episode(episode, snapshot, wiki_dir)


def require_complete(score: Score) -> Score:
    """`score`, or a `ConfigError` when a check could not run (Node or the npm mermaid package missing).

    Such a check scores 0, which is honest in a report but poisons training data: every rollout with a diagram would
    lose the same points and the student would learn to drop diagrams. Scores that are stored as rewards (record,
    rollout) go through here, so a broken environment stops the run with one line instead.
    """
    broken = [f"{name}: {res.error}" for name, res in score.checks.items() if res.error]
    if broken:
        raise ConfigError(f"cannot score episodes for training: {'; '.join(broken)}")
    return score


def load_episode(path: Path | str, episode_id: str | None = None) -> Any:
    """One `Episode` from a trajectories JSONL file (or a run directory holding `trajectories.jsonl`).

    Without `episode_id` the file must hold exactly one episode. The file is read by the trajectory store's rules (a
    truncated last line, left by an interrupted recording, is skipped with a warning as `replay` and `inspect` do);
    only the chosen record is validated, so picking one episode of a large run stays cheap.
    """
    from wikigym.trajectories.schema import Episode
    from wikigym.trajectories.store import read_records

    p = Path(path)
    if p.is_dir():
        p = p / "trajectories.jsonl"
    if not p.is_file():
        raise WikigymError(f"trajectory file {p} does not exist; pass a run's trajectories.jsonl with --trajectory")
    records = read_records(p)
    found = [(n, rec) for n, rec in enumerate(records, 1) if episode_id is None or rec.get("episode_id") == episode_id]
    ids = [str(rec.get("episode_id")) for rec in records]
    listing = ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else "")
    if not found:
        if not records:
            raise WikigymError(f"{p} holds no finished episode; record one with `wikigym record`")
        raise WikigymError(f"no episode {episode_id!r} in {p}; it has {listing}: pass one of them with --episode")
    if episode_id is None and len(found) > 1:
        raise WikigymError(f"{p} holds {len(found)} episodes ({listing}); pick one with --episode ID")
    n, rec = found[0]
    try:
        return Episode.model_validate(rec)
    except Exception as e:
        raise TrajectoryCorrupt(f"trajectory {p} line {n} does not match the schema: {str(e).splitlines()[0]}") from None
