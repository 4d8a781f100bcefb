/**
 * Retry with exponential backoff and jitter, used by the client for transient failures.
 */

import { ApiError } from './types';

export interface RetryOptions {
  /** Attempts after the first one. */
  retries: number;
  /** Delay before the first retry, in milliseconds. */
  baseDelayMs: number;
  /** Upper bound for any single delay. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 3, baseDelayMs: 100, maxDelayMs: 2000 };

/** Resolve after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Network errors and retryable API errors are transient. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ApiError) {
    return error.retryable;
  }
  return error instanceof TypeError; // fetch rejects with TypeError on network failure
}

/** Delay before retry number `attempt` (0-based): exponential, capped, with up to 20% jitter. */
export function backoffDelay(attempt: number, options: RetryOptions = DEFAULT_RETRY): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.round(exponential * (0.8 + Math.random() * 0.2));
}

/**
 * Run `fn`, retrying transient failures up to `options.retries` times.
 * Non-retryable errors are rethrown immediately.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  let attempt = 0;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.retries || !isRetryable(error)) {
        throw error;
      }
      await sleep(backoffDelay(attempt, options));
      attempt += 1;
    }
  }
}
