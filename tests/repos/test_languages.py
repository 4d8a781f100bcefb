"""Extension -> tree-sitter language mapping."""

from wikigym.repos.languages import CODE_LANGUAGES, LANGUAGE_BY_EXTENSION, SUPPORTED_LANGUAGES, language_for_path
from wikigym.repos.symbols import SPECS


def test_extensions_map_to_pack_names():
    cases = {
        "a.py": "python", "a.ts": "typescript", "a.tsx": "tsx", "a.jsx": "javascript", "a.mjs": "javascript",
        "a.go": "go", "A.java": "java", "a.rs": "rust", "a.c": "c", "a.cc": "cpp", "a.hpp": "cpp", "a.cs": "csharp",
        "a.kt": "kotlin", "a.rb": "ruby", "a.php": "php", "A.CBL": "cobol", "a.cpy": "cobol", "README.md": "markdown",
        "a.yml": "yaml", "a.json": "json", "a.toml": "toml",
    }  # fmt: skip
    for name, language in cases.items():
        assert language_for_path(f"dir/{name}") == language, name
    for name in ("Makefile", ".bashrc", "a.txt", "a.swift", "a.TS"):
        assert language_for_path(name) is None, name


def test_header_sniffing():
    assert language_for_path("x.h", "int add(int a, int b);\n") == "c"
    assert language_for_path("x.h", "#include <vector>\n") == "cpp"
    assert language_for_path("x.h", "template <typename T> T id(T x);\n") == "cpp"


def test_every_mapped_language_has_an_extractor():
    assert set(LANGUAGE_BY_EXTENSION.values()) == set(SUPPORTED_LANGUAGES)
    assert set(CODE_LANGUAGES) <= set(SPECS)
