// Owns a small real SSE server for transport tests: a seq per audience, replay, dropped frames, junk, kills and restarts on one port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Directive } from '../../src/protocol/directive-check';
import { parseEventId } from '../../src/protocol/epoch';
import { envelopeFrame, envelopeTemplate, helloFrame, renderEnvelope } from '../../src/protocol/frame-writer';
import { LAST_EVENT_ID_PARAM } from '../../src/protocol/names';

export interface RecordedRequest {
  /** Path and query exactly as the client sent them. */
  url: string;
  query: URLSearchParams;
  lastEventIdHeader: string | null;
}

interface Envelope {
  seq: number;
  frame: Uint8Array;
}

interface Stream {
  audience: string;
  response: ServerResponse;
}

export interface SseTestServerOptions {
  /** Whether a client resuming with a last event id gets the envelopes it missed (`resumed: true`). */
  replay?: boolean;
  /** The run's epoch, sent in hellos and ids (`<epoch>:<seq>`); null (the default) plays a server without epochs. */
  epoch?: string | null;
}

/**
 * Behaves like the hub of SPEC §1.2 where the tests need it to (hello first, `id:` per envelope,
 * replay after a last event id) and lets the tests break it: drop envelopes, write junk, kill every
 * connection, refuse connections, forget its sequence.
 */
export class SseTestServer {
  readonly requests: RecordedRequest[] = [];
  replay: boolean;
  #epoch: string | null;
  readonly #server: Server;
  readonly #streams = new Set<Stream>();
  readonly #log = new Map<string, Envelope[]>();
  #port = 0;
  #listening = false;

  private constructor(options: SseTestServerOptions) {
    this.replay = options.replay ?? true;
    this.#epoch = options.epoch ?? null;
    this.#server = createServer((request, response) => this.#serve(request, response));
  }

  static async start(options: SseTestServerOptions = {}): Promise<SseTestServer> {
    const server = new SseTestServer(options);
    await server.restart();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/events`;
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  lastSeq(audience = 'global'): number {
    return this.#log.get(audience)?.at(-1)?.seq ?? 0;
  }

  /** Sends one envelope to every stream of the audience; `deliver: false` loses it on the way, seq and all. */
  emit(directives: unknown, options: { audience?: string; source?: string; deliver?: boolean } = {}): number {
    const audience = options.audience ?? 'global';
    const seq = this.lastSeq(audience) + 1;
    // Tests send malformed directives on purpose: the server writes whatever it is given.
    const template = envelopeTemplate(audience, options.source ?? null, directives as readonly Directive[]);
    const frame = envelopeFrame({ epoch: this.#epoch, seq }, renderEnvelope(template, seq));
    const log = this.#log.get(audience) ?? [];
    log.push({ seq, frame });
    this.#log.set(audience, log);
    if (options.deliver !== false) this.#broadcast(audience, frame);
    return seq;
  }

  /** Writes one `data:` frame as is (junk, unknown types) to every open stream. */
  sendData(data: string, id?: number): void {
    const frame = `${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`;
    for (const stream of this.#streams) stream.response.write(frame);
  }

  comment(text = 'keep-alive'): void {
    for (const stream of this.#streams) stream.response.write(`: ${text}\n\n`);
  }

  /**
   * Forgets every sequence, as a restarted hub without persistence would; with `epoch`, the new
   * run has that epoch (as a real hub's would), otherwise it keeps the current one.
   */
  resetSequences(epoch: string | null = this.#epoch): void {
    this.#log.clear();
    this.#epoch = epoch;
  }

  /** Drops every connection mid-stream; the server keeps listening. */
  kill(): void {
    this.#server.closeAllConnections();
    this.#streams.clear();
  }

  /** Drops every connection and stops listening, so reconnects are refused until `restart`. */
  async stop(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.kill();
    await closed;
  }

  /** Listens again, on the same port once it has one. */
  async restart(): Promise<void> {
    if (this.#listening) return;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    this.#listening = true;
  }

  #broadcast(audience: string, frame: Uint8Array): void {
    for (const stream of this.#streams) if (stream.audience === audience) stream.response.write(frame);
  }

  #serve(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '/';
    const query = new URL(url, 'http://127.0.0.1').searchParams;
    const header = request.headers['last-event-id'];
    const lastEventIdHeader = typeof header === 'string' ? header : null;
    this.requests.push({ url, query, lastEventIdHeader });

    const audience = query.get('audience') ?? 'global';
    const point = parseEventId(lastEventIdHeader ?? query.get(LAST_EVENT_ID_PARAM));
    const log = this.#log.get(audience) ?? [];
    const lastSeq = log.at(-1)?.seq ?? 0;
    const first = log[0]?.seq ?? 1;
    // Resuming needs the same run and every envelope after the client's seq, so the log must reach back to it.
    const resumeFrom = point !== null && point.epoch === this.#epoch ? point.seq : Number.NaN;
    const resumed = this.replay && resumeFrom >= first - 1 && resumeFrom <= lastSeq;

    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    response.write(helloFrame({ audience, epoch: this.#epoch, lastSeq, resumed }));
    if (resumed) for (const envelope of log) if (envelope.seq > resumeFrom) response.write(envelope.frame);

    const stream: Stream = { audience, response };
    this.#streams.add(stream);
    response.on('close', () => this.#streams.delete(stream));
  }
}

// Taken before any test can fake the clock, so a wait for real I/O also works while the registry's timers are fake.
const realSetTimeout = globalThis.setTimeout;
const realNow = performance.now.bind(performance);

/**
 * Waits in real time for a condition (socket I/O, a real server) without a fixed sleep: re-checks often, fails
 * with `what` after `timeoutMs`. Fake timers do not stop it, and it never moves fake time.
 */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = realNow() + timeoutMs;
  while (!check()) {
    if (realNow() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, 5));
  }
}
