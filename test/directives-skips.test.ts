// Skipped and over-limit directives (SPEC §2 "Directives and events", §3 "Directives"): gates, unknown names, limits.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApplyReport, Directive } from '../src/index';
import { withFakeClock } from './support/clock';
import { apply, prime, settle } from './support/directive-fixtures';
import { refreshTodo, start } from './support/directive-setup';
import { recordLifecycle } from './support/lifecycle';

withFakeClock();

afterEach(() => {
  vi.restoreAllMocks();
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
    const events = recordLifecycle(registry, ['directive:rejected']);
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
