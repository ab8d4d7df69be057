// Directives meet active and passive entries (SPEC §3 "Directives"): refetch what is watched, mark the rest stale.
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { apply, flushWindow, prime, settle, track } from './support/directive-fixtures';
import { makePassive, RESYNC_WINDOW_MS, refreshTodo, start } from './support/directive-setup';

withFakeClock();

describe('active and passive entries', () => {
  it('an entry with a subscriber refetches at once, silently', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    await makePassive();
    const loading: boolean[] = [];
    const unsubscribe = ref.subscribe(() => loading.push(ref.meta.isLoading));
    backend.hold();
    const applying = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    expect(backend.count()).toBe(1);
    expect(ref.meta.isFetching).toBe(true);
    expect(ref.meta.isLoading).toBe(false);
    expect(applying.settled).toBe(false);
    backend.release();
    await flushWindow();
    expect(applying.settled).toBe(true);
    expect(loading.length).toBeGreaterThan(0);
    expect(loading.every((value) => value === false)).toBe(true);
    unsubscribe();
  });

  it('an entry read within sse.resyncWindowMs refetches at once, silently', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    await vi.advanceTimersByTimeAsync(RESYNC_WINDOW_MS / 2);
    backend.hold();
    const applying = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    expect(backend.count()).toBe(1);
    expect(ref.meta.isFetching).toBe(true);
    expect(ref.meta.isLoading).toBe(false);
    expect(ref.meta.status).toBe('fetching');
    backend.release();
    await settle(applying.promise);
    expect(ref.meta.status).toBe('fresh');
  });

  it('an active collection refetches at once, silently', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchCollection('todos', { params: { page: 1 } });
    await prime(backend, () => {});
    await makePassive();
    const unsubscribe = ref.subscribe(() => {});
    backend.hold();
    const applying = track(registry.applyDirectives([{ op: 'refresh_collection', name: 'todos' }]));
    await flushWindow();
    expect(backend.count()).toBe(1);
    expect(ref.meta.isLoading).toBe(false);
    expect(ref.meta.isFetching).toBe(true);
    backend.release();
    await settle(applying.promise);
    unsubscribe();
  });

  it('a passive item is only marked stale, and refetches on its next read', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    await makePassive();
    expect(ref.meta.status).toBe('fresh');
    const report = await apply(registry, [refreshTodo(1)]);
    expect(report.applied).toHaveLength(1);
    expect(backend.count()).toBe(0);
    expect(ref.meta.status).toBe('stale');
    const before = ref.data;
    const again = registry.fetchItem('todo', 1);
    expect(backend.count()).toBe(1);
    expect(again.meta.isLoading).toBe(false);
    expect(again.data).toEqual(before);
    await flushWindow();
    expect(again.data).not.toEqual(before);
    expect(again.meta.status).toBe('fresh');
  });

  it('a passive collection is only marked stale, and refetches on its next read', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchCollection('todos', { params: { page: 1 } });
    await prime(backend, () => {});
    await makePassive();
    await apply(registry, [{ op: 'refresh_collection', name: 'todos' }]);
    expect(backend.count()).toBe(0);
    expect(ref.meta.status).toBe('stale');
    registry.fetchCollection('todos', { params: { page: 1 } });
    expect(backend.count()).toBe(1);
  });

  it('a passive item with a result is updated and not marked stale', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    await makePassive();
    await apply(registry, [refreshTodo(1, { result: { data: { default: 'srv' } } })]);
    expect(backend.count()).toBe(0);
    expect(ref.meta.status).toBe('fresh');
    expect(ref.data).toMatchObject({ default: 'srv' });
  });

  it('a directive does not count as use: a passive entry stays passive', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    await makePassive();
    await apply(registry, [refreshTodo(1)]);
    await apply(registry, [refreshTodo(1)]);
    expect(backend.count()).toBe(0);
  });

  it('active and passive entries in one batch: only the active ones fetch', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
    });
    await makePassive();
    const active = registry.fetchItem('todo', 1);
    const passive = registry.fetchItem('todo', 2);
    const unsubscribe = active.subscribe(() => {});
    await makePassive();
    await apply(registry, [refreshTodo(1), refreshTodo(2)]);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1']);
    expect(passive.meta.status).toBe('stale');
    unsubscribe();
  });
});
