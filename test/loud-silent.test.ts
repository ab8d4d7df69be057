// Contract: first reads are loud, later background refetches are silent (SPEC §3 "Fetching", "Silent vs loud").
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { controlledFetcher, flush, makeRegistry, todoRegistry, todosRegistry } from './support/registry';

withFakeClock();

describe('first reads are loud', () => {
  it('a first read shows isLoading and isFetching and status fetching when fetchItem returns', () => {
    const { registry, fetcher } = todoRegistry();

    const ref = registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(1);
    expect(ref.meta.status).toBe('fetching');
    expect(ref.meta.isLoading).toBe(true);
    expect(ref.meta.isFetching).toBe(true);
    expect(ref.meta.activeQueryId).not.toBeNull();
    expect(ref.data).toBeNull();
    expect(registry.isItemLoading('todo', 1)).toBe(true);
    expect(registry.hasAnyInFlightRequests()).toBe(true);
  });

  it('a first collection read shows isLoading and isFetching when fetchCollection returns', () => {
    const { registry, fetcher } = todosRegistry();

    const ref = registry.fetchCollection('todos', { params: { done: false } });

    expect(fetcher.count).toBe(1);
    expect(ref.meta.status).toBe('fetching');
    expect(ref.meta.isLoading).toBe(true);
    expect(ref.meta.isFetching).toBe(true);
    expect(ref.data).toEqual({ ids: [], count: 0, meta: null });
    expect(registry.isCollectionLoading('todos', { done: false })).toBe(true);
  });

  it('loading ends when the first response arrives', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    fetcher.call(0).resolve({ id: 1, title: 'a' });
    await flush();

    expect(ref.data).toEqual({ id: 1, title: 'a' });
    expect(ref.meta).toMatchObject({ status: 'fresh', isLoading: false, isFetching: false, error: null });
    expect(ref.meta.activeQueryId).toBeNull();
    expect(registry.hasAnyInFlightRequests()).toBe(false);
  });

  it('a first read with silent: true fetches without isLoading', () => {
    const { registry, fetcher } = todoRegistry();

    const ref = registry.fetchItem('todo', 1, null, { silent: true });

    expect(fetcher.count).toBe(1);
    expect(ref.meta.isLoading).toBe(false);
    expect(ref.meta.isFetching).toBe(true);
  });

  it('a first read of a level the item does not hold yet is loud, even when another level is held', async () => {
    const registry = makeRegistry();
    const fetcher = controlledFetcher();
    registry.createType('invoice', { fetch: fetcher.fetch, levels: { expanded: { fetch: fetcher.fetch } } });
    registry.fetchItem('invoice', 1);
    fetcher.call(0).resolve({ id: 1 });
    await flush();

    const ref = registry.fetchItem('invoice', 1, 'expanded');

    expect(fetcher.call(1).level).toBe('expanded');
    expect(ref.meta.isLoading).toBe(true);
    expect(ref.data).toEqual({ id: 1 });
  });
});

describe('background refetches are silent', () => {
  it('a read of a stale entry refetches silently and shows the old data meanwhile', async () => {
    const { registry, fetcher } = todoRegistry({ stalenessMs: 1000 });
    registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ title: 'old' });
    await flush();
    await vi.advanceTimersByTimeAsync(1000);

    const ref = registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(2);
    expect(ref.data).toEqual({ title: 'old' });
    expect(ref.meta).toMatchObject({ status: 'fetching', isLoading: false, isFetching: true });

    fetcher.call(1).resolve({ title: 'new' });
    await flush();
    expect(ref.data).toEqual({ title: 'new' });
    expect(ref.meta.status).toBe('fresh');
  });

  it('a forced read of held data is silent', async () => {
    const { registry, fetcher } = todoRegistry();
    registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ title: 'old' });
    await flush();

    const ref = registry.fetchItem('todo', 1, null, { force: true });

    expect(fetcher.count).toBe(2);
    expect(ref.meta.isLoading).toBe(false);
    expect(ref.meta.isFetching).toBe(true);
  });

  it('a forced read with silent: false of held data is loud', async () => {
    const { registry, fetcher } = todoRegistry();
    registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ title: 'old' });
    await flush();

    const ref = registry.fetchItem('todo', 1, null, { force: true, silent: false });

    expect(ref.meta.isLoading).toBe(true);
    expect(ref.data).toEqual({ title: 'old' });
  });

  it('a forced collection read with silent: false is loud, without it silent', async () => {
    const { registry, fetcher } = todosRegistry();
    registry.fetchCollection('todos');
    fetcher.call(0).resolve({ ids: [1] });
    await flush();

    const silent = registry.fetchCollection('todos', { force: true });
    expect(silent.meta.isLoading).toBe(false);
    expect(silent.meta.isFetching).toBe(true);
    fetcher.call(1).resolve({ ids: [1, 2] });
    await flush();

    const loud = registry.fetchCollection('todos', { force: true, silent: false });
    expect(loud.meta.isLoading).toBe(true);
    expect(loud.data.ids).toEqual([1, 2]);
  });

  it('a directive refetch of data on screen is silent', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    const unsubscribe = ref.subscribe(() => {});
    fetcher.call(0).resolve({ title: 'old' });
    await flush();

    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    await vi.advanceTimersByTimeAsync(50);

    expect(fetcher.count).toBe(2);
    expect(ref.meta).toMatchObject({ isLoading: false, isFetching: true, status: 'fetching' });
    expect(ref.data).toEqual({ title: 'old' });
    unsubscribe();
  });

  it('a resync refetch is silent', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ title: 'old' });
    await flush();

    void registry.resync();
    await vi.advanceTimersByTimeAsync(50);

    expect(fetcher.count).toBe(2);
    expect(ref.meta).toMatchObject({ isLoading: false, isFetching: true });
  });
});
