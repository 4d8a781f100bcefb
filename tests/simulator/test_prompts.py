"""Prompt sets: wikigym's own templates render in both name sets; the SemanticWiki importer reads TS literals."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikigym.errors import ConfigError
from wikigym.simulator.prompts import TEMPLATE_NAMES, PromptSet, builtin_prompts, load_prompts, tool_name_values
from wikigym.simulator.prompts.semanticwiki import import_semanticwiki_prompts, parse_template

MIRROR = Path("/work/.mirror/GhostScientist+semanticwiki/repo")


def test_builtin_set_is_complete_and_hashed() -> None:
    p = builtin_prompts()
    assert set(p.templates) == set(TEMPLATE_NAMES)
    assert len(p.sha256) == 64 and p.sha256 == builtin_prompts().sha256


@pytest.mark.parametrize("mode", ["direct", "sdk"])
def test_system_prompt_names_only_tools_of_the_name_set(mode: str) -> None:
    from wikigym.tools.toolset import tool_schemas

    text = builtin_prompts().render("system", tool_name_values(mode))
    offered = {t["name"] for t in tool_schemas(mode)}
    named = set(__import__("re").findall(r"`((?:mcp__\w+__)?[a-z_]+)`", text)) & (
        set(tool_name_values("direct").values()) | set(tool_name_values("sdk").values()))
    assert named and named <= offered


def test_render_refuses_missing_values_and_keeps_literal_dollar_braces() -> None:
    p = PromptSet({"t": "a ${x} b $${y}"})
    assert p.render("t", {"x": 1}) == "a 1 b ${y}"
    with pytest.raises(ConfigError, match="needs x"):
        p.render("t", {})


def test_parse_template_handles_nesting_and_escapes() -> None:
    src = "const a = `x \\`q\\` ${cond ? `in ${deep}` : '}'} \\${not} end`;"
    parts, end = parse_template(src, src.index("`"))
    assert parts == [("text", "x `q` "), ("expr", "cond ? `in ${deep}` : '}'"), ("text", " ${not} end")]
    assert src[end:] == ";"


def _fake_checkout(root: Path, extra_expr: str = "") -> Path:
    """A minimal TypeScript tree with SemanticWiki's structure (our own text, not SemanticWiki's)."""
    (root / "src" / "prompts").mkdir(parents=True)
    (root / "src" / "prompts" / "wiki-system.ts").write_text("export const WIKI_SYSTEM_PROMPT = `\nSYS \\`code\\`\n`;\n")
    (root / "src" / "wiki-agent.ts").write_text(f"""export class A {{
  async *generateWikiDirectApi(options) {{
        const continuationPrompt = `VERIFY ${{missingPages.map(p => `- ${{p}}`).join('\\n')}} N=${{missingPages.length}}`;
  }}
  private async analyzeProjectWithLLM(p) {{
    const analysisPrompt = `PLAN ${{sourceFiles.length}} ${{extSummary}} ${{minPages}}-${{minPages + 10}} ${{fileList}} ${{groupingSuggestions}}`;
    await p.chat(m, [], {{ systemPrompt: 'Plan \\'JSON\\' only.', temperature: 0.3 }});
  }}
  private async generateSinglePage(p) {{
    const prompt = `PAGE ${{pageSpec.title}} ${{pageSpec.type}} ${{ragContext || 'No source code available'}} ${{relatedLinks}}{extra_expr}`;
    const systemPrompt = `WRITER`;
  }}
  private async generateIndexPage(p) {{
    const prompt = `INDEX ${{path.basename(this.repoPath)}} ${{pageLinks}}`;
    await p.chat(m, [], {{ systemPrompt: "Index expert.", temperature: 0.7 }});
  }}
  private buildGenerationPrompt(options) {{
    if (options.updateContext) {{
      return `UPDATE ${{options.repoUrl}} ${{newFilesList}}${{modifiedFilesList}}${{deletedFilesList}}${{affectedPagesList}}${{pagesToCreateList}}`;
    }}
    if (options.missingPages) {{
      return `CONTINUE ${{this.outputDir}} ${{missingList}}`;
    }}
    return `GENERATE ${{options.repoUrl}} ${{this.outputDir}} ${{options.targetPath ? `**Focus Area:** ${{options.targetPath}}` : ''}}${{configNote}}`;
  }}
  private createCustomToolServer() {{}}
}}
""")
    return root


def test_importer_maps_interpolations_to_placeholders(tmp_path: Path) -> None:
    p = load_prompts(_fake_checkout(tmp_path / "sw"))
    assert p.source == str(tmp_path / "sw")
    assert p.templates["system"] == "\nSYS `code`\n"
    assert p.templates["generate"] == "GENERATE ${repo} ${output_dir} ${focus_line}${config_note}"
    assert p.templates["verify_continue"] == "VERIFY ${missing_list} N=${missing_count}"
    assert p.templates["plan_system"] == "Plan 'JSON' only."
    assert p.templates["index_system"] == "Index expert."
    assert p.placeholders("page") == {"title", "page_type", "source_context", "related_links"}
    assert p.sha256 != builtin_prompts().sha256


def test_importer_refuses_unknown_interpolation(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"interpolates \$\{pageSpec.owner\}"):
        import_semanticwiki_prompts(_fake_checkout(tmp_path / "sw", " ${pageSpec.owner}"))


def test_importer_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="src/prompts/wiki-system.ts not found"):
        import_semanticwiki_prompts(tmp_path)


@pytest.mark.skipif(not MIRROR.exists(), reason="no SemanticWiki mirror on this machine")
def test_real_semanticwiki_checkout() -> None:
    p = load_prompts(MIRROR)
    assert p.templates["system"].lstrip().startswith("# ArchitecturalWiki Agent")
    assert p.placeholders("generate") == {"repo", "output_dir", "focus_line", "config_note"}
    assert "mcp__semanticwiki__verify_wiki_completeness" in p.templates["generate"]
    assert p.placeholders("update") >= {"new_files_section", "affected_pages_section"}
