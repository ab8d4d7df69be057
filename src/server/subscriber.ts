// One SSE subscription: its byte-bounded queue, the seqs it has been sent, and its handshakes.

import { VerityError } from '../protocol/errors';
import { HEARTBEAT_FRAME } from '../protocol/frame-writer';
import type { Sink } from './sink';

export interface Frame {
  readonly epoch: string;
  readonly seq: number;
  readonly bytes: Uint8Array;
}

export interface SubscriberHooks {
  /**
   * A live envelope skipped some seqs or belongs to another epoch: the hub must re-run the
   * handshake to fill or declare the gap, or to announce the new epoch.
   */
  gap(subscriber: Subscriber): void;
  closed(subscriber: Subscriber): void;
}

export class Subscriber {
  readonly audience: string;
  readonly clientId: string | null;
  readonly #hooks: SubscriberHooks;
  readonly #maxBufferedBytes: number;
  #sink: Sink | null = null;
  /** Bytes the transport could not take yet (or, before a sink is attached, all of them). */
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Live envelopes held back while a handshake decides what the client gets first. */
  #held: Frame[] | null = null;
  #heldBytes = 0;
  #handshake = 0;
  #helloSent = false;
  /** Null until the first hello: no envelope is sent before one says which run it belongs to. */
  #epoch: string | null = null;
  #lastSeq = 0;
  #closed = false;
  #boundCheck: ReturnType<typeof setTimeout> | undefined;

  constructor(audience: string, clientId: string | null, maxBufferedBytes: number, hooks: SubscriberHooks) {
    this.audience = audience;
    this.clientId = clientId;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#hooks = hooks;
  }

  /** The epoch and last seq this client has been sent (or told about in a hello); null before the first hello. */
  get position(): { epoch: string; seq: number } | null {
    return this.#epoch === null ? null : { epoch: this.#epoch, seq: this.#lastSeq };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Holds live envelopes from now on; a handshake started later supersedes this one. */
  beginHandshake(): number {
    this.#held ??= [];
    this.#handshake += 1;
    return this.#handshake;
  }

  /** Writes hello and the replay, then releases the envelopes held meanwhile. False when superseded. */
  completeHandshake(
    ticket: number,
    hello: Uint8Array,
    position: { epoch: string; seq: number },
    replay: readonly Frame[],
  ): boolean {
    if (ticket !== this.#handshake || this.#closed) return false;
    this.#write(hello);
    for (const frame of replay) this.#write(frame.bytes);
    this.#helloSent = true;
    this.#epoch = position.epoch;
    this.#lastSeq = position.seq;
    const held = this.#held ?? [];
    this.#held = null;
    this.#heldBytes = 0;
    // Held envelopes of another run than the hello's are not this client's to see any more.
    for (const frame of held) if (frame.epoch === position.epoch) this.deliver(frame);
    return true;
  }

  attach(sink: Sink): void {
    this.#sink = sink;
    this.flush();
  }

  deliver(frame: Frame): void {
    if (this.#closed) return;
    if (this.#held) {
      this.#held.push(frame);
      this.#heldBytes += frame.bytes.byteLength;
      this.#enforceBound();
      return;
    }
    // Another epoch: the sequence restarted under this stream (a Redis that lost its data).
    const restarted = frame.epoch !== this.#epoch;
    // At or below lastSeq it was already sent: replayed, or counted in the hello's last_seq.
    if (!restarted && frame.seq <= this.#lastSeq) return;
    if (restarted || frame.seq > this.#lastSeq + 1) {
      this.#held = [frame];
      this.#heldBytes = frame.bytes.byteLength;
      this.#hooks.gap(this);
      return;
    }
    this.#lastSeq = frame.seq;
    this.#write(frame.bytes);
  }

  heartbeat(): void {
    // Never before the hello (it must come first) nor while a handshake holds the stream.
    if (this.#closed || !this.#helloSent || this.#held) return;
    this.#write(HEARTBEAT_FRAME);
  }

  /** Moves queued bytes to the transport while it has room. */
  flush(): void {
    const sink = this.#sink;
    if (!sink || this.#closed) return;
    let sent = 0;
    while (sent < this.#queue.length && sink.wantsMore) {
      const chunk = this.#queue[sent]!;
      sink.write(chunk);
      this.#queuedBytes -= chunk.byteLength;
      sent += 1;
    }
    if (sent > 0) this.#queue.splice(0, sent);
  }

  /** Ends the stream after what is queued; the client will reconnect and resume. */
  end(): void {
    if (this.#closed) return;
    const sink = this.#sink;
    if (sink) {
      for (const chunk of this.#queue) sink.write(chunk);
      sink.end();
    }
    this.#finish();
  }

  /** Drops the stream and whatever is queued for it. */
  destroy(reason: Error): void {
    if (this.#closed) return;
    this.#sink?.destroy(reason);
    this.#finish();
  }

  /** The transport reports the peer is gone. */
  sinkClosed(): void {
    this.#finish();
  }

  #write(bytes: Uint8Array): void {
    const sink = this.#sink;
    // A transport that still wants more holds at most its high-water mark: only a queue can grow.
    if (sink && this.#queue.length === 0 && sink.wantsMore) {
      sink.write(bytes);
      return;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.byteLength;
    this.#enforceBound();
  }

  #enforceBound(): void {
    if (this.#boundCheck !== undefined || this.#unsent() <= this.#maxBufferedBytes) return;
    // Node corks a response until the next tick, so bytes written in this tick look unsent even
    // to a fast client: judge once the transport has had its turn.
    this.#boundCheck = setTimeout(() => {
      this.#boundCheck = undefined;
      const unsent = this.#unsent();
      if (this.#closed || unsent <= this.#maxBufferedBytes) return;
      this.destroy(
        new VerityError(
          'SLOW_CLIENT',
          `Subscriber ${this.clientId ?? '(no client id)'} on audience "${this.audience}" fell ${unsent} bytes behind (maxBufferedBytes ${this.#maxBufferedBytes}): disconnected so it reconnects and replays.`,
        ),
      );
    }, 0);
  }

  #unsent(): number {
    return this.#queuedBytes + this.#heldBytes + (this.#sink?.backlog ?? 0);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#boundCheck);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#held = null;
    this.#heldBytes = 0;
    this.#hooks.closed(this);
  }
}
