"""Shared machinery of the API policies: retries with backoff, a request limiter, cost metering and prices.

- `retry_call` retries a request on rate limits (429), overload (529), server errors (5xx), timeouts and dropped
  connections with exponential backoff and jitter, honouring `retry-after`; anything else raises at once.
- `RequestLimiter` caps concurrent requests across all episodes of a run (one per run, shared by its policies).
- `CostMeter` adds up dollars across episodes; the recorder stops starting turns once it passes `--max-cost`.
- `PRICES` holds list prices per million tokens for the models a teacher is likely to be; `price_for` finds one by
  model-name prefix, and `cost_usd` applies Anthropic's cache multipliers (write 1.25x, read 0.1x of input).

What it deliberately does not do: import any SDK (each policy module imports its own, lazily).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from wikigym.errors import ConfigError

T = TypeVar("T")

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 529}


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cache_write: float | None = None  # default 1.25 x input
    cache_read: float | None = None  # default 0.1 x input


# Longest prefix wins. List prices (USD / MTok) as published for these models.
PRICES: dict[str, Price] = {
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4": Price(15.0, 75.0),
    "claude-3-opus": Price(15.0, 75.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-sonnet-5": Price(3.0, 15.0),
    "claude-3-7-sonnet": Price(3.0, 15.0),
    "claude-3-5-sonnet": Price(3.0, 15.0),
    "claude-haiku-4-5": Price(1.0, 5.0),
    "claude-3-5-haiku": Price(0.8, 4.0),
    "claude-3-haiku": Price(0.25, 1.25),
}


def price_for(model: str | None, override: tuple[float, float] | None = None) -> Price | None:
    """The price of `model` (or the explicit `override` (input, output)); None when unknown."""
    if override is not None:
        return Price(float(override[0]), float(override[1]))
    if not model:
        return None
    best = max((p for p in PRICES if model.startswith(p)), key=len, default=None)
    return PRICES[best] if best else None


def cost_usd(price: Price | None, input_tokens: int, output_tokens: int, cache_read: int = 0,
             cache_write: int = 0) -> float:
    """Dollar cost of one response (0.0 when the price is unknown)."""
    if price is None:
        return 0.0
    cw = price.cache_write if price.cache_write is not None else price.input * 1.25
    cr = price.cache_read if price.cache_read is not None else price.input * 0.1
    return (input_tokens * price.input + output_tokens * price.output + cache_write * cw + cache_read * cr) / 1e6


class RequestLimiter:
    """At most `limit` requests in flight at once (a run shares one across its episodes)."""

    def __init__(self, limit: int = 4):
        if limit < 1:
            raise ConfigError(f"request concurrency must be at least 1, got {limit}")
        self.limit = limit
        self._sem = threading.BoundedSemaphore(limit)

    def __enter__(self) -> RequestLimiter:
        self._sem.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sem.release()


class CostMeter:
    """Thread-safe running total of dollars and tokens; `exceeded` once the total reaches `max_cost`."""

    def __init__(self, max_cost: float | None = None):
        self.max_cost = max_cost
        self.total = 0.0
        self.input_tokens = 0
        self.output_tokens = 0
        self._lock = threading.Lock()

    def add(self, cost: float, input_tokens: int = 0, output_tokens: int = 0) -> float:
        with self._lock:
            self.total += cost
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            return self.total

    def exceeded(self) -> bool:
        return self.max_cost is not None and self.total >= self.max_cost


@dataclass
class RetryPolicy:
    """How often and how long to retry a failed request."""

    max_retries: int = 8
    base_delay: float = 1.0
    max_delay: float = 60.0


def retry_call(fn: Callable[[], T], classify: Callable[[BaseException], tuple[bool, float | None]],
               retry: RetryPolicy, on_retry: Callable[[int, BaseException, float], None] | None = None,
               sleep: Callable[[float], None] = time.sleep) -> T:
    """Call `fn`, retrying while `classify(exc)` says (retryable, retry_after_seconds).

    The delay is `retry-after` when the server gave one, else base * 2^attempt with full jitter, capped at max_delay.
    """
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:  # the SDK's error types vary; classify decides
            retryable, after = classify(exc)
            if not retryable or attempt >= retry.max_retries:
                raise
            delay = after if after is not None else random.uniform(0, min(retry.max_delay,
                                                                          retry.base_delay * 2 ** attempt))
            delay = min(max(delay, 0.0), retry.max_delay)
            if on_retry is not None:
                on_retry(attempt + 1, exc, delay)
            sleep(delay)
            attempt += 1


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from a `retry-after` (or `retry-after-ms`) header, if any."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return float(ms) / 1000.0
        value = headers.get("retry-after")
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def classify_sdk_error(sdk: Any, exc: BaseException, bad_key: str, bad_model: str) -> tuple[bool, float | None]:
    """(retryable, retry-after seconds) of an `anthropic`/`openai` SDK exception; both SDKs share these classes.

    A rejected key (401/403) or an unknown model (404) is the user's configuration, never worth a retry: it becomes a
    `ConfigError` with the caller's message, so the run stops with one line.
    """
    if isinstance(exc, (sdk.APITimeoutError, sdk.APIConnectionError)):
        return True, None
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            raise ConfigError(bad_key.format(status=status)) from None
        if status == 404:
            raise ConfigError(bad_model) from None
        return status in RETRYABLE_STATUS, retry_after_seconds(getattr(exc.response, "headers", None))
    return False, None
