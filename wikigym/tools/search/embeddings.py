"""Optional embedding backend for the `accurate` profile: a sentence-transformers model as the vector half.

Set `ctx.extra["search_embedding_model"]` to a sentence-transformers model name or local path (for example
`BAAI/bge-small-en-v1.5`, the model SemanticWiki's transformers.js pipeline uses). Chunks are embedded from the same
text SemanticWiki embeds (`domainContext`, the first 300 characters of documentation, then content, 2,000
characters in all), normalised, and searched by cosine similarity; `accurate.AccurateIndex` fuses the result with
BM25 by reciprocal-rank fusion, as SemanticWiki does with FAISS.

`sentence_transformers` is imported only when a model is configured; nothing here downloads anything unless the
user asks for a model that is not cached. Any object with `encode_documents(docs) -> (n, d) array` and
`encode_query(text) -> (d,) array` (both L2-normalised) can stand in for `SentenceTransformerEmbedder`.

What it deliberately does not do: bundle a model, or embed in the faithful profile (SemanticWiki's no-FAISS path,
which the goldens record, has no embeddings).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


def embedding_text(chunk: dict) -> str:
    """SemanticWiki's `generateEmbeddings` text for one chunk."""
    text = ""
    if chunk.get("domainContext"):
        text = f"{chunk['domainContext']}\n\n"
    if chunk.get("documentation"):
        text += f"{chunk['documentation'][:300]}\n\n"
    budget = 2000 - len(text)
    return text + chunk["content"][:max(budget, 500)]


class SentenceTransformerEmbedder:
    """Embeds chunks and queries with a sentence-transformers model (loaded lazily, once per process)."""

    _models: ClassVar[dict[str, Any]] = {}

    def __init__(self, model_name: str, batch_size: int = 32):
        self.model_name = model_name
        self.batch_size = batch_size

    @property
    def model(self) -> Any:
        m = self._models.get(self.model_name)
        if m is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:  # pragma: no cover - depends on the environment
                from wikigym.errors import ConfigError

                raise ConfigError("search_embedding_model needs the sentence-transformers package; "
                                  "pip install sentence-transformers, or unset search_embedding_model") from e
            m = self._models[self.model_name] = SentenceTransformer(self.model_name)
        return m

    def encode_documents(self, docs: list[dict]) -> np.ndarray:
        vecs = self.model.encode([embedding_text(d) for d in docs], batch_size=self.batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def encode_query(self, query: str) -> np.ndarray:
        vec = self.model.encode([query[:2000]], normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
        return np.asarray(vec[0], dtype=np.float32)
