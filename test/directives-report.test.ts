// What applyDirectives reports (SPEC §2 "Directives and events"): the promise, the lifecycle events, re-entrancy, disposal.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApplyReport } from '../src/index';
import { withFakeClock } from './support/clock';
import { apply, flushWindow, prime, settle, track } from './support/directive-fixtures';
import { makePassive, refreshTodo, start } from './support/directive-setup';
import { recordLifecycle } from './support/lifecycle';

withFakeClock();

afterEach(() => {
  vi.restoreAllMocks();
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
    const events = recordLifecycle(registry, [
      'directive:received',
      'directive:processed',
      'directive:skipped',
      'directive:rejected',
    ]);
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
