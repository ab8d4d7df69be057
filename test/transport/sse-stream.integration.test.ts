// The SSE stream against a real node:http server and the `eventsource` client: order, reconnects, resume, junk.
import { EventSource } from 'eventsource';
import type { Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamMessage } from '../../src/protocol/frame-reader';
import { type SeqObservation, SequenceTracker } from '../../src/transport/sequence';
import { type SseSignal, type SseStreamOptions, sseStream } from '../../src/transport/sse-stream';
import { SseTestServer, waitUntil } from '../support/sse-test-server';

/** A client as the registry wires one: the tracker observes every message and supplies the resume point. */
class Client {
  readonly signals: SseSignal[] = [];
  readonly observations: SeqObservation[] = [];
  readonly tracker = new SequenceTracker('global');
  readonly #subscription: Subscription;

  constructor(url: string, overrides: Partial<SseStreamOptions> = {}) {
    this.#subscription = sseStream({
      url,
      clientId: 'client-1',
      audience: 'global',
      clientIdParam: 'client_id',
      audienceParam: 'audience',
      withCredentials: false,
      EventSource,
      initialRetryMs: 20,
      maxRetryMs: 200,
      backoffMultiplier: 2,
      maxFrameBytes: 512,
      resumeFrom: () => this.tracker.resumePoint('global'),
      random: () => 0.5,
      ...overrides,
    }).subscribe((signal) => {
      if (signal.type === 'message') this.observations.push(this.tracker.observe(signal.message));
      this.signals.push(signal);
    });
  }

  of<T extends SseSignal['type']>(type: T): Extract<SseSignal, { type: T }>[] {
    return this.signals.filter((signal): signal is Extract<SseSignal, { type: T }> => signal.type === type);
  }

  messages(): StreamMessage[] {
    return this.of('message').map((signal) => signal.message);
  }

  seqs(): number[] {
    return this.messages().flatMap((message) =>
      message.type === 'directives' && message.seq ? [message.seq] : [],
    );
  }

  close(): void {
    this.#subscription.unsubscribe();
  }
}

describe('sseStream against a real SSE server', () => {
  let server: SseTestServer;
  let client: Client | undefined;

  beforeEach(async () => {
    server = await SseTestServer.start();
  });

  afterEach(async () => {
    client?.close();
    client = undefined;
    await server.stop();
  });

  it('receives hello, then envelopes in order with their ids', async () => {
    server.emit([{ op: 'refresh_collection', name: 'before' }]);
    client = new Client(server.url);
    const c = client;
    await waitUntil(() => c.of('message').length === 1, 'hello');
    server.emit([{ op: 'refresh_collection', name: 'a' }]);
    server.comment();
    server.emit([{ op: 'refresh_collection', name: 'b' }], { source: 'client-2' });
    server.emit([{ op: 'refresh_collection', name: 'c' }]);
    await waitUntil(() => c.seqs().length === 3, 'three envelopes');

    expect(c.of('open')).toHaveLength(1);
    expect(c.messages()[0]).toEqual({ type: 'hello', audience: 'global', last_seq: 1, resumed: false });
    expect(c.seqs()).toEqual([2, 3, 4]);
    expect(c.of('message').map((signal) => signal.lastEventId)).toEqual([null, '2', '3', '4']);
    expect(c.messages()[2]).toMatchObject({
      source: 'client-2',
      directives: [{ op: 'refresh_collection', name: 'b' }],
    });
    expect(c.observations.map((o) => o.kind)).toEqual(['baseline', 'next', 'next', 'next']);
    const [request] = server.requests;
    expect(request?.query.get('client_id')).toBe('client-1');
    expect(request?.query.get('audience')).toBe('global');
    expect(request?.query.has('last_event_id')).toBe(false);
  });

  it('reconnects with backoff after the server is killed and restarted, resuming from the last seq seen', async () => {
    client = new Client(server.url);
    const c = client;
    await waitUntil(() => c.of('message').length === 1, 'hello');
    server.emit(['one']);
    server.emit(['two']);
    await waitUntil(() => c.seqs().length === 2, 'two envelopes');

    await server.stop();
    await waitUntil(() => c.of('error').length >= 3, 'three failed connection attempts');
    expect(c.of('error').slice(0, 3)).toEqual([
      { type: 'error', attempt: 1, retryInMs: 20 },
      { type: 'error', attempt: 2, retryInMs: 40 },
      { type: 'error', attempt: 3, retryInMs: 80 },
    ]);
    server.emit(['three, while the client was away']);
    await server.restart();

    await waitUntil(() => c.seqs().length === 3, 'the replayed envelope');
    const resumedRequest = server.requests.at(-1);
    expect(resumedRequest?.query.get('last_event_id')).toBe('2');
    expect(resumedRequest?.query.get('client_id')).toBe('client-1');
    expect(c.of('open')).toHaveLength(2);
    expect(c.seqs()).toEqual([1, 2, 3]);
    expect(c.observations.map((o) => o.kind)).toEqual(['baseline', 'next', 'next', 'in-sync', 'next']);
    expect(c.messages().at(-2)).toEqual({ type: 'hello', audience: 'global', last_seq: 3, resumed: true });
  });

  it('reconnects after a connection is dropped mid-stream and the backoff starts over after each open', async () => {
    client = new Client(server.url);
    const c = client;
    await waitUntil(() => c.of('message').length === 1, 'hello');
    server.emit(['one']);
    await waitUntil(() => c.seqs().length === 1, 'first envelope');

    server.kill();
    await waitUntil(() => c.of('open').length === 2, 'second open');
    server.emit(['two']);
    await waitUntil(() => c.seqs().length === 2, 'second envelope');
    server.kill();
    await waitUntil(() => c.of('open').length === 3, 'third open');

    expect(c.of('error')).toEqual([
      { type: 'error', attempt: 1, retryInMs: 20 },
      { type: 'error', attempt: 1, retryInMs: 20 },
    ]);
    expect(server.requests.map((r) => r.query.get('last_event_id'))).toEqual([null, '1', '2']);
    expect(c.seqs()).toEqual([1, 2]);
  });

  it('a restart that forgot its sequence shows up as a reset, not silence', async () => {
    client = new Client(server.url);
    const c = client;
    await waitUntil(() => c.of('message').length === 1, 'hello');
    for (const name of ['a', 'b', 'c']) server.emit([name]);
    await waitUntil(() => c.seqs().length === 3, 'three envelopes');

    await server.stop();
    server.resetSequences();
    server.emit(['after the reset']);
    await server.restart();
    await waitUntil(() => c.of('message').length === 5, 'the second hello');

    expect(server.requests.at(-1)?.query.get('last_event_id')).toBe('3');
    expect(c.messages().at(-1)).toEqual({ type: 'hello', audience: 'global', last_seq: 1, resumed: false });
    expect(c.observations.at(-1)).toEqual({ kind: 'reset', audience: 'global', lastSeq: 3, incomingSeq: 1 });
    expect(c.tracker.resumePoint('global')).toBe('1');
  });

  it('an envelope the server dropped shows up as a gap', async () => {
    client = new Client(server.url);
    const c = client;
    await waitUntil(() => c.of('message').length === 1, 'hello');
    server.emit(['one']);
    server.emit(['lost'], { deliver: false });
    server.emit(['three']);
    await waitUntil(() => c.seqs().length === 2, 'two envelopes');
    expect(c.observations.at(-1)).toEqual({ kind: 'gap', audience: 'global', lastSeq: 1, incomingSeq: 3 });
  });

  it('junk frames become junk signals and the stream stays up', async () => {
    client = new Client(server.url);
    const c = client;
    await waitUntil(() => c.of('message').length === 1, 'hello');
    server.sendData('{"type":"directives", this is not JSON');
    server.sendData('{"type":"directives","seq":"7","directives":[]}');
    server.sendData('{"type":"hello","last_seq":-1}');
    server.sendData('[1,2,3]');
    server.sendData(JSON.stringify({ type: 'directives', seq: 1, directives: ['x'.repeat(600)] }));
    server.sendData('{"type":"presence","online":4}');
    server.emit(['after the junk']);
    await waitUntil(() => c.seqs().length === 1, 'the envelope after the junk');

    const junk = c.of('junk');
    expect(junk).toHaveLength(5);
    expect(junk[0]?.reason).toMatch(/JSON/);
    expect(junk[1]?.reason).toMatch(/seq/);
    expect(junk[2]?.reason).toMatch(/last_seq/);
    expect(junk[3]?.reason).toMatch(/object/);
    expect(junk[4]).toMatchObject({ reason: expect.stringMatching(/exceeds maxFrameBytes \(512\)/) });
    expect(junk[4]?.bytes).toBeGreaterThan(600);
    expect(c.of('error')).toHaveLength(0);
    expect(server.requests).toHaveLength(1);
    expect(server.openStreams).toBe(1);
  });

  it('unsubscribing closes the connection', async () => {
    client = new Client(server.url);
    const c = client;
    await waitUntil(() => server.openStreams === 1 && c.of('open').length === 1, 'the connection');
    c.close();
    await waitUntil(() => server.openStreams === 0, 'the server to see the stream close');
    expect(server.requests).toHaveLength(1);
  });
});
