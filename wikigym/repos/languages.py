"""File extension -> tree-sitter language name (the names `tree_sitter_language_pack.get_parser` takes).

Only languages that `parsing.py` knows how to extract symbols, imports and identifiers from are listed; anything
else maps to None and is not parsed (it still counts for the file inventory and existence checks).

What it deliberately does not do: reproduce SemanticWiki's own `getLanguage` labels (`jsx`, `unknown`, ...), which
belong to the search-result format in `wikigym.tools.search`.

Example:
    >>> language_for_path("sdk/src/client.ts")
    'typescript'
    >>> language_for_path("include/store.h", "class Store {};")
    'cpp'
"""

from __future__ import annotations

import re
from pathlib import PurePath

# Every language here has an extractor in parsing.py (the 14 code languages plus data/markup formats).
CODE_LANGUAGES: tuple[str, ...] = (
    "python",
    "typescript",
    "tsx",
    "javascript",
    "go",
    "java",
    "rust",
    "c",
    "cpp",
    "csharp",
    "kotlin",
    "ruby",
    "php",
    "cobol",
)
DATA_LANGUAGES: tuple[str, ...] = ("markdown", "json", "yaml", "toml")
SUPPORTED_LANGUAGES: tuple[str, ...] = CODE_LANGUAGES + DATA_LANGUAGES

LANGUAGE_BY_EXTENSION: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".jsx": "javascript",  # the javascript grammar parses JSX
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",  # sniffed to cpp when the text looks like C++ (see language_for_path)
    ".cpp": "cpp",
    ".cc": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".cs": "csharp",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".rb": "ruby",
    ".php": "php",
    ".cbl": "cobol",
    ".cob": "cobol",
    ".cobol": "cobol",
    ".cpy": "cobol",  # copybooks
    ".copy": "cobol",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
}

# C++-only constructs that make a `.h` header C++ rather than C.
_CPP_HEADER_HINT = re.compile(
    r"^\s*(?:class\s+\w+[^;]*\{|namespace\s+\w*\s*\{|template\s*<|#include\s*<[a-z_]+>\s*$)", re.MULTILINE
)


def language_for_path(path: str | PurePath, text: str | None = None) -> str | None:
    """Return the tree-sitter language for a file path, or None when it is not parsed.

    Args:
        path: a file path (only its name is used; extensions are case-sensitive, as SemanticWiki's globs are,
            except that upper-case COBOL extensions are accepted because mainframe sources use them).
        text: the file's text, used to tell C++ headers from C headers.

    Returns:
        A name from `SUPPORTED_LANGUAGES`, or None.
    """
    name = PurePath(path).name
    dot = name.rfind(".")
    if dot <= 0:
        return None
    ext = name[dot:]
    language = LANGUAGE_BY_EXTENSION.get(ext)
    if language is None and LANGUAGE_BY_EXTENSION.get(ext.lower()) == "cobol":
        language = "cobol"
    if language == "c" and ext == ".h" and text is not None and _CPP_HEADER_HINT.search(text):
        return "cpp"
    return language
