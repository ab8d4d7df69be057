// The registry's stream under faults (SPEC §1.2, §3 "Stream"): a real node:http SSE server on 127.0.0.1 and the `eventsource` client.
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { RegistryOptions } from '../src/index';
import { SseTestServer, waitUntil } from './support/sse-test-server';
import { prime, type StreamClient, settled, sseTo, streamClient } from './support/stream-client';
import { refreshCollection, refreshItem } from './support/stream-fixtures';

const INITIAL_RETRY_MS = 20;
const MAX_RETRY_MS = 200;
const JITTER_MIN_MS = 60;
const JITTER_MAX_MS = 80;
const CLIENT_ID = 'client-faults';

/** A registry on the test server, not yet connected (so the log sees everything). */
function client(url: string, options: RegistryOptions = {}): StreamClient {
  return streamClient({
    clientId: CLIENT_ID,
    ...options,
    sse: sseTo(url, {
      initialRetryMs: INITIAL_RETRY_MS,
      maxRetryMs: MAX_RETRY_MS,
      resyncJitterMinMs: JITTER_MIN_MS,
      resyncJitterMaxMs: JITTER_MAX_MS,
      ...options.sse,
    }),
  });
}

/** Reads, waits until nothing is in flight, then forgets the calls the reads made. */

/** Waits until every fetch the stream caused has settled and nothing waits for a window. */

/** A retry delay as backoffDelay draws it: initial × 2^(attempt-1), capped, ±20 %. */
function expectBackoff(detail: Readonly<Record<string, unknown>>, attempt: number): void {
  const base = Math.min(INITIAL_RETRY_MS * 2 ** (attempt - 1), MAX_RETRY_MS);
  expect(detail.attempt).toBe(attempt);
  expect(detail.retryInMs).toBeGreaterThanOrEqual(base * 0.8);
  expect(detail.retryInMs).toBeLessThanOrEqual(base * 1.2);
}

const ms = (timestamp: string) => Date.parse(timestamp);

describe('the registry on a real SSE server', () => {
  let server: SseTestServer;

  beforeEach(async () => {
    server = await SseTestServer.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('a server killed mid-stream and restarted: the client retries with backoff and resumes from the last seq', async () => {
    const c = client(server.url);
    await prime(c, () => c.registry.fetchCollection('todos'));
    c.registry.connectSse();
    await c.log.until('sse:hello');
    server.emit([refreshCollection('todos')]);
    await c.log.until('sse:message');
    await settled(c);
    server.emit([refreshCollection('todos')]);
    await c.log.until('sse:message', 2);
    await settled(c);

    await server.stop();
    await c.log.until('sse:error', 3);
    const errors = c.log.details('sse:error');
    for (const [index, detail] of errors.slice(0, 3).entries()) expectBackoff(detail, index + 1);
    expect(c.registry.state().sse.connected).toBe(false);
    expect(server.requests).toHaveLength(1);

    await server.restart();
    await c.log.until('sse:open', 2);
    await c.log.until('sse:hello', 2);
    const reconnect = server.requests[1]!;
    expect(reconnect.query.get('last_event_id')).toBe('2');
    expect(reconnect.query.get('client_id')).toBe(CLIENT_ID);
    expect(reconnect.query.get('audience')).toBe('global');
    expect(reconnect.lastEventIdHeader).toBeNull();
    expect(c.log.details('sse:hello')).toEqual([
      { audience: 'global', lastSeq: 0, resumed: false, epoch: null },
      { audience: 'global', lastSeq: 2, resumed: true, epoch: null },
    ]);
    expect(c.registry.state().sse.connected).toBe(true);

    // The backoff starts over after a successful open.
    const before = c.log.count('sse:error');
    server.kill();
    await c.log.until('sse:open', 3);
    expect(c.log.count('sse:error')).toBe(before + 1);
    expectBackoff(c.log.details('sse:error').at(-1)!, 1);
    expect(server.requests[2]!.query.get('last_event_id')).toBe('2');

    server.emit([refreshCollection('todos')]);
    await c.log.until('sse:message', 3);
    await settled(c);
    expect(c.backend.collectionCalls('todos')).toHaveLength(3);
    expect(c.log.count('sse:gap')).toBe(0);
    expect(c.log.count('sse:resync-scheduled')).toBe(0);
  });

  it('a restart that reset the sequence: the lower hello resets the seq and triggers one resync', async () => {
    const c = client(server.url);
    await prime(c, () => {
      c.registry.fetchCollection('todos');
      c.registry.fetchItem('todo', 1);
    });
    c.registry.connectSse();
    await c.log.until('sse:hello');
    for (let i = 0; i < 3; i++) server.emit([]);
    await c.log.until('sse:message', 3);

    server.kill();
    server.resetSequences();
    await c.log.until('sse:hello', 2);
    expect(server.requests[1]!.query.get('last_event_id')).toBe('3');
    expect(c.log.details('sse:hello')[1]).toEqual({
      audience: 'global',
      lastSeq: 0,
      resumed: false,
      epoch: null,
    });
    expect(c.log.details('sse:resync-scheduled')).toEqual([
      { audience: 'global', lastSeq: 3, incomingSeq: 0, reason: 'reset' },
    ]);
    expect(c.registry.state().sse.lastSeq).toEqual({ global: 0 });

    await c.log.until('sse:resync-dispatch');
    await settled(c);
    expect(c.backend.collectionCalls('todos')).toHaveLength(1);
    expect(c.backend.itemRequests()).toEqual(['todo:1@default']);

    // The server's new numbering is followed without another gap.
    server.emit([refreshItem('todo', 1)]);
    await c.log.until('sse:message', 4);
    await settled(c);
    expect(c.registry.state().sse.lastSeq).toEqual({ global: 1 });
    expect(c.log.details('sse:gap').filter((gap) => gap.reason === 'gap')).toEqual([]);
    expect(c.log.count('sse:resync-dispatch')).toBe(1);
    expect(c.backend.itemRequests()).toEqual(['todo:1@default', 'todo:1@default']);
  });

  it('events dropped by the server: the gap is seen and one resync runs after the jitter', async () => {
    const c = client(server.url);
    await prime(c, () => {
      c.registry.fetchCollection('todos');
      c.registry.fetchItem('todo', 1);
      c.registry.fetchItem('todo', 2);
    });
    c.registry.connectSse();
    await c.log.until('sse:hello');

    server.emit([refreshItem('todo', 1)]);
    server.emit([refreshItem('todo', 2)], { deliver: false });
    server.emit([refreshCollection('todos')]);
    await c.log.until('sse:gap');
    expect(c.log.details('sse:gap')).toEqual([
      { audience: 'global', lastSeq: 1, incomingSeq: 3, reason: 'gap' },
    ]);
    expect(c.log.count('sse:resync-dispatch')).toBe(0);

    await c.log.until('sse:resync-dispatch');
    const gapAt = ms(c.log.of('sse:gap')[0]!.timestamp);
    const dispatchAt = ms(c.log.of('sse:resync-dispatch')[0]!.timestamp);
    // Node's timers keep whole milliseconds against the loop's clock, so one can fire a millisecond early.
    expect(dispatchAt - gapAt).toBeGreaterThanOrEqual(JITTER_MIN_MS - 1);
    expect(c.log.details('sse:resync-dispatch')).toEqual([
      {
        context: {
          reason: 'gap',
          gaps: [{ audience: 'global', lastSeq: 1, incomingSeq: 3, reason: 'gap' }],
        },
      },
    ]);
    await settled(c);

    // Envelopes 1 and 3 refetched what they named; the resync refetched every active entry, the lost todo 2 too.
    expect(c.backend.itemRequests().sort()).toEqual(['todo:1@default', 'todo:1@default', 'todo:2@default']);
    expect(c.backend.collectionCalls('todos')).toHaveLength(2);

    server.emit([]);
    await c.log.until('sse:message', 3);
    expect(c.log.count('sse:gap')).toBe(1);
    expect(c.log.count('sse:resync-scheduled')).toBe(1);
    expect(c.log.count('sse:resync-dispatch')).toBe(1);
  });

  it('a server that replays after last_event_id: no resync, every envelope applied once', async () => {
    const c = client(server.url);
    await prime(c, () => {
      for (const id of [1, 2, 3, 4, 5]) c.registry.fetchItem('todo', id);
    });
    c.registry.connectSse();
    await c.log.until('sse:hello');
    server.emit([refreshItem('todo', 1)]);
    server.emit([refreshItem('todo', 2)]);
    await c.log.until('sse:message', 2);

    server.kill();
    // Sent while the client is away: only the replay can bring them.
    for (const id of [3, 4, 5]) server.emit([refreshItem('todo', id)]);
    await c.log.until('sse:message', 5);
    await settled(c);

    expect(server.requests.map((request) => request.query.get('last_event_id'))).toEqual([null, '2']);
    expect(c.log.details('sse:hello')).toEqual([
      { audience: 'global', lastSeq: 0, resumed: false, epoch: null },
      { audience: 'global', lastSeq: 5, resumed: true, epoch: null },
    ]);
    expect(c.log.details('sse:message').map((detail) => detail.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(
      c.log.details('directive:processed').map((detail) => (detail.directive as { id: number }).id),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(c.backend.itemRequests().sort()).toEqual([
      'todo:1@default',
      'todo:2@default',
      'todo:3@default',
      'todo:4@default',
      'todo:5@default',
    ]);
    // A gap schedules its resync the moment it is seen, so none was.
    expect(c.log.count('sse:gap')).toBe(0);
    expect(c.log.count('sse:resync-scheduled')).toBe(0);
    expect(c.registry.state().sse.lastSeq).toEqual({ global: 5 });
  });

  it('junk frames are ignored with sse:junk and the stream stays up on the same connection', async () => {
    const c = client(server.url, { sse: { maxFrameBytes: 512 } });
    await prime(c, () => c.registry.fetchCollection('todos'));
    c.registry.connectSse();
    await c.log.until('sse:hello');

    const notJson = '{"type":"directives", this is not JSON';
    const seqText =
      '{"type":"directives","seq":"1","directives":[{"op":"refresh_collection","name":"todos"}]}';
    const negativeHello = '{"type":"hello","last_seq":-1,"resumed":false}';
    server.sendData(notJson);
    server.sendData(seqText);
    server.sendData(negativeHello);
    const huge = JSON.stringify({
      type: 'directives',
      seq: 1,
      directives: [refreshCollection('todos', { pad: 'x'.repeat(600) })],
    });
    server.sendData(huge, 1);
    server.sendData('{"type":"presence","online":4}');
    server.comment();
    server.emit([refreshCollection('todos')]);
    await c.log.until('sse:message');
    await settled(c);

    expect(c.log.details('sse:junk')).toEqual([
      { reason: 'frame is not valid JSON', bytes: notJson.length },
      { reason: 'directives field "seq" must be a positive safe integer, got "1"', bytes: seqText.length },
      {
        reason: 'hello field "last_seq" must be a non-negative safe integer, got -1',
        bytes: negativeHello.length,
      },
      { reason: `frame of ${huge.length} bytes exceeds maxFrameBytes (512)`, bytes: huge.length },
    ]);
    expect(c.log.details('sse:message')).toEqual([{ audience: 'global', seq: 1, source: null }]);
    expect(c.backend.collectionCalls('todos')).toHaveLength(1);
    expect(c.log.count('sse:error')).toBe(0);
    expect(c.log.count('sse:open')).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(server.openStreams).toBe(1);
    expect(c.registry.state().sse.connected).toBe(true);
    expect(c.registry.state().sse.lastSeq).toEqual({ global: 1 });
  });

  it('1,000 envelopes in a burst: one fetch per distinct active entry touched, items in ceil(n / maxBatchSize) bulk calls', async () => {
    const MAX_BATCH = 25;
    // One window wide enough for the whole burst; only subscribed entries are active (resyncWindowMs 0).
    const c = client(server.url, {
      bulk: { delayMs: 1000, maxBatchSize: MAX_BATCH },
      sse: { resyncWindowMs: 0 },
    });
    const users = Array.from({ length: 200 }, (_, i) => String(i));
    const pages = Array.from({ length: 10 }, (_, i) => i);
    const activeUsers = new Set(users.slice(0, 60));
    const activePages = new Set(pages.slice(0, 4));
    const userRefs = new Map(users.map((id) => [id, c.registry.fetchItem('user', id)]));
    const pageRefs = new Map(
      pages.map((page) => [page, c.registry.fetchCollection('todos', { params: { page } })]),
    );
    for (const id of activeUsers) onTestFinished(userRefs.get(id)!.subscribe(() => {}));
    for (const page of activePages) onTestFinished(pageRefs.get(page)!.subscribe(() => {}));
    await prime(c, () => {});
    const primedAt = Date.now();
    await waitUntil(() => Date.now() > primedAt, 'the reads to fall out of a 0 ms resync window');
    c.registry.connectSse();
    await c.log.until('sse:hello');

    // Ids 200..249 and pages 10..12 are not cached: directives never create state.
    const burstStart = c.log.events.length;
    const touchedUsers = new Set<string>();
    const touchedPages = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) {
        const id = String((i * 7) % 250);
        touchedUsers.add(id);
        server.emit([refreshItem('user', id)]);
      } else {
        const page = i % 13;
        touchedPages.add(page);
        server.emit([refreshCollection('todos', { page })]);
      }
    }
    await c.log.until('sse:message', 1000);
    const burstDone = c.log.events.length;
    await settled(c);

    const firstFetch = c.log.events.findIndex(
      (event, index) =>
        index >= burstStart &&
        (event.event === 'item:fetch:intent' || event.event === 'collection:fetch:intent'),
    );
    expect(firstFetch, 'the whole burst arrived within one coordinator window').toBeGreaterThanOrEqual(
      burstDone,
    );
    const refetchedUsers = [...touchedUsers].filter((id) => activeUsers.has(id)).sort();
    const refetchedPages = [...touchedPages].filter((page) => activePages.has(page)).sort();
    expect(refetchedUsers.length).toBeGreaterThan(MAX_BATCH);
    expect(c.backend.itemCalls()).toEqual([]);
    expect(c.backend.bulkCalls('user')).toHaveLength(Math.ceil(refetchedUsers.length / MAX_BATCH));
    expect(c.backend.bulkCalls('user').every((call) => call.ids.length <= MAX_BATCH)).toBe(true);
    expect(
      c.backend
        .bulkCalls('user')
        .flatMap((call) => call.ids)
        .sort(),
    ).toEqual(refetchedUsers);
    expect(
      c.backend
        .collectionCalls('todos')
        .map((call) => call.params.page as number)
        .sort(),
    ).toEqual(refetchedPages);

    for (const [id, ref] of userRefs) {
      const expected = activeUsers.has(id) || !touchedUsers.has(id) ? 'fresh' : 'stale';
      expect(ref.meta.status, `user ${id}`).toBe(expected);
    }
    for (const [page, ref] of pageRefs) {
      const expected = activePages.has(page) || !touchedPages.has(page) ? 'fresh' : 'stale';
      expect(ref.meta.status, `page ${page}`).toBe(expected);
    }
    expect(c.log.count('sse:gap')).toBe(0);
    expect(c.log.count('directive:processed')).toBe(1000);
  });

  it('configureSse({ audience }) reconnects with the new audience parameter', async () => {
    const c = client(server.url);
    await prime(c, () => c.registry.fetchCollection('todos'));
    c.registry.connectSse();
    await c.log.until('sse:hello');
    server.emit([]);
    await c.log.until('sse:message');

    c.registry.configureSse({ audience: 'team-a' });
    expect(c.log.details('sse:disconnect')).toEqual([{ reason: 'requested', wasConnected: true }]);
    await c.log.until('sse:hello', 2);
    await waitUntil(() => server.openStreams === 1, 'the old stream to close');

    const [first, second] = server.requests;
    expect(first!.query.get('audience')).toBe('global');
    expect(second!.query.get('audience')).toBe('team-a');
    expect(second!.query.get('client_id')).toBe(CLIENT_ID);
    // The old audience's seq means nothing to the new one.
    expect(second!.query.has('last_event_id')).toBe(false);
    expect(c.registry.state().sse.audience).toBe('team-a');

    server.emit([refreshCollection('todos')], { audience: 'team-a' });
    await c.log.until('sse:message', 2);
    await settled(c);
    expect(c.log.details('sse:message').at(-1)).toEqual({ audience: 'team-a', seq: 1, source: null });
    expect(c.backend.collectionCalls('todos')).toHaveLength(1);

    // Options that do not change where the stream comes from leave the connection alone.
    c.registry.configureSse({ resyncJitterMaxMs: JITTER_MAX_MS + 10, initialRetryMs: 30 });
    expect(c.log.count('sse:disconnect')).toBe(1);
    expect(server.requests).toHaveLength(2);
    expect(c.log.count('sse:gap')).toBe(0);
  });

  it('disconnectSse stops reconnect attempts', async () => {
    const c = client(server.url);
    // Killed at the same moment with a backoff at least 4× ours: once it is back, ours was long due.
    const witness = client(server.url, {
      clientId: 'witness',
      sse: { initialRetryMs: INITIAL_RETRY_MS * 6 },
    });
    c.registry.connectSse();
    witness.registry.connectSse();
    await c.log.until('sse:open');
    await witness.log.until('sse:open');
    await waitUntil(() => server.openStreams === 2, 'two streams');

    // Disconnect the moment the drop is reported, while the reconnect is pending.
    const stop = c.registry.onLifecycle('sse:error', () => c.registry.disconnectSse());
    server.kill();
    await c.log.until('sse:error');
    stop();
    expect(c.log.details('sse:disconnect')).toEqual([{ reason: 'requested', wasConnected: true }]);
    expect(c.registry.state().sse.connected).toBe(false);

    await witness.log.until('sse:open', 2);
    expect(server.requests.map((request) => request.query.get('client_id'))).toEqual([
      CLIENT_ID,
      'witness',
      'witness',
    ]);
    expect(c.log.count('sse:error')).toBe(1);
    expect(c.log.count('sse:open')).toBe(1);

    // connectSse starts afresh, resuming from the seq it saw.
    c.registry.connectSse();
    await c.log.until('sse:open', 2);
    expect(server.requests.at(-1)!.query.get('client_id')).toBe(CLIENT_ID);
    expect(server.requests.at(-1)!.query.get('last_event_id')).toBe('0');
  });

  it('a hidden tab shown again after a drop reconnects at once', async () => {
    const target = new EventTarget();
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
    vi.stubGlobal('document', document);
    onTestFinished(() => {
      vi.unstubAllGlobals();
    });
    const c = client(server.url, { sse: { initialRetryMs: 60_000, maxRetryMs: 120_000 } });
    c.registry.connectSse();
    await c.log.until('sse:open');

    // Shown while the stream is up: nothing to revive.
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(c.log.count('sse:disconnect')).toBe(0);

    document.visibilityState = 'hidden';
    server.kill();
    await c.log.until('sse:error');
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    await c.log.until('sse:open', 2, 2000);
    expect(server.requests).toHaveLength(2);
  });

  it('a browser coming back online reconnects at once instead of waiting for the backoff', async () => {
    const target = new EventTarget();
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target));
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target));
    onTestFinished(() => {
      vi.unstubAllGlobals();
    });
    const c = client(server.url, { sse: { initialRetryMs: 60_000, maxRetryMs: 120_000 } });
    c.registry.connectSse();
    await c.log.until('sse:open');

    server.kill();
    await c.log.until('sse:error');
    expect(c.log.details('sse:error')[0]!.retryInMs).toBeGreaterThanOrEqual(48_000);
    target.dispatchEvent(new Event('online'));
    await c.log.until('sse:open', 2, 2000);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.query.get('last_event_id')).toBe('0');
  });
});
