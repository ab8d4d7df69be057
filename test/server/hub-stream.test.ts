// The SSE stream over node:http: headers, hello first, envelope shape, per-audience seq (SPEC §1.2, §4).
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { type HubServer, query, startHubServer } from '../support/server-harness';
import { openSse } from '../support/sse-client';

const refresh = (name: string) => ({ op: 'refresh_collection', name });

describe('the SSE stream over node:http', () => {
  let hub: DirectiveHub;
  let server: HubServer;

  afterEach(async () => {
    await hub.close();
    await server.close();
  });

  async function start(options: Parameters<typeof createDirectiveHub>[0] = {}): Promise<void> {
    hub = createDirectiveHub(options);
    server = await startHubServer(hub);
  }

  it('answers with text/event-stream, no-cache, and a hello first with no id line', async () => {
    await start();
    const sse = await openSse(server.url);
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toBe('text/event-stream');
    expect(sse.headers['cache-control']).toBe('no-cache');
    await sse.reader.until((r) => r.frames.length >= 1, 'hello');
    const epoch = sse.reader.hellos[0]!.body.epoch;
    expect(epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(sse.reader.frames[0]).toEqual({
      kind: 'event',
      id: null,
      data: `{"type":"hello","audience":"global","epoch":"${epoch}","last_seq":0,"resumed":false}`,
    });
    sse.close();
  });

  it("a hello's last_seq is the audience's current seq", async () => {
    await start();
    await hub.emit([refresh('todos')]);
    await hub.emit([refresh('todos')]);
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(sse.reader.hellos[0]!.body).toEqual({
      type: 'hello',
      audience: 'global',
      epoch: expect.any(String),
      last_seq: 2,
      resumed: false,
    });
    sse.close();
  });

  it('sends each envelope with an `<epoch>:<seq>` id line and the exact envelope shape', async () => {
    await start();
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    const directives = [{ op: 'refresh_item', name: 'todo', id: 7 }];
    const { seq } = await hub.emit(directives, { source: 'client-abc' });
    expect(seq).toBe(1);
    await sse.reader.until((r) => r.envelopes.length === 1, 'one envelope');
    expect(sse.reader.frames[1]).toEqual({
      kind: 'event',
      id: `${sse.reader.hellos[0]!.body.epoch}:1`,
      data: JSON.stringify({
        type: 'directives',
        seq: 1,
        audience: 'global',
        source: 'client-abc',
        directives,
      }),
    });
    sse.close();
  });

  it('an emit without a source carries source null', async () => {
    await start();
    const sse = await openSse(server.url);
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit([refresh('todos')]);
    await sse.reader.until((r) => r.envelopes.length === 1, 'one envelope');
    expect(sse.reader.envelopes[0]!.body.source).toBeNull();
    sse.close();
  });

  it('seq is per audience, starts at 1 and increases by exactly 1', async () => {
    await start({ authorize: () => true });
    const global = await openSse(server.url);
    const team = await openSse(server.url + query({ audience: 'team-1' }));
    await global.reader.until((r) => r.hellos.length === 1, 'global hello');
    await team.reader.until((r) => r.hellos.length === 1, 'team hello');

    const seqs: Array<[string, number]> = [];
    for (let i = 0; i < 10; i++) {
      const audience = i % 3 === 0 ? 'team-1' : 'global';
      seqs.push([audience, (await hub.emit([refresh('todos')], { audience })).seq]);
    }
    expect(seqs.filter(([a]) => a === 'global').map(([, s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs.filter(([a]) => a === 'team-1').map(([, s]) => s)).toEqual([1, 2, 3, 4]);

    await global.reader.until((r) => r.envelopes.length === 6, 'six global envelopes');
    await team.reader.until((r) => r.envelopes.length === 4, 'four team envelopes');
    expect(global.reader.seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(team.reader.seqs).toEqual([1, 2, 3, 4]);
    expect(team.reader.envelopes.every((m) => m.body.audience === 'team-1')).toBe(true);
    global.close();
    team.close();
  });

  it('a subscriber gets every envelope emitted after its hello, even when emits race its connect', async () => {
    await start();
    const emitting = (async () => {
      for (let i = 0; i < 200; i++) await hub.emit([refresh(`burst-${i}`)]);
    })();
    const sse = await openSse(server.url);
    await emitting;
    await sse.reader.until((r) => r.hellos.length === 1, 'hello');
    const lastSeq = sse.reader.hellos[0]!.body.last_seq as number;
    await sse.reader.until((r) => r.envelopes.length === 200 - lastSeq, 'every envelope after the hello');
    expect(sse.reader.seqs).toEqual(Array.from({ length: 200 - lastSeq }, (_, i) => lastSeq + 1 + i));
    sse.close();
  });

  it('takes client_id from the query string, or from X-Verity-Client-ID', async () => {
    const seen: Array<string | null> = [];
    await start({
      authorize: ({ clientId }) => {
        seen.push(clientId);
        return true;
      },
    });
    const byQuery = await openSse(server.url + query({ client_id: 'from-query' }));
    const byHeader = await openSse(server.url, { 'x-verity-client-id': 'from-header' });
    const none = await openSse(server.url);
    expect(seen).toEqual(['from-query', 'from-header', null]);
    for (const sse of [byQuery, byHeader, none]) sse.close();
  });

  it('refuses methods other than GET with 405', async () => {
    await start();
    const response = await fetch(server.url, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });
});
