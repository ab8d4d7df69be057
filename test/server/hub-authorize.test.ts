// Who may subscribe to which audience: default "global" only, else authorize() decides (SPEC §4).
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthorizeInput, createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { type HubServer, query, startHubServer } from '../support/server-harness';
import { openSse } from '../support/sse-client';

describe('audience access', () => {
  let hub: DirectiveHub;
  let server: HubServer;

  afterEach(async () => {
    await hub.close();
    await server.close();
  });

  it('without authorize, "global" is allowed and any other audience gets 403', async () => {
    hub = createDirectiveHub();
    server = await startHubServer(hub);
    const global = await openSse(server.url + query({ audience: 'global' }));
    expect(global.status).toBe(200);
    const other = await openSse(server.url + query({ audience: 'tenant-42' }));
    expect(other.status).toBe(403);
    expect(other.text).toContain('tenant-42');
    expect(hub.stats().subscribers).toBe(1);
    global.close();
  });

  it('an async authorize decides, and sees audience, client id, headers and the absolute url', async () => {
    const calls: AuthorizeInput[] = [];
    hub = createDirectiveHub({
      authorize: async (input) => {
        calls.push(input);
        await Promise.resolve();
        return input.headers.get('authorization') === `Bearer ${input.audience}`;
      },
    });
    server = await startHubServer(hub);
    const allowed = await openSse(server.url + query({ audience: 'team-7', client_id: 'c1' }), {
      authorization: 'Bearer team-7',
    });
    const denied = await openSse(server.url + query({ audience: 'team-8' }), {
      authorization: 'Bearer team-7',
    });
    expect(allowed.status).toBe(200);
    expect(denied.status).toBe(403);
    expect(calls[0]).toMatchObject({ audience: 'team-7', clientId: 'c1' });
    expect(calls[0]!.url).toBe(`${server.url}?audience=team-7&client_id=c1`);
    await allowed.reader.until((r) => r.hellos.length === 1, 'hello');
    expect(allowed.reader.hellos[0]!.body.audience).toBe('team-7');
    allowed.close();
  });

  it('a subscriber never receives envelopes of another audience', async () => {
    hub = createDirectiveHub({ authorize: () => true });
    server = await startHubServer(hub);
    const a = await openSse(server.url + query({ audience: 'a' }));
    await a.reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit([{ op: 'refresh_collection', name: 'secret' }], { audience: 'b' });
    await hub.emit([{ op: 'refresh_collection', name: 'mine' }], { audience: 'a' });
    await a.reader.until((r) => r.envelopes.length === 1, 'the audience-a envelope');
    expect(a.reader.envelopes.map((m) => m.body.directives[0].name)).toEqual(['mine']);
    a.close();
  });

  it('an authorize that throws fails closed with 500 and registers nothing', async () => {
    hub = createDirectiveHub({
      authorize: () => {
        throw new Error('token service down');
      },
    });
    server = await startHubServer(hub);
    const sse = await openSse(server.url);
    expect(sse.status).toBe(500);
    expect(sse.text).not.toContain('token service down');
    expect(hub.stats().subscribers).toBe(0);
  });

  it('an audience longer than 256 characters is a 400', async () => {
    hub = createDirectiveHub({ authorize: () => true });
    server = await startHubServer(hub);
    const sse = await openSse(server.url + query({ audience: 'x'.repeat(257) }));
    expect(sse.status).toBe(400);
  });
});
