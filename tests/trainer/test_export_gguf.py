"""`wikigym export gguf`: Modelfile text always; a real conversion of the tiny merged model when possible."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wikigym.errors import ConfigError
from wikigym.trainer.export_gguf import find_converter, llama_cpp_available, modelfile_text


def test_modelfile_is_harmony_with_stop_tokens():
    text = modelfile_text(Path("/x/model.gguf"))
    assert text.startswith("FROM ./model.gguf")
    for piece in ("<|start|>system<|message|>", "Reasoning: ", "namespace functions {",
                  "<|start|>assistant to=functions.{{ .Function.Name }}<|channel|>commentary <|constrain|>json",
                  "<|call|>", "to=assistant<|channel|>commentary<|message|>", 'PARAMETER stop "<|return|>"'):
        assert piece in text, piece
    assert text.rstrip().endswith('PARAMETER num_ctx 32768')


def test_missing_converter_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="convert_hf_to_gguf"):
        find_converter(tmp_path)


def _converter() -> Path | None:
    env = os.environ.get("WIKIGYM_GGUF_CONVERTER")
    if env:
        return find_converter(Path(env), fetch=False)
    try:
        return find_converter(None, fetch=llama_cpp_available())
    except ConfigError:
        return None


@pytest.mark.slow
def test_tiny_model_exports_and_loads(tmp_path):
    conv = _converter()
    if conv is None:
        pytest.skip("llama-cpp-python is not installed (GGUF export uses the converter in its sdist; "
                    "`pip install llama-cpp-python`, a ~10-14 min source build, or set WIKIGYM_GGUF_CONVERTER to an "
                    "unpacked sdist)")
    from wikigym.trainer.config import ModelConfig
    from wikigym.trainer.export_gguf import export_gguf

    res = export_gguf(ModelConfig(name="tiny", dtype="float32"), None, tmp_path / "tiny.gguf", "q8_0", conv)
    assert res["bytes"] > 1_000_000 and (tmp_path / "Modelfile").is_file()
    import sys

    sys.path.insert(0, str(conv / "gguf-py"))
    try:
        from gguf import GGUFReader
    finally:
        sys.path.pop(0)
    reader = GGUFReader(res["gguf"])
    arch = reader.fields["general.architecture"]
    assert bytes(arch.parts[arch.data[0]]).decode() == "gpt-oss"
    assert any(t.name == "token_embd.weight" for t in reader.tensors)
    if llama_cpp_available():
        import llama_cpp

        llm = llama_cpp.Llama(model_path=res["gguf"], n_ctx=256, verbose=False)
        assert llm.n_vocab() == 201088
