"""CodeWikiBench scoring: hierarchical rubrics judged leaf by leaf, weighted roll-up, several judges averaged.

Two paths:
- `aggregate(judged_trees)`: reproduce CodeWikiBench's `combine_evaluations.py --method average` exactly: each leaf's
  score is the mean over the judges that evaluated it (a leaf no judge evaluated scores 0), parents are the weighted
  mean of their children (rubric weights 3/2/1), and the overall score is the weighted mean of the top-level items;
  its `overall_std` uses the same weighted combination of per-leaf sample standard deviations. Input files are
  CodeWikiBench's `evaluation_results/<judge>.json` (a rubric list, or `{"rubrics": [...]}`). The published OpenHands
  figures (0.8245 CodeWiki, 0.7304 DeepWiki) come out of the vendored judgments in tests/fixtures/codewikibench.
- `judge_wiki(...)`: judge a generated wiki against a repository's rubrics with Claude (`anthropic`) or any
  OpenAI-compatible chat-completions endpoint (vLLM, Ollama, llama.cpp server), using CodeWikiBench's evaluation
  system prompt. Every verdict is appended to a JSONL cache keyed by (leaf path, wiki hash, judge), so an interrupted
  run resumes where it stopped. A judge error (HTTP failure, unparseable answer, score not 0/1) is recorded as an
  error and the leaf is left unevaluated for that judge; it is never counted as a pass (CodeWikiBench's own judge
  scores an evaluation error as 1).

Deliberate difference from CodeWikiBench's judge: it lets the judge navigate `docs_tree.json` with a tool; here the
judge gets the wiki's page tree and the text of the pages most relevant to the criterion (token overlap, ties by
path), up to `max_doc_chars`. Rubrics come from a local CodeWikiBench data directory
(`<dir>/<repo>/rubrics/combined_rubrics.json`, or a rubrics JSON file) or the Hugging Face dataset
`anhnh2002/codewikibench` through `datasets` when online.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wikigym.errors import ConfigError, WikigymError

HF_DATASET = "anhnh2002/codewikibench"

# CodeWikiBench src/judge/judge.py EVALUATION_SYSTEM_PROMPT (the judge's instructions; reproduced verbatim).
EVALUATION_SYSTEM_PROMPT = """
You are a documentation evaluation expert. Your task is to evaluate whether a specific criteria is documented in the given documentation tree.

# OBJECTIVE
For each leaf-level criteria provided, determine if the documentation adequately covers that criteria using a binary evaluation (0 or 1).

# EVALUATION CRITERIA
- **1 (Documented)**: The criteria is explained, described, or mentioned in the documentation
- **0 (Not Documented)**: The criteria is not mentioned or missing from the documentation

# EVALUATION PROCESS
1. Analyze the provided documentation tree structure and content
2. For each criteria, SEARCH through the documentation to find relevant coverage
3. Make a binary decision: Does the documentation mention this criteria? Consider both direct explanations and implicit coverage.
4. Provide brief reasoning for your decision

# OUTPUT FORMAT
For each criteria evaluated, respond with:
```json
{
  "criteria": "The specific criteria text",
  "score": 0 or 1,
  "reasoning": "Brief explanation of why this score was assigned",
  "evidence": "Specific documentation sections or content that support the score"
}
```
""".strip()


# ---------------------------------------------------------------------------------------------------------------------
# Aggregation (CodeWikiBench combine_evaluations.py, method "average")
# ---------------------------------------------------------------------------------------------------------------------
def is_leaf(item: dict) -> bool:
    return "sub_tasks" not in item or not item["sub_tasks"]


def rubric_list(data: Any) -> list[dict]:
    """The rubric items of a rubrics or evaluation file (a list, or a dict with `rubrics`)."""
    if isinstance(data, dict) and "rubrics" in data:
        data = data["rubrics"]
    if not isinstance(data, list):
        raise WikigymError("a CodeWikiBench rubric file must hold a list of rubric items (or {\"rubrics\": [...]})")
    return data


def leaf_requirements(rubrics: list[dict]) -> list[dict]:
    """[{path: "0.1.2", requirement, weight}] in CodeWikiBench's traversal order."""
    out: list[dict] = []

    def walk(items: list[dict], prefix: str) -> None:
        for i, item in enumerate(items):
            path = f"{prefix}.{i}" if prefix else str(i)
            if is_leaf(item):
                out.append({"path": path, "requirement": item["requirements"], "weight": item["weight"]})
            else:
                walk(item["sub_tasks"], path)

    walk(rubrics, "")
    return out


def leaf_evaluations(rubrics: list[dict]) -> dict[str, dict]:
    """path -> evaluation of every leaf that carries one (CodeWikiBench's `extract_leaf_evaluations`)."""
    out: dict[str, dict] = {}

    def walk(items: list[dict], prefix: str) -> None:
        for i, item in enumerate(items):
            path = f"{prefix}.{i}" if prefix else str(i)
            if is_leaf(item):
                ev = item.get("evaluation")
                if ev is not None and ev.get("score") is not None:
                    out[path] = ev
            else:
                walk(item["sub_tasks"], path)

    walk(rubrics, "")
    return out


def combine_std_weighted(stds: list[float], weights: list[float]) -> float:
    """sqrt(sum(w_i^2 s_i^2)) / sum(w_i) (CodeWikiBench's combination of child spreads)."""
    if not stds or not weights or len(stds) != len(weights):
        return 0.0
    total = sum(weights)
    if total == 0:
        return 0.0
    return math.sqrt(sum(w ** 2 * s ** 2 for w, s in zip(weights, stds))) / total


def roll_up(rubrics: list[dict], leaves: dict[str, dict]) -> list[dict]:
    """A scored copy of the rubric tree: leaves from `leaves` (missing -> 0), parents the weighted mean of children."""
    tree = json.loads(json.dumps(rubrics))

    def walk(items: list[dict], prefix: str) -> None:
        for i, item in enumerate(items):
            path = f"{prefix}.{i}" if prefix else str(i)
            if is_leaf(item):
                ev = leaves.get(path, {"score": 0, "std": 0})
                item["score"] = ev["score"]
                item["std"] = ev.get("std", 0)
            else:
                walk(item["sub_tasks"], path)
                total_score = 0
                total_weight = 0
                stds, weights = [], []
                for sub in item["sub_tasks"]:
                    total_score += sub["score"] * sub["weight"]
                    total_weight += sub["weight"]
                    stds.append(sub.get("std", 0))
                    weights.append(sub["weight"])
                item["score"] = total_score / total_weight if total_weight > 0 else 0
                item["std"] = combine_std_weighted(stds, weights)

    walk(tree, "")
    return tree


def overall(tree: list[dict]) -> tuple[float, float]:
    """(weighted mean of the top-level scores, combined std) as CodeWikiBench prints them."""
    score = 0.0
    total = 0.0
    stds, weights = [], []
    for item in tree:
        w = item.get("weight", 1)
        score += item.get("score", 0) * w
        total += w
        stds.append(item.get("std", 0))
        weights.append(w)
    return (score / total if total > 0 else 0.0), combine_std_weighted(stds, weights)


@dataclass
class BenchResult:
    """The overall score over all judges, its spread, and each judge's own score."""

    overall: float
    overall_std: float
    judges: dict[str, float]
    leaves: int
    evaluated_leaves: int
    errors: dict[str, int] = field(default_factory=dict)
    tree: list[dict] = field(default_factory=list, repr=False)

    @property
    def judge_spread(self) -> dict[str, float]:
        vals = list(self.judges.values())
        return {"min": min(vals), "max": max(vals), "stdev": statistics.stdev(vals) if len(vals) > 1 else 0.0}

    def to_dict(self) -> dict[str, Any]:
        return {"overall_score": self.overall, "overall_std": self.overall_std, "judges": self.judges,
                "judge_spread": self.judge_spread, "num_judges": len(self.judges), "leaves": self.leaves,
                "evaluated_leaves": self.evaluated_leaves, "judge_errors": self.errors}


def aggregate(judged: dict[str, list[dict]] | list[list[dict]]) -> BenchResult:
    """Combine per-judge judged rubric trees (the first is the template, as in CodeWikiBench).

    >>> t = lambda a, b: [{"requirements": "r", "weight": 3, "sub_tasks": [
    ...     {"requirements": "x", "weight": 3, "evaluation": {"score": a}},
    ...     {"requirements": "y", "weight": 1, "evaluation": {"score": b}}]}]
    >>> r = aggregate({"j1": t(1, 0), "j2": t(1, 1)})
    >>> r.overall, r.judges
    (0.875, {'j1': 0.75, 'j2': 1.0})
    """
    named = judged if isinstance(judged, dict) else {f"judge{i}": t for i, t in enumerate(judged)}
    if not named:
        raise WikigymError("no judged rubric trees to aggregate; pass at least one evaluation_results file")
    trees = {k: rubric_list(v) for k, v in named.items()}
    per_judge = {k: leaf_evaluations(t) for k, t in trees.items()}
    paths: set[str] = set()
    for ev in per_judge.values():
        paths.update(ev)
    combined: dict[str, dict] = {}
    for path in paths:
        scores = [ev[path].get("score", 0) for ev in per_judge.values() if path in ev]
        if not scores:
            continue
        combined[path] = {"score": statistics.mean(scores),
                          "std": statistics.stdev(scores) if len(scores) >= 2 else 0.0,
                          "individual_scores": scores}
    template = next(iter(trees.values()))
    tree = roll_up(template, combined)
    score, std = overall(tree)
    judges = {k: overall(roll_up(trees[k], {p: {"score": e["score"]} for p, e in per_judge[k].items()}))[0]
              for k in trees}
    errors = {k: sum(1 for leaf in _leaves(trees[k]) if leaf.get("judge_error")) for k in trees}
    return BenchResult(score, std, judges, len(leaf_requirements(template)), len(combined),
                       {k: v for k, v in errors.items() if v}, tree)


def _leaves(items: list[dict]):
    for item in items:
        if is_leaf(item):
            yield item
        else:
            yield from _leaves(item["sub_tasks"])


def aggregate_files(paths: list[Path]) -> BenchResult:
    """`aggregate` over evaluation_results files; each judge is named by its file stem."""
    named: dict[str, list[dict]] = {}
    for p in paths:
        try:
            data = json.loads(Path(p).read_text(encoding="utf-8"))
        except OSError as e:
            raise WikigymError(f"cannot read judged rubric file {p}: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise WikigymError(f"judged rubric file {p} is not JSON ({e.msg} at line {e.lineno})") from None
        name = Path(p).stem
        while name in named:
            name += "'"
        named[name] = rubric_list(data)
    return aggregate(named)


# ---------------------------------------------------------------------------------------------------------------------
# Rubrics and wiki input
# ---------------------------------------------------------------------------------------------------------------------
def load_rubrics(repo_name: str | None, data: Path | None = None) -> list[dict]:
    """A repository's combined rubrics: a rubrics JSON file, a local CodeWikiBench data dir, or the HF dataset."""
    if data is not None:
        data = Path(data)
        if data.is_file():
            return rubric_list(json.loads(data.read_text(encoding="utf-8")))
        for cand in ([data / repo_name / "rubrics" / "combined_rubrics.json", data / "rubrics" / "combined_rubrics.json"]
                     if repo_name else [data / "rubrics" / "combined_rubrics.json"]):
            if cand.is_file():
                return rubric_list(json.loads(cand.read_text(encoding="utf-8")))
        raise WikigymError(f"no rubrics under {data}: expected {data}/<repo>/rubrics/combined_rubrics.json "
                           f"(CodeWikiBench's layout) or a rubrics JSON file")
    if not repo_name:
        raise WikigymError("name the benchmark repository (--bench-repo, e.g. OpenHands) to load its rubrics")
    try:
        from datasets import load_dataset
    except ImportError:
        raise WikigymError("loading rubrics from Hugging Face needs `datasets` (pip install datasets), or pass "
                           "--data with a local CodeWikiBench directory") from None
    try:
        ds = load_dataset(HF_DATASET, split="train")
    except Exception as e:
        raise WikigymError(f"cannot load the dataset {HF_DATASET} ({type(e).__name__}); when offline pass --data "
                           f"with a local CodeWikiBench directory") from None
    for row in ds:
        if row.get("repo_name") == repo_name:
            return rubric_list(json.loads(row["rubrics"]))
    names = sorted(r.get("repo_name", "") for r in ds)
    raise WikigymError(f"{repo_name!r} is not in {HF_DATASET}; repositories: {', '.join(names)}")


def wiki_pages(wiki_dir: Path) -> dict[str, str]:
    from wikigym.verifier.wiki import Wiki

    return Wiki.from_dir(Path(wiki_dir)).files()


def wiki_hash(pages: dict[str, str]) -> str:
    """sha256 over the sorted (path, content) pairs: the cache key's wiki part."""
    h = hashlib.sha256()
    for path in sorted(pages):
        h.update(path.encode("utf-8") + b"\0" + pages[path].encode("utf-8") + b"\0")
    return h.hexdigest()[:16]


_TOK = re.compile(r"[a-z0-9]{3,}")


def documentation_for(requirement: str, pages: dict[str, str], max_chars: int) -> str:
    """The wiki's page tree plus the pages most relevant to `requirement`, within `max_chars`."""
    tree = "\n".join(f"- {p}" for p in sorted(pages))
    words = set(_TOK.findall(requirement.lower()))
    ranked = sorted(pages, key=lambda p: (-len(words & set(_TOK.findall(pages[p].lower()))), p))
    parts = [f"Documentation tree (pages):\n{tree}\n"]
    used = len(parts[0])
    for p in ranked:
        block = f"\n===== {p} =====\n{pages[p]}\n"
        if used + len(block) > max_chars:
            room = max_chars - used - len(p) - 40
            if room > 500:
                parts.append(f"\n===== {p} (cut) =====\n{pages[p][:room]}\n")
            break
        parts.append(block)
        used += len(block)
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------------------
# Judges
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class JudgeSpec:
    """`anthropic:<model>` or `openai:<model>@<base_url>` (base URL ending before /chat/completions)."""

    kind: str
    model: str
    base_url: str | None = None
    api_key_env: str | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.model}"

    @classmethod
    def parse(cls, text: str) -> JudgeSpec:
        """Parse a judge spec.

        >>> JudgeSpec.parse("openai:qwen2.5:14b@http://localhost:11434/v1")
        JudgeSpec(kind='openai', model='qwen2.5:14b', base_url='http://localhost:11434/v1', api_key_env=None)
        """
        kind, _, rest = text.partition(":")
        if kind not in ("anthropic", "openai") or not rest:
            raise ConfigError(f"judge {text!r} is not `anthropic:<model>` or `openai:<model>@<base_url>`")
        if kind == "openai":
            model, sep, url = rest.rpartition("@")
            if not sep or not model or not url.startswith(("http://", "https://")):
                raise ConfigError(f"judge {text!r}: an OpenAI-compatible judge needs `openai:<model>@http://host/v1`")
            return cls("openai", model, url.rstrip("/"))
        return cls("anthropic", rest)


class JudgeError(Exception):
    """A judge call that produced no usable verdict."""


def _openai_chat(spec: JudgeSpec, system: str, user: str, timeout_s: float, max_tokens: int) -> tuple[str, dict]:
    body = {"model": spec.model, "temperature": 0, "max_tokens": max_tokens,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
    key = os.environ.get(spec.api_key_env or "OPENAI_API_KEY", "")
    req = urllib.request.Request(f"{spec.base_url}/chat/completions", data=json.dumps(body).encode("utf-8"),
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {key}"} if key else {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            data = json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")[:300]
        raise JudgeError(f"HTTP {e.code} from {spec.base_url}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise JudgeError(f"cannot reach {spec.base_url}: {getattr(e, 'reason', e)}") from None
    except json.JSONDecodeError:
        raise JudgeError(f"{spec.base_url} answered with something that is not JSON") from None
    try:
        text = data["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise JudgeError(f"{spec.base_url} answered without choices[0].message.content") from None
    usage = data.get("usage") or {}
    return text, {"input": usage.get("prompt_tokens", 0), "output": usage.get("completion_tokens", 0)}


def _anthropic_chat(spec: JudgeSpec, system: str, user: str, timeout_s: float, max_tokens: int) -> tuple[str, dict]:
    try:
        import anthropic
    except ImportError:
        raise JudgeError("the anthropic judge needs `pip install anthropic`") from None
    try:
        client = anthropic.Anthropic(timeout=timeout_s, max_retries=2)
        msg = client.messages.create(model=spec.model, max_tokens=max_tokens, temperature=0, system=system,
                                     messages=[{"role": "user", "content": user}])
    except Exception as e:  # the SDK's errors carry status and message
        raise JudgeError(f"{type(e).__name__}: {str(e)[:300]}") from None
    text = "".join(getattr(b, "text", "") for b in msg.content)
    return text, {"input": msg.usage.input_tokens, "output": msg.usage.output_tokens}


def parse_verdict(text: str) -> dict:
    """The judge's JSON verdict; raises `JudgeError` when there is none or the score is not 0/1.

    >>> parse_verdict('Here: {"score": 1, "reasoning": "ok", "evidence": "p"}')["score"]
    1
    """
    start, end = text.find("{"), text.rfind("}") + 1
    if start < 0 or end <= start:
        raise JudgeError(f"no JSON verdict in the judge's answer: {text[:200]!r}")
    try:
        data = json.loads(text[start:end])
    except json.JSONDecodeError:
        raise JudgeError(f"the judge's verdict is not valid JSON: {text[start:start + 200]!r}") from None
    score = data.get("score") if isinstance(data, dict) else None
    if isinstance(score, bool) or score not in (0, 1):
        raise JudgeError(f"the judge's score is {score!r}, not 0 or 1")
    return {"score": int(score), "reasoning": str(data.get("reasoning", "")), "evidence": str(data.get("evidence", ""))}


class JudgeCache:
    """Append-only JSONL of verdicts keyed by (leaf path, wiki hash, judge); errors are kept but retried."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.Lock()
        self.done: dict[tuple[str, str, str], dict] = {}
        if self.path.is_file():
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut by an interruption: that leaf is judged again
                    if rec.get("error") is None and rec.get("score") in (0, 1):
                        self.done[(rec["leaf"], rec["wiki_hash"], rec["judge"])] = rec

    def get(self, leaf: str, wh: str, judge: str) -> dict | None:
        return self.done.get((leaf, wh, judge))

    def put(self, rec: dict) -> None:
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            if rec.get("error") is None:
                self.done[(rec["leaf"], rec["wiki_hash"], rec["judge"])] = rec


def judge_wiki(pages: dict[str, str], rubrics: list[dict], judges: list[JudgeSpec], cache_path: Path,
               out_dir: Path | None = None, concurrency: int = 4, timeout_s: float = 300.0, retries: int = 2,
               max_doc_chars: int = 60_000, max_tokens: int = 1024,
               progress: Callable[[int, int], None] | None = None) -> BenchResult:
    """Judge every rubric leaf with every judge (cached), write per-judge evaluation_results, aggregate."""
    if not pages:
        raise WikigymError("the wiki has no pages to judge")
    wh = wiki_hash(pages)
    cache = JudgeCache(cache_path)
    leaves = leaf_requirements(rubrics)
    jobs = [(j, leaf) for j in judges for leaf in leaves]
    results: dict[tuple[str, str], dict] = {}
    done_count = [0]

    def run(job: tuple[JudgeSpec, dict]) -> None:
        judge, leaf = job
        hit = cache.get(leaf["path"], wh, judge.name)
        if hit is None:
            user = (f'Evaluate this criteria against the documentation:\n\nCriteria: "{leaf["requirement"]}"\n\n'
                    f"{documentation_for(leaf['requirement'], pages, max_doc_chars)}\n\n"
                    "Evaluate if the criteria is mentioned. Respond with the exact JSON format specified.")
            call = _openai_chat if judge.kind == "openai" else _anthropic_chat
            rec: dict[str, Any] = {"leaf": leaf["path"], "wiki_hash": wh, "judge": judge.name,
                                   "requirement": leaf["requirement"]}
            err = None
            for attempt in range(retries + 1):
                try:
                    text, tokens = call(judge, EVALUATION_SYSTEM_PROMPT, user, timeout_s, max_tokens)
                    rec.update(parse_verdict(text), tokens=tokens, error=None)
                    err = None
                    break
                except JudgeError as e:
                    err = str(e)
                    if attempt < retries:
                        time.sleep(min(30.0, 2.0 ** attempt))
            if err is not None:
                rec.update(score=None, error=err)
            cache.put(rec)
            hit = rec
        with cache.lock:
            results[(judge.name, leaf["path"])] = hit
            done_count[0] += 1
            if progress:
                progress(done_count[0], len(jobs))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(run, jobs))

    trees: dict[str, list[dict]] = {}
    for judge in judges:
        tree = json.loads(json.dumps(rubrics))
        paths = {leaf["path"]: leaf for leaf in leaves}
        for path in paths:
            item = _at(tree, path)
            rec = results[(judge.name, path)]
            if rec.get("error"):
                item["judge_error"] = rec["error"]
                item.pop("evaluation", None)
            else:
                item["evaluation"] = {"score": rec["score"], "reasoning": rec.get("reasoning", ""),
                                      "evidence": rec.get("evidence", ""),
                                      "tokens": rec.get("tokens", {"input": 0, "output": 0})}
        scored = roll_up(tree, leaf_evaluations(tree))
        for path in paths:  # roll_up copies: put the verdicts (and errors) back on the scored leaves
            src, dst = _at(tree, path), _at(scored, path)
            for k in ("evaluation", "judge_error"):
                if k in src:
                    dst[k] = src[k]
        trees[judge.name] = scored
        if out_dir is not None:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            (Path(out_dir) / (judge.name.replace("/", "_").replace(":", "_") + ".json")).write_text(
                json.dumps(scored, indent=2, ensure_ascii=False), encoding="utf-8")
    return aggregate(trees)


def _at(tree: list[dict], path: str) -> dict:
    items, node = tree, None
    for idx in path.split("."):
        node = items[int(idx)]
        items = node.get("sub_tasks") or []
    assert node is not None
    return node
