"""Secret redaction: environment values, registered values, token shapes, URL credentials; no false positives."""

from __future__ import annotations

import pytest

from wikigym.trajectories.secrets import MARK, redact, redact_obj, register_secret


def test_environment_secret_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "plainvalue12345")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ada Lovelace")
    assert redact("token=plainvalue12345 by Ada Lovelace") == f"token={MARK} by Ada Lovelace"


def test_registered_secret() -> None:
    register_secret("given-on-the-command-line-42")
    assert redact("x given-on-the-command-line-42 y") == f"x {MARK} y"


@pytest.mark.parametrize("text", [
    "sk-ant-api03-AbCdEf0123456789_-xyz",
    "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "github_pat_11ABCDEFG0123456789_abcdefghijkl",
    "AKIAIOSFODNN7EXAMPLE",
    "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
])
def test_token_shapes(text: str) -> None:
    assert redact(f"use {text} now") == f"use {MARK} now"


def test_url_credentials_and_headers() -> None:
    assert redact("git clone https://user:tok@github.com/a/b") == f"git clone https://{MARK}@github.com/a/b"
    assert redact("Authorization: Bearer abc.def.ghi") == f"Authorization: Bearer {MARK}"
    assert redact('{"x-api-key": "abcdefgh1234"}') == f'{{"x-api-key": "{MARK}"}}'


def test_ordinary_text_is_untouched() -> None:
    text = "commit 0123456789abcdef0123456789abcdef01234567, def api_key(self): return os.environ['K']"
    assert redact(text) == text


def test_redact_obj_walks_nested_data() -> None:
    data = {"a": ["https://u:p@h/x", {"k": "sk-ant-xxxxxxxxxxxx"}], "n": 3}
    assert redact_obj(data) == {"a": [f"https://{MARK}@h/x", {"k": MARK}], "n": 3}


def test_token_placeholder_of_wikigyms_own_advice_is_kept() -> None:
    # "put a token in the URL: https://<token>@host/..." must not read https://<redacted>@host; real userinfo must.
    assert redact("https://<token>@host/owner/repo") == "https://<token>@host/owner/repo"
    assert redact("https://<token>:s3cr3tvalue@host/x") == f"https://{MARK}@host/x"
    assert redact("https://tok3n@host/x") == f"https://{MARK}@host/x"
