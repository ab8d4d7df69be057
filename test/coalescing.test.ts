// Contract: one request in flight per (type, id, level) and per (collection, params key) (SPEC §3 "Coalescing", "Ids").
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { recordLifecycle } from './support/lifecycle';
import {
  controlledCollectionFetcher,
  controlledFetcher,
  countingFetcher,
  flush,
  makeRegistry,
  todoRegistry,
  todosRegistry,
} from './support/registry';

withFakeClock();

describe('concurrent reads share one request', () => {
  it('reads of one item while its fetch is in flight make one fetch and see one result', async () => {
    const { registry, fetcher } = todoRegistry();

    const refs = Array.from({ length: 5 }, () => registry.fetchItem('todo', 7));
    expect(fetcher.count).toBe(1);
    fetcher.call(0).resolve({ title: 'shared' });
    await flush();

    for (const ref of refs) expect(ref.data).toEqual({ title: 'shared' });
    expect(fetcher.count).toBe(1);
  });

  it('each coalesced read is reported with the query id it joined', () => {
    const { registry } = todoRegistry();
    const events = recordLifecycle(registry, ['item:fetch:intent', 'item:fetch:coalesced']);

    registry.fetchItem('todo', 7);
    registry.fetchItem('todo', 7);

    const [intent, coalesced] = events.events;
    expect(events.names()).toEqual(['item:fetch:intent', 'item:fetch:coalesced']);
    expect(coalesced?.detail).toMatchObject({ type: 'todo', id: '7', level: 'default', queued: false });
    expect(coalesced?.detail.qid).toBe(intent?.detail.qid);
  });

  it('different ids and different levels fetch separately', () => {
    const registry = makeRegistry();
    const fetcher = controlledFetcher();
    registry.createType('todo', { fetch: fetcher.fetch, levels: { full: { fetch: fetcher.fetch } } });

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 2);
    registry.fetchItem('todo', 1, 'full');

    expect(fetcher.calls.map((call) => [call.id, call.level])).toEqual([
      ['1', 'default'],
      ['2', 'default'],
      ['1', 'full'],
    ]);
  });

  it('collection reads with the same params key share one request, whatever the key order', async () => {
    const { registry, fetcher } = todosRegistry();

    const a = registry.fetchCollection('todos', { params: { owner: 'ann', done: false } });
    const b = registry.fetchCollection('todos', { params: { done: false, owner: 'ann' } });
    const c = registry.fetchCollection('todos', { params: { done: false, owner: 'ann', page: undefined } });
    expect(fetcher.count).toBe(1);
    expect(fetcher.call(0).params).toEqual({ done: false, owner: 'ann' });

    fetcher.call(0).resolve({ ids: [1, 2] });
    await flush();
    for (const ref of [a, b, c]) expect(ref.data.ids).toEqual([1, 2]);
    expect(a.meta.paramsKey).toBe('{"done":false,"owner":"ann"}');
  });

  it('null, undefined and {} params are one default entry', () => {
    const { registry, fetcher } = todosRegistry();

    registry.fetchCollection('todos');
    registry.fetchCollection('todos', { params: null });
    registry.fetchCollection('todos', { params: {} });
    registry.collection('todos');

    expect(fetcher.count).toBe(1);
    expect(fetcher.call(0).params).toEqual({});
  });

  it("a collection's own key(params) decides which reads share an entry", () => {
    const registry = makeRegistry();
    const fetcher = controlledCollectionFetcher();
    registry.createCollection('todos', {
      fetch: fetcher.fetch,
      key: (params) => String((params as { owner?: string }).owner ?? 'all'),
    });

    const a = registry.fetchCollection('todos', { params: { owner: 'ann', page: 1 } });
    registry.fetchCollection('todos', { params: { owner: 'ann', page: 2 } });
    registry.fetchCollection('todos', { params: { owner: 'bob' } });

    expect(fetcher.count).toBe(2);
    expect(a.meta.paramsKey).toBe('ann');
  });

  it('different params fetch separately', () => {
    const { registry, fetcher } = todosRegistry();

    registry.fetchCollection('todos', { params: { page: 1 } });
    registry.fetchCollection('todos', { params: { page: 2 } });

    expect(fetcher.calls.map((call) => call.params)).toEqual([{ page: 1 }, { page: 2 }]);
  });
});

describe('ids are compared as strings', () => {
  it("ids 42 and '42' are one entry with one fetch", async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });

    const numeric = registry.fetchItem('todo', 42);
    const text = registry.fetchItem('todo', '42');
    await flush();

    expect(fetcher.count).toBe(1);
    expect(fetcher.fetch).toHaveBeenCalledWith('42', 'default', expect.objectContaining({}));
    expect(numeric.id).toBe('42');
    expect(text.data).toEqual(numeric.data);
    expect(registry.state().types.todo?.entries).toBe(1);
  });

  it('isItemLoading accepts either form of the id', () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: controlledFetcher().fetch });

    registry.fetchItem('todo', '42');

    expect(registry.isItemLoading('todo', 42)).toBe(true);
    expect(registry.isItemLoading('todo', '42')).toBe(true);
    expect(registry.isItemLoading('todo', 43)).toBe(false);
  });

  it("a directive naming id 42 reaches the entry read as '42'", async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    const ref = registry.fetchItem('todo', '42');
    await flush();

    void registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 42, result: { data: { v: 'pushed' } } },
    ]);
    await vi.advanceTimersByTimeAsync(50);

    expect(ref.data).toMatchObject({ v: 'pushed' });
  });
});
