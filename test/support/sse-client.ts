// A small SSE client for tests: a frame parser, and readers over node:http and web Responses.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';

export type SseFrame = { kind: 'event'; id: string | null; data: string } | { kind: 'comment'; text: string };

/** Splits a byte stream into SSE frames (SSE spec §9.2.6, minus `event:` and `retry:`, unused here). */
export function createSseParser(): (chunk: string) => SseFrame[] {
  let buffer = '';
  let id: string | null = null;
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    const frames: SseFrame[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      if (!match) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (data.length > 0 || id !== null) frames.push({ kind: 'event', id, data: data.join('\n') });
        id = null;
        data = [];
      } else if (line.startsWith(':')) {
        frames.push({ kind: 'comment', text: line.slice(1).trim() });
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'data') data.push(value);
      }
    }
    return frames;
  };
}

export interface SseMessage {
  id: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: test messages are read field by field
  body: any;
}

/** What a test sees of one stream: every frame so far, and waits that resolve on a condition. */
export class SseReader {
  readonly frames: SseFrame[] = [];
  readonly #events = new EventEmitter();
  readonly #parse = createSseParser();
  readonly #messages: SseMessage[] = [];
  readonly #envelopes: SseMessage[] = [];
  #ended = false;
  #endReason: Error | null = null;

  get ended(): boolean {
    return this.#ended;
  }

  /** Every `data` event, parsed once as it arrives. */
  get messages(): SseMessage[] {
    return this.#messages;
  }

  get envelopes(): SseMessage[] {
    return this.#envelopes;
  }

  get hellos(): SseMessage[] {
    return this.#messages.filter((message) => message.body.type === 'hello');
  }

  get comments(): string[] {
    return this.frames.flatMap((frame) => (frame.kind === 'comment' ? [frame.text] : []));
  }

  /** The seqs of the directive envelopes received, in order. */
  get seqs(): number[] {
    return this.#envelopes.map((message) => message.body.seq);
  }

  push(chunk: string): void {
    for (const frame of this.#parse(chunk)) {
      this.frames.push(frame);
      if (frame.kind !== 'event') continue;
      const message: SseMessage = { id: frame.id, body: JSON.parse(frame.data) };
      this.#messages.push(message);
      if (message.body.type === 'directives') this.#envelopes.push(message);
    }
    this.#events.emit('change');
  }

  end(reason: Error | null = null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#endReason = reason;
    this.#events.emit('change');
  }

  /** Resolves once `condition` holds; rejects after `timeoutMs` or if the stream ends first. */
  until(condition: (reader: this) => boolean, label: string, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition(this)) {
          done();
          resolve();
        } else if (this.#ended) {
          done();
          reject(new Error(`Stream ended (${this.#endReason?.message ?? 'closed'}) before: ${label}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`Timed out after ${timeoutMs} ms waiting for: ${label}; frames: ${this.describe()}`),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#events.off('change', check);
      };
      this.#events.on('change', check);
      check();
    });
  }

  untilEnded(label = 'the stream to end', timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!this.#ended) return;
        clearTimeout(timer);
        this.#events.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#events.off('change', check);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${label}`));
      }, timeoutMs);
      this.#events.on('change', check);
      check();
    });
  }

  describe(): string {
    return JSON.stringify(this.frames.slice(-10));
  }
}

export interface NodeSse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body when the status is not 200. */
  text: string;
  reader: SseReader;
  close(): void;
}

/** Opens a stream with node:http; resolves once the status line is in (and, for errors, the body). */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<NodeSse> {
  return new Promise((resolve, reject) => {
    const reader = new SseReader();
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      response.setEncoding('utf8');
      const result: NodeSse = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: '',
        reader,
        close: () => request.destroy(),
      };
      if (result.status !== 200) {
        response.on('data', (chunk: string) => {
          result.text += chunk;
        });
        response.on('end', () => resolve(result));
        return;
      }
      response.on('data', (chunk: string) => reader.push(chunk));
      response.on('close', () => reader.end());
      response.on('error', (error) => reader.end(error));
      resolve(result);
    });
    request.on('error', (error) => {
      reader.end(error);
      reject(error);
    });
  });
}

/** A client that sends the request and then never reads a byte: the kernel buffers fill, then the server's. */
export function openStalledSse(url: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`,
      );
      socket.pause();
      resolve({ socket, closed });
    });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
  });
}

/** Reads a web Response's SSE body into a reader; `cancel()` is what a disconnecting client does. */
export function readSseResponse(response: Response): { reader: SseReader; cancel(): Promise<void> } {
  const reader = new SseReader();
  const body = response.body;
  if (!body) throw new Error('The response has no body.');
  const stream = body.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await stream.read();
        if (done) break;
        reader.push(decoder.decode(value, { stream: true }));
      }
      reader.end();
    } catch (error) {
      reader.end(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return { reader, cancel: () => stream.cancel() };
}
