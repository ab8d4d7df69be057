// A standard EventSource (the `eventsource` package, WHATWG semantics) speaks to the hub unchanged.
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { type HubServer, startHubServer, until } from '../support/server-harness';

describe('a standard EventSource client', () => {
  let hub: DirectiveHub;
  let server: HubServer;
  let source: EventSource | undefined;

  afterEach(async () => {
    source?.close();
    await hub.close();
    await server.close();
  });

  it('gets hello and envelopes as messages, and on reconnect resumes with Last-Event-ID', async () => {
    hub = createDirectiveHub();
    server = await startHubServer(hub);
    const received: Array<{
      lastEventId: string;
      body: { type: string; epoch?: string; seq?: number; resumed?: boolean };
    }> = [];
    source = new EventSource(`${server.url}?client_id=es-1`);
    source.onmessage = (event) =>
      received.push({ lastEventId: event.lastEventId, body: JSON.parse(event.data) });
    await until(() => received.length === 1, 'hello');
    const epoch = received[0]!.body.epoch;
    expect(received[0]).toEqual({
      lastEventId: '',
      body: { type: 'hello', audience: 'global', epoch, last_seq: 0, resumed: false },
    });

    for (let i = 1; i <= 2; i++) await hub.emit([{ op: 'refresh_item', name: 'todo', id: i }]);
    await until(() => received.length === 3, 'two envelopes');
    expect(received.slice(1).map((m) => m.lastEventId)).toEqual([`${epoch}:1`, `${epoch}:2`]);

    // The connection drops; what is emitted meanwhile comes back on the automatic reconnect.
    server.server.closeAllConnections();
    await until(() => hub.stats().subscribers === 0, 'the dropped stream is forgotten');
    for (let i = 3; i <= 4; i++) await hub.emit([{ op: 'refresh_item', name: 'todo', id: i }]);
    await until(() => received.length === 6, 'a resumed hello and the two missed envelopes', 10_000);
    expect(received.slice(3).map((m) => m.body)).toMatchObject([
      { type: 'hello', epoch, last_seq: 4, resumed: true },
      { type: 'directives', seq: 3 },
      { type: 'directives', seq: 4 },
    ]);
  });
});
