// The default backplane: seqs, replay buffers and fan-out inside one process.

import { type EnvelopeTemplate, renderEnvelope } from '../protocol/frame-writer';
import type { Backplane, BackplaneEnvelope, BackplaneListener, BackplaneSnapshot } from './backplane';

interface AudienceLog {
  seq: number;
  /** The last `retain` envelopes, contiguous in seq. */
  held: BackplaneEnvelope[];
}

export class MemoryBackplane implements Backplane {
  readonly #audiences = new Map<string, AudienceLog>();
  readonly #listeners = new Set<BackplaneListener>();

  async publish(audience: string, template: EnvelopeTemplate, options: { retain: number }): Promise<number> {
    let log = this.#audiences.get(audience);
    if (!log) {
      log = { seq: 0, held: [] };
      this.#audiences.set(audience, log);
    }
    log.seq += 1;
    const envelope: BackplaneEnvelope = { audience, seq: log.seq, data: renderEnvelope(template, log.seq) };
    log.held.push(envelope);
    while (log.held.length > options.retain) log.held.shift();
    for (const listener of this.#listeners) listener.envelope(envelope);
    return envelope.seq;
  }

  async snapshot(audience: string, afterSeq: number | null): Promise<BackplaneSnapshot> {
    const log = this.#audiences.get(audience);
    const lastSeq = log?.seq ?? 0;
    if (afterSeq === null || afterSeq >= lastSeq) return { lastSeq, missed: [] };
    const first = log?.held[0];
    if (!log || !first || first.seq > afterSeq + 1) return { lastSeq, missed: null };
    return { lastSeq, missed: log.held.slice(afterSeq + 1 - first.seq) };
  }

  subscribe(listener: BackplaneListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
