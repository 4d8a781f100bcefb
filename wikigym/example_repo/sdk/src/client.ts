/**
 * Typed client for the inventory HTTP API.
 *
 * Every call goes through {@link InventoryClient.request}, which adds the timeout,
 * decodes JSON and turns error responses into {@link ApiError}.
 */

import { DEFAULT_RETRY, withRetry } from './retry';
import { ApiError, ClientOptions, Item, NewItem, Reservation } from './types';

export class InventoryClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? DEFAULT_RETRY.retries;
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  /** All items, or only those at or below the low-stock threshold. */
  async listItems(lowStockOnly = false): Promise<Item[]> {
    return this.request<Item[]>('GET', lowStockOnly ? '/items?low_stock=1' : '/items');
  }

  async getItem(sku: string): Promise<Item> {
    return this.request<Item>('GET', `/items/${encodeURIComponent(sku)}`);
  }

  async createItem(item: NewItem): Promise<Item> {
    return this.request<Item>('POST', '/items', item);
  }

  /** Hold units for an order. Fails with status 409 when stock is short. */
  async reserve(sku: string, quantity: number, orderId: string): Promise<Reservation> {
    return this.request<Reservation>('POST', `/items/${encodeURIComponent(sku)}/reserve`, {
      quantity,
      order_id: orderId,
    });
  }

  async restock(sku: string, quantity: number): Promise<Item> {
    return this.request<Item>('POST', `/items/${encodeURIComponent(sku)}/restock`, { quantity });
  }

  async health(): Promise<boolean> {
    const body = await this.request<{ status: string }>('GET', '/health');
    return body.status === 'ok';
  }

  /** Send one request with timeout and retries; POSTs are retried too because the API rejects duplicates. */
  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const options = { ...DEFAULT_RETRY, retries: this.retries };
    return withRetry(async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      try {
        const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
          method,
          headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });
        const payload = await response.json();
        if (!response.ok) {
          throw new ApiError(response.status, payload?.error ?? response.statusText, payload);
        }
        return payload as T;
      } finally {
        clearTimeout(timer);
      }
    }, options);
  }
}
