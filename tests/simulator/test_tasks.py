"""Task builders: update diff and affected pages, partial wikis, planner file list, page/index prompts."""

from __future__ import annotations

from pathlib import Path

from tests.simulator.conftest import git
from wikigym.simulator.prompts import builtin_prompts
from wikigym.simulator.tasks import (
    affected_pages,
    build_continue,
    build_index,
    build_page,
    build_plan,
    build_update,
    changed_files,
    make_partial_wiki,
    pattern_plan,
    project_files,
    update_base_candidates,
    update_context,
)

WIKI = {
    "README.md": "See [core](components/core.md) and [util](components/util.md).",
    "components/core.md": "Runs `app/core.py:1-2`. See [util](util.md).",
    "components/util.md": "```python\ndef helper(x):\n```\nfrom util",
    "glossary.md": "Nothing about code.",
}


def test_changed_files_and_update_context(small_repo: Path) -> None:
    head = git(small_repo, "rev-parse", "HEAD")
    base = git(small_repo, "rev-parse", "HEAD~1")
    assert sorted(changed_files(small_repo, base, head)) == [("A", "app/extra.py"), ("M", "app/core.py")]
    ctx = update_context(small_repo, base, head, WIKI)
    assert (ctx.new_files, ctx.modified_files, ctx.deleted_files) == (["app/extra.py"], ["app/core.py"], [])
    assert ctx.affected_pages == ["README.md", "components/core.md"]
    assert ctx.pages_to_create == ["app.md"]
    assert update_base_candidates(small_repo, head) == [base]
    task = build_update(builtin_prompts(), "direct", "./small", "./wiki", ctx, base, WIKI)
    assert "### New Files (need new documentation)\n- `app/extra.py`\n" in task.prompt
    assert "### Wiki Pages to Update\n- README.md\n- components/core.md\n" in task.prompt
    assert task.spec.base_commit == base and task.seed_wiki == WIKI and task.spec.seed_wiki == WIKI


def test_affected_pages_matches_names_and_fenced_basenames() -> None:
    assert affected_pages(WIKI, ["lib/util.py"]) == ["README.md", "components/core.md", "components/util.md"]
    assert affected_pages({"a.md": "```\nnothing\n```"}, ["x/zzz.py"]) == []


def test_partial_wiki_removes_linked_pages_deterministically() -> None:
    a = make_partial_wiki(WIKI, seed=1, fraction=0.5)
    assert a == make_partial_wiki(WIKI, seed=1, fraction=0.5)
    removed = set(WIKI) - set(a)
    assert removed and removed <= {"components/core.md", "components/util.md"}
    assert "README.md" in a


def test_continue_prompt_lists_missing_pages() -> None:
    task = build_continue(builtin_prompts(), "sdk", "./r", "./wiki", {"README.md": "x"}, ["components/a.md"])
    assert "- components/a.md" in task.prompt and "mcp__semanticwiki__list_wiki_pages" in task.prompt
    assert task.spec.missing_pages == ["components/a.md"]


def test_plan_prompt_lists_files_in_byte_order(small_repo: Path) -> None:
    files = [f.path for f in project_files(small_repo)]
    assert files == ["README.md", "app/core.py", "app/extra.py", "app/util.py"]
    task = build_plan(builtin_prompts(), small_repo)
    assert task.single_turn and (task.temperature, task.max_tokens) == (0.3, 8192)
    assert "app/core.py (.py, small)" in task.prompt and "**Pages required: 5-15**" in task.prompt


def test_page_and_index_tasks(small_repo: Path) -> None:
    pages = pattern_plan(small_repo)
    assert [p["filename"] for p in pages] == ["architecture.md", "app.md", "getting-started.md"]
    task = build_page(builtin_prompts(), small_repo, pages[1], pages)
    assert "### File: app/core.py" in task.prompt and "- [Architecture Overview](./architecture.md)" in task.prompt
    assert task.output_page == "app.md" and (task.temperature, task.max_tokens) == (0.3, 4096)
    index = build_index(builtin_prompts(), "small", pages)
    assert "- [App](./app.md) - module" in index.prompt and index.output_page == "index.md"
