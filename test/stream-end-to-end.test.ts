// Registry ↔ directive hub over real HTTP (SPEC §1.2, §1.3, §4): what the server emits is what clients refetch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegistryOptions } from '../src/index';
import {
  createDirectiveHub,
  type DirectiveHub,
  readClientId,
  respondWithDirectives,
} from '../src/server/index';
import { type StreamClient, settled, sseTo, streamClient } from './support/stream-client';
import { refreshCollection, refreshItem } from './support/stream-fixtures';

/**
 * An app on 127.0.0.1: `/events` is the hub's stream; `POST /todos/:id` is a mutation that emits
 * `refresh_item` with the caller as source and returns the same directive in its body.
 */
class App {
  readonly hub: DirectiveHub;
  readonly #server: http.Server;
  #port = 0;

  private constructor(hub: DirectiveHub) {
    this.hub = hub;
    this.#server = http.createServer((req, res) => void this.#route(req, res));
  }

  static async start(hubOptions: Parameters<typeof createDirectiveHub>[0] = {}): Promise<App> {
    const app = new App(createDirectiveHub({ heartbeatMs: 0, ...hubOptions }));
    await app.listen();
    return app;
  }

  get base(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get events(): string {
    return `${this.base}/events`;
  }

  /** Stops listening and drops every connection: clients retry and are refused until `listen`. */
  async unplug(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Listens, on the same port once it has one. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.hub.close();
    if (this.#server.listening) await this.unplug();
  }

  async #route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://app').pathname;
    const todo = /^\/todos\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && todo) {
      const directives = [refreshItem('todo', todo[1]!)];
      await this.hub.emit(directives, { source: readClientId(req) ?? undefined });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(respondWithDirectives({ saved: todo[1] }, directives)));
      return;
    }
    await this.hub.nodeHandler(req, res);
  }
}

function client(app: App, clientId: string, options: RegistryOptions = {}): StreamClient {
  return streamClient({ clientId, ...options, sse: sseTo(app.events, options.sse) });
}

/** Reads, lets the reads settle, forgets their calls, then connects and waits for the hello. */
async function primeAndConnect(c: StreamClient, read: () => void): Promise<void> {
  read();
  await settled(c);
  c.backend.reset();
  c.registry.connectSse();
  await c.log.until('sse:hello');
}

describe('the registry on the directive hub', () => {
  let app: App;

  afterEach(async () => {
    await app.close();
  });

  it('hub.emit reaches the client and its cached entries refetch', async () => {
    app = await App.start();
    const c = client(app, 'client-a');
    const todo = c.registry.fetchItem('todo', 1);
    await primeAndConnect(c, () => c.registry.fetchCollection('todos'));
    const before = todo.data;

    const { seq } = await app.hub.emit([
      refreshItem('todo', 1),
      refreshCollection('todos'),
      refreshItem('todo', 99),
    ]);
    await c.log.until('sse:message');
    await settled(c);

    expect(seq).toBe(1);
    expect(c.log.details('sse:message')).toEqual([{ audience: 'global', seq: 1, source: null }]);
    expect(c.backend.itemRequests()).toEqual(['todo:1@default']);
    expect(c.backend.collectionCalls('todos')).toHaveLength(1);
    expect(todo.data).not.toEqual(before);
    expect(todo.meta.status).toBe('fresh');
    // Todo 99 was never read: directives never create state.
    expect(c.registry.state().types.todo!.entries).toBe(1);
    expect(c.registry.state().sse.lastSeq).toEqual({ global: 1 });
  });

  it("envelopes whose source is the client's own id are skipped, yet advance its seq", async () => {
    app = await App.start();
    const a = client(app, 'client-a');
    const b = client(app, 'client-b');
    await primeAndConnect(a, () => a.registry.fetchItem('todo', 1));
    await primeAndConnect(b, () => b.registry.fetchItem('todo', 1));

    await app.hub.emit([refreshItem('todo', 1)], { source: 'client-a' });
    await app.hub.emit([refreshItem('todo', 1)]);
    await a.log.until('sse:message', 2);
    await b.log.until('sse:message', 2);
    await settled(a);
    await settled(b);

    expect(a.log.details('directive:skipped')).toEqual([
      { directive: refreshItem('todo', 1), reason: 'own source (client-a)' },
    ]);
    expect(a.log.details('sse:message').map((detail) => detail.source)).toEqual(['client-a', null]);
    expect(a.log.count('sse:gap')).toBe(0);
    expect(a.backend.itemRequests()).toEqual(['todo:1@default']);
    expect(a.registry.state().sse.lastSeq).toEqual({ global: 2 });
    expect(b.log.count('directive:skipped')).toBe(0);
    expect(b.log.count('directive:processed')).toBe(2);
  });

  it('a mutation applies its directives from the response once; the echo is skipped, other clients refetch', async () => {
    app = await App.start();
    const a = client(app, 'client-a');
    const b = client(app, 'client-b');
    await primeAndConnect(a, () => a.registry.fetchItem('todo', 4));
    await primeAndConnect(b, () => b.registry.fetchItem('todo', 4));

    const body = await a.registry.mutate(`${app.base}/todos/4`, { method: 'POST' });
    await a.log.until('sse:message');
    await b.log.until('sse:message');
    await settled(a);
    await settled(b);

    expect(body).toEqual({ saved: '4', directives: [refreshItem('todo', '4')] });
    expect(a.backend.itemRequests()).toEqual(['todo:4@default']);
    expect(a.log.details('sse:message')).toEqual([{ audience: 'global', seq: 1, source: 'client-a' }]);
    expect(a.log.details('directive:skipped')).toEqual([
      { directive: refreshItem('todo', '4'), reason: 'own source (client-a)' },
    ]);
    expect(b.backend.itemRequests()).toEqual(['todo:4@default']);
  });

  it('a client away while the hub still holds what it missed resumes with a replay: no resync', async () => {
    app = await App.start();
    const c = client(app, 'client-a');
    await primeAndConnect(c, () => {
      for (const id of [1, 2, 3]) c.registry.fetchItem('todo', id);
    });
    await app.hub.emit([refreshItem('todo', 1)]);
    await c.log.until('sse:message');

    await app.unplug();
    await c.log.until('sse:error', 2);
    await app.hub.emit([refreshItem('todo', 2)]);
    await app.hub.emit([refreshItem('todo', 3)]);
    await app.listen();
    await c.log.until('sse:message', 3);
    await settled(c);

    expect(c.log.details('sse:hello')).toEqual([
      { audience: 'global', lastSeq: 0, resumed: false, epoch: expect.any(String) },
      { audience: 'global', lastSeq: 3, resumed: true, epoch: expect.any(String) },
    ]);
    // One hub, one run of the sequence: the resumed hello names the same epoch.
    const [first, resumed] = c.log.details('sse:hello');
    expect(resumed!.epoch).toBe(first!.epoch);
    expect(c.log.details('sse:message').map((detail) => detail.seq)).toEqual([1, 2, 3]);
    expect(c.backend.itemRequests().sort()).toEqual(['todo:1@default', 'todo:2@default', 'todo:3@default']);
    expect(c.log.count('sse:gap')).toBe(0);
    expect(c.log.count('sse:resync-scheduled')).toBe(0);
  });

  it('a client away longer than the replay buffer sees the gap from hello and resyncs once', async () => {
    app = await App.start({ replay: { maxEvents: 2 } });
    const c = client(app, 'client-a');
    await primeAndConnect(c, () => {
      c.registry.fetchItem('todo', 1);
      c.registry.fetchCollection('todos');
    });
    await app.hub.emit([refreshItem('todo', 1)]);
    await c.log.until('sse:message');
    await settled(c);

    await app.unplug();
    await c.log.until('sse:error');
    for (let i = 0; i < 4; i++) await app.hub.emit([refreshCollection('todos')]);
    await app.listen();
    await c.log.until('sse:resync-dispatch');
    await settled(c);

    expect(c.log.details('sse:hello')[1]).toEqual({
      audience: 'global',
      lastSeq: 5,
      resumed: false,
      epoch: expect.any(String),
    });
    expect(c.log.details('sse:gap')).toEqual([
      { audience: 'global', lastSeq: 1, incomingSeq: 5, reason: 'gap' },
    ]);
    expect(c.log.count('sse:message')).toBe(1);
    // One refetch from envelope 1, one from the resync; the collection only from the resync.
    expect(c.backend.itemRequests()).toEqual(['todo:1@default', 'todo:1@default']);
    expect(c.backend.collectionCalls('todos')).toHaveLength(1);

    await app.hub.emit([refreshItem('todo', 99)]);
    await c.log.until('sse:message', 2);
    expect(c.log.count('sse:gap')).toBe(1);
    expect(c.log.count('sse:resync-dispatch')).toBe(1);
  });
});
