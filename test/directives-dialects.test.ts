// Directive dialects A and B (SPEC §1.1): each op and its targets, as the registry applies them.
import { describe, expect, it, vi } from 'vitest';
import type { Directive } from '../src/index';
import { withFakeClock } from './support/clock';
import { apply, prime } from './support/directive-fixtures';
import { refreshTodo, start } from './support/directive-setup';

withFakeClock();

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
