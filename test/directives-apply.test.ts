// The directive contract (SPEC §1.1, §2 "Directives and events", §3 "Directives"): one named test per rule.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApplyReport, Directive, DirectiveGate, Registry, RegistryOptions } from '../src/index';
import {
  apply,
  Backend,
  flushWindow,
  recordLifecycle,
  settle,
  testRegistry,
  track,
  WINDOW_MS,
} from './support/directive-fixtures';

/** Short enough to step over in a test, long enough that nothing goes stale on its own meanwhile. */
const RESYNC_WINDOW_MS = 10_000;
const STALENESS_MS = 600_000;

interface Gates {
  todo?: DirectiveGate;
  todos?: DirectiveGate;
}

/**
 * `todo`: levels default and full, where a full fetch also satisfies default; single fetches.
 * `note`: levels default and extra, no conversion. `user`: default only, with bulkFetch.
 * `todos`: a collection.
 */
function setup(options: RegistryOptions = {}, gates: Gates = {}) {
  const backend = new Backend();
  const registry = testRegistry({
    stalenessMs: STALENESS_MS,
    ...options,
    sse: { resyncWindowMs: RESYNC_WINDOW_MS, ...options.sse },
  });
  registry.createType('todo', {
    fetch: backend.itemFetcher('todo'),
    levelConversionMap: { full: ['default'] },
    levels: { full: { fetch: backend.itemFetcher('todo') } },
    ...(gates.todo ? { check: gates.todo } : {}),
  });
  registry.createType('note', {
    fetch: backend.itemFetcher('note'),
    levels: { extra: { fetch: backend.itemFetcher('note') } },
  });
  registry.createType('user', { fetch: backend.itemFetcher('user'), bulkFetch: backend.bulkFetcher('user') });
  registry.createCollection('todos', {
    fetch: backend.collectionFetcher('todos'),
    ...(gates.todos ? { check: gates.todos } : {}),
  });
  return { backend, registry };
}

/** Reads, lets every fetch settle, then forgets the calls the reads made. */
async function prime(backend: Backend, read: () => void): Promise<void> {
  read();
  await flushWindow();
  backend.reset();
}

/** Lets every entry primed so far fall out of the resync window (they stay fresh). */
async function makePassive(): Promise<void> {
  await vi.advanceTimersByTimeAsync(RESYNC_WINDOW_MS + 1);
}

function entryCounts(registry: Registry) {
  const state = registry.state();
  return {
    todo: state.types.todo?.entries,
    note: state.types.note?.entries,
    user: state.types.user?.entries,
    todos: state.collections.todos?.entries,
  };
}

const refreshTodo = (id: string | number, extra: Record<string, unknown> = {}): Directive => ({
  op: 'refresh_item',
  name: 'todo',
  id,
  ...extra,
});

let registry: Registry | undefined;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  registry?.dispose();
  registry = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function start(options?: RegistryOptions, gates?: Gates) {
  const made = setup(options, gates);
  registry = made.registry;
  return made;
}

describe('dialect A', () => {
  it('refresh_item refetches the cached item', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    const before = ref.data;
    const report = await apply(registry, [refreshTodo(1)]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'todo', id: '1', level: 'default' }]);
    expect(report).toEqual({ applied: [refreshTodo(1)], skipped: [], rejected: [] });
    expect(ref.data).not.toEqual(before);
    expect(ref.meta.status).toBe('fresh');
  });

  it('refresh_collection refetches the cached collection entry', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchCollection('todos', { params: { status: 'open' } });
    await prime(backend, () => {});
    const before = ref.data.meta;
    const report = await apply(registry, [{ op: 'refresh_collection', name: 'todos' }]);
    expect(backend.calls).toEqual([{ kind: 'collection', name: 'todos', params: { status: 'open' } }]);
    expect(report.applied).toHaveLength(1);
    expect(ref.data.meta).not.toEqual(before);
  });

  it('invalidate with targets applies each target', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchCollection('todos');
    });
    const targets = [refreshTodo(1), { op: 'refresh_collection', name: 'todos' }];
    const report = await apply(registry, [{ op: 'invalidate', targets }]);
    expect(backend.count((c) => c.kind === 'item')).toBe(1);
    expect(backend.count((c) => c.kind === 'collection')).toBe(1);
    expect(report.applied).toEqual(targets);
    expect(report.rejected).toEqual([]);
  });

  it('nested invalidate groups are flattened recursively', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
      registry.fetchCollection('todos');
    });
    const leafA = refreshTodo(1);
    const leafB = refreshTodo(2);
    const leafC = { op: 'refresh_collection', name: 'todos' };
    const group = {
      op: 'invalidate',
      targets: [leafA, { op: 'invalidate', targets: [{ op: 'invalidate', targets: [leafB] }, leafC] }],
    };
    const report = await apply(registry, [group]);
    expect(report.applied).toEqual([leafA, leafB, leafC]);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(expect.arrayContaining(['1', '2']));
    expect(backend.count()).toBe(3);
  });

  it('groups nest eight deep; a group nested deeper is rejected and its targets are not applied', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
    });
    const nest = (depth: number, leaf: Directive): Directive =>
      depth === 0 ? leaf : { op: 'invalidate', targets: [nest(depth - 1, leaf)] };
    const ok = await apply(registry, [nest(8, refreshTodo(1))]);
    expect(ok.applied).toEqual([refreshTodo(1)]);
    expect(ok.rejected).toEqual([]);
    const tooDeep = await apply(registry, [nest(9, refreshTodo(2))]);
    expect(tooDeep.applied).toEqual([]);
    expect(tooDeep.rejected).toHaveLength(1);
    expect(tooDeep.rejected[0]?.reason).toMatch(/deep|nest/i);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1']);
  });

  it('force_reload_page calls onForceReload with hard', async () => {
    const onForceReload = vi.fn();
    const { registry } = start({ onForceReload });
    const report = await apply(registry, [{ op: 'force_reload_page', hard: true }]);
    expect(onForceReload).toHaveBeenCalledTimes(1);
    expect(onForceReload).toHaveBeenCalledWith({ hard: true });
    expect(report.applied).toEqual([{ op: 'force_reload_page', hard: true }]);
    await apply(registry, [{ op: 'force_reload_page' }]);
    expect(onForceReload).toHaveBeenLastCalledWith({ hard: false });
  });

  it('force_reload_page without onForceReload and without a location is ignored', async () => {
    const { registry } = start();
    const report = await apply(registry, [{ op: 'force_reload_page' }]);
    expect(report.applied).toHaveLength(1);
    expect(report.rejected).toEqual([]);
  });
});

describe('dialect B', () => {
  it.each(['refresh', 'invalidate'])('op %s with kind item refetches the cached item', async (op) => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 7));
    const directive = { op, kind: 'item', name: 'todo', id: 7 };
    const report = await apply(registry, [directive]);
    expect(report.applied).toEqual([directive]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'todo', id: '7', level: 'default' }]);
  });

  it.each(['refresh', 'invalidate'])(
    'op %s with kind collection refetches the matching entries',
    async (op) => {
      const { backend, registry } = start();
      await prime(backend, () => {
        registry.fetchCollection('todos', { params: { page: 1 } });
        registry.fetchCollection('todos', { params: { page: 2 } });
      });
      const directive = { op, kind: 'collection', name: 'todos', params: { page: 2 } };
      const report = await apply(registry, [directive]);
      expect(report.applied).toEqual([directive]);
      expect(backend.calls).toEqual([{ kind: 'collection', name: 'todos', params: { page: 2 } }]);
    },
  );

  it('a dialect-B item directive carries level and result like dialect A', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    await apply(registry, [
      { op: 'refresh', kind: 'item', name: 'todo', id: 1, result: { data: { id: '1', default: 'server' } } },
    ]);
    expect(backend.calls).toEqual([]);
    expect(ref.data).toMatchObject({ default: 'server' });
  });

  it('an unknown kind is rejected with a reason', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const report = await apply(registry, [{ op: 'refresh', kind: 'thing', name: 'todo', id: 1 }]);
    expect(report.rejected).toHaveLength(1);
    expect(report.rejected[0]?.reason).toMatch(/kind/);
    expect(backend.calls).toEqual([]);
  });
});

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
    const events = recordLifecycle(registry, 'collection:fetch:aborted');
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

describe('item results', () => {
  it('{ data } is applied to the default level without a refetch', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    await apply(registry, [refreshTodo(1, { result: { data: { id: '1', default: 'server', title: 'T' } } })]);
    expect(backend.calls).toEqual([]);
    expect(ref.data).toEqual({ id: '1', default: 'server', title: 'T' });
    expect(ref.meta.status).toBe('fresh');
  });

  it('{ level, data } stamps that level and the levels it converts to, without a refetch', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => registry.fetchItem('todo', 1, 'full'));
    await apply(registry, [refreshTodo(1, { result: { level: 'full', data: { full: 'server' } } })]);
    expect(backend.calls).toEqual([]);
    expect(ref.data).toMatchObject({ full: 'server' });
    expect(ref.meta.status).toBe('fresh');
  });

  it('{ levels } applies each named level, without a refetch', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('note', 1);
    await prime(backend, () => registry.fetchItem('note', 1, 'extra'));
    await apply(registry, [
      {
        op: 'refresh_item',
        name: 'note',
        id: 1,
        result: { levels: { default: { default: 'd' }, extra: { data: { extra: 'e' }, ts: Date.now() } } },
      },
    ]);
    expect(backend.calls).toEqual([]);
    expect(ref.data).toMatchObject({ default: 'd', extra: 'e' });
    expect(ref.meta.status).toBe('fresh');
  });

  it('{ levels: { name: { data } } } without ts is the wrapped form: its data is merged, not nested', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('note', 1);
    await prime(backend, () => registry.fetchItem('note', 1, 'extra'));
    await apply(registry, [
      { op: 'refresh_item', name: 'note', id: 1, result: { levels: { extra: { data: { details: 'd' } } } } },
    ]);
    expect(ref.data).toMatchObject({ details: 'd' });
    expect(ref.data).not.toHaveProperty('data');
    expect(backend.calls).toEqual([{ kind: 'item', type: 'note', id: '1', level: 'default' }]);
  });

  it('only the levels a result does not satisfy are refetched', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('note', 1);
    await prime(backend, () => registry.fetchItem('note', 1, 'extra'));
    await apply(registry, [
      { op: 'refresh_item', name: 'note', id: 1, result: { data: { default: 'srv' } } },
    ]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'note', id: '1', level: 'extra' }]);
    expect(ref.data).toMatchObject({ default: 'srv' });
  });

  it('a result for a level the item does not hold yet is applied, and what it holds still refreshes', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('note', 1);
    await prime(backend, () => {});
    await apply(registry, [
      { op: 'refresh_item', name: 'note', id: 1, result: { level: 'extra', data: { extra: 'srv' } } },
    ]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'note', id: '1', level: 'default' }]);
    expect(ref.data).toMatchObject({ extra: 'srv' });
    expect(Object.keys(ref.meta.levels).sort()).toEqual(['default', 'extra']);
  });

  it("a result satisfies a converted level only when its data passes that level's checkIfExists", async () => {
    const { backend, registry } = start();
    registry.createType('doc', {
      fetch: backend.itemFetcher('doc'),
      levelConversionMap: { full: ['summary', 'default'] },
      levels: {
        summary: {
          fetch: backend.itemFetcher('doc'),
          checkIfExists: (data) => Object.hasOwn(data as object, 'title'),
        },
        full: { fetch: backend.itemFetcher('doc') },
      },
    });
    await prime(backend, () => {
      registry.fetchItem('doc', 1);
      registry.fetchItem('doc', 1, 'summary');
      registry.fetchItem('doc', 2);
      registry.fetchItem('doc', 2, 'summary');
    });
    await apply(registry, [
      { op: 'refresh_item', name: 'doc', id: 1, result: { level: 'full', data: { body: 'b' } } },
      { op: 'refresh_item', name: 'doc', id: 2, result: { level: 'full', data: { body: 'b', title: 't' } } },
    ]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'doc', id: '1', level: 'summary' }]);
  });

  it('a result supersedes the fetch in flight: the fetch is aborted, its response discarded, nothing queued', async () => {
    const { backend, registry } = start();
    const events = recordLifecycle(registry, 'item:fetch:aborted');
    backend.hold();
    const ref = registry.fetchItem('todo', 1);
    expect(ref.meta.isLoading).toBe(true);
    const signal = backend.signals[0]!;
    await apply(registry, [refreshTodo(1, { result: { data: { id: '1', default: 'server' } } })]);
    expect(ref.data).toEqual({ id: '1', default: 'server' });
    expect(ref.meta.isFetching).toBe(false);
    expect(ref.meta.isLoading).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(events.of('item:fetch:aborted')).toHaveLength(1);
    backend.release();
    await flushWindow();
    expect(ref.data).toEqual({ id: '1', default: 'server' });
    expect(backend.count()).toBe(1);
  });

  it('a result supersedes an already queued trailing fetch for the level it satisfies', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    backend.hold();
    registry.fetchItem('todo', 1, undefined, { force: true });
    const queued = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    expect(queued.settled).toBe(false);
    const applying = track(
      registry.applyDirectives([refreshTodo(1, { result: { data: { id: '1', default: 'final' } } })]),
    );
    await flushWindow();
    expect(applying.settled).toBe(true);
    expect(queued.settled).toBe(true);
    backend.release();
    await flushWindow();
    expect(backend.count()).toBe(1);
    expect(ref.data).toEqual({ id: '1', default: 'final' });
  });
});

describe('item levels', () => {
  it('without level, the levels held are refetched with the fewest fetches', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 1, 'full');
    });
    await apply(registry, [refreshTodo(1)]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'todo', id: '1', level: 'full' }]);
  });

  it('levels no conversion links are refetched one by one', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('note', 1);
      registry.fetchItem('note', 1, 'extra');
    });
    await apply(registry, [{ op: 'refresh_item', name: 'note', id: 1 }]);
    expect(
      backend
        .itemCalls()
        .map((c) => c.level)
        .sort(),
    ).toEqual(['default', 'extra']);
  });

  it('with a level the item does not hold, that level is fetched too (covering what it holds)', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    await apply(registry, [refreshTodo(1, { level: 'full' })]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'todo', id: '1', level: 'full' }]);
    expect(ref.meta.levels.full?.lastFetched).not.toBeNull();
  });

  it('level null or "" means the default level', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('note', 1));
    const report = await apply(registry, [
      { op: 'refresh_item', name: 'note', id: 1, level: null },
      { op: 'refresh_item', name: 'note', id: 1, level: '' },
    ]);
    expect(report.applied).toHaveLength(2);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'note', id: '1', level: 'default' }]);
  });

  it('an unknown level is skipped with a reason', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const report = await apply(registry, [refreshTodo(1, { level: 'huge' })]);
    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0]?.reason).toMatch(/huge/);
    expect(backend.calls).toEqual([]);
  });

  it('ids are compared as strings: 42 and "42" are one entry', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', '42'));
    await apply(registry, [refreshTodo(42), refreshTodo('42')]);
    expect(backend.calls).toEqual([{ kind: 'item', type: 'todo', id: '42', level: 'default' }]);
  });
});

describe('directives never create state', () => {
  it('directives for ids and param sets that are not cached fetch nothing and create nothing', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchCollection('todos', { params: { page: 1 } });
    });
    const counts = entryCounts(registry);
    const report = await apply(registry, [
      refreshTodo(2),
      refreshTodo(3, { result: { data: { id: '3' } } }),
      { op: 'refresh_item', name: 'user', id: 5 },
      { op: 'refresh_item', name: 'note', id: 5, level: 'extra' },
      { op: 'refresh_collection', name: 'todos', params: { page: 2 } },
      { op: 'refresh_collection', name: 'todos', params: { page: 3 }, result: { ids: [1] } },
      { op: 'refresh_collection', name: 'todos', params: { page: 9 }, params_mode: 'contains' },
    ]);
    expect(backend.count()).toBe(0);
    expect(entryCounts(registry)).toEqual(counts);
    expect(report.rejected).toEqual([]);
    // A first read afterwards is still a first (loud) read: the directive left nothing behind.
    const later = registry.fetchItem('todo', 3);
    expect(later.meta.isLoading).toBe(true);
    expect(later.data).toBeNull();
  });

  it('a collection directive for a collection with no cached entries creates none', async () => {
    const { backend, registry } = start();
    await apply(registry, [{ op: 'refresh_collection', name: 'todos' }]);
    expect(backend.count()).toBe(0);
    expect(entryCounts(registry).todos).toBe(0);
  });
});

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

describe('serialization', () => {
  it('a directive for an entry with a fetch in flight queues exactly one trailing fetch', async () => {
    const { backend, registry } = start();
    backend.hold();
    const ref = registry.fetchItem('todo', 1);
    const first = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    const second = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    const third = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    expect(backend.count()).toBe(1);
    expect(first.settled || second.settled || third.settled).toBe(false);
    backend.release();
    backend.hold();
    await flushWindow();
    expect(backend.count()).toBe(2);
    expect(ref.meta.isFetching).toBe(true);
    expect(ref.meta.isLoading).toBe(false);
    expect(first.settled || second.settled || third.settled).toBe(false);
    backend.release();
    await flushWindow();
    expect(first.settled && second.settled && third.settled).toBe(true);
    expect(backend.count()).toBe(2);
    expect(ref.data).toEqual({ id: '1', default: 'r2' });
  });

  it('a directive for a passive entry with a fetch in flight also queues one trailing fetch', async () => {
    const { backend, registry } = start();
    backend.hold();
    registry.fetchItem('todo', 1);
    await makePassive();
    await flushWindow();
    const applying = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    expect(backend.count()).toBe(1);
    backend.release();
    await settle(applying.promise);
    expect(backend.count()).toBe(2);
  });

  it('a collection with a fetch in flight queues exactly one trailing fetch', async () => {
    const { backend, registry } = start();
    backend.hold();
    registry.fetchCollection('todos');
    const a = track(registry.applyDirectives([{ op: 'refresh_collection', name: 'todos' }]));
    await flushWindow();
    const b = track(registry.applyDirectives([{ op: 'refresh_collection', name: 'todos' }]));
    await flushWindow();
    expect(backend.count()).toBe(1);
    backend.release();
    await settle(Promise.all([a.promise, b.promise]));
    expect(backend.count()).toBe(2);
  });
  it('a directive while one level is fetching ends with data fetched after it, whatever order answers arrive in', async () => {
    const { registry } = start();
    const calls: Array<{ level: string; answer: (data: unknown) => void }> = [];
    const fetch = (_id: string, level: string) =>
      new Promise<unknown>((resolve) => {
        calls.push({ level, answer: resolve });
      });
    registry.createType('doc', {
      fetch,
      levelConversionMap: { full: ['default'] },
      levels: { full: { fetch } },
    });
    const ref = registry.fetchItem('doc', 1);
    registry.fetchItem('doc', 1, 'full');
    calls[0]?.answer({ version: 1 });
    calls[1]?.answer({ version: 2 });
    await flushWindow();
    expect(ref.meta.status).toBe('fresh');
    // A read started before the change is still in flight when the directive arrives.
    registry.fetchItem('doc', 1, undefined, { force: true });
    const beforeDirective = calls.length;
    const applying = track(registry.applyDirectives([{ op: 'refresh_item', name: 'doc', id: 1 }]));
    await flushWindow();
    // Everything asked for after the directive answers first; the answer that predates it comes last.
    for (let round = 0; round < 5; round++) {
      for (const [index, call] of calls.entries())
        if (index >= beforeDirective) call.answer({ version: 100 + index });
      await flushWindow();
    }
    calls[beforeDirective - 1]?.answer({ version: 3 });
    for (let round = 0; round < 5; round++) {
      for (const [index, call] of calls.entries())
        if (index >= beforeDirective) call.answer({ version: 100 + index });
      await flushWindow();
    }
    expect(applying.settled).toBe(true);
    expect((ref.data as { version: number }).version).toBeGreaterThanOrEqual(100);
    expect(ref.meta.isFetching).toBe(false);
  });
});

describe('one batch per window', () => {
  it('directives from several applyDirectives calls within one window are one batch', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchCollection('todos');
    });
    const calls = [track(registry.applyDirectives([refreshTodo(1)]))];
    await vi.advanceTimersByTimeAsync(WINDOW_MS / 2);
    calls.push(
      track(registry.applyDirectives([refreshTodo(1), { op: 'refresh_collection', name: 'todos' }])),
    );
    await vi.advanceTimersByTimeAsync(WINDOW_MS / 2 - 1);
    calls.push(track(registry.applyDirectives({ op: 'refresh', kind: 'item', name: 'todo', id: '1' })));
    calls.push(track(registry.applyDirective({ op: 'refresh_collection', name: 'todos' })));
    expect(backend.count()).toBe(0);
    await settle(Promise.all(calls.map((c) => c.promise)));
    expect(backend.itemCalls()).toHaveLength(1);
    expect(backend.collectionCalls()).toHaveLength(1);
    const reports = calls.map((c) => c.value!);
    expect(reports.map((r) => r.applied.length)).toEqual([1, 2, 1, 1]);
  });

  it('the window does not slide: a call after it closes is the next batch', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const first = track(registry.applyDirectives([refreshTodo(1)]));
    await vi.advanceTimersByTimeAsync(WINDOW_MS - 10);
    const second = track(registry.applyDirectives([refreshTodo(1)]));
    await vi.advanceTimersByTimeAsync(10);
    expect(backend.count()).toBe(1);
    const third = track(registry.applyDirectives([refreshTodo(1)]));
    await settle(Promise.all([first.promise, second.promise, third.promise]));
    expect(backend.count()).toBe(2);
  });

  it('item refetches are grouped into bulkFetch calls, at once when the window closes', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      for (const id of [1, 2, 3, 4, 5]) registry.fetchItem('user', id);
    });
    const a = registry.applyDirectives([1, 2, 3].map((id) => ({ op: 'refresh_item', name: 'user', id })));
    await vi.advanceTimersByTimeAsync(10);
    const b = registry.applyDirectives([4, 5, 1].map((id) => ({ op: 'refresh_item', name: 'user', id })));
    await vi.advanceTimersByTimeAsync(WINDOW_MS - 10);
    expect(backend.bulkCalls('user')).toHaveLength(1);
    expect([...(backend.bulkCalls('user')[0]?.ids ?? [])].sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(backend.itemCalls()).toHaveLength(0);
    await settle(Promise.all([a, b]));
    expect(backend.count()).toBe(1);
  });

  it('bulk refetches are cut into chunks of bulk.maxBatchSize', async () => {
    const { backend, registry } = start({ bulk: { maxBatchSize: 2 } });
    await prime(backend, () => {
      for (const id of [1, 2, 3, 4, 5]) registry.fetchItem('user', id);
    });
    await apply(
      registry,
      [1, 2, 3, 4, 5].map((id) => ({ op: 'refresh_item', name: 'user', id })),
    );
    const bulks = backend.bulkCalls('user');
    expect(bulks).toHaveLength(3);
    expect(bulks.every((call) => call.ids.length <= 2)).toBe(true);
    expect(bulks.flatMap((call) => call.ids).sort()).toEqual(['1', '2', '3', '4', '5']);
  });

  it('an envelope and an applyDirectives call within one window are one batch', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const applying = registry.applyDirectives([refreshTodo(1)]);
    registry.ingestEnvelope({
      type: 'directives',
      seq: 1,
      audience: 'global',
      source: 'someone-else',
      directives: [refreshTodo(1)],
    });
    await settle(applying);
    expect(backend.count()).toBe(1);
  });
});

describe('skips', () => {
  it('a check gate returning false skips the directive with a reason', async () => {
    const check = vi.fn((directive: Directive) => String(directive.id) !== '2');
    const { backend, registry } = start({}, { todo: check });
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
    });
    const report = await apply(registry, [refreshTodo(1), refreshTodo(2)]);
    expect(check).toHaveBeenCalledTimes(2);
    expect(check.mock.calls.map(([directive]) => directive.name)).toEqual(['todo', 'todo']);
    expect(report.applied).toEqual([refreshTodo(1)]);
    expect(report.skipped).toEqual([{ directive: refreshTodo(2), reason: expect.stringMatching(/check/) }]);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1']);
  });

  it('a collection check gate returning false skips the directive', async () => {
    const { backend, registry } = start({}, { todos: () => false });
    await prime(backend, () => registry.fetchCollection('todos'));
    const report = await apply(registry, [{ op: 'refresh_collection', name: 'todos' }]);
    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0]?.reason).not.toBe('');
    expect(backend.count()).toBe(0);
  });

  it('a check gate that throws skips the directive instead of throwing', async () => {
    const { backend, registry } = start(
      {},
      {
        todo: () => {
          throw new Error('gate broke');
        },
      },
    );
    await prime(backend, () => registry.fetchItem('todo', 1));
    const report = await apply(registry, [refreshTodo(1)]);
    expect(report.skipped).toHaveLength(1);
    expect(backend.count()).toBe(0);
  });

  it('the source option equal to this clientId skips every directive of the call', async () => {
    const { backend, registry } = start({ clientId: 'me' });
    await prime(backend, () => registry.fetchItem('todo', 1));
    const report = await apply(registry, [refreshTodo(1), { op: 'refresh_collection', name: 'todos' }], {
      source: 'me',
    });
    expect(report.applied).toEqual([]);
    expect(report.skipped).toHaveLength(2);
    expect(report.skipped.every((s) => s.reason.length > 0)).toBe(true);
    expect(backend.count()).toBe(0);
  });

  it("another source applies, and a directive's own source field is informational", async () => {
    const { backend, registry } = start({ clientId: 'me' });
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
    });
    const first = await apply(registry, [refreshTodo(1)], { source: 'someone-else' });
    const second = await apply(registry, [refreshTodo(2, { source: 'me' })]);
    expect(first.applied).toHaveLength(1);
    expect(second.applied).toHaveLength(1);
    expect(backend.count()).toBe(2);
  });

  it('unknown type and collection names are skipped with a reason, never an exception', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const directives = [
      { op: 'refresh_item', name: 'ghost', id: 1 },
      { op: 'refresh_collection', name: 'ghosts' },
      { op: 'invalidate', kind: 'item', name: 'ghost', id: 1, result: { data: {} } },
      { op: 'refresh_collection', name: 'todo' },
      refreshTodo(1),
    ];
    let pending: Promise<ApplyReport> | undefined;
    expect(() => {
      pending = registry.applyDirectives(directives);
    }).not.toThrow();
    const report = await settle(pending!);
    expect(report.applied).toEqual([refreshTodo(1)]);
    expect(report.skipped.map((s) => s.directive)).toEqual(directives.slice(0, 4));
    expect(report.skipped[0]?.reason).toMatch(/ghost/);
    expect(report.skipped[1]?.reason).toMatch(/ghosts/);
    expect(report.rejected).toEqual([]);
    expect(backend.count()).toBe(1);
  });
});

describe('limits.maxDirectivesPerBatch', () => {
  it('a call over the limit is cut: the first ones apply, the rest are rejected', async () => {
    const { backend, registry } = start({ limits: { maxDirectivesPerBatch: 3 } });
    await prime(backend, () => {
      for (const id of [1, 2, 3, 4, 5]) registry.fetchItem('todo', id);
    });
    const directives = [1, 2, 3, 4, 5].map((id) => refreshTodo(id));
    const report = await apply(registry, directives);
    expect(report.applied).toEqual(directives.slice(0, 3));
    expect(report.rejected).toEqual([
      { directive: directives.slice(3), reason: expect.stringMatching(/maxDirectivesPerBatch \(3\)/) },
    ]);
    expect(
      backend
        .itemCalls()
        .map((c) => c.id)
        .sort(),
    ).toEqual(['1', '2', '3']);
  });

  it('the limit counts directives after flattening groups', async () => {
    const { backend, registry } = start({ limits: { maxDirectivesPerBatch: 2 } });
    await prime(backend, () => {
      for (const id of [1, 2, 3]) registry.fetchItem('todo', id);
    });
    const report = await apply(registry, [
      { op: 'invalidate', targets: [1, 2, 3].map((id) => refreshTodo(id)) },
    ]);
    expect(report.applied).toHaveLength(2);
    expect(report.rejected).toHaveLength(1);
    expect(backend.count()).toBe(2);
  });

  it('rejections cost one log warning per batch, with counts, and a directive:rejected event only when listened to', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { registry } = start({ logging: { level: 'warn' }, limits: { maxDirectivesPerBatch: 3 } });
    const junk = [{}, 1, { op: 'nope' }, { op: 'refresh_item' }, 5, 6];

    const report = await apply(registry, junk);

    expect(report.rejected).toHaveLength(4);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/Rejected 4 directive\(s\) of a batch \(0 accepted\)/);
    const events = recordLifecycle(registry, 'directive:rejected');
    await apply(registry, junk);
    expect(events.of('directive:rejected')).toHaveLength(4);
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('the limit is per call: two calls in one window each get the full allowance', async () => {
    const { backend, registry } = start({ limits: { maxDirectivesPerBatch: 2 } });
    await prime(backend, () => {
      for (const id of [1, 2, 3, 4]) registry.fetchItem('todo', id);
    });
    const a = registry.applyDirectives([refreshTodo(1), refreshTodo(2)]);
    const b = registry.applyDirectives([refreshTodo(3), refreshTodo(4)]);
    const [ra, rb] = await settle(Promise.all([a, b]));
    expect(ra.rejected).toEqual([]);
    expect(rb.rejected).toEqual([]);
    expect(backend.count()).toBe(4);
  });
});

describe('the applyDirectives promise', () => {
  it('resolves only after every fetch it triggered has settled', async () => {
    const { backend, registry } = start();
    const item = registry.fetchItem('todo', 1);
    const list = registry.fetchCollection('todos');
    await prime(backend, () => {});
    backend.hold();
    const seenAtResolve: unknown[] = [];
    const applying = track(
      registry
        .applyDirectives([refreshTodo(1), { op: 'refresh_collection', name: 'todos' }])
        .then((report) => {
          seenAtResolve.push(item.data, list.data.meta, registry.hasAnyInFlightRequests());
          return report;
        }),
    );
    await flushWindow();
    expect(backend.count()).toBe(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(applying.settled).toBe(false);
    backend.release();
    const report = await settle(applying.promise);
    expect(report.applied).toHaveLength(2);
    expect(seenAtResolve).toEqual([item.data, list.data.meta, false]);
    expect(seenAtResolve[0]).toMatchObject({ default: expect.stringMatching(/^r/) });
  });

  it('waits for the slowest of its fetches', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('note', 1);
    });
    backend.hold();
    const applying = track(
      registry.applyDirectives([refreshTodo(1), { op: 'refresh_item', name: 'note', id: 1 }]),
    );
    await flushWindow();
    expect(backend.heldCount).toBe(2);
    backend.releaseNext();
    await flushWindow();
    expect(applying.settled).toBe(false);
    backend.release();
    await flushWindow();
    expect(applying.settled).toBe(true);
  });

  it('never rejects, even when the refetches fail', async () => {
    const { backend, registry } = start();
    const ref = registry.fetchItem('todo', 1);
    await prime(backend, () => {});
    backend.fail();
    const applying = track(registry.applyDirectives([refreshTodo(1)]));
    await settle(applying.promise);
    expect(applying.rejected).toBe(false);
    expect(applying.value?.applied).toHaveLength(1);
    expect(ref.meta.error).toBeInstanceOf(Error);
    expect(ref.data).not.toBeNull();
  });

  it('applyDirective applies one directive', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const report = await settle(registry.applyDirective(refreshTodo(1)));
    expect(report).toEqual({ applied: [refreshTodo(1)], skipped: [], rejected: [] });
    expect(backend.count()).toBe(1);
  });

  it('reports applied, skipped and rejected directives of one call together', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const bad = { op: 'refresh_item', name: 'todo' };
    const report = await apply(registry, [refreshTodo(1), { op: 'refresh_item', name: 'ghost', id: 1 }, bad]);
    expect(report.applied).toEqual([refreshTodo(1)]);
    expect(report.skipped).toHaveLength(1);
    expect(report.rejected).toEqual([{ directive: bad, reason: expect.stringMatching(/id/) }]);
  });
});

describe('lifecycle events', () => {
  it('emits directive:received, processed, skipped and rejected', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const events = recordLifecycle(
      registry,
      'directive:received',
      'directive:processed',
      'directive:skipped',
      'directive:rejected',
    );
    const skipped = { op: 'refresh_item', name: 'ghost', id: 1 };
    const rejected = { op: 'explode' };
    await apply(registry, [refreshTodo(1), skipped, rejected]);
    expect(events.of('directive:received')).toHaveLength(1);
    expect(events.of('directive:received')[0]?.detail).toMatchObject({ count: 3 });
    expect(events.of('directive:processed').map((e) => e.detail.directive)).toEqual([refreshTodo(1)]);
    expect(events.of('directive:skipped')).toEqual([
      expect.objectContaining({ detail: { directive: skipped, reason: expect.stringMatching(/ghost/) } }),
    ]);
    expect(events.of('directive:rejected')).toEqual([
      expect.objectContaining({ detail: { directive: rejected, reason: expect.stringMatching(/explode/) } }),
    ]);
    for (const event of events.events) {
      expect(Object.isFrozen(event)).toBe(true);
      expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
    }
  });

  it('a rejected directive logs a warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { registry } = start({ logging: { level: 'warn' } });
    await apply(registry, [{ op: 'refresh_item', id: 1 }]);
    expect(warn).toHaveBeenCalled();
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/name/);
  });

  it('a throwing lifecycle listener does not disturb the batch', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    registry.onLifecycle('*', () => {
      throw new Error('listener broke');
    });
    const report = await apply(registry, [refreshTodo(1)]);
    expect(report.applied).toHaveLength(1);
    expect(backend.count()).toBe(1);
  });
});

describe('re-entrancy and disposal', () => {
  it('applyDirectives called from a lifecycle listener during a batch joins the next window', async () => {
    const { backend, registry } = start();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
    });
    const nested: Promise<ApplyReport>[] = [];
    const stop = registry.onLifecycle('directive:processed', () => {
      stop();
      nested.push(registry.applyDirectives([refreshTodo(2)]));
    });
    await apply(registry, [refreshTodo(1)]);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1']);
    expect(nested).toHaveLength(1);
    const report = await settle(nested[0]!);
    expect(report.applied).toEqual([refreshTodo(2)]);
    expect(backend.itemCalls().map((c) => c.id)).toEqual(['1', '2']);
  });

  it('dispose resolves pending applyDirectives promises, and later calls resolve empty', async () => {
    const { backend, registry } = start();
    await prime(backend, () => registry.fetchItem('todo', 1));
    const waiting = track(registry.applyDirectives([refreshTodo(1)]));
    backend.hold();
    const inFlight = track(registry.applyDirectives([refreshTodo(1)]));
    await flushWindow();
    const queued = track(registry.applyDirectives([refreshTodo(1)]));
    registry.dispose();
    await flushWindow();
    expect(waiting.settled && inFlight.settled && queued.settled).toBe(true);
    expect(waiting.rejected || inFlight.rejected || queued.rejected).toBe(false);
    await expect(registry.applyDirectives([refreshTodo(1)])).resolves.toEqual({
      applied: [],
      skipped: [],
      rejected: [],
    });
  });
});

describe('runtime hygiene', () => {
  it('a directive batch makes XState log no warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const { backend, registry } = start();
    const item = registry.fetchItem('todo', 1);
    registry.fetchCollection('todos', { params: { page: 1 } });
    await prime(backend, () => registry.fetchItem('user', 1));
    backend.hold();
    registry.fetchItem('todo', 2);
    await apply(registry, [
      refreshTodo(1, { result: { data: { default: 'srv' } } }),
      refreshTodo(2, { result: { data: { default: 'srv' } } }),
      { op: 'refresh_collection', name: 'todos', params: { page: 1 }, result: { ids: [] } },
    ]);
    await makePassive();
    await apply(registry, [refreshTodo(1), { op: 'refresh_item', name: 'user', id: 1 }]);
    backend.release();
    await flushWindow();
    expect(item.meta.status).toBe('stale');
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });
});
