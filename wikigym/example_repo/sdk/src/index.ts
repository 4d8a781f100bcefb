export { InventoryClient } from './client';
export { withRetry, backoffDelay, isRetryable, DEFAULT_RETRY } from './retry';
export type { RetryOptions } from './retry';
export { ApiError } from './types';
export type { ClientOptions, Item, NewItem, Reservation } from './types';
