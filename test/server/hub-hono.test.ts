// The hub under a real @hono/node-server: a client that goes away ends its stream quietly, with nothing printed (SPEC §4).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDirectiveHub } from '../../src/server/index';
import { until } from '../support/server-harness';
import { openSse } from '../support/sse-client';

describe('the hub behind @hono/node-server', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    vi.restoreAllMocks();
  });

  it('a client disconnect prints nothing (no "Error: The client went away.") and frees the subscriber', async () => {
    const printed: string[] = [];
    const capture = (...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    };
    vi.spyOn(console, 'error').mockImplementation(capture);
    vi.spyOn(console, 'info').mockImplementation(capture);
    vi.spyOn(console, 'warn').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });

    const hub = createDirectiveHub();
    const app = new Hono();
    app.get('/events', (c) => hub.handleRequest(c.req.raw));
    const port = await new Promise<number>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve(info.port),
      );
      cleanups.push(
        () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => done());
          }),
      );
    });
    cleanups.push(() => hub.close());
    const url = `http://127.0.0.1:${port}/events`;

    for (let round = 1; round <= 3; round++) {
      const sse = await openSse(url);
      await sse.reader.until((r) => r.hellos.length === 1, 'hello');
      await hub.emit([{ op: 'refresh_collection', name: 'todos' }]);
      await sse.reader.until((r) => r.envelopes.length === 1, 'an envelope');
      sse.close();
      await until(() => hub.stats().subscribers === 0, 'the hub lets the subscriber go');
    }
    // One more full exchange on the same server: whatever the disconnects made Hono print is printed by now.
    const refused = await fetch(`${url}?audience=admins`);
    expect(refused.status).toBe(403);
    await refused.text();
    await new Promise((resolve) => setImmediate(resolve));

    expect(printed.filter((line) => /went away|Error/i.test(line))).toEqual([]);
    expect(printed).toEqual([]);
  });
});
