// Subscriber lifecycle (cleanup, heartbeats, close) and the checks emit() and the options make.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { type HubServer, query, startHubServer, until } from '../support/server-harness';
import { openSse } from '../support/sse-client';

describe('subscriber lifecycle', () => {
  let hub: DirectiveHub;
  let server: HubServer;

  afterEach(async () => {
    await hub.close();
    await server.close();
  });

  it('a client that disconnects is forgotten at once (subscriber count back to 0)', async () => {
    hub = createDirectiveHub({ authorize: () => true });
    server = await startHubServer(hub);
    const a = await openSse(server.url);
    const b = await openSse(server.url + query({ audience: 'team' }));
    await a.reader.until((r) => r.hellos.length === 1, 'hello a');
    await b.reader.until((r) => r.hellos.length === 1, 'hello b');
    expect(hub.stats()).toEqual({ subscribers: 2, audiences: { global: 1, team: 1 } });
    a.close();
    await until(() => hub.stats().subscribers === 1, 'a is forgotten');
    expect(hub.stats().audiences).toEqual({ team: 1 });
    b.close();
    await until(() => hub.stats().subscribers === 0, 'b is forgotten');
    expect(hub.stats().audiences).toEqual({});
  });

  it('emits after a client left still reach the others', async () => {
    hub = createDirectiveHub();
    server = await startHubServer(hub);
    const leaving = await openSse(server.url);
    const staying = await openSse(server.url);
    await staying.reader.until((r) => r.hellos.length === 1, 'hello');
    leaving.close();
    await until(() => hub.stats().subscribers === 1, 'the leaver is forgotten');
    await hub.emit([{ op: 'refresh_collection', name: 'todos' }]);
    await staying.reader.until((r) => r.envelopes.length === 1, 'the envelope');
    staying.close();
  });

  it('sends ": keep-alive" comment lines every heartbeatMs', async () => {
    hub = createDirectiveHub({ heartbeatMs: 20 });
    server = await startHubServer(hub);
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.comments.length >= 3, 'three heartbeats');
    expect(sse.reader.comments.slice(0, 3)).toEqual(['keep-alive', 'keep-alive', 'keep-alive']);
    expect(sse.reader.frames[0]).toMatchObject({ kind: 'event', data: expect.stringContaining('"hello"') });
    sse.close();
  });

  it('heartbeatMs 0 sends none', async () => {
    hub = createDirectiveHub({ heartbeatMs: 0 });
    server = await startHubServer(hub);
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    for (let i = 0; i < 5; i++) await hub.emit([{ op: 'refresh_collection', name: 'todos' }]);
    await sse.reader.until((r) => r.envelopes.length === 5, 'five envelopes');
    expect(sse.reader.comments).toEqual([]);
    sse.close();
  });

  it('close() ends every stream, refuses new ones with 503 and rejects emits', async () => {
    hub = createDirectiveHub({ authorize: () => true });
    server = await startHubServer(hub);
    const a = await openSse(server.url);
    const b = await openSse(server.url + query({ audience: 'other' }));
    await a.reader.until((r) => r.hellos.length === 1, 'hello a');
    await b.reader.until((r) => r.hellos.length === 1, 'hello b');
    await hub.close();
    await a.reader.untilEnded();
    await b.reader.untilEnded();
    expect(hub.stats().subscribers).toBe(0);
    const late = await openSse(server.url);
    expect(late.status).toBe(503);
    await expect(hub.emit([{ op: 'refresh_collection', name: 'todos' }])).rejects.toMatchObject({
      code: 'HUB_CLOSED',
    });
  });

  it('close() delivers what was already emitted before ending', async () => {
    hub = createDirectiveHub();
    server = await startHubServer(hub);
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit([{ op: 'refresh_collection', name: 'todos' }]);
    await hub.close();
    await sse.reader.untilEnded();
    expect(sse.reader.seqs).toEqual([1]);
  });
});

describe('emit', () => {
  const hub = createDirectiveHub();
  afterAll(() => hub.close());

  it('rejects what is not a non-empty array of directives, with a message that says what to pass', async () => {
    await expect(hub.emit([])).rejects.toMatchObject({ code: 'INVALID_DIRECTIVES' });
    // @ts-expect-error: a single directive is not an array
    await expect(hub.emit({ op: 'refresh_collection', name: 'todos' })).rejects.toThrow(/non-empty array/);
    // @ts-expect-error: a directive needs an op
    await expect(hub.emit([{ name: 'todos' }])).rejects.toThrow(/directive #0 .*op is missing/);
  });

  it('rejects directives that cannot be serialised, and bad audiences', async () => {
    await expect(hub.emit([{ op: 'refresh_item', name: 'n', id: 10n }])).rejects.toMatchObject({
      code: 'INVALID_DIRECTIVES',
    });
    await expect(
      hub.emit([{ op: 'refresh_item', name: 'n', id: 1 }], { audience: '' }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });

  it('resolves with the seq it allocated', async () => {
    const fresh = createDirectiveHub();
    await expect(fresh.emit([{ op: 'refresh_collection', name: 'a' }])).resolves.toEqual({ seq: 1 });
    await expect(fresh.emit([{ op: 'refresh_collection', name: 'a' }])).resolves.toEqual({ seq: 2 });
    await fresh.close();
  });
});

describe('createDirectiveHub options', () => {
  it('rejects nonsense at once', () => {
    expect(() => createDirectiveHub({ replay: { maxEvents: -1 } })).toThrow(/replay.maxEvents/);
    expect(() => createDirectiveHub({ heartbeatMs: 1.5 })).toThrow(/heartbeatMs/);
    expect(() => createDirectiveHub({ maxBufferedBytes: 0 })).toThrow(/maxBufferedBytes/);
    // @ts-expect-error: authorize must be a function
    expect(() => createDirectiveHub({ authorize: true })).toThrow(/authorize must be a function/);
  });
});
