"""The offline HF tokenizer (`wikigym.trajectories.tokenizer`) gives harmony's ids on every rendered example."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("openai_harmony")
pytest.importorskip("transformers")

from tests.trainer.episodes import make_episode  # noqa: E402
from wikigym.trajectories.harmony import RenderOptions, decode, render_episode  # noqa: E402
from wikigym.trajectories.schema import Episode  # noqa: E402
from wikigym.trajectories.tokenizer import VOCAB_SIZE, hf_tokenizer, special_tokens  # noqa: E402

FIXTURE = Path(__file__).parents[1] / "fixtures" / "trajectory-v1.jsonl"


def _episodes() -> list[Episode]:
    eps = [Episode.model_validate_json(ln) for ln in FIXTURE.read_text(encoding="utf-8").splitlines() if ln.strip()]
    odd = make_episode("ünïcode-репо", 7, 0.1, invalid_call=True)
    odd.steps[0].tool_results[0].output = "  tabs\tand   spaces\r\n中文 émoji 🚀 12345678 ../x/y.ts:12\n\n\n"
    return eps + [odd]


def test_special_tokens_are_harmonys():
    tok = hf_tokenizer()
    specials = special_tokens()
    assert len(tok) == VOCAB_SIZE == 201088
    assert specials["<|start|>"] == 200006 and specials["<|call|>"] == 200012
    assert all(tok.convert_tokens_to_ids(name) == idx for name, idx in specials.items())
    assert tok.eos_token_id == specials["<|return|>"] and tok.pad_token_id == specials["<|endoftext|>"]


@pytest.mark.parametrize("split", ["chain", "turn"])
def test_hf_ids_equal_harmony_ids_on_every_rendered_example(split):
    tok = hf_tokenizer()
    n = 0
    for ep in _episodes():
        exs, _ = render_episode(ep, RenderOptions(split=split))
        for ex in exs:
            text = decode(ex.input_ids)
            assert tok.encode(text, add_special_tokens=False) == ex.input_ids
            assert tok.decode(ex.input_ids) == text
            n += 1
    assert n >= 5


@pytest.mark.parametrize("exc", [OSError("We couldn't connect to 'https://huggingface.co'\nCheck your connection."),
                                 ValueError("Repo id must be in the form 'repo_name' or 'namespace/repo_name'")])
def test_unknown_model_tokenizer_is_one_error_line(monkeypatch, exc):
    """`--model nonexistent/model` fails at the tokenizer first: one ConfigError line naming the model, no traceback."""
    import transformers

    from wikigym.errors import ConfigError
    from wikigym.trajectories.tokenizer import load_tokenizer

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", fail)
    with pytest.raises(ConfigError) as info:
        load_tokenizer("nonexistent/model")
    msg = str(info.value)
    assert "nonexistent/model" in msg and "--model PATH" in msg and "\n" not in msg


def test_unreachable_hub_fails_fast_without_retries(monkeypatch):
    """Offline, `--model nonexistent/model` spent ~50 s and ~40 lines in hub retries; now one line, no download."""
    import socket

    import transformers

    from wikigym.errors import ConfigError
    from wikigym.trajectories.tokenizer import load_tokenizer

    def unreachable(*args, **kwargs):
        raise OSError("Name or service not known")

    def must_not_download(*args, **kwargs):
        raise AssertionError("from_pretrained was called: the hub retries would run")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", must_not_download)
    with pytest.raises(ConfigError, match="cannot be reached") as info:
        load_tokenizer("nonexistent/model")
    assert "nonexistent/model" in str(info.value) and "--model PATH" in str(info.value)
