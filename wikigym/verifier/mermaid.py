"""Bridge to the real Mermaid parser: long-lived `node` workers running `mermaid/validate.mjs`, fed JSON lines.

Diagrams are validated by npm `mermaid@11`'s own `mermaid.parse()` (no browser, no DOM), because every lighter parser
we tried accepted broken diagrams or rejected valid ones. Workers start once per `MermaidValidator` (about 0.5 s) and
then answer batches; results are cached by the diagram text's hash, so K rollouts sharing a diagram parse it once.
`submit()` returns at once and `collect()` waits, so the other checks run while Node parses.

Where Node and the package come from: `node` on PATH (or `$WIKIGYM_NODE`), `node_modules` from `$WIKIGYM_NODE_MODULES`,
else the nearest `node_modules/mermaid` above this file or the working directory (install with `npm ci` at the repo
root). Unless `exact=True` (or WIKIGYM_MERMAID_EXACT=1), Node loads mermaid through `mermaid/memo_config_hooks.mjs`, which
memoizes mermaid's internal config copy (about 2.3x faster; verdicts unchanged, see the tests). When either is
missing, `available` is False and `error` says what to install; the mermaid check then reports
that as an error finding and scores 0, never a silent pass.

What it does not do: render diagrams (the HTML report inlines mermaid's browser build for that).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import select
import shutil
import subprocess
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("mermaid") / "validate.mjs"
INSTALL_HINT = "run `npm ci` in the wikigym checkout (or set WIKIGYM_NODE_MODULES to a node_modules with mermaid@11)"


@dataclass(frozen=True)
class ParseResult:
    ok: bool
    type: str = ""
    error: str = ""


def find_node_modules(start: Path | None = None) -> Path | None:
    """The node_modules directory holding `mermaid`: `$WIKIGYM_NODE_MODULES`, else the nearest one upwards."""
    env = os.environ.get("WIKIGYM_NODE_MODULES")
    if env:
        p = Path(env).expanduser()
        return p if (p / "mermaid" / "package.json").is_file() else None
    for base in [Path(__file__).resolve().parent, (start or Path.cwd()).resolve()]:
        for d in [base, *base.parents]:
            if (d / "node_modules" / "mermaid" / "package.json").is_file():
                return d / "node_modules"
    return None


class _Worker:
    def __init__(self, node: str, node_modules: Path, timeout_s: float, exact: bool = False):
        env = {**os.environ, "WIKIGYM_MERMAID_EXACT": "1"} if exact else None
        self.proc = subprocess.Popen([node, str(SCRIPT), str(node_modules)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0, env=env)
        self.buf = b""
        self.timeout_s = timeout_s
        hello = self.read_line(timeout_s=30.0)
        if hello is None:
            self.close()
            raise RuntimeError("the mermaid validator did not start within 30 s")
        msg = json.loads(hello)
        self.version = msg.get("version", "")
        self.config_memo = bool(msg.get("configMemo"))
        if not msg.get("ready"):
            self.close()
            raise RuntimeError(msg.get("error", "mermaid failed to load"))

    def send(self, req_id: int, codes: list[str]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"id": req_id, "codes": codes}) + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def read_line(self, timeout_s: float | None = None) -> str | None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + (timeout_s if timeout_s is not None else self.timeout_s)
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("utf-8")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class MermaidValidator:
    """Validate Mermaid diagrams through `workers` long-lived Node processes (started lazily, once).

    >>> v = MermaidValidator()
    >>> if v.available:
    ...     [r.ok for r in v.validate(["graph TD\\n  A --> B", "graph TD\\n  A[x --> B"])]
    ... else:
    ...     [True, False]
    [True, False]
    """

    def __init__(self, workers: int | None = None, timeout_s: float = 60.0, cache_size: int = 200_000,
                 exact: bool = False):
        """`exact=True` runs mermaid unmodified (no config memo; ~2.3x slower, same verdicts)."""
        self.exact = exact or os.environ.get("WIKIGYM_MERMAID_EXACT") == "1"
        self.config_memo = False
        self.n_workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        self.timeout_s = timeout_s
        self.cache: OrderedDict[str, ParseResult] = OrderedDict()
        self.cache_size = cache_size
        self._workers: list[_Worker] = []
        self._next_id = 0
        self._error: str | None = None
        self._started = False
        self.version = ""
        self.parsed_count = 0
        self.cache_hits = 0

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        node = os.environ.get("WIKIGYM_NODE") or shutil.which("node")
        if not node:
            self._error = f"Node.js is not installed (no `node` on PATH); install Node >= 18, then {INSTALL_HINT}"
            return
        nm = find_node_modules()
        if nm is None:
            self._error = f"the npm package `mermaid` was not found; {INSTALL_HINT}"
            return
        try:
            for _ in range(self.n_workers):
                self._workers.append(_Worker(node, nm, self.timeout_s, self.exact))
        except (RuntimeError, OSError, ValueError) as e:
            self.close()
            self._error = f"the mermaid validator could not start: {e}; {INSTALL_HINT}"
            return
        self.version = self._workers[0].version
        self.config_memo = self._workers[0].config_memo
        self._node, self._nm = node, nm
        atexit.register(self.close)

    @property
    def available(self) -> bool:
        self._start()
        return self._error is None

    @property
    def error(self) -> str | None:
        self._start()
        return self._error

    def close(self) -> None:
        for w in self._workers:
            w.close()
        self._workers = []

    # -- validation ------------------------------------------------------------------------------------------------
    @staticmethod
    def key(code: str) -> str:
        return hashlib.sha1(code.encode("utf-8", "surrogatepass")).hexdigest()

    def submit(self, codes: list[str]) -> _Pending:
        """Send the uncached diagrams to the workers now; `collect()` the results later."""
        self._start()
        keys = [self.key(c) for c in codes]
        todo: dict[str, str] = {}
        for k, c in zip(keys, codes):
            if k in self.cache:
                self.cache_hits += 1
                self.cache.move_to_end(k)
            elif k not in todo:
                todo[k] = c
        sent: list[tuple[_Worker, int, list[str]]] = []
        if todo and not self._error:
            items = list(todo.items())
            n = min(len(self._workers), len(items))
            per = -(-len(items) // n)
            for i in range(n):
                part = items[i * per:(i + 1) * per]
                if not part:
                    continue
                w = self._workers[i]
                self._next_id += 1
                try:
                    w.send(self._next_id, [c for _, c in part])
                except OSError:
                    self._restart(i)
                    w = self._workers[i]
                    w.send(self._next_id, [c for _, c in part])
                sent.append((w, self._next_id, [k for k, _ in part]))
        return _Pending(self, keys, sent)

    def _restart(self, i: int) -> None:
        try:
            self._workers[i].proc.kill()
        except OSError:
            pass
        self._workers[i] = _Worker(self._node, self._nm, self.timeout_s, self.exact)

    def _store(self, k: str, r: ParseResult) -> None:
        self.cache[k] = r
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    def validate(self, codes: list[str]) -> list[ParseResult]:
        return self.submit(codes).collect()


class _Pending:
    def __init__(self, owner: MermaidValidator, keys: list[str], sent: list[tuple[_Worker, int, list[str]]]):
        self.owner, self.keys, self.sent = owner, keys, sent

    def collect(self) -> list[ParseResult]:
        owner = self.owner
        for w, req_id, keys in self.sent:
            line = w.read_line()
            results = None
            if line is not None:
                msg = json.loads(line)
                if msg.get("id") == req_id:
                    results = msg.get("results")
            if results is None or len(results) != len(keys):
                # A hung or crashed worker: record the diagrams as unvalidated errors and start a fresh worker.
                why = "the mermaid validator timed out or crashed on this batch"
                for k in keys:
                    owner.cache.pop(k, None)
                idx = owner._workers.index(w)
                owner._restart(idx)
                self._fallback = {k: ParseResult(False, "", why) for k in keys}
                continue
            for k, r in zip(keys, results):
                owner.parsed_count += 1
                owner._store(k, ParseResult(bool(r.get("ok")), r.get("type", "") or "", r.get("error", "") or ""))
        self.sent = []
        fallback = getattr(self, "_fallback", {})
        if owner._error:
            return [ParseResult(False, "", owner._error) for _ in self.keys]
        return [owner.cache.get(k) or fallback.get(k) or ParseResult(False, "", "not validated") for k in self.keys]
