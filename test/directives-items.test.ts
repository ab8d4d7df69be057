// Directives on items (SPEC §1.1, §3 "Directives", "Levels"): results, levels, and never creating state.
import { describe, expect, it } from 'vitest';
import { withFakeClock } from './support/clock';
import { apply, flushWindow, prime, track } from './support/directive-fixtures';
import { entryCounts, refreshTodo, start } from './support/directive-setup';
import { recordLifecycle } from './support/lifecycle';

withFakeClock();

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
    const events = recordLifecycle(registry, ['item:fetch:aborted']);
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
