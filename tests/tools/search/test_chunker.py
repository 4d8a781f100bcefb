"""The chunker against SemanticWiki's recorded chunks (chunks.jsonl) and against its rules on small inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.tools.search.conftest import load, needs_goldens
from wikigym.tools.search.chunker import chunk_file, chunk_python, line_chunks, merge_small_chunks
from wikigym.tools.search.domains import generate_domain_context
from wikigym.tools.search.inventory import read_text

_RECORD_ONLY = {"content_len", "content_sha256", "content_equals_lines", "domainContext"}


def _golden_files() -> list[dict]:
    try:
        return load("chunks.jsonl")
    except FileNotFoundError:
        return []


@needs_goldens
@pytest.mark.parametrize("record", _golden_files(), ids=lambda r: r["file"])
def test_chunks_match_semanticwiki(record: dict, small_repo: Path) -> None:
    text = read_text(small_repo, record["file"])
    assert text is not None
    got = chunk_file(record["file"], text)
    expected = record["chunks"]
    assert [c["id"] for c in got] == [c["id"] for c in expected]
    for g, e in zip(got, expected):
        assert hashlib.sha256(g["content"].encode("utf-8")).hexdigest() == e["content_sha256"], e["id"]
        assert generate_domain_context(g) == e["domainContext"], e["id"]
        want = {k: v for k, v in e.items() if k not in _RECORD_ONLY}
        have = {k: v for k, v in g.items() if k not in _RECORD_ONLY}
        if "content" not in want:
            have.pop("content", None)
        assert have == want, e["id"]


def test_python_chunks_start_at_accumulated_decorators() -> None:
    src = "import os\n\nclass A:\n    @property\n    def x(self):\n        return 1\n\n@dec\ndef f():\n    pass\n"
    chunks = chunk_python("m.py", src)
    # SemanticWiki subtracts every decorator seen since the last construct, even `@property` inside the class
    # above, so `f` starts one line before its own decorator and `A` ends there.
    assert [(c["name"], c["startLine"], c["endLine"]) for c in chunks] == [("A", 3, 6), ("f", 7, 11)]
    assert chunks[1]["decorators"] == ["property", "dec"]


def test_typescript_class_methods_become_sub_chunks() -> None:
    pad = "padding " * 12
    body = "\n".join(f"  /** Does step {i}. */\n  step{i}(x: number, y?: string): number {{\n"
                     f"    const unused = '{pad}';\n    return x + {i};\n  }}\n"
                     for i in range(12))
    src = f"// header\nexport class BigService {{\n  private readonly a = 1;\n{body}}}\n"
    chunks = chunk_file("svc.ts", src)
    cls = chunks[0]
    assert (cls["chunkType"], cls["name"], cls["documentation"], cls["startLine"]) == (
        "service", "BigService", "// header", 1)
    assert cls["isPublicApi"] is True and cls["exports"] == [f"step{i}" for i in range(12)]
    methods = chunks[1:]
    assert [m["name"] for m in methods] == [f"step{i}" for i in range(12)]
    m0 = methods[0]
    assert (m0["parentName"], m0["contextPath"], m0["chunkType"]) == ("BigService", "BigService", "method")
    assert m0["documentation"] == "/** Does step 0. */" and m0["startLine"] == 4 and m0["endLine"] == 8
    assert m0["signature"] == "step0(x: number, y?: string): number"


def test_trailing_comment_of_previous_line_is_not_documentation() -> None:
    body = "  return x * 3 + " + "1" * 200 + ";\n}\n"
    src = ("const a = 1; // belongs to a\nexport function documentedNot(x: number): number {\n" + body +
           "/* one */\n\n// two\nexport function documented(x: number): number {\n" + body)
    chunks = {c["name"]: c for c in chunk_file("d.ts", src)}
    assert "documentation" not in chunks["documentedNot"]
    assert chunks["documented"]["documentation"] == "// two" and chunks["documented"]["startLine"] == 5


def test_small_ts_chunks_merge_into_file_chunk() -> None:
    a = {"id": "x:1-2", "startLine": 1, "endLine": 2, "content": "a" * 120, "name": "a", "domainHints": []}
    b = {"id": "x:4-5", "startLine": 4, "endLine": 5, "content": "b" * 120, "name": "b",
         "domainHints": [{"category": "api-endpoint", "confidence": 0.4}]}
    merged = merge_small_chunks([a, b], "x.ts", "typescript")
    assert len(merged) == 1
    m = merged[0]
    assert (m["id"], m["chunkType"], m["name"]) == ("x.ts:1-5", "file", "a, b")
    assert m["content"] == "a" * 120 + "\n\n" + "b" * 120


def test_line_fallback_chunks_overlap_four_lines() -> None:
    src = "\n".join(f"line number {i} with some text to fill the chunk up" for i in range(80))
    chunks = line_chunks("x.unknown", src)
    assert chunks[0]["startLine"] == 1 and chunks[1]["startLine"] == chunks[0]["endLine"] - 3
    assert chunks[0]["language"] == ""


def test_csharp_patterns_fast_path_matches_the_regexes() -> None:
    """The indentation cut and the first-`(` cut give the same matches and names as the raw patterns."""
    import random

    from wikigym.tools.search import chunker as ch

    toks = [" ", "\t", "  ", "a", "Foo", "x1", "public", "static", "class", "void", "async", "override", "(", ")",
            ";", "<", ">", ",", "[", "]", "=", "namespace", "interface", "{", "}", "\u00a0", ".", "List<int>"]
    rnd = random.Random(7)
    for _ in range(20000):
        lead = "".join(rnd.choice([" ", "\t", "\u00a0"]) for _ in range(rnd.randint(0, 7)))
        line = lead + "".join(rnd.choice(toks) for _ in range(rnd.randint(0, 9)))
        for pat in (ch._CS_NAMESPACE, ch._CS_CLASS, ch._CS_INTERFACE):
            a, b = pat.match(line), pat.match(ch._cs_head(line))
            assert bool(a) == bool(b) and (not a or a.group(1) == b.group(1)), repr(line)
        a, b = ch._CS_METHOD.match(line), ch._cs_method_match(line)
        assert bool(a) == bool(b) and (not a or a.group(1) == b.group(1)), repr(line)


def test_deeply_indented_csharp_java_kotlin_chunk_fast() -> None:
    """80-space indentation made every `_CS_*` match backtrack cubically (0.7 s a line; a 50k-line C# repo took a
    minute to index). The same file now chunks in well under a second, with the method found."""
    import time

    body = "\n".join(" " * 80 + ("return false;" if i % 2 else "x = Call(a, b);") for i in range(400))
    text = "public class Deep {\n    public bool Check(int a) {\n" + body + "\n    }\n}\n"
    for name in ("Deep.cs", "Deep.java", "Deep.kt"):
        t0 = time.perf_counter()
        chunks = chunk_file(name, text)
        assert time.perf_counter() - t0 < 1.0
        assert {c["name"] for c in chunks} >= {"Deep", "Check"}
