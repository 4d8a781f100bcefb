"""Small, valid trajectory records for the trainer and Harmony tests (built in code, so every field is explicit).

`make_episode` builds the shape SemanticWiki's direct loop records: a prompt, reasoning, tool calls with results
(parallel calls in one turn, a preamble, optionally a malformed call), a write_wiki_page, a final answer and,
optionally, a verification pass (`conversation_reset`). `tests/fixtures/trajectory-v1.jsonl` was written with it.
"""

from __future__ import annotations

from wikigym.trajectories.schema import Episode, PolicySpec, RepoRef, Step, TaskSpec, ToolCall, ToolOutput

TOOLS = [
    {"name": "read_file", "description": "Read the contents of a file from the repository",
     "input_schema": {"type": "object", "properties": {"path": {"type": "string", "description": "Path to the file"}},
                      "required": ["path"]}},
    {"name": "write_wiki_page", "description": "Write a wiki page",
     "input_schema": {"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                      "required": ["path", "content"]}},
]


def make_episode(repo: str = "demo", n: int = 0, reward: float = 0.5, *, invalid_call: bool = False,
                 verification_pass: bool = False, files: tuple[str, ...] = ("src/app.py", "README.md")) -> Episode:
    """A finished episode over `repo` with `reward` recorded in `score`."""
    steps = [
        Step(index=0, reasoning=f"I should look at the entry points of {repo} first.", text="Reading the sources.",
             tool_calls=[ToolCall(id=f"t{n}_0", name="read_file", arguments={"path": files[0]}),
                         ToolCall(id=f"t{n}_1", name="read_file", arguments={"path": files[1]})],
             tool_results=[ToolOutput(tool_use_id=f"t{n}_0", name="read_file",
                                      output=f"def main():\n    return {n}\n"),
                           ToolOutput(tool_use_id=f"t{n}_1", name="read_file", output=f"# {repo}\nA demo.\n")]),
    ]
    if invalid_call:
        steps.append(Step(index=len(steps), reasoning="Write the page.",
                          tool_calls=[ToolCall(id=f"t{n}_x", name="write_wiki_page", arguments=None,
                                               raw_arguments='{"path": "index.md", "content": ', valid=False)],
                          tool_results=[ToolOutput(tool_use_id=f"t{n}_x", name="write_wiki_page", is_error=True,
                                                   output="Error: invalid JSON arguments")]))
    page = f"# {repo}\n\n`main` returns {n} ([src/app.py:1](../src/app.py#L1)).\n"
    steps.append(Step(index=len(steps), reasoning="Now write the overview page with a citation.",
                      tool_calls=[ToolCall(id=f"t{n}_2", name="write_wiki_page",
                                           arguments={"path": "index.md", "content": page})],
                      tool_results=[ToolOutput(tool_use_id=f"t{n}_2", name="write_wiki_page",
                                               output="Successfully wrote index.md")]))
    steps.append(Step(index=len(steps), reasoning="The wiki is complete.", text=f"Wrote the wiki for {repo}."))
    if verification_pass:
        steps.append(Step(index=len(steps), conversation_reset=True, user_message="Verify the wiki is complete.",
                          reasoning="Check the index page exists.",
                          tool_calls=[ToolCall(id=f"t{n}_3", name="read_file", arguments={"path": "index.md"})],
                          tool_results=[ToolOutput(tool_use_id=f"t{n}_3", name="read_file", output=page)]))
        steps.append(Step(index=len(steps), reasoning="All pages exist.", text="Verified."))
    return Episode(
        wikigym_version="0.1.0", episode_id=f"{repo}-{n}",
        repo=RepoRef(path=f"/repos/{repo}", commit="0" * 40, name=repo),
        task=TaskSpec(kind="generate", prompt=f"Generate a wiki for the repository {repo}."),
        policy=PolicySpec(kind="scripted"), system_prompt="You are a documentation agent. Cite file:line.",
        tools=TOOLS, steps=steps, wiki={"index.md": page},
        score={"reward": reward, "checks": {"citations": reward, "tool_call_validity": 0.0 if invalid_call else 1.0}},
    )
