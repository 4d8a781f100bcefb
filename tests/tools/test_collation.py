"""UTF-16 and ICU (localeCompare) orders used by list_wiki_pages (wikigym/tools/collation.py)."""

from __future__ import annotations

import random
import shutil

import pytest

from wikigym.tools import collation
from wikigym.tools.collation import _node_sort, approximate_key, ascii_key, locale_sort, utf16_sort

# SemanticWiki's recorded SDK-mode order for the `sortcheck` wiki (ICU root collation under Node).
SORTCHECK_LOCALE = ["_private.md", "😀-emoji.md", "10-intro.md", "9-intro.md", "a_b.md", "a-b.md", "a.b.md", "a.md",
                    "a/b.md", "api-v2.md", "API.md", "B.md", "é-accent.md", "e-plain.md", "readme.md", "Readme.md",
                    "ｚ-fullwidth.md", "Zeta.md", "zeta/index.md"]


def test_utf16_order_puts_astral_before_high_bmp() -> None:
    assert utf16_sort(["ｚ", "😀", "é", "Z", "_"]) == ["Z", "_", "é", "😀", "ｚ"]


def test_ascii_table_order() -> None:
    names = ["B.md", "a.md", "_x.md", "-y.md", "10.md", "9.md", "A.md", "a-b.md", "a_b.md", "a b.md", "$.md"]
    assert sorted(names, key=ascii_key) == ["_x.md", "-y.md", "$.md", "10.md", "9.md", "a b.md", "a_b.md", "a-b.md",
                                            "a.md", "A.md", "B.md"]


def test_locale_sort_reproduces_semanticwiki_recording() -> None:
    shuffled = SORTCHECK_LOCALE[:]
    random.Random(3).shuffle(shuffled)
    assert locale_sort(shuffled) == SORTCHECK_LOCALE


def test_fallback_without_node_or_icu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collation, "_node", lambda: None)
    monkeypatch.setattr(collation, "_icu_key", lambda: None)
    shuffled = SORTCHECK_LOCALE[::-1]
    assert locale_sort(shuffled) == SORTCHECK_LOCALE
    assert sorted(SORTCHECK_LOCALE, key=approximate_key) == SORTCHECK_LOCALE


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_ascii_table_agrees_with_node_intl_collator() -> None:
    rng = random.Random(11)
    alphabet = [chr(c) for c in range(0x20, 0x7F)]
    names = ["".join(rng.choice(alphabet if rng.random() < 0.5 else "aAbB_-./09 zZ") for _ in range(rng.randint(0, 7)))
             for _ in range(400)]
    assert sorted(names, key=ascii_key) == _node_sort(names, shutil.which("node"))
