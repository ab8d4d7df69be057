// Slow clients: bounded by maxBufferedBytes, disconnected without holding up the others (SPEC §4).
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { type HubServer, startHubServer, until } from '../support/server-harness';
import { openSse, openStalledSse } from '../support/sse-client';

const PAYLOAD = 'x'.repeat(16 * 1024);
const bulky = (i: number) => [
  { op: 'refresh_item', name: 'doc', id: i, result: { data: { body: PAYLOAD } } },
];

describe('slow clients', () => {
  let hub: DirectiveHub;
  let server: HubServer;

  afterEach(async () => {
    await hub.close();
    await server.close();
  });

  it('a client that stops reading is disconnected once it is maxBufferedBytes behind; fast ones keep receiving', async () => {
    hub = createDirectiveHub({ maxBufferedBytes: 64 * 1024, heartbeatMs: 0 });
    server = await startHubServer(hub);
    const fast = [await openSse(server.url), await openSse(server.url)];
    const stalled = await openStalledSse(server.url);
    await until(() => hub.stats().subscribers === 3, 'three subscribers');

    // The kernel's socket buffers swallow a few megabytes before the hub's own queue grows.
    let emitted = 0;
    while (hub.stats().subscribers === 3 && emitted < 4000) {
      for (let i = 0; i < 20; i++) await hub.emit(bulky(++emitted));
      const count = emitted;
      await Promise.all(
        fast.map((sse) => sse.reader.until((r) => r.envelopes.length === count, `${count} envelopes`)),
      );
    }
    await until(
      () => hub.stats().subscribers === 2,
      `the stalled client is dropped (after ${emitted} envelopes)`,
    );

    await hub.emit(bulky(++emitted));
    for (const sse of fast) {
      await sse.reader.until((r) => r.envelopes.length === emitted, 'the envelope after the disconnect');
      expect(sse.reader.seqs).toEqual(Array.from({ length: emitted }, (_, i) => i + 1));
      expect(sse.reader.ended).toBe(false);
      sse.close();
    }
    stalled.socket.destroy();
  });

  it('a replay bigger than maxBufferedBytes is not attempted: resumed false, and the client stays connected', async () => {
    hub = createDirectiveHub({ maxBufferedBytes: 64 * 1024, heartbeatMs: 0 });
    server = await startHubServer(hub);
    for (let i = 1; i <= 10; i++) await hub.emit(bulky(i));
    const sse = await openSse(server.url, { 'last-event-id': '0' });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(sse.reader.hellos[0]!.body).toMatchObject({ last_seq: 10, resumed: false });
    await hub.emit(bulky(11));
    await sse.reader.until((r) => r.envelopes.length === 1, 'the next live envelope');
    expect(sse.reader.seqs).toEqual([11]);
    expect(hub.stats().subscribers).toBe(1);
    sse.close();
  });

  it('a burst bigger than maxBufferedBytes in one tick does not drop clients that keep reading', async () => {
    hub = createDirectiveHub({ maxBufferedBytes: 64 * 1024, heartbeatMs: 0 });
    server = await startHubServer(hub);
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await Promise.all(Array.from({ length: 20 }, (_, i) => hub.emit(bulky(i))));
    await sse.reader.until((r) => r.envelopes.length === 20, 'the whole burst');
    expect(hub.stats().subscribers).toBe(1);
    sse.close();
  });

  it('a web stream nobody reads is errored once it is maxBufferedBytes behind, without holding up the others', async () => {
    hub = createDirectiveHub({ maxBufferedBytes: 64 * 1024, heartbeatMs: 0 });
    server = await startHubServer(hub);
    const stalled = await hub.handleRequest(new Request('http://hub.test/events'));
    const fast = await openSse(server.url);
    await fast.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(hub.stats().subscribers).toBe(2);

    for (let i = 1; i <= 10; i++) await hub.emit(bulky(i));
    await until(() => hub.stats().subscribers === 1, 'the unread stream is dropped');
    await fast.reader.until((r) => r.envelopes.length === 10, 'every envelope');
    await expect(stalled.body!.getReader().read()).rejects.toMatchObject({ code: 'SLOW_CLIENT' });
    fast.close();
  });
});
