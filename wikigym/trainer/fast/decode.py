"""Batched gpt-oss decoding: a static KV cache, CUDA-graph decode steps, continuous batching across episodes.

`DecodeEngine(model)` takes a plain (or LoRA-merged) `GptOssForCausalLM` and generates with its weights through its
own forward, built for decoding:
- KV cache preallocated once: full-attention layers `[slots, kv_heads, max_len, head_dim]`; sliding layers a ring of
  `sliding_window` positions per slot (all they can ever attend to).
- One decode step for the first `b` slots attends over the first `L` cache positions; `(b, L)` are rounded up to
  powers of two and each pair's step is captured once as a CUDA graph and replayed (hundreds of kernel launches per
  token become one). The MoE runs as grouped GEMMs over the `b * k` routed copies (`moe.py`), so one stream reads
  only its 4 experts per layer.
- Waiting prompts are prefilled together (one forward over up to `prefill_tokens` tokens; flex attention on CUDA)
  straight into free slots.
- Continuous batching: `generate` is thread-safe; a single worker thread admits waiting requests into free slots
  between decode steps and retires finished ones at once (their slot is refilled by the last active one, so the
  active slots stay `0..n-1`). Episodes of different lengths therefore never wait for each other.

`generate(prompts, max_new_tokens, temperature, top_p, stop_ids, seed)` returns each prompt's new tokens (ending with
the stop token when one was hit). Sampling: greedy at temperature 0, else temperature + nucleus (top-p).

On CPU (or with `use_cuda_graph=False`) the same steps run eagerly: slower, but the same numbers (the tests use it).

`fp8_experts=True` stores the experts as FP8 (one scale per expert and output column, activations quantized per row;
`moe.quantize_experts`): at 32 streams a decode step reads nearly every expert, so halving their bytes is what moves
the step time. It perturbs the sampled policy, so it is an option (`fast.decode_fp8_experts`), measured by
benchmarks/rollout_throughput.py as a KL to the bf16 policy. The FP8 copies take ~18 GiB for the 20b on top of the
model, unless `release_experts=True` frees each layer's bf16 experts once quantized (38 GB back for the 20b; the model
can then only generate through this engine: what `wikigym rollout` does with the option on).

What it does not do: LoRA at decode time (merge the adapter first, as `load_for_inference` does), beam search,
prefix caching across requests.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from wikigym.trainer.fast.attention import (
    _make_block_mask,
    eager_sink_attention,
    flex_available,
    flex_sink_attention,
    padded_length,
    rope,
)
from wikigym.trainer.fast.compiled import fused
from wikigym.trainer.fast.moe import experts_forward, fp8_nbytes, grouped_mm_available, quantize_experts
from wikigym.trainer.fast.norm import rms_norm_values
from wikigym.trainer.fast.patch import causal_lm

log = logging.getLogger(__name__)


def _pow2(n: int, lo: int) -> int:
    p = lo
    while p < n:
        p *= 2
    return p


def _sink_softmax_av(qg: torch.Tensor, keys: torch.Tensor, vals: torch.Tensor, valid: torch.Tensor,
                     sinks: torch.Tensor, scaling: float) -> torch.Tensor:
    """One decode position's attention with gpt-oss's sink logit: qg [b, kv, g, D], keys/vals [b, kv, L, D]."""
    scores = torch.matmul(qg, keys.transpose(-1, -2)).float() * scaling  # [b, kv, g, L]
    scores = scores.masked_fill(~valid[:, None, None, :], float("-inf"))
    sink = sinks.float().view(1, qg.shape[1], qg.shape[2], 1).expand(qg.shape[0], -1, -1, 1)
    probs = torch.softmax(torch.cat([scores, sink], dim=-1), dim=-1)[..., :-1]
    return torch.matmul(probs.to(vals.dtype), vals)


def _release_experts(experts: Any) -> None:
    """Free a layer's bf16 expert weights (the engine holds FP8 copies) and make the module say so if called."""
    for name in ("gate_up_proj", "down_proj"):
        p = getattr(experts, name)
        p.data = torch.empty(0, dtype=p.dtype, device=p.device)

    def released(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("this model's bf16 expert weights were freed for the FP8 decode engine "
                           "(fast.decode_fp8_experts): generate through model.wikigym_engine, or reload the model")

    experts.forward = released


@dataclass
class _Request:
    prompt: list[int]
    max_new_tokens: int
    temperature: float
    top_p: float
    stop_ids: frozenset[int]
    generator: torch.Generator | None
    out: list[int] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class DecodeEngine:
    """Static-cache, CUDA-graph, continuously batched generation for one gpt-oss model (see the module docstring)."""

    def __init__(self, model: Any, max_batch: int = 32, max_len: int = 16384, use_cuda_graph: bool = True,
                 min_len_bucket: int = 256, prefill_tokens: int = 16384, compile: bool | None = None,
                 fp8_experts: bool = False, release_experts: bool = False):
        lm = causal_lm(model)
        if any("lora_" in n for n, _ in lm.named_parameters()):
            raise ValueError("DecodeEngine needs a plain or merged model; merge the LoRA first (merge_and_unload)")
        self.lm = lm
        cfg = lm.config
        p = lm.lm_head.weight
        self.device, self.dtype = p.device, p.dtype
        self.max_batch, self.max_len = max_batch, max_len
        self.layers = list(lm.model.layers)
        self.kinds = [getattr(layer.self_attn, "sliding_window", None) for layer in self.layers]
        self.n_heads, self.n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.top_k = cfg.num_experts_per_tok
        self.min_len_bucket = min_len_bucket
        self.prefill_tokens = prefill_tokens
        self.eps = float(getattr(cfg, "rms_norm_eps", 1e-5))
        # q, k and v as one GEMM (one weight read, one launch instead of three plus their split-K reductions)
        self.qkv: list[tuple[torch.Tensor, torch.Tensor | None]] = []
        for layer in self.layers:
            at = layer.self_attn
            w = torch.cat([at.q_proj.weight, at.k_proj.weight, at.v_proj.weight], 0).detach()
            has_bias = at.q_proj.bias is not None
            b = torch.cat([at.q_proj.bias, at.k_proj.bias, at.v_proj.bias], 0).detach() if has_bias else None
            self.qkv.append((w, b))
        self.q_dim, self.kv_dim = self.n_heads * self.head_dim, self.n_kv * self.head_dim
        use_compile = self.device.type == "cuda" if compile is None else compile
        norm = fused(rms_norm_values, use_compile)  # one kernel for the whole RMSNorm (the r it returns is unused)
        self.norm = lambda x, weight, eps: norm(x, weight, eps)[0]
        self.rope = fused(rope, use_compile)
        self.attend = fused(_sink_softmax_av, use_compile)
        ok, why = grouped_mm_available(self.device, self.dtype)
        self.moe_backend = "grouped_mm" if ok else "segment"
        if fp8_experts and self.device.type == "cuda" and torch.cuda.get_device_capability(self.device)[0] < 9:
            raise ValueError("fp8_experts needs a GPU with FP8 tensor cores (Hopper, sm90+); set "
                             "fast.decode_fp8_experts: false")
        if release_experts and not fp8_experts:
            raise ValueError("release_experts frees the bf16 experts the engine would read; it needs fp8_experts")
        self.fp8_experts, self.release_experts = fp8_experts, release_experts
        self._check_memory()
        # per layer: (gate_up, down) as the model's bf16 tensors, or FP8 copies of them
        self.experts: list[tuple[Any, Any]] = []
        for layer in self.layers:
            ex = layer.mlp.experts
            pair = (ex.gate_up_proj.detach(), ex.down_proj.detach())
            self.experts.append(tuple(quantize_experts(w) for w in pair) if fp8_experts else pair)
            if release_experts:
                _release_experts(ex)
        self.flex_ok, _ = flex_available(self.device)
        self.use_graphs = use_cuda_graph and self.device.type == "cuda" and self.moe_backend == "grouped_mm"
        if use_cuda_graph and not self.use_graphs:
            log.info("decode: CUDA graphs off (%s)", why or f"device {self.device.type}")
        with torch.no_grad():
            pos = torch.arange(max_len, device=self.device)[None]
            cos, sin = lm.model.rotary_emb(torch.empty(1, device=self.device, dtype=self.dtype), pos)
        self.cos, self.sin = cos[0], sin[0]  # [max_len, head_dim/2]
        self.k_cache: list[torch.Tensor] = []
        self.v_cache: list[torch.Tensor] = []
        for w in self.kinds:
            span = w if w else max_len
            shape = (max_batch, self.n_kv, span, self.head_dim)
            self.k_cache.append(torch.zeros(shape, device=self.device, dtype=self.dtype))
            self.v_cache.append(torch.zeros(shape, device=self.device, dtype=self.dtype))
        self.tokens = torch.zeros(max_batch, dtype=torch.long, device=self.device)
        self.pos = torch.zeros(max_batch, dtype=torch.long, device=self.device)
        self._graphs: dict[tuple[int, int], tuple[Any, torch.Tensor]] = {}
        self._pool: Any = None
        self._slots: list[_Request] = []
        self._pos_host: list[int] = []
        self._waiting: list[_Request] = []
        self._cv = threading.Condition()
        self._worker: threading.Thread | None = None
        self.steps = 0

    def _check_memory(self) -> None:
        """Fail with the fix named, before allocating, when the KV cache (and FP8 experts) cannot fit the GPU."""
        if self.device.type != "cuda":
            return
        item = torch.empty((), dtype=self.dtype).element_size()
        spans = sum(w if w else self.max_len for w in self.kinds)
        kv = 2 * self.max_batch * self.n_kv * self.head_dim * spans * item
        fp8 = 0
        if self.fp8_experts:
            per_layer = [sum(fp8_nbytes(w.shape) for w in (layer.mlp.experts.gate_up_proj, layer.mlp.experts.down_proj))
                         for layer in self.layers]
            # released: each layer's bf16 experts are freed once quantized, so one layer's FP8 copy is the peak
            fp8 = max(per_layer) if self.release_experts else sum(per_layer)
        free, _ = torch.cuda.mem_get_info(self.device)
        need = kv + fp8 + (1 << 30)  # a GiB of headroom for activations, logits and graph pools
        if need > free:
            gib = lambda n: f"{n / 2**30:.1f} GiB"  # noqa: E731
            raise ValueError(
                f"decode engine needs {gib(need)} (KV cache {gib(kv)} for {self.max_batch} slots x {self.max_len} "
                f"tokens{', FP8 experts ' + gib(fp8) if fp8 else ''}) but {gib(free)} of GPU memory are free: lower "
                f"fast.decode_max_len or sampling.batch_size{' or set fast.decode_fp8_experts: false' if fp8 else ''}")

    # ---- model math -------------------------------------------------------------------------------------------
    def _qkv(self, i: int, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        w, b = self.qkv[i]
        qkv = F.linear(h, w, b)
        return qkv.split([self.q_dim, self.kv_dim, self.kv_dim], dim=-1)

    def _cache_cells(self, pos: torch.Tensor, length: int) -> dict[int | None, tuple[torch.Tensor, torch.Tensor]]:
        """For each attention kind (its sliding window, None for full attention): the cache cell each slot's new key
        and value go to, and which cells its query may read ([b, cells]). The same for every layer of a kind, so
        computed once per step, not per layer (a handful of tiny kernels each, which bound a one-stream step)."""
        cells: dict[int | None, tuple[torch.Tensor, torch.Tensor]] = {}
        for window in set(self.kinds):
            if window:
                j = torch.arange(window, device=pos.device)[None]
                held = pos[:, None] - torch.remainder(pos[:, None] - j, window)  # position held in ring cell j
                cells[window] = (pos % window, held >= 0)
            else:
                cells[window] = (pos, torch.arange(length, device=pos.device)[None] <= pos[:, None])
        return cells

    def _attn_decode(self, i: int, layer: Any, h: torch.Tensor, rows: torch.Tensor, cell: torch.Tensor,
                     valid: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, length: int) -> torch.Tensor:
        b = h.shape[0]
        at = layer.self_attn
        q, k, v = self._qkv(i, h)
        q = self.rope(q.reshape(b, self.n_heads, self.head_dim), cos[:, None], sin[:, None])
        k = self.rope(k.reshape(b, self.n_kv, self.head_dim), cos[:, None], sin[:, None])
        v = v.reshape(b, self.n_kv, self.head_dim)
        kc, vc = self.k_cache[i], self.v_cache[i]
        kc[rows, :, cell] = k
        vc[rows, :, cell] = v
        cells = self.kinds[i] or length  # a ring of `window` cells, or the first `length` positions
        keys, vals = kc[:b, :, :cells], vc[:b, :, :cells]
        g = self.n_heads // self.n_kv
        out = self.attend(q.view(b, self.n_kv, g, self.head_dim), keys, vals, valid, at.sinks, float(at.scaling))
        return at.o_proj(out.reshape(b, self.n_heads * self.head_dim))

    def _moe(self, i: int, layer: Any, h: torch.Tensor) -> torch.Tensor:
        mlp = layer.mlp
        logits = F.linear(h, mlp.router.weight, mlp.router.bias)
        top, idx = torch.topk(logits, self.top_k, dim=-1)
        w = torch.softmax(top, dim=-1, dtype=top.dtype)
        ex = mlp.experts
        gate_up, down = self.experts[i]
        return experts_forward(h, idx, w, gate_up, ex.gate_up_proj_bias, down, ex.down_proj_bias,
                               [], [], float(ex.alpha), float(ex.limit), self.moe_backend)

    def _step(self, b: int, length: int) -> torch.Tensor:
        """Logits [b, V] (float32) of the next token for slots 0..b-1 (tokens/pos from the static buffers)."""
        tok, pos = self.tokens[:b], self.pos[:b]
        x = self.lm.model.embed_tokens(tok)
        cos, sin = self.cos[pos], self.sin[pos]
        rows, cells = torch.arange(b, device=tok.device), self._cache_cells(pos, length)
        for i, layer in enumerate(self.layers):
            h = self.norm(x, layer.input_layernorm.weight, self.eps)
            x = x + self._attn_decode(i, layer, h, rows, *cells[self.kinds[i]], cos, sin, length)
            x = x + self._moe(i, layer, self.norm(x, layer.post_attention_layernorm.weight, self.eps))
        return self.lm.lm_head(self.norm(x, self.lm.model.norm.weight, self.eps)).float()

    def _prefill(self, slot: int, prompt: list[int]) -> torch.Tensor:
        """Run `prompt` through the model into cache slot `slot`; return the last position's logits [V]."""
        return self._prefill_many([slot], [prompt])[0]

    def _prefill_many(self, slots: list[int], prompts: list[list[int]]) -> torch.Tensor:
        """Run several prompts through the model in one forward, each into its cache slot; logits [n, V] of each
        prompt's last position.

        The prompts are concatenated as documents (positions restart, flex attention's document mask keeps them
        apart), so admitting 32 episodes costs one forward instead of 32 (the experts' weights are read once).
        """
        lens = [len(p) for p in prompts]
        for n in lens:
            if n >= self.max_len:
                raise ValueError(f"prompt of {n} tokens does not fit max_len={self.max_len}; raise max_len")
        dev = self.device
        total = sum(lens)
        ids = torch.tensor([t for p in prompts for t in p], device=dev)[None]
        lens_t = torch.tensor(lens, device=dev)
        doc = torch.arange(len(prompts), device=dev, dtype=torch.int32).repeat_interleave(lens_t)[None]
        starts = lens_t.cumsum(0) - lens_t
        pos = torch.arange(total, device=dev) - starts.repeat_interleave(lens_t)
        slot_of = torch.tensor(slots, device=dev).repeat_interleave(lens_t)
        len_of = lens_t.repeat_interleave(lens_t)
        x = self.lm.model.embed_tokens(ids)
        cos, sin = self.cos[pos][None, :, None], self.sin[pos][None, :, None]
        masks: dict[Any, Any] = {}
        rings: dict[int, tuple[torch.Tensor, ...]] = {}  # per window: the rows kept, their slots and ring cells
        for i, layer in enumerate(self.layers):
            at = layer.self_attn
            h = self.norm(x, layer.input_layernorm.weight, self.eps)
            q, k, v = self._qkv(i, h)
            q = self.rope(q.reshape(1, total, self.n_heads, self.head_dim), cos, sin).transpose(1, 2)
            k = self.rope(k.reshape(1, total, self.n_kv, self.head_dim), cos, sin).transpose(1, 2)
            v = v.reshape(1, total, self.n_kv, self.head_dim).transpose(1, 2)
            window = self.kinds[i]
            kt, vt = k[0].transpose(0, 1), v[0].transpose(0, 1)  # [total, kv, D]
            if window:
                if window not in rings:  # only the last `window` positions of each prompt are ever read
                    keep = (pos >= len_of - window).nonzero()[:, 0]
                    rings[window] = (keep, slot_of[keep], pos[keep] % window)
                keep, slot, cell = rings[window]
                self.k_cache[i][slot, :, cell] = kt[keep]
                self.v_cache[i][slot, :, cell] = vt[keep]
            else:
                self.k_cache[i][slot_of, :, pos] = kt
                self.v_cache[i][slot_of, :, pos] = vt
            if self.flex_ok:
                if window not in masks:
                    masks[window] = _make_block_mask(doc, window, padded_length(total))
                o = flex_sink_attention(q, k, v, at.sinks, at.scaling, masks[window])
            else:
                o = eager_sink_attention(q, k, v, at.sinks, at.scaling, window, doc)
            x = x + at.o_proj(o.reshape(1, total, -1))
            h = self.norm(x, layer.post_attention_layernorm.weight, self.eps)
            x = x + self._moe(i, layer, h[0])[None]
        last = starts + lens_t - 1
        return self.lm.lm_head(self.norm(x[0, last], self.lm.model.norm.weight, self.eps)).float()

    def _run_step(self, b: int, length: int) -> torch.Tensor:
        if not self.use_graphs:
            return self._step(b, length)
        key = (b, length)
        if key not in self._graphs:
            try:
                self._graphs[key] = self._capture(b, length)
            except Exception as e:  # noqa: BLE001  (a kernel that cannot be captured: run eagerly from now on)
                log.warning("decode: CUDA graph capture failed (%s: %s); eager decoding", type(e).__name__, e)
                self.use_graphs = False
                return self._step(b, length)
        graph, out = self._graphs[key]
        graph.replay()
        return out

    def _capture(self, b: int, length: int) -> tuple[Any, torch.Tensor]:
        saved = (self.tokens.clone(), self.pos.clone())
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(2):
                self._step(b, length)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        if self._pool is None:
            self._pool = torch.cuda.graph_pool_handle()
        with torch.cuda.graph(graph, pool=self._pool):
            out = self._step(b, length)
        self.tokens.copy_(saved[0])
        self.pos.copy_(saved[1])
        return graph, out

    # ---- sampling ---------------------------------------------------------------------------------------------
    @staticmethod
    def _sample(logits: torch.Tensor, reqs: list[_Request]) -> list[int]:
        """One token per row: greedy at temperature 0, else temperature + nucleus sampling (Gumbel-max).

        Rows are sampled together with one host synchronisation per step: each sampled row draws its uniform noise
        from its own generator (so a seeded request repeats), everything else is batched. Drawing one row at a time
        with `multinomial` synchronised with the GPU once per row, 64 times a step for 64 episodes.
        """
        if all(r.temperature <= 0 for r in reqs):
            return logits.argmax(dim=-1).tolist()
        temps = torch.tensor([r.temperature if r.temperature > 0 else 1.0 for r in reqs], device=logits.device)
        scores = torch.log_softmax(logits.float() / temps[:, None], dim=-1)
        for row, r in enumerate(reqs):
            if r.temperature > 0 and r.top_p < 1.0:  # drop the tail beyond top_p (the best token always stays)
                sp, si = torch.sort(scores[row], descending=True)
                probs = sp.exp()
                cut = torch.cumsum(probs, 0) - probs > r.top_p
                scores[row] = scores[row].scatter(0, si[cut], float("-inf"))
        noise = torch.stack([torch.rand(logits.shape[-1], generator=r.generator, device=logits.device)
                             for r in reqs])
        gumbel = -torch.log(-torch.log(noise.clamp_min(1e-20)))
        greedy = torch.tensor([r.temperature <= 0 for r in reqs], device=logits.device)
        choice = torch.where(greedy[:, None], logits.float(), scores + gumbel).argmax(dim=-1)
        return choice.tolist()

    # ---- scheduling ------------------------------------------------------------------------------------------
    def _finished(self, r: _Request, tok: int, pos: int) -> bool:
        return tok in r.stop_ids or len(r.out) >= r.max_new_tokens or pos >= self.max_len - 1

    def _admit(self) -> None:
        """Move waiting requests into free slots: prefilled together, in groups of at most `prefill_tokens`."""
        with self._cv:
            free = self.max_batch - len(self._slots)
            batch, self._waiting = self._waiting[:free], self._waiting[free:]
        while batch:
            group, tokens = [], 0
            while batch and (not group or tokens + len(batch[0].prompt) <= self.prefill_tokens):
                tokens += len(batch[0].prompt)
                group.append(batch.pop(0))
            slots = list(range(len(self._slots), len(self._slots) + len(group)))
            try:
                logits = self._prefill_many(slots, [r.prompt for r in group])
                toks = self._sample(logits, group)
            except Exception as e:  # noqa: BLE001  (reported to the requests, never swallowed)
                for r in group:
                    r.error = e
                    r.done.set()
                continue
            for src, r, tok in zip(slots, group, toks):
                r.out.append(tok)
                if self._finished(r, tok, len(r.prompt)):
                    r.done.set()
                    continue
                slot = len(self._slots)
                if slot != src:  # an earlier request of the group finished at once: close the gap
                    self._move_slot(src, slot, len(r.prompt))
                self._slots.append(r)
                self._pos_host.append(len(r.prompt))
                self.tokens[slot] = tok
                self.pos[slot] = len(r.prompt)

    def _move_slot(self, src: int, dst: int, n: int) -> None:
        """Copy slot `src`'s cache (its first `n` positions; every ring cell of sliding layers) into slot `dst`."""
        for i, w in enumerate(self.kinds):
            span = slice(None) if w else slice(0, n)
            self.k_cache[i][dst, :, span] = self.k_cache[i][src, :, span]
            self.v_cache[i][dst, :, span] = self.v_cache[i][src, :, span]

    def _retire(self, slot: int) -> None:
        last = len(self._slots) - 1
        if slot != last:  # move the last active slot into the freed one so active slots stay 0..n-1
            self._move_slot(last, slot, self._pos_host[last])
            self._slots[slot] = self._slots[last]
            self._pos_host[slot] = self._pos_host[last]
            self.tokens[slot] = self.tokens[last]
            self.pos[slot] = self.pos[last]
        self._slots.pop()
        self._pos_host.pop()
        self.pos[last] = 0

    def step(self) -> None:
        """Admit waiting requests, run one decode step for every active slot, retire finished requests."""
        self._admit()
        n = len(self._slots)
        if n == 0:
            return
        b = min(_pow2(n, 1), self.max_batch)
        length = min(_pow2(max(self._pos_host) + 1, self.min_len_bucket), self.max_len)
        logits = self._run_step(b, length)[:n]
        toks = self._sample(logits, self._slots)
        self.steps += 1
        done = []
        for s, (r, t) in enumerate(zip(self._slots, toks)):
            r.out.append(t)
            self._pos_host[s] += 1
            if self._finished(r, t, self._pos_host[s]):
                done.append(s)
        self.tokens[:n] = torch.tensor(toks, device=self.device)
        self.pos[:n] += 1
        for s in sorted(done, reverse=True):
            r = self._slots[s]
            self._retire(s)
            r.done.set()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._waiting and not self._slots:
                    self._cv.wait()
            try:
                with torch.no_grad():
                    self.step()
            except Exception as e:  # fail every request in flight rather than hang their threads
                log.exception("decode step failed")
                with self._cv:
                    pending = self._slots + self._waiting
                    self._slots, self._pos_host, self._waiting = [], [], []
                for r in pending:
                    r.error = e
                    r.done.set()

    def generate(self, prompts: list[list[int]], max_new_tokens: int, temperature: float = 1.0, top_p: float = 1.0,
                 stop_ids: list[int] | tuple[int, ...] = (), seed: int | None = None) -> list[list[int]]:
        """New tokens for each prompt; thread-safe, continuously batched with every other caller's requests."""
        reqs = []
        for i, p in enumerate(prompts):
            gen = None
            if seed is not None and temperature > 0:
                gen = torch.Generator(device=self.device)
                gen.manual_seed(seed + i)
            reqs.append(_Request(list(p), max_new_tokens, temperature, top_p, frozenset(stop_ids), gen))
        with self._cv:
            self._waiting.extend(reqs)
            if self._worker is None:
                self._worker = threading.Thread(target=self._loop, name="wikigym-decode", daemon=True)
                self._worker.start()
            self._cv.notify_all()
        for r in reqs:
            r.done.wait()
            if r.error is not None:
                raise RuntimeError(f"generation failed: {r.error}") from r.error
        return [r.out for r in reqs]
