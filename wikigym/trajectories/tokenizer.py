"""The o200k/Harmony vocabulary and gpt-oss's tokenizer, built offline and cached.

gpt-oss reads the `o200k_harmony` encoding: o200k_base's 199,998 byte-pair ranks plus 1,090 special tokens
(ids 199998-201087: `<|startoftext|>`, `<|endoftext|>`, `<|start|>` = 200006 ... `<|call|>` = 200012 and reserved
ones). Two consumers need it and neither may touch the network:

- `openai-harmony` (rendering and parsing conversations) downloads o200k_base unless `TIKTOKEN_ENCODINGS_BASE` names a
  directory that holds it. PyPI's `bpe-openai==0.1.4` ships that file gzipped; `vocab_dir()` unpacks it once into the
  cache and checks harmony's sha256.
- transformers (training, generation) needs a `PreTrainedTokenizerFast`. `hf_tokenizer()` builds one from the same
  ranks with transformers' `TikTokenConverter` and the special tokens harmony itself names, then `save_pretrained`s it
  into the cache (the build takes ~15 s; a cached load well under a second).

Token ids of both must be equal on every rendered conversation: `tests/trajectories/test_harmony_tokenizer.py` checks
it. What this module does not do: render conversations (that is `wikigym.trajectories.harmony`), or download anything.

Cache location: `$WIKIGYM_CACHE` or `~/.cache/wikigym`, subdirectory `tokenizer/`.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wikigym.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from openai_harmony import HarmonyEncoding
    from transformers import PreTrainedTokenizerFast

O200K_FILE = "o200k_base.tiktoken"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
FIRST_SPECIAL_ID = 199998
VOCAB_SIZE = 201088  # gpt-oss's embedding rows: o200k ranks + 1,090 Harmony special tokens
TOKENIZER_VERSION = "o200k_harmony-1"  # bump when the build below changes, so stale caches are rebuilt

# o200k_base's pre-tokenizer pattern (tiktoken's `o200k_base`, the one gpt-oss's tokenizer.json carries).
O200K_PATTERN = "|".join([
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    r"\p{N}{1,3}",
    r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
    r"\s*[\r\n]+",
    r"\s+(?!\S)",
    r"\s+",
])


def cache_dir() -> Path:
    """The wikigym cache root (`$WIKIGYM_CACHE` or `~/.cache/wikigym`)."""
    return Path(os.environ.get("WIKIGYM_CACHE") or Path.home() / ".cache" / "wikigym")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def vocab_dir() -> Path:
    """A directory holding `o200k_base.tiktoken` (unpacked from `bpe-openai` once), checked against harmony's sha256.

    Returns:
        The directory, suitable for `TIKTOKEN_ENCODINGS_BASE`.
    """
    out = cache_dir() / "tokenizer" / "vocab"
    target = out / O200K_FILE
    if target.is_file() and _sha256(target) == O200K_SHA256:
        return out
    try:
        import bpe_openai
    except ImportError:
        raise ConfigError("the o200k vocabulary comes from the `bpe-openai` package; install it with "
                          "`pip install bpe-openai==0.1.4` (or `pip install wikigym[train]`)") from None
    src = Path(bpe_openai.__file__).parent / "data" / (O200K_FILE + ".gz")
    if not src.is_file():
        raise ConfigError(f"{src} is missing from the installed bpe-openai; reinstall `bpe-openai==0.1.4`")
    out.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out, suffix=".part")
    with os.fdopen(fd, "wb") as g, gzip.open(src, "rb") as f:
        shutil.copyfileobj(f, g)
    if _sha256(Path(tmp)) != O200K_SHA256:
        os.unlink(tmp)
        raise ConfigError(f"{src} does not hold the o200k_base vocabulary harmony expects (sha256 mismatch); "
                          "install `bpe-openai==0.1.4` exactly")
    os.replace(tmp, target)  # atomic: a half-written file is never taken for the vocabulary
    return out


@functools.lru_cache(maxsize=1)
def harmony_encoding() -> "HarmonyEncoding":
    """The `HARMONY_GPT_OSS` encoding from `openai-harmony`, loaded from the offline vocabulary."""
    os.environ["TIKTOKEN_ENCODINGS_BASE"] = str(vocab_dir())
    try:
        from openai_harmony import HarmonyEncodingName, load_harmony_encoding
    except ImportError:
        raise ConfigError("Harmony rendering needs `openai-harmony`; install it with `pip install wikigym[train]`") \
            from None
    return load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)


def special_tokens() -> dict[str, int]:
    """Harmony's special tokens by name (`<|start|>` -> 200006, ...), ids 199998-201087, as harmony decodes them."""
    enc = harmony_encoding()
    return {enc.decode([i]): i for i in range(FIRST_SPECIAL_ID, VOCAB_SIZE)}


def _load_ranks(path: Path) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    for line in path.read_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _build(out: Path) -> None:
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    class _OfflineConverter(TikTokenConverter):
        # transformers reads the ranks through `tiktoken`; the format is one "base64 rank" pair a line, so read it here
        # and need no tiktoken.
        @staticmethod
        def load_tiktoken_bpe(tiktoken_url: str) -> dict[bytes, int]:
            return _load_ranks(Path(tiktoken_url))

    specials = special_tokens()
    names = sorted(specials, key=specials.get)
    backend = _OfflineConverter(vocab_file=str(vocab_dir() / O200K_FILE), pattern=O200K_PATTERN,
                                extra_special_tokens=names).converted()
    for name, idx in specials.items():
        if backend.token_to_id(name) != idx:
            raise ConfigError(f"tokenizer build put {name} at {backend.token_to_id(name)}, not {idx}; "
                              "delete the tokenizer cache and rebuild")
    # transformers 5.x: the keyword is `extra_special_tokens`; `additional_special_tokens` is silently ignored there.
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|startoftext|>", eos_token="<|return|>",
                                  pad_token="<|endoftext|>", extra_special_tokens=[n for n in names if n not in (
                                      "<|startoftext|>", "<|return|>", "<|endoftext|>")],
                                  model_max_length=131072)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=".build-"))
    tok.save_pretrained(tmp)
    (tmp / "VERSION").write_text(TOKENIZER_VERSION + "\n")
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)


def tokenizer_path() -> Path:
    """The cached tokenizer directory (built on first use; `from_pretrained` loads it)."""
    out = cache_dir() / "tokenizer" / "o200k_harmony"
    stamp = out / "VERSION"
    if not (stamp.is_file() and stamp.read_text().strip() == TOKENIZER_VERSION):
        out.parent.mkdir(parents=True, exist_ok=True)
        _build(out)
    return out


@functools.lru_cache(maxsize=1)
def hf_tokenizer() -> "PreTrainedTokenizerFast":
    """gpt-oss's tokenizer as a `PreTrainedTokenizerFast` (pad = `<|endoftext|>`, eos = `<|return|>`).

    Example:
        >>> tok = hf_tokenizer()
        >>> tok.convert_tokens_to_ids("<|call|>")
        200012
    """
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(str(tokenizer_path()))
    return tok


def check_model_reachable(name_or_path: str) -> None:
    """Fail fast, in one line, for a model that is neither local, nor cached, nor downloadable (hub unreachable).

    Without this, `--model nonexistent/model` on a machine without network spent ~50 s in huggingface_hub's
    retries (two loaders x 5 retries, ~40 warning lines) before the error. A local directory, a model already in
    the Hugging Face cache, or a reachable hub all pass; a reachable hub then answers a wrong id quickly itself.
    """
    import socket

    if Path(name_or_path).expanduser().exists() or os.environ.get("HF_HUB_OFFLINE"):
        return  # local checkout, or offline mode: transformers answers from disk without retrying
    try:
        from huggingface_hub import try_to_load_from_cache

        if isinstance(try_to_load_from_cache(name_or_path, "config.json"), str):
            return
    except ValueError:  # a malformed id (HFValidationError): from_pretrained raises it; callers make it one line
        return
    host = os.environ.get("HF_ENDPOINT", "https://huggingface.co").split("://")[-1].split("/")[0]
    try:
        socket.create_connection((host.split(":")[0], 443), timeout=5).close()
    except OSError:
        raise ConfigError(f"cannot load model {name_or_path!r}: it is not a local directory, not in the Hugging "
                          f"Face cache, and {host} cannot be reached; pass a local checkout with --model PATH, or "
                          "`tiny` for the random test model") from None


def load_tokenizer(name_or_path: str | None = None) -> Any:
    """A model's tokenizer: the offline o200k_harmony one for `None`/`tiny`/`o200k_harmony`, else `from_pretrained`."""
    if name_or_path in (None, "", "tiny", "o200k_harmony"):
        return hf_tokenizer()
    from transformers import AutoTokenizer

    check_model_reachable(name_or_path)
    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as e:
        # The tokenizer is loaded before the model, so this is where an unknown or undownloadable model id first
        # fails: transformers raises OSError (not found, offline) or huggingface_hub's HFValidationError (a
        # ValueError, for a malformed id). Both are the user's to fix, so they become one error line, not a hub
        # traceback.
        raise ConfigError(f"cannot load the tokenizer of model {name_or_path!r} ({e}); pass a local checkout "
                          "with --model PATH, or `tiny` for the random test model") from None
