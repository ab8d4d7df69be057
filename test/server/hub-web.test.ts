// The web-standard path: handleRequest(Request) → streaming Response, and its cleanup.
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectiveHub, type DirectiveHub } from '../../src/server/index';
import { until } from '../support/server-harness';
import { readSseResponse } from '../support/sse-client';

const URL_BASE = 'http://hub.test/api/events';
const refresh = (name: string) => [{ op: 'refresh_collection', name }];

describe('handleRequest (web Request → Response)', () => {
  let hub: DirectiveHub;

  afterEach(async () => {
    await hub.close();
  });

  it('answers 200 text/event-stream with a streaming body: hello, then envelopes', async () => {
    hub = createDirectiveHub();
    const response = await hub.handleRequest(new Request(`${URL_BASE}?client_id=c1`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const { reader, cancel } = readSseResponse(response);
    await reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.emit(refresh('todos'), { source: 'c9' });
    await reader.until((r) => r.envelopes.length === 1, 'envelope');
    const epoch = reader.hellos[0]!.body.epoch;
    expect(reader.frames.map((f) => f.kind === 'event' && f.id)).toEqual([null, `${epoch}:1`]);
    expect(reader.envelopes[0]!.body).toEqual({
      type: 'directives',
      seq: 1,
      audience: 'global',
      source: 'c9',
      directives: refresh('todos'),
    });
    await cancel();
  });

  it('is safe to pass unbound, as Next.js route handlers do (export const GET = hub.handleRequest)', async () => {
    hub = createDirectiveHub();
    const GET = hub.handleRequest;
    const response = await GET(new Request(URL_BASE));
    expect(response.status).toBe(200);
    await response.body!.cancel();
  });

  it('replays after the Last-Event-ID header', async () => {
    hub = createDirectiveHub();
    for (let i = 0; i < 3; i++) await hub.emit(refresh(`n${i}`));
    const probe = readSseResponse(await hub.handleRequest(new Request(URL_BASE)));
    await probe.reader.until((r) => r.hellos.length === 1, 'hello');
    const epoch = probe.reader.hellos[0]!.body.epoch;
    await probe.cancel();
    const response = await hub.handleRequest(
      new Request(URL_BASE, { headers: { 'last-event-id': `${epoch}:1` } }),
    );
    const { reader, cancel } = readSseResponse(response);
    await reader.until((r) => r.envelopes.length === 2, 'replay');
    expect(reader.hellos[0]!.body).toMatchObject({ last_seq: 3, resumed: true });
    expect(reader.seqs).toEqual([2, 3]);
    await cancel();
  });

  it('refuses other audiences with 403 and non-GET with 405', async () => {
    hub = createDirectiveHub();
    const forbidden = await hub.handleRequest(new Request(`${URL_BASE}?audience=admins`));
    expect(forbidden.status).toBe(403);
    const post = await hub.handleRequest(new Request(URL_BASE, { method: 'POST', body: '{}' }));
    expect(post.status).toBe(405);
    expect(hub.stats().subscribers).toBe(0);
  });

  it("cleans up when the request's signal aborts", async () => {
    hub = createDirectiveHub();
    const controller = new AbortController();
    const response = await hub.handleRequest(new Request(URL_BASE, { signal: controller.signal }));
    const { reader } = readSseResponse(response);
    await reader.until((r) => r.hellos.length === 1, 'hello');
    expect(hub.stats().subscribers).toBe(1);
    controller.abort();
    expect(hub.stats().subscribers).toBe(0);
    await reader.untilEnded();
  });

  it('a request already aborted when the stream opens is not kept', async () => {
    hub = createDirectiveHub();
    const controller = new AbortController();
    const request = new Request(URL_BASE, { signal: controller.signal });
    const pending = hub.handleRequest(request);
    controller.abort();
    await pending;
    expect(hub.stats().subscribers).toBe(0);
  });

  it('cleans up when the consumer cancels the body', async () => {
    hub = createDirectiveHub();
    const response = await hub.handleRequest(new Request(URL_BASE));
    const { reader, cancel } = readSseResponse(response);
    await reader.until((r) => r.hellos.length === 1, 'hello');
    await cancel();
    await until(() => hub.stats().subscribers === 0, 'the subscriber is forgotten');
  });

  it('close() ends web streams too', async () => {
    hub = createDirectiveHub();
    const { reader } = readSseResponse(await hub.handleRequest(new Request(URL_BASE)));
    await reader.until((r) => r.hellos.length === 1, 'hello');
    await hub.close();
    await reader.untilEnded();
    const late = await hub.handleRequest(new Request(URL_BASE));
    expect(late.status).toBe(503);
  });
});
