// Never a guess as truth (SPEC §8): under any interleaving, `data` holds only delivered values and guesses end.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type CollectionData, type Directive, definePredictions } from '../src/index';
import { withFakeClock } from './support/clock';
import { makeRegistry } from './support/registry';

const WINDOW_MS = 50;

type Op =
  | { kind: 'mutate'; outcome: 'ok' | 'http-error' | 'network-error'; result: boolean }
  | { kind: 'directive'; result: boolean }
  | { kind: 'envelope'; result: boolean }
  | { kind: 'read' }
  | { kind: 'tick' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('mutate' as const),
    outcome: fc.constantFrom('ok' as const, 'http-error' as const, 'network-error' as const),
    result: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('directive' as const), result: fc.boolean() }),
  fc.record({ kind: fc.constant('envelope' as const), result: fc.boolean() }),
  fc.constant<Op>({ kind: 'read' }),
  fc.constant<Op>({ kind: 'tick' }),
);

/** The mark a guess leaves: no fetcher or directive result ever delivers it. */
const GUESS = 'guess';

const predictions = definePredictions<
  'cart' | 'product',
  { n: number },
  { cart: CollectionData; product: { id: string; tag: string } }
>({
  cart: (current, input) => ({
    ids: [...(current?.ids ?? []), GUESS],
    count: (current?.count ?? 0) + input.n,
    meta: GUESS,
  }),
  product: (current) => ({ id: current?.id ?? '1', tag: GUESS }),
});

interface Run {
  /** Every tag a fetcher or a directive result delivered. */
  delivered: Set<string>;
  /** Tags `data` showed, checked as they appeared. */
  violations: string[];
  predictedAfterSettle: unknown[];
}

async function runOps(s: fc.Scheduler, ops: readonly Op[]): Promise<Run> {
  const delivered = new Set<string>();
  const violations: string[] = [];
  let fetches = 0;
  let results = 0;
  let seq = 0;
  const registry = makeRegistry({
    stalenessMs: 3_600_000,
    bulk: { delayMs: WINDOW_MS },
    memory: { sweepIntervalMs: 0 },
    fetch: (input) =>
      s.schedule(Promise.resolve(), `response to ${String(input)}`).then(() => {
        const op = mutations.get(String(input))!;
        if (op.outcome === 'network-error') throw new TypeError('Failed to fetch');
        const status = op.outcome === 'ok' ? 200 : 500;
        return new Response(JSON.stringify({ directives: directives(op.result) }), { status });
      }),
  });
  registry.createCollection('cart', {
    fetch: () =>
      s.schedule(Promise.resolve(++fetches), 'cart fetch').then((n) => {
        delivered.add(`f${n}`);
        return { ids: [`f${n}`], count: n, meta: `f${n}` };
      }),
  });
  registry.createType('product', {
    fetch: (id) =>
      s.schedule(Promise.resolve(++fetches), 'product fetch').then((n) => {
        delivered.add(`f${n}`);
        return { id, tag: `f${n}` };
      }),
  });

  /** Refreshes of both names; with `result`, the server data rides along (a new delivered tag). */
  function directives(result: boolean): Directive[] {
    if (!result) {
      return [
        { op: 'refresh_collection', name: 'cart' },
        { op: 'refresh_item', name: 'product', id: 1 },
      ];
    }
    const tag = `r${++results}`;
    delivered.add(tag);
    return [
      {
        op: 'refresh_collection',
        name: 'cart',
        params: {},
        result: { ids: [tag], count: results, meta: tag },
      },
      { op: 'refresh_item', name: 'product', id: 1, result: { data: { id: '1', tag } } },
    ];
  }

  const cart = registry.fetchCollection('cart');
  const product = registry.fetchItem('product', 1);
  const check = (): void => {
    const cartData = cart.data;
    if (cartData.count > 0 || cartData.ids.length > 0) {
      if (!delivered.has(String(cartData.meta))) violations.push(`cart ${JSON.stringify(cartData)}`);
    }
    const productData = product.data as { tag?: string } | null;
    if (productData !== null && !delivered.has(String(productData.tag))) {
      violations.push(`product ${JSON.stringify(productData)}`);
    }
    if (JSON.stringify([cartData, productData]).includes(GUESS)) violations.push('a guess in data');
  };
  const stops = [cart.subscribe(check), product.subscribe(check)];

  const mutations = new Map<string, Extract<Op, { kind: 'mutate' }>>();
  const settled: Promise<unknown>[] = [];
  s.scheduleSequence(
    ops.map((op, index) => ({
      label: op.kind,
      builder: async () => {
        switch (op.kind) {
          case 'mutate': {
            const url = `/api/cart/${index}`;
            mutations.set(url, op);
            settled.push(
              registry
                .mutate(url, { method: 'POST' }, { predict: predictions, input: { n: 1 } })
                .catch(() => {}),
            );
            break;
          }
          case 'directive':
            void registry.applyDirectives(directives(op.result));
            break;
          case 'envelope':
            registry.ingestEnvelope({ type: 'directives', seq: ++seq, directives: directives(op.result) });
            break;
          case 'read':
            registry.fetchCollection('cart', { force: true });
            break;
          case 'tick':
            vi.advanceTimersByTime(WINDOW_MS);
            break;
        }
        check();
      },
    })),
  );
  await s.waitIdle();
  for (let round = 0; round < 10 && (registry.state().bulk.pending || s.count() > 0); round++) {
    vi.advanceTimersByTime(WINDOW_MS);
    await s.waitIdle();
  }
  await Promise.all(settled);
  check();
  const predictedAfterSettle = [
    cart.predicted,
    product.predicted,
    cart.meta.isPredicted,
    product.meta.isPredicted,
  ];
  for (const stop of stops) stop();
  registry.dispose();
  return { delivered, violations, predictedAfterSettle };
}

withFakeClock();

describe('predictions under any interleaving', () => {
  it('data only holds delivered values, and predicted is undefined once every mutation settled', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(opArb, { minLength: 1, maxLength: 12 }), async (s, ops) => {
        const run = await runOps(s, ops);
        expect(run.violations).toEqual([]);
        expect(run.predictedAfterSettle).toEqual([undefined, undefined, false, false]);
      }),
      { numRuns: 150 },
    );
  });
});
