"""jsdiff port: createTwoFilesPatch output checked against npm diff 5.2."""

from __future__ import annotations

from wikigym.tools.unified_diff import create_two_files_patch

HEADER = "Index: f\n" + "=" * 67 + "\n--- f\toriginal\n+++ f\tmodified\n"


def patch(old: str, new: str) -> str:
    return create_two_files_patch("f", "f", old, new, "original", "modified")


def test_identical_has_no_hunk() -> None:
    assert patch("a\nb\n", "a\nb\n") == HEADER


def test_context_and_separate_hunks() -> None:
    old = "".join(f"{i}\n" for i in range(1, 21))
    new = old.replace("2\n", "two\n", 1).replace("19\n", "nineteen\n")
    assert patch(old, new) == HEADER + (
        "@@ -1,6 +1,6 @@\n 1\n-2\n+two\n 3\n 4\n 5\n 6\n"
        "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n 18\n-19\n+nineteen\n 20\n")


def test_no_newline_markers() -> None:
    assert patch("a\nb", "a\nc") == HEADER + "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n" \
        "\\ No newline at end of file\n"
    assert patch("", "x\n") == HEADER + "@@ -0,0 +1,1 @@\n+x\n"
    assert patch("a\n", "a\nb") == HEADER + "@@ -1,1 +1,2 @@\n a\n+b\n\\ No newline at end of file\n"
