// Contract: dispose() stops every actor, timer and fetch, and leaves a registry that refuses new work (SPEC §2).
import { describe, expect, it, vi } from 'vitest';
import { VerityError } from '../src/index';
import { withFakeClock } from './support/clock';
import { countingFetcher, flush, makeRegistry, todoRegistry } from './support/registry';

withFakeClock();

describe('dispose()', () => {
  it('clears every timer: sweeper, bulk window and staleness', async () => {
    const registry = makeRegistry({ memory: { sweepIntervalMs: 1000 } });
    registry.createType('todo', {
      fetch: countingFetcher().fetch,
      bulkFetch: async (ids) => ids.map((id) => ({ id })),
    });
    const fresh = registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(50);
    const unsubscribe = fresh.subscribe(() => {});
    registry.fetchItem('todo', 2);
    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    expect(vi.getTimerCount()).toBeGreaterThan(0);

    registry.dispose();

    expect(vi.getTimerCount()).toBe(0);
    unsubscribe();
  });

  it('stops every entry actor', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const actor = ref.actor;

    registry.dispose();

    expect(actor.getSnapshot().status).toBe('stopped');
  });

  it('aborts the fetches in flight and ignores their late responses', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    const listener = vi.fn();
    ref.subscribe(listener);

    registry.dispose();
    listener.mockClear();
    expect(fetcher.call(0).signal.aborted).toBe(true);
    fetcher.call(0).resolve({ v: 'late' });
    await flush();

    expect(listener).not.toHaveBeenCalled();
    expect(registry.hasAnyInFlightRequests()).toBe(false);
  });

  it('settles pending applyDirectives, resync and refresh promises', async () => {
    const { registry } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    const pending = [
      registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]),
      registry.resync(),
      ref.refresh(),
    ];

    registry.dispose();

    await expect(Promise.all(pending)).resolves.toHaveLength(3);
  });

  it('refuses new work: registration and reads throw DISPOSED, directives and resync resolve empty', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.dispose();

    expect(() => registry.fetchItem('todo', 1)).toThrow(VerityError);
    expect(() => registry.fetchItem('todo', 1)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    expect(() => registry.createType('user', { fetch: countingFetcher().fetch })).toThrow(
      expect.objectContaining({ code: 'DISPOSED' }),
    );
    await expect(registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }])).resolves.toEqual({
      applied: [],
      skipped: [],
      rejected: [],
    });
    await expect(registry.resync()).resolves.toBeUndefined();
  });

  it('is idempotent', () => {
    const registry = makeRegistry();
    registry.dispose();

    expect(() => registry.dispose()).not.toThrow();
  });

  it('drops every entry and listener', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const listener = vi.fn();
    registry.onLifecycle('*', listener);
    registry.fetchItem('todo', 1);
    await flush();
    listener.mockClear();

    registry.dispose();

    expect(registry.state().memory.entries).toBe(0);
    expect(listener).not.toHaveBeenCalled();
  });

  it('disposes 10,000 live entries, subscribed and resting, without error', async () => {
    const registry = makeRegistry({ memory: { sweepIntervalMs: 0 } });
    registry.createType('todo', { fetch: countingFetcher().fetch });
    registry.createCollection('todos', { fetch: async (params) => ({ ids: [params.page as number] }) });
    const unsubscribes: Array<() => void> = [];
    for (let id = 0; id < 9_000; id++) {
      const ref = registry.fetchItem('todo', id);
      if (id % 2 === 0) unsubscribes.push(ref.subscribe(() => {}));
    }
    for (let page = 0; page < 1_000; page++) {
      const ref = registry.fetchCollection('todos', { params: { page } });
      if (page % 2 === 0) unsubscribes.push(ref.subscribe(() => {}));
    }
    await flush();
    expect(registry.state().memory.entries).toBe(10_000);

    expect(() => registry.dispose()).not.toThrow();

    expect(registry.state().memory.entries).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    for (const unsubscribe of unsubscribes) unsubscribe();
  }, 60_000);
});
