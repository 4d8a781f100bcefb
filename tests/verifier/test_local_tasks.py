"""Task-aware scoring of the single-turn local tasks (`plan`, `page`, `index`): the scripted teacher's answers on the
bundled example repo score high, and single faults (as in test_mutations.py) lower their own check and the reward,
with a finding that names the fault."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wikigym.cli import app
from wikigym.errors import ConfigError
from wikigym.repos import example_repo_path
from wikigym.simulator.record import RecordConfig, record
from wikigym.trajectories.dataset import episode_reward, rescore_stale
from wikigym.trajectories.schema import Episode, Step
from wikigym.trajectories.store import read_episodes
from wikigym.verifier import LocalTaskConfig, Score, verify_episode
from wikigym.verifier.local_tasks import parse_plan_answer, strip_fence


@pytest.fixture(scope="module")
def teacher_episodes(tmp_path_factory) -> dict[str, Episode]:
    """One scripted-teacher episode per single-turn task, recorded through `record` (scored by its hook)."""
    out: dict[str, Episode] = {}
    base = tmp_path_factory.mktemp("local")
    for kind in ("plan", "page", "index"):
        run = base / kind
        record(RecordConfig(repos=[str(example_repo_path())], teacher="scripted", task=kind, episodes=1, out=str(run)))
        out[kind] = next(iter(read_episodes(run / "trajectories.jsonl")))
    return out


def _answer(ep: Episode, text: str) -> Episode:
    """`ep` with its answer replaced: the last turn's text and, for page/index, the written page."""
    steps = [s.model_copy() for s in ep.steps] or [Step(index=0)]
    steps[-1] = steps[-1].model_copy(update={"text": text})
    wiki = dict(ep.wiki)
    if ep.task.kind == "page":
        wiki[ep.task.page["filename"]] = text
    elif ep.task.kind == "index":
        wiki["index.md"] = text
    return ep.model_copy(update={"steps": steps, "wiki": wiki, "score": None})


def _score(verifier, ep: Episode) -> Score:
    return verifier.verify_episode(ep, ep.repo.path)


def _findings(score: Score, check: str) -> list[str]:
    return [f.what for f in score.checks[check].findings]


# -- the teacher's answers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plan", "page", "index"])
def test_teacher_answers_score_high(teacher_episodes, verifier, kind) -> None:
    ep = teacher_episodes[kind]
    assert ep.score is not None and ep.score["stats"]["scorer"] == kind  # record's hook routed by task kind
    assert ep.score["reward"] >= 0.9, ep.score
    again = _score(verifier, ep)
    assert again.reward == ep.score["reward"] and again.gate is None
    assert again.weights_version == "wikigym.verifier/local-v1"
    assert set(again.checks) == set(LocalTaskConfig.load().model_dump()[kind]["weights"])


def test_page_and_index_tasks_record_their_plan(teacher_episodes) -> None:
    for kind in ("page", "index"):
        plan = teacher_episodes[kind].task.plan
        assert plan and all(set(p) == {"title", "filename", "type"} for p in plan)
    assert teacher_episodes["page"].task.page["filename"] in {p["filename"] for p in teacher_episodes["page"].task.plan}


# -- plan faults ----------------------------------------------------------------------------------------------------


def _plan(ep: Episode) -> dict:
    data, err = parse_plan_answer(ep.steps[-1].text)
    assert data is not None, err
    return data


def test_plan_parsing_follows_semanticwiki() -> None:
    assert strip_fence('```json\n{"pages": []}\n```') == '{"pages": []}'
    assert parse_plan_answer('```\n{"projectType": "x", "pages": []}\n```')[0] == {"projectType": "x", "pages": []}
    for bad, why in (('Sure! {"pages": []}', "not valid JSON"), ("", "empty"), ("[1, 2]", "not an object"),
                     ('{"pages": NaN}', "not valid JSON"), ('{"projectType": "x"}', "no `pages` array")):
        data, err = parse_plan_answer(bad)
        assert data is None and why in err and "pattern plan" in err, (bad, err)


def test_fence_stripping_is_semanticwikis_regexes() -> None:
    """`/^```(?:json)?\\n?/` and `/\\n?```$/`, only after a leading fence: nothing more lenient, nothing stricter."""
    assert parse_plan_answer('```json {"pages": []}```')[0] == {"pages": []}  # one line: the regexes still match
    assert parse_plan_answer('\ufeff ```json\n{"pages": []}\n``` \n')[0] == {"pages": []}  # JS trim() drops a BOM
    for bad in ('```JSON\n{"pages": []}\n```', '```python\n{"pages": []}\n```', '{"pages": []}\n```',
                '```json\n{"pages": []}\n```\nDone.'):
        data, err = parse_plan_answer(bad)
        assert data is None and "not valid JSON" in err, (bad, err)


def test_normalised_page_types_follow_semanticwiki() -> None:
    from wikigym.verifier.local_tasks import normalise_type

    assert [normalise_type(t) for t in ("API", "endpoint", "routes", "Components", "Getting-Started", "Module")] \
        == ["api", "api", "api", "component", "guide", "module"]
    assert [normalise_type(t) for t in ("endpoints", " overview", "widget", None, 3)] == [None] * 5  # -> module


def test_plan_that_makes_semanticwikis_page_loop_throw_is_gated(teacher_episodes, verifier) -> None:
    """SemanticWiki drops the whole plan when its page loop raises a TypeError; a page it skips cannot raise."""
    ep = teacher_episodes["plan"]
    n = len(_plan(ep)["pages"])
    assert "getting started" not in _plan(ep)["pages"][0]["title"].lower()
    cases = {
        "null page": (lambda d: d["pages"].append(None), f"page {n + 1} is null"),
        "files not an array": (lambda d: d["pages"][1].update(files="inventory/models.py"), "files is a str"),
        "kept page, no filename": (lambda d: d["pages"][1].pop("filename"), "filename is undefined"),
        "kept page, type a list": (lambda d: d["pages"][1].update(type=["module"]), "type is [\"module\"]"),
        "title before getting started": (lambda d: d["pages"][0].update(title=7), "title is 7"),
    }
    for name, (mutate, why) in cases.items():
        data = _plan(ep)
        mutate(data)
        s = _score(verifier, _answer(ep, json.dumps(data)))
        assert s.reward == 0.0 and s.gate and "page loop throws" in s.gate and why in s.gate, (name, s.gate)
    data = _plan(ep)  # a page whose files all miss is skipped before its filename is read: a schema finding only
    page = next(p for p in data["pages"] if p["type"] not in ("overview", "guide"))
    page.update(files=["nowhere/ghost.py"])
    page.pop("filename")
    s = _score(verifier, _answer(ep, json.dumps(data)))
    assert s.gate is None and "filename missing" in " ".join(_findings(s, "schema"))


def test_plan_paths_must_match_the_project_file_list_exactly(teacher_episodes, verifier) -> None:
    ep = teacher_episodes["plan"]
    data = _plan(ep)
    path = data["pages"][1]["files"][0]
    data["pages"][1]["files"][0] = "./" + path
    s = _score(verifier, _answer(ep, json.dumps(data)))
    assert s.checks["files_exist"].score < 1.0
    (f,) = [f for f in s.checks["files_exist"].findings if f.what == f"invented file ./{path}"]
    assert "not written as the project file list writes it" in f.why


def test_unparseable_plan_is_gated_to_zero(teacher_episodes, verifier) -> None:
    ep = teacher_episodes["plan"]
    for text in ("Here is the plan:\n" + ep.steps[-1].text, ep.steps[-1].text[:-40], ""):
        s = _score(verifier, _answer(ep, text))
        assert s.reward == 0.0 and s.gate and "unparseable plan" in s.gate
        assert s.checks["schema"].findings[0].what == "plan not parsed"


def _plan_mutations(ep: Episode) -> list[tuple[str, str, str, Callable[[dict], None]]]:
    """(name, check it must lower, text its finding must contain, how to break the parsed plan)."""
    def invent(d: dict) -> None:
        d["pages"][0]["files"][0] = "inventory/flux_capacitor.py"

    def drop_fields(d: dict) -> None:
        del d["pages"][1]["context"]
        d["pages"][1]["type"] = "widget"

    def too_few(d: dict) -> None:
        d["pages"] = d["pages"][:2]

    def duplicate(d: dict) -> None:
        d["pages"][2]["filename"] = d["pages"][1]["filename"]

    def crowd(d: dict) -> None:
        d["pages"][1]["files"] = d["pages"][1]["files"][:1]

    def uncover(d: dict) -> None:
        for p in d["pages"]:
            p["files"] = [f for f in p["files"] if f != "inventory/models.py"] or p["files"]

    return [("invented file", "files_exist", "invented file inventory/flux_capacitor.py", invent),
            ("schema", "schema", "context missing", drop_fields),
            ("too few pages", "page_count", "2 pages", too_few),
            ("duplicate filename", "duplicates", "duplicate filename", duplicate),
            ("one file on a page", "files_per_page", "has 1 files", crowd),
            ("important module dropped", "coverage", "important module inventory/models.py", uncover)]


def test_plan_faults_lower_their_check(teacher_episodes, verifier) -> None:
    ep = teacher_episodes["plan"]
    base = _score(verifier, ep)
    assert any(f == "inventory/models.py" for p in _plan(ep)["pages"] for f in p["files"])
    for name, check, what, mutate in _plan_mutations(ep):
        data = _plan(ep)
        mutate(data)
        s = _score(verifier, _answer(ep, json.dumps(data, indent=2)))
        assert s.reward < base.reward, name
        assert s.checks[check].score < base.checks[check].score, name
        assert any(what in f for f in _findings(s, check)), (name, _findings(s, check))


# -- page faults ----------------------------------------------------------------------------------------------------


def _page_text(ep: Episode) -> str:
    return ep.wiki[ep.task.page["filename"]]


def _page_mutations(ep: Episode) -> list[tuple[str, str, str, Callable[[str], str]]]:
    title = ep.task.page["title"]
    return [
        ("no How It Works", "sections", "no How It Works section",
         lambda t: t.replace("## How It Works", "## Details")),
        ("no title", "sections", f"does not start with `# {title}`",
         lambda t: t.replace(f"# {title}\n", "Intro\n", 1)),
        ("no related section", "sections", "section",
         lambda t: re.sub(r"## Related (Pages|Documentation)", "## More", t)),
        ("link to an unplanned page", "links", "link to unplanned page billing.md",
         lambda t: t + "\n- [Billing](./billing.md)\n"),
        ("invented identifier", "hallucination", "invented identifier `FluxCapacitor`",
         lambda t: t.replace("## How It Works", "`FluxCapacitor` drives it.\n\n## How It Works", 1)),
        ("citation out of range", "citations", "out of range",
         lambda t: t.replace("(../inventory/cli.py#L16)", "(../inventory/cli.py#L9999)").replace(
             "[inventory/cli.py:16]", "[inventory/cli.py:9999]")),
        ("placeholder", "stubs", "placeholder", lambda t: t + "\nTODO: explain the rest.\n"),
    ]


def test_page_faults_lower_their_check(teacher_episodes, verifier) -> None:
    ep = teacher_episodes["page"]
    base = _score(verifier, ep)
    for name, check, what, mutate in _page_mutations(ep):
        text = mutate(_page_text(ep))
        assert text != _page_text(ep), name
        s = _score(verifier, _answer(ep, text))
        assert s.reward < base.reward, name
        assert s.checks[check].score < base.checks[check].score, name
        assert any(what in f for f in _findings(s, check)), (name, _findings(s, check))


def test_page_too_short_is_gated(teacher_episodes, verifier) -> None:
    ep = teacher_episodes["page"]
    s = _score(verifier, _answer(ep, "# Title\n\nshort"))
    assert s.reward == 0.0 and "was not written" in (s.gate or "")


def test_page_with_invalid_mermaid_loses_points_only_there(teacher_episodes, verifier) -> None:
    from .conftest import NODE_READY

    if not NODE_READY:
        pytest.skip("Node and npm mermaid are needed")
    ep = teacher_episodes["page"]
    base = _score(verifier, ep)
    assert not base.checks["mermaid"].applicable  # the page prompt asks for no diagram
    good = _score(verifier, _answer(ep, _page_text(ep) + "\n```mermaid\nflowchart TD\n  A[cli] --> B[api]\n```\n"))
    bad = _score(verifier, _answer(ep, _page_text(ep) + "\n```mermaid\nflowchart TD\n  A[cli --> B[api\n```\n"))
    assert good.checks["mermaid"].score == 1.0 and bad.checks["mermaid"].score == 0.0
    assert bad.reward < good.reward
    assert _findings(bad, "mermaid") == ["invalid mermaid diagram"]


# -- index faults ---------------------------------------------------------------------------------------------------


def _index_mutations() -> list[tuple[str, str, str, Callable[[str], str]]]:
    return [
        ("planned page dropped", "coverage", "planned page worker.md not linked",
         lambda t: "\n".join(ln for ln in t.split("\n") if "(./worker.md)" not in ln)),
        ("link to an unplanned page", "unplanned", "link to unplanned page billing.md",
         lambda t: t + "\n- [Billing](./billing.md) - Payments\n"),
        ("no grouping headings", "grouping", "is in no section", lambda t: re.sub(r"(?m)^##+ .*$", "", t)),
        ("page listed twice", "duplicates", "page sdk.md listed 2 times",
         lambda t: t + "\n- [Sdk again](./sdk.md) - the client\n"),
        ("stub", "stubs", "stub", lambda t: "# Wiki\n\n## Pages\n\n" + "\n".join(
            re.findall(r"(?m)^- \[[^\]]+\]\(\./[^)]+\)", t)) + "\n"),
    ]


def test_index_faults_lower_their_check(teacher_episodes, verifier) -> None:
    ep = teacher_episodes["index"]
    text = ep.wiki["index.md"]
    base = _score(verifier, ep)
    for name, check, what, mutate in _index_mutations():
        s = _score(verifier, _answer(ep, mutate(text)))
        assert s.reward < base.reward, name
        assert s.checks[check].score < base.checks[check].score, name
        assert any(what in f for f in _findings(s, check)), (name, _findings(s, check))


def test_index_without_recorded_plan_reads_the_prompt(teacher_episodes, verifier) -> None:
    ep = teacher_episodes["index"]
    old = ep.model_copy(update={"task": ep.task.model_copy(update={"plan": None})})
    s = _score(verifier, old)
    assert s.reward == _score(verifier, ep).reward
    assert s.checks["coverage"].stats["plan_from"] == "prompt"


# -- routing, stale scores, config, CLI -----------------------------------------------------------------------------


def test_whole_wiki_scores_of_single_turn_episodes_are_stale(teacher_episodes) -> None:
    ep = teacher_episodes["plan"]
    stale = ep.model_copy(update={"score": {"reward": 0.0, "checks": {}, "stats": {"weights_version": "v1"}}})
    assert episode_reward(stale) is None and episode_reward(ep) == ep.score["reward"]
    assert rescore_stale([stale]) == 1 and episode_reward(stale) == ep.score["reward"]


def test_generate_episodes_still_score_as_wikis(verifier, snapshot, good_wiki) -> None:
    ep = Episode(wikigym_version="t", episode_id="g", repo={"path": str(snapshot.root)}, task={"kind": "generate"},
                 policy={"kind": "scripted"}, wiki=good_wiki)
    assert verifier.verify_episode(ep, snapshot).to_dict() == verifier.verify_files(good_wiki, snapshot, ep).to_dict()
    assert verify_episode(ep, snapshot).reward == verifier.verify_files(good_wiki, snapshot, ep).reward


def test_local_weights_are_validated(tmp_path: Path) -> None:
    cfg = LocalTaskConfig.load()
    bad = cfg.model_dump()
    bad["plan"]["weights"]["vibes"] = 3
    p = tmp_path / "w.yaml"
    p.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown plan check 'vibes'"):
        LocalTaskConfig.load(p)


def test_verify_cli_routes_a_plan_episode(teacher_episodes, tmp_path: Path) -> None:
    run = tmp_path / "t.jsonl"
    run.write_text(teacher_episodes["plan"].model_dump_json() + "\n", encoding="utf-8")
    (tmp_path / "wiki").mkdir()
    res = CliRunner().invoke(app, ["verify", str(tmp_path / "wiki"), "--repo", str(example_repo_path()),
                                   "--trajectory", str(run), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["stats"]["scorer"] == "plan" and data["reward"] >= 0.9
