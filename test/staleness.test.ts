// Contract: an entry is fresh for stalenessMs after its last successful fetch, then stale (SPEC §3 "Fetching").
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { recordLifecycle } from './support/lifecycle';
import {
  controlledCollectionFetcher,
  countingFetcher,
  flush,
  makeRegistry,
  todoRegistry,
} from './support/registry';

withFakeClock({ now: '2030-01-01T00:00:00.000Z' });

describe('freshness', () => {
  it('a read within stalenessMs of the last fetch is served from the cache', async () => {
    const registry = makeRegistry({ stalenessMs: 1000 });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    registry.fetchItem('todo', 1);
    await flush();
    const events = recordLifecycle(registry, ['item:fetch:skip']);

    await vi.advanceTimersByTimeAsync(999);
    const ref = registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(1);
    expect(ref.meta.status).toBe('fresh');
    expect(events.events.map((e) => e.detail)).toEqual([
      { type: 'todo', id: '1', level: 'default', reason: 'fresh' },
    ]);
  });

  it('a read at stalenessMs after the last fetch refetches', async () => {
    const registry = makeRegistry({ stalenessMs: 1000 });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    registry.fetchItem('todo', 1);
    await flush();

    await vi.advanceTimersByTimeAsync(1000);
    registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(2);
  });

  it('lastFetched is the ISO time of the last successful fetch', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    expect(ref.meta.lastFetched).toBeNull();

    await vi.advanceTimersByTimeAsync(250);
    fetcher.call(0).resolve({});
    await flush();

    expect(ref.meta.lastFetched).toBe('2030-01-01T00:00:00.250Z');
  });

  it("a type's stalenessMs overrides the registry default, and a collection's too", async () => {
    const registry = makeRegistry({ stalenessMs: 10_000 });
    const items = countingFetcher();
    registry.createType('todo', { fetch: items.fetch, stalenessMs: 100 });
    const lists = controlledCollectionFetcher();
    registry.createCollection('todos', { fetch: lists.fetch, stalenessMs: 200 });
    const item = registry.fetchItem('todo', 1);
    const list = registry.fetchCollection('todos');
    lists.call(0).resolve({ ids: [] });
    await flush();

    await vi.advanceTimersByTimeAsync(100);
    expect(item.meta.status).toBe('stale');
    expect(list.meta.status).toBe('fresh');
    await vi.advanceTimersByTimeAsync(100);
    expect(list.meta.status).toBe('stale');
  });

  it('stalenessMs 0 makes every read refetch', async () => {
    const registry = makeRegistry({ stalenessMs: 0 });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    registry.fetchItem('todo', 1);
    await flush();

    const ref = registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(2);
    expect(ref.meta.isLoading).toBe(false);
  });
});

describe('status turns stale by time', () => {
  it('a subscribed entry goes from fresh to stale at stalenessMs and its subscriber is told', async () => {
    const registry = makeRegistry({ stalenessMs: 1000 });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    const ref = registry.fetchItem('todo', 1);
    const seen: string[] = [];
    const unsubscribe = ref.subscribe(() => seen.push(ref.meta.status));
    await flush();
    expect(ref.meta.status).toBe('fresh');
    seen.length = 0;

    await vi.advanceTimersByTimeAsync(999);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);

    expect(seen).toEqual(['stale']);
    expect(ref.meta.status).toBe('stale');
    expect(fetcher.count).toBe(1);
    unsubscribe();
  });

  it('a resting entry (no subscriber) reports stale once stalenessMs has passed', async () => {
    const registry = makeRegistry({ stalenessMs: 1000 });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const before = ref.getSnapshot();
    expect(before.meta.status).toBe('fresh');

    await vi.advanceTimersByTimeAsync(1000);

    expect(ref.meta.status).toBe('stale');
    expect(ref.getSnapshot()).not.toBe(before);
  });

  it('a stale entry that gets a subscriber stays stale; a fresh one goes stale on time', async () => {
    const registry = makeRegistry({ stalenessMs: 1000 });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const stale = registry.fetchItem('todo', 1);
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    const fresh = registry.fetchItem('todo', 2);
    await flush();

    const stopStale = stale.subscribe(() => {});
    const notified: string[] = [];
    const stopFresh = fresh.subscribe(() => notified.push(fresh.meta.status));

    expect(stale.meta.status).toBe('stale');
    expect(fresh.meta.status).toBe('fresh');
    await vi.advanceTimersByTimeAsync(1000);
    expect(fresh.meta.status).toBe('stale');
    expect(notified).toContain('stale');
    stopStale();
    stopFresh();
  });

  it('a directive result on a fresh entry restarts its freshness', async () => {
    const registry = makeRegistry({ stalenessMs: 1000 });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    const unsubscribe = ref.subscribe(() => {});
    await flush();

    await vi.advanceTimersByTimeAsync(800);
    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1, result: { data: { v: 2 } } }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(ref.data).toMatchObject({ v: 2 });

    // The first fetch would have gone stale at 1000 ms; the result (at 850 ms) keeps it fresh until 1850 ms.
    await vi.advanceTimersByTimeAsync(999);
    expect(ref.meta.status).toBe('fresh');
    await vi.advanceTimersByTimeAsync(1);
    expect(ref.meta.status).toBe('stale');
    unsubscribe();
  });

  it('an entry marked stale by a directive is stale at once and refetches on its next read', async () => {
    const registry = makeRegistry({ sse: { resyncWindowMs: 100 } });
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    await vi.advanceTimersByTimeAsync(200);

    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    await vi.advanceTimersByTimeAsync(50);

    expect(fetcher.count).toBe(1);
    expect(ref.meta.status).toBe('stale');
    registry.fetchItem('todo', 1);
    expect(fetcher.count).toBe(2);
  });
});
