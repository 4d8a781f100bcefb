"""wikigym.verifier: a deterministic, explainable reward for generated wikis and trajectories.

Library API (the trainer and simulator call these):
- `Verifier(config=None)`: reusable; `.verify_dir(wiki_dir, snapshot, episode=None)`,
  `.verify_files(files, snapshot, episode=None)`, `.verify(Wiki, snapshot, episode=None)` -> `Score`.
- `verify_wiki(wiki_dir, snapshot, episode=None, config=None)` and `verify_files(files, snapshot, episode=None)`:
  the same through a shared `Verifier` (the Node process starts once per process).
- `verify_episode(episode, snapshot, wiki_dir=None)`: score an episode by its task kind: SemanticWiki's single-turn
  local tasks (`plan`, `page`, `index`) with their own checks (`local_tasks.py`, `weights-local-v1.yaml`), the
  others as whole wikis. Every place that scores episodes goes through it.
- `Score`: `.reward`, `.checks` (name -> `CheckResult(score, findings, stats)`), `.stats`, `.to_json()`, `.explain()`.
`snapshot` is a `RepoSnapshot` (wikigym.repos) or a repository path. Checks live in `checks/`, the weights in
`weights-v1.yaml`, the CodeWikiBench scorer in `codewikibench.py`, the HTML report in `report_html.py`.
"""

from wikigym.verifier.local_tasks import LOCAL_KINDS, LocalTaskConfig
from wikigym.verifier.model import CHECK_NAMES, CheckResult, Finding, Score
from wikigym.verifier.reward import VerifierConfig
from wikigym.verifier.verifier import (
    Verifier,
    load_episode,
    require_complete,
    verify_episode,
    verify_files,
    verify_wiki,
)
from wikigym.verifier.wiki import Wiki

__all__ = ["CHECK_NAMES", "LOCAL_KINDS", "CheckResult", "Finding", "LocalTaskConfig", "Score", "Verifier",
           "VerifierConfig", "Wiki", "load_episode", "require_complete", "verify_episode",
           "verify_files", "verify_wiki"]
