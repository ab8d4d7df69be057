// The default backplane: seqs, epochs, replay buffers and fan-out inside one process; idle audiences are forgotten.
import { newEpoch } from '../protocol/epoch';
import { type EnvelopeTemplate, renderEnvelope } from '../protocol/frame-writer';
import type {
  Backplane,
  BackplaneEnvelope,
  BackplaneListener,
  BackplaneResumePoint,
  BackplaneSnapshot,
} from './backplane';

interface AudienceLog {
  /** A new one for every run: this process's, or a new one after the audience was forgotten. */
  readonly epoch: string;
  seq: number;
  /** The last `retain` envelopes, contiguous in seq. */
  held: BackplaneEnvelope[];
  /** When it last had an emit, a snapshot, or lost its last subscriber. */
  activeAt: number;
}

export interface MemoryBackplaneOptions {
  /** An audience with no subscriber and no emit for this long is forgotten; 0 keeps every audience. */
  idleAudienceMs: number;
  /** Whether the audience has a subscriber now: those are never forgotten. */
  inUse(audience: string): boolean;
}

export class MemoryBackplane implements Backplane {
  /** Ordered by `activeAt`, oldest first (touching moves an audience to the end), so a sweep stops early. */
  readonly #audiences = new Map<string, AudienceLog>();
  readonly #listeners = new Set<BackplaneListener>();
  readonly #idleAudienceMs: number;
  readonly #inUse: (audience: string) => boolean;
  readonly #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(options: MemoryBackplaneOptions) {
    this.#idleAudienceMs = options.idleAudienceMs;
    this.#inUse = options.inUse;
    if (this.#idleAudienceMs > 0) {
      // Sweeps also run on every emit and snapshot; this one frees memory when the hub goes quiet.
      this.#sweeper = setInterval(() => this.#sweep(), Math.max(this.#idleAudienceMs, 1000));
      this.#sweeper.unref?.();
    }
  }

  async publish(audience: string, template: EnvelopeTemplate, options: { retain: number }): Promise<number> {
    const log = this.#touch(audience);
    log.seq += 1;
    const envelope: BackplaneEnvelope = {
      audience,
      epoch: log.epoch,
      seq: log.seq,
      data: renderEnvelope(template, log.seq),
    };
    log.held.push(envelope);
    while (log.held.length > options.retain) log.held.shift();
    for (const listener of this.#listeners) listener.envelope(envelope);
    return envelope.seq;
  }

  async snapshot(audience: string, after: BackplaneResumePoint | null): Promise<BackplaneSnapshot> {
    const log = this.#touch(audience);
    const { epoch, seq: lastSeq } = log;
    if (after === null) return { epoch, lastSeq, missed: [] };
    if (after.epoch !== epoch) return { epoch, lastSeq, missed: null };
    if (after.seq >= lastSeq) return { epoch, lastSeq, missed: [] };
    const first = log.held[0];
    if (!first || first.seq > after.seq + 1) return { epoch, lastSeq, missed: null };
    return { epoch, lastSeq, missed: log.held.slice(after.seq + 1 - first.seq) };
  }

  /** The audience's last subscriber left: its idle time starts now. */
  release(audience: string): void {
    if (this.#audiences.has(audience)) this.#touch(audience);
  }

  /** How many audiences are held now (for tests and stats). */
  get size(): number {
    return this.#audiences.size;
  }

  subscribe(listener: BackplaneListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#listeners.clear();
  }

  #touch(audience: string): AudienceLog {
    this.#sweep();
    const log = this.#audiences.get(audience) ?? { epoch: newEpoch(), seq: 0, held: [], activeAt: 0 };
    this.#audiences.delete(audience);
    log.activeAt = Date.now();
    this.#audiences.set(audience, log);
    return log;
  }

  /**
   * Forgetting is safe because of epochs: a client resuming into a forgotten audience names an
   * epoch that no longer exists, so it is told the new one and resyncs instead of missing envelopes.
   */
  #sweep(): void {
    if (this.#idleAudienceMs <= 0) return;
    const now = Date.now();
    const cutoff = now - this.#idleAudienceMs;
    for (const [audience, log] of this.#audiences) {
      if (log.activeAt > cutoff) return;
      this.#audiences.delete(audience);
      if (this.#inUse(audience)) {
        // Still subscribed: it stays; `release` restarts its clock when the last subscriber leaves.
        log.activeAt = now;
        this.#audiences.set(audience, log);
      }
    }
  }
}
