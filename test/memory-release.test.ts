// Contract: an evicted or removed entry is released at once: nothing the registry keeps holds its data (SPEC §3 "Memory").
import { describe, expect, it } from 'vitest';
import type { Registry } from '../src/index';
import { released } from './support/gc';
import { makeRegistry } from './support/registry';

/** Lets the (immediate) fetches settle; real timers, since forced GC needs real macrotasks. */
async function settle(registry: Registry): Promise<void> {
  while (registry.hasAnyInFlightRequests()) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

function sweep(registry: Registry): void {
  (registry as unknown as { sweep(): void }).sweep();
}

/** A registry whose entries stay fresh for 10 minutes, so the staleness clock still watches them when evicted. */
function longLived(memory: { maxItemsPerType?: number; maxCollectionsPerName?: number } = {}): Registry {
  const registry = makeRegistry({ stalenessMs: 600_000, memory: { sweepIntervalMs: 0, ...memory } });
  // Plain functions, not vi.fn: a mock would keep every result it returned.
  registry.createType('todo', { fetch: async (id) => ({ id, payload: new Array(64).fill(id) }) });
  registry.createCollection('todos', { fetch: async (params) => ({ ids: [1], meta: { params } }) });
  return registry;
}

/** Reads and settles one item; returns a weak handle to its data, keeping no strong one. */
async function cachedItem(registry: Registry, id: number, subscribe = false): Promise<WeakRef<object>> {
  const ref = registry.fetchItem('todo', id);
  const unsubscribe = subscribe ? ref.subscribe(() => {}) : () => {};
  await settle(registry);
  unsubscribe();
  return new WeakRef(ref.data as object);
}

describe('evicted and removed entries are released at once', () => {
  it('an item evicted by the LRU cap, still fresh, is garbage once evicted', async () => {
    const registry = longLived({ maxItemsPerType: 1 });
    const first = await cachedItem(registry, 1);
    await cachedItem(registry, 2);

    sweep(registry);

    expect(registry.state().types.todo?.entries).toBe(1);
    expect(await released(first)).toBe(true);
  });

  it('an item removed while subscribed (a running actor) is garbage once removed', async () => {
    const registry = longLived();
    const data = await (async () => {
      const ref = registry.fetchItem('todo', 1);
      ref.subscribe(() => {});
      await settle(registry);
      ref.remove();
      return new WeakRef(ref.data as object);
    })();

    expect(registry.state().types.todo?.entries).toBe(0);
    expect(await released(data)).toBe(true);
  });

  it('a collection evicted by the LRU cap is garbage once evicted', async () => {
    const registry = longLived({ maxCollectionsPerName: 1 });
    registry.fetchCollection('todos', { params: { page: 1 } });
    await settle(registry);
    const first = new WeakRef(registry.fetchCollection('todos', { params: { page: 1 } }).data as object);
    registry.fetchCollection('todos', { params: { page: 2 } });
    await settle(registry);

    sweep(registry);

    expect(registry.state().collections.todos?.entries).toBe(1);
    expect(await released(first)).toBe(true);
  });

  it('an item touched by an idempotent directive is garbage once evicted', async () => {
    const registry = longLived({ maxItemsPerType: 1 });
    const first = await cachedItem(registry, 1);
    await registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1, idempotency_key: 'k1' }]);
    await settle(registry);
    await cachedItem(registry, 2);

    sweep(registry);

    expect(await released(first)).toBe(true);
  });
});
