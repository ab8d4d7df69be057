// configureDirectiveSource (SPEC §2): any transport feeds the registry; here a WebSocket source against a real `ws` server.
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { type WebSocket as ServerSocket, WebSocket, WebSocketServer } from 'ws';
import type { DirectiveSource, RegistryOptions } from '../src/index';
import { SseTestServer, waitUntil } from './support/sse-test-server';
import { prime, STREAM_WINDOW_MS, type StreamClient, settled, streamClient } from './support/stream-client';
import { envelope, hello, refreshCollection, refreshItem } from './support/stream-fixtures';

/** A real WebSocket server on 127.0.0.1 that remembers who connected and who left. */
class WsServer {
  readonly sockets: ServerSocket[] = [];
  readonly urls: string[] = [];
  closed = 0;
  readonly #server: WebSocketServer;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (socket, request) => {
      this.sockets.push(socket);
      this.urls.push(request.url ?? '');
      socket.on('close', () => this.closed++);
    });
  }

  static async start(): Promise<WsServer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new WsServer(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get open(): number {
    return this.sockets.length - this.closed;
  }

  /** Sends one frame to the latest connection. */
  send(message: unknown): void {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no WebSocket client is connected');
    socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

interface WsSourceProbe {
  readonly source: DirectiveSource;
  readonly cleanup: ReturnType<typeof vi.fn<() => void>>;
  connects: number;
}

/**
 * Frames with a `type` are stream envelopes; `{ apply: [...] }` frames are plain directives (as a
 * mutation response relayed over the socket would be) and go through applyDirectives.
 */
function wsSource(url: string): WsSourceProbe {
  const probe: WsSourceProbe = {
    connects: 0,
    cleanup: vi.fn(),
    source: {
      connect({ ingestEnvelope, applyDirectives, clientId }) {
        probe.connects++;
        const socket = new WebSocket(`${url}/directives?client_id=${encodeURIComponent(clientId)}`);
        // Closing before the handshake completes reports an error; a source owns its socket's errors.
        socket.on('error', () => {});
        socket.on('message', (data) => {
          const text = String(data);
          const parsed = JSON.parse(text) as { apply?: unknown };
          if (parsed.apply !== undefined) void applyDirectives(parsed.apply);
          else ingestEnvelope(text);
        });
        return () => {
          probe.cleanup();
          socket.close();
        };
      },
    },
  };
  return probe;
}

function client(options: RegistryOptions = {}): StreamClient {
  return streamClient({
    clientId: 'client-ws',
    ...options,
    sse: { resyncJitterMinMs: 20, resyncJitterMaxMs: 30, ...options.sse },
  });
}

describe('a WebSocket directive source', () => {
  let ws: WsServer;

  beforeEach(async () => {
    ws = await WsServer.start();
  });

  afterEach(async () => {
    await ws.close();
  });

  it('envelopes the server sends are ingested with the stream rules: duplicates dropped, gaps resynced, own source skipped', async () => {
    // The registry's timers run on a fake clock, so the directive window closes before the jittered resync
    // fires however loaded the machine is; the socket itself is real and waited for in real time.
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const c = client();
    c.registry.fetchItem('todo', 1);
    c.registry.fetchItem('todo', 2);
    c.registry.fetchCollection('todos');
    await vi.advanceTimersByTimeAsync(STREAM_WINDOW_MS);
    expect(c.backend.itemRequests().sort()).toEqual(['todo:1@default', 'todo:2@default']);
    c.backend.reset();
    const probe = wsSource(ws.url);
    c.registry.configureDirectiveSource(probe.source);
    await waitUntil(() => ws.sockets.length === 1, 'the WebSocket connection');
    expect(ws.urls[0]).toBe('/directives?client_id=client-ws');
    expect(c.registry.state().sse.connected).toBe(true);

    ws.send(hello(0, false));
    ws.send(envelope(1, [refreshItem('todo', 1)]));
    ws.send(envelope(1, [refreshItem('todo', 1)]));
    await c.log.until('sse:message', 2);
    await vi.advanceTimersByTimeAsync(STREAM_WINDOW_MS);
    expect(c.backend.itemRequests()).toEqual(['todo:1@default']);

    ws.send(envelope(2, [refreshItem('todo', 2)], { source: 'client-ws' }));
    ws.send(envelope(4, [refreshCollection('todos')]));
    await c.log.until('sse:message', 4);
    // Envelope 4's window closes first: the collection is refetched, the resync (20–30 ms) has not fired yet.
    await vi.advanceTimersByTimeAsync(STREAM_WINDOW_MS);
    expect(c.backend.collectionCalls('todos')).toHaveLength(1);
    expect(c.log.count('sse:resync-dispatch')).toBe(0);
    await vi.advanceTimersByTimeAsync(30);
    expect(c.log.count('sse:resync-dispatch')).toBe(1);
    await vi.advanceTimersByTimeAsync(STREAM_WINDOW_MS);
    expect(c.registry.hasAnyInFlightRequests()).toBe(false);

    expect(c.log.details('sse:gap')).toEqual([
      { audience: 'global', lastSeq: 2, incomingSeq: 4, reason: 'gap' },
    ]);
    expect(c.log.details('directive:skipped')).toEqual([
      { directive: refreshItem('todo', 2), reason: 'own source (client-ws)' },
    ]);
    // Envelope 4 refetched the collection; the resync refetched every active entry once more.
    expect(c.backend.itemRequests().sort()).toEqual(['todo:1@default', 'todo:1@default', 'todo:2@default']);
    expect(c.backend.collectionCalls('todos')).toHaveLength(2);
    expect(c.registry.state().sse.lastSeq).toEqual({ global: 4 });
    expect(c.log.count('sse:resync-dispatch')).toBe(1);
  });

  it('junk from the source is reported and the source stays connected', async () => {
    const c = client();
    await prime(c, () => c.registry.fetchCollection('todos'));
    const probe = wsSource(ws.url);
    c.registry.configureDirectiveSource(probe.source);
    await waitUntil(() => ws.sockets.length === 1, 'the WebSocket connection');

    ws.send({ type: 'directives', seq: 'one', directives: [refreshCollection('todos')] });
    ws.send(envelope(1, [refreshCollection('todos')]));
    await c.log.until('sse:message');
    await settled(c);

    expect(c.log.details('sse:junk')).toEqual([
      {
        reason: 'directives field "seq" must be a positive safe integer, got "one"',
        bytes: JSON.stringify({ type: 'directives', seq: 'one', directives: [refreshCollection('todos')] })
          .length,
      },
    ]);
    expect(c.backend.collectionCalls('todos')).toHaveLength(1);
    expect(probe.cleanup).not.toHaveBeenCalled();
    expect(ws.open).toBe(1);
  });

  it('the handle applyDirectives applies like registry.applyDirectives', async () => {
    const c = client();
    await prime(c, () => c.registry.fetchItem('todo', 7));
    c.registry.configureDirectiveSource(wsSource(ws.url).source);
    await waitUntil(() => ws.sockets.length === 1, 'the WebSocket connection');

    ws.send({ apply: [refreshItem('todo', 7)] });
    await c.log.until('directive:processed');
    await settled(c);

    expect(c.backend.itemRequests()).toEqual(['todo:7@default']);
    expect(c.log.count('sse:message')).toBe(0);
  });

  it('dispose runs the cleanup and the socket closes', async () => {
    const c = client();
    const probe = wsSource(ws.url);
    c.registry.configureDirectiveSource(probe.source);
    await waitUntil(() => ws.open === 1, 'the WebSocket connection');

    c.registry.dispose();
    expect(probe.cleanup).toHaveBeenCalledTimes(1);
    await waitUntil(() => ws.open === 0, 'the socket to close');
    c.registry.dispose();
    expect(probe.cleanup).toHaveBeenCalledTimes(1);
  });

  it('a new source runs the old cleanup first, and the seq carries over', async () => {
    const c = client();
    await prime(c, () => c.registry.fetchItem('todo', 1));
    const first = wsSource(ws.url);
    c.registry.configureDirectiveSource(first.source);
    await waitUntil(() => ws.open === 1, 'the first connection');
    ws.send(envelope(5, []));
    await c.log.until('sse:message');

    const second = wsSource(ws.url);
    c.registry.configureDirectiveSource(second.source);
    expect(first.cleanup).toHaveBeenCalledTimes(1);
    expect(second.connects).toBe(1);
    expect(c.log.details('sse:disconnect')).toEqual([{ reason: 'requested', wasConnected: true }]);
    await waitUntil(() => ws.sockets.length === 2 && ws.open === 1, 'the switch to the second connection');

    ws.send(envelope(6, [refreshItem('todo', 1)]));
    await c.log.until('sse:message', 2);
    await settled(c);
    expect(c.log.count('sse:gap')).toBe(0);
    expect(c.backend.itemRequests()).toEqual(['todo:1@default']);
    expect(second.cleanup).not.toHaveBeenCalled();
  });

  it('disconnectSse runs the cleanup; connectSse and reconnectSse connect the source again', async () => {
    const c = client();
    const probe = wsSource(ws.url);
    c.registry.configureDirectiveSource(probe.source);
    await waitUntil(() => ws.open === 1, 'the connection');

    c.registry.disconnectSse();
    expect(probe.cleanup).toHaveBeenCalledTimes(1);
    expect(c.registry.state().sse.connected).toBe(false);
    await waitUntil(() => ws.open === 0, 'the socket to close');

    c.registry.connectSse();
    expect(probe.connects).toBe(2);
    await waitUntil(() => ws.open === 1, 'the second connection');

    c.registry.reconnectSse();
    expect(probe.cleanup).toHaveBeenCalledTimes(2);
    expect(probe.connects).toBe(3);
    await waitUntil(() => ws.sockets.length === 3 && ws.open === 1, 'the third connection');
  });
});

describe('a directive source in place of SSE', () => {
  it('closes the SSE connection', async () => {
    const sse = await SseTestServer.start();
    const ws = await WsServer.start();
    onTestFinished(async () => {
      await ws.close();
      await sse.stop();
    });
    const c = client({ sse: { enabled: true, EventSource, url: sse.url, initialRetryMs: 10 } });
    await c.log.until('sse:open');

    c.registry.configureDirectiveSource(wsSource(ws.url).source);
    await waitUntil(() => sse.openStreams === 0 && ws.open === 1, 'the switch from SSE to the WebSocket');
    ws.send(envelope(1, []));
    await c.log.until('sse:message');

    expect(sse.requests).toHaveLength(1);
    expect(c.log.count('sse:error')).toBe(0);
    expect(c.registry.state().sse.connected).toBe(true);
  });
});
