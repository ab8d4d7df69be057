// Contract: a response whose query id is no longer the entry's active one is discarded (SPEC §3 "Latest-wins").
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { withFakeClock } from './support/clock';
import {
  failuresArbitrary,
  interleavingArbitraries,
  kindArbitrary,
  lastIndex,
  opsArbitrary,
  runInterleaving,
} from './support/interleavings';
import { recordLifecycle } from './support/lifecycle';
import { controlledFetcher, flush, makeRegistry, todoRegistry, todosRegistry } from './support/registry';

withFakeClock();

function pushResult(registry: ReturnType<typeof makeRegistry>, data: unknown, id: string | number = 1) {
  return registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id, result: { data } }]);
}

describe('a directive result supersedes the fetch in flight', () => {
  it('a response for a superseded query is discarded', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    void pushResult(registry, { v: 'server truth' });
    await vi.advanceTimersByTimeAsync(50);
    expect(ref.data).toEqual({ v: 'server truth' });
    expect(ref.meta).toMatchObject({
      status: 'fresh',
      isLoading: false,
      isFetching: false,
      activeQueryId: null,
    });

    fetcher.call(0).resolve({ v: 'late response' });
    await flush();
    expect(ref.data).toEqual({ v: 'server truth' });
    expect(ref.meta.status).toBe('fresh');
    expect(fetcher.count).toBe(1);
  });

  it("the superseded fetch's signal is aborted", async () => {
    const { registry, fetcher } = todoRegistry();
    registry.fetchItem('todo', 1);
    const { signal } = fetcher.call(0);
    expect(signal.aborted).toBe(false);

    void pushResult(registry, { v: 1 });
    await vi.advanceTimersByTimeAsync(49);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);

    expect(signal.aborted).toBe(true);
  });

  it('superseding and discarding are reported as item:fetch:aborted for the old query id', async () => {
    const { registry, fetcher } = todoRegistry();
    const events = recordLifecycle(registry, [
      'item:fetch:intent',
      'item:fetch:aborted',
      'item:fetch:success',
    ]);
    registry.fetchItem('todo', 1);
    const qid = events.of('item:fetch:intent')[0]?.detail.qid;

    void pushResult(registry, { v: 1 });
    await vi.advanceTimersByTimeAsync(50);
    fetcher.call(0).resolve({ v: 'late' });
    await flush();

    const aborted = events.of('item:fetch:aborted');
    expect(aborted.length).toBeGreaterThanOrEqual(1);
    for (const event of aborted)
      expect(event.detail).toMatchObject({ type: 'todo', id: '1', level: 'default', qid });
    expect(events.of('item:fetch:success')).toEqual([]);
  });

  it('a late rejection of a superseded query does not put the entry in error', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    void pushResult(registry, { v: 1 });
    await vi.advanceTimersByTimeAsync(50);
    fetcher.call(0).reject(new DOMException('The operation was aborted.', 'AbortError'));
    await flush();

    expect(ref.meta).toMatchObject({ status: 'fresh', error: null });
    expect(ref.data).toEqual({ v: 1 });
  });

  it('a result for one level leaves the fetch of another level running, with one trailing fetch', async () => {
    const registry = makeRegistry();
    const fetcher = controlledFetcher();
    registry.createType('todo', { fetch: fetcher.fetch, levels: { full: { fetch: fetcher.fetch } } });
    const ref = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, 'full');

    void pushResult(registry, { title: 'pushed' });
    await vi.advanceTimersByTimeAsync(50);
    expect(fetcher.call(0).signal.aborted).toBe(true);
    expect(fetcher.call(1).signal.aborted).toBe(false);
    expect(ref.meta.status).toBe('fetching');

    // The result does not satisfy 'full', and its fetch may predate the change: one trailing fetch follows.
    fetcher.call(1).resolve({ body: 'full, maybe stale' });
    await flush();
    expect(fetcher.count).toBe(3);
    expect(fetcher.call(2).level).toBe('full');
    fetcher.call(2).resolve({ body: 'full' });
    await flush();
    expect(ref.data).toEqual({ title: 'pushed', body: 'full' });
    expect(ref.meta.status).toBe('fresh');
  });

  it('a collection result supersedes the collection fetch in flight', async () => {
    const { registry, fetcher } = todosRegistry();
    const events = recordLifecycle(registry, ['collection:fetch:aborted']);
    const ref = registry.fetchCollection('todos', { params: { page: 1 } });

    void registry.applyDirectives([
      { op: 'refresh_collection', name: 'todos', params: { page: 1 }, result: { ids: [9], count: 30 } },
    ]);
    await vi.advanceTimersByTimeAsync(50);
    expect(fetcher.call(0).signal.aborted).toBe(true);
    fetcher.call(0).resolve({ ids: [1] });
    await flush();

    expect(ref.data).toEqual({ ids: [9], count: 30, meta: null });
    expect(events.events.length).toBeGreaterThanOrEqual(1);
    expect(events.events[0]?.detail).toMatchObject({ name: 'todos', paramsKey: '{"page":1}' });
  });

  it('a fetch started after a result wins over the result', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);
    void pushResult(registry, { v: 'result' });
    await vi.advanceTimersByTimeAsync(50);

    registry.fetchItem('todo', 1, null, { force: true });
    fetcher.call(0).resolve({ v: 'superseded' });
    await flush();
    expect(ref.data).toEqual({ v: 'result' });
    fetcher.call(1).resolve({ v: 'newest' });
    await flush();

    expect(ref.data).toEqual({ v: 'newest' });
  });
});

describe('removal discards responses', () => {
  it('ref.remove() during a fetch discards its response and aborts its signal', async () => {
    const { registry, fetcher } = todoRegistry();
    const ref = registry.fetchItem('todo', 1);

    ref.remove();
    expect(fetcher.call(0).signal.aborted).toBe(true);
    expect(registry.hasAnyInFlightRequests()).toBe(false);
    fetcher.call(0).resolve({ v: 'late' });
    await flush();

    expect(registry.state().types.todo?.entries).toBe(0);
    const again = registry.fetchItem('todo', 1);
    expect(fetcher.count).toBe(2);
    expect(again.data).toBeNull();
    expect(again.meta.isLoading).toBe(true);
  });

  it("a removed entry's late response does not reach the entry that replaced it", async () => {
    const { registry, fetcher } = todoRegistry();
    registry.fetchItem('todo', 1).remove();
    const again = registry.fetchItem('todo', 1);

    fetcher.call(0).resolve({ v: 'from the removed entry' });
    await flush();
    expect(again.data).toBeNull();
    expect(again.meta.status).toBe('fetching');

    fetcher.call(1).resolve({ v: 'own' });
    await flush();
    expect(again.data).toEqual({ v: 'own' });
  });
});

describe('latest-wins under any interleaving of reads, forced reads, results and responses', () => {
  test.prop([fc.scheduler(), opsArbitrary, kindArbitrary, fc.boolean()], {
    numRuns: 200,
  })(
    'the entry ends with the response of the last fetch started after the last request, else the last result',
    async (s, ops, kind, subscribed) => {
      const outcome = await runInterleaving(s, ops, kind, subscribed);
      const { log } = outcome;
      const lastRequest = lastIndex(log, (entry) => entry.kind === 'force' || entry.kind === 'result');
      const lastStart = lastIndex(log, (entry) => entry.kind === 'start');
      const request = log[lastRequest];
      const start = log[lastStart];
      const expected =
        lastStart > lastRequest && start?.kind === 'start'
          ? `fetch#${start.n}`
          : request?.kind === 'result'
            ? request.value
            : 'a fetch started after the last forced read';

      expect(outcome.finalValue, JSON.stringify(log)).toBe(expected);
      expect(outcome.status).toBe('fresh');
      expect(outcome.isFetching).toBe(false);
    },
  );

  test.prop(interleavingArbitraries(), { numRuns: 200 })(
    'with failing fetches, the entry shows the latest accepted data and is in error only when the latest accepted answer failed',
    async (s, ops, kind, subscribed, failures) => {
      const outcome = await runInterleaving(s, ops, kind, subscribed, failures);
      // Replay: a response counts only for the active query (the last fetch started, not superseded by a result).
      let active: number | null = null;
      let shown: string | null = null;
      let failed = false;
      for (const entry of outcome.log) {
        if (entry.kind === 'start') active = entry.n;
        if (entry.kind === 'result') {
          active = null;
          shown = entry.value;
          failed = false;
        }
        if (entry.kind === 'respond' && entry.n === active) {
          active = null;
          if (entry.ok) shown = `fetch#${entry.n}`;
          failed = !entry.ok;
        }
      }

      expect(outcome.finalValue, JSON.stringify(outcome.log)).toBe(shown);
      expect(outcome.status, JSON.stringify(outcome.log)).toBe(failed ? 'error' : 'fresh');
      expect(outcome.isFetching).toBe(false);
    },
  );

  test.prop([fc.scheduler(), opsArbitrary, kindArbitrary, failuresArbitrary], { numRuns: 200 })(
    'a subscriber only ever sees a response whose query was still the active one',
    async (s, ops, kind, failures) => {
      const { log } = await runInterleaving(s, ops, kind, true, failures);
      log.forEach((entry, at) => {
        if (entry.kind !== 'data' || !entry.value?.startsWith('fetch#')) return;
        const n = Number(entry.value.slice('fetch#'.length));
        const started = log.findIndex((e) => e.kind === 'start' && e.n === n);
        const responded = log.findIndex((e) => e.kind === 'respond' && e.n === n);
        expect(responded, `fetch#${n} shown before its response: ${JSON.stringify(log)}`).toBeGreaterThan(
          started,
        );
        expect(responded).toBeLessThan(at);
        const between = log.slice(started + 1, responded);
        const superseded = between.some((e) => e.kind === 'start' || e.kind === 'result');
        expect(superseded, `fetch#${n} was superseded but shown: ${JSON.stringify(log)}`).toBe(false);
      });
    },
  );
});
