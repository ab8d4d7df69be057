// Declared touches and predictions end to end, over real HTTP and SSE: the server derives, the client predicts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleEvent, Registry } from '../src/index';
import {
  createDirectiveHub,
  type DirectiveHub,
  readClientId,
  respondWithDirectives,
} from '../src/server/index';
import { type Deferred, deferred } from './support/deferred';
import { recordLifecycle } from './support/lifecycle';
import { makeRegistry } from './support/registry';
import { type AddToCart, addToCart, shopGraph } from './support/shop-graph';
import { waitUntil } from './support/sse-test-server';

/** A shop on 127.0.0.1 whose only directives are the ones its graph derives. */
class Shop {
  readonly hub: DirectiveHub = createDirectiveHub({ heartbeatMs: 0 });
  readonly graph = shopGraph();
  readonly lines: AddToCart[] = [];
  readonly stock: Record<string, number> = { p1: 5, p2: 5 };
  /** Holds the next POST before it commits, so a test can look at the pending mutation. */
  gate: Deferred<void> | null = null;
  readonly #server = http.createServer((req, res) => void this.#route(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await this.hub.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://shop').pathname;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/api/cart' && req.method === 'GET') {
      return json(200, { ids: this.lines.map((_, i) => `line-${i}`), count: this.count() });
    }
    const product = /^\/api\/products\/(\w+)$/.exec(path);
    if (product && req.method === 'GET') return json(200, { id: product[1], stock: this.stock[product[1]!] });
    if (path === '/api/cart' && req.method === 'POST') {
      let text = '';
      for await (const chunk of req) text += chunk;
      const input = JSON.parse(text) as AddToCart;
      await this.gate?.promise;
      this.lines.push(input);
      this.stock[input.productId] = (this.stock[input.productId] ?? 0) - input.quantity;
      // No hand-written directive: the graph says what cart/add invalidates for this input.
      await this.hub.emitWrite(this.graph, 'cart/add', input, { source: readClientId(req) ?? undefined });
      return json(200, respondWithDirectives({ ok: true }, this.graph.directivesFor('cart/add', input)));
    }
    await this.hub.nodeHandler(req, res);
  }

  count(): number {
    return this.lines.reduce((total, line) => total + line.quantity, 0);
  }
}

function client(base: string, clientId: string): { registry: Registry; events: LifecycleEvent[] } {
  const registry = makeRegistry({
    clientId,
    fetch: globalThis.fetch,
    bulk: { delayMs: 10 },
    sse: { enabled: true, EventSource, url: `${base}/events`, initialRetryMs: 20 },
  });
  const get = async (path: string) => (await fetch(`${base}${path}`)).json();
  registry.createCollection('cart', { fetch: () => get('/api/cart') });
  registry.createType('product', { fetch: (id) => get(`/api/products/${id}`) });
  return { registry, events: recordLifecycle(registry).events };
}

const settled = (registry: Registry, label: string) =>
  waitUntil(() => !registry.hasAnyInFlightRequests() && !registry.state().bulk.pending, label);

describe('touches → directives → predictions, over the wire', () => {
  let shop: Shop;

  afterEach(async () => {
    await shop.close();
  });

  it('the mutating tab shows its guess until the truth settles; another tab gets the derived directives', async () => {
    shop = new Shop();
    const base = await shop.start();
    const a = client(base, 'tab-a');
    const b = client(base, 'tab-b');
    const cartA = a.registry.fetchCollection('cart');
    const cartB = b.registry.fetchCollection('cart');
    const productB = b.registry.fetchItem('product', 'p1');
    await waitUntil(() => a.events.some((e) => e.event === 'sse:hello'), 'tab a connected');
    await waitUntil(() => b.events.some((e) => e.event === 'sse:hello'), 'tab b connected');
    await settled(a.registry, 'tab a loaded');
    await settled(b.registry, 'tab b loaded');

    shop.gate = deferred<void>();
    const input = { productId: 'p1', quantity: 2 };
    const done = a.registry.mutate(
      `${base}/api/cart`,
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(input) },
      { predict: addToCart, input },
    );
    expect([cartA.data.count, cartA.predicted?.count, cartA.meta.isPredicted]).toEqual([0, 2, true]);
    shop.gate.resolve();
    await expect(done).resolves.toMatchObject({
      ok: true,
      directives: [
        { op: 'refresh_collection', name: 'cart' },
        { op: 'refresh_collection', name: 'products' },
        { op: 'refresh_item', name: 'product', id: 'p1' },
      ],
    });
    expect([cartA.data.count, cartA.predicted, cartA.meta.isPredicted]).toEqual([2, undefined, false]);
    // The transform predicts the count, not the new line's id: the truth corrects it, and says so.
    expect(a.events.filter((e) => e.event.startsWith('prediction:')).map((e) => e.event)).toEqual([
      'prediction:correct',
    ]);

    await waitUntil(
      () => cartB.data.count === 2 && (productB.data as { stock?: number }).stock === 3,
      'tab b',
    );
    // The envelope tab b got is the derived list, and tab a skipped its own echo.
    const messages = (registry: { events: LifecycleEvent[] }) =>
      registry.events.filter((e) => e.event === 'sse:message').map((e) => e.detail.source);
    expect(messages(b)).toEqual(['tab-a']);
  });
});
