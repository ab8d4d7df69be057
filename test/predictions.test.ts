// Predictions (SPEC §8): shown beside the truth while a mutation is pending, stacked, rebased, and ended honestly.
import { describe, expect, it, vi } from 'vitest';
import {
  type CollectionData,
  type Directive,
  definePredictions,
  type Predictions,
  type Registry,
  type RegistryOptions,
  VerityError,
} from '../src/index';
import { withFakeClock } from './support/clock';
import { type Deferred, deferred } from './support/deferred';
import { recordLifecycle } from './support/lifecycle';
import { makeRegistry } from './support/registry';
import { type AddToCart, addToCart } from './support/shop-graph';

/** The server's state: cart lines and stock. The fetchers read it, the test's "handler" writes it. */
interface Shop {
  lines: { productId: string; quantity: number }[];
  stock: Record<string, number>;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

let shop: Shop;
let requests: Deferred<Response>[];

function start(options: RegistryOptions = {}): Registry {
  shop = { lines: [], stock: { p1: 5, p2: 5 } };
  requests = [];
  const registry = makeRegistry({
    ...options,
    fetch: () => {
      const response = deferred<Response>();
      requests.push(response);
      return response.promise;
    },
  });
  registry.createCollection('cart', {
    fetch: async () => ({
      ids: shop.lines.map((_, index) => `line-${index}`),
      count: shop.lines.reduce((total, line) => total + line.quantity, 0),
    }),
  });
  registry.createType('product', { fetch: async (id) => ({ id, stock: shop.stock[id] }) });
  return registry;
}

/** The handler's effect, applied when the test says the server processed the request. */
function commit(input: AddToCart): Directive[] {
  shop.lines.push({ productId: input.productId, quantity: input.quantity });
  shop.stock[input.productId] = (shop.stock[input.productId] ?? 0) - input.quantity;
  return [
    { op: 'refresh_collection', name: 'cart' },
    { op: 'refresh_item', name: 'product', id: input.productId },
  ];
}

function post(registry: Registry, input: AddToCart, predict: Predictions<string, AddToCart> = addToCart) {
  return registry.mutate<{ ok: boolean }, AddToCart>(
    '/api/cart',
    { method: 'POST', body: JSON.stringify(input) },
    { predict, input },
  );
}

/** Lets the directive window close and the refetches it caused answer. */
const settleWindow = () => vi.advanceTimersByTimeAsync(100);

withFakeClock();

describe('while a mutation is pending', () => {
  it('each cached entry of a predicted name shows the prediction beside unchanged truth', async () => {
    const registry = start();
    const cart = registry.fetchCollection('cart');
    const product = registry.fetchItem('product', 'p1');
    await settleWindow();
    const truth = cart.data;

    const done = post(registry, { productId: 'p1', quantity: 2 });
    expect(cart.data).toBe(truth);
    expect(cart.predicted).toEqual({ ids: [], meta: null, count: 2 });
    expect(cart.meta.isPredicted).toBe(true);
    expect(cart.getSnapshot().predicted).toEqual(cart.predicted);
    // 'await-truth' names show the truth only.
    expect(product.predicted).toBeUndefined();
    expect(product.meta.isPredicted).toBe(false);

    requests[0]!.resolve(json({ ok: true, directives: commit({ productId: 'p1', quantity: 2 }) }));
    await settleWindow();
    await expect(done).resolves.toEqual({ ok: true, directives: expect.any(Array) });
    expect(cart.data.count).toBe(2);
    expect(cart.predicted).toBeUndefined();
    expect(cart.meta.isPredicted).toBe(false);
  });

  it('entries that are not cached are not created', async () => {
    const registry = start();
    const done = post(registry, { productId: 'p1', quantity: 1 });
    expect(registry.state().collections.cart).toEqual({ entries: 0, inFlight: 0 });
    requests[0]!.resolve(json({ ok: true }));
    await done;
    expect(registry.state().collections.cart).toEqual({ entries: 0, inFlight: 0 });
  });

  it('an entry read while the mutation is pending shows the prediction too', async () => {
    const registry = start();
    const done = post(registry, { productId: 'p1', quantity: 3 });
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    expect(cart.data.count).toBe(0);
    expect(cart.predicted?.count).toBe(3);
    requests[0]!.resolve(json({ ok: true }));
    await done;
  });

  it('subscribers hear the prediction start and end', async () => {
    const registry = start();
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const seen: (number | undefined)[] = [];
    cart.subscribe(() => seen.push(cart.predicted?.count));
    const done = post(registry, { productId: 'p1', quantity: 2 });
    requests[0]!.resolve(json({ ok: true, directives: commit({ productId: 'p1', quantity: 2 }) }));
    await settleWindow();
    await done;
    // Start (a prediction), then the refetch and the end show the truth only: never the guess applied twice.
    expect(seen[0]).toBe(2);
    expect(seen.at(-1)).toBeUndefined();
    expect(seen.filter((count) => count !== undefined && count !== 2)).toEqual([]);
  });

  it('items of a predicted type: every cached id gets the transform, which decides what changes', async () => {
    const registry = start();
    const p1 = registry.fetchItem('product', 'p1');
    const p2 = registry.fetchItem('product', 'p2');
    await settleWindow();
    const stock = definePredictions<'product', AddToCart, { product: { id: string; stock: number } }>({
      product: (current, input) =>
        current && current.id === input.productId
          ? { ...current, stock: current.stock - input.quantity }
          : current!,
    });
    const done = post(registry, { productId: 'p1', quantity: 2 }, stock);
    expect(p1.predicted).toEqual({ id: 'p1', stock: 3 });
    expect(p1.data).toEqual({ id: 'p1', stock: 5 });
    expect(p2.predicted).toEqual({ id: 'p2', stock: 5 });
    requests[0]!.resolve(json({ ok: true, directives: commit({ productId: 'p1', quantity: 2 }) }));
    await settleWindow();
    await done;
    expect([p1.data, p1.predicted, p2.predicted]).toEqual([{ id: 'p1', stock: 3 }, undefined, undefined]);
  });
});

describe('stacking and rebase', () => {
  it('pending mutations stack in the order they started', async () => {
    const registry = start();
    const appended = (label: string) =>
      definePredictions<'cart', AddToCart, { cart: CollectionData }>({
        cart: (current, input) => ({
          ids: [...(current?.ids ?? []), label],
          meta: null,
          count: (current?.count ?? 0) + input.quantity,
        }),
      });
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const first = post(registry, { productId: 'p1', quantity: 1 }, appended('first'));
    const second = post(registry, { productId: 'p2', quantity: 2 }, appended('second'));
    expect(cart.predicted).toEqual({ ids: ['first', 'second'], meta: null, count: 3 });

    // The second answers first; the first's guess is still shown over the new truth.
    requests[1]!.resolve(json({ ok: true, directives: commit({ productId: 'p2', quantity: 2 }) }));
    await settleWindow();
    await second;
    expect(cart.data).toEqual({ ids: ['line-0'], count: 2, meta: null });
    expect(cart.predicted).toEqual({ ids: ['line-0', 'first'], meta: null, count: 3 });

    requests[0]!.resolve(json({ ok: true, directives: commit({ productId: 'p1', quantity: 1 }) }));
    await settleWindow();
    await first;
    expect(cart.data.count).toBe(3);
    expect(cart.predicted).toBeUndefined();
  });

  it('new truth from anywhere rebases a pending prediction over it', async () => {
    const registry = start();
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const done = post(registry, { productId: 'p1', quantity: 2 });
    expect(cart.predicted?.count).toBe(2);
    // Another tab added 5, and the stream says so.
    shop.lines.push({ productId: 'p2', quantity: 5 });
    const applied = registry.applyDirectives([{ op: 'refresh_collection', name: 'cart' }]);
    await settleWindow();
    await applied;
    expect(cart.data.count).toBe(5);
    expect(cart.predicted?.count).toBe(7);
    requests[0]!.resolve(json({ ok: true }));
    await done;
  });
});

describe('how a prediction ends', () => {
  it('prediction:confirm when the truth deep-equals the guess', async () => {
    const registry = start();
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const log = recordLifecycle(registry, ['prediction:confirm', 'prediction:correct', 'prediction:drop']);
    expect(cart.data.count).toBe(0);
    const exact = definePredictions<'cart', AddToCart, { cart: CollectionData }>({
      cart: (current, input) => ({
        ids: [...(current?.ids ?? []), `line-${current?.ids.length ?? 0}`],
        count: (current?.count ?? 0) + input.quantity,
        meta: null,
      }),
    });
    const done = post(registry, { productId: 'p1', quantity: 2 }, exact);
    requests[0]!.resolve(json({ ok: true, directives: commit({ productId: 'p1', quantity: 2 }) }));
    await settleWindow();
    await done;
    expect(log.events.map((event) => [event.event, event.detail])).toEqual([
      [
        'prediction:confirm',
        {
          mutation: 1,
          name: 'cart',
          params: null,
          paramsKey: '{}',
          predicted: { ids: ['line-0'], count: 2, meta: null },
        },
      ],
    ]);
  });

  it('prediction:correct, with both values, when it does not', async () => {
    const registry = start();
    registry.fetchCollection('cart');
    await settleWindow();
    const log = recordLifecycle(registry, ['prediction:confirm', 'prediction:correct', 'prediction:drop']);
    const done = post(registry, { productId: 'p1', quantity: 2 });
    // The server caps quantities at 1.
    requests[0]!.resolve(json({ ok: true, directives: commit({ productId: 'p1', quantity: 1 }) }));
    await settleWindow();
    await done;
    expect(log.names()).toEqual(['prediction:correct']);
    expect(log.events[0]!.detail).toMatchObject({
      name: 'cart',
      predicted: { ids: [], meta: null, count: 2 },
      truth: { ids: ['line-0'], meta: null, count: 1 },
    });
  });

  it('prediction:drop, with the reason, when the mutation fails; directives it carried still apply', async () => {
    const registry = start();
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const log = recordLifecycle(registry, ['prediction:confirm', 'prediction:correct', 'prediction:drop']);
    const done = post(registry, { productId: 'p1', quantity: 9 }).catch((error: unknown) => error);
    requests[0]!.resolve(
      json({ error: 'out of stock', directives: [{ op: 'refresh_item', name: 'product', id: 'p1' }] }, 409),
    );
    await settleWindow();
    expect(await done).toMatchObject({ code: 'HTTP_ERROR', status: 409 });
    expect(log.names()).toEqual(['prediction:drop']);
    expect(log.events[0]!.detail).toMatchObject({
      name: 'cart',
      predicted: { count: 9 },
      reason: 'Mutation failed with HTTP 409.',
      error: expect.any(VerityError),
    });
    expect(cart.predicted).toBeUndefined();
    expect(cart.meta.isPredicted).toBe(false);
    expect(cart.data.count).toBe(0);
  });

  it('a network failure drops it too', async () => {
    const registry = start();
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const done = post(registry, { productId: 'p1', quantity: 1 });
    requests[0]!.reject(new TypeError('Failed to fetch'));
    await expect(done).rejects.toThrow('Failed to fetch');
    expect(cart.predicted).toBeUndefined();
  });
});

describe('guards', () => {
  it('a transform that edits current in place never reaches data', async () => {
    const registry = start();
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const vandal = definePredictions<'cart', AddToCart, { cart: { count: number } }>({
      cart: (current, input) => {
        (current as { count: number }).count += input.quantity;
        return current as { count: number };
      },
    });
    const before = structuredClone(cart.data);
    const done = post(registry, { productId: 'p1', quantity: 4 }, vandal);
    expect(cart.predicted?.count).toBe(4);
    expect(cart.data).toEqual(before);
    requests[0]!.resolve(json({ ok: true }));
    await done;
  });

  it('a transform that throws shows the truth only, with a warning', async () => {
    const registry = start({ logging: { level: 'warn' } });
    const cart = registry.fetchCollection('cart');
    await settleWindow();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const broken = definePredictions<'cart', AddToCart>({
      cart: () => {
        throw new Error('boom');
      },
    });
    const done = post(registry, { productId: 'p1', quantity: 1 }, broken);
    expect(cart.predicted).toBeUndefined();
    expect(cart.meta.isPredicted).toBe(false);
    expect(warn).toHaveBeenCalledWith(
      "[Verity] A prediction for 'cart' threw; showing truth only.",
      expect.any(Error),
    );
    requests[0]!.resolve(json({ ok: true }));
    await done;
    warn.mockRestore();
  });

  it('predict must come from definePredictions', async () => {
    const registry = start();
    const forged = { names: ['cart'], transforms: { cart: () => 1 } } as unknown as Predictions<
      string,
      AddToCart
    >;
    await expect(post(registry, { productId: 'p1', quantity: 1 }, forged)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(requests).toHaveLength(0);
  });

  it('definePredictions refuses values that are neither a transform nor await-truth', () => {
    expect(() => definePredictions<'cart', AddToCart>({ cart: 'await-fragment' as 'await-truth' })).toThrow(
      "'cart' must be a transform (current, input) => next or 'await-truth'",
    );
    expect(() => definePredictions<'cart', AddToCart>(null as never)).toThrow(VerityError);
  });
});
