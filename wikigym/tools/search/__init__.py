"""`search_codebase`: SemanticWiki's RAG search, byte for byte (profile `semanticwiki-1.2.1`) or better (`accurate`).

Modules: `inventory` (which files), `chunker` + `tsemu` (SemanticWiki's chunker; TS compiler API emulated over
tree-sitter), `domains` (domain hints), `bm25`, `keyword` + `jsregex` + `jsstr` (the no-FAISS regex half with V8
semantics), `index` (`build_index`, `SearchIndex`, disk cache), `accurate` + `embeddings` (the `accurate` profile),
`format` (result text), `tool` (direct and SDK handlers).
"""
