// Contract: item fetches within one bulk.delayMs window go out as bulkFetch calls per (type, level) (SPEC §3 "Bulk").
import { describe, expect, it, vi } from 'vitest';
import type { FetchContext } from '../src/index';
import { withFakeClock } from './support/clock';
import { deferred } from './support/deferred';
import { recordLifecycle } from './support/lifecycle';
import { controlledFetcher, countingFetcher, flush, makeRegistry } from './support/registry';

withFakeClock();

/** A bulkFetch that answers every id it is asked for with `{ id, level }`, recording each call. */
function bulkFetcher() {
  return vi.fn(async (ids: string[], level: string, _context: FetchContext) =>
    ids.map((id) => ({ id, level })),
  );
}

describe('the bulk window', () => {
  it('reads within delayMs go out as one bulkFetch call when the window closes', async () => {
    const registry = makeRegistry({ bulk: { delayMs: 50 } });
    const single = countingFetcher();
    const bulk = bulkFetcher();
    registry.createType('todo', { fetch: single.fetch, bulkFetch: bulk });

    const first = registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(30);
    const second = registry.fetchItem('todo', 2);
    registry.fetchItem('todo', 3);
    expect(bulk).not.toHaveBeenCalled();
    expect(first.meta).toMatchObject({ status: 'fetching', isLoading: true, isFetching: true });

    await vi.advanceTimersByTimeAsync(19);
    expect(bulk).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);

    expect(bulk).toHaveBeenCalledTimes(1);
    expect(bulk).toHaveBeenCalledWith(['1', '2', '3'], 'default', expect.objectContaining({}));
    expect(single.count).toBe(0);
    expect(first.data).toEqual({ id: '1', level: 'default' });
    expect(second.meta.status).toBe('fresh');
  });

  it('a read after the window has closed starts the next window', async () => {
    const registry = makeRegistry({ bulk: { delayMs: 50 } });
    const bulk = bulkFetcher();
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: bulk });

    registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(50);
    registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    expect(bulk.mock.calls.map(([ids]) => ids)).toEqual([['1'], ['2']]);
  });

  it('one window makes one bulkFetch call per (type, level)', async () => {
    const registry = makeRegistry();
    const todoBulk = bulkFetcher();
    const userBulk = bulkFetcher();
    const fetch = countingFetcher().fetch;
    registry.createType('todo', { fetch, bulkFetch: todoBulk, levels: { full: { fetch } } });
    registry.createType('user', { fetch, bulkFetch: userBulk });

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 2, 'full');
    registry.fetchItem('todo', 3);
    registry.fetchItem('user', 1);
    await vi.advanceTimersByTimeAsync(50);

    expect(todoBulk.mock.calls.map(([ids, level]) => [ids, level])).toEqual([
      [['1', '3'], 'default'],
      [['2'], 'full'],
    ]);
    expect(userBulk.mock.calls.map(([ids]) => ids)).toEqual([['1']]);
  });

  it.each([
    [250, 100, 3],
    [200, 100, 2],
    [7, 3, 3],
    [1, 1, 1],
  ])('%i ids with maxBatchSize %i go out in %i chunks', async (count, maxBatchSize, chunks) => {
    const registry = makeRegistry({ bulk: { maxBatchSize } });
    const bulk = bulkFetcher();
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: bulk });
    const events = recordLifecycle(registry, ['bulk:flush']);

    for (let id = 1; id <= count; id++) registry.fetchItem('todo', id);
    await vi.advanceTimersByTimeAsync(50);

    expect(bulk).toHaveBeenCalledTimes(chunks);
    expect(chunks).toBe(Math.ceil(count / maxBatchSize));
    const sizes = bulk.mock.calls.map(([ids]) => ids.length);
    expect(sizes.every((size) => size <= maxBatchSize)).toBe(true);
    expect(bulk.mock.calls.flatMap(([ids]) => ids)).toEqual(
      Array.from({ length: count }, (_, i) => String(i + 1)),
    );
    expect(events.events).toHaveLength(1);
    expect(events.events[0]?.detail).toMatchObject({ type: 'todo', level: 'default', chunks });
  });

  it('coalesced reads of one id within the window ask for it once', async () => {
    const registry = makeRegistry();
    const bulk = bulkFetcher();
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: bulk });

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', '1');
    registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    expect(bulk.mock.calls.map(([ids]) => ids)).toEqual([['1', '2']]);
  });
});

describe('bulk results', () => {
  it('an array of objects with id fills each entry', async () => {
    const registry = makeRegistry();
    registry.createType('todo', {
      fetch: countingFetcher().fetch,
      bulkFetch: async (ids) => ids.map((id) => ({ id: Number(id), title: `t${id}` })),
    });

    const a = registry.fetchItem('todo', 1);
    const b = registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    expect(a.data).toEqual({ id: 1, title: 't1' });
    expect(b.data).toEqual({ id: 2, title: 't2' });
  });

  it('an { id: data } map fills each entry', async () => {
    const registry = makeRegistry();
    registry.createType('todo', {
      fetch: countingFetcher().fetch,
      bulkFetch: async (ids) => Object.fromEntries(ids.map((id) => [id, { title: `t${id}` }])),
    });

    const a = registry.fetchItem('todo', 1);
    const b = registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    expect(a.data).toEqual({ title: 't1' });
    expect(b.data).toEqual({ title: 't2' });
    expect(b.meta.status).toBe('fresh');
  });

  it('ids the bulk result omits fall back to fetch, in parallel', async () => {
    const registry = makeRegistry();
    const single = controlledFetcher();
    registry.createType('todo', {
      fetch: single.fetch,
      bulkFetch: async (ids) => ids.filter((id) => id === '1').map((id) => ({ id, via: 'bulk' })),
    });
    const events = recordLifecycle(registry, ['item:fetch:success']);

    const one = registry.fetchItem('todo', 1);
    const two = registry.fetchItem('todo', 2);
    const three = registry.fetchItem('todo', 3);
    await vi.advanceTimersByTimeAsync(50);

    expect(single.calls.map((call) => call.id)).toEqual(['2', '3']);
    expect(one.data).toEqual({ id: '1', via: 'bulk' });
    expect(two.meta.status).toBe('fetching');
    single.call(1).resolve({ via: 'fallback 3' });
    single.call(0).resolve({ via: 'fallback 2' });
    await flush();

    expect(two.data).toEqual({ via: 'fallback 2' });
    expect(three.data).toEqual({ via: 'fallback 3' });
    expect(events.events.map((e) => [e.detail.id, e.detail.strategy])).toEqual([
      ['1', 'bulk'],
      ['3', 'fallback'],
      ['2', 'fallback'],
    ]);
  });

  it('a rejected bulk call marks each of its entries in error', async () => {
    const registry = makeRegistry();
    const failure = Object.assign(new Error('bulk down'), { status: 502 });
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: () => Promise.reject(failure) });

    const refs = [1, 2, 3].map((id) => registry.fetchItem('todo', id));
    await vi.advanceTimersByTimeAsync(50);

    for (const ref of refs) {
      expect(ref.meta.status).toBe('error');
      expect(ref.meta.error).toBe(failure);
    }
  });

  it('a bulkFetch that throws synchronously marks each entry in error', async () => {
    const registry = makeRegistry();
    registry.createType('todo', {
      fetch: countingFetcher().fetch,
      bulkFetch: () => {
        throw 'no bulk today';
      },
    });

    const ref = registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(50);

    expect(ref.meta.status).toBe('error');
    expect(ref.meta.error?.message).toBe('no bulk today');
  });

  it.each([
    ['a string', 'oops'],
    ['a number', 7],
    ['null', null],
    ['undefined', undefined],
  ])('a bulk result that is %s puts each entry in error', async (_label, junk) => {
    const registry = makeRegistry();
    const single = countingFetcher();
    registry.createType('todo', {
      fetch: single.fetch,
      bulkFetch: async () => junk as unknown as Record<string, unknown>,
    });

    const refs = [1, 2].map((id) => registry.fetchItem('todo', id));
    await vi.advanceTimersByTimeAsync(50);

    for (const ref of refs) {
      expect(ref.meta.status).toBe('error');
      expect(ref.meta.error).toMatchObject({ name: 'VerityError', code: 'INVALID_RESPONSE' });
    }
    expect(single.count).toBe(0);
  });

  it('array items without a usable id are ignored and those ids fall back to fetch', async () => {
    const registry = makeRegistry();
    const single = countingFetcher();
    registry.createType('todo', {
      fetch: single.fetch,
      bulkFetch: async () => [
        null,
        'x',
        { title: 'no id' },
        { id: {}, title: 'object id' },
        { id: '1', ok: true },
      ],
    });

    const one = registry.fetchItem('todo', 1);
    const two = registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    expect(one.data).toEqual({ id: '1', ok: true });
    expect(single.fetch.mock.calls.map(([id]) => id)).toEqual(['2']);
    expect(two.meta.status).toBe('fresh');
  });
});

describe('which bulkFetch, if any', () => {
  it("a level uses its own bulkFetch, else the type's", async () => {
    const registry = makeRegistry();
    const typeBulk = bulkFetcher();
    const fullBulk = bulkFetcher();
    const fetch = countingFetcher().fetch;
    registry.createType('todo', {
      fetch,
      bulkFetch: typeBulk,
      levels: { full: { fetch, bulkFetch: fullBulk }, summary: { fetch } },
    });

    registry.fetchItem('todo', 1, 'full');
    registry.fetchItem('todo', 1, 'summary');
    registry.fetchItem('todo', 1);
    await vi.advanceTimersByTimeAsync(50);

    expect(fullBulk.mock.calls.map(([ids, level]) => [ids, level])).toEqual([[['1'], 'full']]);
    expect(typeBulk.mock.calls.map(([ids, level]) => [ids, level])).toEqual([
      [['1'], 'summary'],
      [['1'], 'default'],
    ]);
  });

  it('a level with its own bulkFetch batches even when the type has none', async () => {
    const registry = makeRegistry();
    const single = countingFetcher();
    const fullBulk = bulkFetcher();
    registry.createType('todo', {
      fetch: single.fetch,
      levels: { full: { fetch: single.fetch, bulkFetch: fullBulk } },
    });

    registry.fetchItem('todo', 1);
    expect(single.count).toBe(1);
    registry.fetchItem('todo', 1, 'full');
    registry.fetchItem('todo', 2, 'full');
    expect(fullBulk).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(50);

    expect(fullBulk.mock.calls.map(([ids]) => ids)).toEqual([['1', '2']]);
  });

  it('without any bulkFetch, item fetches start at once', () => {
    const registry = makeRegistry();
    const single = countingFetcher();
    registry.createType('todo', { fetch: single.fetch });

    registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 2);

    expect(single.count).toBe(2);
  });
});

describe('bulk and the rest of the contract', () => {
  it('a forced read while an id waits in the window queues one trailing fetch after the bulk answer', async () => {
    const registry = makeRegistry();
    let round = 0;
    const bulk = vi.fn(async (ids: string[]) => ids.map((id) => ({ id, round: ++round })));
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: bulk });

    const ref = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 1, null, { force: true });
    registry.fetchItem('todo', 1, null, { force: true });
    await vi.advanceTimersByTimeAsync(50);
    expect(bulk).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(50);

    expect(bulk).toHaveBeenCalledTimes(2);
    expect(ref.data).toEqual({ id: '1', round: 2 });
  });

  it('item refetches a directive batch triggers go to bulkFetch in the same flush, grouped', async () => {
    const registry = makeRegistry();
    const bulk = bulkFetcher();
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: bulk });
    const refs = [1, 2, 3].map((id) => registry.fetchItem('todo', id));
    await vi.advanceTimersByTimeAsync(50);
    const unsubscribes = refs.map((ref) => ref.subscribe(() => {}));
    bulk.mockClear();

    void registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1 },
      { op: 'refresh_item', name: 'todo', id: 2 },
    ]);
    void registry.applyDirectives([{ op: 'refresh_item', name: 'todo', id: 3 }]);
    await vi.advanceTimersByTimeAsync(50);

    expect(bulk.mock.calls.map(([ids]) => ids)).toEqual([['1', '2', '3']]);
    for (const unsubscribe of unsubscribes) unsubscribe();
  });

  it('a directive result that arrives while an id waits in the window takes it out of the bulk call', async () => {
    const registry = makeRegistry();
    const bulk = bulkFetcher();
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: bulk });

    const one = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 2);
    void registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1, result: { data: { pushed: true } } },
    ]);
    await vi.advanceTimersByTimeAsync(50);

    expect(bulk.mock.calls.map(([ids]) => ids)).toEqual([['2']]);
    expect(one.data).toEqual({ pushed: true });
  });

  it('an entry removed while it waits in the window is not asked for', async () => {
    const registry = makeRegistry();
    const bulk = bulkFetcher();
    registry.createType('todo', { fetch: countingFetcher().fetch, bulkFetch: bulk });

    registry.fetchItem('todo', 1).remove();
    registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    expect(bulk.mock.calls.map(([ids]) => ids)).toEqual([['2']]);
  });

  it('an id superseded by a result during the bulk call does not fall back to fetch', async () => {
    const registry = makeRegistry();
    const single = countingFetcher();
    const pending = deferred<Array<{ id: string }>>();
    registry.createType('todo', { fetch: single.fetch, bulkFetch: () => pending.promise });
    const one = registry.fetchItem('todo', 1);
    registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    void registry.applyDirectives([
      { op: 'refresh_item', name: 'todo', id: 1, result: { data: { pushed: true } } },
    ]);
    await vi.advanceTimersByTimeAsync(50);
    pending.resolve([{ id: '2' }]);
    await flush();

    expect(single.count).toBe(0);
    expect(one.data).toEqual({ pushed: true });
  });

  it("the shared bulk call's signal is aborted only when no member still wants its answer", async () => {
    const registry = makeRegistry();
    const pending = deferred<Array<{ id: string }>>();
    let signal: AbortSignal | undefined;
    registry.createType('todo', {
      fetch: countingFetcher().fetch,
      bulkFetch: (_ids, _level, context) => {
        signal = context.signal;
        return pending.promise;
      },
    });
    const one = registry.fetchItem('todo', 1);
    const two = registry.fetchItem('todo', 2);
    await vi.advanceTimersByTimeAsync(50);

    one.remove();
    expect(signal?.aborted).toBe(false);
    two.remove();
    expect(signal?.aborted).toBe(true);
  });
});
