// Directive batches (SPEC §3 "Directives", "Serialization"): one batch per window, and fetches in flight.
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { apply, flushWindow, prime, settle, track, WINDOW_MS } from './support/directive-fixtures';
import { makePassive, refreshTodo, start } from './support/directive-setup';

withFakeClock();

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
