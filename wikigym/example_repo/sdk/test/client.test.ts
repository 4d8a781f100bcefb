import { describe, expect, it } from 'vitest';

import { InventoryClient } from '../src/client';
import { ApiError } from '../src/types';

function fakeFetch(responses: Array<{ status: number; body: unknown }>): typeof fetch {
  let call = 0;
  return (async () => {
    const next = responses[Math.min(call, responses.length - 1)];
    call += 1;
    return new Response(JSON.stringify(next.body), { status: next.status });
  }) as typeof fetch;
}

describe('InventoryClient', () => {
  it('lists items', async () => {
    const client = new InventoryClient({
      baseUrl: 'http://inventory.test/',
      fetchImpl: fakeFetch([{ status: 200, body: [{ sku: 'MUG-0001' }] }]),
    });
    const items = await client.listItems();
    expect(items[0].sku).toBe('MUG-0001');
  });

  it('retries server errors', async () => {
    const client = new InventoryClient({
      baseUrl: 'http://inventory.test',
      fetchImpl: fakeFetch([
        { status: 503, body: { error: 'busy' } },
        { status: 200, body: { status: 'ok' } },
      ]),
    });
    await expect(client.health()).resolves.toBe(true);
  });

  it('does not retry conflicts', async () => {
    const client = new InventoryClient({
      baseUrl: 'http://inventory.test',
      fetchImpl: fakeFetch([{ status: 409, body: { error: 'MUG-0001: requested 9, only 4 available' } }]),
    });
    await expect(client.reserve('MUG-0001', 9, 'o-1')).rejects.toBeInstanceOf(ApiError);
  });
});
