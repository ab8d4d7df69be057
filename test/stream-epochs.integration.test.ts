import { afterEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../src/server/index';
import { redisBackplane } from '../src/server/redis';
import { type HubChild, startHubChild } from './support/hub-child';
import type { LifecycleLog } from './support/lifecycle';
import { withRedis } from './support/redis-server';
import { type HubServer, startHubServer } from './support/server-harness';
import { waitUntil } from './support/sse-test-server';
import { type StreamClient, settled, sseTo, streamClient } from './support/stream-client';
import { refreshItem } from './support/stream-fixtures';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

function client(url: string): StreamClient {
  return streamClient({ clientId: 'away', sse: sseTo(url, { resyncWindowMs: 600_000 }) });
}

/** Reads todo 1 (so it is active), lets the read settle, then connects and waits for the hello. */
async function primeAndConnect(c: StreamClient): Promise<void> {
  void c.registry.fetchItem('todo', '1');
  await settled(c);
  c.backend.reset();
  c.registry.connectSse();
  await c.log.until('sse:hello');
}

const STREAM_EVENTS = new Set(['sse:hello', 'sse:gap', 'sse:resync-scheduled', 'sse:resync-dispatch']);

/** What the stream told the client, in order: the record the reproductions are judged by. */
function streamStory(log: LifecycleLog): Array<{ event: string; detail: Readonly<Record<string, unknown>> }> {
  return log.events
    .filter((event) => STREAM_EVENTS.has(event.event))
    .map(({ event, detail }) => ({ event, detail }));
}

/** The epoch each hello named, in order (the sse:hello detail carries it). */
const helloEpochs = (log: LifecycleLog): unknown[] => log.details('sse:hello').map((detail) => detail.epoch);

const epochGap = (lastSeq: number, incomingSeq: number) => ({
  audience: 'global',
  lastSeq,
  incomingSeq,
  reason: 'epoch',
});

describe('reproduction 1: an in-memory hub killed and restarted while the client is away', () => {
  let hub: HubChild | null = null;
  afterEach(async () => {
    await hub?.kill();
    hub = null;
  });

  it('the new run emitted 5 before the client came back: resumed false, a resync with reason epoch, todo 1 refetched', async () => {
    hub = await startHubChild();
    const { port } = hub;
    const c = client(`http://127.0.0.1:${port}/events`);
    await primeAndConnect(c);
    await hub.emit([refreshItem('todo', '1')]);
    await waitUntil(() => c.backend.itemCalls('todo').length === 1, 'the directive refetches todo 1');
    await settled(c);

    await hub.kill();
    await c.log.until('sse:error');
    hub = await startHubChild(port, 5);
    await c.log.until('sse:resync-dispatch', 1, 10_000);
    await settled(c);

    expect(streamStory(c.log)).toEqual([
      {
        event: 'sse:hello',
        detail: { audience: 'global', lastSeq: 0, resumed: false, epoch: expect.any(String) },
      },
      {
        event: 'sse:hello',
        detail: { audience: 'global', lastSeq: 5, resumed: false, epoch: expect.any(String) },
      },
      { event: 'sse:gap', detail: epochGap(1, 5) },
      { event: 'sse:resync-scheduled', detail: epochGap(1, 5) },
      { event: 'sse:resync-dispatch', detail: { context: { reason: 'epoch', gaps: [epochGap(1, 5)] } } },
    ]);
    expect(helloEpochs(c.log)[1]).not.toBe(helloEpochs(c.log)[0]);
    // Once for the directive of the first run, once for the resync after the restart.
    expect(c.backend.itemRequests()).toEqual(['todo:1@default', 'todo:1@default']);
  });
});

describe('Redis backplane: an instance cut off from Redis', () => {
  const redis = withRedis();
  let proxy: TcpProxy;
  let testNumber = 0;
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Instance A talks to Redis directly; B through a proxy the test can cut. The client is on B. */
  async function instances(): Promise<{ a: DirectiveHub; b: HubServer; c: StreamClient }> {
    testNumber += 1;
    const prefix = `r${testNumber}:`;
    proxy = await startTcpProxy(redis.server.port);
    const a = createDirectiveHub({ backplane: redisBackplane({ url: redis.server.url, prefix }) });
    const bHub = createDirectiveHub({
      backplane: redisBackplane({ url: `redis://127.0.0.1:${proxy.port}`, prefix }),
    });
    const b = await startHubServer(bHub);
    cleanups.push(async () => {
      await a.close();
      await bHub.close();
      await b.close();
      await proxy.close();
    });
    const c = client(b.url);
    await primeAndConnect(c);
    for (let i = 1; i <= 5; i++) await a.emit([refreshItem('todo', i === 1 ? '1' : `other-${i}`)]);
    await waitUntil(() => c.registry.state().sse.lastSeq.global === 5, 'the client has seen seq 5');
    await settled(c);
    return { a, b, c };
  }

  it('reproduction 2: Redis flushed while B is cut off, A emits 1..20 of the new run: B answers resumed false and the client resyncs with reason epoch', async () => {
    const { a, c } = await instances();
    proxy.cut();
    await redis.admin.flushall();
    for (let i = 1; i <= 20; i++) await a.emit([refreshItem('todo', `new-run-${i}`)]);
    proxy.restore();
    await c.log.until('sse:resync-dispatch', 1, 15_000);
    await settled(c);

    expect(streamStory(c.log)).toEqual([
      {
        event: 'sse:hello',
        detail: { audience: 'global', lastSeq: 0, resumed: false, epoch: expect.any(String) },
      },
      {
        event: 'sse:hello',
        detail: { audience: 'global', lastSeq: 20, resumed: false, epoch: expect.any(String) },
      },
      { event: 'sse:gap', detail: epochGap(5, 20) },
      { event: 'sse:resync-scheduled', detail: epochGap(5, 20) },
      { event: 'sse:resync-dispatch', detail: { context: { reason: 'epoch', gaps: [epochGap(5, 20)] } } },
    ]);
    expect(helloEpochs(c.log)[1]).not.toBe(helloEpochs(c.log)[0]);
    expect(c.backend.itemRequests().filter((request) => request === 'todo:1@default')).toHaveLength(2);
  });

  it('a network blip where Redis kept its data: B replays what it missed with resumed true, and no resync', async () => {
    const { a, c } = await instances();
    proxy.cut();
    for (let i = 6; i <= 8; i++) await a.emit([refreshItem('todo', i === 8 ? '1' : `other-${i}`)]);
    proxy.restore();
    await waitUntil(() => c.registry.state().sse.lastSeq.global === 8, 'the client reaches seq 8', 15_000);
    await settled(c);

    expect(streamStory(c.log)).toEqual([
      {
        event: 'sse:hello',
        detail: { audience: 'global', lastSeq: 0, resumed: false, epoch: expect.any(String) },
      },
      {
        event: 'sse:hello',
        detail: { audience: 'global', lastSeq: 8, resumed: true, epoch: expect.any(String) },
      },
    ]);
    expect(helloEpochs(c.log)[1]).toBe(helloEpochs(c.log)[0]);
    expect(c.log.details('sse:message').map((detail) => detail.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // todo 1 refetched for seq 1 and for the replayed seq 8, and for nothing else.
    expect(c.backend.itemRequests()).toEqual(['todo:1@default', 'todo:1@default']);
  });
});
