// Contract: the live refs reads return — their fields, snapshots, subscriptions and methods (SPEC §2 "Reads").
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import {
  controlledCollectionFetcher,
  controlledFetcher,
  countingFetcher,
  flush,
  makeRegistry,
  todoRegistry,
  todosRegistry,
} from './support/registry';

/** The meta fields item and collection refs both have (SPEC §2 "Reads"). */
const SHARED_META_FIELDS = [
  'activeQueryId',
  'error',
  'isFetching',
  'isLoading',
  'isPredicted',
  'lastFetched',
  'lastUsedAt',
];

withFakeClock({ now: '2030-01-01T00:00:00.000Z' });

describe('ItemRef', () => {
  it('has the fields the contract names', async () => {
    const { registry } = todoRegistry();

    const ref = registry.fetchItem('todo', 5);

    expect(ref).toMatchObject({ type: 'todo', id: '5', level: 'default', data: null });
    expect(Object.keys(ref.meta).sort()).toEqual([...SHARED_META_FIELDS, 'levels', 'status'].sort());
    expect(typeof ref.meta.activeQueryId).toBe('string');
    expect(ref.meta.lastUsedAt).toBe('2030-01-01T00:00:00.000Z');
    expect(ref.meta.levels).toEqual({ default: { lastFetched: null, isFetching: true, error: null } });
  });

  it('getSnapshot() is the same frozen object until something changes', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    const first = ref.getSnapshot();
    expect(ref.getSnapshot()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.meta)).toBe(true);
    registry.fetchItem('todo', 1);
    expect(ref.getSnapshot()).toBe(first);

    fetcher.call(0).resolve({ v: 1 });
    await flush();
    const second = ref.getSnapshot();
    expect(second).not.toBe(first);
    expect(ref.getSnapshot()).toBe(second);
  });

  it('meta.lastUsedAt follows consumer reads without changing the snapshot', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const snapshot = ref.getSnapshot();

    await vi.advanceTimersByTimeAsync(1000);
    registry.fetchItem('todo', 1);

    expect(ref.meta.lastUsedAt).toBe('2030-01-01T00:00:01.000Z');
    expect(ref.getSnapshot()).toBe(snapshot);
  });

  it('subscribers are told of every change until they unsubscribe', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    const seen: unknown[] = [];
    const unsubscribe = ref.subscribe(() => seen.push(ref.data));

    fetcher.call(0).resolve({ v: 1 });
    await flush();
    expect(seen).toContainEqual({ v: 1 });

    unsubscribe();
    unsubscribe();
    const count = seen.length;
    registry.fetchItem('todo', 1, null, { force: true });
    fetcher.call(1).resolve({ v: 2 });
    await flush();
    expect(seen).toHaveLength(count);
    expect(ref.data).toEqual({ v: 2 });
  });

  it('one listener subscribed twice is two subscriptions, each released on its own', async () => {
    const registry = makeRegistry();
    const fetcher = controlledFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });
    const ref = registry.fetchItem('todo', 1);
    // `probe` counts the changes; `twice` hears each of them once per subscription it holds.
    const probe = vi.fn();
    ref.subscribe(probe);
    const twice = vi.fn();
    const first = ref.subscribe(twice);
    const second = ref.subscribe(twice);
    expect(registry.devtools().entries[0]).toMatchObject({ subscribers: 3 });

    fetcher.call(0).resolve({ v: 1 });
    await flush();
    expect(probe.mock.calls.length).toBeGreaterThan(0);
    expect(twice).toHaveBeenCalledTimes(2 * probe.mock.calls.length);

    first();
    first();
    expect(registry.devtools().entries[0]).toMatchObject({ subscribers: 2 });
    probe.mockClear();
    twice.mockClear();
    registry.fetchItem('todo', 1, null, { force: true });
    fetcher.call(1).resolve({ v: 2 });
    await flush();
    expect(probe.mock.calls.length).toBeGreaterThan(0);
    expect(twice).toHaveBeenCalledTimes(probe.mock.calls.length);

    second();
    expect(registry.devtools().entries[0]).toMatchObject({ subscribers: 1 });
  });

  it('a throwing subscriber does not disturb other subscribers or the entry', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    const stopBad = ref.subscribe(() => {
      throw new Error('bad subscriber');
    });
    const good = vi.fn();
    const stopGood = ref.subscribe(good);

    fetcher.call(0).resolve({ v: 1 });
    await flush();

    expect(good).toHaveBeenCalled();
    expect(ref.meta.status).toBe('fresh');
    expect(ref.data).toEqual({ v: 1 });
    stopBad();
    stopGood();
  });

  it('refresh() refetches and resolves once the fetch has settled', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    fetcher.call(0).resolve({ v: 1 });
    await flush();
    let done = false;

    void ref.refresh().then(() => {
      done = true;
    });
    expect(fetcher.count).toBe(2);
    await flush();
    expect(done).toBe(false);
    fetcher.call(1).resolve({ v: 2 });
    await flush();

    expect(done).toBe(true);
    expect(ref.data).toEqual({ v: 2 });
  });

  it('remove() drops the entry and tells its subscribers; removing twice is harmless', async () => {
    const registry = makeRegistry();
    registry.createType('todo', { fetch: countingFetcher().fetch });
    const ref = registry.fetchItem('todo', 1);
    await flush();
    const listener = vi.fn();
    ref.subscribe(listener);

    ref.remove();
    ref.remove();

    expect(listener).toHaveBeenCalled();
    expect(registry.state().types.todo?.entries).toBe(0);
  });

  it('state is the seed-001 view { loading, error, value }', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.item('todo', 1);
    expect(ref.state).toEqual({ loading: true, error: null, value: null });

    fetcher.call(0).resolve({ v: 1 });
    await flush();
    expect(ref.state).toEqual({ loading: false, error: null, value: { v: 1 } });
  });

  it("actor is the entry's running XState actor, its state the entry's status", async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    const actor = ref.actor;
    expect(actor.getSnapshot().value).toBe('fetching');
    fetcher.call(0).resolve({ v: 1 });
    await flush();

    expect(actor.getSnapshot().status).toBe('active');
    expect(actor.getSnapshot().value).toBe('fresh');
    expect(actor.getSnapshot().context.data).toEqual({ v: 1 });
  });

  it('refs of one entry share its state', async () => {
    const registry = makeRegistry();
    const fetcher = countingFetcher();
    registry.createType('todo', { fetch: fetcher.fetch });

    const a = registry.fetchItem('todo', 1);
    const b = registry.item('todo', 1);
    await flush();

    expect(a).not.toBe(b);
    expect(a.getSnapshot()).toBe(b.getSnapshot());
  });
});

describe('CollectionRef', () => {
  it('has the fields the contract names', () => {
    const registry = makeRegistry();
    registry.createCollection('todos', { fetch: controlledCollectionFetcher().fetch });

    const ref = registry.fetchCollection('todos', { params: { owner: 'ann' } });

    expect(ref.name).toBe('todos');
    expect(ref.data).toEqual({ ids: [], count: 0, meta: null });
    expect(Object.keys(ref.meta).sort()).toEqual(
      [...SHARED_META_FIELDS, 'paramsKey', 'paramsSnapshot', 'status'].sort(),
    );
    expect(ref.meta.paramsSnapshot).toEqual({ owner: 'ann' });
    expect(ref.meta.paramsKey).toBe('{"owner":"ann"}');
  });

  it('count defaults to the number of ids; count and meta are kept when given', async () => {
    const { registry, fetcher } = todosRegistry();
    const a = registry.fetchCollection('todos', { params: { page: 1 } });
    const b = registry.fetchCollection('todos', { params: { page: 2 } });

    fetcher.call(0).resolve({ ids: [1, 2, 3] });
    fetcher.call(1).resolve({ ids: [4], count: 40, meta: { next: 3 } });
    await flush();

    expect(a.data).toEqual({ ids: [1, 2, 3], count: 3, meta: null });
    expect(b.data).toEqual({ ids: [4], count: 40, meta: { next: 3 } });
  });

  it('paramsSnapshot is a frozen copy: later changes to the caller’s params do not leak in', () => {
    const { registry, fetcher } = todosRegistry();
    const params = { tags: ['a'], page: 1 };

    const ref = registry.fetchCollection('todos', { params });
    params.tags.push('b');
    params.page = 2;

    expect(ref.meta.paramsSnapshot).toEqual({ tags: ['a'], page: 1 });
    expect(Object.isFrozen(ref.meta.paramsSnapshot)).toBe(true);
    expect(fetcher.call(0).params).toEqual({ tags: ['a'], page: 1 });
  });

  it('setParams() points the ref, and its subscribers, at another param set', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.fetchCollection('todos', { params: { page: 1 } });
    fetcher.call(0).resolve({ ids: [1] });
    await flush();
    const listener = vi.fn();
    const unsubscribe = ref.subscribe(listener);

    ref.setParams({ page: 2 });
    expect(fetcher.call(1).params).toEqual({ page: 2 });
    expect(ref.meta.paramsKey).toBe('{"page":2}');
    expect(ref.meta.isLoading).toBe(true);
    expect(listener).toHaveBeenCalled();
    listener.mockClear();

    fetcher.call(1).resolve({ ids: [2] });
    await flush();
    expect(ref.data.ids).toEqual([2]);
    expect(listener).toHaveBeenCalled();
    expect(registry.state().collections.todos?.entries).toBe(2);
    unsubscribe();
  });

  it('setParams() to params already cached shows them without a fetch', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.fetchCollection('todos', { params: { page: 1 } });
    fetcher.call(0).resolve({ ids: [1] });
    await flush();
    ref.setParams({ page: 2 });
    fetcher.call(1).resolve({ ids: [2] });
    await flush();

    ref.setParams({ page: 1 });

    expect(fetcher.count).toBe(2);
    expect(ref.data.ids).toEqual([1]);
  });

  it('state is the seed-001 view { loading, error, items, meta }', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.collection('todos', { page: 1 });
    expect(ref.state).toEqual({ loading: true, error: null, items: [], meta: null });

    fetcher.call(0).resolve({ ids: [1], meta: { total: 1 } });
    await flush();
    expect(ref.state).toEqual({ loading: false, error: null, items: [1], meta: { total: 1 } });
  });

  it('refresh() refetches and resolves once the fetch has settled', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.fetchCollection('todos');
    fetcher.call(0).resolve({ ids: [1] });
    await flush();

    const done = ref.refresh();
    expect(fetcher.count).toBe(2);
    fetcher.call(1).resolve({ ids: [1, 2] });
    await done;

    expect(ref.data.ids).toEqual([1, 2]);
  });

  it('remove() drops the entry; the next read fetches afresh', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.fetchCollection('todos');
    fetcher.call(0).resolve({ ids: [1] });
    await flush();

    ref.remove();
    const again = registry.fetchCollection('todos');

    expect(fetcher.count).toBe(2);
    expect(again.meta.isLoading).toBe(true);
  });
});

describe('registry-wide loading queries', () => {
  it('isItemLoading, isCollectionLoading and hasAnyInFlightRequests follow fetches in flight', async () => {
    const registry = makeRegistry();
    const items = controlledFetcher();
    const lists = controlledCollectionFetcher();
    registry.createType('todo', { fetch: items.fetch, levels: { full: { fetch: items.fetch } } });
    registry.createCollection('todos', { fetch: lists.fetch });
    expect(registry.hasAnyInFlightRequests()).toBe(false);

    registry.fetchItem('todo', 1, 'full');
    registry.fetchCollection('todos', { params: { page: 1 } });
    expect(registry.isItemLoading('todo', 1, 'full')).toBe(true);
    expect(registry.isItemLoading('todo', 1)).toBe(false);
    expect(registry.isCollectionLoading('todos', { page: 1 })).toBe(true);
    expect(registry.isCollectionLoading('todos')).toBe(false);
    expect(registry.hasAnyInFlightRequests()).toBe(true);

    items.call(0).resolve({});
    await flush();
    expect(registry.isItemLoading('todo', 1, 'full')).toBe(false);
    expect(registry.hasAnyInFlightRequests()).toBe(true);
    lists.call(0).resolve({ ids: [] });
    await flush();
    expect(registry.hasAnyInFlightRequests()).toBe(false);
  });
});
