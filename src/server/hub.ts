// The directive hub: emits envelopes through a backplane and serves them as SSE to its subscribers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertDirectives } from '../protocol/directive-check';
import { VerityError } from '../protocol/errors';
import { envelopeFrame, envelopeTemplate, helloFrame } from '../protocol/frame-writer';
import { DEFAULT_AUDIENCE } from '../protocol/names';
import type { Backplane, BackplaneEnvelope } from './backplane';
import { planHandshake } from './handshake';
import { MemoryBackplane } from './memory-backplane';
import { nodeRequestHeaders, nodeRequestUrl, parseSubscription } from './request';
import { nodeSink, webSink } from './sink';
import { type Frame, Subscriber, type SubscriberHooks } from './subscriber';
import type {
  Authorize,
  Directive,
  DirectiveHub,
  DirectiveHubOptions,
  EmitOptions,
  EmitResult,
  HubStats,
} from './types';

const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  // Stops nginx from buffering the stream.
  'x-accel-buffering': 'no',
};

const CLOSING = Symbol('closing');

const allowGlobalOnly: Authorize = ({ audience }) => audience === DEFAULT_AUDIENCE;

interface Refusal {
  status: number;
  message: string;
}

export function createDirectiveHub(options: DirectiveHubOptions = {}): DirectiveHub {
  return new Hub(options);
}

class Hub implements DirectiveHub {
  readonly #backplane: Backplane;
  /** The default backplane, told when an audience loses its last subscriber so its idle clock starts. */
  readonly #memory: MemoryBackplane | null = null;
  readonly #maxEvents: number;
  readonly #maxBufferedBytes: number;
  readonly #authorize: Authorize;
  readonly #audiences = new Map<string, Set<Subscriber>>();
  readonly #hooks: SubscriberHooks;
  readonly #unsubscribe: () => void;
  readonly #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** Waits that close() cuts short (see #unlessClosing). */
  readonly #closeWaiters = new Set<() => void>();
  /** Requests still being answered; close() waits for them, so no response it could not end opens after. */
  readonly #opening = new Set<Promise<unknown>>();

  constructor(options: DirectiveHubOptions) {
    this.#maxEvents = nonNegativeInteger(options.replay?.maxEvents, 1000, 'replay.maxEvents');
    const idleAudienceMs = nonNegativeInteger(
      options.replay?.idleAudienceMs,
      60 * 60 * 1000,
      'replay.idleAudienceMs',
    );
    this.#maxBufferedBytes = nonNegativeInteger(options.maxBufferedBytes, 1024 * 1024, 'maxBufferedBytes');
    if (this.#maxBufferedBytes === 0) {
      throw new VerityError('INVALID_OPTIONS', 'createDirectiveHub: maxBufferedBytes must be at least 1.');
    }
    const heartbeatMs = nonNegativeInteger(options.heartbeatMs, 15_000, 'heartbeatMs');
    if (options.authorize !== undefined && typeof options.authorize !== 'function') {
      throw new VerityError(
        'INVALID_OPTIONS',
        'createDirectiveHub: authorize must be a function ({ audience, clientId, headers, url }) => boolean | Promise<boolean>.',
      );
    }
    this.#authorize = options.authorize ?? allowGlobalOnly;
    if (options.backplane) {
      this.#backplane = options.backplane;
    } else {
      this.#memory = new MemoryBackplane({
        idleAudienceMs,
        inUse: (audience) => this.#audiences.has(audience),
      });
      this.#backplane = this.#memory;
    }
    this.#hooks = {
      gap: (subscriber) => void this.#handshake(subscriber),
      closed: (subscriber) => this.#forget(subscriber),
    };
    this.#unsubscribe = this.#backplane.subscribe({
      envelope: (envelope) => this.#fanOut(envelope),
      reset: () => this.#handshakeAll(),
    });
    if (heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), heartbeatMs);
      // A hub alone must not keep a process alive; the HTTP server does that.
      this.#heartbeat.unref?.();
    }
  }

  readonly emit = async (
    directives: readonly Directive[],
    options: EmitOptions = {},
  ): Promise<EmitResult> => {
    if (this.#closed) throw new VerityError('HUB_CLOSED', 'emit() after hub.close(): create a new hub.');
    assertDirectives(directives, 'emit(directives)', { allowEmpty: false });
    const audience = options.audience ?? DEFAULT_AUDIENCE;
    if (typeof audience !== 'string' || audience === '') {
      throw new VerityError('INVALID_OPTIONS', 'emit(): audience must be a non-empty string.');
    }
    const source = options.source ?? null;
    if (typeof source !== 'string' && source !== null) {
      throw new VerityError('INVALID_OPTIONS', 'emit(): source must be a string (the client id) or null.');
    }
    let template: ReturnType<typeof envelopeTemplate>;
    try {
      template = envelopeTemplate(audience, source, directives);
    } catch (cause) {
      throw new VerityError(
        'INVALID_DIRECTIVES',
        `emit(): the directives are not JSON-serialisable (${messageOf(cause)}).`,
        { cause },
      );
    }
    try {
      const seq = await this.#backplane.publish(audience, template, { retain: this.#maxEvents });
      return { seq };
    } catch (cause) {
      if (cause instanceof VerityError) throw cause;
      throw new VerityError(
        'BACKPLANE_FAILED',
        `emit(): the backplane did not accept the envelope, so nothing was sent (${messageOf(cause)}).`,
        { cause },
      );
    }
  };

  readonly emitWrite: DirectiveHub['emitWrite'] = async (graph, write, input, options) =>
    this.emit(graph.directivesFor(write, input), options);

  readonly handleRequest = (request: Request): Promise<Response> => this.#track(this.#serveWeb(request));

  async #serveWeb(request: Request): Promise<Response> {
    if (request.method !== 'GET') return refusalResponse(methodNotAllowed(request.method));
    const admitted = await this.#admit(new URL(request.url), request.headers);
    if (!(admitted instanceof Subscriber)) return refusalResponse(admitted);
    const subscriber = admitted;
    // close() may have ended it after the handshake, while this continuation waited its turn.
    if (subscriber.closed) return refusalResponse(HUB_CLOSED);
    const { sink, stream } = webSink({
      drain: () => subscriber.flush(),
      closed: () => subscriber.sinkClosed(),
    });
    subscriber.attach(sink);
    const { signal } = request;
    // The client is gone, so nothing is lost by ending quietly; erroring the stream instead makes
    // servers such as @hono/node-server print the error for every disconnect.
    const onAbort = (): void => subscriber.end();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    return new Response(stream, { status: 200, headers: SSE_HEADERS });
  }

  /** Never rejects: node:http and Express 4 would turn a rejection into an unhandled one. */
  readonly nodeHandler = (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    this.#track(
      this.#serveNode(req, res).catch(() =>
        writeRefusal(res, { status: 500, message: 'The directive stream failed to open.' }),
      ),
    );

  async #serveNode(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== undefined) {
      writeRefusal(res, methodNotAllowed(req.method));
      return;
    }
    let gone = false;
    const onEarlyClose = (): void => {
      gone = true;
    };
    res.once('close', onEarlyClose);
    const admitted = await this.#admit(nodeRequestUrl(req), nodeRequestHeaders(req));
    res.off('close', onEarlyClose);
    if (!(admitted instanceof Subscriber)) {
      if (!gone) writeRefusal(res, admitted);
      return;
    }
    const subscriber = admitted;
    if (gone || res.destroyed) {
      subscriber.destroy(new Error('The client went away.'));
      return;
    }
    if (subscriber.closed) {
      writeRefusal(res, HUB_CLOSED);
      return;
    }
    res.writeHead(
      200,
      req.httpVersionMajor === 1 ? { ...SSE_HEADERS, connection: 'keep-alive' } : SSE_HEADERS,
    );
    res.socket?.setNoDelay(true);
    subscriber.attach(
      nodeSink(res, {
        drain: () => subscriber.flush(),
        closed: () => subscriber.sinkClosed(),
      }),
    );
  }

  stats(): HubStats {
    const audiences: Record<string, number> = {};
    let subscribers = 0;
    for (const [audience, set] of this.#audiences) {
      audiences[audience] = set.size;
      subscribers += set.size;
    }
    return { subscribers, audiences };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#closeWaiters) wake();
    this.#closeWaiters.clear();
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const set of [...this.#audiences.values()]) {
      for (const subscriber of [...set]) subscriber.end();
    }
    // Each one now ends at its next step (a refusal, or a stream that is already ended).
    await Promise.allSettled([...this.#opening]);
    await this.#backplane.close();
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#opening.add(work);
    const forget = (): void => {
      this.#opening.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  /**
   * A wait that close() cuts short: resolves with CLOSING as soon as the hub is closing, so a
   * handshake whose authorize or snapshot hangs cannot hold close() up. (Not Promise.race against
   * one shared promise: that would keep a reaction per request alive for the hub's lifetime.)
   */
  #unlessClosing<T>(work: Promise<T> | T): Promise<T | typeof CLOSING> {
    return new Promise((resolve, reject) => {
      const wake = (): void => resolve(CLOSING);
      this.#closeWaiters.add(wake);
      Promise.resolve(work).then(
        (value) => {
          this.#closeWaiters.delete(wake);
          resolve(value);
        },
        (error: unknown) => {
          this.#closeWaiters.delete(wake);
          reject(error);
        },
      );
    });
  }

  /**
   * Registers the subscriber for live envelopes *before* reading the snapshot, so every envelope
   * after its hello reaches it; the handshake writes hello and replay into its queue.
   */
  async #admit(url: URL, headers: Headers): Promise<Subscriber | Refusal> {
    if (this.#closed) return HUB_CLOSED;
    const subscription = parseSubscription(url, headers);
    if ('error' in subscription) return { status: 400, message: subscription.error };
    const { audience, clientId, resumeFrom } = subscription;
    let allowed: boolean | typeof CLOSING;
    try {
      allowed = await this.#unlessClosing(this.#authorize({ audience, clientId, headers, url: url.href }));
    } catch {
      return { status: 500, message: 'authorize() threw while deciding this subscription.' };
    }
    if (this.#closed) return HUB_CLOSED;
    if (allowed !== true)
      return { status: 403, message: `Not allowed to subscribe to audience "${audience}".` };

    const subscriber = new Subscriber(audience, clientId, this.#maxBufferedBytes, this.#hooks);
    let set = this.#audiences.get(audience);
    if (!set) {
      set = new Set();
      this.#audiences.set(audience, set);
    }
    set.add(subscriber);
    const ticket = subscriber.beginHandshake();
    try {
      // A bare seq names no run: the hub cannot resume it, and asks for no replay.
      const after = resumeFrom?.epoch == null ? null : { epoch: resumeFrom.epoch, seq: resumeFrom.seq };
      const snapshot = await this.#unlessClosing(this.#backplane.snapshot(audience, after));
      if (snapshot === CLOSING) return HUB_CLOSED;
      this.#complete(subscriber, ticket, planHandshake(resumeFrom, snapshot));
    } catch (cause) {
      subscriber.destroy(cause instanceof Error ? cause : new Error(String(cause)));
      return { status: 503, message: `The directive stream is unavailable: ${messageOf(cause)}` };
    }
    if (subscriber.closed)
      return { status: 503, message: 'The directive stream closed while it was opening.' };
    return subscriber;
  }

  /** Re-runs the handshake on an open stream: a mid-stream hello tells the client what happened. */
  async #handshake(subscriber: Subscriber): Promise<void> {
    const ticket = subscriber.beginHandshake();
    const resumeFrom = subscriber.position;
    try {
      const snapshot = await this.#backplane.snapshot(subscriber.audience, resumeFrom);
      this.#complete(subscriber, ticket, planHandshake(resumeFrom, snapshot));
    } catch {
      // Without a snapshot the client cannot be told where it stands: end so it reconnects and asks.
      subscriber.end();
    }
  }

  #complete(subscriber: Subscriber, ticket: number, plan: ReturnType<typeof planHandshake>): void {
    let replay: Frame[] = plan.replay.map(toFrame);
    let resumed = plan.resumed;
    // A replay the client could not take within its byte bound would disconnect it on every
    // reconnect, forever: past the bound it gets resumed:false and resyncs instead.
    if (replay.reduce((total, frame) => total + frame.bytes.byteLength, 0) > this.#maxBufferedBytes) {
      replay = [];
      resumed = false;
    }
    const { epoch, lastSeq } = plan;
    subscriber.completeHandshake(
      ticket,
      helloFrame({ audience: subscriber.audience, epoch, lastSeq, resumed }),
      { epoch, seq: lastSeq },
      replay,
    );
  }

  #handshakeAll(): void {
    for (const set of this.#audiences.values()) {
      for (const subscriber of set) void this.#handshake(subscriber);
    }
  }

  #fanOut(envelope: BackplaneEnvelope): void {
    const set = this.#audiences.get(envelope.audience);
    if (!set) return;
    // Encoded once, shared by every subscriber of the audience.
    const frame = toFrame(envelope);
    for (const subscriber of set) subscriber.deliver(frame);
  }

  #beat(): void {
    for (const set of this.#audiences.values()) {
      for (const subscriber of set) subscriber.heartbeat();
    }
  }

  #forget(subscriber: Subscriber): void {
    const set = this.#audiences.get(subscriber.audience);
    if (!set) return;
    set.delete(subscriber);
    if (set.size > 0) return;
    this.#audiences.delete(subscriber.audience);
    this.#memory?.release(subscriber.audience);
  }
}

function toFrame(envelope: BackplaneEnvelope): Frame {
  const { epoch, seq, data } = envelope;
  return { epoch, seq, bytes: envelopeFrame({ epoch, seq }, data) };
}

const HUB_CLOSED: Refusal = { status: 503, message: 'The directive hub is closed.' };

function nonNegativeInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new VerityError(
      'INVALID_OPTIONS',
      `createDirectiveHub: ${name} must be a non-negative integer (got ${String(value)}).`,
    );
  }
  return value;
}

function methodNotAllowed(method: string): Refusal {
  return { status: 405, message: `The directive stream is read with GET, not ${method}.` };
}

function refusalResponse({ status, message }: Refusal): Response {
  return new Response(message, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...(status === 405 ? { allow: 'GET' } : {}) },
  });
}

function writeRefusal(res: ServerResponse, { status, message }: Refusal): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    ...(status === 405 ? { allow: 'GET' } : {}),
  });
  res.end(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
