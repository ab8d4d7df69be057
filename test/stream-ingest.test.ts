// The stream as the registry reads it (SPEC §1.2, §3 "Stream"): envelopes fed through ingestEnvelope, on fake timers.
import { describe, expect, it, vi } from 'vitest';
import type { Registry, RegistryOptions, ResyncContext, SseOptions } from '../src/index';
import { Backend } from './support/backend';
import { withFakeClock } from './support/clock';
import { prime, testRegistry, WINDOW_MS } from './support/directive-fixtures';
import { type LifecycleLog, recordLifecycle } from './support/lifecycle';
import {
  envelope,
  hello,
  refreshCollection,
  refreshItem,
  silentEventSource,
} from './support/stream-fixtures';

/** Jitter bounds equal, so a resync's delay is exact. */
const JITTER_MS = 1000;
const RESYNC_WINDOW_MS = 10_000;
/** Long enough that nothing goes stale on its own during a test. */
const STALENESS_MS = 600_000;
const CLIENT_ID = 'client-me';

interface Setup {
  registry: Registry;
  backend: Backend;
  log: LifecycleLog;
  onResync: ReturnType<typeof vi.fn<(context: ResyncContext) => boolean | undefined>>;
}

/**
 * `todo`: levels default and extra (no conversion), single fetches. `user`: default only, with
 * bulkFetch. `todos`: a collection.
 */
function setup(
  sse: SseOptions = {},
  options: RegistryOptions = {},
  resyncAnswer: boolean | undefined = undefined,
): Setup {
  const backend = new Backend();
  const onResync = vi.fn((_context: ResyncContext) => resyncAnswer);
  const registry = testRegistry({
    clientId: CLIENT_ID,
    stalenessMs: STALENESS_MS,
    ...options,
    sse: {
      resyncJitterMinMs: JITTER_MS,
      resyncJitterMaxMs: JITTER_MS,
      resyncWindowMs: RESYNC_WINDOW_MS,
      onResync,
      ...sse,
    },
  });
  registry.createType('todo', {
    fetch: backend.itemFetcher('todo'),
    levels: { extra: { fetch: backend.itemFetcher('todo') } },
  });
  registry.createType('user', { fetch: backend.itemFetcher('user'), bulkFetch: backend.bulkFetcher('user') });
  registry.createCollection('todos', { fetch: backend.collectionFetcher('todos') });
  return { registry, backend, log: recordLifecycle(registry), onResync };
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const lastSeq = (r: Registry) => r.state().sse.lastSeq;

withFakeClock();

describe('sequence tracking', () => {
  it('the first envelope only sets the baseline, and its directives still apply', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));

    registry.ingestEnvelope(envelope(7, [refreshCollection('todos')]));
    await advance(WINDOW_MS);

    expect(backend.collectionCalls('todos')).toHaveLength(1);
    expect(lastSeq(registry)).toEqual({ global: 7 });
    expect(log.count('sse:gap')).toBe(0);
    expect(log.count('sse:resync-scheduled')).toBe(0);
  });

  it('the first hello only sets the baseline, whatever its last_seq', async () => {
    const { registry, log } = setup();
    registry.ingestEnvelope(hello(40, false));
    await advance(JITTER_MS * 2);

    expect(lastSeq(registry)).toEqual({ global: 40 });
    expect(log.details('sse:hello')).toEqual([
      { audience: 'global', lastSeq: 40, resumed: false, epoch: null },
    ]);
    expect(log.count('sse:gap')).toBe(0);
    expect(log.count('sse:resync-dispatch')).toBe(0);
  });

  it('envelopes in order each apply, with no gap and no resync', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => {
      for (const id of ['1', '2', '3']) registry.fetchItem('todo', id);
    });

    registry.ingestEnvelope(hello(0, false));
    registry.ingestEnvelope(envelope(1, [refreshItem('todo', 1)]));
    registry.ingestEnvelope(envelope(2, [refreshItem('todo', 2)]));
    registry.ingestEnvelope(envelope(3, [refreshItem('todo', 3)]));
    await advance(JITTER_MS * 2);

    expect(backend.itemRequests().sort()).toEqual(['todo:1@default', 'todo:2@default', 'todo:3@default']);
    expect(log.details('sse:message').map((detail) => detail.seq)).toEqual([1, 2, 3]);
    expect(log.count('directive:processed')).toBe(3);
    expect(lastSeq(registry)).toEqual({ global: 3 });
    expect(log.count('sse:gap')).toBe(0);
    expect(log.count('sse:resync-dispatch')).toBe(0);
  });

  it('a duplicate envelope is ignored: its directives are not applied twice', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
    });
    registry.ingestEnvelope(envelope(1, [refreshItem('todo', 1)]));
    registry.ingestEnvelope(envelope(2, [refreshItem('todo', 1)]));
    await advance(WINDOW_MS);
    expect(backend.itemRequests()).toEqual(['todo:1@default']);
    backend.reset();

    // Neither the same seq again (even with other directives) nor an older one applies anything.
    registry.ingestEnvelope(envelope(2, [refreshItem('todo', 1)]));
    registry.ingestEnvelope(envelope(2, [refreshItem('todo', 2)]));
    registry.ingestEnvelope(envelope(1, [refreshItem('todo', 2)]));
    await advance(JITTER_MS * 2);

    expect(backend.calls).toEqual([]);
    expect(log.count('directive:received')).toBe(2);
    expect(log.details('sse:message').map((detail) => detail.seq)).toEqual([1, 2, 2, 2, 1]);
    expect(lastSeq(registry)).toEqual({ global: 2 });
    expect(log.count('sse:gap')).toBe(0);
  });

  it('sequences are tracked per audience', async () => {
    const { registry, log } = setup();
    registry.ingestEnvelope(envelope(5, [], { audience: 'global' }));
    registry.ingestEnvelope(envelope(90, [], { audience: 'team-a' }));
    registry.ingestEnvelope(envelope(6, [], { audience: 'global' }));
    registry.ingestEnvelope(envelope(91, [], { audience: 'team-a' }));
    await advance(JITTER_MS * 2);

    expect(log.count('sse:gap')).toBe(0);
    registry.ingestEnvelope(envelope(93, [], { audience: 'team-a' }));
    expect(log.details('sse:gap')).toEqual([
      { audience: 'team-a', lastSeq: 91, incomingSeq: 93, reason: 'gap' },
    ]);
  });
});

describe('audiences', () => {
  it('an envelope without an audience counts for the configured audience, also after configureSse changes it', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope({ type: 'directives', seq: 4, directives: [] });
    expect(lastSeq(registry)).toEqual({ global: 4 });

    registry.configureSse({ audience: 'team-a' });
    registry.ingestEnvelope({ type: 'hello', last_seq: 1, resumed: false });
    registry.ingestEnvelope({ type: 'directives', seq: 2, directives: [refreshCollection('todos')] });
    await advance(JITTER_MS * 2);

    expect(lastSeq(registry)).toEqual({ 'team-a': 2 });
    expect(log.details('sse:message').map((detail) => detail.audience)).toEqual(['global', 'team-a']);
    expect(log.count('sse:gap')).toBe(0);
    expect(backend.collectionCalls('todos')).toHaveLength(1);
  });
});

describe('gaps and resyncs', () => {
  it('a gap emits sse:gap and schedules exactly one resync after the jitter; further gaps join it', async () => {
    const { registry, backend, log, onResync } = setup();
    await prime(backend, () => {
      registry.fetchCollection('todos');
      registry.fetchItem('todo', 1);
    });
    registry.ingestEnvelope(envelope(1, []));

    registry.ingestEnvelope(envelope(3, [refreshItem('todo', 1)]));
    expect(log.details('sse:gap')).toEqual([
      { audience: 'global', lastSeq: 1, incomingSeq: 3, reason: 'gap' },
    ]);
    expect(log.count('sse:resync-scheduled')).toBe(1);

    await advance(JITTER_MS / 2);
    registry.ingestEnvelope(envelope(6, []));
    expect(log.details('sse:gap')).toEqual([
      { audience: 'global', lastSeq: 1, incomingSeq: 3, reason: 'gap' },
      { audience: 'global', lastSeq: 3, incomingSeq: 6, reason: 'gap' },
    ]);
    expect(log.count('sse:resync-scheduled')).toBe(1);
    // The gap envelope's own directive applied in its window; the resync has not run.
    expect(backend.itemRequests()).toEqual(['todo:1@default']);
    backend.reset();

    await advance(JITTER_MS / 2 - 1);
    expect(log.count('sse:resync-dispatch')).toBe(0);
    expect(onResync).not.toHaveBeenCalled();

    await advance(1);
    const context = {
      reason: 'gap',
      gaps: [
        { audience: 'global', lastSeq: 1, incomingSeq: 3, reason: 'gap' },
        { audience: 'global', lastSeq: 3, incomingSeq: 6, reason: 'gap' },
      ],
    };
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(onResync).toHaveBeenCalledWith(context);
    expect(log.details('sse:resync-dispatch')).toEqual([{ context }]);

    await advance(JITTER_MS * 3);
    expect(log.count('sse:resync-dispatch')).toBe(1);
    expect(backend.itemRequests()).toEqual(['todo:1@default']);
    expect(backend.collectionCalls('todos')).toHaveLength(1);
    expect(lastSeq(registry)).toEqual({ global: 6 });
  });

  it('the resync delay is drawn within [resyncJitterMinMs, resyncJitterMaxMs]', async () => {
    const { registry, log } = setup({ resyncJitterMinMs: 1000, resyncJitterMaxMs: 3000 });
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(4, []));

    await advance(999);
    expect(log.count('sse:resync-dispatch')).toBe(0);
    await advance(2001);
    expect(log.count('sse:resync-dispatch')).toBe(1);
  });

  it('a gap after a resync schedules a new one', async () => {
    const { registry, log } = setup();
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS);
    registry.ingestEnvelope(envelope(5, []));
    await advance(JITTER_MS);

    expect(log.count('sse:gap')).toBe(2);
    expect(log.count('sse:resync-scheduled')).toBe(2);
    expect(log.count('sse:resync-dispatch')).toBe(2);
  });

  it('resyncOnGap: false reports the gap and schedules nothing', async () => {
    const { registry, log } = setup({ resyncOnGap: false });
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS * 2);

    expect(log.count('sse:gap')).toBe(1);
    expect(log.count('sse:resync-scheduled')).toBe(0);
    expect(log.count('sse:resync-dispatch')).toBe(0);
  });

  it('a hello with resumed: false above the stored seq is a gap', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope(envelope(4, []));

    registry.ingestEnvelope(hello(9, false));
    expect(log.details('sse:gap')).toEqual([
      { audience: 'global', lastSeq: 4, incomingSeq: 9, reason: 'gap' },
    ]);
    expect(lastSeq(registry)).toEqual({ global: 9 });

    // The next live envelope follows the hello's last_seq: no second gap.
    registry.ingestEnvelope(envelope(10, []));
    await advance(JITTER_MS);
    expect(log.count('sse:gap')).toBe(1);
    expect(log.count('sse:resync-dispatch')).toBe(1);
    await advance(WINDOW_MS);
    expect(backend.collectionCalls('todos')).toHaveLength(1);
  });

  it('a hello with resumed: true is not a gap: the replayed envelopes follow and apply once each', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => {
      for (const id of ['5', '6', '7']) registry.fetchItem('todo', id);
    });
    registry.ingestEnvelope(envelope(4, []));

    registry.ingestEnvelope(hello(7, true));
    expect(lastSeq(registry)).toEqual({ global: 4 });
    for (const seq of [5, 6, 7]) registry.ingestEnvelope(envelope(seq, [refreshItem('todo', seq)]));
    await advance(JITTER_MS * 2);

    expect(log.count('sse:gap')).toBe(0);
    expect(log.count('sse:resync-scheduled')).toBe(0);
    expect(backend.itemRequests().sort()).toEqual(['todo:5@default', 'todo:6@default', 'todo:7@default']);
    expect(lastSeq(registry)).toEqual({ global: 7 });
  });

  it('a hello equal to the stored seq is in sync', async () => {
    const { registry, log } = setup();
    registry.ingestEnvelope(envelope(4, []));
    registry.ingestEnvelope(hello(4, false));
    await advance(JITTER_MS * 2);

    expect(log.count('sse:gap')).toBe(0);
    expect(log.count('sse:resync-dispatch')).toBe(0);
  });

  it('a hello below the stored seq resets the seq and schedules one resync', async () => {
    const { registry, backend, log, onResync } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope(envelope(12, []));

    registry.ingestEnvelope(hello(2, false));
    expect(lastSeq(registry)).toEqual({ global: 2 });
    expect(log.details('sse:resync-scheduled')).toEqual([
      { audience: 'global', lastSeq: 12, incomingSeq: 2, reason: 'reset' },
    ]);

    // The server's new numbers are the truth: 3 follows 2.
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS);
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(onResync.mock.calls[0]![0].reason).toBe('reset');
    expect(log.count('sse:resync-dispatch')).toBe(1);
    await advance(WINDOW_MS);
    expect(backend.collectionCalls('todos')).toHaveLength(1);
    expect(log.details('sse:gap').filter((detail) => detail.reason === 'gap')).toEqual([]);
    expect(lastSeq(registry)).toEqual({ global: 3 });
  });

  it('onResync returning false cancels the resync', async () => {
    const { registry, backend, log, onResync } = setup({}, {}, false);
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS + WINDOW_MS * 2);

    expect(onResync).toHaveBeenCalledTimes(1);
    expect(log.count('sse:resync-dispatch')).toBe(0);
    expect(backend.calls).toEqual([]);

    // Nothing stays pending: the next gap is scheduled (and asked about) afresh.
    registry.ingestEnvelope(envelope(5, []));
    expect(log.count('sse:resync-scheduled')).toBe(2);
    await advance(JITTER_MS);
    expect(onResync).toHaveBeenCalledTimes(2);
  });

  it('an onResync that throws does not stop the resync', async () => {
    const { registry, backend, log } = setup({
      onResync: () => {
        throw new Error('listener bug');
      },
    });
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS + WINDOW_MS);

    expect(log.count('sse:resync-dispatch')).toBe(1);
    expect(backend.collectionCalls('todos')).toHaveLength(1);
  });

  it('disconnectSse cancels a pending resync', async () => {
    const { registry, backend, log, onResync } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS / 2);

    registry.disconnectSse();
    await advance(JITTER_MS * 3);
    expect(onResync).not.toHaveBeenCalled();
    expect(log.count('sse:resync-dispatch')).toBe(0);
    expect(backend.calls).toEqual([]);

    registry.ingestEnvelope(envelope(5, []));
    await advance(JITTER_MS);
    expect(log.count('sse:resync-dispatch')).toBe(1);
  });

  it('reconnectSse keeps a pending resync: the gap it covers is still missing', async () => {
    const { EventSource, opened } = silentEventSource();
    const { registry, log } = setup({ enabled: true, connectOnInit: false, EventSource });
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS / 2);

    registry.reconnectSse();
    expect(opened).toHaveLength(1);
    await advance(JITTER_MS / 2);
    expect(log.count('sse:resync-dispatch')).toBe(1);
  });
  it('switching to another directive source keeps a pending resync', async () => {
    const { registry, log } = setup();
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS / 2);

    registry.configureDirectiveSource({ connect: () => () => {} });
    await advance(JITTER_MS / 2);
    expect(log.count('sse:resync-dispatch')).toBe(1);
  });
});

describe('own-source envelopes', () => {
  it('an envelope whose source is this clientId is skipped but advances the seq', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchItem('todo', 2);
    });
    registry.ingestEnvelope(envelope(1, []));

    registry.ingestEnvelope(envelope(2, [refreshItem('todo', 1)], { source: registry.clientId }));
    await advance(WINDOW_MS);
    expect(backend.calls).toEqual([]);
    expect(log.details('directive:skipped')).toEqual([
      { directive: refreshItem('todo', 1), reason: `own source (${CLIENT_ID})` },
    ]);
    expect(lastSeq(registry)).toEqual({ global: 2 });

    registry.ingestEnvelope(envelope(3, [refreshItem('todo', 2)], { source: 'client-other' }));
    await advance(JITTER_MS * 2);
    expect(log.count('sse:gap')).toBe(0);
    expect(log.count('sse:resync-dispatch')).toBe(0);
    expect(backend.itemRequests()).toEqual(['todo:2@default']);
  });
});

describe('junk', () => {
  const junk: Array<[string, unknown, string]> = [
    ['a string that is not JSON', '{"type":"directives",', 'frame is not valid JSON'],
    ['a JSON array', '[1,2]', 'frame must be a JSON object, got an array'],
    [
      'a type that is not a string',
      { type: 7, seq: 2, directives: [] },
      'frame field "type" must be a string, got 7',
    ],
    [
      'a seq that is not a number',
      '{"type":"directives","seq":"2","directives":[{"op":"refresh_collection","name":"todos"}]}',
      'directives field "seq" must be a positive safe integer, got "2"',
    ],
    [
      'a source that is not a string',
      { type: 'directives', seq: 2, source: 3, directives: [refreshCollection('todos')] },
      'directives field "source" must be a string, got 3',
    ],
    [
      'an envelope without directives',
      { type: 'directives', seq: 2 },
      'directives envelope has no "directives" field',
    ],
    [
      'a hello whose last_seq is not a number',
      { type: 'hello', last_seq: '9', resumed: false },
      'hello field "last_seq" must be a non-negative safe integer, got "9"',
    ],
    ['null', null, 'frame must be a JSON object, got null'],
  ];

  it.each(junk)('%s is reported as sse:junk and applies nothing', async (_label, frame, reason) => {
    const { registry, backend, log } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope(envelope(1, []));

    registry.ingestEnvelope(frame);
    await advance(JITTER_MS * 2);

    expect(log.of('sse:junk').map((event) => event.detail.reason)).toEqual([reason]);
    expect(log.count('directive:received')).toBe(1);
    expect(log.count('sse:gap')).toBe(0);
    expect(backend.calls).toEqual([]);
    expect(lastSeq(registry)).toEqual({ global: 1 });
  });

  it('a frame over sse.maxFrameBytes is junk, whatever it holds', async () => {
    const { registry, backend, log } = setup({ maxFrameBytes: 200 });
    await prime(backend, () => registry.fetchCollection('todos'));
    const big = JSON.stringify(envelope(1, [refreshCollection('todos', { pad: 'x'.repeat(200) })]));

    registry.ingestEnvelope(big);
    await advance(WINDOW_MS);

    expect(log.details('sse:junk')).toEqual([
      { reason: `frame of ${big.length} bytes exceeds maxFrameBytes (200)`, bytes: big.length },
    ]);
    expect(backend.calls).toEqual([]);
    expect(lastSeq(registry)).toEqual({});
  });

  it('the size of an oversized frame is counted in UTF-8 bytes', async () => {
    const { registry, log } = setup({ maxFrameBytes: 200 });
    const big = JSON.stringify(envelope(1, [refreshCollection('todos', { pad: 'é'.repeat(100) })]));
    const bytes = Buffer.byteLength(big, 'utf8');

    registry.ingestEnvelope(big);

    expect(bytes).toBe(big.length + 100);
    expect(log.details('sse:junk')).toEqual([
      { reason: `frame of ${bytes} bytes exceeds maxFrameBytes (200)`, bytes },
    ]);
  });

  it('a frame given as a JSON string applies like the object', async () => {
    const { registry, backend, log } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));

    registry.ingestEnvelope(JSON.stringify(envelope(1, [refreshCollection('todos')])));
    await advance(WINDOW_MS);

    expect(backend.collectionCalls('todos')).toHaveLength(1);
    expect(log.count('sse:junk')).toBe(0);
  });

  it('a frame of a type this client does not handle is ignored, not junk', async () => {
    const { registry, backend, log } = setup();
    registry.ingestEnvelope({ type: 'presence', users: 3 });
    await advance(WINDOW_MS);

    expect(log.count('sse:junk')).toBe(0);
    expect(log.count('sse:message')).toBe(0);
    expect(backend.calls).toEqual([]);
  });
});

describe('resync', () => {
  it('refetches, silently, every collection entry and item level read within resyncWindowMs or subscribed, whatever its params; the others go stale', async () => {
    const { registry, backend, log } = setup();
    // Passive: read long ago, no subscriber.
    const oldTodo = registry.fetchItem('todo', 'old');
    const oldPage = registry.fetchCollection('todos', { params: { page: 9 } });
    // Read long ago, but on screen.
    const watched = registry.fetchItem('todo', 'watched');
    const stop = watched.subscribe(() => {});
    await advance(WINDOW_MS);
    await advance(RESYNC_WINDOW_MS + 1);
    // Active: read within the window, with params or without, and two levels of one item.
    await prime(backend, () => {
      registry.fetchCollection('todos');
      registry.fetchCollection('todos', { params: { page: 1 } });
      registry.fetchCollection('todos', { params: { page: 2, filter: { done: true } } });
      registry.fetchItem('todo', 'recent');
      registry.fetchItem('todo', 'recent', 'extra');
    });
    backend.hold();
    const recent = registry.fetchItem('todo', 'recent');
    const page1 = registry.fetchCollection('todos', { params: { page: 1 } });

    const done = registry.resync();
    await advance(WINDOW_MS);

    expect(
      backend
        .collectionCalls('todos')
        .map((call) => JSON.stringify(call.params))
        .sort(),
    ).toEqual(['{"page":1}', '{"page":2,"filter":{"done":true}}', '{}']);
    expect(backend.itemRequests().sort()).toEqual([
      'todo:recent@default',
      'todo:recent@extra',
      'todo:watched@default',
    ]);
    for (const ref of [recent, page1, watched]) {
      expect(ref.meta.isFetching).toBe(true);
      expect(ref.meta.isLoading).toBe(false);
    }
    expect(log.details('sse:resync-dispatch')).toEqual([{ context: { reason: 'manual', gaps: [] } }]);
    expect(oldTodo.meta.status).toBe('stale');
    expect(oldPage.meta.status).toBe('stale');
    expect(oldTodo.data).toEqual({ id: 'old', default: 'r1' });

    let resolved = false;
    void done.then(() => (resolved = true));
    await advance(0);
    expect(resolved).toBe(false);
    backend.release();
    await advance(0);
    expect(resolved).toBe(true);
    expect(recent.meta.status).toBe('fresh');
    expect(page1.meta.status).toBe('fresh');

    // A stale entry refetches when next read, silently, showing its old data meanwhile.
    backend.reset();
    const reread = registry.fetchItem('todo', 'old');
    expect(reread.meta.isLoading).toBe(false);
    expect(reread.meta.isFetching).toBe(true);
    expect(backend.itemRequests()).toEqual(['todo:old@default']);
    stop();
  });

  it('groups item refetches into bulkFetch calls of maxBatchSize, sent with the window', async () => {
    const { registry, backend, log } = setup({}, { bulk: { maxBatchSize: 2 } });
    await prime(backend, () => {
      for (const id of ['1', '2', '3', '4', '5']) registry.fetchItem('user', id);
    });

    void registry.resync();
    await advance(WINDOW_MS);

    expect(backend.itemCalls()).toEqual([]);
    expect(backend.bulkCalls('user').map((call) => call.ids)).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(log.details('bulk:flush').at(-1)).toEqual({
      type: 'user',
      level: 'default',
      ids: ['1', '2', '3', '4', '5'],
      chunks: 3,
    });
  });

  it('a resync and the directives of its window refetch each entry once', async () => {
    const { registry, backend } = setup();
    await prime(backend, () => {
      registry.fetchItem('todo', 1);
      registry.fetchCollection('todos');
    });

    registry.ingestEnvelope(envelope(1, [refreshItem('todo', 1), refreshCollection('todos')]));
    void registry.resync();
    await advance(WINDOW_MS);

    expect(backend.itemRequests()).toEqual(['todo:1@default']);
    expect(backend.collectionCalls('todos')).toHaveLength(1);
  });
});

describe('epochs', () => {
  const helloIn = (epoch: string, lastSeq: number, resumed: boolean) => ({
    ...hello(lastSeq, resumed),
    epoch,
  });

  it('a hello of another epoch is a restart: sse:gap with reason epoch and one resync, even when it says resumed', async () => {
    const { registry, backend, log, onResync } = setup();
    await prime(backend, () => registry.fetchCollection('todos'));
    registry.ingestEnvelope(helloIn('run-1', 0, false));
    registry.ingestEnvelope(envelope(1, []));

    // The new run emitted 5 while this client was away; its numbers alone look like a resumable point.
    registry.ingestEnvelope(helloIn('run-2', 5, true));
    expect(log.details('sse:gap')).toEqual([
      { audience: 'global', lastSeq: 1, incomingSeq: 5, reason: 'epoch' },
    ]);
    expect(log.details('sse:resync-scheduled')).toEqual([
      { audience: 'global', lastSeq: 1, incomingSeq: 5, reason: 'epoch' },
    ]);
    expect(lastSeq(registry)).toEqual({ global: 5 });
    // sse:hello names each hello's epoch, so an app can show which run of the server's sequence it follows.
    expect(log.details('sse:hello').map((detail) => detail.epoch)).toEqual(['run-1', 'run-2']);

    registry.ingestEnvelope(envelope(6, []));
    await advance(JITTER_MS);
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(onResync.mock.calls[0]![0].reason).toBe('epoch');
    await advance(WINDOW_MS);
    expect(backend.collectionCalls('todos')).toHaveLength(1);
    expect(log.count('sse:gap')).toBe(1);
  });

  it('the same epoch again is not a restart: a resumed hello is in sync', async () => {
    const { registry, log } = setup();
    registry.ingestEnvelope(helloIn('run-1', 0, false));
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(helloIn('run-1', 3, true));
    registry.ingestEnvelope(envelope(2, []));
    registry.ingestEnvelope(envelope(3, []));
    await advance(JITTER_MS * 2);
    expect(log.count('sse:gap')).toBe(0);
    expect(log.count('sse:resync-dispatch')).toBe(0);
  });

  it('a gap and a restart pending together resync once, with reason epoch', async () => {
    const { registry, log, onResync } = setup();
    registry.ingestEnvelope(helloIn('run-1', 0, false));
    registry.ingestEnvelope(envelope(1, []));
    registry.ingestEnvelope(envelope(3, []));
    registry.ingestEnvelope(helloIn('run-2', 0, false));
    await advance(JITTER_MS);
    expect(log.details('sse:gap').map((gap) => gap.reason)).toEqual(['gap', 'epoch']);
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(onResync.mock.calls[0]![0].reason).toBe('epoch');
  });
});
