// Directives on collections (SPEC §1.1, §3 "Directives"): which cached params match, and results that carry data.
import { describe, expect, it } from 'vitest';
import type { Backend } from './support/backend';
import { withFakeClock } from './support/clock';
import { apply, flushWindow, prime, track } from './support/directive-fixtures';
import { entryCounts, start } from './support/directive-setup';
import { recordLifecycle } from './support/lifecycle';

withFakeClock();

describe('collection matching', () => {
  const PARAM_SETS = [
    null,
    { status: 'open' },
    { status: 'open', page: 2 },
    { status: 'done' },
    { filter: { tags: ['a', 'b'], owner: { id: 7 } }, page: 1 },
  ];

  async function primeCollections() {
    const made = start();
    await prime(made.backend, () => {
      for (const params of PARAM_SETS) made.registry.fetchCollection('todos', { params });
    });
    return made;
  }

  const fetchedParams = (backend: Backend) => backend.collectionCalls('todos').map((c) => c.params);

  it('without params, every cached param set refetches', async () => {
    const { backend, registry } = await primeCollections();
    await apply(registry, [{ op: 'refresh_collection', name: 'todos' }]);
    expect(backend.count()).toBe(PARAM_SETS.length);
    expect(fetchedParams(backend)).toEqual(expect.arrayContaining(PARAM_SETS.map((p) => p ?? {})));
  });

  it('with params null, every cached param set refetches', async () => {
    const { backend, registry } = await primeCollections();
    await apply(registry, [{ op: 'refresh_collection', name: 'todos', params: null }]);
    expect(backend.count()).toBe(PARAM_SETS.length);
  });

  it('exact params match only the entry with that key, whatever the key order', async () => {
    const { backend, registry } = await primeCollections();
    await apply(registry, [{ op: 'refresh_collection', name: 'todos', params: { page: 2, status: 'open' } }]);
    expect(fetchedParams(backend)).toEqual([{ status: 'open', page: 2 }]);
  });

  it('exact is the default params_mode and can be named', async () => {
    const { backend, registry } = await primeCollections();
    await apply(registry, [
      { op: 'refresh_collection', name: 'todos', params: { status: 'open' }, params_mode: 'exact' },
    ]);
    expect(fetchedParams(backend)).toEqual([{ status: 'open' }]);
  });

  it('exact params that name no cached entry match nothing', async () => {
    const { backend, registry } = await primeCollections();
    const counts = entryCounts(registry);
    const report = await apply(registry, [
      { op: 'refresh_collection', name: 'todos', params: { status: 'archived' } },
    ]);
    expect(backend.count()).toBe(0);
    expect(entryCounts(registry)).toEqual(counts);
    expect(report.rejected).toEqual([]);
  });

  it('contains matches every entry whose params include each given key', async () => {
    const { backend, registry } = await primeCollections();
    await apply(registry, [
      { op: 'refresh_collection', name: 'todos', params: { status: 'open' }, params_mode: 'contains' },
    ]);
    expect(fetchedParams(backend)).toHaveLength(2);
    expect(fetchedParams(backend)).toEqual(
      expect.arrayContaining([{ status: 'open' }, { status: 'open', page: 2 }]),
    );
  });

  it('contains compares nested values deeply, ignoring key order', async () => {
    const { backend, registry } = await primeCollections();
    await apply(registry, [
      {
        op: 'refresh_collection',
        name: 'todos',
        params: { filter: { owner: { id: 7 }, tags: ['a', 'b'] } },
        params_mode: 'contains',
      },
    ]);
    expect(fetchedParams(backend)).toEqual([{ filter: { tags: ['a', 'b'], owner: { id: 7 } }, page: 1 }]);
  });

  it('contains needs a deep-equal value: a partial nested value does not match', async () => {
    const { backend, registry } = await primeCollections();
    await apply(registry, [
      {
        op: 'refresh_collection',
        name: 'todos',
        params: { filter: { tags: ['a'] } },
        params_mode: 'contains',
      },
      {
        op: 'refresh_collection',
        name: 'todos',
        params: { filter: { tags: ['b', 'a'], owner: { id: 7 } } },
        params_mode: 'contains',
      },
    ]);
    expect(backend.count()).toBe(0);
  });

  it('a custom key(params) decides exact matching', async () => {
    const { backend, registry } = start();
    registry.createCollection('bySlug', {
      fetch: backend.collectionFetcher('bySlug'),
      key: (params) => String((params as { slug?: unknown }).slug),
    });
    await prime(backend, () => {
      registry.fetchCollection('bySlug', { params: { slug: 'a', view: 'grid' } });
      registry.fetchCollection('bySlug', { params: { slug: 'b' } });
    });
    await apply(registry, [{ op: 'refresh_collection', name: 'bySlug', params: { slug: 'a' } }]);
    expect(backend.collectionCalls('bySlug').map((c) => c.params)).toEqual([{ slug: 'a', view: 'grid' }]);
  });
});

describe('collection results', () => {
  it('a result is applied to the exactly named entry, without a refetch', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchCollection('todos', { params: { status: 'open' } });
    const other = registry.fetchCollection('todos', { params: { status: 'done' } });
    await prime(backend, () => {});
    const otherBefore = other.getSnapshot();
    const report = await apply(registry, [
      {
        op: 'refresh_collection',
        name: 'todos',
        params: { status: 'open' },
        result: { ids: [9, 8], count: 20, meta: { page: 1 } },
      },
    ]);
    expect(backend.calls).toEqual([]);
    expect(ref.data).toEqual({ ids: [9, 8], count: 20, meta: { page: 1 } });
    expect(ref.meta.status).toBe('fresh');
    expect(ref.meta.isFetching).toBe(false);
    expect(other.getSnapshot()).toEqual(otherBefore);
    expect(report.applied).toHaveLength(1);
  });

  it('a result without count counts its ids', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchCollection('todos', { params: { status: 'open' } });
    await prime(backend, () => {});
    await apply(registry, [
      {
        op: 'refresh_collection',
        name: 'todos',
        params: { status: 'open' },
        result: { ids: ['a', 'b', 'c'] },
      },
    ]);
    expect(ref.data.ids).toEqual(['a', 'b', 'c']);
    expect(ref.data.count).toBe(3);
    expect(backend.calls).toEqual([]);
  });

  it('with contains, a result is ignored and the matched entries refetch', async () => {
    const { backend, registry } = start();
    const open = registry.fetchCollection('todos', { params: { status: 'open' } });
    const openPage = registry.fetchCollection('todos', { params: { status: 'open', page: 2 } });
    await prime(backend, () => {});
    await apply(registry, [
      {
        op: 'refresh_collection',
        name: 'todos',
        params: { status: 'open' },
        params_mode: 'contains',
        result: { ids: ['x'], count: 1 },
      },
    ]);
    expect(backend.count()).toBe(2);
    expect(open.data.ids).not.toEqual(['x']);
    expect(openPage.data.ids).not.toEqual(['x']);
  });

  it('a result without params fills the default-key entry without a fetch; other param sets refetch', async () => {
    const { backend, registry } = start();
    const all = registry.fetchCollection('todos');
    const open = registry.fetchCollection('todos', { params: { status: 'open' } });
    await prime(backend, () => {});
    const report = await apply(registry, [
      { op: 'refresh_collection', name: 'todos', result: { ids: ['x', 'y'], count: 2 } },
    ]);
    expect(all.data).toEqual({ ids: ['x', 'y'], count: 2, meta: null });
    expect(all.meta.status).toBe('fresh');
    expect(backend.collectionCalls('todos').map((c) => c.params)).toEqual([{ status: 'open' }]);
    expect(open.data.ids).not.toEqual(['x', 'y']);
    expect(report.applied).toHaveLength(1);
  });

  it('a result without params fills only the default key of a collection with a custom key()', async () => {
    const { backend, registry } = start();
    registry.createCollection('keyed', {
      fetch: backend.collectionFetcher('keyed'),
      key: (params) => `k:${String(params.page ?? 1)}`,
    });
    const first = registry.fetchCollection('keyed');
    await prime(backend, () => registry.fetchCollection('keyed', { params: { page: 2 } }));
    await apply(registry, [{ op: 'refresh_collection', name: 'keyed', result: { ids: [7] } }]);
    expect(first.data.ids).toEqual([7]);
    expect(backend.collectionCalls('keyed').map((c) => c.params)).toEqual([{ page: 2 }]);
  });

  it('a result without params, when no default-key entry is cached, creates nothing and refetches the rest', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchCollection('todos', { params: { status: 'open' } }));
    const counts = entryCounts(registry);
    await apply(registry, [{ op: 'refresh_collection', name: 'todos', result: { ids: ['x'] } }]);
    expect(entryCounts(registry)).toEqual(counts);
    expect(backend.count()).toBe(1);
  });

  it.each([
    ['an object', { evil: 1 }],
    ['null', null],
    ['an array', []],
    ['a boolean', true],
    ['an empty string', ''],
    ['NaN', Number.NaN],
  ])('a result whose ids hold %s is rejected with a reason, and changes nothing', async (_label, bad) => {
    const { backend, registry } = start();
    const ref = registry.fetchCollection('todos');
    await prime(backend, () => {});
    const before = ref.data;
    const report = await apply(registry, [
      { op: 'refresh_collection', name: 'todos', result: { ids: ['ok', bad] } },
      { op: 'refresh_collection', name: 'todos', result: { items: [{ id: 'ok' }, { id: bad }] } },
    ]);
    expect(report.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^result\.ids\[1\] must be a non-empty string or a finite number/),
      expect.stringMatching(/^result\.items\[1\]\.id must be a non-empty string or a finite number/),
    ]);
    expect(ref.data).toBe(before);
    expect(backend.count()).toBe(0);
  });

  it('a result for a param set that is not cached creates nothing', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchCollection('todos', { params: { status: 'open' } }));
    const counts = entryCounts(registry);
    await apply(registry, [
      { op: 'refresh_collection', name: 'todos', params: { status: 'done' }, result: { ids: ['x'] } },
    ]);
    expect(entryCounts(registry)).toEqual(counts);
    expect(backend.count()).toBe(0);
  });

  it('a result supersedes the fetch in flight: its late response is discarded and nothing is queued', async () => {
    const { backend, registry } = start();
    const events = recordLifecycle(registry, ['collection:fetch:aborted']);
    backend.hold();
    const ref = registry.fetchCollection('todos', { params: { status: 'open' } });
    expect(backend.count()).toBe(1);
    const signal = backend.signals[0]!;
    const applying = track(
      registry.applyDirectives([
        { op: 'refresh_collection', name: 'todos', params: { status: 'open' }, result: { ids: ['srv'] } },
      ]),
    );
    await flushWindow();
    expect(ref.data.ids).toEqual(['srv']);
    expect(ref.meta.isFetching).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(events.of('collection:fetch:aborted')).toHaveLength(1);
    expect(applying.settled).toBe(true);
    backend.release();
    await flushWindow();
    expect(ref.data.ids).toEqual(['srv']);
    expect(backend.count()).toBe(1);
  });
});
