// hub.close() racing a handshake (SPEC §4): whatever step a subscription is at, no response stays open after close() resolves.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackplaneResumePoint, BackplaneSnapshot } from '../../src/server/backplane';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { MemoryBackplane } from '../../src/server/memory-backplane';
import { until } from '../support/server-harness';

/** The default backplane with a hook in the handshake: the test decides when (and whether) a snapshot answers. */
class HookedBackplane extends MemoryBackplane {
  hook: (answer: () => Promise<BackplaneSnapshot>) => Promise<BackplaneSnapshot> = (answer) => answer();
  snapshots = 0;

  constructor() {
    super({ idleAudienceMs: 0, inUse: () => false });
  }

  override snapshot(audience: string, after: BackplaneResumePoint | null): Promise<BackplaneSnapshot> {
    this.snapshots += 1;
    return this.hook(() => super.snapshot(audience, after));
  }
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});
const microtasks = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) await Promise.resolve();
};

/** A node:http server that keeps every response the hub was handed, to inspect them after close(). */
async function serve(hub: DirectiveHub) {
  const responses: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    responses.push(res);
    void hub.nodeHandler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const request = () => {
    const req = http.get(`http://127.0.0.1:${port}/events`);
    req.on('error', () => {});
    req.on('response', (res) => res.resume());
    return req;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { responses, request, stop };
}

const isOpen = (res: http.ServerResponse) => !res.writableEnded && !res.destroyed;

/** Reads a web response body to its end: it resolves only if the hub ended the stream. */
async function drain(response: Response): Promise<string> {
  return response.body ? await new Response(response.body).text() : '';
}

describe('hub.close() while a subscription is opening', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('nodeHandler: a snapshot that never answers does not hold close() up, and the response is ended', async () => {
    const backplane = new HookedBackplane();
    backplane.hook = () => never();
    const hub = createDirectiveHub({ backplane });
    const { responses, request, stop } = await serve(hub);
    stops.push(stop);
    request();
    await until(() => backplane.snapshots === 1, 'the handshake reads the snapshot');
    await hub.close();
    expect(responses).toHaveLength(1);
    expect(isOpen(responses[0]!)).toBe(false);
    expect(responses[0]!.statusCode).toBe(503);
  });

  it('nodeHandler: an authorize that never answers does not hold close() up either', async () => {
    const hub = createDirectiveHub({ authorize: () => never() });
    const { responses, request, stop } = await serve(hub);
    stops.push(stop);
    request();
    await until(() => responses.length === 1, 'the request reaches the hub');
    await hub.close();
    expect(isOpen(responses[0]!)).toBe(false);
  });

  it('nodeHandler: close() landing at any step after the snapshot answers leaves no response open', async () => {
    // Each offset lands close() one microtask later: inside the handshake, between admission and
    // attaching the sink, and after the stream is open.
    for (let offset = 0; offset <= 24; offset++) {
      const backplane = new HookedBackplane();
      const hub = createDirectiveHub({ backplane });
      const { responses, request, stop } = await serve(hub);
      let closed: Promise<void> | null = null;
      backplane.hook = async (answer) => {
        const snapshot = await answer();
        void microtasks(offset).then(() => {
          closed = hub.close();
        });
        return snapshot;
      };
      request();
      await until(() => closed !== null, `close() at offset ${offset}`);
      await closed;
      expect(responses.map(isOpen), `offset ${offset}`).toEqual([false]);
      await stop();
    }
  });

  it('handleRequest: close() landing at any step leaves no stream open; each response ends', async () => {
    for (let offset = 0; offset <= 24; offset++) {
      const backplane = new HookedBackplane();
      const hub = createDirectiveHub({ backplane });
      let closed: Promise<void> | null = null;
      backplane.hook = async (answer) => {
        const snapshot = await answer();
        void microtasks(offset).then(() => {
          closed = hub.close();
        });
        return snapshot;
      };
      const responding = hub.handleRequest(new Request('http://127.0.0.1/events'));
      let settled = false;
      void responding.then(() => {
        settled = true;
      });
      await until(() => closed !== null, `close() at offset ${offset}`);
      await closed;
      expect(settled, `offset ${offset}: the response is decided when close() resolves`).toBe(true);
      const response = await responding;
      // A 200 stream was ended by close(): reading it terminates (at most a hello in it).
      const body = await drain(response);
      if (response.status === 200) expect(body === '' || body.startsWith('data: {"type":"hello"')).toBe(true);
      else
        expect({ status: response.status, body }).toEqual({
          status: 503,
          body: expect.stringMatching(/closed/),
        });
    }
  });

  it('handleRequest: a snapshot that never answers gets a 503 once close() resolves', async () => {
    const backplane = new HookedBackplane();
    backplane.hook = () => never();
    const hub = createDirectiveHub({ backplane });
    const responding = hub.handleRequest(new Request('http://127.0.0.1/events'));
    await until(() => backplane.snapshots === 1, 'the handshake reads the snapshot');
    await hub.close();
    expect((await responding).status).toBe(503);
  });
});
