// Contract: the sweeper evicts by TTL then LRU, counts only consumer reads as use, spares busy entries (SPEC §3 "Memory").
import { describe, expect, it, vi } from 'vitest';
import type { Registry } from '../src/index';
import { withFakeClock } from './support/clock';
import { recordLifecycle } from './support/lifecycle';
import {
  controlledCollectionFetcher,
  countingFetcher,
  flush,
  makeRegistry,
  todoRegistry,
} from './support/registry';

withFakeClock();

/** The registry's non-public sweep(): one pass now, as the timer would do. */
function sweep(registry: Registry): void {
  (registry as unknown as { sweep(): void }).sweep();
}

function itemCount(registry: Registry, type = 'todo'): number {
  return registry.state().types[type]?.entries ?? 0;
}

function cachedIds(registry: Registry): string[] {
  return registry
    .devtools()
    .entries.filter((entry) => entry.kind === 'item')
    .map((entry) => entry.key);
}

async function readAll(registry: Registry, ids: readonly number[], gapMs = 1): Promise<void> {
  for (const id of ids) {
    registry.fetchItem('todo', id);
    await vi.advanceTimersByTimeAsync(gapMs);
  }
}

describe('TTL', () => {
  it('the sweeper evicts an entry unused for longer than itemTtlMs', async () => {
    const registry = makeRegistry({ memory: { itemTtlMs: 1000, sweepIntervalMs: 500 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const events = recordLifecycle(registry, ['cache:evict']);
    registry.fetchItem('todo', 1);
    await flush();

    await vi.advanceTimersByTimeAsync(1000);
    expect(itemCount(registry)).toBe(1);
    await vi.advanceTimersByTimeAsync(500);

    expect(itemCount(registry)).toBe(0);
    expect(events.events.map((e) => e.detail)).toEqual([{ type: 'todo', id: '1', reason: 'ttl' }]);
  });

  it('a consumer read keeps an entry alive', async () => {
    const registry = makeRegistry({ memory: { itemTtlMs: 1000, sweepIntervalMs: 500 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(800);
    registry.fetchItem('todo', 1);

    await vi.advanceTimersByTimeAsync(700);

    expect(itemCount(registry)).toBe(1);
  });

  it('collections are evicted after collectionTtlMs', async () => {
    const registry = makeRegistry({
      memory: { collectionTtlMs: 1000, itemTtlMs: 60_000, sweepIntervalMs: 0 },
    });
    const fetcher = controlledCollectionFetcher();
    registry.createCollection('todos', { fetch: fetcher.fetch });
    const events = recordLifecycle(registry, ['cache:evict']);
    registry.fetchCollection('todos', { params: { page: 2 } });
    fetcher.call(0).resolve({ ids: [] });
    await flush();

    await vi.advanceTimersByTimeAsync(1001);
    sweep(registry);

    expect(registry.state().collections.todos?.entries).toBe(0);
    expect(events.events[0]?.detail).toEqual({
      name: 'todos',
      params: { page: 2 },
      paramsKey: '{"page":2}',
      reason: 'ttl',
    });
  });

  it('a TTL of 0 disables the TTL bound', async () => {
    const registry = makeRegistry({ memory: { itemTtlMs: 0, sweepIntervalMs: 60_000 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.fetchItem('todo', 1);

    await vi.advanceTimersByTimeAsync(24 * 60 * 60 * 1000);

    expect(itemCount(registry)).toBe(1);
  });
});

describe('LRU beyond the per-name caps', () => {
  it('the least recently read entries beyond maxItemsPerType are evicted first', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 2, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const events = recordLifecycle(registry, ['cache:evict']);
    await readAll(registry, [1, 2, 3, 4]);

    sweep(registry);

    expect(cachedIds(registry)).toEqual(['3', '4']);
    expect(events.events.map((e) => e.detail)).toEqual([
      { type: 'todo', id: '1', reason: 'lru' },
      { type: 'todo', id: '2', reason: 'lru' },
    ]);
  });

  it('re-reading an entry makes it the most recently used', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 2, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    await readAll(registry, [1, 2, 1, 3]);

    sweep(registry);

    expect(cachedIds(registry).sort()).toEqual(['1', '3']);
  });

  it('the least recently read collections beyond maxCollectionsPerName are evicted first', async () => {
    const registry = makeRegistry({ memory: { maxCollectionsPerName: 2, sweepIntervalMs: 0 } });
    registry.createCollection('todos', { fetch: async () => ({ ids: [] }) });
    for (const page of [1, 2, 3]) registry.fetchCollection('todos', { params: { page } });
    registry.fetchCollection('todos', { params: { page: 1 } });
    await flush();

    sweep(registry);

    const keys = registry.devtools().entries.map((entry) => entry.key);
    expect(keys.sort()).toEqual(['{"page":1}', '{"page":3}']);
  });

  it('a cap of 0 disables the LRU bound', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 0, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    for (let id = 0; id < 600; id++) registry.fetchItem('todo', id);
    await flush();

    sweep(registry);

    expect(itemCount(registry)).toBe(600);
  });

  it('the default cap keeps 512 items per type', async () => {
    const registry = makeRegistry({ memory: { sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    for (let id = 0; id < 520; id++) registry.fetchItem('todo', id);
    await flush();

    sweep(registry);

    expect(itemCount(registry)).toBe(512);
    expect(cachedIds(registry)[0]).toBe('8');
  });

  it('the default cap keeps 12 param sets per collection', async () => {
    const registry = makeRegistry({ memory: { sweepIntervalMs: 0 } });
    registry.createCollection('todos', { fetch: async () => ({ ids: [] }) });
    for (let page = 0; page < 15; page++) registry.fetchCollection('todos', { params: { page } });
    await flush();

    sweep(registry);

    expect(registry.state().collections.todos?.entries).toBe(12);
    expect(registry.devtools().entries[0]?.key).toBe('{"page":3}');
  });
});

describe('what counts as use', () => {
  it('a directive result does not count as use', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 2, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    await readAll(registry, [1, 2]);

    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1, result: { data: { v: 2 } } }]);
    await vi.advanceTimersByTimeAsync(50);
    await readAll(registry, [3]);
    sweep(registry);

    expect(cachedIds(registry)).toEqual(['2', '3']);
  });

  it('a directive refetch does not count as use', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 2, sweepIntervalMs: 0 } });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    await readAll(registry, [1, 2]);

    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(fetcher.count).toBe(3);
    await readAll(registry, [3]);
    sweep(registry);

    expect(cachedIds(registry)).toEqual(['2', '3']);
  });

  it('a resync does not count as use', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 2, sweepIntervalMs: 0 } });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    await readAll(registry, [1, 2]);

    await Promise.all([registry.resync(), vi.advanceTimersByTimeAsync(50)]);
    expect(fetcher.count).toBe(4);
    await readAll(registry, [3]);
    sweep(registry);

    expect(cachedIds(registry)).toEqual(['2', '3']);
  });

  it('a directive or resync does not keep an entry past its TTL', async () => {
    const registry = makeRegistry({ memory: { itemTtlMs: 1000, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(900);

    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1, result: { data: {} } }]);
    void registry.resync();
    await vi.advanceTimersByTimeAsync(200);
    sweep(registry);

    expect(itemCount(registry)).toBe(0);
  });

  it('isItemLoading and state() do not count as use', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 1, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    await readAll(registry, [1, 2]);

    registry.isItemLoading('todo', 1);
    registry.state();
    registry.devtools();
    sweep(registry);

    expect(cachedIds(registry)).toEqual(['2']);
  });
});

describe('busy entries are never evicted', () => {
  it('an entry with a subscriber survives its TTL and the LRU cap', async () => {
    const registry = makeRegistry({ memory: { itemTtlMs: 1000, maxItemsPerType: 1, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const watched = registry.fetchItem('todo', 1);
    const unsubscribe = watched.subscribe(() => {});
    await readAll(registry, [2, 3]);

    // The cap bounds every entry of the type; the subscribed one stays, so both idle ones go.
    sweep(registry);
    expect(cachedIds(registry)).toEqual(['1']);
    await vi.advanceTimersByTimeAsync(5000);
    sweep(registry);
    expect(cachedIds(registry)).toEqual(['1']);

    unsubscribe();
    sweep(registry);
    expect(cachedIds(registry)).toEqual([]);
  });

  it('an entry with a fetch in flight survives until the fetch settles', async () => {
    const { registry, fetcher } = todoRegistry({ memory: { itemTtlMs: 1000, sweepIntervalMs: 0 } });
    registry.fetchItem('todo', 1);

    await vi.advanceTimersByTimeAsync(5000);
    sweep(registry);
    expect(itemCount(registry)).toBe(1);
    expect(fetcher.call(0).signal.aborted).toBe(false);

    fetcher.call(0).resolve({});
    await flush();
    sweep(registry);
    expect(itemCount(registry)).toBe(0);
  });

  it('a busy entry is skipped and the next least recently read one goes instead', async () => {
    const { registry, fetcher } = todoRegistry({ memory: { maxItemsPerType: 2, sweepIntervalMs: 0 } });
    registry.fetchItem('todo', 1);
    await readAll(registry, [2, 3]);
    fetcher.call(1).resolve({});
    fetcher.call(2).resolve({});
    await flush();

    sweep(registry);

    expect(cachedIds(registry)).toEqual(['1', '3']);
  });
});

describe('the sweeper timer', () => {
  it('sweepIntervalMs 0 disables the timer', async () => {
    const registry = makeRegistry({ memory: { itemTtlMs: 1000, maxItemsPerType: 1, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    await readAll(registry, [1, 2, 3]);

    await vi.advanceTimersByTimeAsync(60 * 60 * 1000);

    expect(itemCount(registry)).toBe(3);
  });

  it('memory.enabled false disables the sweeper', async () => {
    const registry = makeRegistry({ memory: { enabled: false, itemTtlMs: 1000, sweepIntervalMs: 100 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.fetchItem('todo', 1);

    await vi.advanceTimersByTimeAsync(10_000);

    expect(itemCount(registry)).toBe(1);
  });

  it('the sweeper runs every sweepIntervalMs by default (60 s)', async () => {
    const registry = makeRegistry({ memory: { itemTtlMs: 1000 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.fetchItem('todo', 1);

    await vi.advanceTimersByTimeAsync(59_999);
    expect(itemCount(registry)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(itemCount(registry)).toBe(0);
  });

  it('seed aliases set the same bounds', () => {
    const registry = makeRegistry({
      memory: {
        maxCollectionRefsPerCollection: 3,
        itemEntryTtlMs: 111,
        collectionEntryTtlMs: 222,
        pruneIntervalMs: 333,
      },
    });

    expect(registry.state().memory).toMatchObject({
      maxCollectionsPerName: 3,
      itemTtlMs: 111,
      collectionTtlMs: 222,
      sweepIntervalMs: 333,
    });
  });
});

describe('after eviction', () => {
  it("an evicted entry's next read starts afresh: loud, empty, one new fetch", async () => {
    const { registry, fetcher } = todoRegistry({ memory: { itemTtlMs: 1000, sweepIntervalMs: 0 } });
    registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ v: 'cached' });
    await flush();
    await vi.advanceTimersByTimeAsync(1001);
    sweep(registry);

    const ref = registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(2);
    expect(ref.data).toBeNull();
    expect(ref.meta).toMatchObject({ status: 'fetching', isLoading: true, lastFetched: null });
  });

  it("an evicted entry's actor is stopped", async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 1, sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    const actor = ref.actor;
    await readAll(registry, [2]);
    expect(actor.getSnapshot().status).toBe('active');

    sweep(registry);

    expect(cachedIds(registry)).toEqual(['2']);
    expect(actor.getSnapshot().status).toBe('stopped');
  });

  it('a directive for an evicted entry does not bring it back', async () => {
    const registry = makeRegistry({ memory: { maxItemsPerType: 1, sweepIntervalMs: 0 } });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    await readAll(registry, [1, 2]);
    sweep(registry);

    void registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1 },
      { op: 'refresh_item', name: 'todo', id: 1, result: { data: {} } },
    ]);
    await vi.advanceTimersByTimeAsync(50);

    expect(cachedIds(registry)).toEqual(['2']);
    expect(fetcher.count).toBe(2);
  });
});
