// Resuming after Last-Event-ID `<epoch>:<seq>`: all-or-nothing replay from the bounded buffer, header or query, in the current epoch only (SPEC §1.2, §4).
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { type HubServer, query, startHubServer } from '../support/server-harness';
import { openSse } from '../support/sse-client';

const refresh = (i: number) => ({ op: 'refresh_item', name: 'todo', id: i });

describe('resuming after Last-Event-ID', () => {
  let hub: DirectiveHub;
  let server: HubServer;

  afterEach(async () => {
    await hub.close();
    await server.close();
  });

  async function start(maxEvents?: number): Promise<void> {
    hub = createDirectiveHub(maxEvents === undefined ? {} : { replay: { maxEvents } });
    server = await startHubServer(hub);
  }

  async function emitMany(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await hub.emit([refresh(i)]);
  }

  /** The audience's epoch, as a client learns it: from a hello. */
  async function epochOf(audience = 'global'): Promise<string> {
    const probe = await openSse(server.url + query({ audience }));
    await probe.reader.until((r) => r.hellos.length === 1, 'hello');
    probe.close();
    return probe.reader.hellos[0]!.body.epoch;
  }

  it('the Last-Event-ID header replays exactly the missed envelopes, in order, after a resumed hello', async () => {
    await start();
    await emitMany(5);
    const epoch = await epochOf();
    const sse = await openSse(server.url, { 'last-event-id': `${epoch}:2` });
    await sse.reader.until((r) => r.envelopes.length === 3, 'three replayed envelopes');
    expect(sse.reader.messages[0]!.body).toEqual({
      type: 'hello',
      audience: 'global',
      epoch,
      last_seq: 5,
      resumed: true,
    });
    expect(sse.reader.seqs).toEqual([3, 4, 5]);
    expect(sse.reader.envelopes.map((m) => m.id)).toEqual([`${epoch}:3`, `${epoch}:4`, `${epoch}:5`]);
    expect(sse.reader.envelopes.map((m) => m.body.directives[0].id)).toEqual([2, 3, 4]);
    sse.close();
  });

  it('the last_event_id query parameter resumes the same way', async () => {
    await start();
    await emitMany(4);
    const epoch = await epochOf();
    const sse = await openSse(server.url + query({ last_event_id: `${epoch}:1` }));
    await sse.reader.until((r) => r.envelopes.length === 3, 'three replayed envelopes');
    expect(sse.reader.hellos[0]!.body).toMatchObject({ last_seq: 4, resumed: true });
    expect(sse.reader.seqs).toEqual([2, 3, 4]);
    sse.close();
  });

  it('the header wins over the query parameter (EventSource updates the header on reconnect)', async () => {
    await start();
    await emitMany(4);
    const epoch = await epochOf();
    const sse = await openSse(server.url + query({ last_event_id: `${epoch}:1` }), {
      'last-event-id': `${epoch}:3`,
    });
    await sse.reader.until((r) => r.envelopes.length === 1, 'one replayed envelope');
    expect(sse.reader.seqs).toEqual([4]);
    sse.close();
  });

  it('replayed envelopes come before anything new, with no gap and no duplicate', async () => {
    await start();
    await emitMany(3);
    const epoch = await epochOf();
    const sse = await openSse(server.url, { 'last-event-id': `${epoch}:1` });
    await emitMany(3);
    await sse.reader.until((r) => r.envelopes.length === 5, 'replay then live');
    expect(sse.reader.seqs).toEqual([2, 3, 4, 5, 6]);
    sse.close();
  });

  it('resuming at the current seq is a resumed hello with nothing to replay', async () => {
    await start();
    await emitMany(2);
    const epoch = await epochOf();
    const sse = await openSse(server.url, { 'last-event-id': `${epoch}:2` });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(sse.reader.hellos[0]!.body).toMatchObject({ last_seq: 2, resumed: true });
    await hub.emit([refresh(9)]);
    await sse.reader.until((r) => r.envelopes.length === 1, 'the next envelope');
    expect(sse.reader.seqs).toEqual([3]);
    sse.close();
  });

  it('when the buffer no longer holds every missed envelope: resumed false and no partial replay', async () => {
    await start(3);
    await emitMany(6);
    const epoch = await epochOf();
    const sse = await openSse(server.url, { 'last-event-id': `${epoch}:2` });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit([refresh(99)]);
    await sse.reader.until((r) => r.envelopes.length === 1, 'the next live envelope');
    expect(sse.reader.hellos[0]!.body).toEqual({
      type: 'hello',
      audience: 'global',
      epoch,
      last_seq: 6,
      resumed: false,
    });
    expect(sse.reader.seqs).toEqual([7]);
    sse.close();
  });

  it('the buffer holds exactly replay.maxEvents envelopes', async () => {
    await start(3);
    await emitMany(6);
    const epoch = await epochOf();
    const held = await openSse(server.url, { 'last-event-id': `${epoch}:3` });
    await held.reader.until((r) => r.envelopes.length === 3, 'the three held envelopes');
    expect(held.reader.hellos[0]!.body.resumed).toBe(true);
    expect(held.reader.seqs).toEqual([4, 5, 6]);
    held.close();
  });

  it('a Last-Event-ID above the current seq (the server was reset) gets resumed false', async () => {
    await start();
    await emitMany(2);
    const epoch = await epochOf();
    const sse = await openSse(server.url, { 'last-event-id': `${epoch}:40` });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(sse.reader.hellos[0]!.body).toMatchObject({ last_seq: 2, resumed: false });
    await hub.emit([refresh(3)]);
    await sse.reader.until((r) => r.envelopes.length === 1, 'the next envelope');
    expect(sse.reader.seqs).toEqual([3]);
    sse.close();
  });

  it('a Last-Event-ID that is not a seq starts afresh', async () => {
    await start();
    await emitMany(2);
    const sse = await openSse(server.url, { 'last-event-id': 'abc' });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(sse.reader.hellos[0]!.body).toMatchObject({ last_seq: 2, resumed: false });
    sse.close();
  });

  it('replay is per audience', async () => {
    hub = createDirectiveHub({ authorize: () => true });
    server = await startHubServer(hub);
    await hub.emit([refresh(1)], { audience: 'a' });
    await hub.emit([refresh(2)], { audience: 'b' });
    await hub.emit([refresh(3)], { audience: 'a' });
    const epoch = await epochOf('a');
    const sse = await openSse(server.url + query({ audience: 'a' }), { 'last-event-id': `${epoch}:0` });
    await sse.reader.until((r) => r.envelopes.length === 2, 'both envelopes of audience a');
    expect(sse.reader.envelopes.map((m) => m.body.directives[0].id)).toEqual([1, 3]);
    expect(sse.reader.seqs).toEqual([1, 2]);
    sse.close();
  });

  it('a bare numeric Last-Event-ID (no epoch) gets resumed false and no replay', async () => {
    await start();
    await emitMany(4);
    const sse = await openSse(server.url + query({ last_event_id: 1 }), { 'last-event-id': '2' });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit([refresh(9)]);
    await sse.reader.until((r) => r.envelopes.length === 1, 'the next live envelope');
    expect(sse.reader.hellos[0]!.body).toMatchObject({ last_seq: 4, resumed: false });
    expect(sse.reader.seqs).toEqual([5]);
    sse.close();
  });

  it('a point in another epoch gets resumed false with the current epoch, whatever the numbers', async () => {
    await start();
    await emitMany(5);
    const epoch = await epochOf();
    const sse = await openSse(server.url, { 'last-event-id': 'an0ther:2' });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(sse.reader.hellos[0]!.body).toEqual({
      type: 'hello',
      audience: 'global',
      epoch,
      last_seq: 5,
      resumed: false,
    });
    sse.close();
  });

  it('a restarted hub has a new epoch: a point of the previous run is never resumed', async () => {
    await start();
    await emitMany(1);
    const before = await epochOf();
    await hub.close();
    await server.close();
    await start();
    await emitMany(5);
    const sse = await openSse(server.url, { 'last-event-id': `${before}:1` });
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit([refresh(9)]);
    await sse.reader.until((r) => r.envelopes.length === 1, 'the next live envelope');
    const hello = sse.reader.hellos[0]!.body;
    expect(hello).toMatchObject({ last_seq: 5, resumed: false });
    expect(hello.epoch).not.toBe(before);
    expect(sse.reader.seqs).toEqual([6]);
    sse.close();
  });
});
