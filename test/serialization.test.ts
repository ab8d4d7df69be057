// Contract: requests that arrive mid-flight become exactly one trailing fetch (SPEC §3 "Serialization").
import { test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import { interleavingArbitraries, type LogEntry, runInterleaving } from './support/interleavings';
import { recordLifecycle } from './support/lifecycle';
import { flush, todoRegistry, todosRegistry } from './support/registry';

withFakeClock();

describe('forced reads while fetching', () => {
  it('many forced reads while a fetch is in flight queue exactly one trailing fetch', async () => {
    const { registry, fetcher } = todoRegistry();
    registry.fetchItem('todo', 1);

    for (let i = 0; i < 10; i++) registry.fetchItem('todo', 1, null, { force: true });
    expect(fetcher.count).toBe(1);

    fetcher.call(0).resolve({ v: 'first' });
    await flush();
    expect(fetcher.count).toBe(2);

    fetcher.call(1).resolve({ v: 'trailing' });
    await flush();
    expect(fetcher.count).toBe(2);
  });

  it('the entry ends with the data fetched after the last request', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, null, { force: true });

    fetcher.call(0).resolve({ v: 'before the forced read' });
    await flush();
    expect(ref.data).toEqual({ v: 'before the forced read' });
    expect(ref.meta.status).toBe('fetching');

    fetcher.call(1).resolve({ v: 'after the forced read' });
    await flush();
    expect(ref.data).toEqual({ v: 'after the forced read' });
    expect(ref.meta).toMatchObject({ status: 'fresh', isFetching: false });
  });

  it('a forced read queued behind a failing fetch still runs', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, null, { force: true });

    fetcher.call(0).reject(new Error('boom'));
    await flush();
    expect(fetcher.count).toBe(2);
    expect(ref.meta.status).toBe('fetching');

    fetcher.call(1).resolve({ v: 'ok' });
    await flush();
    expect(ref.meta).toMatchObject({ status: 'fresh', error: null });
    expect(ref.data).toEqual({ v: 'ok' });
  });

  it('plain reads while fetching coalesce and queue nothing', async () => {
    const { registry, fetcher } = todoRegistry();
    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1);

    fetcher.call(0).resolve({});
    await flush();

    expect(fetcher.count).toBe(1);
  });

  it('the trailing fetch is announced as trailing and keeps its own query id', async () => {
    const { registry, fetcher } = todoRegistry();
    const events = recordLifecycle(registry, ['item:fetch:intent', 'item:fetch:coalesced']);
    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, null, { force: true });

    fetcher.call(0).resolve({});
    await flush();

    const intents = events.of('item:fetch:intent');
    expect(intents.map((e) => e.detail.trailing)).toEqual([false, true]);
    expect(intents[1]?.detail.qid).not.toBe(intents[0]?.detail.qid);
    expect(events.of('item:fetch:coalesced')[0]?.detail).toMatchObject({ queued: true, mode: 'force' });
  });

  it('a trailing fetch asked for with silent: false is loud', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, null, { force: true, silent: false });

    fetcher.call(0).resolve({});
    await flush();

    expect(fetcher.count).toBe(2);
    expect(ref.meta.isLoading).toBe(true);
  });

  it('forced collection reads while fetching queue exactly one trailing fetch', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.fetchCollection('todos', { params: { page: 1 } });
    registry.fetchCollection('todos', { params: { page: 1 }, force: true });
    registry.fetchCollection('todos', { params: { page: 1 }, force: true });

    fetcher.call(0).resolve({ ids: [1] });
    await flush();
    expect(fetcher.count).toBe(2);
    fetcher.call(1).resolve({ ids: [1, 2] });
    await flush();

    expect(fetcher.count).toBe(2);
    expect(ref.data.ids).toEqual([1, 2]);
  });
});

describe('directives and resyncs while fetching', () => {
  it('a directive for an entry that is fetching queues one trailing fetch', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(fetcher.count).toBe(1);

    fetcher.call(0).resolve({ v: 'stale by the directive' });
    await flush();
    expect(fetcher.count).toBe(2);
    fetcher.call(1).resolve({ v: 'after the directive' });
    await flush();

    expect(ref.data).toEqual({ v: 'after the directive' });
    expect(fetcher.count).toBe(2);
  });

  it('applyDirectives resolves only once the trailing fetch has settled', async () => {
    const { registry, fetcher } = todoRegistry();
    registry.fetchItem('todo', 1);
    let settled = false;
    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 1 }]).then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(50);

    fetcher.call(0).resolve({});
    await flush();
    expect(settled).toBe(false);
    fetcher.call(1).resolve({});
    await flush();
    expect(settled).toBe(true);
  });

  it('a resync while an entry is fetching queues one trailing fetch', async () => {
    const { registry, fetcher } = todosRegistry();
    const ref = registry.fetchCollection('todos');

    void registry.resync();
    await vi.advanceTimersByTimeAsync(50);
    expect(fetcher.count).toBe(1);
    fetcher.call(0).resolve({ ids: [1] });
    await flush();
    expect(fetcher.count).toBe(2);
    fetcher.call(1).resolve({ ids: [2] });
    await flush();

    expect(ref.data.ids).toEqual([2]);
  });

  it('a directive result while fetching supersedes the fetch and queues nothing', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, null, { force: true });

    void registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1, result: { data: { v: 'server' } } },
    ]);
    await vi.advanceTimersByTimeAsync(50);
    fetcher.call(0).resolve({ v: 'late' });
    await flush();

    expect(fetcher.count).toBe(1);
    expect(ref.data).toEqual({ v: 'server' });
    expect(ref.meta).toMatchObject({ status: 'fresh', isFetching: false });
  });
});

/**
 * The fetches serialization owes, replayed from the log: a read of an entry holding nothing (and not backing off
 * after a failure) and a forced read with nothing in flight start a fetch at once; a forced read mid-flight queues
 * one trailing fetch (however many arrive), started when the active fetch settles, whether it succeeded or failed;
 * a directive result supersedes the flight and clears the queue. Returns the first place the log disagrees, or null.
 */
function firstUnowedStart(log: readonly LogEntry[]): string | null {
  let inFlight: number | null = null;
  let queued = false;
  let held = false;
  let failed = false;
  let owed = false;
  for (const [at, entry] of log.entries()) {
    if (entry.kind === 'start') {
      if (!owed) return `fetch #${entry.n} at ${at} was not owed`;
      owed = false;
      inFlight = entry.n;
      continue;
    }
    if (owed && entry.kind !== 'abort' && entry.kind !== 'data')
      return `the fetch owed before ${at} never started`;
    switch (entry.kind) {
      case 'read':
        if (inFlight === null && !held && !failed) owed = true;
        break;
      case 'force':
        if (inFlight === null) owed = true;
        else queued = true;
        break;
      case 'result':
        held = true;
        failed = false;
        inFlight = null;
        queued = false;
        break;
      case 'respond':
        if (entry.n !== inFlight) break;
        if (entry.ok) held = true;
        failed = !entry.ok;
        inFlight = null;
        owed = queued;
        queued = false;
        break;
    }
  }
  if (owed || queued) return 'a fetch owed at the end never started';
  if (inFlight !== null) return `fetch #${inFlight} never settled`;
  return null;
}

describe('serialization under any interleaving of reads, forced reads, results and responses', () => {
  test.prop(interleavingArbitraries(), { numRuns: 200 })(
    'an entry never has more than one fetch in flight',
    async (s, ops, kind, subscribed, failures) => {
      const outcome = await runInterleaving(s, ops, kind, subscribed, failures);

      expect(outcome.maxInFlight, JSON.stringify(outcome.log)).toBeLessThanOrEqual(1);
    },
  );

  test.prop(interleavingArbitraries(), { numRuns: 200 })(
    'every forced read after the last completed fetch is followed by exactly one more fetch, unless a result answers it',
    async (s, ops, kind, subscribed, failures) => {
      const { log } = await runInterleaving(s, ops, kind, subscribed, failures);

      expect(firstUnowedStart(log), JSON.stringify(log)).toBeNull();
      log.forEach((entry, at) => {
        if (entry.kind !== 'force') return;
        const answered = log.slice(at + 1).some((later) => later.kind === 'start' || later.kind === 'result');
        expect(answered, `forced read at ${at} left unanswered: ${JSON.stringify(log)}`).toBe(true);
      });
    },
  );
});
