// The Redis backplane against a real redis-server: shared sequence, replay, outages (SPEC §4).
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { redisBackplane } from '../../src/server/redis';
import { withRedis } from '../support/redis-server';
import { type HubServer, query, startHubServer, until, untilAsync } from '../support/server-harness';
import { openSse } from '../support/sse-client';

const refresh = (i: number) => [{ op: 'refresh_item', name: 'todo', id: i }];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the Redis backplane (real redis-server)', () => {
  const redis = withRedis();
  let testNumber = 0;
  let prefix: string;
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A hub instance on the shared Redis, served on its own loopback port. */
  async function instance(
    options: { maxEvents?: number; client?: Redis } = {},
  ): Promise<{ hub: DirectiveHub; server: HubServer }> {
    const backplane = options.client
      ? redisBackplane({ client: options.client, prefix })
      : redisBackplane({ url: redis.server.url, prefix });
    const hub = createDirectiveHub({
      backplane,
      authorize: () => true,
      ...(options.maxEvents === undefined ? {} : { replay: { maxEvents: options.maxEvents } }),
    });
    const server = await startHubServer(hub);
    cleanups.push(async () => {
      await hub.close();
      await server.close();
    });
    return { hub, server };
  }

  /** Two instances on one Redis, each with an SSE subscriber past its hello. */
  async function twoInstancesListening() {
    const a = await instance();
    const b = await instance();
    const onA = await openSse(a.server.url);
    const onB = await openSse(b.server.url);
    await onA.reader.until((r) => r.hellos.length === 1, 'hello on A');
    await onB.reader.until((r) => r.hellos.length === 1, 'hello on B');
    return { a, b, onA, onB };
  }

  beforeEach(() => {
    // Each test gets its own key space on the shared server.
    testNumber += 1;
    prefix = `t${testNumber}:`;
  });

  it('interleaved emits from two instances give subscribers of either one contiguous sequence', async () => {
    const { a, b, onA, onB } = await twoInstancesListening();

    const seqs: number[] = [];
    for (let i = 1; i <= 20; i++) seqs.push((await (i % 2 ? a.hub : b.hub).emit(refresh(i))).seq);
    expect(seqs).toEqual(range(1, 20));

    for (const sse of [onA, onB]) {
      await sse.reader.until((r) => r.envelopes.length === 20, 'twenty envelopes');
      expect(sse.reader.seqs).toEqual(range(1, 20));
      expect(sse.reader.envelopes.map((m) => m.body.directives[0].id)).toEqual(range(1, 20));
      sse.close();
    }
  });

  it('a subscriber that reconnects to the other instance with Last-Event-ID gets exactly what it missed', async () => {
    const a = await instance();
    const b = await instance();
    const first = await openSse(a.server.url + query({ client_id: 'c1' }));
    await first.reader.until((r) => r.hellos.length === 1, 'hello');
    for (let i = 1; i <= 5; i++) await a.hub.emit(refresh(i));
    await first.reader.until((r) => r.envelopes.length === 5, 'five envelopes');
    const lastSeen = first.reader.envelopes.at(-1)!.id!;
    first.close();

    for (let i = 6; i <= 9; i++) await (i % 2 ? a.hub : b.hub).emit(refresh(i));
    const second = await openSse(b.server.url + query({ client_id: 'c1' }), { 'last-event-id': lastSeen });
    await second.reader.until((r) => r.envelopes.length === 4, 'the four missed envelopes');
    // Both instances share Redis's epoch, so either can resume a point the other handed out.
    expect(second.reader.hellos[0]!.body).toEqual({
      type: 'hello',
      audience: 'global',
      epoch: first.reader.hellos[0]!.body.epoch,
      last_seq: 9,
      resumed: true,
    });
    expect(lastSeen).toBe(`${first.reader.hellos[0]!.body.epoch}:5`);
    expect(second.reader.seqs).toEqual([6, 7, 8, 9]);
    await a.hub.emit(refresh(10));
    await second.reader.until((r) => r.envelopes.length === 5, 'the next live envelope');
    expect(second.reader.seqs).toEqual([6, 7, 8, 9, 10]);
    second.close();
  });

  it('hundreds of concurrent emits from both instances: no gap, no duplicate, same order everywhere', async () => {
    const { a, b, onA, onB } = await twoInstancesListening();

    const results = await Promise.all(
      range(1, 600).map((i) => (i % 2 ? a.hub : b.hub).emit(refresh(i), { audience: 'global' })),
    );
    expect(results.map((r) => r.seq).sort((x, y) => x - y)).toEqual(range(1, 600));

    await onA.reader.until((r) => r.envelopes.length === 600, '600 envelopes on A', 10_000);
    await onB.reader.until((r) => r.envelopes.length === 600, '600 envelopes on B', 10_000);
    expect(onA.reader.seqs).toEqual(range(1, 600));
    expect(onB.reader.seqs).toEqual(range(1, 600));
    const idsA = onA.reader.envelopes.map((m) => m.body.directives[0].id);
    expect(onB.reader.envelopes.map((m) => m.body.directives[0].id)).toEqual(idsA);
    expect([...idsA].sort((x, y) => x - y)).toEqual(range(1, 600));
    onA.close();
    onB.close();
  });

  it('audiences have separate sequences on Redis too', async () => {
    const a = await instance();
    const b = await instance();
    await a.hub.emit(refresh(1), { audience: 'x' });
    await b.hub.emit(refresh(2), { audience: 'y' });
    await expect(b.hub.emit(refresh(3), { audience: 'x' })).resolves.toEqual({ seq: 2 });
    await expect(a.hub.emit(refresh(4), { audience: 'y' })).resolves.toEqual({ seq: 2 });
  });

  it('the stream is trimmed to replay.maxEvents: a resume beyond it gets resumed false', async () => {
    const a = await instance({ maxEvents: 5 });
    for (let i = 1; i <= 10; i++) await a.hub.emit(refresh(i));
    expect(await redis.admin.xlen(`${prefix}{global}:stream`)).toBe(5);
    const epoch = await redis.admin.get(`${prefix}{global}:epoch`);

    const tooOld = await openSse(a.server.url, { 'last-event-id': `${epoch}:4` });
    await tooOld.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(tooOld.reader.hellos[0]!.body).toMatchObject({ last_seq: 10, resumed: false });
    const held = await openSse(a.server.url, { 'last-event-id': `${epoch}:5` });
    await held.reader.until((r) => r.envelopes.length === 5, 'five replayed');
    expect(held.reader.seqs).toEqual([6, 7, 8, 9, 10]);
    await a.hub.emit(refresh(11));
    await tooOld.reader.until((r) => r.envelopes.length === 1, 'the next live envelope');
    expect(tooOld.reader.seqs).toEqual([11]);
    tooOld.close();
    held.close();
  });

  it('when the pub/sub connection drops, subscribers are brought up to date: nothing is silently lost', async () => {
    const a = await instance();
    const b = await instance();
    const onA = await openSse(a.server.url);
    await onA.reader.until((r) => r.hellos.length === 1, 'hello');
    await b.hub.emit(refresh(1));
    await onA.reader.until((r) => r.envelopes.length === 1, 'one envelope');

    await redis.admin.client('KILL', 'TYPE', 'PUBSUB');
    for (let i = 2; i <= 6; i++) await b.hub.emit(refresh(i));
    await onA.reader.until((r) => r.seqs.at(-1) === 6, 'every envelope up to 6');
    expect(onA.reader.seqs).toEqual(range(1, 6));
    onA.close();
  });

  it('Redis restarted mid-run: emits reject while it is down, subscribers get a fresh hello when it is back', async () => {
    const { a, b, onA, onB } = await twoInstancesListening();
    for (let i = 1; i <= 3; i++) await a.hub.emit(refresh(i));
    await onA.reader.until((r) => r.envelopes.length === 3, 'three envelopes on A');
    await onB.reader.until((r) => r.envelopes.length === 3, 'three envelopes on B');

    await redis.server.kill();
    await expect(a.hub.emit(refresh(4))).rejects.toMatchObject({
      code: 'BACKPLANE_UNAVAILABLE',
      message: expect.stringContaining('Redis'),
    });
    await expect(b.hub.emit(refresh(4))).rejects.toThrow(/Redis/);
    const during = await openSse(a.server.url);
    expect(during.status).toBe(503);
    expect(onA.reader.ended).toBe(false);

    await redis.server.restart();
    // The restarted server is empty (no persistence): a new epoch, shared by both instances, and
    // the client resyncs.
    const before = onA.reader.hellos[0]!.body.epoch;
    for (const sse of [onA, onB]) {
      await sse.reader.until((r) => r.hellos.length === 2, 'a fresh hello after Redis returns', 15_000);
      expect(sse.reader.hellos[1]!.body).toEqual({
        type: 'hello',
        audience: 'global',
        epoch: expect.any(String),
        last_seq: 0,
        resumed: false,
      });
      expect(sse.reader.hellos[1]!.body.epoch).not.toBe(before);
    }
    expect(onA.reader.hellos[1]!.body.epoch).toBe(onB.reader.hellos[1]!.body.epoch);
    await expect(b.hub.emit(refresh(5))).resolves.toEqual({ seq: 1 });
    for (const sse of [onA, onB]) {
      await sse.reader.until((r) => r.envelopes.length === 4, 'the first envelope after the restart');
      expect(sse.reader.seqs).toEqual([1, 2, 3, 1]);
      sse.close();
    }
    redis.admin.disconnect();
    redis.admin = new Redis(redis.server.url);
  });

  it('Redis lost its data under open streams: the next emit starts a new epoch, and subscribers on both instances are told', async () => {
    const a = await instance();
    const b = await instance();
    const onB = await openSse(b.server.url);
    await onB.reader.until((r) => r.hellos.length === 1, 'hello on B');
    for (let i = 1; i <= 5; i++) await a.hub.emit(refresh(i));
    await onB.reader.until((r) => r.envelopes.length === 5, 'five envelopes on B');
    const before = onB.reader.hellos[0]!.body.epoch;

    await redis.admin.flushall();
    await expect(a.hub.emit(refresh(6))).resolves.toEqual({ seq: 1 });
    const after = await redis.admin.get(`${prefix}{global}:epoch`);
    expect(after).not.toBe(before);
    // Seq 1 of another run is not "a duplicate of 1": B announces the new epoch instead of dropping it.
    await onB.reader.until((r) => r.hellos.length === 2, 'a hello with the new epoch');
    expect(onB.reader.hellos[1]!.body).toEqual({
      type: 'hello',
      audience: 'global',
      epoch: after,
      last_seq: 1,
      resumed: false,
    });
    await b.hub.emit(refresh(7));
    await onB.reader.until((r) => r.envelopes.length === 6, 'the next envelope of the new run');
    expect(onB.reader.envelopes.at(-1)!.id).toBe(`${after}:2`);
    onB.close();
  });

  it('either half of a run lost (the epoch or the counter evicted) starts a new run, never seq 1 under a known epoch', async () => {
    const a = await instance();
    for (let i = 1; i <= 3; i++) await a.hub.emit(refresh(i));
    const first = await redis.admin.get(`${prefix}{global}:epoch`);
    await redis.admin.del(`${prefix}{global}:seq`);
    await expect(a.hub.emit(refresh(4))).resolves.toEqual({ seq: 1 });
    const second = await redis.admin.get(`${prefix}{global}:epoch`);
    expect(second).not.toBe(first);
    expect(await redis.admin.xlen(`${prefix}{global}:stream`)).toBe(1);

    await redis.admin.del(`${prefix}{global}:epoch`);
    await expect(a.hub.emit(refresh(5))).resolves.toEqual({ seq: 1 });
    expect(await redis.admin.get(`${prefix}{global}:epoch`)).not.toBe(second);
  });

  it('close() quits the connections it opened, and leaves a client passed in alone', async () => {
    const countClients = async () =>
      String(await redis.admin.client('LIST'))
        .trim()
        .split('\n').length;
    const before = await countClients();
    const ownClient = new Redis(redis.server.url);
    const backplane = redisBackplane({ client: ownClient, prefix });
    const hub = createDirectiveHub({ backplane });
    await hub.emit(refresh(1));
    const viaUrl = createDirectiveHub({ backplane: redisBackplane({ url: redis.server.url, prefix }) });
    await viaUrl.emit(refresh(2));
    await until(() => ownClient.status === 'ready', 'the passed client is ready');
    await hub.close();
    await viaUrl.close();
    expect(ownClient.status).toBe('ready');
    expect(await ownClient.get(`${prefix}{global}:seq`)).toBe('2');
    await ownClient.quit();
    await untilAsync(
      async () => (await countClients()) === before,
      'every connection the backplanes opened is closed',
    );
  });
});
