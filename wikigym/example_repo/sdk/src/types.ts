/**
 * Shapes of the inventory HTTP API, mirrored from `inventory/models.py`.
 */

/** A product kept in stock. `available` is `quantity - reserved`. */
export interface Item {
  sku: string;
  name: string;
  quantity: number;
  reserved: number;
  available: number;
  unit_price_cents: number;
  tags: string[];
}

/** Fields accepted when creating an item. */
export type NewItem = Pick<Item, 'sku' | 'name'> & Partial<Pick<Item, 'quantity' | 'unit_price_cents' | 'tags'>>;

/** Units of one item held for an order. */
export interface Reservation {
  sku: string;
  quantity: number;
  order_id: string;
  created_at: string;
}

/** Options for {@link InventoryClient}. */
export interface ClientOptions {
  /** Base URL of the service, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
  /** How many times a failed request is retried. */
  retries?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  fetchImpl?: typeof fetch;
}

/** An error response from the API. */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly body?: unknown,
  ) {
    super(`HTTP ${status}: ${message}`);
    this.name = 'ApiError';
  }

  /** Server errors and rate limits are worth retrying; client errors are not. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }
}
