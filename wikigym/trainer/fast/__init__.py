"""Fast GPU paths for gpt-oss LoRA training and rollouts: flex attention with sinks, grouped-GEMM MoE with LoRA inside,
chunked cross-entropy (`patch.apply_fast_path`), and static-cache CUDA-graph decoding with continuous batching
(`decode.DecodeEngine`). Everything falls back, with a logged reason, where a kernel is unavailable (CPU, old torch).
"""
