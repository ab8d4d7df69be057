// Contract: a failed fetch keeps the last good data, records the Error, and backs off plain reads (SPEC §3 "Errors").
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { recordLifecycle } from './support/lifecycle';
import { controlledFetcher, flush, makeRegistry, todoRegistry, todosRegistry } from './support/registry';

withFakeClock();

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

async function failedAfterSuccess(options: { errorRetryMs?: number; stalenessMs?: number } = {}) {
  const { registry, fetcher } = todoRegistry({ stalenessMs: 1000, ...options });
  const ref = registry.fetchItem('todo', 1);
  fetcher.call(0).resolve({ title: 'good' });
  await flush();
  await vi.advanceTimersByTimeAsync(1000);
  registry.fetchItem('todo', 1);
  const error = new HttpError(503);
  fetcher.call(1).reject(error);
  await flush();
  return { registry, fetcher, ref, error };
}

describe('a failed fetch', () => {
  it('puts the entry in error with the thrown Error, its status kept', async () => {
    const { ref, error } = await failedAfterSuccess();

    expect(ref.meta.status).toBe('error');
    expect(ref.meta.error).toBe(error);
    expect((ref.meta.error as HttpError).status).toBe(503);
    expect(ref.meta).toMatchObject({ isLoading: false, isFetching: false });
    expect(ref.meta.levels.default?.error).toBe(error);
  });

  it('keeps the last good data and its lastFetched', async () => {
    const { ref } = await failedAfterSuccess();

    expect(ref.data).toEqual({ title: 'good' });
    expect(ref.meta.lastFetched).not.toBeNull();
  });

  it('a first fetch that fails leaves no data and status error', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    fetcher.call(0).reject(new Error('offline'));
    await flush();

    expect(ref.data).toBeNull();
    expect(ref.meta).toMatchObject({ status: 'error', isLoading: false, lastFetched: null });
    expect(ref.meta.error?.message).toBe('offline');
  });

  it('a fetcher that throws synchronously fails the entry, never the read', async () => {
    const registry = makeRegistry();
    registry.createType('todo', {
      fetch: () => {
        throw new Error('sync boom');
      },
    });

    const ref = registry.fetchItem('todo', 1);
    await flush();

    expect(ref.meta.status).toBe('error');
    expect(ref.meta.error?.message).toBe('sync boom');
  });

  it('a collection fetch that fails keeps its last ids', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.fetchCollection('todos');
    fetcher.call(0).resolve({ ids: [1, 2], meta: { total: 2 } });
    await flush();

    registry.fetchCollection('todos', { force: true });
    fetcher.call(1).reject(new HttpError(500));
    await flush();

    expect(ref.meta.status).toBe('error');
    expect((ref.meta.error as HttpError).status).toBe(500);
    expect(ref.data).toEqual({ ids: [1, 2], count: 2, meta: { total: 2 } });
  });

  it('is reported as item:fetch:error with the error, then item:fetch:complete', async () => {
    const { registry, fetcher } = todoRegistry();
    const events = recordLifecycle(registry, [
      'item:fetch:error',
      'item:fetch:complete',
      'item:fetch:success',
    ]);
    registry.fetchItem('todo', 1);
    const error = new Error('nope');

    fetcher.call(0).reject(error);
    await flush();

    expect(events.names()).toEqual(['item:fetch:error', 'item:fetch:complete']);
    expect(events.events[0]?.detail).toMatchObject({ type: 'todo', id: '1', level: 'default', error });
  });

  it('a later success clears the error', async () => {
    const { registry, fetcher, ref } = await failedAfterSuccess();

    registry.fetchItem('todo', 1, null, { force: true });
    fetcher.call(2).resolve({ title: 'recovered' });
    await flush();

    expect(ref.meta).toMatchObject({ status: 'fresh', error: null });
    expect(ref.meta.levels.default?.error).toBeNull();
    expect(ref.data).toEqual({ title: 'recovered' });
  });
});

describe('errors never loop', () => {
  it('plain reads do not refetch a failed entry within errorRetryMs (100 reads, no extra fetch)', async () => {
    const { registry, fetcher } = await failedAfterSuccess({ errorRetryMs: 5000 });

    for (let i = 0; i < 100; i++) registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(4999);
    registry.fetchItem('todo', 1);
    await flush();

    expect(fetcher.count).toBe(2);
  });

  it('a failed first fetch is not retried by plain reads within errorRetryMs either', async () => {
    const { registry, fetcher } = todoRegistry({ errorRetryMs: 5000 });
    const events = recordLifecycle(registry, ['item:fetch:skip']);
    registry.fetchItem('todo', 1);
    fetcher.call(0).reject(new Error('down'));
    await flush();

    for (let i = 0; i < 100; i++) registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(1);
    expect(events.events).toHaveLength(100);
    expect(events.events[0]?.detail).toMatchObject({ reason: 'error-retry-wait' });
  });

  it('a subscriber re-reading on every notification does not loop', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    let renders = 0;
    const unsubscribe = ref.subscribe(() => {
      renders++;
      registry.fetchItem('todo', 1);
    });

    fetcher.call(0).reject(new Error('down'));
    await flush();
    await vi.advanceTimersByTimeAsync(1000);

    expect(fetcher.count).toBe(1);
    expect(renders).toBeLessThan(5);
    unsubscribe();
  });

  it('plain reads do not refetch a failed collection within errorRetryMs', async () => {
    const { registry, fetcher } = todosRegistry({ errorRetryMs: 5000 });
    registry.fetchCollection('todos', { params: { page: 1 } });
    fetcher.call(0).reject(new Error('down'));
    await flush();

    for (let i = 0; i < 100; i++) registry.fetchCollection('todos', { params: { page: 1 } });
    expect(fetcher.count).toBe(1);
    await vi.advanceTimersByTimeAsync(5000);
    registry.fetchCollection('todos', { params: { page: 1 } });
    expect(fetcher.count).toBe(2);
  });

  it('a plain read after errorRetryMs retries', async () => {
    const { registry, fetcher } = await failedAfterSuccess({ errorRetryMs: 5000 });

    await vi.advanceTimersByTimeAsync(5000);
    registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(3);
  });

  it('a failed forced refetch of fresh data is retried by the first plain read after errorRetryMs', async () => {
    const { registry, fetcher } = todoRegistry({ stalenessMs: 60_000, errorRetryMs: 1000 });
    const ref = registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ title: 'good' });
    await flush();
    registry.fetchItem('todo', 1, null, { force: true });
    fetcher.call(1).reject(new Error('down'));
    await flush();

    await vi.advanceTimersByTimeAsync(999);
    registry.fetchItem('todo', 1);
    expect(fetcher.count).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(3);
    expect(ref.meta.status).toBe('fetching');
    expect(ref.data).toEqual({ title: 'good' });
  });

  it('a failed forced refetch of one fresh level is retried by a plain read of that level after errorRetryMs', async () => {
    const registry = makeRegistry({ stalenessMs: 60_000, errorRetryMs: 1000 });
    const base = controlledFetcher();
    const detail = controlledFetcher();
    registry.createType('todo', { fetch: base.fetch, levels: { detail: { fetch: detail.fetch } } });
    const ref = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, 'detail');
    base.call(0).resolve({ title: 'good' });
    detail.call(0).resolve({ body: 'long' });
    await flush();
    registry.fetchItem('todo', 1, 'detail', { force: true });
    detail.call(1).reject(new Error('down'));
    await flush();

    await vi.advanceTimersByTimeAsync(1000);
    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, 'detail');

    expect(base.count).toBe(1);
    expect(detail.count).toBe(3);
    expect(ref.meta.levels.detail?.isFetching).toBe(true);
  });

  it('a failed forced refetch of a fresh collection is retried by the first plain read after errorRetryMs', async () => {
    const { registry, fetcher } = todosRegistry({ stalenessMs: 60_000, errorRetryMs: 1000 });
    const ref = registry.fetchCollection('todos');
    fetcher.call(0).resolve({ ids: [1] });
    await flush();
    registry.fetchCollection('todos', { force: true });
    fetcher.call(1).reject(new Error('down'));
    await flush();

    registry.fetchCollection('todos');
    expect(fetcher.count).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    registry.fetchCollection('todos');

    expect(fetcher.count).toBe(3);
    expect(ref.data.ids).toEqual([1]);
  });

  it("a type's errorRetryMs overrides the registry default", async () => {
    const registry = makeRegistry({ errorRetryMs: 60_000 });
    const fetcher = controlledFetcher();
    registry.createType('todo', { fetch: fetcher.fetch, errorRetryMs: 100 });
    registry.fetchItem('todo', 1);
    fetcher.call(0).reject(new Error('down'));
    await flush();

    await vi.advanceTimersByTimeAsync(100);
    registry.fetchItem('todo', 1);

    expect(fetcher.count).toBe(2);
  });

  it('a forced read retries at once', async () => {
    const { registry, fetcher, ref } = await failedAfterSuccess();

    registry.fetchItem('todo', 1, null, { force: true });

    expect(fetcher.count).toBe(3);
    expect(ref.meta.status).toBe('fetching');
    expect(ref.data).toEqual({ title: 'good' });
  });

  it('a directive retries an active failed entry at once', async () => {
    const { registry, fetcher } = await failedAfterSuccess();

    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    await vi.advanceTimersByTimeAsync(50);

    expect(fetcher.count).toBe(3);
  });

  it('a resync retries a failed entry at once', async () => {
    const { registry, fetcher } = await failedAfterSuccess();

    void registry.resync();
    await vi.advanceTimersByTimeAsync(50);

    expect(fetcher.count).toBe(3);
  });

  it('ref.refresh() retries at once and resolves (never rejects) when it fails again', async () => {
    const { fetcher, ref } = await failedAfterSuccess();

    const done = ref.refresh();
    expect(fetcher.count).toBe(3);
    fetcher.call(2).reject(new Error('still down'));

    await expect(done).resolves.toBeUndefined();
    expect(ref.meta.error?.message).toBe('still down');
  });
});

describe('whatever is thrown becomes an Error', () => {
  it.each([
    ['a string', 'plain words', 'plain words'],
    ['an object with a message', { message: 'from an object' }, 'from an object'],
    ['undefined', undefined, 'A non-Error value was thrown: undefined'],
    ['null', null, 'A non-Error value was thrown: null'],
    ['a number', 42, 'A non-Error value was thrown: 42'],
  ])('a fetcher throwing %s puts an Error in meta.error', async (_label, thrown, message) => {
    const registry = makeRegistry();
    registry.createType('todo', {
      fetch: async () => {
        throw thrown;
      },
    });

    const ref = registry.fetchItem('todo', 1);
    await flush();

    expect(ref.meta.status).toBe('error');
    expect(ref.meta.error).toBeInstanceOf(Error);
    expect(ref.meta.error?.message).toBe(message);
    expect(ref.meta.error?.cause).toBe(thrown);
  });

  it('a thrown object with a numeric status keeps it on the Error', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: () => Promise.reject({ status: 404, detail: 'missing' }) });

    const ref = registry.fetchItem('todo', 1);
    await flush();

    expect(ref.meta.error).toBeInstanceOf(Error);
    expect((ref.meta.error as Error & { status?: number }).status).toBe(404);
  });

  it('a thrown object that cannot be serialised still becomes an Error', async () => {
    const registry = makeRegistry();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    registry.createType('todo', { fetch: () => Promise.reject(circular) });

    const ref = registry.fetchItem('todo', 1);
    await flush();

    expect(ref.meta.error).toBeInstanceOf(Error);
    expect(ref.meta.error?.message).toBe('A non-Error object was thrown');
  });
});
